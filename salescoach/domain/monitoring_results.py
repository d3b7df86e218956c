"""Results per rep and scope over any window: revenue, units, deals won, new customers, margin
and list-price discount, summed once per run into arrays and rolled up to teams and
departments; the trend over periods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.domain import actuals
from salescoach.domain.attainment import attainment_table
from salescoach.domain.monitoring_orders import (
    _level_keys,
    _share,
    _shared,
    lookup,
)
from salescoach.domain.periods import Period

# Additive per-rep figures; every ratio is rebuilt from these at any level.
ADDITIVE = (
    "revenue",
    "units",
    "deals_won",
    "deals_lost",
    "won_amount",
    "new_customers",
    "priced_revenue",
    "list_value",
    "costed_revenue",
    "cost",
)


@dataclass(frozen=True)
class _Source:
    """Rows of one table as plain arrays: the rep's position in the roster, the date that
    places the row in a window, and one weight array per additive figure."""

    rep: np.ndarray
    date: np.ndarray
    weights: dict[str, np.ndarray]


def _rep_positions(rep_ids: pd.Series, roster: pd.Index) -> np.ndarray:
    """Each row's position in the roster (-1: not on it); one hash pass over the distinct ids."""
    codes, uniques = pd.factorize(rep_ids)
    if len(uniques) == 0:  # no row names a rep (open leads nobody has taken)
        return np.full(len(codes), -1)
    position = roster.get_indexer(uniques)
    return np.where(codes >= 0, position[np.where(codes >= 0, codes, 0)], -1)


def _slim(
    frame: pd.DataFrame | None,
    columns: tuple[str, ...],
    roster: pd.Index,
    rows: np.ndarray | None = None,
):
    """The columns a result reads, with rep_id replaced by roster positions and other text as
    categories, so every filter below moves integers instead of a million strings; with
    `rows` (a mask), only those rows, picked once the text is numbered."""
    if frame is None:
        return None
    slim = frame[[c for c in columns if c in frame]].copy()
    slim["rep_id"] = _rep_positions(frame["rep_id"], roster)
    for column in slim.columns[1:]:
        if pd.api.types.is_string_dtype(slim[column]) or slim[column].dtype == object:
            slim[column] = slim[column].astype("category")
    return slim if rows is None else slim[rows]


def _weights(values) -> np.ndarray:
    # A missing amount adds nothing, as pandas' sum skips it.
    return np.nan_to_num(np.asarray(values, dtype=float))


def _result_sources(tables: Mapping[str, pd.DataFrame], roster: pd.Index) -> list[_Source]:
    """Every additive per-rep figure as arrays, read once for any number of windows."""
    orders = tables.get("orders")
    # Every order figure here is of booked lines (`actuals`' revenue, units and first orders,
    # the list value and the cost): picked once, and the status left out, so no figure below
    # filters the million lines again (scale 7: four filters of nine columns).
    booked = (
        ~orders["status"].isin(actuals.NOT_REVENUE).to_numpy()
        if orders is not None and "status" in orders
        else None
    )
    orders = _slim(
        orders,
        (
            "rep_id",
            "order_date",
            "quantity",
            "unit_price",
            "amount",
            "customer_id",
            "unit_list_price",
            "product_id",
        ),
        roster,
        booked,
    )
    deals = _slim(
        tables.get("deals"), ("rep_id", "close_date", "stage", "amount", "customer_id"), roster
    )
    narrow = {**tables, "orders": orders, "deals": deals}
    sources: list[_Source] = []
    # The goal metrics come from actuals, so "revenue" means here what it means everywhere.
    for metric in ("revenue", "units", "deals_won", "new_customers"):
        try:
            ev = actuals.events(narrow, metric)
        except actuals.MissingData:
            continue
        sources.append(
            _Source(ev["rep_id"].to_numpy(), ev["date"].to_numpy(), {metric: _weights(ev["value"])})
        )
    if deals is not None:
        lost = deals[deals["stage"] == "lost"]
        sources.append(
            _Source(
                lost["rep_id"].to_numpy(),
                lost["close_date"].to_numpy(),
                {"deals_lost": np.ones(len(lost))},
            )
        )
        if "amount" in deals:
            won = deals[deals["stage"] == "won"]
            sources.append(
                _Source(
                    won["rep_id"].to_numpy(),
                    won["close_date"].to_numpy(),
                    {"won_amount": _weights(won["amount"])},
                )
            )
    if orders is not None:
        lines = actuals._booked_orders(orders)
        value = actuals.line_revenue(lines)
        weights = {}
        list_price = _list_price(lines, tables.get("products"))
        if list_price is not None:
            priced = list_price.notna().to_numpy()
            weights["priced_revenue"] = _weights(value.where(priced))
            weights["list_value"] = _weights(lines["quantity"] * list_price)
        cost = _unit_cost(lines, tables.get("products"))
        if cost is not None:
            costed = cost.notna().to_numpy()
            weights["costed_revenue"] = _weights(value.where(costed))
            weights["cost"] = _weights(lines["quantity"] * cost)
        if weights:
            sources.append(
                _Source(lines["rep_id"].to_numpy(), lines["order_date"].to_numpy(), weights)
            )
    return sources


def _window_sums(
    sources: list[_Source], roster: pd.Index, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    out = {}
    for source in sources:
        inside = (
            (source.rep >= 0)
            & (source.date >= np.datetime64(start))
            & (source.date <= np.datetime64(end))
        )
        rep = source.rep[inside]
        for column, weights in source.weights.items():
            out[column] = np.bincount(rep, weights=weights[inside], minlength=len(roster))
    return pd.DataFrame(out, index=roster, columns=[c for c in ADDITIVE if c in out])


def rep_results(
    tables: Mapping[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per rep between two dates: the additive sums and counts every result ratio is built from.

    Columns present depend on the tables: deals give deals_won/deals_lost/won_amount; orders
    give units, priced_revenue/list_value (lines with a list price) and costed_revenue/cost
    (lines whose product has a unit cost).
    """
    return rep_results_over(tables, [(start, end)])[0]


def rep_results_over(
    tables: Mapping[str, pd.DataFrame], windows: list[tuple[pd.Timestamp, pd.Timestamp]]
) -> list[pd.DataFrame]:
    """`rep_results` for several windows from one read of the tables (each more is a few ms)."""
    index = pd.Index(tables["reps"]["rep_id"], name="rep_id")
    roster = index.unique()
    sources = _shared(tables, ("result_sources",), lambda: _result_sources(tables, roster))
    frames = [_window_sums(sources, roster, start, end) for start, end in windows]
    return frames if roster.equals(index) else [f.reindex(index) for f in frames]


def _list_price(lines: pd.DataFrame, products: pd.DataFrame | None) -> pd.Series | None:
    price = lines["unit_list_price"] if "unit_list_price" in lines else None
    if products is not None and "list_price" in products:
        catalogue = pd.Series(
            lookup(lines["product_id"], products.set_index("product_id")["list_price"]),
            index=lines.index,
            dtype=float,
        )
        price = catalogue if price is None else price.fillna(catalogue)
    return price


def _unit_cost(lines: pd.DataFrame, products: pd.DataFrame | None) -> pd.Series | None:
    if products is None or "unit_cost" not in products:
        return None
    return pd.Series(
        lookup(lines["product_id"], products.set_index("product_id")["unit_cost"]),
        index=lines.index,
        dtype=float,
    )


def ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Win rate, average deal size, discount depth and margin from additive sums (any level)."""
    out = sums.copy()
    if {"deals_won", "deals_lost"} <= set(out):
        out["win_rate"] = _share(out["deals_won"], out["deals_won"] + out["deals_lost"])
    if {"won_amount", "deals_won"} <= set(out):
        out["avg_deal_size"] = _share(out["won_amount"], out["deals_won"])
    if {"priced_revenue", "list_value"} <= set(out):
        out["discount_depth"] = 1 - _share(out["priced_revenue"], out["list_value"])
    if {"costed_revenue", "cost"} <= set(out):
        out["margin"] = _share(out["costed_revenue"] - out["cost"], out["costed_revenue"])
    return out


def rollup(rep_sums: pd.DataFrame, reps: pd.DataFrame, level: str) -> pd.DataFrame:
    """Sum per-rep additive figures up to `team`, `department` or `company`."""
    if level == "rep":
        return rep_sums
    return rep_sums.groupby(_level_keys(reps, level, rep_sums.index)).sum().rename_axis(level)


def results_by(
    tables: Mapping[str, pd.DataFrame],
    level: str,
    period: Period,
    rep_sums: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Results for every unit of a level (rep, team, department, company) over one period.

    Pass `rep_sums` (from `rep_results`) to roll several levels up from one pass over the facts.
    """
    sums = rep_sums if rep_sums is not None else rep_results(tables, period.start, period.end)
    return ratios(rollup(sums, tables["reps"], level)).rename_axis(level)


def year_ago(period: Period) -> Period:
    return period.shift({"year": -1, "quarter": -4, "month": -12}[period.kind])


def scope_results(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    period: Period,
    goals: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One scope's results: this period, the prior one, the same period last year, and changes.

    With `goals` (from `attainment.goals_in_force`), rows `goal:<metric>`, `attainment:<metric>`,
    `projection:<metric>` and `projected_attainment:<metric>` are added in the `period` column.

        >>> scope_results(tables, "team", "North A", Period.parse("2026-Q3"))   # doctest: +SKIP
    """
    members = actuals.members(tables["reps"], scope, scope_id)
    periods = {"period": period, "prior": period.shift(-1), "last_year": year_ago(period)}
    every = rep_results_over(tables, [(p.start, p.end) for p in periods.values()])
    columns = {}
    for label, sums in zip(periods, every, strict=True):
        sums = sums.reindex(members).fillna(0.0)
        columns[label] = ratios(sums.sum().to_frame().T).iloc[0]
    frame = pd.DataFrame(columns)
    frame["vs_prior"] = frame["period"] / frame["prior"].where(frame["prior"] != 0) - 1
    frame["vs_last_year"] = frame["period"] / frame["last_year"].where(frame["last_year"] != 0) - 1
    if goals is not None:
        att = attainment_table(tables, goals, period, as_of)
        sid = "company" if scope == "company" else scope_id
        mine = att[(att["scope"] == scope) & (att["scope_id"] == sid)]
        for r in mine.itertuples():
            for what in ("target", "attainment", "projection", "projected_attainment"):
                name = "goal" if what == "target" else what
                frame.loc[f"{name}:{r.metric}", "period"] = getattr(r, what, np.nan)
    return frame


def trend(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    period: Period,
    periods: int = 8,
    metric: str = "revenue",
    goals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The metric for the scope over the `periods` periods ending with `period`, with its goal."""
    labels = [period.shift(-n) for n in range(periods - 1, -1, -1)]
    try:
        values = [actuals.scope_total(tables, metric, scope, scope_id, p) for p in labels]
    except actuals.MissingData:
        return pd.DataFrame()
    out = pd.DataFrame({"actual": values}, index=pd.Index([str(p) for p in labels], name="period"))
    if goals is not None and len(goals):
        sid = "company" if scope == "company" else scope_id
        g = goals[
            (goals["scope"] == scope) & (goals["scope_id"] == sid) & (goals["metric"] == metric)
        ]
        out["goal"] = g.set_index("period")["target"].reindex(out.index)
    return out
