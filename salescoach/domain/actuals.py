"""What actually happened, per rep and day, for each goal metric; and roll-ups to any scope.

Every module that compares results with goals (goals, monitoring, diagnosis, recognition, the
packs) reads its actuals from here, so "revenue" means one thing across the kit:

- revenue: order lines not cancelled or returned, by order date; without an orders table, won
  deals' amounts by close date.
- units: order line quantities, same lines as revenue.
- deals_won: won deals by close date.
- new_customers: customers on their first order (else first won deal), credited to that rep.

A team or department counts every sale of its members (reps.team, reps.department), so a
group's result is the sum of its reps' results by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd

from salescoach.domain.capabilities import holds
from salescoach.domain.contract import METRICS
from salescoach.domain.periods import Period

NOT_REVENUE = ("cancelled", "returned")
EVENT_COLUMNS = ["rep_id", "date", "value"]


class MissingData(ValueError):
    """The metric needs a table the workbook does not have; the message says which."""


def _booked_orders(orders: pd.DataFrame) -> pd.DataFrame:
    if "status" not in orders:
        return orders
    return orders[~orders["status"].isin(NOT_REVENUE)]


def line_revenue(lines: pd.DataFrame) -> pd.Series:
    """What each order line brings in: its amount, else its quantity times its unit price.
    The one definition every revenue figure uses (`data.facts_query` sums it in SQL)."""
    # Imported orders always carry amount; frames built by hand may have only prices.
    if not holds(lines, "amount"):
        return lines["quantity"] * lines["unit_price"]
    if "unit_price" in lines:
        return lines["amount"].fillna(lines["quantity"] * lines["unit_price"])
    return lines["amount"]


def _won_deals(deals: pd.DataFrame) -> pd.DataFrame:
    return deals[deals["stage"] == "won"]


# Within `reusing_events()`: the last few events frames, keyed by the metric and the identity of
# the orders and deals frames they came from (held, so an id cannot be reused meanwhile).
_REUSE: list | None = None
_REUSE_SIZE = 4


@contextmanager
def reusing_events():
    """Within the block, `events` of the same metric on the same frames is computed once: a
    render batch's shared figures ask for it per period and per scope (a goal history over
    eight quarters at 455 reps spent most of its time filtering the same 1M order lines,
    profiled). Only for facts nobody changes in place meanwhile, as a batch's are."""
    global _REUSE
    outer = _REUSE
    if outer is None:
        _REUSE = []
    try:
        yield
    finally:
        if outer is None:
            _REUSE = None


def events(tables: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """One row per contributing event: rep_id, date, value."""
    if _REUSE is None:
        return _kept_events(tables, metric)
    orders, deals = tables.get("orders"), tables.get("deals")
    for m, o, d, frame in _REUSE:
        if m == metric and o is orders and d is deals:
            return frame
    frame = _kept_events(tables, metric)
    _REUSE.insert(0, (metric, orders, deals, frame))
    del _REUSE[_REUSE_SIZE:]
    return frame


def _kept_events(tables: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    # Facts that keep what is derived from them (workbook.FactsView, monitoring.FactTables)
    # build each metric's events once: goals and awards ask for several periods of one metric.
    derive = getattr(tables, "derive", None)
    if derive is not None:
        return derive(("actuals.events", metric), lambda: _events(tables, metric))
    return _events(tables, metric)


def _events(tables: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    orders, deals = tables.get("orders"), tables.get("deals")
    if metric in ("revenue", "units"):
        if orders is not None:
            # Only the columns an event reads are filtered: a million order lines carry a dozen
            # more (awards propose at scale 7: 0.6 s of copying, profiled).
            wanted = ("rep_id", "order_date", "quantity", "unit_price", "amount", "status")
            lines = _booked_orders(orders[[c for c in wanted if c in orders]])
            value = lines["quantity"] if metric == "units" else line_revenue(lines)
            return pd.DataFrame(
                {"rep_id": lines["rep_id"], "date": lines["order_date"], "value": value}
            )
        if metric == "units":
            raise MissingData("units need an orders table")
        if not holds(deals, "amount"):
            raise MissingData("revenue needs orders, or deals with amounts")
        won = _won_deals(deals)
        return pd.DataFrame(
            {"rep_id": won["rep_id"], "date": won["close_date"], "value": won["amount"]}
        )
    if metric == "deals_won":
        if deals is None:
            raise MissingData("deals_won needs a deals table")
        won = _won_deals(deals)
        return pd.DataFrame({"rep_id": won["rep_id"], "date": won["close_date"], "value": 1.0})
    # new_customers
    source = None
    if holds(orders, "customer_id"):
        lines = _booked_orders(orders)
        source = lines[["customer_id", "rep_id", "order_date"]].rename(
            columns={"order_date": "date"}
        )
    elif holds(deals, "customer_id"):
        won = _won_deals(deals)
        source = won[["customer_id", "rep_id", "close_date"]].rename(columns={"close_date": "date"})
    if source is None:
        raise MissingData("new_customers need customer_id on orders or deals")
    first = source.dropna(subset=["customer_id"]).sort_values("date", kind="stable")
    first = first.drop_duplicates("customer_id", keep="first")
    return pd.DataFrame({"rep_id": first["rep_id"], "date": first["date"], "value": 1.0})


def per_rep(
    tables: Mapping[str, pd.DataFrame],
    metric: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.Series:
    """The metric per rep between two dates (both inclusive); reps with nothing are absent."""
    ev = events(tables, metric)
    ev = ev[(ev["date"] >= start) & (ev["date"] <= end)]
    return ev.groupby("rep_id", sort=True)["value"].sum()


def per_rep_period(
    tables: Mapping[str, pd.DataFrame], metric: str, kind: str = "quarter", fiscal_start: int = 1
) -> pd.DataFrame:
    """A rep x period table (columns are period strings in order), zeros where nothing happened."""
    return per_period_of(events(tables, metric), kind, fiscal_start)


def per_period_of(ev: pd.DataFrame, kind: str = "quarter", fiscal_start: int = 1) -> pd.DataFrame:
    """`per_rep_period` of events already read (rep_id, date, value), or of their daily sums."""
    ev = ev.dropna(subset=["date"])
    if ev.empty:
        return pd.DataFrame()
    labels = period_labels(ev["date"], kind, fiscal_start)
    table = ev.groupby(["rep_id", labels])["value"].sum().unstack(fill_value=0.0)
    return table.reindex(columns=sorted(table.columns, key=lambda p: Period.parse(p, fiscal_start)))


def period_labels(dates: pd.Series, kind: str, fiscal_start: int = 1) -> pd.Series:
    """The period string (`2026-Q3`, `2026-07`, `2026`) each date falls in, vectorised; worked
    out once per distinct date (a year of daily sums for 455 reps holds 365 dates in 200,000
    rows: the strings cost a tenth of the time)."""
    codes, days = pd.factorize(dates)
    named = _period_labels(pd.Series(days), kind, fiscal_start).to_numpy(dtype=object)
    labels = named.take(codes) if len(named) else np.full(len(codes), np.nan, dtype=object)
    labels[codes < 0] = np.nan  # no date, no period
    return pd.Series(labels, index=dates.index, name="period")


def _period_labels(dates: pd.Series, kind: str, fiscal_start: int = 1) -> pd.Series:
    if kind == "month":
        return dates.dt.strftime("%Y-%m").rename("period")
    shifted = dates.dt.month - fiscal_start
    fiscal_year = dates.dt.year + (shifted // 12)
    if kind == "year":
        return fiscal_year.astype(str).rename("period")
    quarter = (shifted % 12) // 3 + 1
    return (fiscal_year.astype(str) + "-Q" + quarter.astype(str)).rename("period")


# The reps column that names each scope below the company.
SCOPE_COLUMN = {"department": "department", "team": "team", "rep": "rep_id"}


def members(reps: pd.DataFrame, scope: str, scope_id: str | None) -> pd.Index:
    """The rep_ids a scope counts: everyone for company, a team's or department's members, one rep."""
    if scope == "company":
        return pd.Index(reps["rep_id"])
    column = SCOPE_COLUMN.get(scope)
    if column is None:
        raise ValueError(f"unknown scope {scope!r}")
    return pd.Index(reps.loc[reps[column] == scope_id, "rep_id"])


def scope_totals(
    values: pd.Series, reps: pd.DataFrame, scopes: pd.Series, scope_ids: pd.Series
) -> np.ndarray:
    """For each (scope, scope_id) pair, the sum of `values` (per rep_id) over its `members`.

    One grouping per level instead of one `members` call per pair: a thousand goals cost a
    few hash passes, not a thousand scans of the reps table."""
    scopes, scope_ids = pd.Series(scopes).to_numpy(), pd.Series(scope_ids).to_numpy()
    out = np.zeros(len(scopes), dtype=float)
    per_row = values.reindex(reps["rep_id"]).fillna(0.0).to_numpy(dtype=float)
    for scope in pd.unique(scopes):
        column = SCOPE_COLUMN.get(scope)
        chosen = scopes == scope
        if scope == "company":
            out[chosen] = per_row.sum()
            continue
        if column is None:
            raise ValueError(f"unknown scope {scope!r}")
        sums = pd.Series(per_row).groupby(reps[column].to_numpy()).sum()
        out[chosen] = sums.reindex(scope_ids[chosen]).fillna(0.0).to_numpy(dtype=float)
    return out


def rollup(values: pd.Series, reps: pd.DataFrame, level: str) -> pd.Series:
    """Sum per-rep values up to `team`, `department` or `company`."""
    if level == "rep":
        return values
    if level == "company":
        return pd.Series({"company": values.sum()})
    owner = reps.set_index("rep_id")[level]
    return values.groupby(values.index.map(owner)).sum()


def scope_total(
    tables: Mapping[str, pd.DataFrame],
    metric: str,
    scope: str,
    scope_id: str | None,
    period: Period,
) -> float:
    """The metric for one scope over one period."""
    values = per_rep(tables, metric, period.start, period.end)
    return float(values.reindex(members(tables["reps"], scope, scope_id)).fillna(0).sum())


def last_day(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The newest order or close date in the facts: a workbook's 'now'.

    Closed periods and default periods are judged against it, not against today, so an
    export reads the same whenever it is opened.
    """
    days = [
        t[column].max()
        for name, column in (("orders", "order_date"), ("deals", "close_date"))
        if (t := tables.get(name)) is not None and column in t
    ]
    days = [d for d in days if pd.notna(d)]
    return max(days) if days else None
