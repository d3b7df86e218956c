"""Every decision kind through the CLI, the app and the service: the same checks, the same
sentences, the same keys. The registry (salescoach.domain.decisions) names what each kind holds."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from click.testing import CliRunner

from salescoach.app import Context, decisions as app
from salescoach.cli import main
from salescoach.data.store import Store
from salescoach.data.workbook import Workbook
from salescoach.domain import decisions as registry
from salescoach.errors import InputError
from salescoach.services import coaching, goals, recognition, training

TODAY = dt.date.today()
WHO = "tester"
# In the sample organisation (seed 7, data to 2026-09-30): R055 left on 2025-03-27, R032 is
# support staff, 2026-Q2 has closed, 2026-Q3 is current and 2026-Q4 has not started.
LEAVER, SUPPORT, SELLER = "R055", "R032", "R001"


@pytest.fixture(scope="module")
def wb(sample_workbook, tmp_path_factory):
    """A private copy: these tests write decisions."""
    root = tmp_path_factory.mktemp("decisions") / "wb"
    shutil.copytree(
        sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
    )
    return Workbook.open(root)


@pytest.fixture(scope="module")
def ctx(wb):
    context = Context(wb, who=WHO, today=TODAY)
    yield context
    context.close()


# Each case: the kind, then how the service, the app and the CLI are asked the same thing
# (None where a path has no such write), and the outcome: "ok", "warn" or a message's words.
def goal(rep, period, target=1000.0, reason="plan", force=False):
    return (
        "goal",
        period,
        lambda wb, ctx: goals.set_goal(
            wb, "rep", rep, period, target, reason, WHO, "other", "revenue", force=force
        ),
        lambda wb, ctx: app.set_goal(
            ctx, "revenue", target, reason, scope="rep", scope_id=rep, override=force
        ),
        ["goals", "set", "--scope", "rep", "--id", rep, "--period", period]
        + ["--target", str(target), "--reason", reason, "--because", "other"]
        + (["--force"] if force else []),
    )


def ack(rep, period, comment="fine"):
    return (
        "goal_ack",
        period,
        lambda wb, ctx: goals.acknowledge(wb, rep, period, "agreed", WHO, comment),
        lambda wb, ctx: app.record_goal_discussion(ctx, rep, comment, True),
        ["goals", "ack", rep, "--period", period, "--agreed", "--comment", comment],
    )


def assign(rep, course="CRS01", due="2999-01-01", reason="lost on price"):
    return (
        "training_assignment",
        "2026-Q3",
        lambda wb, ctx: training.assign(wb, rep, course, due, reason, WHO, today=TODAY),
        lambda wb, ctx: app.assign_training(ctx, rep, course, dt.date.fromisoformat(due), reason),
        ["training", "assign", rep, course, "--due", due, "--reason", reason],
    )


def step(rep, to="coaching_plan", reason="second miss", period="2026-Q3"):
    return (
        "coaching_step",
        period,
        lambda wb, ctx: coaching.record_step(wb, rep, to, reason, WHO, period),
        lambda wb, ctx: app.move_on_ladder(ctx, rep, to, reason),
        ["coach", "step", rep, "--to", to, "--reason", reason, "--period", period],
    )


def session(rep, notes="pipeline review", action="call lapsed accounts@2999-01-01", follow=None):
    follow_args = ["--follow-up", follow] if follow else []
    follow_day = dt.date.fromisoformat(follow) if follow else None
    return (
        "coaching",
        "2026-Q3",
        lambda wb, ctx: coaching.record_session(
            wb, rep, notes, [action], WHO, "2026-Q3", follow, today=TODAY
        ),
        lambda wb, ctx: app.log_coaching(ctx, rep, notes, [action], follow_day),
        ["coach", "session", rep, "--notes", notes, "--action", action, "--period", "2026-Q3"]
        + follow_args,
    )


def award(rep, period, amount=100.0, reason="beat the target", name="trip"):
    return (
        "award_approval",
        period,
        lambda wb, ctx: recognition.grant(wb, rep, period, name, amount, reason, WHO),
        lambda wb, ctx: app.approve_award(ctx, rep, name, amount, reason),
        ["awards", "grant", rep, "--period", period, "--award", name]
        + ["--amount", str(amount), "--reason", reason],
    )


def communicate(rep, period, reason):
    return (
        "award_communication",
        period,
        lambda wb, ctx: recognition.decide(wb, period, "communicated", WHO, reason, rep_ids=(rep,)),
        None,  # the app does not communicate awards
        ["awards", "communicate", "--period", period, "--rep", rep, "--reason", reason],
    )


CASES = [
    (goal(SELLER, "2026-Q4"), "ok"),
    (goal("R007", "2026-Q2"), "has already closed"),
    (goal("R007", "2026-Q2", force=True), "ok"),
    (goal(LEAVER, "2026-Q4"), "R055 left on"),
    (goal(SUPPORT, "2026-Q4"), "is support staff"),
    (goal("NOPE", "2026-Q4"), "unknown rep NOPE"),
    (goal(SELLER, "2026-Q4", target=-5.0), "cannot be negative"),
    (goal(SELLER, "2026-Q4", reason=" "), "needs a reason"),
    (ack(SELLER, "2026-Q3"), "ok"),
    (ack(LEAVER, "2026-Q3"), "R055 left on"),
    (ack(SUPPORT, "2026-Q3"), "is support staff"),
    (ack("NOPE", "2026-Q3"), "unknown rep NOPE"),
    (assign(SELLER), "ok"),
    (assign(LEAVER), "R055 left on"),
    (assign("NOPE"), "unknown rep NOPE"),
    (assign(SELLER, reason=" "), "A reason is required"),
    (assign(SELLER, due="2000-01-01"), "cannot be in the past"),
    (step(SELLER), "ok"),
    (step(LEAVER), "R055 left on"),
    (step(SELLER, reason=" "), "A reason is required"),
    (step(SELLER, to="bogus"), "Unknown coaching step"),
    (session(SELLER), "ok"),
    (session(SUPPORT), "ok"),  # support staff are coached too
    (session(LEAVER), "R055 left on"),
    (session(SELLER, notes=" "), "is required"),
    (session(SELLER, action="no due date"), "text@YYYY-MM-DD"),
    (session(SELLER, follow="2000-01-01"), "cannot be in the past"),
    (award(SELLER, "2026-Q3"), "ok"),
    (award(SELLER, "2026-Q4"), "warn"),
    (award(LEAVER, "2026-Q3"), "R055 left on"),
    (award(SUPPORT, "2026-Q3"), "is support staff"),
    (award(SELLER, "2026-Q3", amount=-1.0), "cannot be negative"),
    (award(SELLER, "2026-Q3", reason=" "), "A reason is required"),
    (communicate(SELLER, "2026-Q3", " "), "needs a reason"),
]


def _last(wb, store_kind):
    with Store.for_workbook(wb.data_dir) as store:
        events = store.history(store_kind)
    return events[-1] if events else None


def _shape(key: str) -> str:
    """A key with its time stamp blanked (a session's key holds the time it was recorded)."""
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", key)


def _through_python(call, wb, ctx):
    try:
        result = call(wb, ctx)
    except InputError as exc:
        return ("refused", str(exc)), None
    saved = result[0] if isinstance(result, list) else result
    warnings = tuple(getattr(saved, "warnings", ()))
    event = getattr(saved, "event", saved)
    return ("warn" if warnings else "ok", warnings), event


def _through_cli(args, wb):
    result = CliRunner().invoke(
        main, ["--workbook", str(wb.root), *args], env={"SALESCOACH_USER": WHO}
    )
    if result.exit_code == 2:
        return ("refused", result.output.strip().removeprefix("Error: ")), None
    assert result.exit_code == 0, result.output
    warnings = tuple(
        line.removeprefix("Warning: ")
        for line in result.output.splitlines()
        if line.startswith("Warning: ")
    )
    return ("warn" if warnings else "ok", warnings), True


@pytest.mark.parametrize(
    "case, expected", CASES, ids=[f"{c[0]}-{i}-{e[:20]}" for i, (c, e) in enumerate(CASES)]
)
def test_each_kind_says_the_same_through_the_cli_the_app_and_the_service(wb, ctx, case, expected):
    kind_name, period, service_call, app_call, cli_args = case
    kind = registry.KINDS[kind_name]
    ctx.update(period=period)
    outcomes, keys = {}, {}
    for path in ("service", "app", "cli"):
        before = _last(wb, kind.store_kind)
        if path == "cli":
            outcome, wrote = _through_cli(cli_args, wb)
        elif path == "app" and app_call is None:
            continue
        else:
            outcome, wrote = _through_python(
                service_call if path == "service" else app_call, wb, ctx
            )
        outcomes[path] = outcome
        after = _last(wb, kind.store_kind)
        if wrote is None:
            assert after == before, f"{path} wrote although it refused"
            continue
        assert after is not None and after != before
        keys[path] = _shape(after.key)
        assert set(after.data) <= set(kind.fields), f"{path} stored fields the registry omits"
        if kind.name != "coaching":
            assert after.key == kind.key_of(after.data)
        assert after.who == WHO
    assert len(set(outcomes.values())) == 1, outcomes
    status, detail = next(iter(outcomes.values()))
    if expected in ("ok", "warn"):
        assert status == expected, detail
        assert len(set(keys.values())) == 1, keys
    else:
        assert status == "refused" and expected in detail, detail


def test_a_closed_periods_goal_changed_by_override_says_so_in_the_record(wb):
    event = goals.set_goal(wb, "rep", "R007", "2026-Q2", 5.0, "audit fix", WHO, force=True)
    assert event.data["override"] is True
    current = goals.set_goal(wb, "rep", "R007", "2026-Q4", 5.0, "plan", WHO, force=True)
    assert "override" not in current.data  # --force on an open period overrides nothing


def test_every_store_kind_written_is_in_the_registry():
    from salescoach.domain import (
        attainment,
        coaching as ladder,
        goals as goal_rules,
        recognition as rules,
    )
    from salescoach.services import training as training_service

    for store_kind in (
        attainment.GOAL_KIND,
        goal_rules.ACK_KIND,
        training_service.ASSIGNMENT_KIND,
        ladder.STEP_KIND,
        ladder.SESSION_KIND,
        ladder.ACTION_DONE_KIND,
        rules.AWARD_KIND,
    ):
        assert store_kind in registry.STORE_KINDS
    # One key builder per kind: the domain modules hand out the registry's own.
    assert attainment.goal_key is registry.goal_key
    assert goal_rules.ack_key is registry.ack_key
    assert rules.award_key is registry.award_key
    assert training_service.assignment_key is registry.assignment_key
    for kind in registry.KINDS.values():
        module, function = kind.service.split(":")
        assert callable(getattr(__import__(module, fromlist=[function]), function))


def test_backup_and_restore_name_what_they_hold(wb, tmp_path):
    # Its own records, so the test does not lean on what earlier tests of the file wrote.
    with wb.store() as store:
        store.append(
            "goal",
            registry.goal_key("rep", "R001", "2026-Q3", "revenue"),
            {"target": 1.0},
            WHO,
            "backup test",
        )
        store.append(
            "goal_ack",
            registry.ack_key("R001", "2026-Q3"),
            {"outcome": "agreed"},
            WHO,
            "backup test",
        )
    target = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(main, ["--workbook", str(wb.root), "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "goal version" in result.output and "goal discussion" in result.output
