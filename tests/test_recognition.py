"""Recognition: bonus arithmetic at the boundaries, budgets, ties, rules on the sample."""

import pandas as pd
import pytest

from salescoach import recognition as r
from salescoach.errors import InputError
from salescoach.fmt import Formatter

TIERS = ((0.0, 0.0), (0.8, 0.5), (1.0, 1.0), (1.2, 1.5))
MARGINAL = r.BonusPlan(base=1000.0, tiers=TIERS, mode="marginal", cap=0.5)
TIERED = r.BonusPlan(base=1000.0, tiers=TIERS, mode="tiered", cap=2.0)


@pytest.mark.parametrize(
    "plan, attainment, expected",
    [
        # marginal: 0.8-1.0 at 0.5 = 0.1; above 1.0 at 1.0; above 1.2 at 1.5; capped at 0.5 x base.
        (MARGINAL, 0.999, 99.5),
        (MARGINAL, 1.0, 100.0),
        (MARGINAL, 1.001, 101.0),
        (MARGINAL, 1.2, 300.0),
        (MARGINAL, 1.5, 500.0),  # 0.1 + 0.2 + 0.45 = 0.75 x base, capped at 0.5
        (MARGINAL, 0.5, 0.0),
        # tiered: everything at the highest rate reached.
        (TIERED, 0.999, 499.5),
        (TIERED, 1.0, 1000.0),
        (TIERED, 1.001, 1001.0),
        (TIERED, 1.5, 2000.0),  # 1.5 x 1.5 = 2.25, capped at 2.0
        (TIERED, float("nan"), 0.0),
    ],
)
def test_bonus_boundaries(plan, attainment, expected):
    assert plan.payout(attainment) == pytest.approx(expected)


def test_tiers_must_increase():
    with pytest.raises(InputError, match="increasing order"):
        r.BonusPlan(base=1, tiers=((1.0, 1.0), (0.8, 0.5)))


def test_budget_scales_pro_rata_and_totals():
    att = pd.Series({"a": 1.2, "b": 1.0, "c": 0.7})
    cost = r.plan_cost(TIERED, att, budget=1100.0)
    assert cost["payout"].sum() == pytest.approx(1800.0 + 1000.0)
    assert cost["paid"].sum() == pytest.approx(1100.0, abs=0.02)
    assert cost.attrs["scaled_by"] == pytest.approx(1100 / 2800)
    whatif = r.what_if(TIERED, att, (0.0, 0.2))
    # +0.2: a 1.4 x 1.5 = 2.1, capped at 2.0; b 1.2 x 1.5 = 1.8; c 0.9 x 0.5 = 0.45.
    assert whatif["cost"].tolist() == pytest.approx([2800.0, 2000.0 + 1800.0 + 450.0])


def test_ranks_with_ties():
    ranks = r.rank_with_ties(pd.Series({"a": 1.3, "b": 1.1, "c": 1.1, "d": 0.9}))
    assert ranks.to_dict() == {"a": "1", "b": "=2", "c": "=2", "d": "4"}


STANDINGS = pd.DataFrame(
    {
        "name": ["Ana", "Bo", "Cy", "Di"],
        "attainment": [1.3, 1.1, 1.1, 0.9],
        "goal": [100.0, 100.0, 100.0, 100.0],
        "revenue": [130.0, 110.0, 110.0, 90.0],
        "periods_met": [3, 1, 0, 0],
        "improvement": [0.1, 0.3, 0.0, -0.1],
        "feedback": [9.0, 9.5, 9.9, 10.0],
        "feedback_responses": [10, 10, 10, 2],
        "trailing": [100.0, 100.0, 60.0, 100.0],
    },
    index=["a", "b", "c", "d"],
)


def _program(*rules, budget=0.0, offices=1):
    return r.ProgramSettings(
        budget=budget, leave_day_cost=200.0, offices=offices, rules=tuple(rules), plan=TIERED
    )


def test_rules_write_their_sentences_and_ties_are_stated():
    rules = (
        r.AwardRule("met", "met_goal", "cash_share", amount=0.1),
        r.AwardRule("top2", "top_n", "trip", amount=500, n=2),
        r.AwardRule("steady", "consistent", "leave_days", amount=2, n=3),
        r.AwardRule("improved", "most_improved", "title"),
        r.AwardRule("voice", "best_feedback", "cash_fixed", amount=50, min_responses=5),
    )
    out = r.awards(STANDINGS, _program(*rules), Formatter())
    got = out.groupby("rule")["rep_id"].apply(sorted).to_dict()
    assert got == {
        "met": ["a", "b", "c"],
        "top2": ["a", "b", "c"],
        "steady": ["a"],
        "improved": ["b"],
        "voice": ["c"],
    }
    met_a = out[(out.rule == "met") & (out.rep_id == "a")].iloc[0]
    assert met_a["amount"] == pytest.approx(3.0)  # 10% of 30 above goal
    assert "Ana reached 130% of the goal" in met_a["sentence"]
    tied = out[(out.rule == "top2") & (out.rep_id == "b")].iloc[0]["sentence"]
    assert "ranked 2 (tied)" in tied
    assert out[(out.rule == "steady")].iloc[0]["amount"] == 400.0


def test_offices_by_rank_and_budget_scaling():
    rules = (
        r.AwardRule("office", "top_n", "office", n=3),
        r.AwardRule("trip", "met_goal", "trip", amount=1000),
    )
    out = r.awards(STANDINGS, _program(*rules, budget=1500.0, offices=1), Formatter())
    offices = out[out.rule == "office"]
    assert offices["granted"].tolist() == [True, False, False]
    assert "No office is free" in offices.iloc[1]["sentence"]
    assert out[out.rule == "trip"]["amount"].sum() == pytest.approx(1500.0)
    assert "within its budget" in out[out.rule == "trip"].iloc[0]["sentence"]


def test_fairness_easy_goal_and_rates():
    easy = r.easy_goals(STANDINGS, 0.8)
    assert easy.to_dict() == {"a": False, "b": False, "c": False, "d": False}
    low_goal = STANDINGS.assign(goal=[100.0, 100.0, 40.0, 100.0], trailing=[100.0] * 4)
    assert r.easy_goals(low_goal, 0.8)["c"]
    reps = pd.DataFrame(
        {"rep_id": list("abcd"), "team": ["X", "X", "Y", "Y"], "role": ["seller"] * 4}
    )
    awarded = pd.DataFrame({"rep_id": ["a", "c"], "granted": [True, True]})
    rates = r.award_rates(awarded, reps, "team")
    assert rates["rate"].to_dict() == {"X": 0.5, "Y": 0.5}


def test_retention_risks_give_reasons():
    s = STANDINGS.assign(activity_trend=[-0.4, 0.0, 0.0, 0.0], periods_unrecognised=[0, 4, 0, 0])
    risks = r.retention_risks(s, unrecognised=3).set_index("rep_id")
    assert "activity down 40%" in risks.loc["a", "reasons"]


def test_missed_goal_context_names_late_deliveries():
    text = r.missed_goal_context(0.43, 0.12, 0.96, Formatter())
    assert (
        "Missed the goal (96%)" in text and "43% of their orders arrived late against 12%" in text
    )
    assert "Late deliveries" not in r.missed_goal_context(0.1, 0.12, 0.96, Formatter())


def test_unknown_rule_fields_are_refused():
    with pytest.raises(InputError, match="qualifies"):
        r.AwardRule("x", "tallest", "title")


def test_sample_top_performers_qualify_and_victim_is_explained(sample_workbook, ground_truth):
    from salescoach.services import recognition as service

    found = service.candidates(sample_workbook, "2026-Q3")
    winners = set(found.loc[found["rule"] == "goal_met", "rep_id"])
    top = {g["scope_id"] for g in ground_truth if g["cause"] == "top_performer"}
    assert top <= winners
    victim = next(g["scope_id"] for g in ground_truth if g["cause"] == "late_delivery_victim")
    assert victim not in winners
    text = service.explain_missed(sample_workbook, "2026-Q3", victim)
    assert "Missed the goal" in text and "arrived late" in text
