"""Goals: each factor of a suggestion on hand-made frames, allocation, proration, versions."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salescoach import goals
from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.periods import Period

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


def _orders(quarterly: dict[str, float], rep="R1", product="A") -> pd.DataFrame:
    rows = []
    for q, amount in quarterly.items():
        p = Period.parse(q)
        rows.append(
            {
                "order_id": q,
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


def _tables(orders, market=None):
    t = {"reps": REPS, "orders": orders, "products": PRODUCTS}
    if market is not None:
        t["market"] = market
    return t


NO_STRETCH = goals.SuggestionSettings(stretch=0.0, trailing_periods=4)


def test_baseline_is_the_deseasonalised_trailing_mean():
    s = goals.suggest(
        _tables(_orders(SEASONAL)), "rep", "R1", Period.parse("2026-Q1"), config=NO_STRETCH
    )
    # Q1..Q3 index 0.8, Q4 1.6: 100/0.8 = 125 and 200/1.6 = 125.
    assert s.baseline == pytest.approx(125.0)
    assert s.seasonality == pytest.approx(0.8)
    assert s.value == pytest.approx(100.0)


def test_seasonality_of_q4():
    s = goals.suggest(
        _tables(_orders(SEASONAL)), "rep", "R1", Period.parse("2026-Q4"), config=NO_STRETCH
    )
    assert s.seasonality == pytest.approx(1.6)


def test_short_history_says_why():
    s = goals.suggest(
        _tables(_orders({"2025-Q3": 100.0})),
        "rep",
        "R1",
        Period.parse("2025-Q4"),
        config=NO_STRETCH,
    )
    assert s.seasonality == 1.0
    assert any("fewer than two complete years" in n for n in s.notes)
    assert any("only 1 past periods" in n for n in s.notes)


def test_market_competition_and_stretch_multiply():
    orders = pd.concat(
        [
            _orders(SEASONAL, product="A"),
            _orders({k: v * 1.5 for k, v in SEASONAL.items()}, product="B"),
        ]
    )
    orders["order_id"] = range(len(orders))
    market = pd.DataFrame(
        {
            "period": ["2026-Q1", "2026-Q1", "2026-Q1"],
            "market_growth": [0.03, None, None],
            "competitor_price_index": [None, 1.0, 0.95],
            "product_family": [None, "FA", "FB"],
        }
    )
    config = goals.SuggestionSettings(stretch=0.05, trailing_periods=4, price_elasticity=1.0)
    s = goals.suggest(_tables(orders, market), "rep", "R1", Period.parse("2026-Q1"), config=config)
    assert s.market == pytest.approx(0.03)
    # FB is 60% of sales and 5% cheaper at competitors: -3%.
    assert s.competition == pytest.approx(0.6 * -0.05)
    assert s.value == pytest.approx(s.baseline * 0.8 * 1.03 * 0.97 * 1.05)
    text = s.sentence(Formatter())
    assert "competitors 5% cheaper on FB (60% of sales)" in text and "stretch +5%" in text


def test_no_market_data_is_stated():
    s = goals.suggest(
        _tables(_orders(SEASONAL)), "rep", "R1", Period.parse("2026-Q1"), config=NO_STRETCH
    )
    assert "no market data: economy and competition not applied" in s.notes


def test_group_history_counts_every_member():
    orders = pd.concat([_orders(SEASONAL, rep="R1"), _orders(SEASONAL, rep="R2")])
    orders["order_id"] = range(len(orders))
    s = goals.suggest(_tables(orders), "team", "T1", Period.parse("2026-Q1"), config=NO_STRETCH)
    assert s.baseline == pytest.approx(250.0)


def test_active_share_prorates_joiners_and_leavers():
    share = goals.active_share(REPS, Period.parse("2026-Q3"))
    assert share["R1"] == 1.0
    assert share["R2"] == pytest.approx(46 / 92)  # left on 15 August
    assert share["R3"] == pytest.approx(46 / 92)  # joined on 16 August


def test_split_down_excludes_support_and_sums_to_the_whole():
    orders = _orders(SEASONAL)
    parts = goals.split_down(
        _tables(orders), 1000.0, "company", None, "rep", Period.parse("2026-Q3"), mode="capacity"
    )
    assert set(parts.index) == {"R1", "R2", "R3"}
    assert parts.sum() == pytest.approx(1000.0)
    assert parts["R1"] == pytest.approx(2 * parts["R2"])


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


def test_rollup_gaps_are_reported():
    g = pd.DataFrame(
        {
            "scope": ["rep", "rep", "rep", "team", "company"],
            "scope_id": ["R1", "R2", "R3", "T1", "company"],
            "period": "2026-Q3",
            "metric": "revenue",
            "target": [100.0, 50.0, 30.0, 200.0, 180.0],
        }
    )
    gaps = goals.rollup_gaps(g, REPS, "2026-Q3").set_index(["scope", "scope_id"])
    assert gaps.loc[("team", "T1"), "gap"] == 50.0
    assert gaps.loc[("company", "company"), "gap"] == 0.0
    assert pd.isna(gaps.loc[("team", "T2"), "goal"])


@pytest.mark.parametrize(
    "args, message",
    [
        (("rep", "R9", "2026-Q4", "revenue", 10, "x"), "unknown rep 'R9'"),
        (("team", "T9", "2026-Q4", "revenue", 10, "x"), "unknown team 'T9'"),
        (("rep", "R1", "2026-Q5", "revenue", 10, "x"), "is not a period"),
        (("rep", "R1", "2026-Q4", "revenue", -1, "x"), "cannot be negative"),
        (("rep", "R1", "2026-Q4", "revenue", 10, "  "), "needs a reason"),
        (("rep", "R1", "2026-Q4", "smiles", 10, "x"), "unknown metric"),
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
            "event_id": [5, 9],
            "key": ["rep|R1|2026-Q4|revenue"] * 2,
            "target": [120.0, 90.0],
            "reason": ["economy", "other"],
            "who": ["ann", "bob"],
            "why": ["boom", "bust"],
            "at": ["2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"],
        }
    )
    h = goals.goal_history(events, targets)
    assert h["target"].tolist() == [100.0, 120.0, 90.0]
    assert h["version"].tolist() == [0, 1, 2]
    assert goals.letter_changes(h, "rep|R1|2026-Q4|revenue") == (120.0, 90.0)


def test_acknowledgement_status_lists_who_has_not_discussed():
    acks = pd.DataFrame(
        {
            "rep_id": ["R1"],
            "period": ["2026-Q3"],
            "outcome": ["agreed"],
            "discussed_on": ["2026-07-02"],
            "manager": ["ann"],
            "comment": [""],
        }
    )
    status = goals.acknowledgement_status(REPS, Period.parse("2026-Q3"), acks).set_index("rep_id")
    assert bool(status.loc["R1", "acknowledged"]) and not bool(status.loc["R2", "acknowledged"])
    assert "S1" not in status.index  # support staff carry no seller goal


def test_sample_suggestions_cover_every_seller(sample_tables):
    items = goals.suggest_all(sample_tables, "rep", Period.parse("2026-Q4"))
    sellers = goals.sellers(sample_tables["reps"])
    active = goals.active_share(sellers, Period.parse("2026-Q4"))
    assert {s.scope_id for s in items} == set(active[active > 0].index)
    assert all(s.value > 0 for s in items)
