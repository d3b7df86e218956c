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
