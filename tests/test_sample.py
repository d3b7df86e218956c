"""The sample organisation: shape, contract, integrity, and every planted problem visible in the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from salescoach.data.sample import Problems, Sample, build_sample, write_sample
from salescoach.domain.contract import TABLES


@pytest.fixture(scope="module")
def sample() -> Sample:
    return build_sample(seed=7)


@pytest.fixture(scope="module")
def small() -> Sample:
    return build_sample(seed=7, scale=0.2)


def truth(sample: Sample, problem: str) -> dict:
    found = sample.planted(problem)
    assert found, f"{problem} not planted"
    return found[0]


def since(entry: dict) -> pd.Timestamp:
    return pd.Period(entry["period_from"], freq="Q").start_time


def win_rate(deals: pd.DataFrame) -> float:
    closed = deals[deals["stage"] != "open"]
    return (closed["stage"] == "won").mean()


def family_of(sample: Sample, product_ids: pd.Series) -> pd.Series:
    return product_ids.map(sample.tables["products"].set_index("product_id")["family"])


def department_of(sample: Sample, rep_ids: pd.Series) -> pd.Series:
    return rep_ids.map(sample.tables["reps"].set_index("rep_id")["department"])


def attainment(sample: Sample, start: pd.Timestamp | None = None) -> pd.Series:
    """Seller revenue (lines not cancelled or returned) over their quarterly targets."""
    orders = sample.tables["orders"]
    net = orders[~orders["status"].isin(["cancelled", "returned"])]
    revenue = (
        (net["quantity"] * net["unit_price"])
        .groupby([net["rep_id"], quarter_label(net["order_date"])])
        .sum()
    )
    targets = sample.tables["targets"]
    quarters = targets[(targets["scope"] == "rep") & targets["period"].str.contains("Q")]
    quarters = quarters.set_index(["scope_id", "period"])["target"]
    both = pd.concat({"revenue": revenue, "target": quarters}, axis=1).dropna()
    if start is not None:
        periods = both.index.get_level_values(1)
        both = both[pd.PeriodIndex(periods, freq="Q").start_time >= start]
    sellers = sample.tables["reps"].query("role == 'seller'")["rep_id"]
    both = both[both.index.get_level_values(0).isin(sellers)]
    sums = both.groupby(level=0).sum()
    return sums["revenue"] / sums["target"]


def quarter_label(dates: pd.Series) -> pd.Series:
    return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)


def problem_reps(sample: Sample) -> set[str]:
    return {g["scope_id"] for g in sample.ground_truth if g["scope"] == "rep"}


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_sample(small):
    again = build_sample(seed=7, scale=0.2)
    assert again.ground_truth == small.ground_truth
    for name, frame in small.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])


def test_another_seed_differs(small):
    other = build_sample(seed=8, scale=0.2)
    assert other.ground_truth != small.ground_truth
    assert not other.tables["orders"].equals(small.tables["orders"])


def test_the_seed_chooses_where_problems_sit():
    chosen = {
        seed: {g["problem"]: g["scope_id"] for g in build_sample(seed=seed, scale=0.1).ground_truth}
        for seed in range(1, 7)
    }
    for problem in (
        "poor_product",
        "overpriced_family",
        "late_department",
        "wrong_campaign",
        "low_activity",
    ):
        assert len({c[problem] for c in chosen.values()}) > 1, problem


# --------------------------------------------------------------------------- shape and contract


@pytest.mark.parametrize(
    "table, low, high",
    [
        ("reps", 55, 80),
        ("products", 12, 12),
        ("customers", 2500, 3500),
        ("deals", 15_000, 30_000),
        ("orders", 130_000, 170_000),
        ("service", 5_000, 25_000),
        ("feedback", 3_000, 12_000),
        ("activities", 80_000, 250_000),
        ("courses", 8, 14),
        ("training", 800, 3_000),
        ("targets", 500, 3_000),
        ("campaigns", 8, 20),
        ("market", 30, 60),
    ],
)
def test_row_counts_at_scale_one(sample, table, low, high):
    assert low <= len(sample.tables[table]) <= high


def test_organisation_shape(sample):
    reps = sample.tables["reps"]
    sellers = reps[reps["role"] == "seller"]
    assert 3 <= reps["department"].nunique() <= 4
    assert 6 <= sellers["team"].nunique() <= 10
    assert 55 <= len(sellers) <= 70
    assert 3 <= (reps["role"] == "support").sum() <= 6
    assert reps["end_date"].notna().sum() == 1
    assert reps["name"].is_unique and reps["email"].is_unique
    assert reps["name"].str.contains("[α-ωΑ-Ω]").sum() >= 2, "a few Greek-script names"
    assert 3 <= sample.tables["products"]["family"].nunique() <= 4
    assert set(sample.tables["customers"]["segment"]) == {
        "enterprise",
        "mid-market",
        "small business",
        "public sector",
    }


def test_history_covers_two_years_to_the_end_date(sample):
    orders = sample.tables["orders"]
    assert orders["order_date"].max() <= pd.Timestamp("2026-09-30")
    quarters = set(quarter_label(orders["order_date"]))
    assert {f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3)} | {"2024-Q4"} <= quarters
    assert {"2026-Q3", "2026"} <= set(sample.tables["targets"]["period"])


def test_q4_is_the_strongest_quarter(sample):
    orders = sample.tables["orders"]
    orders = orders[orders["order_date"].dt.year == 2025]
    by_quarter = (
        (orders["quantity"] * orders["unit_price"]).groupby(orders["order_date"].dt.quarter).sum()
    )
    assert by_quarter.idxmax() == 4


@pytest.mark.parametrize("table", sorted(TABLES))
def test_columns_follow_the_contract(sample, table):
    frame = sample.tables[table]
    spec = TABLES[table]
    assert set(frame.columns) <= set(spec.names)
    assert set(spec.required) <= set(frame.columns)
    for col in spec.columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.required:
            assert values.notna().all(), col.name
        if col.kind == "date":
            assert pd.api.types.is_datetime64_any_dtype(values), col.name
            assert (values.dropna() == values.dropna().dt.normalize()).all(), col.name
        if col.kind == "id":
            assert pd.api.types.is_string_dtype(values), col.name
        if col.choices:
            assert set(values.dropna()) <= set(col.choices), col.name
        if col.min is not None:
            assert (values.dropna() >= col.min).all(), col.name
        if col.max is not None:
            assert (values.dropna() <= col.max).all(), col.name
    if spec.key:
        assert not frame.duplicated(list(spec.key)).any()


REFERENCES = [
    (t.name, c.name, *c.references.split("."))
    for t in TABLES.values()
    for c in t.columns
    if c.references
] + [
    ("deals", "lead_source", "campaigns", "campaign_id"),
    ("training", "course_id", "courses", "course_id"),
    ("targets", "scope_id", "reps", "rep_id"),
]


@pytest.mark.parametrize("table, column, parent, key", REFERENCES)
def test_references_resolve(sample, table, column, parent, key):
    if column not in sample.tables[table]:
        pytest.skip(f"the sample's {table} has no {column}")
    values = sample.tables[table][column].dropna()
    if table == "deals" and column == "lead_source":
        values = values[~values.isin(["referral", "inbound", "outbound"])]
    if table == "targets":
        values = sample.tables["targets"].query("scope == 'rep'")["scope_id"]
    assert values.isin(sample.tables[parent][key]).all()


def test_support_rep_ids_are_support_staff(sample):
    reps = sample.tables["reps"].set_index("rep_id")["role"]
    support = sample.tables["deals"]["support_rep_id"].dropna()
    assert len(support) > 1000
    assert (support.map(reps) == "support").all()


@pytest.mark.parametrize(
    "table, earlier, later",
    [(t.name, a, b) for t in TABLES.values() for a, b in t.date_order],
)
def test_dates_in_order(sample, table, earlier, later):
    frame = sample.tables[table]
    both = frame[[earlier, later]].dropna()
    assert (both[later] >= both[earlier]).all()


def test_work_happens_while_employed(sample):
    reps = sample.tables["reps"].set_index("rep_id")
    for table, column in (("orders", "order_date"), ("activities", "date")):
        frame = sample.tables[table]
        hired = frame["rep_id"].map(reps["hire_date"])
        left = frame["rep_id"].map(reps["end_date"]).fillna(pd.Timestamp.max)
        assert ((frame[column] >= hired) & (frame[column] <= left)).all(), table


def test_orders_are_consistent(sample):
    orders = sample.tables["orders"]
    expected = (orders["unit_list_price"] * (1 - orders["discount"])).round(2)
    assert np.allclose(orders["unit_price"], expected, atol=0.011)
    assert (orders.groupby("order_id")["line"].min() == 1).all()
    assert set(orders["status"]) == {"open", "shipped", "delivered", "cancelled", "returned"}
    delivered = orders[orders["status"].isin(["delivered", "returned"])]
    assert delivered["delivered_date"].notna().all()
    cancelled = orders[orders["status"] == "cancelled"]
    assert cancelled["shipped_date"].isna().all()
    # An order from a won deal carries its amount.
    deals = sample.tables["deals"].set_index("deal_id")
    from_deals = orders.dropna(subset=["deal_id"])
    totals = (
        (from_deals["quantity"] * from_deals["unit_price"]).groupby(from_deals["deal_id"]).sum()
    )
    assert (deals.loc[totals.index, "stage"] == "won").all()
    assert np.allclose(totals, deals.loc[totals.index, "amount"], atol=0.02)


def test_lost_deals_have_a_reason_and_closed_deals_a_date(sample):
    deals = sample.tables["deals"]
    assert deals.loc[deals["stage"] == "lost", "lost_reason"].notna().all()
    assert deals.loc[deals["stage"] != "lost", "lost_reason"].isna().all()
    assert deals.loc[deals["stage"] != "open", "close_date"].notna().all()


def test_every_family_has_one_product_course(sample):
    courses = sample.tables["courses"]
    product = courses[courses["topic"] == "product"]
    assert sorted(product["product_family"]) == sorted(sample.tables["products"]["family"].unique())
    assert set(courses["topic"]) >= {"product", "audience", "strategy", "skills"}


def test_targets_at_every_scope(sample):
    targets = sample.tables["targets"]
    assert set(targets["scope"]) == {"company", "department", "team", "rep"}
    assert targets.loc[targets["scope"] == "company", "scope_id"].isna().all()
    company = targets[(targets["scope"] == "company")].set_index("period")["target"]
    departments = targets[targets["scope"] == "department"].groupby("period")["target"].sum()
    assert np.allclose(company.sort_index(), departments.sort_index())
    year = targets[(targets["scope"] == "company") & (targets["period"] == "2025")]["target"].iloc[
        0
    ]
    quarters = company[[f"2025-Q{q}" for q in range(1, 5)]].sum()
    assert year == pytest.approx(quarters)


def test_market_has_every_quarter_and_family(sample):
    market = sample.tables["market"]
    families = sample.tables["products"]["family"].nunique()
    assert (market.groupby("period").size() == families).all()
    assert market["period"].str.match(r"^\d{4}-Q[1-4]$").all()


# --------------------------------------------------------------------------- planted problems


def test_ground_truth_entries_are_complete(sample):
    kinds = {g["problem"] for g in sample.ground_truth}
    assert kinds == {
        "poor_product",
        "overpriced_family",
        "late_department",
        "poor_service_segment",
        "wrong_campaign",
        "training_gap",
        "low_activity",
        "late_delivery_victim",
        "top_performer",
    }
    for g in sample.ground_truth:
        assert {"problem", "cause", "scope", "scope_id", "period_from", "note"} <= set(g)
        assert g["cause"] in {
            "product",
            "price",
            "delivery",
            "service",
            "marketing",
            "training",
            "rep",
            "top_performer",
            "late_delivery_victim",
        }
        assert g["scope"] in {
            "product",
            "family",
            "department",
            "segment",
            "campaign",
            "rep",
            "team",
        }
    assert 2 <= len(sample.planted("training_gap")) <= 3
    assert 3 <= len(sample.planted("top_performer")) <= 4
    assert len(problem_reps(sample)) == sum(g["scope"] == "rep" for g in sample.ground_truth)
    json.dumps(sample.ground_truth)


def test_poor_product(sample):
    g = truth(sample, "poor_product")
    orders = sample.tables["orders"]
    recent = orders[
        (orders["order_date"] >= since(g)) & orders["status"].isin(["delivered", "returned"])
    ]
    returned = (
        (recent["status"] == "returned").groupby(recent["product_id"] == g["scope_id"]).mean()
    )
    assert returned[True] > 2 * returned[False]
    service = sample.tables["service"]
    complaints = service[(service["kind"] == "complaint") & (service["opened_date"] >= since(g))]
    per_line = (
        complaints.groupby(complaints["product_id"] == g["scope_id"]).size()
        / recent.groupby(recent["product_id"] == g["scope_id"]).size()
    )
    assert per_line[True] > 2 * per_line[False]
    deals = sample.tables["deals"]
    mine = deals[deals["product_id"] == g["scope_id"]]
    assert win_rate(mine[mine["close_date"] >= since(g)]) < 0.7 * win_rate(
        mine[mine["close_date"] < since(g)]
    )


def test_overpriced_family(sample):
    g = truth(sample, "overpriced_family")
    market = sample.tables["market"]
    recent = market[pd.PeriodIndex(market["period"], freq="Q").start_time >= since(g)]
    assert (
        recent.loc[recent["product_family"] == g["scope_id"], "competitor_price_index"] < 0.92
    ).all()
    assert (
        recent.loc[recent["product_family"] != g["scope_id"], "competitor_price_index"] > 0.93
    ).all()
    deals = sample.tables["deals"]
    is_family = family_of(sample, deals["product_id"]) == g["scope_id"]
    after = deals["close_date"] >= since(g)
    assert win_rate(deals[is_family & after]) < 0.75 * win_rate(deals[is_family & ~after])
    lost = deals[(deals["stage"] == "lost") & after]
    price = (
        (lost["lost_reason"] == "price")
        .groupby(family_of(sample, lost["product_id"]) == g["scope_id"])
        .mean()
    )
    assert price[True] > 1.5 * price[False]
    orders = sample.tables["orders"]
    o_after = orders["order_date"] >= since(g)
    o_family = family_of(sample, orders["product_id"]) == g["scope_id"]
    assert (
        orders.loc[o_family & o_after, "discount"].mean()
        > orders.loc[o_family & ~o_after, "discount"].mean() + 0.03
    )


def late_share(orders: pd.DataFrame) -> float:
    done = orders.dropna(subset=["delivered_date"]).drop_duplicates("order_id")
    return (done["delivered_date"] > done["promised_date"]).mean()


def test_late_department(sample):
    g = truth(sample, "late_department")
    orders = sample.tables["orders"]
    recent = orders[orders["order_date"] >= since(g)]
    in_dept = department_of(sample, recent["rep_id"]) == g["scope_id"]
    assert late_share(recent[in_dept]) > 2 * late_share(recent[~in_dept])
    assert 0.3 < late_share(recent[in_dept]) < 0.6
    before = orders[
        (orders["order_date"] < since(g))
        & (department_of(sample, orders["rep_id"]) == g["scope_id"])
    ]
    assert late_share(before) < 0.12


def test_poor_service_segment(sample):
    g = truth(sample, "poor_service_segment")
    service = sample.tables["service"]
    service = service[service["opened_date"] >= since(g)]
    segment = service["customer_id"].map(
        sample.tables["customers"].set_index("customer_id")["segment"]
    )
    mine = segment == g["scope_id"]
    days = (service["closed_date"] - service["opened_date"]).dt.days
    assert days[mine].median() > 2 * days[~mine].median()
    assert service.loc[mine, "csat"].mean() < service.loc[~mine, "csat"].mean() - 0.7


def test_wrong_campaign(sample):
    g = truth(sample, "wrong_campaign")
    deals = sample.tables["deals"]
    campaigns = deals[deals["lead_source"].str.startswith("CMP")]
    mine = campaigns["lead_source"] == g["scope_id"]
    assert (campaigns[mine]["stage"] != "open").sum() >= 50
    assert win_rate(campaigns[mine]) < 0.5 * win_rate(campaigns[~mine])
    row = sample.tables["campaigns"].set_index("campaign_id").loc[g["scope_id"]]
    assert row["target_segment"] == g["target_segment"]


def test_training_gap_reps(sample):
    training = sample.tables["training"]
    courses = sample.tables["courses"]
    deals = sample.tables["deals"]
    family = family_of(sample, deals["product_id"])
    gaps = sample.planted("training_gap")
    for g in gaps:
        course = courses[
            (courses["topic"] == "product") & (courses["product_family"] == g["family"])
        ]["course_id"]
        taken = training[training["rep_id"] == g["scope_id"]]
        assert not taken["course_id"].isin(course).any()
        assert (
            taken["course_id"].isin(courses.loc[courses["topic"] == "product", "course_id"]).any()
        )
        mine = deals["rep_id"] == g["scope_id"]
        on_family = win_rate(deals[mine & (family == g["family"])])
        assert on_family < 0.7 * win_rate(deals[mine & (family != g["family"])])
        peers = ~deals["rep_id"].isin([x["scope_id"] for x in gaps])
        assert on_family < 0.6 * win_rate(deals[peers & (family == g["family"])])
    # Everyone else took every product course.
    product_courses = set(courses.loc[courses["topic"] == "product", "course_id"])
    others = training[~training["rep_id"].isin([g["scope_id"] for g in gaps])]
    took_all = (
        others[others["course_id"].isin(product_courses)].groupby("rep_id")["course_id"].nunique()
    )
    assert (took_all == len(product_courses)).all()


def test_low_activity_rep(sample):
    g = truth(sample, "low_activity")
    start = since(g)
    sellers = sample.tables["reps"].query("role == 'seller' and end_date.isna()")["rep_id"]
    acts = sample.tables["activities"]
    per_rep = acts[(acts["date"] >= start) & acts["rep_id"].isin(sellers)].groupby("rep_id").size()
    assert per_rep[g["scope_id"]] < 0.6 * per_rep.median()
    deals = sample.tables["deals"]
    mine = deals[deals["rep_id"] == g["scope_id"]]
    recent = deals[deals["close_date"] >= start]
    now = win_rate(mine[mine["close_date"] >= start])
    assert now < 0.7 * win_rate(mine[mine["close_date"] < start])
    assert now < 0.85 * win_rate(recent[recent["rep_id"] != g["scope_id"]])
    assert attainment(sample, start)[g["scope_id"]] < 0.85


def test_late_delivery_victim(sample):
    g = truth(sample, "late_delivery_victim")
    dept = truth(sample, "late_department")
    start = since(g)
    reps = sample.tables["reps"].set_index("rep_id")
    assert reps.loc[g["scope_id"], "department"] == dept["scope_id"]
    assert attainment(sample, start)[g["scope_id"]] < 0.88
    # Activity and deal size like their peers.
    sellers = reps[(reps["role"] == "seller") & reps["end_date"].isna()].index
    troubled = problem_reps(sample) - {g["scope_id"]}
    acts = sample.tables["activities"]
    acts = acts[(acts["date"] >= start) & acts["rep_id"].isin(sellers)]
    per_rep = acts.groupby("rep_id").size()
    normal = per_rep.drop(list(troubled), errors="ignore")
    assert normal.quantile(0.1) <= per_rep[g["scope_id"]] <= normal.quantile(0.9)
    deals = sample.tables["deals"]
    sizes = deals.groupby("rep_id")["amount"].median().drop(list(troubled), errors="ignore")
    assert sizes.quantile(0.1) <= sizes[g["scope_id"]] <= sizes.quantile(0.9)
    # The loss shows as late orders, cancellations and returns, and deals lost on timing or service.
    orders = sample.tables["orders"]
    recent_orders = orders[(orders["order_date"] >= start)]
    mine = recent_orders["rep_id"] == g["scope_id"]
    in_dept = department_of(sample, recent_orders["rep_id"]) == dept["scope_id"]
    assert late_share(recent_orders[mine]) > late_share(recent_orders[in_dept & ~mine])
    gone = recent_orders["status"].isin(["cancelled", "returned"])
    assert gone[mine].mean() > 2 * gone[in_dept & ~mine].mean()
    lost = deals[(deals["stage"] == "lost") & (deals["close_date"] >= start)]
    timing = lost["lost_reason"].isin(["timing", "service"])
    elsewhere = department_of(sample, lost["rep_id"]) != dept["scope_id"]
    assert timing[lost["rep_id"] == g["scope_id"]].mean() > 1.4 * timing[elsewhere].mean()


def test_attainment_bands(sample):
    result = attainment(sample)
    tops = [g["scope_id"] for g in sample.planted("top_performer")]
    assert (result[tops] >= 1.25).all()
    gaps = [g["scope_id"] for g in sample.planted("training_gap")]
    assert (result[gaps] < 0.88).all()
    normal = result.drop(list(problem_reps(sample)))
    assert normal.between(0.9, 1.1).all(), normal[~normal.between(0.9, 1.1)]


def test_top_performers_win_more(sample):
    deals = sample.tables["deals"]
    tops = deals["rep_id"].isin([g["scope_id"] for g in sample.planted("top_performer")])
    assert win_rate(deals[tops]) > 1.15 * win_rate(deals[~tops])


def test_low_feedback_names_concrete_problems(sample):
    feedback = sample.tables["feedback"]
    low = feedback[feedback["score"] <= 4]["comment"].dropna()
    assert (
        low.str.contains(
            "late|broke|stopped|faulty|quality|expensive|price|support|waited|missed"
        ).mean()
        > 0.8
    )


# --------------------------------------------------------------------------- options


def test_a_different_mix_plants_a_different_set():
    mix = Problems(poor_product=False, wrong_campaign=False, top_performers=0, training_gap=3)
    s = build_sample(seed=11, scale=0.3, problems=mix)
    kinds = [g["problem"] for g in s.ground_truth]
    assert (
        "poor_product" not in kinds
        and "wrong_campaign" not in kinds
        and "top_performer" not in kinds
    )
    assert kinds.count("training_gap") == 3
    orders = s.tables["orders"]
    done = orders[orders["status"].isin(["delivered", "returned"])]
    assert (done["status"] == "returned").groupby(done["product_id"]).mean().max() < 0.06


def test_nothing_planted():
    s = build_sample(seed=5, scale=0.2, problems=Problems.none())
    assert s.ground_truth == []
    assert s.tables["market"]["competitor_price_index"].min() > 0.93


def test_problems_placed_by_name():
    base = build_sample(seed=3, scale=0.2)
    family = base.tables["products"]["family"].iloc[-1]
    s = build_sample(
        seed=3, scale=0.2, problems=Problems(overpriced_family=family, poor_product=False)
    )
    assert truth(s, "overpriced_family")["scope_id"] == family
    with pytest.raises(ValueError, match="no family"):
        build_sample(seed=3, scale=0.2, problems=Problems(overpriced_family="Toasters"))


def test_small_scale_works(small, sample):
    assert 0.1 < len(small.tables["orders"]) / len(sample.tables["orders"]) < 0.3
    assert 10 <= (small.tables["reps"]["role"] == "seller").sum() <= 16
    assert {g["problem"] for g in small.ground_truth} == {g["problem"] for g in sample.ground_truth}


def test_greek():
    s = build_sample(seed=7, scale=0.1, lang="el")
    greek = "[α-ωΑ-Ωά-ώ]"
    assert s.tables["reps"]["name"].str.contains(greek).all()
    assert s.tables["products"]["name"].str.contains(greek).all()
    assert s.tables["feedback"]["comment"].dropna().str.contains(greek).all()
    assert s.tables["reps"]["rep_id"].str.isascii().all()
    assert s.tables["reps"]["email"].str.isascii().all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_sample(tmp_path, fmt):
    s = write_sample(tmp_path, seed=2, scale=0.1, fmt=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{t}.{fmt}" for t in s.tables] + ["ground_truth.json"]
    )
    assert (
        json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8")) == s.ground_truth
    )
    read = (
        pd.read_csv(tmp_path / f"reps.{fmt}")
        if fmt == "csv"
        else pd.read_parquet(tmp_path / f"reps.{fmt}")
    )
    assert list(read["rep_id"]) == list(s.tables["reps"]["rep_id"])
    if fmt == "csv":
        first = (tmp_path / "orders.csv").read_text(encoding="utf-8").splitlines()[1]
        assert "00:00:00" not in first


def test_written_sample_imports_without_rejects(tmp_path):
    from salescoach.data.importer import validate_path

    write_sample(tmp_path, seed=4, scale=0.1, lang="el")
    counts = validate_path(tmp_path).counts_frame()
    assert set(counts["table"]) == set(TABLES)
    assert counts["rejected"].sum() == 0
    assert (counts["stored"] == counts["read"]).all()
