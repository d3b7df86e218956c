"""Training: cadence and due dates, gap suggestions, difference in differences, assignments, CLI."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.domain import training
from salescoach.errors import InputError
from salescoach.services import training as service

T = pd.Timestamp
AS_OF = T("2026-06-30")


def _reps(n=1):
    return pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n)],
            "name": [f"Rep {i}" for i in range(n)],
            "team": ["A"] * n,
            "hire_date": [T("2020-01-01")] * n,
            "end_date": [pd.NaT] * n,
        }
    )


COURSES = pd.DataFrame(
    {
        "course_id": ["C1", "C2"],
        "title": ["Yearly", "Once"],
        "topic": ["product", "skills"],
        "refresh_days": pd.array([365, pd.NA], dtype="Int64"),
        "product_family": ["F", None],
    }
)


@pytest.mark.parametrize(
    "completed, course, status, due_on",
    [
        (None, "C1", "never", None),
        ("2026-01-01", "C1", "current", "2027-01-01"),
        ("2025-07-30", "C1", "due_soon", "2026-07-30"),  # 30 days ahead: due soon
        ("2025-07-31", "C1", "current", "2026-07-31"),  # 31 days ahead
        ("2025-06-29", "C1", "overdue", "2026-06-29"),
        ("2010-01-01", "C2", "current", None),  # no refresh: current for ever
        ("2026-07-15", "C1", "never", None),  # completed after as_of: not yet
    ],
)
def test_status_follows_the_refresh_cadence(completed, course, status, due_on):
    done = pd.DataFrame(
        {
            "rep_id": ["R0"],
            "course_id": [course],
            "completed_date": [T(completed)] if completed else [pd.NaT],
        }
    ).dropna(subset=["completed_date"])
    table = training.course_status(_reps(), COURSES, done, AS_OF, due_soon_days=30)
    row = table.set_index("course_id").loc[course]
    assert row["status"] == status
    assert (pd.isna(row["due_on"]) and due_on is None) or row["due_on"] == T(due_on)


def test_status_uses_the_latest_completion_and_skips_leavers():
    reps = _reps(2)
    reps.loc[1, "end_date"] = T("2026-01-01")
    done = pd.DataFrame(
        {
            "rep_id": ["R0", "R0"],
            "course_id": ["C1", "C1"],
            "completed_date": [T("2024-01-01"), T("2026-03-01")],
        }
    )
    table = training.course_status(reps, COURSES, done, AS_OF)
    assert set(table["rep_id"]) == {"R0"}
    assert table.set_index("course_id").loc["C1", "status"] == "current"
    cover = training.coverage(table, reps, "team")
    assert cover.loc["A", "in_date_share"] == pytest.approx(0.5)  # C1 current, C2 never


def _rates(rows):
    out = pd.DataFrame(rows, columns=["rep_id", "family", "won", "closed"])
    out["win_rate"] = out["won"] / out["closed"]
    return out


PEERS = [(f"P{i}", "F", 40 + i, 100) for i in range(8)]  # peers win 40-47%


@pytest.mark.parametrize(
    "rep_row, taken, suggested",
    [
        (("X", "F", 10, 100), False, True),  # clearly below, never took C1
        (("X", "F", 10, 100), True, False),  # below but took the course
        (("X", "F", 2, 10), False, False),  # too few deals to judge (min 15)
        (("X", "F", 38, 100), False, False),  # a little below: upper bound above the median
    ],
)
def test_suggestions_need_a_clear_gap_and_no_course(rep_row, taken, suggested):
    rates = _rates([*PEERS, rep_row])
    done = pd.DataFrame(
        {
            "rep_id": ["X"] if taken else [],
            "course_id": ["C1"] if taken else [],
            "completed_date": [T("2025-01-01")] if taken else [],
        }
    )
    rule = training.GapRule(min_deals=15, peer_quantile=0.25, confidence=0.95)
    out = training.suggestions(rates, COURSES, done, rule, AS_OF)
    assert (list(out["rep_id"]) == ["X"]) is suggested
    if suggested:
        assert out.loc[0, "course_id"] == "C1"
        assert out.loc[0, "peer_median"] == pytest.approx(0.435)


def _panel(values):
    months = pd.period_range("2026-01", periods=len(values[0]), freq="M")
    reps = pd.Index([f"R{i}" for i in range(len(values))])
    return pd.DataFrame(np.array(values, float), index=reps, columns=months)


def test_diff_in_diff_known_answer():
    # Rep R0 completes in April: before Jan-Mar, after May-Jul (window 3, April skipped).
    num = _panel(
        [
            [1, 1, 1, 9, 5, 5, 5],  # R0: 1 -> 5 per month (rate 0.1 -> 0.5)
            [2, 2, 2, 9, 3, 3, 3],  # R1: 0.2 -> 0.3
            [4, 4, 4, 9, 3, 3, 3],  # R2: 0.4 -> 0.3
        ]
    )
    den = _panel([[10] * 7] * 3)
    done = pd.DataFrame({"rep_id": ["R0"], "completed_date": [T("2026-04-10")]})
    out = training.diff_in_diff(num, den, done, window=3)
    row = out.iloc[0]
    assert row["before"] == pytest.approx(0.1) and row["after"] == pytest.approx(0.5)
    assert row["control_change"] == pytest.approx(0.0)  # (+0.1 - 0.1) / 2
    assert row["effect"] == pytest.approx(0.4)
    assert row["n_controls"] == 2


def test_diff_in_diff_excludes_reps_trained_in_the_window_and_undefined_results():
    num = _panel([[1, 1, 1, 0, 5, 5, 5], [2, 2, 2, 0, 8, 8, 8], [4, 4, 4, 0, 3, 3, 3], [1] * 7])
    den = _panel([[10] * 7, [10] * 7, [10] * 7, [0, 0, 0, 0, 10, 10, 10]])  # R3: no deals before
    done = pd.DataFrame(
        {"rep_id": ["R0", "R1"], "completed_date": [T("2026-04-01"), T("2026-05-20")]}
    )
    out = training.diff_in_diff(num, den, done, window=3).set_index("rep_id")
    # R0's only control is R2 (R1 trained within the window, R3 undefined before).
    assert out.loc["R0", "n_controls"] == 1
    assert out.loc["R0", "effect"] == pytest.approx(0.4 - (-0.1))


@pytest.mark.parametrize(
    "trained, untrained, conclusive", [(5, 5, True), (4, 9, False), (9, 4, False)]
)
def test_effect_caution_below_the_minimum(trained, untrained, conclusive):
    verdict = training.EffectVerdict(min_trained=5, min_untrained=5)
    assert (verdict.caution_for(trained, untrained) is None) is conclusive


# ----------------------------------------------------------------------------- on the sample


def test_the_planted_training_gap_comes_out_as_suggestions(sample_workbook, ground_truth):
    planted = {
        (g["scope_id"], g["family"], g["course_id"])
        for g in ground_truth
        if g["cause"] == "training"
    }
    assert planted, "the sample plants a training gap"
    out = service.suggestions(sample_workbook, "2026-Q3")
    assert set(zip(out["rep_id"], out["family"], out["course_id"])) == planted


def test_effects_on_the_sample_carry_sample_sizes(sample_workbook, sample_tables):
    out = service.effects(sample_workbook, "2026-Q3")
    assert set(out["course_id"]) == set(sample_tables["courses"]["course_id"])
    assert (out["reps_trained"] > 0).all() and out["effect"].notna().all()
    for r in out.to_dict("records"):
        assert (service.effect_caution(r) == "") is r["conclusive"]


def test_status_on_the_sample_has_every_kind(sample_workbook):
    table = service.status(sample_workbook, "2026-Q3")
    assert set(table["status"]) == set(training.STATUSES)


@pytest.mark.parametrize(
    "rep, course, due, reason, error",
    [
        ("NOPE", "CRS01", "2999-01-01", "x", "unknown rep"),
        ("R001", "NOPE", "2999-01-01", "x", "unknown course"),
        ("R001", "CRS01", "2000-01-01", "x", "past"),
        ("R001", "CRS01", "2999-01-01", "  ", "reason"),
        ("R001", "CRS01", "someday", "x", "due date"),
    ],
)
def test_assign_refuses_bad_input_and_writes_nothing(
    sample_workbook, rep, course, due, reason, error
):
    with sample_workbook.store() as store:
        before = len(store.history(service.ASSIGNMENT_KIND))
    with pytest.raises(InputError, match=error):
        service.assign(sample_workbook, rep, course, due, reason, "tester")
    with sample_workbook.store() as store:
        assert len(store.history(service.ASSIGNMENT_KIND)) == before


def test_assign_records_a_decision(sample_workbook):
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    event = service.assign(sample_workbook, "R002", "CRS03", due, "loses on networking", "tester")
    assert event.key == "rep:R002|CRS03"
    assert event.data == {
        "rep_id": "R002",
        "course_id": "CRS03",
        "due_on": due,
        "reason": "loses on networking",
    }
    assert event.who == "tester" and event.why == "loses on networking"


@pytest.mark.parametrize(
    "args, expect, code",
    [
        (["training", "suggest", "--period", "2026-Q3"], "take", 0),
        (["training", "status", "--period", "2026-Q3", "--team", "East A"], "East A", 0),
        (["training", "effect"], "reps trained", 0),
        (
            ["training", "assign", "R001", "CRS01", "--due", "2000-01-01", "--reason", "x"],
            "past",
            2,
        ),
        (["training", "suggest", "--period", "soon"], "unknown period", 2),
    ],
)
def test_cli(sample_workbook, args, expect, code):
    result = CliRunner().invoke(main, ["--workbook", str(sample_workbook.root), *args])
    assert result.exit_code == code, result.output
    assert expect in result.output


@pytest.mark.parametrize("seed", [11])
def test_the_training_gap_comes_out_on_another_seed(seed):
    from salescoach.data.sample import build_sample

    sample = build_sample(seed=seed)
    t = sample.tables
    planted = {
        (g["scope_id"], g["course_id"]) for g in sample.ground_truth if g["cause"] == "training"
    }
    rules = training.TrainingRules()
    end = T("2026-09-30")
    rates = training.family_win_rates(
        t["deals"], t["products"], end - pd.Timedelta(days=rules.suggestion_window_days), end
    )
    rule = training.GapRule(rules.min_deals, rules.peer_quantile, rules.confidence)
    out = training.suggestions(rates, t["courses"], t["training"], rule, end)
    assert set(zip(out["rep_id"], out["course_id"])) == planted
