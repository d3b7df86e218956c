"""Recognition: bonus arithmetic at the boundaries, budgets, ties, rules, fairness, retention,
awards as decisions, and the sample organisation's planted top performers and victim."""

import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.domain import recognition as r
from salescoach.domain.fmt import Formatter
from salescoach.errors import InputError

FMT = Formatter()
TIERS = ((0.0, 0.0), (0.8, 0.5), (1.0, 1.0), (1.2, 1.5))
MARGINAL = r.BonusPlan(base=1000.0, tiers=TIERS, mode="marginal", cap=None)
MARGINAL_CAPPED = r.BonusPlan(base=1000.0, tiers=TIERS, mode="marginal", cap=0.5)
TIERED = r.BonusPlan(base=1000.0, tiers=TIERS, mode="tiered", cap=2.0)


@pytest.mark.parametrize(
    "plan, attainment, expected",
    [
        # marginal: 0.8-1.0 paid at 0.5, 1.0-1.2 at 1.0, above 1.2 at 1.5 (x base 1000).
        (MARGINAL, 0.5, 0.0),
        (MARGINAL, 0.999, 99.5),  # 0.199 x 0.5
        (MARGINAL, 1.0, 100.0),  # 0.2 x 0.5
        (MARGINAL, 1.001, 101.0),  # + 0.001 x 1.0
        (MARGINAL, 1.2, 300.0),  # 0.1 + 0.2
        (MARGINAL, 1.5, 750.0),  # 0.1 + 0.2 + 0.3 x 1.5
        (MARGINAL_CAPPED, 1.2, 300.0),  # under the cap of 0.5 x base
        (MARGINAL_CAPPED, 1.5, 500.0),  # 750 capped
        # tiered: all of the attainment at the rate of the highest tier reached.
        (TIERED, 0.799, 0.0),
        (TIERED, 0.999, 499.5),  # 0.999 x 0.5
        (TIERED, 1.0, 1000.0),  # 1.0 x 1.0: the cliff at the goal
        (TIERED, 1.001, 1001.0),
        (TIERED, 1.3, 1950.0),  # 1.3 x 1.5, just under the cap
        (TIERED, 1.5, 2000.0),  # 2.25 capped at 2.0
        (TIERED, float("nan"), 0.0),
        (TIERED, -0.2, 0.0),
    ],
)
def test_bonus_boundaries(plan, attainment, expected):
    assert plan.payout(attainment) == pytest.approx(expected)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tiers": ((1.0, 1.0), (0.8, 0.5))}, "increasing order"),
        ({"tiers": ((1.0, 1.0), (1.0, 0.5))}, "increasing order"),
        ({"tiers": ((1.0, -1.0),)}, "cannot be negative"),
        ({"tiers": ((1.0, 1.0),), "mode": "stepped"}, "marginal or tiered"),
    ],
)
def test_bad_plans_are_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        r.BonusPlan(base=1, **kwargs)


@pytest.mark.parametrize(
    "budget, paid_total, factor",
    [
        (None, 2800.0, 1.0),  # a: 1.2 x 1.5 = 1800, b: 1000, c: 0.7 under the first paid tier
        (5000.0, 2800.0, 1.0),
        (2800.0, 2800.0, 1.0),
        (1400.0, 1400.0, 0.5),
    ],
)
def test_budget_scales_pro_rata_and_totals(budget, paid_total, factor):
    cost = r.plan_cost(TIERED, pd.Series({"a": 1.2, "b": 1.0, "c": 0.7}), budget=budget)
    assert cost["payout"].sum() == pytest.approx(2800.0)
    assert cost["paid"].sum() == pytest.approx(paid_total, abs=0.02)
    assert cost.attrs["scaled_by"] == pytest.approx(factor)
    assert (cost["paid"] <= cost["payout"]).all()


def test_what_if_costs_both_modes():
    att = pd.Series({"a": 1.2, "b": 1.0, "c": 0.7})
    table = r.what_if(TIERED, att, (0.0, 0.2)).set_index("shift")
    # +0.2 tiered: a 1.4 x 1.5 = 2.1 capped at 2.0; b 1.2 x 1.5 = 1.8; c 0.9 x 0.5 = 0.45.
    assert table.loc[0.2, "tiered"] == pytest.approx(2000 + 1800 + 450)
    # +0.2 marginal: a 0.1 + 0.2 + 0.2 x 1.5 = 0.6; b 0.1 + 0.2 = 0.3; c 0.1 x 0.5 = 0.05.
    assert table.loc[0.2, "marginal"] == pytest.approx(600 + 300 + 50)
    assert table.loc[0.0, "cost"] == table.loc[0.0, "tiered"]


@pytest.mark.parametrize(
    "values, digits, expected",
    [
        ({"a": 1.3, "b": 1.1, "c": 1.1, "d": 0.9}, 3, {"a": "1", "b": "=2", "c": "=2", "d": "4"}),
        # 110.03% and 109.98% read the same at 0.1%: a shared rank.
        ({"a": 1.10003, "b": 1.09998, "c": 1.0}, 3, {"a": "=1", "b": "=1", "c": "3"}),
        ({"a": 1.10003, "b": 1.09998, "c": 1.0}, 5, {"a": "1", "b": "2", "c": "3"}),
        ({"a": 1.0, "b": np.nan}, 3, {"a": "1", "b": ""}),
    ],
)
def test_ranks_with_ties(values, digits, expected):
    assert r.rank_with_ties(pd.Series(values), digits).to_dict() == expected


# A small hand-made period: four sellers in two teams, their history and what rules read.
def standings(**columns) -> pd.DataFrame:
    base = {
        "name": ["Ana", "Bo", "Cy", "Di"],
        "team": ["X", "X", "Y", "Y"],
        "department": ["D", "D", "D", "D"],
        "role": ["seller"] * 4,
        "eligible": [True] * 4,
        "ineligible": [""] * 4,
        "goal": [100.0] * 4,
        "actual": [130.0, 110.0, 110.0, 90.0],
        "attainment": [1.3, 1.1, 1.1, 0.9],
        "projected_attainment": [1.3, 1.1, 1.1, 0.9],
        "improvement": [0.1, 0.3, 0.0, -0.1],
        "feedback": [9.0, 9.5, 9.9, 10.0],
        "feedback_responses": [10, 10, 10, 2],
        "trailing": [100.0] * 4,
        "activities": [100.0] * 4,
        "trailing_activities": [100.0] * 4,
        "recognised_recently": [True] * 4,
        "awards_recorded": [True] * 4,
        "late_share": [0.05] * 4,
        "department_late_share": [0.05] * 4,
        "rest_late_share": [0.05] * 4,
        "attainment:2026-Q1": [1.2, 0.9, 1.05, 0.8],
        "attainment:2026-Q2": [1.25, 0.8, 1.0, 1.0],
        "attainment:2026-Q3": [1.3, 1.1, 1.1, 0.9],
    }
    base.update(columns)
    frame = pd.DataFrame(base, index=pd.Index(["a", "b", "c", "d"], name="rep_id"))
    frame["goal_ratio"] = frame["goal"] / frame["trailing"]
    return frame


def program(*rules, **kwargs) -> r.ProgramSettings:
    settings = dict(leave_day_cost=200.0, offices=1, rules=tuple(rules), plan=TIERED)
    settings.update(kwargs)
    return r.ProgramSettings(**settings)


def test_rules_select_and_write_their_sentences():
    rules = (
        r.AwardRule("met", "met_goal", "cash_share", amount=0.1),
        r.AwardRule("top2", "top_n", "trip", amount=500, n=2),
        r.AwardRule("steady", "consistent", "leave_days", amount=2, n=3),
        r.AwardRule("improved", "most_improved", "title", n=1, label="Most improved"),
        r.AwardRule("voice", "best_feedback", "cash_fixed", amount=50, n=1, min_responses=5),
        r.AwardRule("team_best", "top_n", "title", n=1, within="team", label="Team best"),
    )
    result = r.propose(standings(), program(*rules), "2026-Q3", FMT)
    got = result.awards.groupby("rule")["rep_id"].apply(sorted).to_dict()
    assert got == {
        "met": ["a", "b", "c"],
        "top2": ["a", "b", "c"],  # b and c tie for 2nd: both in
        "steady": ["a", "c"],  # c: 105%, 100%, 110%
        "improved": ["b"],
        "voice": ["c"],  # d has the best score but only 2 responses
        "team_best": ["a", "c"],  # best of each team; d is below the goal
    }
    row = result.awards.set_index(["rule", "rep_id"])
    assert row.loc[("met", "a"), "amount"] == pytest.approx(3.0)  # 10% of 30 above goal
    assert row.loc[("met", "a"), "sentence"] == (
        "Ana reached 130% of the Q3 2026 goal (€130 against €100): a bonus of €3, 10.0% of the "
        "€30 above goal."
    )
    assert "ranked =2 of 3 in the company" in row.loc[("top2", "b"), "sentence"]
    assert row.loc[("steady", "c"), "cost"] == 400.0  # 2 days x 200
    assert "lowest 100%" in row.loc[("steady", "c"), "sentence"]
    assert any("share rank =2 at the cut-off of the top 2" in n for n in result.notes)


def test_a_rule_sentence_from_settings_uses_the_placeholders():
    rule = r.AwardRule("met", "met_goal", "title", sentence="{name}: {attainment} in {period}")
    text = r.propose(standings(), program(rule), "2026-Q3", FMT).awards["sentence"].iloc[0]
    assert text.startswith("Ana: 130% in Q3 2026: the title")
    bad = r.AwardRule("met", "met_goal", "title", sentence="{nme}")
    with pytest.raises(InputError, match="unknown placeholder"):
        r.propose(standings(), program(bad), "2026-Q3", FMT)


def test_ineligible_reps_never_qualify_and_say_why():
    s = standings(eligible=[True, True, False, True], ineligible=["", "", "left", ""])
    result = r.propose(s, program(r.AwardRule("met", "met_goal", "title")), "2026-Q3", FMT)
    assert sorted(result.awards["rep_id"]) == ["a", "b"]
    why = r.status_sentences(s, result.awards, program(), "2026-Q3", FMT)
    assert why["c"] == "Cy left before the end of Q3 2026, so no award."


@pytest.mark.parametrize(
    "budget, factor, paid",
    [
        (0.0, 1.0, {"a": 1950.0, "b": 1100.0, "c": 1100.0}),  # no limit
        (10000.0, 1.0, {"a": 1950.0, "b": 1100.0, "c": 1100.0}),
        (2075.0, 0.5, {"a": 975.0, "b": 550.0, "c": 550.0}),
    ],
)
def test_cash_over_budget_is_scaled_pro_rata_and_stated(budget, factor, paid):
    rule = r.AwardRule("bonus", "met_goal", "bonus_plan")
    result = r.propose(standings(), program(rule, cash_budget=budget), "2026-Q3", FMT)
    assert result.cash_before == pytest.approx(4150.0)  # tiered: 1.3 x 1.5, 1.1 x 1.0, 1.1 x 1.0
    assert result.scaled_by == pytest.approx(factor)
    assert result.awards.set_index("rep_id")["amount"].to_dict() == pytest.approx(paid)
    assert result.cash == pytest.approx(sum(paid.values()))
    scaled = [n for n in result.notes if "scaled down pro rata" in n]
    assert bool(scaled) == (factor < 1)
    if factor < 1:
        assert "scaled to 50.0% to keep within the budget" in result.awards["sentence"].iloc[0]


def test_noncash_rewards_go_by_rank_until_the_budget_is_spent():
    rules = (
        r.AwardRule("trip", "met_goal", "trip", amount=1000),
        r.AwardRule("leave", "met_goal", "leave_days", amount=2),
    )
    result = r.propose(standings(), program(*rules, noncash_budget=2500.0), "2026-Q3", FMT)
    # By rank: a's trip 1000 + leave 400, then b/c tied at =2 (by rep_id): b's trip 1000 fits
    # (2400), the rest does not.
    funded = sorted(zip(result.awards["rule"], result.awards["rep_id"]))
    assert funded == [("leave", "a"), ("trip", "a"), ("trip", "b")]
    assert result.noncash_cost == pytest.approx(2400.0)
    assert sorted(result.unfunded["rep_id"]) == ["b", "c", "c"]
    assert "Not funded" in result.unfunded["sentence"].iloc[0]
    assert any("go unfunded, by rank" in n for n in result.notes)
    assert result.cost == pytest.approx(2400.0)


@pytest.mark.parametrize(
    "offices, given, tie_note",
    [
        (1, ["a"], False),
        (2, ["a", "b", "c"], True),  # b and c tie for the last office: both proposed, stated
        (3, ["a", "b", "c"], False),
    ],
)
def test_offices_go_by_rank_and_a_tie_for_the_last_is_stated(offices, given, tie_note):
    rule = r.AwardRule("office", "top_n", "office", n=4, min_attainment=0.0)
    result = r.propose(standings(), program(rule, offices=offices), "2026-Q3", FMT)
    assert sorted(result.awards["rep_id"]) == given
    assert any("for the last 1 of 2 offices" in n for n in result.notes) == tie_note
    assert set(result.unfunded["rep_id"]) == {"a", "b", "c", "d"} - set(given)


def test_leaderboard_states_ties_and_lists_badges():
    s = standings()
    badges = pd.DataFrame(
        {"rep_id": ["a", "a", "b"], "award": ["Goal bonus", "Trip", "Goal bonus"]}
    )
    board = r.leaderboard(s, 3, badges)
    assert board["rank_label"].tolist() == ["1", "=2", "=2", "4"]
    assert board.loc["a", "badges"] == "Goal bonus, Trip"
    assert r.tie_notes(board, FMT) == ["Bo, Cy share rank =2 with 110.0%."]


def test_award_rates_by_team_against_the_company():
    awards = pd.DataFrame({"rep_id": ["a", "c", "c"]})
    rates = r.award_rates(standings(), awards, "team")
    assert rates["rate"].to_dict() == {"X": 0.5, "Y": 0.5}
    assert rates["company_rate"].iloc[0] == 0.5


def test_a_low_goal_is_flagged_when_it_alone_makes_the_award():
    # Ten peers with goals near their trailing results and one at 60%: Q1 98.25%, IQR 2.5
    # points, so the fence sits at 98.25% - 1.5 x 2.5 = 94.5% (printed 94%, half to even).
    n = 10
    s = pd.DataFrame(
        {
            "name": [f"R{i}" for i in range(n)],
            "role": "seller",
            "eligible": True,
            "trailing": 100.0,
            "goal": [100.0, 98, 102, 101, 99, 100, 97, 103, 100, 60],
            "actual": [100.0, 95, 104, 99, 96, 101, 99, 100, 98, 75],
        },
        index=pd.Index([f"r{i}" for i in range(n)], name="rep_id"),
    )
    s["goal_ratio"] = s["goal"] / s["trailing"]
    s["attainment"] = s["actual"] / s["goal"]
    low = r.low_goals(s, fence=1.5)
    assert list(low.index) == ["r9"]
    awards = pd.DataFrame(
        {"rep_id": ["r9", "r2"], "rule": ["met", "met"], "award": ["Goal bonus"] * 2}
    )
    flags = r.fairness_flags(s, awards, program(r.AwardRule("met", "met_goal", "title")), FMT)
    assert flags["rep_id"].tolist() == ["r9"]
    assert flags["sentence"].iloc[0] == (
        "R9's goal is 60% of their trailing results while peers' median is 100% (flagged below "
        "94%); with a goal set like peers' (€100) they would have reached 75% and not qualified "
        "for: Goal bonus."
    )
    # Lower the fence: nobody stands out.
    assert r.low_goals(s, fence=20).empty


@pytest.mark.parametrize(
    "columns, payouts, reason",
    [
        ({"activities": [60.0, 100, 100, 100]}, {}, "activity down 40%"),
        (
            {"recognised_recently": [False, True, True, True]},
            {},
            "no award approved in the last 3 periods",
        ),
        # Without any award decided in the window, that reason says nothing: not given.
        ({"recognised_recently": [False] * 4, "awards_recorded": [False] * 4}, {}, None),
        # a earns 130 like b, c, d (within 40%), paid 100 against their median 1000.
        (
            {"actual": [130.0, 120, 125, 128]},
            {"a": 100.0, "b": 1000.0, "c": 1000.0, "d": 900.0},
            "paid €100 against a median of €1,000",
        ),
    ],
)
def test_retention_risks_give_reasons(columns, payouts, reason):
    s = standings(**columns)
    prog = program(top_share=0.25, similar_results=0.4)
    risks = r.retention_risks(s, pd.Series(payouts, dtype=float), prog, FMT)
    if reason is None:
        assert risks.empty
    else:
        assert risks["rep_id"].tolist() == ["a"]  # the top quarter by mean attainment
        assert reason in risks["reasons"].iloc[0]


@pytest.mark.parametrize(
    "mine, dept, rest, late_sentence",
    [
        (0.45, 0.32, 0.06, True),
        (0.45, 0.07, 0.06, False),
        (0.05, 0.32, 0.06, False),
        (np.nan, 0.3, 0.06, False),
    ],
)
def test_a_missed_goal_is_explained_with_late_deliveries_of_the_department(
    mine, dept, rest, late_sentence
):
    s = standings(
        late_share=[mine] * 4, department_late_share=[dept] * 4, rest_late_share=[rest] * 4
    )
    text = r.status_sentences(
        s,
        pd.DataFrame({"rep_id": ["a", "b", "c"]}),
        program(late_delivery_ratio=1.5),
        "2026-Q3",
        FMT,
    )["d"]
    assert text.startswith("Di missed the Q3 2026 goal (90%), so no goal award.")
    assert ("Late deliveries in D explain part of it" in text) == late_sentence


def test_attainment_near_the_goal_keeps_a_decimal():
    assert r.attainment_text(FMT, 0.9997) == "100.0%"
    assert r.attainment_text(FMT, 0.9949) == "99%"
    assert r.attainment_text(FMT, 1.26) == "126%"


@pytest.mark.parametrize(
    "values, message",
    [
        ({"name": "x", "qualifies": "tallest", "reward": "title"}, "qualifies"),
        ({"name": "x", "qualifies": "top_n", "reward": "yacht"}, "reward"),
        ({"name": "x", "qualifies": "top_n", "reward": "title", "within": "planet"}, "within"),
        ({"name": "x|y", "qualifies": "top_n", "reward": "title"}, "without '|'"),
        ({"name": "x", "qualifies": "top_n", "reward": "title", "colour": "red"}, "unknown key"),
    ],
)
def test_bad_rules_are_refused(values, message):
    from salescoach.settings import Settings, SettingsError

    # An unknown key is the settings model's to refuse; a bad choice is the award rule's.
    with pytest.raises((InputError, SettingsError), match=message):
        r.ProgramSettings.from_settings(Settings.from_dict({"recognition": {"rules": [values]}}))


@pytest.mark.parametrize(
    "key, parsed",
    [
        (
            "award:2026-Q3|goal_met|R001",
            {"period": "2026-Q3", "rule": "goal_met", "rep_id": "R001"},
        ),
        ("rep:R001|2026-Q3", {"period": "2026-Q3", "rule": "manual", "rep_id": "R001"}),
        ("goal:x", None),
    ],
)
def test_award_keys(key, parsed):
    assert r.parse_award_key(key) == parsed
    if key.startswith("award:"):
        assert r.award_key(**parsed) == key


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def q3(sample_workbook):
    from salescoach.services import recognition as service

    got = service.inputs(sample_workbook, "2026-Q3")
    return got, service.proposal(sample_workbook, "2026-Q3", given=got)


def test_sample_top_performers_qualify(q3, ground_truth):
    _got, result = q3
    top = {g["scope_id"] for g in ground_truth if g["cause"] == "top_performer"}
    assert top
    for rule in ("goal_met", "consistent"):
        assert top <= set(result.awards.loc[result.awards["rule"] == rule, "rep_id"]), rule
    # The best of the board are planted top performers.
    board = r.leaderboard(_got.standings, 3)
    assert set(board.index[: len(top)]) == top


def test_sample_late_delivery_victim_is_told_why(q3, ground_truth):
    got, result = q3
    victim = next(g for g in ground_truth if g["cause"] == "late_delivery_victim")
    assert victim["scope_id"] not in set(result.awards["rep_id"])
    text = r.status_sentences(got.standings, result.awards, got.program, "2026-Q3", got.fmt)[
        victim["scope_id"]
    ]
    assert text.startswith(f"{victim['name']} missed the Q3 2026 goal")
    assert f"Late deliveries in {victim['department']} explain part of it" in text
    # Reps of other departments who missed are not told about late deliveries.
    others = got.standings[
        (got.standings["department"] != victim["department"]) & got.standings["eligible"]
    ]
    missed = others[others["attainment"] < 1].index
    texts = r.status_sentences(got.standings, result.awards, got.program, "2026-Q3", got.fmt)
    assert len(missed) and not any("Late deliveries" in texts.get(i, "") for i in missed)


def test_sample_support_staff_are_not_ranked_with_sellers(q3):
    got, result = q3
    support = got.standings[got.standings["role"] == "support"]
    assert len(support) and not support["eligible"].any()
    assert not set(support.index) & set(result.awards["rep_id"])


@pytest.fixture
def own_workbook(sample_workbook, tmp_path):
    """A copy of the sample workbook with an empty decisions store of its own."""
    from salescoach.data.workbook import Workbook

    root = tmp_path / "wb"
    shutil.copytree(
        sample_workbook.root,
        root,
        ignore=shutil.ignore_patterns("decisions.sqlite*", "packs", "reports"),
    )
    return Workbook.open(root)


def test_awards_are_decisions_with_each_step_recorded(own_workbook):
    from salescoach.services import recognition as service

    wb = own_workbook
    result, stored = service.propose(wb, "2026-Q3", "maria")
    assert len(stored) == len(result.awards) > 0
    assert stored[0].key.startswith("award:2026-Q3|")
    assert {e.data["status"] for e in stored} == {"proposed"}
    rep = result.awards["rep_id"].iloc[0]
    with pytest.raises(InputError, match="needs a reason"):
        service.decide(wb, "2026-Q3", "approved", "maria", " ", rep_ids=(rep,))
    with pytest.raises(InputError, match="cannot become communicated"):
        service.decide(wb, "2026-Q3", "communicated", "maria", "told", rep_ids=(rep,))
    approved = service.decide(wb, "2026-Q3", "approved", "maria", "great quarter", rep_ids=(rep,))
    service.decide(wb, "2026-Q3", "communicated", "nikos", "told in 1:1", keys=(approved[0].key,))
    # Proposing again leaves decided awards alone and does not repeat unchanged proposals.
    _again, stored_again = service.propose(wb, "2026-Q3", "maria")
    assert stored_again == []
    now = service.current(wb, "2026-Q3").set_index("key")
    assert now.loc[approved[0].key, "status"] == "communicated"
    assert now.loc[approved[0].key, "who"] == "nikos"
    assert pd.notna(now.loc[approved[0].key, "proposed_at"]) and pd.notna(
        now.loc[approved[0].key, "approved_at"]
    )
    with wb.store() as store:
        assert [e.data["status"] for e in store.history("award", key=approved[0].key)] == [
            "proposed", "approved", "communicated",
        ]  # fmt: skip
    pack = service.awards(wb, scope="rep", scope_id=rep, period="2026-Q3")
    assert isinstance(pack, pd.DataFrame) and len(pack) == len(approved)
    assert service.awards(wb, scope="rep", scope_id="R999", period="2026-Q3") == (
        "No award approved for this period."
    )


def test_cli_propose_approve_list_leaderboard(own_workbook, monkeypatch):
    from salescoach.cli import main

    monkeypatch.setenv("SALESCOACH_USER", "maria")
    run = CliRunner().invoke
    wb = ["--workbook", str(own_workbook.root)]
    out = run(main, [*wb, "awards", "propose", "--period", "2026-Q3", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "Stored" not in out.output and "awards, cash" in out.output
    out = run(main, [*wb, "awards", "propose", "--period", "2026-Q3"])
    assert out.exit_code == 0 and "Stored" in out.output
    out = run(
        main,
        [
            *wb,
            "awards",
            "approve",
            "--period",
            "2026-Q3",
            "--rule",
            "office",
            "--reason",
            "best two",
        ],
    )
    assert out.exit_code == 0 and "2 awards now approved" in out.output, out.output
    out = run(main, [*wb, "awards", "approve", "--period", "2026-Q3", "--rule", "office"])
    assert out.exit_code == 2  # --reason is required
    out = run(main, [*wb, "awards", "approve", "--period", "2026-Q9", "--all", "--reason", "x"])
    assert out.exit_code == 2 and "not a period" in out.output
    out = run(main, [*wb, "awards", "list", "--period", "2026-Q3", "--status", "approved"])
    assert out.output.count("award:2026-Q3|office|") == 2
    out = run(main, [*wb, "awards", "leaderboard", "--period", "2026-Q3", "--top", "3"])
    assert out.exit_code == 0 and out.output.splitlines()[0].strip().startswith("1 ")
    out = run(main, [*wb, "awards", "budget", "--period", "2026-Q3"])
    assert out.exit_code == 0 and "tiered" in out.output


def test_leaderboard_and_budget_charts():
    from salescoach.domain import charts

    board = r.leaderboard(standings(), 3, pd.DataFrame({"rep_id": ["a"], "award": ["Goal bonus"]}))
    fig = charts.leaderboard_bars(board, "Attainment", FMT, top=3)
    ax = fig.axes[0]
    # Best on top: the y axis runs upwards, so the labels read bottom to top.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["=2  Cy", "=2  Bo", "1  Ana"]
    assert charts.to_png(fig).startswith(b"\x89PNG")
    spent = pd.Series({"Cash": 120.0, "Non-cash": 50.0})
    fig = charts.budget_bars(spent, pd.Series({"Cash": 100.0, "Non-cash": 80.0}), "Budget", FMT)
    colours = [p.get_facecolor()[:3] for p in fig.axes[0].patches]
    assert colours[0] != colours[1]  # cash over its budget stands out


def test_support_staff_who_sell_stand_as_sellers_on_their_own_sales():
    """Pat (reps.role: support) closes deals of their own: ranked with sellers on them. Sam
    (support) only assists: not ranked, as before."""
    from salescoach.domain.periods import Period

    period = Period.parse("2026-Q3")
    reps = pd.DataFrame(
        {
            "rep_id": ["PAT", "SUE", "SAM"],
            "name": ["Pat", "Sue", "Sam"],
            "team": ["T1", "T1", "T1"],
            "department": ["D1", "D1", "D1"],
            "role": ["support", "seller", "support"],
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2", "D3", "D4", "D5"],
            "rep_id": ["PAT", "PAT", "PAT", "SUE", "SUE"],
            "support_rep_id": [None, None, None, "PAT", "SAM"],
            "stage": ["won"] * 5,
            "close_date": [pd.Timestamp("2026-07-10")] * 5,
            "amount": [100.0] * 5,
        }
    )
    history = pd.DataFrame(
        {
            "rep_id": ["PAT", "SUE", "SAM"],
            "period": "2026-Q3",
            "goal": 100.0,
            "actual": [300.0, 200.0, 0.0],
            "attainment": [3.0, 2.0, 0.0],
            "projected_attainment": [3.0, 2.0, 0.0],
        }
    )
    s = r.standings({"reps": reps, "deals": deals}, history, period, program())
    assert s.loc["PAT", "role"] == "seller" and s.loc["PAT", "eligible"]
    assert s.loc["SAM", "role"] == "support" and not s.loc["SAM", "eligible"]
    assert s.loc["SAM", "ineligible"] == "support"
