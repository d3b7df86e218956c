"""The coaching ladder: proposals on hand-made histories, the store conventions, the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.domain import coaching
from salescoach.errors import InputError

REP = pd.DataFrame({"cause": ["rep"], "evidence": ["low activity"]})
TRAIN = pd.DataFrame({"cause": ["training"], "evidence": ["loses on Storage"]})
NONE = pd.DataFrame(columns=["cause", "evidence"])


def _steps(*steps):
    return pd.DataFrame({"rep_id": ["R1"] * len(steps), "step": list(steps)})


@pytest.mark.parametrize(
    "findings, steps, sessions, before, now, expected",
    [
        (NONE, _steps(), 0, 0.8, 0.8, "none"),
        (TRAIN, _steps(), 0, 0.7, 0.7, "training_assigned"),
        (REP, _steps(), 0, 0.7, 0.7, "coaching_plan"),
        (REP, _steps("coaching_plan"), 1, 0.7, 0.72, "improvement_plan"),
        (REP, _steps("coaching_plan", "improvement_plan"), 2, 0.7, 0.72, "improvement_plan"),
        (
            REP,
            _steps("training_assigned", "coaching_plan", "improvement_plan"),
            2,
            0.7,
            0.72,
            "dismissal_review",
        ),
        (
            REP,
            _steps("training_assigned", "coaching_plan", "improvement_plan"),
            2,
            0.7,
            0.9,
            "improvement_plan",
        ),
        (REP, _steps("coaching_plan"), 1, 0.7, 1.05, "coaching_plan"),
    ],
)
def test_proposal(findings, steps, sessions, before, now, expected):
    assert coaching.propose("R1", findings, steps, sessions, before, now).proposed == expected


@pytest.mark.parametrize(
    "text, ok", [("call Acme@2026-10-01", True), ("no date", False), ("@2026-10-01", False)]
)
def test_parse_action(text, ok):
    if ok:
        assert coaching.parse_action(text) == ("call Acme", pd.Timestamp("2026-10-01"))
    else:
        with pytest.raises(ValueError):
            coaching.parse_action(text)


def test_overdue_actions_skip_done_and_future():
    sessions = pd.DataFrame(
        {
            "key": ["R1|t"],
            "rep_id": ["R1"],
            "actions": [["a@2026-01-01", "b@2026-01-02", "c@2027-01-01"]],
        }
    )
    out = coaching.overdue_actions(sessions, {"R1|t#2"}, pd.Timestamp("2026-06-01"))
    assert out["text"].tolist() == ["a"]


def test_service_rules(sample_workbook):
    from salescoach.services import coaching as svc

    rep = sample_workbook.facts()["reps"]["rep_id"].iloc[-2]
    with pytest.raises(InputError):
        svc.record_step(sample_workbook, rep, "coaching_plan", "", "m")
    with pytest.raises(InputError):
        svc.record_step(sample_workbook, rep, "dismissal_review", "no record yet", "m")
    with pytest.raises(InputError):
        svc.record_session(sample_workbook, rep, "notes", ["no due date"], "m")
    assert coaching.current_step(svc.steps(sample_workbook), rep) == "none"


def test_cli_diagnose_json_and_coach(sample_workbook):
    runner = CliRunner()
    base = ["--workbook", str(sample_workbook.root)]
    out = runner.invoke(main, base + ["diagnose", "--period", "2026-Q3", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and {"scope", "scope_id", "cause", "impact", "evidence", "owner", "action"} <= set(
        rows[0]
    )
    rep = sample_workbook.facts()["reps"]["rep_id"].iloc[-1]
    out = runner.invoke(
        main,
        base
        + [
            "coach",
            "session",
            rep,
            "--notes",
            "pipeline review",
            "--action",
            "call lapsed accounts@2020-01-01",
        ],
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, base + ["coach", "overdue"])
    assert "call lapsed accounts" in out.output
    out = runner.invoke(main, base + ["coach", "step", rep, "--to", "bogus", "--reason", "x"])
    assert out.exit_code == 2
    for step in ("training_assigned", "coaching_plan", "dismissal_review"):
        out = runner.invoke(
            main, base + ["coach", "step", rep, "--to", step, "--reason", "gap stays"]
        )
        assert out.exit_code == 0, out.output
    out = runner.invoke(main, base + ["coach", "list", rep])
    assert "dismissal review" in out.output  # the step as people say it
    # A rep with no records says so; an id the workbook does not know is refused, not empty.
    other = sample_workbook.facts()["reps"]["rep_id"].iloc[0]
    out = runner.invoke(main, base + ["coach", "list", other])
    assert out.exit_code == 0 and f"No coaching records for {other} yet." in out.output
    out = runner.invoke(main, base + ["coach", "list", "NOBODY-1"])
    assert out.exit_code != 0 and "unknown rep 'NOBODY-1'" in out.output, out.output
    out = runner.invoke(main, base + ["diagnose", "--period", "2026-Q3", "--by-owner"])
    assert out.exit_code == 0 and "logistics" in out.output
