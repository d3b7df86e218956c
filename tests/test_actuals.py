import pandas as pd
import pytest

from salescoach.domain import actuals
from salescoach.domain.periods import Period

REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3"],
        "name": ["A", "B", "C"],
        "team": ["T1", "T1", "T2"],
        "department": ["D1", "D1", "D1"],
    }
)
ORDERS = pd.DataFrame(
    {
        "order_id": ["O1", "O2", "O3", "O4", "O5"],
        "rep_id": ["R1", "R2", "R3", "R1", "R3"],
        "customer_id": ["K1", "K2", "K1", "K3", "K4"],
        "order_date": pd.to_datetime(
            ["2026-07-01", "2026-08-15", "2026-06-30", "2026-09-30", "2026-07-02"]
        ),
        "quantity": [1.0, 2.0, 3.0, 4.0, 5.0],
        "amount": [100.0, 200.0, 300.0, 400.0, 500.0],
        "status": ["delivered", "delivered", "delivered", "open", "cancelled"],
    }
)
DEALS = pd.DataFrame(
    {
        "deal_id": ["D1", "D2", "D3"],
        "rep_id": ["R1", "R1", "R2"],
        "stage": ["won", "lost", "won"],
        "close_date": pd.to_datetime(["2026-07-10", "2026-07-11", "2026-10-01"]),
        "amount": [1000.0, 50.0, 70.0],
        "customer_id": ["K9", "K8", "K7"],
    }
)
Q3 = Period.parse("2026-Q3")


@pytest.mark.parametrize(
    "tables, metric, expected",
    [
        ({"orders": ORDERS}, "revenue", {"R1": 500.0, "R2": 200.0}),
        ({"orders": ORDERS}, "units", {"R1": 5.0, "R2": 2.0}),
        ({"deals": DEALS}, "revenue", {"R1": 1000.0}),
        ({"deals": DEALS}, "deals_won", {"R1": 1.0}),
        # K1 first bought from R3 in June, so R1's July order is not a new customer.
        ({"orders": ORDERS}, "new_customers", {"R1": 1.0, "R2": 1.0}),
    ],
)
def test_per_rep(tables, metric, expected):
    got = actuals.per_rep(tables | {"reps": REPS}, metric, Q3.start, Q3.end)
    assert got.to_dict() == expected


def test_group_counts_every_member():
    tables = {"orders": ORDERS, "reps": REPS}
    assert actuals.scope_total(tables, "revenue", "team", "T1", Q3) == 700.0
    assert actuals.scope_total(tables, "revenue", "department", "D1", Q3) == 700.0
    assert actuals.scope_total(tables, "revenue", "company", None, Q3) == 700.0
    assert actuals.scope_total(tables, "revenue", "team", "T2", Q3) == 0.0


def test_per_rep_period_and_labels():
    table = actuals.per_rep_period({"orders": ORDERS}, "revenue")
    assert list(table.columns) == ["2026-Q2", "2026-Q3"]
    assert table.loc["R3", "2026-Q2"] == 300.0
    labels = actuals.period_labels(
        pd.Series(pd.to_datetime(["2027-02-10", "2026-04-01"])), "quarter", 4
    )
    assert labels.tolist() == ["2026-Q4", "2026-Q1"]
    # Each distinct date is labelled once; an undated row has no period (it read "nan-Qnan").
    dates = pd.Series(pd.to_datetime(["2026-07-02", None, "2026-07-02", "2025-12-31"]))
    assert actuals.period_labels(dates, "quarter").tolist()[::2] == ["2026-Q3", "2026-Q3"]
    assert pd.isna(actuals.period_labels(dates, "month")[1])
    assert actuals.period_labels(dates, "year").tolist()[3] == "2025"
    assert actuals.period_labels(dates[1:2], "quarter").isna().all()


def test_missing_tables_say_which():
    with pytest.raises(actuals.MissingData, match="deals_won needs a deals table"):
        actuals.events({"orders": ORDERS}, "deals_won")
    with pytest.raises(actuals.MissingData, match="units need an orders table"):
        actuals.events({"deals": DEALS}, "units")


def test_last_day_is_the_newest_order_or_close_date():
    assert actuals.last_day({"orders": ORDERS, "deals": DEALS}) == pd.Timestamp("2026-10-01")
    assert actuals.last_day({"orders": ORDERS}) == pd.Timestamp("2026-09-30")
    assert actuals.last_day({"reps": REPS}) is None


def test_conformed_tables_read_missing_columns_as_unknown():
    """A conformed table has every contract column; an all-missing one is no data, not zero."""
    from salescoach.domain import contract
    from salescoach.domain.actuals import MissingData, events

    deals = contract.conform(
        "deals",
        pd.DataFrame(
            {
                "deal_id": ["D1", "D2"],
                "rep_id": ["R1", "R2"],
                "stage": ["won", "won"],
                "close_date": pd.to_datetime(["2026-01-05", "2026-02-01"]),
                "customer_id": ["C1", "C2"],
            }
        ),
    )
    with pytest.raises(MissingData):
        events({"deals": deals}, "revenue")
    orders = contract.conform(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["O1"],
                "rep_id": ["R1"],
                "product_id": ["P1"],
                "order_date": pd.to_datetime(["2026-01-03"]),
                "quantity": [2.0],
                "unit_price": [5.0],
            }
        ),
    )
    assert events({"orders": orders}, "revenue")["value"].tolist() == [10.0]
    # Orders without customers: new customers come from the won deals that name them.
    first = events({"orders": orders, "deals": deals}, "new_customers")
    assert sorted(first["rep_id"]) == ["R1", "R2"]
