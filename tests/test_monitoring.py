"""Monitoring: known answers on hand-made frames, roll-ups that add up, missing tables said in
one line, and the sample's planted late department against its ground truth."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from salescoach.domain import actuals, monitoring as m
from salescoach.domain.attainment import goals_in_force
from salescoach.domain.periods import Period
from salescoach.errors import InputError

Q3 = Period.parse("2026-Q3")
D = pd.Timestamp
REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3", "S1"],
        "name": list("ABCS"),
        "team": ["T1", "T1", "T2", "T2"],
        "department": ["D1", "D1", "D2", "D2"],
        "role": ["seller", "seller", "seller", "support"],
    }
)
# P has a list price and a cost; Q has neither (its lines are left out of discount and margin).
PRODUCTS = pd.DataFrame(
    {
        "product_id": ["P", "Q"],
        "family": ["F", "G"],
        "list_price": [100.0, np.nan],
        "unit_cost": [60.0, np.nan],
    }
)
CUSTOMERS = pd.DataFrame({"customer_id": ["K1", "K2"], "segment": ["smb", "enterprise"]})
ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O2", "O3", "O4", "O5"],
        "line": [1, 1, 2, 1, 1, 1],
        "rep_id": ["R1", "R1", "R1", "R2", "R3", "R2"],
        "product_id": ["P", "P", "Q", "P", "P", "P"],
        "customer_id": ["K1", "K1", "K1", "K2", "K2", "K2"],
        "order_date": [
            D("2026-07-01"),
            D("2026-07-10"),
            D("2026-07-10"),
            D("2026-08-01"),
            D("2026-08-02"),
            D("2026-08-03"),
        ],
        "quantity": [1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        "unit_price": [90.0, 80.0, 50.0, 100.0, 100.0, 100.0],
        "promised_date": [
            D("2026-07-10"),
            D("2026-07-20"),
            D("2026-07-20"),
            D("2026-08-10"),
            D("2026-08-10"),
            D("2026-08-10"),
        ],
        # O2 ships on time but arrives 5 days late (logistics); O3 ships late (production).
        "shipped_date": [
            D("2026-07-03"),
            D("2026-07-12"),
            D("2026-07-12"),
            D("2026-08-11"),
            pd.NaT,
            D("2026-08-05"),
        ],
        "delivered_date": [
            D("2026-07-08"),
            D("2026-07-25"),
            D("2026-07-25"),
            D("2026-08-13"),
            pd.NaT,
            D("2026-08-07"),
        ],
        "status": ["delivered", "delivered", "delivered", "delivered", "cancelled", "returned"],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4", "D5", "D6"],
        "rep_id": ["R1", "R1", "R1", "R2", "R2", "R2"],
        "stage": ["won", "lost", "won", "lost", "open", "won"],
        "created_date": [D("2026-06-01")] * 6,
        "close_date": [
            D("2026-07-05"),
            D("2026-07-06"),
            D("2026-08-01"),
            D("2026-08-02"),
            pd.NaT,
            D("2026-08-20"),
        ],
        "amount": [1000.0, 500.0, 3000.0, 700.0, 900.0, 2000.0],
        "product_id": ["P", "P", "P", "P", "P", "Q"],
        "customer_id": ["K1", "K1", "K1", "K1", "K2", "K2"],
        "support_rep_id": ["S1", None, "S1", None, None, None],
    }
)
TABLES = {
    "reps": REPS,
    "products": PRODUCTS,
    "customers": CUSTOMERS,
    "orders": ORDERS,
    "deals": DEALS,
}
SERVICE = pd.DataFrame(
    {
        "case_id": ["C1", "C2", "C3", "C4"],
        "customer_id": ["K1", "K1", "K2", "K2"],
        "order_id": ["O1", "O2", None, None],
        "kind": ["follow_up", "follow_up", "follow_up", "complaint"],
        "opened_date": [D("2026-07-10"), D("2026-09-20"), D("2026-08-15"), D("2026-08-01")],
        "closed_date": [D("2026-07-11"), D("2026-09-21"), D("2026-08-16"), D("2026-08-20")],
        "rep_id": ["R1", "R1", "R2", "R2"],
        "csat": [5, 4, 3, 1],
    }
)


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize(
    "rep, column, expected",
    [
        ("R1", "revenue", 90 + 160 + 50),
        ("R1", "units", 4.0),
        ("R1", "win_rate", 2 / 3),
        ("R1", "avg_deal_size", 2000.0),
        # P lines only: list 3 x 100 = 300 against 250 sold; Q has no list price.
        ("R1", "discount_depth", 1 / 6),
        # Costs known on P lines only: (250 - 180) / 250.
        ("R1", "margin", 70 / 250),
        ("R2", "revenue", 100.0),  # O5 was returned
        ("R3", "revenue", 0.0),  # its only line was cancelled
        ("R2", "win_rate", 0.5),
        ("S1", "revenue", 0.0),
    ],
)
def test_rep_results_known_answers(rep, column, expected):
    r = m.results_by(TABLES, "rep", Q3)
    assert r.loc[rep, column] == pytest.approx(expected)


def test_results_revenue_is_the_actuals_definition():
    r = m.results_by(TABLES, "rep", Q3)["revenue"]
    expected = actuals.per_rep(TABLES, "revenue", Q3.start, Q3.end).reindex(r.index).fillna(0)
    pd.testing.assert_series_equal(r, expected, check_names=False)


def test_scope_results_compares_prior_period_and_last_year():
    earlier = ORDERS.iloc[[0]].assign(order_id="OP", order_date=D("2026-04-01"), unit_price=45.0)
    year_ago = ORDERS.iloc[[0]].assign(order_id="OY", order_date=D("2025-07-01"), unit_price=600.0)
    tables = {**TABLES, "orders": pd.concat([ORDERS, earlier, year_ago], ignore_index=True)}
    r = m.scope_results(tables, "rep", "R1", Q3)
    assert r.loc["revenue", ["period", "prior", "last_year"]].tolist() == [300.0, 45.0, 600.0]
    assert r.loc["revenue", "vs_prior"] == pytest.approx(300 / 45 - 1)
    assert r.loc["revenue", "vs_last_year"] == pytest.approx(-0.5)


def test_scope_results_takes_attainment_from_the_goals():
    targets = pd.DataFrame(
        {
            "scope": ["team"],
            "scope_id": ["T1"],
            "period": ["2026-Q3"],
            "metric": ["revenue"],
            "target": [800.0],
        }
    )
    goals = goals_in_force(targets, None)
    r = m.scope_results(TABLES, "team", "T1", Q3, goals, as_of=Q3.end)
    assert r.loc["goal:revenue", "period"] == 800.0
    assert r.loc["attainment:revenue", "period"] == pytest.approx(400 / 800)


@pytest.mark.parametrize(
    "tables, present, absent",
    [
        (
            {"reps": REPS, "deals": DEALS},
            ["revenue", "win_rate", "avg_deal_size"],
            ["units", "margin"],
        ),
        (
            {"reps": REPS, "orders": ORDERS, "products": PRODUCTS},
            ["revenue", "units", "margin"],
            ["win_rate"],
        ),
    ],
    ids=["deals only", "orders only"],
)
def test_works_with_deals_only_and_orders_only(tables, present, absent):
    r = m.results_by(tables, "rep", Q3)
    assert set(present) <= set(r.columns) and not set(absent) & set(r.columns)


# --------------------------------------------------------------------------- the process


def test_order_outcomes_one_row_per_order():
    o = m.order_outcomes(ORDERS)
    assert list(o.index) == ["O1", "O2", "O3", "O4", "O5"]
    assert o["late"].tolist()[:3] == [False, True, True] and pd.isna(o.loc["O4", "late"])
    assert o.loc["O2", "days_late"] == 5 and o.loc["O3", "days_late"] == 3
    assert o.loc["O3", "shipped_late"] and not o.loc["O2", "shipped_late"]
    assert o.loc["O4", "cancelled"] and o.loc["O5", "returned"]


@pytest.mark.parametrize(
    "level, grace, unit, late, on_time",
    [
        ("rep", 0, "R1", 1, 0.5),
        ("rep", 0, "R2", 1, 0.5),
        ("rep", 5, "R1", 0, 1.0),
        ("team", 0, "T1", 2, 0.5),
        ("department", 0, "D2", 0, np.nan),  # its only order was cancelled: nothing delivered
        ("company", 0, "company", 2, 0.5),
        ("product", 0, "Q", 1, 0.0),
        ("family", 0, "F", 2, 0.5),
    ],
)
def test_delivery_by(level, grace, unit, late, on_time):
    d = m.delivery_by(ORDERS, REPS, level, grace, PRODUCTS)
    assert d.loc[unit, "late"] == late
    if np.isnan(on_time):
        assert pd.isna(d.loc[unit, "on_time_rate"])
    else:
        assert d.loc[unit, "on_time_rate"] == pytest.approx(on_time)


def test_follow_ups_by_order_then_by_customer():
    o = m.order_outcomes(ORDERS)
    done = m.follow_ups(o, SERVICE, 14, as_of=D("2026-09-30"))
    # O1 by its order (2 days), O2 too late (57 days), O3 by customer K2 (2 days after
    # delivery), O5 by customer K2 (8 days), O4 cancelled: not judged.
    assert done.to_dict() == {"O1": True, "O2": False, "O3": True, "O5": True}
    not_due = m.follow_ups(o, SERVICE, 14, as_of=D("2026-08-15"))
    assert set(not_due.index) == {"O1", "O2"}


def test_process_stages_name_owners_targets_and_missing_tables():
    config = m.MonitoringSettings(owners={**m.DEFAULT_OWNERS, "delivery": "3PL partner"})
    stages = m.process_stages(
        {"reps": REPS, "orders": ORDERS}, Q3, pd.Index(["R1"]), config
    ).set_index("measure")
    assert stages.loc["on_time_rate", "owner"] == "3PL partner"
    assert (
        stages.loc["on_time_rate", "value"] == 0.5 and stages.loc["on_time_rate", "company"] == 0.5
    )
    assert stages.loc["on_time_rate", "breach"] is True
    assert stages.loc["cancelled_share", "breach"] is False  # R1 cancelled nothing
    notes = stages[stages["unit"] == "note"]["label"].tolist()
    assert notes == ["not assessed: no service data", "not assessed: no feedback data"]


def test_process_without_orders_says_so_in_one_line():
    stages = m.process_stages(
        {"reps": REPS, "deals": DEALS}, Q3, pd.Index(["R1"]), m.MonitoringSettings()
    )
    assert "not assessed: no orders data" in stages["label"].tolist()
    assert str(
        m.funnel({"reps": REPS, "deals": DEALS}, Q3, pd.Index(["R1"]), m.MonitoringSettings())
    ) == ("not assessed: no orders data")


@pytest.mark.parametrize(
    "breach, stage, owner, ids",
    [
        ("late_delivery", "delivery", "logistics", ["O2"]),
        ("late_delivery", "shipping", "production", ["O3"]),
        ("cancelled", "order", "sales", ["O4"]),
        ("returned", "delivery", "logistics", ["O5"]),
        ("no_follow_up", "follow_up", "customer service", ["O2"]),
        ("slow_case", "service", "customer service", ["C4"]),  # open 19 days, limit 5
    ],
)
def test_every_breach_carries_its_owner(breach, stage, owner, ids):
    tables = {**TABLES, "service": SERVICE}
    b = m.breaches(
        tables, Q3, pd.Index(REPS["rep_id"]), m.MonitoringSettings(), as_of=D("2026-09-30")
    )
    hit = b[(b["breach"] == breach) & (b["stage"] == stage)]
    assert hit["id"].tolist() == ids and set(hit["owner"]) == {owner}


def test_funnel_counts_and_stage_times():
    f = m.funnel(
        {**TABLES, "service": SERVICE}, Q3, pd.Index(["R1"]), m.MonitoringSettings()
    ).set_index("stage")
    assert f["count"].to_dict() == {"order": 2, "shipping": 2, "delivery": 2, "follow_up": 2}
    assert f.loc["shipping", "median_days"] == 2 and f.loc[
        "follow_up", "median_days"
    ] == pytest.approx((2 + 57) / 2)


# --------------------------------------------------------------------------- pipeline and people


def test_pipeline_stale_by_activity_else_created_date():
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
    assert p["deal_id"].tolist() == ["D5"] and p["days_since_activity"].iloc[0] == 10
    assert not p["stale"].iloc[0] and p["age_band"].iloc[0] == "91-180"
    stale = m.pipeline(DEALS, None, pd.Index(["R2"]), D("2026-09-30"), 30)
    assert bool(stale["stale"].iloc[0])
    summary = m.pipeline_summary(stale)
    assert (
        summary.loc[("open", "91-180"), "deals"] == 1
        and summary.loc[("open", "91-180"), "stale"] == 1
    )


@pytest.mark.parametrize(
    "open_amount, remaining, expected",
    [(900.0, 300.0, 3.0), (900.0, 0.0, np.nan), (0.0, 100.0, 0.0), (900.0, np.nan, np.nan)],
)
def test_coverage(open_amount, remaining, expected):
    got = m.coverage(open_amount, remaining)
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


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
    assert a.loc["R1", "vs_team_median"] == pytest.approx(2 / 1.5)
    assert a.loc["R3", "total"] == 0.0


def test_support_staff_against_comparable_unassisted_deals():
    s = m.support_contribution(DEALS, REPS, Q3, PRODUCTS, CUSTOMERS).set_index("rep_id")
    assert s.loc["S1", "assisted"] == 2 and s.loc["S1", "win_rate"] == 1.0
    # Comparable: unassisted P deals for K1 (family F, segment smb): D2 lost, D4 lost.
    assert s.loc["S1", "comparable_win_rate"] == 0.0 and s.loc["S1", "uplift"] == 1.0
    assert s.loc["S1", "revenue"] == 4000.0
    # Without segments the cell is the family: D2, D4 lost (D6 is family G).
    no_segment = m.support_contribution(DEALS, REPS, Q3, PRODUCTS).set_index("rep_id")
    assert no_segment.loc["S1", "comparable_win_rate"] == 0.0
    # Without families either: every unassisted deal (D6 won, D2 and D4 lost).
    plain = m.support_contribution(DEALS, REPS, Q3).set_index("rep_id")
    assert plain.loc["S1", "comparable_win_rate"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "parts, peers, expected",
    [
        ({"attainment": [1.0, 1.0, 2.0], "win_rate": [0.3, 0.3, 0.3]}, None, [100.0, 100.0, 171.4]),
        ({"attainment": [1.0, None, 2.0]}, None, [66.7, None, 133.3]),  # median 1.5
        ({"win_rate": [0.2, 0.4, 0.1]}, ["s", "s", "x"], [66.7, 133.3, 100.0]),  # peers by role
    ],
)
def test_scorecard(parts, peers, expected):
    frame = pd.DataFrame(parts, index=["a", "b", "c"])
    groups = pd.Series(peers, index=frame.index) if peers else None
    score = m.scorecard(frame, {"attainment": 0.5, "win_rate": 0.2}, groups)
    assert [None if pd.isna(v) else v for v in score] == expected


def test_scorecard_parts_measure_support_on_assisted_deals():
    results = m.results_by(TABLES, "rep", Q3)
    support = m.support_contribution(DEALS, REPS, Q3)
    parts = m.scorecard_parts(REPS, results, pd.Series({"R1": 1.1, "S1": 0.0}), support=support)
    assert parts.loc["S1", "win_rate"] == 1.0 and pd.isna(parts.loc["S1", "attainment"])
    assert parts.loc["R1", "attainment"] == 1.1 and parts.loc["R1", "win_rate"] == pytest.approx(
        2 / 3
    )


@pytest.mark.parametrize(
    "section, bad",
    [
        ("owners", {"packing": "warehouse"}),
        ("scorecard_weights", {"charm": 1.0}),
        ("scorecard_weights", {"attainment": -1.0}),
        ("targets", {"happiness": 0.9}),
    ],
)
def test_settings_reject_unknown_stages_and_parts(section, bad):
    from salescoach.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match=f"monitoring.{section}"):
        Settings.from_dict({"monitoring": {section: bad}})


def test_revenue_by_still_serves_demo():
    by_dept = m.revenue_by(TABLES, "department")
    assert by_dept.to_dict() == {"D1": 400.0}  # D2's only sale was cancelled


# --------------------------------------------------------------------------- roll-ups


@st.composite
def organisations(draw):
    n_reps = draw(st.integers(1, 6))
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n_reps)],
            "name": [f"N{i}" for i in range(n_reps)],
            "department": [draw(st.sampled_from(["A", "B"])) for _ in range(n_reps)],
        }
    )
    reps["team"] = reps["department"] + pd.Series(
        [draw(st.sampled_from(["1", "2"])) for _ in range(n_reps)]
    )
    n_lines = draw(st.integers(0, 12))
    day = st.integers(0, 91).map(lambda d: Q3.start + pd.Timedelta(days=d))
    orders = pd.DataFrame(
        {
            "order_id": [f"O{draw(st.integers(0, 6))}" for _ in range(n_lines)],
            "product_id": [draw(st.sampled_from(["P", "Q"])) for _ in range(n_lines)],
            "customer_id": [draw(st.sampled_from(["K1", "K2", "K3"])) for _ in range(n_lines)],
            "order_date": pd.to_datetime(
                pd.Series([draw(day) for _ in range(n_lines)], dtype=object)
            ),
            "quantity": [float(draw(st.integers(1, 5))) for _ in range(n_lines)],
            "unit_price": [draw(st.floats(1, 1e4, allow_nan=False)) for _ in range(n_lines)],
            "status": [
                draw(st.sampled_from(["delivered", "cancelled", "returned"]))
                for _ in range(n_lines)
            ],
        }
    )
    # Every line of an order belongs to one rep and is promised and delivered together.
    ids = sorted(orders["order_id"].unique())
    owner = {o: draw(st.sampled_from(list(reps["rep_id"]))) for o in ids}
    late = {o: draw(st.integers(-3, 3)) for o in ids}
    orders["rep_id"] = orders["order_id"].map(owner)
    orders["promised_date"] = orders.groupby("order_id")["order_date"].transform(
        "max"
    ) + pd.Timedelta(days=5)
    orders["delivered_date"] = orders["promised_date"] + pd.to_timedelta(
        orders["order_id"].map(late), unit="D"
    )
    n_deals = draw(st.integers(0, 8))
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(n_deals)],
            "rep_id": [draw(st.sampled_from(list(reps["rep_id"]))) for _ in range(n_deals)],
            "stage": [draw(st.sampled_from(["won", "lost", "open"])) for _ in range(n_deals)],
            "close_date": pd.to_datetime(
                pd.Series([draw(day) for _ in range(n_deals)], dtype=object)
            ),
            "amount": [draw(st.floats(0, 1e5, allow_nan=False)) for _ in range(n_deals)],
        }
    )
    return {"reps": reps, "orders": orders, "deals": deals, "products": PRODUCTS}


@settings(max_examples=25, deadline=None)
@given(tables=organisations())
def test_company_equals_sum_of_departments_teams_reps(tables):
    sums = m.rep_results(tables, Q3.start, Q3.end)
    levels = {lvl: m.results_by(tables, lvl, Q3, sums) for lvl in m.LEVELS}
    delivery = {lvl: m.delivery_by(tables["orders"], tables["reps"], lvl) for lvl in m.LEVELS}
    for metric in m.ADDITIVE:
        if metric not in sums:
            continue
        total = levels["company"][metric].sum()
        for lvl in ("rep", "team", "department"):
            assert levels[lvl][metric].sum() == pytest.approx(total), (metric, lvl)
    for column in ("orders", "delivered", "late", "cancelled", "returned"):
        if column not in delivery["company"]:  # no value to count from: not assessed
            continue
        total = delivery["company"][column].sum()
        for lvl in ("rep", "team", "department"):
            assert delivery[lvl][column].sum() == total, (column, lvl)


# --------------------------------------------------------------------------- the sample


def _percentages(note: str) -> list[float]:
    return [float(x) / 100 for x in re.findall(r"(\d+)%", note)]


def test_sample_late_department_matches_ground_truth(sample_tables, ground_truth):
    planted = next(g for g in ground_truth if g["problem"] == "late_department")
    since = Period.parse(planted["period_from"]).start
    mine, others = _percentages(planted["note"])[:2]
    orders = sample_tables["orders"]
    d = m.delivery_by(orders[orders["order_date"] >= since], sample_tables["reps"], "department")
    assert d["late_share"].idxmax() == planted["scope_id"]
    rest = d.drop(planted["scope_id"])
    # The note rounds to whole percents.
    assert d.loc[planted["scope_id"], "late_share"] == pytest.approx(mine, abs=0.005)
    assert rest["late"].sum() / rest["delivered"].sum() == pytest.approx(others, abs=0.005)


def test_sample_late_victim_matches_ground_truth(sample_tables, ground_truth):
    planted = next(g for g in ground_truth if g["problem"] == "late_delivery_victim")
    since = Period.parse(planted["period_from"]).start
    late_share = _percentages(planted["note"])[0]
    orders = sample_tables["orders"]
    d = m.delivery_by(orders[orders["order_date"] >= since], sample_tables["reps"], "rep")
    assert d.loc[planted["scope_id"], "late_share"] == pytest.approx(late_share, abs=0.005)


def test_sample_late_department_is_a_logistics_breach(sample_workbook, ground_truth):
    from salescoach.services import monitoring as service

    planted = next(g for g in ground_truth if g["problem"] == "late_department")
    ctx = service.context(sample_workbook, "2026-Q3", "department", planted["scope_id"])
    stages = m.process_stages(ctx.tables, ctx.period, ctx.members, ctx.config, ctx.as_of).set_index(
        "measure"
    )
    assert (
        stages.loc["on_time_rate", "breach"] is True
        and stages.loc["on_time_rate", "owner"] == "logistics"
    )
    late = service.late_orders_table(ctx)
    assert late.index[0] == planted["scope_id"]
    others = [
        service.context(sample_workbook, "2026-Q3", "department", d)
        for d in set(ctx.tables["reps"]["department"]) - {planted["scope_id"]}
    ]
    for other in others:
        o = m.process_stages(
            other.tables, other.period, other.members, other.config, other.as_of
        ).set_index("measure")
        assert o.loc["on_time_rate", "value"] > stages.loc["on_time_rate", "value"] + 0.15


def test_service_results_and_missing_tables(sample_workbook, tmp_path):
    from salescoach.data.importer import validate_path
    from salescoach.data.workbook import Workbook, init_workbook
    from salescoach.services import monitoring as service

    table = service.results(
        sample_workbook, "2026-Q3", "team", sample_workbook.facts()["reps"]["team"].iloc[0]
    )
    assert "Attainment to date: revenue" in table["Measure"].tolist()

    root = tmp_path / "wb"
    init_workbook(root, company="Deals only")
    data = tmp_path / "data"
    data.mkdir()
    REPS.to_csv(data / "reps.csv", index=False)
    DEALS.drop(columns=["support_rep_id"]).to_csv(data / "deals.csv", index=False)
    wb = Workbook.open(root)
    wb.save_import(validate_path(data), str(data), "tests")
    assert str(service.funnel_chart(wb, "2026-Q3")) == "not assessed: no orders data"
    assert str(service.activity(wb, "2026-Q3")) == "not assessed: no activities data"
    assert (
        "not assessed: no orders data" in service.scope_summary(wb, "2026-Q3")["Measure"].tolist()
    )
    assert not service.pipeline(wb, "2026-Q3").empty
    with pytest.raises(InputError):
        service.results(wb, "2026-Q5")


def test_fact_tables_share_work_without_changing_an_answer(sample_tables):
    """What a FactTables derives once (order outcomes, follow-ups, per-rep arrays) gives the
    same figures as deriving it in every call, for a scope and for everyone, twice over."""
    year = Period.parse("2025")
    config = m.MonitoringSettings()
    team = sample_tables["reps"]["team"].iloc[0]
    members = actuals.members(sample_tables["reps"], "team", team)
    shared = m.FactTables(sample_tables)
    for tables in (shared, shared):  # the second round reads only what was derived
        for fn in (m.process_stages, m.breaches, m.funnel):
            pd.testing.assert_frame_equal(
                fn(tables, year, members, config), fn(dict(sample_tables), year, members, config)
            )
        pd.testing.assert_frame_equal(
            m.scope_results(tables, "team", team, year),
            m.scope_results(dict(sample_tables), "team", team, year),
        )
        pd.testing.assert_frame_equal(
            m.results_by(tables, "department", year),
            m.results_by(dict(sample_tables), "department", year),
        )
    # And the scope's share of the shared year is the scope's own orders.
    orders = sample_tables["orders"]
    own = m.order_outcomes(
        orders[orders["rep_id"].isin(members) & year.contains(orders["order_date"])]
    )
    found = m.breaches(shared, year, members, config)["breach"].value_counts()
    assert found["late_delivery"] == own["late"].sum()
    assert found["cancelled"] == own["cancelled"].sum()
    stages = m.process_stages(shared, year, members, config).set_index("measure")["value"]
    due = m.follow_ups(own, sample_tables["service"], config.follow_up_days, year.end)
    assert stages["follow_up_rate"] == pytest.approx(due.mean())


def test_delivery_by_product_counts_each_order_once_per_product(sample_tables):
    """Against the plain way: for each product, the outcomes of the orders that carry it."""
    orders = sample_tables["orders"]
    orders = orders[orders["order_date"] >= orders["order_date"].max() - pd.Timedelta(days=60)]
    d = m.delivery_by(orders, sample_tables["reps"], "product")
    outcomes = m.order_outcomes(orders)
    for product in orders["product_id"].drop_duplicates().iloc[:5]:
        carried = outcomes.loc[orders.loc[orders["product_id"] == product, "order_id"].unique()]
        assert d.loc[product, "orders"] == len(carried)
        assert d.loc[product, "late"] == carried["late"].sum()
        assert d.loc[product, "returned"] == carried["returned"].sum()
    assert d.index.is_monotonic_increasing


# --------------------------------------------------------------------------- roles per deal

# Pat (reps.role: support) closes three deals and assists two of Sue's; Sam (reps.role: seller)
# only ever assists. Each is measured in each role on that role's own deals.
TWO_ROLES_REPS = pd.DataFrame(
    {
        "rep_id": ["PAT", "SUE", "SAM"],
        "name": ["Pat", "Sue", "Sam"],
        "team": ["T1", "T1", "T1"],
        "department": ["D1", "D1", "D1"],
        "role": ["support", "seller", "seller"],
    }
)
TWO_ROLES_DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3", "D4", "D5", "D6"],
        "rep_id": ["PAT", "PAT", "PAT", "SUE", "SUE", "SUE"],
        "support_rep_id": [None, "SAM", None, "PAT", "PAT", None],
        "stage": ["won", "won", "lost", "won", "lost", "won"],
        "created_date": [D("2026-06-01")] * 6,
        "close_date": [D("2026-07-10")] * 6,
        "amount": [1000.0, 2000.0, 500.0, 3000.0, 800.0, 1500.0],
    }
)
TWO_ROLES = {"reps": TWO_ROLES_REPS, "deals": TWO_ROLES_DEALS}


def test_roles_come_from_the_deals_as_well_as_reps_role():
    from salescoach.domain import roles

    assert set(roles.sellers(TWO_ROLES_REPS, TWO_ROLES)["rep_id"]) == {"PAT", "SUE", "SAM"}
    assert set(roles.sellers(TWO_ROLES_REPS)["rep_id"]) == {"SUE", "SAM"}  # reps.role alone
    assert set(roles.support_staff(TWO_ROLES_REPS, TWO_ROLES)["rep_id"]) == {"PAT", "SAM"}
    assert roles.support_only(TWO_ROLES_REPS, TWO_ROLES).empty
    main = roles.main_role(TWO_ROLES_REPS, TWO_ROLES)
    # Pat: 3 deals sold, 2 assisted -> seller; Sam: 0 sold, 1 assisted -> support.
    assert main.to_dict() == {"PAT": "seller", "SUE": "seller", "SAM": "support"}


def test_a_person_in_both_roles_shows_in_both_views():
    support = m.support_contribution(TWO_ROLES_DEALS, TWO_ROLES_REPS, Q3).set_index("rep_id")
    # Support: the deals they assisted, whatever reps.role says (Sam is a "seller").
    assert support.loc["PAT", ["assisted", "won"]].tolist() == [2, 1]
    assert support.loc["PAT", "revenue"] == 3000.0
    assert support.loc["SAM", ["assisted", "won"]].tolist() == [1, 1]
    assert "SUE" not in support.index
    # Seller: the deals they own, whatever reps.role says (Pat is "support").
    results = m.results_by(TWO_ROLES, "rep", Q3)
    assert results.loc["PAT", "deals_won"] == 2
    assert results.loc["PAT", "win_rate"] == pytest.approx(2 / 3)
    assert results.loc["SUE", "win_rate"] == pytest.approx(2 / 3)


def test_scorecard_scores_each_person_in_the_role_of_most_of_their_work():
    from salescoach.domain import roles

    results = m.results_by(TWO_ROLES, "rep", Q3)
    support = m.support_contribution(TWO_ROLES_DEALS, TWO_ROLES_REPS, Q3)
    parts = m.scorecard_parts(
        TWO_ROLES_REPS,
        results,
        pd.Series({"PAT": 0.9, "SUE": 1.2}),
        support=support,
        role=roles.main_role(TWO_ROLES_REPS, TWO_ROLES),
    )
    assert parts.loc["PAT", "role"] == "seller" and parts.loc["PAT", "attainment"] == 0.9
    assert parts.loc["PAT", "win_rate"] == pytest.approx(2 / 3)  # own deals, not assisted ones
    assert parts.loc["SAM", "role"] == "support" and parts.loc["SAM", "win_rate"] == 1.0


# --------------------------------------------------------------------------- unassigned leads

UNASSIGNED_DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "L1", "L2", "L3"],
        "rep_id": pd.array(["R1", None, None, None], dtype="string"),
        "stage": ["open", "open", "open", "lost"],
        "created_date": [D("2026-09-01"), D("2026-09-10"), D("2026-03-01"), D("2026-09-01")],
        "close_date": [pd.NaT, pd.NaT, pd.NaT, D("2026-09-20")],
        "amount": [100.0, 200.0, 300.0, 50.0],
        "lead_source": ["web", "web", "fair", "fair"],
    }
)


def test_unassigned_open_leads_are_the_companys_pipeline_never_a_reps():
    everyone = pd.Index(REPS["rep_id"])
    company = m.pipeline(UNASSIGNED_DEALS, None, everyone, D("2026-09-30"), 30, unassigned=True)
    assert sorted(company["deal_id"]) == ["D1", "L1", "L2"]
    assert company.set_index("deal_id").loc[["L1", "L2"], "rep_id"].isna().all()
    summary = m.pipeline_summary(company)
    assert summary["unassigned"].sum() == 2 and summary["deals"].sum() == 3
    assert summary.loc[("open", "181+"), "unassigned"] == 1
    mine = m.pipeline(UNASSIGNED_DEALS, None, pd.Index(["R1"]), D("2026-09-30"), 30)
    assert mine["deal_id"].tolist() == ["D1"]
    assert m.pipeline_summary(mine)["unassigned"].sum() == 0


def test_unassigned_leads_count_in_lead_source_conversion():
    from salescoach.domain.insights import InsightRules, lead_sources

    table = lead_sources(UNASSIGNED_DEALS, InsightRules())
    assert table.loc["web", ["leads", "unassigned"]].tolist() == [2, 1]
    assert table.loc["fair", ["leads", "unassigned"]].tolist() == [2, 2]


def test_funnel_and_results_take_a_blank_rep_in_their_stride():
    deals = pd.concat([DEALS, UNASSIGNED_DEALS.assign(deal_id=lambda d: "U" + d["deal_id"])])
    tables = {**TABLES, "deals": deals}
    f = m.funnel(tables, Q3, pd.Index(REPS["rep_id"]), m.MonitoringSettings())
    assert f.set_index("stage").loc["order", "count"] > 0
    assert (
        m.results_by(tables, "rep", Q3).loc["R1", "deals_won"]
        == m.results_by(TABLES, "rep", Q3).loc["R1", "deals_won"]
    )


def test_pipeline_table_shows_unassigned_leads_for_the_company_only(tmp_path):
    from salescoach.data.importer import validate_path
    from salescoach.data.workbook import Workbook, init_workbook
    from salescoach.services import monitoring as service

    root, data = tmp_path / "wb", tmp_path / "data"
    init_workbook(root, company="Leads")
    data.mkdir()
    REPS.to_csv(data / "reps.csv", index=False)
    UNASSIGNED_DEALS.to_csv(data / "deals.csv", index=False)
    wb = Workbook.open(root)
    wb.save_import(validate_path(data), str(data), "tests")
    company = service.pipeline(wb, "2026-Q3")
    assert company["Deals"].astype(int).sum() == 3
    assert company["Unassigned"].astype(int).sum() == 2
    rep = service.pipeline(wb, "2026-Q3", "rep", "R1")
    assert "Unassigned" not in rep and rep["Deals"].astype(int).sum() == 1
    ctx = service.context(wb, "2026-Q3")
    assert "2 of them are unassigned leads" in service.pipeline_coverage(ctx)
    assert "unassigned" not in service.pipeline_coverage(
        service.context(wb, "2026-Q3", "rep", "R1")
    )


def test_lookup_of_keys_that_are_all_missing_is_all_missing():
    """An export whose deals carry no product id: every family unknown, not an IndexError."""
    from salescoach.domain.monitoring_orders import lookup

    families = pd.Series(["Servers"], index=pd.Index(["P01"], name="product_id"))
    assert pd.isna(lookup(pd.Series([None, np.nan], dtype=object), families)).all()
    assert list(lookup(pd.Series(["P01", None]), families))[0] == "Servers"
    # No key at all, or none known, keeps the values' kind: dates stay dates (NaT).
    touched = pd.Series(pd.to_datetime(["2026-01-05"]), index=pd.Index(["D1"]))
    for keys in (pd.Series([], dtype=object), pd.Series([None], dtype=object)):
        assert lookup(keys, touched).dtype.kind == "M"


def test_rep_results_equal_each_metrics_actuals_over_booked_lines(sample_tables):
    """rep_results picks the booked order lines once for every order figure; each goal metric
    still equals actuals' own sum (cancelled and returned lines left out)."""
    orders = sample_tables["orders"]
    assert orders["status"].isin(actuals.NOT_REVENUE).any()
    start, end = orders["order_date"].min(), orders["order_date"].max()
    sums = m.rep_results(sample_tables, start, end)
    for metric in ("revenue", "units", "deals_won", "new_customers"):
        expected = actuals.per_rep(sample_tables, metric, start, end)
        expected = expected.reindex(sums.index).fillna(0.0).to_numpy()
        np.testing.assert_allclose(sums[metric].to_numpy(), expected, rtol=1e-12)


def test_a_quarter_without_delivered_orders_shows_its_process_without_an_error(sample_workbook):
    """The snapshot has delivered dates, the quarter's orders none (a quarter not started; a
    quarter whose orders are all still on their way): nothing is due a follow-up, so the rate
    is unknown, not a KeyError on the date no order of the quarter holds."""
    from salescoach.services import monitoring as service

    table = service.scope_summary(sample_workbook, "2027-Q1")
    row = table.set_index("Measure").loc["orders taken"]
    assert row["This scope"] == "0" and row["Company"] == "0"
    follow = table.set_index("Measure").loc["deliveries followed up in time"]
    assert follow["This scope"] == "–" and follow["Breach"] == ""
    outcomes = m.order_outcomes(sample_workbook.facts()["orders"].head(0))
    due, done = m.follow_up_state(outcomes, None, 7, pd.Timestamp("2027-03-31"))
    assert len(due) == 0 and done is None
