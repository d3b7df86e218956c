"""The decisions store: an append-only log of the manager's decisions in a SQL database.

Goals and their versions, acknowledgements, coaching steps, training assignments, awards and
dismissal reviews are records that must never be lost, so every change is a new row in one
``events`` table, with who made it, when and why. Nothing is updated or deleted in place: the
current state of a record is its latest event (:meth:`Store.current`), and its history is all
of them (:meth:`Store.history`).

The database is a SQLite file in the workbook folder by default, or a PostgreSQL server given
by URL when several managers share one. This module is an edge: it imports no other salescoach
module, and the domain modules never import it.

Example::

    store = Store.for_workbook(Path("my-workbook"))
    store.append("goal", "rep:R001|2026-Q3|revenue", {"target": 120_000.0},
                 who=default_author(), why="Q3 plan agreed with R001")
    store.current("goal")      # one row per key: key, target, at, who, why, event_id
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from salescoach.data.store_records import (
    DUMP_FORMAT as DUMP_FORMAT,
    SCHEMA_VERSION as SCHEMA_VERSION,
    Event as Event,
    _dump_line,
    _frame,
    _read_dump,
    _Record,
    _record,
    _require_text,
    _utc,
)

__all__ = ["SCHEMA_VERSION", "DEFAULT_FILENAME", "Event", "Store", "default_author"]

DEFAULT_FILENAME = "decisions.sqlite"

# A writer waits this long for another process's write transaction before giving up. Decisions
# are written a few at a time by people, so a long wait is better than a lost click.
BUSY_TIMEOUT_S = 30


# What Voila names the login header (`commands.logins.LOGIN_HEADER`) in a page's kernel.
SERVED_LOGIN = "HTTP_X_SALESCOACH_LOGIN"


def default_author() -> str:
    """The name to record as ``who``, which is also the login the access file is read for:
    the JupyterHub user (``JUPYTERHUB_USER``, set by the hub, so a hub user cannot pass as
    another), else the login of a `serve --password-hash LOGIN=HASH` page
    (``HTTP_X_SALESCOACH_LOGIN``, set by the server after the password check), else
    ``SALESCOACH_USER``, else the OS login name."""
    for variable in ("JUPYTERHUB_USER", SERVED_LOGIN, "SALESCOACH_USER"):
        name = os.environ.get(variable, "").strip()
        if name:
            return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user with no passwd entry and no LOGNAME
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


# --- schema -------------------------------------------------------------------------------

_metadata = sa.MetaData()

_events = sa.Table(
    "events",
    _metadata,
    # SQLite's AUTOINCREMENT (sqlite_autoincrement below) never reuses an id, so an id quoted
    # in a letter or a dump names one event forever.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("key", sa.Text(), nullable=False),
    sa.Column("data", sa.Text(), nullable=False),
    sa.Column("why", sa.Text(), nullable=True),
    sa.Column(
        "supersedes",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("events.id"),
        nullable=True,
    ),
    sa.Index("events_kind_key", "kind", "key", "id"),
    sa.Index("events_key", "key"),
    sqlite_autoincrement=True,
)

_meta = sa.Table(
    "meta",
    _metadata,
    sa.Column("name", sa.Text(), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

# Append-only is enforced by the database, not only by this module: a notebook cell, a
# migration script or a colleague with a SQL client reaches the same file or server, and a
# decision record that someone "fixed" in place is a record lost. A correction is a new event.
# (The owner of the database can still drop the triggers; they stop accidents, not attackers.)
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END""",
]
_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION salescoach_events_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
           RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
               USING ERRCODE = 'restrict_violation';
       END
       $$""",
    "DROP TRIGGER IF EXISTS events_no_update_delete ON events",
    """CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION salescoach_events_append_only()""",
    # Row triggers do not fire on TRUNCATE, which would otherwise empty the log in one go.
    "DROP TRIGGER IF EXISTS events_no_truncate ON events",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION salescoach_events_append_only()""",
]
# Serialises schema creation when several kernels open a fresh PostgreSQL database at once.
_PG_SCHEMA_LOCK = 0x5A1E5C0AC4
# Serialises appends on PostgreSQL, as SQLite's BEGIN IMMEDIATE does (see append_many).
_PG_APPEND_LOCK = 0x5A1E5C0AC5

# Steps from version n to n + 1, run in one transaction. Version 1 is the first schema.
_MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


# --- input checks -------------------------------------------------------------------------


def _dumps(data: dict[str, Any]) -> str:
    # Fields keep the caller's order, which becomes the column order of frames.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _db_time(value: dt.datetime, dialect: str) -> dt.datetime:
    value = value.astimezone(dt.UTC)
    # SQLite has no time zones: store naive UTC, text sortable as "YYYY-MM-DD HH:MM:SS.ffffff".
    return value.replace(tzinfo=None) if dialect == "sqlite" else value


# --- the store ----------------------------------------------------------------------------


def _normalise_url(url: str | os.PathLike[str]) -> sa.URL:
    if isinstance(url, os.PathLike):
        return sa.URL.create("sqlite", database=os.fspath(url))
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql") and parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the one we ship
    elif backend not in ("sqlite", "postgresql"):
        raise ValueError(f"The decisions store supports sqlite and postgresql URLs, not {backend}.")
    return parsed


def _switch_to_wal(cursor) -> None:
    """WAL lets Voila kernels read while another one writes; it is a property of the file, so
    only the first connection ever has to switch it on. Switching needs the file to itself, and
    SQLite answers "database is locked" at once, without waiting busy_timeout, when another
    process opens a new decisions file at the same moment (two kernels starting; seen once in
    CI's four-writer test): wait for it, as busy_timeout would, until the file is in WAL."""
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not memory:
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ValueError(f"The folder for the decisions database does not exist: {folder}.")
    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        **({"poolclass": StaticPool} if memory else {}),
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not memory:
            _switch_to_wal(cursor)
        # FULL, not NORMAL: in WAL mode NORMAL survives a crashed process but may lose the
        # last commits on power loss or an OS crash. Decisions are written by hand, a few a
        # minute, so one fsync per commit costs nothing anyone notices and loses nothing.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writes take the write lock at BEGIN (IMMEDIATE), where SQLite waits busy_timeout for
        # it. A deferred transaction that reads and then writes cannot wait: in WAL mode it
        # fails at once with "database is locked" when another process wrote in between.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """An append-only log of decisions in SQLite or PostgreSQL.

    Parameters
    ----------
    url:
        ``"sqlite:///path/to/decisions.sqlite"`` or ``"postgresql+psycopg://user@host/db"``
        (``postgresql://`` is read as psycopg 3). Tables and triggers are created on first use.

    Example
    -------
    >>> store = Store("sqlite://")
    >>> event = store.append("award", "rep:R001|2026-Q2", {"award": "trip"}, who="maria",
    ...                      why="beat the Q2 target by 30%")
    >>> store.current("award")[["key", "award", "who"]].to_dict("records")
    [{'key': 'rep:R001|2026-Q2', 'award': 'trip', 'who': 'maria'}]
    """

    def __init__(self, url: str | os.PathLike[str]):
        self._url = _normalise_url(url)
        if self._url.get_backend_name() == "sqlite":
            self._engine = _sqlite_engine(self._url)
        else:
            # Voila kernels live for days; a server restart must not break the next click.
            self._engine = sa.create_engine(self._url, pool_pre_ping=True)
        self._dialect = self._engine.dialect.name
        try:
            self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def for_workbook(cls, folder: Path, url: str | None = None) -> Store:
        """The workbook's store: ``url`` if given, else ``folder/decisions.sqlite``."""
        if url:
            return cls(url)
        return cls(Path(folder) / DEFAULT_FILENAME)

    # -- plumbing

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for read-only SQL and for tests."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Release every connection; the store cannot be used afterwards."""
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite
            yield conn

    @contextmanager
    def _read(self, snapshot: bool = False) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            if self._dialect == "sqlite":
                conn.execution_options(sqlite_begin="DEFERRED")  # WAL readers never block
            elif snapshot:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def _schema_version(self, conn: Connection) -> int | None:
        if not sa.inspect(conn).has_table("meta"):
            return None
        value = conn.execute(
            sa.select(_meta.c.value).where(_meta.c.name == "schema_version")
        ).scalar_one_or_none()
        return None if value is None else int(value)

    def _ensure_schema(self) -> None:
        with self._read() as conn:
            if self._schema_version(conn) == SCHEMA_VERSION:
                return
        with self._write() as conn:
            if self._dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
            version = self._schema_version(conn)  # again: another process may have won
            if version is None:
                _metadata.create_all(conn)
                for statement in (
                    _POSTGRES_TRIGGERS if self._dialect == "postgresql" else _SQLITE_TRIGGERS
                ):
                    conn.execute(sa.text(statement))
                conn.execute(
                    sa.insert(_meta).values(name="schema_version", value=str(SCHEMA_VERSION))
                )
                return
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"The decisions database {self.url} has schema version {version}, newer "
                    f"than this salescoach understands ({SCHEMA_VERSION}); upgrade salescoach."
                )
            while version < SCHEMA_VERSION:
                _MIGRATIONS[version](conn)
                version += 1
            conn.execute(
                sa.update(_meta).where(_meta.c.name == "schema_version").values(value=str(version))
            )

    def _event(self, row: sa.Row) -> Event:
        return Event(
            id=int(row.id),
            at=_utc(row.at),
            who=row.who,
            kind=row.kind,
            key=row.key,
            data=json.loads(row.data),
            why=row.why,
            supersedes=None if row.supersedes is None else int(row.supersedes),
        )

    def _check_superseded(
        self, conn: Connection, records: Sequence[_Record], new_ids: Iterable[int] = ()
    ) -> None:
        wanted = {r.supersedes for r in records if r.supersedes is not None} - set(new_ids)
        if not wanted:
            return
        found = set(conn.execute(sa.select(_events.c.id).where(_events.c.id.in_(wanted))).scalars())
        missing = sorted(wanted - found)
        if missing:
            raise ValueError(f"supersedes refers to event {missing[0]}, which does not exist.")

    # -- writing

    def append(
        self,
        kind: str,
        key: str,
        data: dict,
        who: str,
        why: str | None = None,
        supersedes: int | None = None,
    ) -> Event:
        """Store one decision and return it as stored (with its id and UTC time).

        ``data`` may hold text, numbers, booleans, dates (stored as ISO text), lists and dicts.
        ``supersedes`` optionally names an earlier event this one corrects.
        """
        return self.append_many([(kind, key, data, who, why, supersedes)])[0]

    def append_many(self, records: Sequence[tuple]) -> list[Event]:
        """Store several decisions in one transaction: all of them or, on any error, none.

        Each record is ``(kind, key, data, who, why)``, optionally followed by ``supersedes``.
        """
        checked = []
        for number, record in enumerate(records, start=1):
            if not isinstance(record, (tuple, list)) or len(record) not in (5, 6):
                raise ValueError(f"Record {number} must be a tuple (kind, key, data, who, why).")
            checked.append(_record(*record))
        if not checked:
            return []
        events = []
        with self._write() as conn:
            if self._dialect == "postgresql":
                # A serial id is drawn at INSERT and commits land in any order, so two servers
                # saving the same goal at once could give the later save the lower id, and
                # `current` (the newest id) would keep the earlier version in force. Taking
                # this lock first makes appends one at a time, as on SQLite: id order, time
                # order and commit order are one order. Held until commit; decisions come a
                # few a minute, so nobody waits noticeably.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_APPEND_LOCK})
            self._check_superseded(conn, checked)
            # Taken inside the transaction, after the lock (PostgreSQL) or BEGIN IMMEDIATE
            # (SQLite): writers are serialised here, so the time order of events matches
            # their id order.
            at = dt.datetime.now(dt.UTC)
            for r in checked:
                result = conn.execute(
                    sa.insert(_events).values(
                        at=_db_time(at, self._dialect),
                        who=r.who,
                        kind=r.kind,
                        key=r.key,
                        data=_dumps(r.data),
                        why=r.why,
                        supersedes=r.supersedes,
                    )
                )
                events.append(r.event(int(result.inserted_primary_key[0]), at))
        return events

    # -- reading

    def history(
        self, kind: str | None = None, key: str | None = None, key_prefix: str | None = None
    ) -> list[Event]:
        """Every stored event, oldest first, optionally only one kind, one key or a key prefix."""
        if key is not None and key_prefix is not None:
            raise ValueError("Give either key or key_prefix, not both.")
        query = sa.select(_events).order_by(_events.c.id)
        if kind is not None:
            query = query.where(_events.c.kind == kind)
        if key is not None:
            query = query.where(_events.c.key == key)
        if key_prefix:
            # substr, not LIKE: SQLite's LIKE ignores case and "%" or "_" may be in a key.
            query = query.where(sa.func.substr(_events.c.key, 1, len(key_prefix)) == key_prefix)
        with self._read() as conn:
            return [self._event(row) for row in conn.execute(query)]

    def current(self, kind: str) -> pd.DataFrame:
        """The latest event of each key of ``kind``, one row per key, sorted by key.

        Columns: ``key``, the data fields, ``at``, ``who``, ``why``, ``event_id``. A data field
        that shares a name with one of these appears as ``data.<name>``.
        """
        _require_text("kind", kind)
        latest = (
            sa.select(sa.func.max(_events.c.id))
            .where(_events.c.kind == kind)
            .group_by(_events.c.key)
        )
        query = (
            sa.select(_events)
            .where(_events.c.id.in_(latest.scalar_subquery()))
            .order_by(_events.c.key)
        )
        with self._read() as conn:
            events = [self._event(row) for row in conn.execute(query)]
        return _frame(events, before=["key"], after=["at", "who", "why", "event_id"])

    def revision(self, kinds: Iterable[str] | None = None) -> tuple[int, int]:
        """(how many events, the newest id) of ``kinds`` (every kind by default).

        It changes with every append by any process, and only then (nothing is ever deleted),
        so a view computed from the store can be kept until it changes: a server's own count
        of its writes misses those of another server sharing the database.
        """
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(_events.c.id), 0))
        if kinds is not None:
            query = query.where(_events.c.kind.in_(sorted(set(kinds))))
        with self._read() as conn:
            count, newest = conn.execute(query).one()
        return int(count), int(newest)

    def frame(self, kind: str | None = None) -> pd.DataFrame:
        """All events (or those of ``kind``) oldest first, with data fields as columns."""
        return _frame(
            self.history(kind=kind),
            before=["event_id", "at", "who", "kind", "key"],
            after=["why", "supersedes"],
        )

    # -- backup

    def dump(self, path: str | os.PathLike[str]) -> int:
        """Write every event to a JSON lines file and return how many.

        The first line is a header naming the format, the schema version and the count; each
        further line is one event with its id and UTC time. The file is replaced atomically.
        """
        path = Path(path)
        with self._read(snapshot=True) as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(_events)).scalar_one()
            rows = conn.execute(sa.select(_events).order_by(_events.c.id))
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                    header = {
                        "format": DUMP_FORMAT,
                        "schema_version": SCHEMA_VERSION,
                        "count": count,
                    }
                    out.write(json.dumps(header) + "\n")
                    for row in rows:
                        out.write(_dump_line(self._event(row)) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return count

    def restore(self, path: str | os.PathLike[str], merge: bool = False) -> int:
        """Load a :meth:`dump` file, keeping ids and times; return how many events were added.

        An empty database is required unless ``merge=True``; then events whose id is already
        stored are skipped if identical and refused if different. All or nothing.
        """
        events = _read_dump(Path(path))
        with self._write() as conn:
            if self._dialect == "postgresql":
                # No append may slip in between the emptiness check and the inserts.
                conn.execute(sa.text("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"))
            existing = {}
            if events:
                ids = [e.id for e in events]
                existing = {
                    row.id: self._event(row)
                    for row in conn.execute(
                        sa.select(_events).where(_events.c.id.between(min(ids), max(ids)))
                    )
                }
            if not merge:
                stored = conn.execute(sa.select(sa.func.count()).select_from(_events))
                if stored.scalar_one():
                    raise ValueError(
                        f"The decisions database {self.url} is not empty; "
                        "restore into an empty one or pass merge=True."
                    )
            new = []
            for event in sorted(events, key=lambda e: e.id):
                old = existing.get(event.id)
                if old is None:
                    new.append(event)
                elif old != event:
                    raise ValueError(
                        f"Event {event.id} in {path} differs from the stored "
                        f"event {event.id}; nothing was restored."
                    )
            self._check_superseded(conn, new, new_ids=[e.id for e in new])
            for event in new:
                conn.execute(
                    sa.insert(_events).values(
                        id=event.id,
                        at=_db_time(event.at, self._dialect),
                        who=event.who,
                        kind=event.kind,
                        key=event.key,
                        data=_dumps(event.data),
                        why=event.why,
                        supersedes=event.supersedes,
                    )
                )
            if new and self._dialect == "postgresql":
                # Explicit ids do not move the serial sequence; the next append must not
                # collide with a restored id.
                conn.execute(
                    sa.text(
                        "SELECT setval(pg_get_serial_sequence('events', 'id'), "
                        "(SELECT max(id) FROM events))"
                    )
                )
        return len(new)
