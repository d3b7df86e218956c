"""Monitoring: known answers on hand-made frames, roll-ups that add up, the sample's planted
late department."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salescoach import monitoring as m
from salescoach.periods import Period

Q3 = Period.parse("2026-Q3")
REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3", "S1"],
        "name": list("ABCS"),
        "team": ["T1", "T1", "T2", "T2"],
        "department": ["D1", "D1", "D2", "D2"],
        "role": ["seller", "seller", "seller", "support"],
    }
)
PRODUCTS = pd.DataFrame(
    {"product_id": ["P"], "family": ["F"], "list_price": [100.0], "unit_cost": [60.0]}
)
D = pd.Timestamp
ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O3", "O4"],
        "line": [1.0] * 4,
        "rep_id": ["R1", "R1", "R2", "R3"],
        "product_id": ["P"] * 4,
        "order_date": [D("2026-07-01"), D("2026-07-10"), D("2026-08-01"), D("2026-08-02")],
        "quantity": [1.0, 2.0, 1.0, 1.0],
        "unit_price": [90.0, 80.0, 100.0, 100.0],
        "amount": [90.0, 160.0, 100.0, 100.0],
        "promised_date": [D("2026-07-10"), D("2026-07-20"), D("2026-08-10"), D("2026-08-10")],
        "shipped_date": [D("2026-07-03"), D("2026-07-12"), D("2026-08-05"), D("2026-08-03")],
        "delivered_date": [D("2026-07-08"), D("2026-07-25"), D("2026-08-09"), pd.NaT],
        "status": ["delivered", "delivered", "delivered", "cancelled"],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4", "D5"],
        "rep_id": ["R1", "R1", "R1", "R2", "R2"],
        "stage": ["won", "lost", "won", "lost", "open"],
        "created_date": [D("2026-06-01")] * 5,
        "close_date": [D("2026-07-05"), D("2026-07-06"), D("2026-08-01"), D("2026-08-02"), pd.NaT],
        "amount": [1000.0, 500.0, 3000.0, 700.0, 900.0],
        "product_id": ["P"] * 5,
        "support_rep_id": ["S1", None, "S1", None, None],
    }
)
TABLES = {"reps": REPS, "products": PRODUCTS, "orders": ORDERS, "deals": DEALS}


def test_rep_results_known_answers():
    r = m.results_by(TABLES, "rep", Q3)
    assert r.loc["R1", "revenue"] == 250.0
    assert r.loc["R1", "units"] == 3.0
    assert r.loc["R1", "win_rate"] == pytest.approx(2 / 3)
    assert r.loc["R1", "avg_deal_size"] == 2000.0
    # List value 3 x 100 = 300 against 250 sold: 1/6 off list.
    assert r.loc["R1", "discount_depth"] == pytest.approx(1 / 6)
    assert r.loc["R1", "margin"] == pytest.approx((250 - 180) / 250)
    assert r.loc["R3", "revenue"] == 0.0  # its only line was cancelled


def test_delivery_known_answers():
    d = m.delivery_by(ORDERS, ORDERS["rep_id"])
    assert d.loc["R1", "late_share"] == 0.5  # O2 delivered 25 July, promised 20 July
    assert d.loc["R1", "median_days_late"] == 5
    assert d.loc["R2", "on_time_rate"] == 1.0
    assert d.loc["R3", "cancelled_share"] == 1.0
    graced = m.delivery_by(ORDERS, ORDERS["rep_id"], grace_days=5)
    assert graced.loc["R1", "late_share"] == 0.0


def test_follow_up_within_days():
    service = pd.DataFrame(
        {
            "case_id": ["C1", "C2"],
            "customer_id": ["K", "K"],
            "order_id": ["O1", "O2"],
            "kind": ["follow_up", "follow_up"],
            "opened_date": [D("2026-07-10"), D("2026-09-30")],
        }
    )
    rate = m.follow_up_rate(ORDERS, service, 14)
    assert rate.tolist() == [True, False, False]


def test_process_stages_name_owners_and_missing_tables():
    config = m.MonitoringSettings(owners={"delivery": "3PL partner"})
    stages = m.process_stages({"reps": REPS, "orders": ORDERS}, Q3, pd.Index(["R1"]), config)
    assert set(stages.loc[stages["stage"] == "delivery", "owner"]) == {"3PL partner"}
    assert "not assessed: no service data" in set(stages["measure"])
    late = stages[stages["measure"] == "late against promise"].iloc[0]
    assert late["value"] == 0.5 and late["company"] == pytest.approx(1 / 3)


def test_pipeline_stale_and_coverage():
    acts = pd.DataFrame(
        {
            "activity_id": ["A"],
            "rep_id": ["R2"],
            "date": [D("2026-09-20")],
            "kind": ["call"],
            "deal_id": ["D5"],
        }
    )
    p = m.pipeline(DEALS, acts, pd.Index(["R2"]), D("2026-09-30"), 30)
    assert (
        p["deal_id"].tolist() == ["D5"]
        and p["days_since_activity"].iloc[0] == 10
        and not p["stale"].iloc[0]
    )
    stale = m.pipeline(DEALS, None, pd.Index(["R2"]), D("2026-09-30"), 30)
    assert bool(stale["stale"].iloc[0])
    assert m.coverage(900.0, 300.0) == 3.0
    assert pd.isna(m.coverage(900.0, 0.0))


def test_support_staff_measured_on_assisted_deals():
    s = m.support_contribution(DEALS, REPS, Q3).set_index("rep_id")
    assert s.loc["S1", "assisted"] == 2 and s.loc["S1", "win_rate"] == 1.0
    assert s.loc["S1", "comparable_win_rate"] == 0.0
    assert s.loc["S1", "revenue"] == 4000.0


def test_activity_per_week_against_team_median():
    acts = pd.DataFrame(
        {
            "activity_id": list("abc"),
            "rep_id": ["R1", "R1", "R2"],
            "kind": ["call", "demo", "call"],
            "date": [D("2026-07-02")] * 3,
        }
    )
    a = m.activity_per_week(acts, REPS, Q3)
    weeks = 92 / 7
    assert a.loc["R1", "total"] == pytest.approx(2 / weeks)
    assert a.loc["R1", "team_median_total"] == pytest.approx(1.5 / weeks)


@pytest.mark.parametrize(
    "parts, expected",
    [
        ({"attainment": [1.0, 1.0, 2.0], "win_rate": [0.3, 0.3, 0.3]}, [100.0, 100.0, 171.4]),
        ({"attainment": [1.0, None, 2.0]}, [66.7, None, 133.3]),  # median 1.5
    ],
)
def test_scorecard(parts, expected):
    score = m.scorecard(
        pd.DataFrame(parts, index=["a", "b", "c"]), {"attainment": 0.5, "win_rate": 0.2}
    )
    assert [None if pd.isna(v) else v for v in score] == expected


def test_works_with_deals_only_and_orders_only():
    deals_only = m.results_by({"reps": REPS, "deals": DEALS}, "rep", Q3)
    assert deals_only.loc["R1", "revenue"] == 4000.0
    orders_only = m.results_by({"reps": REPS, "orders": ORDERS, "products": PRODUCTS}, "rep", Q3)
    assert "win_rate" not in orders_only and orders_only.loc["R1", "revenue"] == 250.0


@settings(max_examples=25, deadline=None)
@given(
    amounts=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=4, max_size=4
    ),
    stages=st.lists(st.sampled_from(["won", "lost", "open"]), min_size=5, max_size=5),
)
def test_company_equals_sum_of_departments_teams_reps(amounts, stages):
    orders = ORDERS.assign(amount=amounts)
    deals = DEALS.assign(stage=stages, close_date=DEALS["close_date"].fillna(D("2026-09-01")))
    tables = {"reps": REPS, "products": PRODUCTS, "orders": orders, "deals": deals}
    levels = {
        lvl: m.results_by(tables, lvl, Q3) for lvl in ("rep", "team", "department", "company")
    }
    for metric in ("revenue", "units", "deals_won", "deals_lost", "cost"):
        total = levels["company"][metric].sum()
        for lvl in ("rep", "team", "department"):
            assert levels[lvl][metric].sum() == pytest.approx(total)


def test_sample_late_department_matches_ground_truth(sample_tables, ground_truth):
    planted = next(g for g in ground_truth if g["problem"] == "late_department")
    period = Period.parse("2026-Q3")
    orders = sample_tables["orders"]
    lines = orders[period.contains(orders["order_date"])]
    dept = lines["rep_id"].map(sample_tables["reps"].set_index("rep_id")["department"])
    d = m.delivery_by(lines, dept)
    worst = d["late_share"].idxmax()
    assert worst == planted["scope_id"]
    others = d.drop(worst)["late_share"]
    assert d.loc[worst, "late_share"] > 2 * others.max()
    config = m.MonitoringSettings()
    members = sample_tables["reps"].loc[sample_tables["reps"]["department"] == worst, "rep_id"]
    stages = m.process_stages(sample_tables, period, pd.Index(members), config)
    breach = stages[(stages["measure"] == "late against promise")].iloc[0]
    assert bool(breach["breach"]) and breach["owner"] == "logistics"
