"""The decisions store: append-only on SQLite and PostgreSQL, safe under concurrent writers."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import queue
import signal
import sqlite3
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import closing, contextmanager
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from salescoach.data.store import DEFAULT_FILENAME, Event, Store, default_author

try:
    from tests.pg import new_database, pg_url  # noqa: F401
except ModuleNotFoundError:  # the checkout is not on sys.path; tests/ itself is (rootdir mode)
    from pg import new_database, pg_url  # noqa: F401

UTC = dt.UTC
GOAL_KEY = "rep:R001|2026-Q3|revenue"

# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A private temporary folder. Not tmp_path: a concurrent pytest session of the same user
    prunes old /tmp/pytest-of-* folders, which once removed a database under a running test."""
    with tempfile.TemporaryDirectory(prefix="salescoach-store-") as folder:
        yield Path(folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, workdir) -> str:
    """An empty database on each backend; PostgreSQL skips when no server can be started."""
    if request.param == "sqlite":
        return f"sqlite:///{workdir / DEFAULT_FILENAME}"
    return new_database(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url):
    with Store(db_url) as opened:
        yield opened


@pytest.fixture
def other_url(db_url, workdir) -> str:
    """A second empty database on the same backend."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'other.sqlite'}"
    return new_database(db_url)


def raw_execute(url: str, sql: str) -> None:
    """Run SQL through the bare driver, as a colleague with a SQL client would."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(parsed.database)) as conn:
            conn.execute(sql)
            conn.commit()
        return
    import psycopg

    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    ) as conn:
        conn.execute(sql)


def sqlite_path(url: str) -> str:
    return make_url(url).database


# --- append and read back -----------------------------------------------------------------


def test_append_returns_the_stored_event(store):
    before = dt.datetime.now(UTC)
    event = store.append(
        "goal",
        GOAL_KEY,
        {"target": 120_000.0, "note": "Στόχος Q3"},
        who="maria",
        why="Q3 plan agreed",
    )
    after = dt.datetime.now(UTC)

    assert isinstance(event, Event)
    assert (event.kind, event.key, event.who, event.why) == (
        "goal",
        GOAL_KEY,
        "maria",
        "Q3 plan agreed",
    )
    assert event.data == {"target": 120_000.0, "note": "Στόχος Q3"}
    assert event.at.tzinfo is not None and event.at.utcoffset() == dt.timedelta(0)
    assert before <= event.at <= after
    assert store.history() == [event]  # same id, microseconds and data after the round trip


def test_history_keeps_every_version_and_current_shows_the_latest(store):
    v1 = store.append("goal", GOAL_KEY, {"target": 100.0}, who="maria", why="plan")
    other = store.append(
        "goal", "rep:R002|2026-Q3|revenue", {"target": 80.0}, who="maria", why="plan"
    )
    store.append("award", "rep:R001|2026-Q2", {"award": "trip"}, who="nikos", why="beat Q2")
    v2 = store.append(
        "goal", GOAL_KEY, {"target": 110.0}, who="nikos", why="market grew", supersedes=v1.id
    )
    v3 = store.append(
        "goal", GOAL_KEY, {"target": 105.0, "agreed": True}, who="maria", why="discussed with R001"
    )

    assert store.history(kind="goal", key=GOAL_KEY) == [v1, v2, v3]
    assert v2.supersedes == v1.id
    assert [e.kind for e in store.history()] == ["goal", "goal", "award", "goal", "goal"]
    assert store.history(key_prefix="rep:R00") == store.history()
    assert store.history(kind="goal", key_prefix="rep:R002") == [other]

    current = store.current("goal")
    assert list(current.columns) == ["key", "target", "agreed", "at", "who", "why", "event_id"]
    assert current["key"].tolist() == [GOAL_KEY, "rep:R002|2026-Q3|revenue"]
    assert current["target"].tolist() == [105.0, 80.0]
    assert current["event_id"].tolist() == [v3.id, other.id]
    assert current["who"].tolist() == ["maria", "maria"]
    assert current["at"].tolist() == [pd.Timestamp(v3.at), pd.Timestamp(other.at)]
    assert str(current["at"].dtype) == "datetime64[us, UTC]"

    frame = store.frame("goal")
    assert frame["event_id"].tolist() == [v1.id, other.id, v2.id, v3.id]
    assert frame["supersedes"].tolist() == [pd.NA, pd.NA, v1.id, pd.NA]
    assert len(store.frame()) == 5


def test_key_prefix_is_literal_and_case_sensitive(store):
    for key in ["team:a_b|x", "team:aXb|x", "TEAM:a_b|x", "team:a%|x"]:
        store.append("goal", key, {}, who="m")
    assert [e.key for e in store.history(key_prefix="team:a_b")] == ["team:a_b|x"]
    assert [e.key for e in store.history(key_prefix="team:a%")] == ["team:a%|x"]


def test_reading_an_unknown_kind_gives_empty_results(store):
    assert store.history(kind="nothing") == []
    empty = store.current("nothing")
    assert empty.empty and list(empty.columns) == ["key", "at", "who", "why", "event_id"]


def test_a_data_field_named_like_a_column_does_not_hide_it(store):
    store.append("award", "rep:R001|2026-Q2", {"who": "R001", "award": "trip"}, who="maria")
    current = store.current("award")
    assert current.loc[0, "who"] == "maria"
    assert current.loc[0, "data.who"] == "R001"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (dt.date(2026, 9, 30), "2026-09-30"),
        (dt.datetime(2026, 9, 30, 12, 0, tzinfo=UTC), "2026-09-30T12:00:00+00:00"),
        (pd.Timestamp("2026-09-30 12:00"), "2026-09-30T12:00:00"),
        (np.datetime64("2026-09-30"), "2026-09-30T00:00:00"),
        (pd.Period("2026Q3"), "2026Q3"),
        (np.int64(3), 3),
        (np.float32(0.5), 0.5),
        (np.bool_(True), True),
        (float("nan"), None),
        (pd.NaT, None),
        ((1, np.int16(2)), [1, 2]),
        ({"when": dt.date(2026, 1, 2), "n": [np.int64(1)]}, {"when": "2026-01-02", "n": [1]}),
        ("Επανεκπαίδευση σε CRM", "Επανεκπαίδευση σε CRM"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_data_is_converted_to_json_types(value, stored, workdir):
    with Store(f"sqlite:///{workdir / DEFAULT_FILENAME}") as store:
        event = store.append("goal", GOAL_KEY, {"x": value}, who="m")
        assert event.data == {"x": stored}
        assert type(event.data["x"]) is type(stored)
        assert store.history()[0].data == {"x": stored}


# --- the database refuses changes in place ------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET who = 'someone else'",
        "UPDATE events SET data = '{\"target\": 1}' WHERE kind = 'goal'",
        "DELETE FROM events",
        "DELETE FROM events WHERE id = 1",
    ],
)
def test_update_and_delete_are_refused_by_the_database(store, db_url, sql):
    kept = store.append("goal", GOAL_KEY, {"target": 100.0}, who="maria", why="plan")
    with pytest.raises(Exception, match="append-only") as refused:
        raw_execute(db_url, sql)
    assert type(refused.value).__name__ in ("IntegrityError", "RestrictViolation")
    with pytest.raises(sa.exc.IntegrityError, match="append-only"):  # and through SQLAlchemy
        with store.engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert store.history() == [kept]


def test_truncate_is_refused_on_postgresql(pg_url):
    with Store(new_database(pg_url)) as store:
        store.append("goal", GOAL_KEY, {}, who="m")
        with pytest.raises(sa.exc.IntegrityError, match="TRUNCATE is not allowed"):
            with store.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE events"))
        assert len(store.history()) == 1


# --- bad input is refused and nothing is written ------------------------------------------

GOOD = ("goal", GOAL_KEY, {"target": 1.0}, "maria", "plan")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        pytest.param(("", "k", {}, "m", None), r"^kind must be a non-empty string", id="kind"),
        pytest.param(("goal", "  ", {}, "m", None), r"^key must be a non-empty", id="key"),
        pytest.param(("goal", "k", {}, "", None), r"^who must be a non-empty", id="who"),
        pytest.param(("goal", "k", {}, None, None), r"^who must be a non-empty", id="who-none"),
        pytest.param(("goal", "k", [1], "m", None), r"^data must be a dict", id="data-list"),
        pytest.param(
            ("goal", "k", {"x": object()}, "m", None), r"^data\['x'\] is a object", id="object"
        ),
        pytest.param(
            ("goal", "k", {"x": {"y": [1, {2}]}}, "m", None),
            r"^data\['x'\]\['y'\]\[1\] is a set",
            id="nested-set",
        ),
        pytest.param(
            ("goal", "k", {"x": float("inf")}, "m", None), r"^data\['x'\] is inf", id="inf"
        ),
        pytest.param(("goal", "k", {"x": Decimal("1.5")}, "m", None), r"Decimal", id="decimal"),
        pytest.param(
            ("goal", "k", {1: "a"}, "m", None), r"key 1 that is not a string", id="int-key"
        ),
        pytest.param(("goal", "k", {}, "m", 5), r"^why must be a string", id="why"),
        pytest.param(
            ("goal", "k", {}, "m", None, "1"),
            r"^supersedes must be an event id",
            id="supersedes-type",
        ),
        pytest.param(
            ("goal", "k", {}, "m", None, 999),
            r"event 999, which does not exist",
            id="supersedes-missing",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(store, record, message):
    with pytest.raises(ValueError, match=message):
        store.append(*record)
    with pytest.raises(ValueError, match=message):  # a good record in the same batch is not kept
        store.append_many([GOOD, record])
    assert store.history() == []


def test_a_batch_is_written_whole(store):
    events = store.append_many([GOOD, ("coaching_step", "rep:R001", {"step": 1}, "m", "why")])
    assert store.history() == events
    assert len({e.id for e in events}) == 2 and events[0].at == events[1].at
    assert store.append_many([]) == []


# --- schema -------------------------------------------------------------------------------


def test_the_schema_is_created_once_and_a_newer_one_is_refused(db_url):
    with Store(db_url) as first:
        first.append("goal", GOAL_KEY, {}, who="m")
    with Store(db_url) as again:
        assert len(again.history()) == 1
        with again.engine.begin() as conn:
            conn.execute(sa.text("UPDATE meta SET value = '99' WHERE name = 'schema_version'"))
    with pytest.raises(RuntimeError, match="schema version 99, newer"):
        Store(db_url)


def test_a_workbook_store_is_a_wal_sqlite_file(workdir):
    with Store.for_workbook(workdir) as store:
        store.append("goal", GOAL_KEY, {}, who="m")
        with store.engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
    assert (workdir / DEFAULT_FILENAME).is_file()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 30_000,
        "foreign_keys": 1,
    }


def test_a_missing_folder_or_foreign_database_is_refused(workdir):
    with pytest.raises(ValueError, match="folder for the decisions database does not exist"):
        Store.for_workbook(workdir / "nowhere")
    with pytest.raises(ValueError, match="sqlite and postgresql"):
        Store("mysql://localhost/db")


def test_a_plain_postgresql_url_uses_psycopg(pg_url):
    plain = new_database(pg_url).replace("postgresql+psycopg://", "postgresql://")
    with Store(plain) as store:
        assert store.engine.driver == "psycopg"


def test_default_author(monkeypatch):
    monkeypatch.setenv("SALESCOACH_USER", "Μαρία")
    assert default_author() == "Μαρία"
    monkeypatch.delenv("SALESCOACH_USER")
    assert default_author()


# --- backup -------------------------------------------------------------------------------


def test_dump_and_restore_round_trip(store, other_url, workdir):
    v1 = store.append(
        "goal", GOAL_KEY, {"target": 1.0, "due": dt.date(2026, 9, 30)}, who="maria", why="plan"
    )
    store.append_many(
        [
            ("goal", GOAL_KEY, {"target": 2.0}, "nikos", "market grew", v1.id),
            ("dismissal_review", "rep:R009", {"outcome": "more coaching"}, "maria", "Ανασκόπηση"),
        ]
    )
    backup = workdir / "backup.jsonl"
    assert store.dump(backup) == 3

    with Store(other_url) as copy:
        assert copy.restore(backup) == 3
        assert copy.history() == store.history()
        pd.testing.assert_frame_equal(copy.current("goal"), store.current("goal"))
        # ids go on from the restored ones
        assert copy.append("goal", GOAL_KEY, {}, who="m").id > v1.id + 2

        with pytest.raises(ValueError, match="not empty"):
            copy.restore(backup)
        assert copy.restore(backup, merge=True) == 0  # restoring twice changes nothing
        assert len(copy.history()) == 4

    # A dump from one backend restores into a SQLite file too.
    with Store(f"sqlite:///{workdir / 'restored.sqlite'}") as sqlite_copy:
        sqlite_copy.restore(backup)
        assert sqlite_copy.history() == store.history()


def test_restore_refuses_a_conflicting_or_truncated_dump(store, other_url, workdir):
    store.append("goal", GOAL_KEY, {"target": 1.0}, who="maria")
    backup = workdir / "backup.jsonl"
    store.dump(backup)
    with Store(other_url) as other:
        other.append("goal", GOAL_KEY, {"target": 9.0}, who="someone else")
        with pytest.raises(ValueError, match="Event 1 .* differs"):
            other.restore(backup, merge=True)
        assert len(other.history()) == 1

    truncated = workdir / "truncated.jsonl"
    truncated.write_text(backup.read_text().splitlines()[0] + "\n")
    foreign = workdir / "foreign.jsonl"
    foreign.write_text('{"id": 1}\n')
    with Store(f"sqlite:///{workdir / 'empty.sqlite'}") as empty:
        with pytest.raises(ValueError, match="incomplete"):
            empty.restore(truncated)
        with pytest.raises(ValueError, match="not a salescoach events dump"):
            empty.restore(foreign)
        assert empty.history() == []


# --- several processes at once ------------------------------------------------------------

WRITERS = 4
EVENTS_PER_WRITER = 200


def _writer(url: str, number: int, barrier, results) -> None:
    """One Voila kernel: opens the (possibly new) database with the others, then appends."""
    try:
        barrier.wait(timeout=60)
        with Store(url) as store:
            barrier.wait(timeout=60)
            started = time.perf_counter()
            ids = [
                store.append(
                    "coaching_step",
                    f"rep:R{number:03d}|{i:03d}",
                    {"i": i},
                    who=f"writer{number}",
                    why="load test",
                ).id
                for i in range(EVENTS_PER_WRITER)
            ]
            results.put((number, ids, time.perf_counter() - started, None))
    except BaseException:
        barrier.abort()  # release the others instead of leaving them waiting
        results.put((number, [], 0.0, traceback.format_exc()))


@contextmanager
def _processes(ctx, target, args_list) -> Iterator[list]:
    """Start processes; whatever happens, none outlives the test."""
    processes = [ctx.Process(target=target, args=args, daemon=True) for args in args_list]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=30)


def test_concurrent_writers_lose_nothing(db_url):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WRITERS), ctx.Queue()
    reports = []
    with _processes(ctx, _writer, [(db_url, n, barrier, results) for n in range(WRITERS)]):
        deadline = time.monotonic() + 120
        try:
            while len(reports) < WRITERS:
                reports.append(results.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            pass

    errors = [error for *_, error in reports if error]
    assert errors == []
    assert len(reports) == WRITERS, "a writer neither finished nor reported an error"
    ids = [i for _, written, _, _ in reports for i in written]
    assert len(ids) == len(set(ids)) == WRITERS * EVENTS_PER_WRITER
    with Store(db_url) as store:
        stored = store.history()
    assert sorted(e.id for e in stored) == sorted(ids)
    for number in range(WRITERS):
        mine = [e.data["i"] for e in stored if e.who == f"writer{number}"]
        assert mine == list(range(EVENTS_PER_WRITER))  # each writer's order is kept
    slowest = max(seconds for _, _, seconds, _ in reports)
    print(
        f"\n{make_url(db_url).get_backend_name()}: {WRITERS} writers x {EVENTS_PER_WRITER} "
        f"appends = {len(stored)} events in {slowest:.2f} s "
        f"({len(stored) / slowest:.0f} commits/s)"
    )


BATCH = 100
KILL_AFTER = 50


def _killed_writer(url: str, paused) -> None:
    """Appends a batch and freezes half way through it, to be killed there."""
    store = Store(url)
    inserts = 0

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _pause(conn, cursor, statement, parameters, context, executemany):
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            inserts += 1
            if inserts == KILL_AFTER:
                paused.set()
                time.sleep(120)

    store.append_many(
        [
            ("training_assignment", f"rep:R{i:03d}|crm", {"course": "crm"}, "m", "batch")
            for i in range(BATCH)
        ]
    )


def test_a_writer_killed_mid_batch_leaves_no_partial_batch(db_url):
    with Store(db_url) as store:
        before = store.append("goal", GOAL_KEY, {"target": 1.0}, who="maria", why="plan")
        ctx = multiprocessing.get_context("spawn")
        paused = ctx.Event()
        with _processes(ctx, _killed_writer, [(db_url, paused)]) as (writer,):
            assert paused.wait(timeout=60), "the writer never reached the middle of its batch"
            assert store.history(kind="training_assignment") == []  # readers are not blocked
            os.kill(writer.pid, signal.SIGKILL)
            writer.join(timeout=30)
        assert writer.exitcode == -signal.SIGKILL

    with Store(db_url) as reopened:
        assert reopened.history() == [before]
        after = reopened.append("goal", GOAL_KEY, {"target": 2.0}, who="maria", why="still ok")
        assert reopened.history() == [before, after]
    if db_url.startswith("sqlite"):
        with closing(sqlite3.connect(sqlite_path(db_url))) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_appends_on_postgresql_are_stored_in_the_order_of_their_times(pg_url):
    """Two servers save the same goal at once. The version in force is the newest id
    (`current`), so the newest id must be the one saved last: anna's save has taken its time
    but not yet inserted when bob's whole save runs. (Without serialising the appends, bob's
    later version got the lower id and anna's earlier one stayed in force.)"""
    url = new_database(pg_url)
    held, release, saved = threading.Event(), threading.Event(), {}
    with Store(url) as anna, Store(url) as bob:

        @sa.event.listens_for(anna.engine, "before_cursor_execute")
        def _hold(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
                held.set()
                release.wait(timeout=60)

        def save(store, who):
            saved[who] = store.append("goal", GOAL_KEY, {"target": len(who)}, who=who, why="plan")

        first = threading.Thread(target=save, args=(anna, "anna"))
        first.start()
        try:
            assert held.wait(timeout=60), "anna's append never reached its insert"
            second = threading.Thread(target=save, args=(bob, "bob"))
            second.start()
            second.join(timeout=2)  # serialised: bob waits for anna's transaction
        finally:
            release.set()
            first.join(timeout=60)
        second.join(timeout=60)
        assert set(saved) == {"anna", "bob"}
        by_id = sorted(saved.values(), key=lambda e: e.id)
        assert [e.at for e in by_id] == sorted(e.at for e in by_id), by_id
        in_force = bob.current("goal").set_index("key").loc[GOAL_KEY]
        assert in_force["who"] == max(saved.values(), key=lambda e: e.at).who == "bob"


def test_switching_a_new_file_to_wal_waits_for_another_process_opening_it():
    """SQLite refuses the switch to WAL at once ("database is locked", no busy_timeout) while
    another process opens the same new file: the switch is tried again until it holds, and an
    error that is not a lock is not swallowed."""
    import sqlite3

    from salescoach.data.store import _switch_to_wal

    class Cursor:
        def __init__(self, locked: int, error: str = "database is locked"):
            self.locked, self.error, self.mode, self.calls = locked, error, "delete", 0

        def execute(self, sql):
            self.calls += 1
            if sql.endswith("= WAL"):
                if self.locked:
                    self.locked -= 1
                    raise sqlite3.OperationalError(self.error)
                self.mode = "wal"
            return self

        def fetchone(self):
            return (self.mode,)

    cursor = Cursor(locked=3)
    _switch_to_wal(cursor)
    assert cursor.mode == "wal" and cursor.locked == 0
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _switch_to_wal(Cursor(locked=1, error="disk I/O error"))
