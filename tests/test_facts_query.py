"""The DuckDB path over the month files gives the figures the pandas path gives."""

import pandas as pd
import pytest

from salescoach.data.facts_query import rep_order_sums
from salescoach.domain import monitoring


@pytest.mark.parametrize(
    "window",
    [
        None,
        ("2026-07-01", "2026-09-30"),
        ("2026-07-15", "2026-07-15"),
        ("1990-01-01", "1990-12-31"),
    ],
    ids=["whole history", "a quarter", "one day", "before the data"],
)
def test_revenue_and_units_per_rep_equal_the_pandas_path(sample_workbook, sample_tables, window):
    orders = sample_tables["orders"]
    start, end = (
        (orders["order_date"].min(), orders["order_date"].max())
        if window is None
        else map(pd.Timestamp, window)
    )
    expected = monitoring.rep_results(sample_tables, start, end)[["revenue", "units"]]
    roster = pd.Index(sample_tables["reps"]["rep_id"], name="rep_id")
    got = rep_order_sums(sample_workbook.current_snapshot(), roster, start, end)
    # An empty window's bincount is integer zeros; the values are what is compared.
    pd.testing.assert_frame_equal(got, expected.astype("float64"), check_names=False, rtol=1e-9)


def _pandas_daily(tables, metric: str) -> pd.DataFrame:
    from salescoach.domain import actuals

    ev = actuals.events(tables, metric).dropna(subset=["date"])
    return ev.groupby(["rep_id", "date"], sort=True)["value"].sum().reset_index()


def _same_daily(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.assign(rep_id=got["rep_id"].astype(str)).reset_index(drop=True)
    expected = expected.assign(rep_id=expected["rep_id"].astype(str)).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("metric", ["revenue", "units"])
def test_daily_sums_equal_the_pandas_events_on_the_sample(sample_workbook, sample_tables, metric):
    from salescoach.data.facts_query import daily_order_sums

    got = daily_order_sums(sample_workbook.current_snapshot(), metric)
    _same_daily(got, _pandas_daily(sample_tables, metric))


def test_daily_sums_follow_the_one_line_definition_on_odd_lines(tmp_path):
    """A line without amount counts quantity x unit price; cancelled and returned lines count
    nothing; a line without status counts; a line without rep or date counts for nobody."""
    from salescoach.data.facts_query import daily_order_sums, rep_product_sums
    from salescoach.domain.goals_history import family_sales, family_table

    day = pd.Timestamp("2026-07-01")
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(7)],
            "rep_id": ["R1", "R1", "R1", "R2", None, "R2", "R2"],
            "product_id": ["P1", "P2", "P1", "P1", "P1", "P2", "P2"],
            "order_date": [day, day, day, day, day, pd.NaT, day + pd.Timedelta(days=1)],
            "quantity": [2.0, 1.0, 5.0, 3.0, 1.0, 1.0, 4.0],
            "unit_price": [10.0, 7.0, 1.0, 2.0, 9.0, 9.0, 2.5],
            "amount": [25.0, None, 5.0, None, 9.0, 9.0, None],
            "status": ["delivered", None, "cancelled", "returned", "delivered", None, "shipped"],
        }
    )
    orders.to_parquet(tmp_path / "orders.parquet")
    tables = {"orders": orders}
    for metric in ("revenue", "units"):
        got = daily_order_sums(tmp_path, metric)
        _same_daily(got, _pandas_daily(tables, metric))
    revenue = daily_order_sums(tmp_path, "revenue").set_index("rep_id")["value"]
    assert revenue["R1"] == 25.0 + 7.0  # the amount given, then quantity x price
    assert list(revenue.loc[["R2"]]) == [10.0]  # returned line out, the next day's counts
    products = pd.DataFrame({"product_id": ["P1", "P2"], "family": ["Core", "Add-on"]})
    start, end = day, day + pd.Timedelta(days=5)
    expected = family_sales({"orders": orders, "products": products}, start, end)
    got = family_table(rep_product_sums(tmp_path, start, end), products)
    pd.testing.assert_frame_equal(
        got.sort_index(axis=0).sort_index(axis=1),
        expected.sort_index(axis=0).sort_index(axis=1),
        check_names=False,
    )


def test_without_order_lines_there_is_nothing_to_sum(tmp_path):
    from salescoach.data.facts_query import daily_order_sums, order_dates, rep_product_sums

    assert daily_order_sums(tmp_path, "revenue") is None
    assert (
        rep_product_sums(tmp_path, pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31")) is None
    )
    assert order_dates(tmp_path) == (None, None)


def test_family_sales_equal_the_pandas_path_on_the_sample(sample_workbook, sample_tables):
    from salescoach.data.facts_query import rep_product_sums
    from salescoach.domain.goals_history import family_sales, family_table

    start, end = pd.Timestamp("2025-07-01"), pd.Timestamp("2026-06-30")
    expected = family_sales(sample_tables, start, end)
    got = family_table(
        rep_product_sums(sample_workbook.current_snapshot(), start, end), sample_tables["products"]
    )
    assert len(expected) > 10
    pd.testing.assert_frame_equal(
        got.sort_index(axis=0).sort_index(axis=1),
        expected.sort_index(axis=0).sort_index(axis=1),
        check_names=False,
        check_index_type=False,
        rtol=1e-9,
    )


@pytest.mark.parametrize("statistics", [True, False], ids=["stated", "scanned"])
def test_the_order_date_range_is_the_rows_whether_or_not_files_state_it(
    tmp_path, monkeypatch, statistics
):
    """The app reads the oldest and newest order date from the files' statistics; files written
    without them (another tool's export) are scanned, with the same answer. Null dates and an
    empty month file change neither."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from salescoach.data.facts_query import order_dates

    folder = tmp_path / "orders"
    folder.mkdir()
    months = {
        "2025-11": [None, "2025-11-30", "2025-11-03"],
        "2026-02": ["2026-02-14", None],
        "2026-03": [],
    }
    for month, days in months.items():
        dates = [dt.date.fromisoformat(d) if d else None for d in days]
        table = pa.table({"order_date": pa.array(dates, pa.date32())})
        pq.write_table(table, folder / f"{month}.parquet", write_statistics=statistics)
    if statistics:  # stated: no row is read

        def no_scan(*args, **kwargs):
            raise AssertionError("scanned the rows although the files state the range")

        monkeypatch.setattr("duckdb.connect", no_scan)
    assert order_dates(tmp_path) == (pd.Timestamp("2025-11-03"), pd.Timestamp("2026-02-14"))


def test_a_date_range_without_its_table_column_or_values_is_none(tmp_path):
    """The app's first and last day read the deals' close dates from the files: a snapshot
    without deals, deals without the column, or with no close date at all give (None, None),
    never an error nor a made-up date."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from salescoach.data.facts_query import date_range

    assert date_range(tmp_path, "deals", "close_date") == (None, None)
    pq.write_table(pa.table({"deal_id": ["D1"]}), tmp_path / "deals.parquet")
    assert date_range(tmp_path, "deals", "close_date") == (None, None)
    dates = pa.array([None, None], pa.timestamp("ns"))
    pq.write_table(
        pa.table({"deal_id": ["D1", "D2"], "close_date": dates}), tmp_path / "deals.parquet"
    )
    assert date_range(tmp_path, "deals", "close_date") == (None, None)


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_monthly_sums_give_the_pandas_per_period_table(sample_workbook, sample_tables, kind):
    """`goals suggest` sums the order files by month; every period kind built from those
    months is the table the loaded lines give."""
    from salescoach.data.facts_query import daily_order_sums
    from salescoach.domain import actuals

    for metric in ("revenue", "units"):
        monthly = daily_order_sums(sample_workbook.current_snapshot(), metric, grain="month")
        assert (monthly["date"].dt.day == 1).all()
        got = actuals.per_period_of(monthly, kind)
        expected = actuals.per_rep_period(sample_tables, metric, kind)
        pd.testing.assert_frame_equal(
            got, expected, check_names=False, check_index_type=False, rtol=1e-9
        )


def test_who_sells_asked_of_the_files_equals_the_loaded_lines(sample_workbook, sample_tables):
    """A workbook view answers `roles.selling` from the order files while the lines are not
    loaded; the people are those the loaded lines name."""
    from salescoach.data.workbook import Workbook
    from salescoach.domain import roles

    facts = Workbook.open(sample_workbook.root).facts()
    got = roles.selling(facts.view())
    assert "orders" not in facts._cache  # asked of the files
    expected = roles.selling(sample_tables)
    assert len(expected) > 10
    assert sorted(got) == sorted(expected)


def test_a_rep_named_only_on_orders_sells(tmp_path):
    from salescoach.data.facts_query import order_rep_ids

    orders = pd.DataFrame(
        {"order_id": ["O1", "O2", "O3"], "rep_id": ["R2", None, "R1"], "quantity": [1.0] * 3}
    )
    orders.to_parquet(tmp_path / "orders.parquet")
    assert list(order_rep_ids(tmp_path)) == ["R1", "R2"]
    assert order_rep_ids(tmp_path / "nothing") is None


def test_activities_per_rep_and_period_asked_of_the_files_equal_the_loaded_rows(sample_workbook):
    """Awards count each rep's activities per period; the workbook's view counts them in the
    files (the million rows never loaded), with the frame the loaded rows give."""
    from salescoach.data.workbook import Workbook
    from salescoach.domain.periods import Period
    from salescoach.domain.recognition_standings import _count_per_period

    facts = Workbook.open(sample_workbook.root).facts()
    periods = [Period.parse(p) for p in ("2026-Q3", "2026-Q2", "2026-05", "2026", "1990-Q1")]
    got = _count_per_period(facts.view(), "activities", "date", periods)
    assert "activities" not in facts._cache
    expected = _count_per_period(facts.all(), "activities", "date", periods)
    assert expected["2026-Q2"].sum() > 100
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
