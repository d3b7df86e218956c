"""Goals: each factor of a suggestion on hand-made frames, allocation, proration, versions."""

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from salescoach.domain import goals
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError

REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3", "S1"],
        "name": ["Ana", "Bo", "Cy", "Sam"],
        "team": ["T1", "T1", "T2", "T2"],
        "department": ["D", "D", "D", "D"],
        "role": ["seller", "seller", "seller", "support"],
        "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2026-08-16", "2020-01-01"]),
        "end_date": pd.to_datetime([None, "2026-08-15", None, None]),
    }
)
PRODUCTS = pd.DataFrame({"product_id": ["A", "B"], "family": ["FA", "FB"]})


def _orders(amounts: dict[str, float], rep="R1", product="A") -> pd.DataFrame:
    """One order line per period (quarter or month), on the 11th day of its first month."""
    rows = []
    for label, amount in amounts.items():
        p = Period.parse(label)
        rows.append(
            {
                "order_id": f"{rep}-{product}-{label}",
                "rep_id": rep,
                "product_id": product,
                "order_date": p.start + pd.Timedelta(days=10),
                "quantity": 1.0,
                "amount": amount,
                "status": "delivered",
            }
        )
    return pd.DataFrame(rows)


# Two complete years with Q4 twice the other quarters: Q4's share of a year is 2/5, index 1.6.
SEASONAL = {f"{y}-Q{q}": (200.0 if q == 4 else 100.0) for y in (2024, 2025) for q in (1, 2, 3, 4)}


def _tables(orders, market=None, reps=REPS):
    t = {"reps": reps, "orders": orders, "products": PRODUCTS}
    if market is not None:
        t["market"] = market
    return t


NO_STRETCH = goals.SuggestionSettings(stretch=0.0, trailing_periods=4)


def _suggest(tables, scope, scope_id, period, config=NO_STRETCH):
    return goals.suggest(tables, scope, scope_id, Period.parse(period), config=config)


def test_baseline_is_the_deseasonalised_trailing_mean():
    s = _suggest(_tables(_orders(SEASONAL)), "rep", "R1", "2026-Q1")
    # Q1..Q3 index 0.8, Q4 1.6: 100/0.8 = 125 and 200/1.6 = 125.
    assert s.baseline == pytest.approx(125.0)
    assert s.seasonality == pytest.approx(0.8)
    assert s.value == pytest.approx(100.0)
    assert "seasonally adjusted" in s.sentence(Formatter())


@pytest.mark.parametrize("quarter, index", [("2026-Q1", 0.8), ("2026-Q3", 0.8), ("2026-Q4", 1.6)])
def test_seasonality_by_quarter(quarter, index):
    assert _suggest(_tables(_orders(SEASONAL)), "rep", "R1", quarter).seasonality == pytest.approx(
        index
    )


def test_monthly_seasonality_is_learnt_from_months():
    # December three times any other month, in two complete years: index 3 / 14 x 12.
    months = {
        f"{y}-{m:02d}": (300.0 if m == 12 else 100.0) for y in (2024, 2025) for m in range(1, 13)
    }
    s = _suggest(_tables(_orders(months)), "rep", "R1", "2026-12")
    assert s.seasonality == pytest.approx(3 / 14 * 12)
    assert s.kind == "month" and "months" in s.sentence(Formatter())


def test_a_year_has_no_seasonality():
    s = _suggest(_tables(_orders(SEASONAL)), "rep", "R1", "2026")
    assert s.seasonality == 1.0 and s.baseline == pytest.approx(500.0)
    assert "seasonality" not in s.sentence(Formatter())


def test_short_history_says_why():
    s = _suggest(_tables(_orders({"2025-Q3": 100.0})), "rep", "R1", "2025-Q4")
    assert s.seasonality == 1.0
    notes = s.note_texts()
    assert any("fewer than two complete years" in n for n in notes)
    assert any("only 1 past period" in n for n in notes)


def test_market_competition_and_stretch_multiply():
    orders = pd.concat(
        [
            _orders(SEASONAL, product="A"),
            _orders({k: v * 1.5 for k, v in SEASONAL.items()}, product="B"),
        ]
    )
    market = pd.DataFrame(
        {
            "period": ["2026-Q1", "2026-Q1", "2026-Q1"],
            "market_growth": [0.03, None, None],
            "competitor_price_index": [None, 1.0, 0.95],
            "product_family": [None, "FA", "FB"],
        }
    )
    config = goals.SuggestionSettings(stretch=0.05, trailing_periods=4, price_elasticity=1.0)
    s = _suggest(_tables(orders, market), "rep", "R1", "2026-Q1", config)
    assert s.market == pytest.approx(0.03)
    # FB is 60% of sales and 5% cheaper at competitors, with no figure for the baseline
    # quarters (taken as parity): -3%.
    assert s.competition == pytest.approx(0.6 * -0.05)
    assert s.value == pytest.approx(s.baseline * 0.8 * 1.03 * 0.97 * 1.05)
    text = s.sentence(Formatter())
    assert "competitors 5% cheaper on FB (60% of sales; at parity in the baseline periods)" in text
    assert "stretch +5%" in text and "FA" not in text


@pytest.mark.parametrize(
    "before, now, elasticity, effect",
    [
        (0.90, 0.90, 1.0, 0.0),  # competitors were already 10% cheaper: the baseline shows it
        (1.00, 0.90, 1.0, -0.10),
        (0.90, 0.99, 1.0, 0.10),  # they raised prices by 10%: the goal goes up
        (1.00, 0.90, 0.5, -0.05),
    ],
)
def test_competition_is_the_change_since_the_baseline(before, now, elasticity, effect):
    quarters = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    market = pd.DataFrame(
        {
            "period": quarters + ["2026-Q1"],
            "competitor_price_index": [before] * 4 + [now],
            "product_family": "FA",
        }
    )
    config = goals.SuggestionSettings(stretch=0.0, price_elasticity=elasticity)
    s = _suggest(_tables(_orders(SEASONAL), market), "rep", "R1", "2026-Q1", config)
    assert s.competition == pytest.approx(elasticity * (now / before - 1))
    assert s.competition == pytest.approx(effect, abs=1e-9)


@pytest.mark.parametrize(
    "period, growth, note",
    [
        ("2026-Q1", 0.02, None),
        ("2026", (0.02 + 0.04) / 2, "market data for 2 of the period's 4 quarters"),
        ("2026-02", 0.02, None),  # a month takes its quarter's figure
        ("2026-Q3", 0.0, "no market data for 2026-Q3: economy and competition not applied"),
    ],
)
def test_market_growth_for_any_period(period, growth, note):
    market = pd.DataFrame({"period": ["2026-Q1", "2026-Q2"], "market_growth": [0.02, 0.04]})
    value, _index, caveat = goals.market_for(market, Period.parse(period))
    assert value == pytest.approx(growth)
    assert (caveat.render() if caveat else None) == note


def test_no_market_table_is_stated():
    s = _suggest(_tables(_orders(SEASONAL)), "rep", "R1", "2026-Q1")
    assert s.market == 0.0
    assert "no market data for 2026-Q1: economy and competition not applied" in s.note_texts()


def test_group_history_counts_every_member():
    orders = pd.concat([_orders(SEASONAL, rep="R1"), _orders(SEASONAL, rep="R2")])
    s = _suggest(_tables(orders), "team", "T1", "2026-Q1")
    assert s.baseline == pytest.approx(250.0)


def test_joiner_and_leaver_are_prorated_in_the_target_period():
    orders = pd.concat([_orders(SEASONAL, rep="R1"), _orders(SEASONAL, rep="R2")])
    leaver = _suggest(_tables(orders), "rep", "R2", "2026-Q3")
    assert leaver.active_share == pytest.approx(46 / 92)
    assert leaver.value == pytest.approx(125 * 0.8 * 46 / 92)
    assert "on staff 50% of the period" in leaver.sentence(Formatter())


def test_a_part_period_is_scaled_up_or_left_out():
    reps = REPS.assign(
        hire_date=pd.to_datetime(["2025-02-15", "2020-01-01", "2020-01-01", "2020-01-01"])
    )
    # R1 joined on 15 Feb 2025: on staff 45 of 90 days of Q1 (exactly 50%, counted).
    orders = _orders({"2025-Q1": 50.0, "2025-Q2": 100.0, "2025-Q3": 100.0, "2025-Q4": 100.0})
    s = _suggest(_tables(orders, reps=reps), "rep", "R1", "2026-Q1")
    assert s.baseline == pytest.approx(100.0) and s.trailing_n == 4
    strict = goals.SuggestionSettings(stretch=0.0, min_active_share=0.9)
    s = _suggest(_tables(orders, reps=reps), "rep", "R1", "2026-Q1", strict)
    assert s.trailing_n == 3
    assert "1 period with less than 90% on staff left out" in s.note_texts()


def test_a_rep_without_history_takes_the_team_median():
    orders = pd.concat(
        [_orders(SEASONAL, rep="R1"), _orders({k: 2 * v for k, v in SEASONAL.items()}, rep="R2")]
    )
    reps = pd.concat(
        [
            REPS,
            pd.DataFrame(
                {
                    "rep_id": ["R4"],
                    "name": ["Di"],
                    "team": ["T1"],
                    "department": ["D"],
                    "role": ["seller"],
                    "hire_date": pd.to_datetime(["2026-01-01"]),
                }
            ),
        ],
        ignore_index=True,
    )
    s = _suggest(_tables(orders, reps=reps), "rep", "R4", "2026-Q1")
    assert s.from_peers and s.baseline == pytest.approx((125 + 250) / 2)
    assert "median of the team's sellers" in s.sentence(Formatter())


def test_active_share_prorates_joiners_and_leavers():
    share = goals.active_share(REPS, Period.parse("2026-Q3"))
    assert share["R1"] == 1.0
    assert share["R2"] == pytest.approx(46 / 92)  # left on 15 August
    assert share["R3"] == pytest.approx(46 / 92)  # joined on 16 August
    assert goals.active_share(REPS, Period.parse("2026-Q4"))["R2"] == 0.0


def test_split_down_excludes_support_and_sums_to_the_whole():
    parts = goals.split_down(
        _tables(_orders(SEASONAL)),
        1000.0,
        "company",
        None,
        "rep",
        Period.parse("2026-Q3"),
        "capacity",
    )
    assert set(parts.index) == {"R1", "R2", "R3"}
    assert parts.sum() == pytest.approx(1000.0)
    assert parts["R1"] == pytest.approx(2 * parts["R2"])


def test_a_leavers_share_goes_to_the_others():
    parts = goals.split_down(
        _tables(_orders(SEASONAL)), 900.0, "team", "T1", "rep", Period.parse("2026-Q4"), "capacity"
    )
    assert parts.to_dict() == {"R1": 900.0}


def test_history_split_is_by_results_per_day_on_staff():
    # R2 joined halfway through the last 12 months and sold at the same daily rate as R1.
    reps = REPS.assign(
        hire_date=pd.to_datetime(["2020-01-01", "2025-07-01", "2020-01-01", "2020-01-01"]),
        end_date=pd.NaT,
    )
    orders = pd.concat(
        [
            _orders({"2025-Q1": 100.0, "2025-Q2": 100.0, "2025-Q3": 100.0, "2025-Q4": 100.0}),
            _orders({"2025-Q3": 100.0, "2025-Q4": 100.0}, rep="R2"),
        ]
    )
    parts = goals.split_down(
        _tables(orders, reps=reps), 1000.0, "team", "T1", "rep", Period.parse("2026-Q1"), "history"
    )
    assert parts["R1"] == pytest.approx(parts["R2"], rel=0.02)


def test_even_split_gives_each_team_the_same():
    parts = goals.split_down(
        _tables(_orders(SEASONAL)), 1000.0, "company", None, "team", Period.parse("2026-Q3"), "even"
    )
    assert parts.to_dict() == {"T1": 500.0, "T2": 500.0}


@pytest.mark.parametrize(
    "parent, child", [("team", "team"), ("rep", "team"), ("team", "department")]
)
def test_a_goal_splits_only_downwards(parent, child):
    with pytest.raises(InputError, match="cannot be split"):
        goals.split_down(
            _tables(_orders(SEASONAL)), 1.0, parent, "T1", child, Period.parse("2026-Q3")
        )


@given(
    total=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    weights=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=30
    ),
)
def test_allocation_always_sums_to_the_whole(total, weights):
    parts = goals.allocate(total, pd.Series(weights))
    assert parts.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (parts >= -1e-6).all()


@settings(max_examples=30, deadline=None)
@given(
    total=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    mode=st.sampled_from(goals.ALLOCATION_MODES),
    child=st.sampled_from(["department", "team", "rep"]),
    quarter=st.sampled_from(["2026-Q1", "2026-Q3", "2026-Q4"]),
)
def test_every_split_sums_to_the_whole(total, mode, child, quarter):
    parts = goals.split_down(
        _tables(_orders(SEASONAL)), total, "company", None, child, Period.parse(quarter), mode
    )
    assert parts.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)


def test_rollup_gaps_compare_each_group_with_its_direct_parts():
    g = pd.DataFrame(
        {
            "scope": ["rep", "rep", "rep", "team", "company"],
            "scope_id": ["R1", "R2", "R3", "T1", "company"],
            "period": "2026-Q3",
            "metric": "revenue",
            "target": [100.0, 50.0, 30.0, 200.0, 230.0],
        }
    )
    gaps = goals.rollup_gaps(g, REPS, "2026-Q3").set_index(["scope", "scope_id"])
    assert gaps.loc[("team", "T1"), "gap"] == 50.0
    assert gaps.loc[("team", "T1"), "missing"] == 0
    assert pd.isna(gaps.loc[("team", "T2"), "goal"])  # reps have goals, the team has none
    # The company's parts are its teams (T1 has a goal, T2 has none: one missing).
    company = gaps.loc[("company", "company")]
    assert (company["parts"], company["sum_of_parts"], company["missing"]) == ("team", 200.0, 1)
    assert company["gap"] == 30.0


def test_rollup_counts_sellers_without_a_goal():
    g = pd.DataFrame(
        {
            "scope": ["rep", "team"],
            "scope_id": ["R1", "T1"],
            "period": "2026-Q3",
            "metric": "revenue",
            "target": [100.0, 150.0],
        }
    )
    row = goals.rollup_gaps(g, REPS, "2026-Q3").set_index(["scope", "scope_id"]).loc[("team", "T1")]
    assert (row["children"], row["missing"], row["gap"]) == (2, 1, 50.0)


@pytest.mark.parametrize(
    "args, message",
    [
        (("rep", "R9", "2026-Q4", "revenue", 10, "x"), "unknown rep R9"),
        (("team", "T9", "2026-Q4", "revenue", 10, "x"), "unknown team T9"),
        (("rep", "R2", "2026-Q4", "revenue", 10, "x"), "R2 left on 2026-08-15, before 2026-Q4"),
        (("rep", "R1", "2026-Q5", "revenue", 10, "x"), "is not a period"),
        (("rep", "R1", "2026-Q4", "revenue", -1, "x"), "cannot be negative"),
        (("rep", "R1", "2026-Q4", "revenue", "lots", "x"), "is not a number"),
        (("rep", "R1", "2026-Q4", "revenue", 10, "  "), "needs a reason"),
        (("rep", "R1", "2026-Q4", "smiles", 10, "x"), "unknown metric"),
        (("shop", "R1", "2026-Q4", "revenue", 10, "x"), "unknown scope"),
        (("rep", "R1", "2026-Q2", "revenue", 10, "x"), "has already closed"),
    ],
)
def test_bad_goal_input(args, message):
    with pytest.raises(InputError, match=message):
        goals.check_goal_input(*args, REPS, closed_before=pd.Timestamp("2026-09-30"))


def test_closed_period_allowed_with_force():
    goals.check_goal_input(
        "rep", "R1", "2026-Q2", "revenue", 10, "x", REPS, pd.Timestamp("2026-09-30"), force=True
    )


def test_unknown_reason_code_is_refused():
    with pytest.raises(InputError, match="unknown reason"):
        goals.goal_record("rep", "R1", "2026-Q4", "revenue", 10, "mood")


def test_history_keeps_every_version_in_order():
    targets = pd.DataFrame(
        {
            "scope": ["rep"],
            "scope_id": ["R1"],
            "period": ["2026-Q4"],
            "metric": ["revenue"],
            "target": [100.0],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": [9, 5],
            "key": ["rep|R1|2026-Q4|revenue"] * 2,
            "target": [90.0, 120.0],
            "reason": ["other", "economy"],
            "basis": [None, "average of the last 4 quarters"],
            "who": ["bob", "ann"],
            "why": ["bust", "boom"],
            "at": ["2026-10-02T00:00:00Z", "2026-10-01T00:00:00Z"],
        }
    )
    h = goals.goal_history(events, targets)
    assert h["target"].tolist() == [100.0, 120.0, 90.0]
    assert h["version"].tolist() == [0, 1, 2]
    assert h["basis"].iloc[1] == "average of the last 4 quarters"
    assert goals.letter_changes(h, "rep|R1|2026-Q4|revenue") == (120.0, 90.0)


def test_acknowledgement_status_lists_who_has_not_discussed():
    acks = pd.DataFrame(
        {
            "rep_id": ["R1", "R1"],
            "period": ["2026-Q3", "2026-Q2"],
            "outcome": ["agreed", "disputed"],
            "discussed_on": ["2026-07-02", "2026-04-02"],
            "manager": ["ann", "ann"],
            "comment": ["", "too high"],
        }
    )
    status = goals.acknowledgement_status(REPS, Period.parse("2026-Q3"), acks).set_index("rep_id")
    assert status.loc["R1", "outcome"] == "agreed"
    assert not status.loc["R2", "acknowledged"] and not status.loc["R3", "acknowledged"]
    assert "S1" not in status.index  # support staff carry no seller goal
    assert list(status["acknowledged"]) == sorted(status["acknowledged"])  # waiting first


def test_notes_translate_with_their_values():
    note = goals._note(goals.SHORT_HISTORY, n=2)
    assert note.render("en") == "only 2 past periods"
    assert goals._note(goals.SHORT_HISTORY, n=1).render("en") == "only 1 past period"
    assert goals._note(goals.SHORT_HISTORY, n=1).render("el") == "μόνο 1 προηγούμενη περίοδος"


# ------------------------------------------------------------------ the sample organisation


def test_sample_suggestions_cover_every_seller(sample_tables):
    p = Period.parse("2026-Q4")
    items = goals.suggest_all(sample_tables, "rep", p)
    sellers = goals.sellers(sample_tables["reps"])
    active = goals.active_share(sellers, p)
    assert {s.scope_id for s in items} == set(active[active > 0].index)
    assert all(s.value > 0 for s in items)


def test_sample_competitors_undercutting_lowers_the_goal(sample_tables, ground_truth):
    """Competitors undercut one family from a known quarter: every team's suggestion for that
    quarter names the family and lowers the goal for it."""
    truth = next(t for t in ground_truth if t["problem"] == "overpriced_family")
    items = goals.suggest_all(sample_tables, "team", Period.parse(truth["period_from"]))
    for s in items:
        effect = {f.family: f.share * (f.index / f.index_before - 1) for f in s.families}
        assert effect[truth["scope_id"]] < -0.005, s.scope_id
        assert truth["scope_id"] in s.sentence(Formatter())


def test_sample_team_suggestions_add_up_close_to_the_company(sample_tables):
    """Roll-up consistency: teams' suggestions sum to about the company's (same method)."""
    p = Period.parse("2026-Q4")
    company = goals.suggest_all(sample_tables, "company", p)[0].value
    teams = sum(s.value for s in goals.suggest_all(sample_tables, "team", p))
    assert teams == pytest.approx(company, rel=0.03)


# ------------------------------------------------------------------ roles per deal


def _s1_sells():
    """S1 is support staff by reps.role but also closes sales of their own."""
    orders = pd.concat([_orders(SEASONAL), _orders(SEASONAL, rep="S1")], ignore_index=True)
    return _tables(orders)


def test_support_staff_who_also_sell_take_a_seller_goal_on_their_own_sales():
    tables, p = _s1_sells(), Period.parse("2026-Q3")
    assert "S1" in goals.units_at(tables["reps"], "rep", p, tables)
    assert "S1" not in goals.units_at(tables["reps"], "rep", p)  # reps.role alone
    assert "S1" in {s.scope_id for s in goals.suggest_all(tables, "rep", p)}
    parts = goals.split_down(tables, 1000.0, "company", None, "rep", p, "capacity")
    assert set(parts.index) == {"R1", "R2", "R3", "S1"}
    assert parts.sum() == pytest.approx(1000.0)
    # Support staff who sell nothing stay out, as before.
    plain = _tables(_orders(SEASONAL))
    assert "S1" not in goals.split_down(plain, 1000.0, "company", None, "rep", p, "capacity")
    status = goals.acknowledgement_status(tables["reps"], p, None, tables)
    assert "S1" in set(status["rep_id"])


def test_a_seller_goal_for_support_staff_needs_sales_of_their_own():
    args = ("rep", "S1", "2026-Q4", "revenue", 10, "x", REPS)
    with pytest.raises(InputError, match="S1 is support staff"):
        goals.check_goal_input(*args, closed_before=pd.Timestamp("2026-09-30"))
    goals.check_goal_input(
        *args, closed_before=pd.Timestamp("2026-09-30"), selling=pd.Index(["S1"])
    )


def test_money_in_a_suggestion_is_rounded():
    s = goals.Suggestion(
        "rep", "R1", "2026-Q3", "revenue", 209.0, 1.0, 0.05, 0.0, 0.0, 219.45000000000002
    )
    text = s.sentence(Formatter())
    assert "€219.45" in text and "0000" not in text
    assert Formatter("el_GR").money_compact(219.45000000000002) == "219,45\xa0€"
    assert Formatter().money_compact(1_500_000) == "€1.5M"
