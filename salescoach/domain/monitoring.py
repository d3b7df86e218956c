"""Monitoring: results and the whole sales process, from the order to the service follow-up.

Pure functions over the fact tables. Revenue and the other goal metrics come from
`salescoach.domain.actuals`; attainment and the run-rate projection from `salescoach.domain.attainment`.
Each stage of the process has an accountable owner (settings `[monitoring.owners]`); every
stage figure and every single breach carries it.

Additive figures (sums and counts) are computed per rep and rolled up, so a company's figure
is the sum of its departments', teams' and reps'. Ratios are rebuilt from the rolled-up sums,
never averaged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.domain import actuals, capabilities, roles
from salescoach.domain.attainment import attainment_table
from salescoach.domain.capabilities import FEATURES, NotAssessed
from salescoach.domain.periods import Period
from salescoach.i18n import _
from salescoach.settings import Monitoring as MonitoringSettings

STAGES = ("order", "shipping", "delivery", "follow_up", "service")
# MonitoringSettings is the settings model's `[monitoring]` section: its defaults, these three
# tables included, are the shipped salescoach.toml's.
DEFAULT_OWNERS = MonitoringSettings().owners
DEFAULT_WEIGHTS = MonitoringSettings().scorecard_weights
DEFAULT_TARGETS = MonitoringSettings().targets
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
AGE_BANDS = (0, 30, 90, 180)  # open-deal age bands in days: 0-30, 31-90, 91-180, over 180
LEVELS = ("rep", "team", "department", "company")


def not_assessed(table: str) -> NotAssessed:
    return NotAssessed(table)


class FactTables(Mapping):
    """The fact tables of one run, read-only, and what several metrics derive from them.

    Each order's outcome, the follow-up of every delivery and the per-rep arrays behind the
    results are built on first use and kept, so a page (or the benchmark) asking for many
    metrics reads the million order lines once instead of once per metric. A plain dict of
    tables works everywhere too; it derives again on every call. Do not change the frames
    inside in place: what was derived from them would no longer match.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self._tables = dict(tables)
        self._derived: dict = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._tables[name]

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def derive(self, key: tuple, build):
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]


def _shared(tables: Mapping[str, pd.DataFrame], key: tuple, build):
    """`build()`, once per FactTables; every time for a plain mapping."""
    return tables.derive(key, build) if isinstance(tables, FactTables) else build()


def lookup(keys: pd.Series | pd.Index, values: pd.Series) -> np.ndarray:
    """`keys.map(values)` as an array, NaN where a key is unknown.

    Factorises the keys first, so a million string keys cost one hash pass instead of a
    Python-level map (several times faster on Arrow strings).
    """
    codes, uniques = pd.factorize(pd.Series(keys))
    values = values[~values.index.duplicated(keep="last")]
    position = values.index.get_indexer(uniques)
    taken = values.to_numpy()[np.where(position >= 0, position, 0)]
    if taken.dtype.kind in "iub":
        taken = taken.astype(float)
    taken = pd.Series(taken).where(position >= 0).to_numpy()
    out = taken[np.where(codes >= 0, codes, 0)]
    if (codes < 0).any():
        out = pd.Series(out).where(codes >= 0).to_numpy()
    return out


def among(keys: pd.Series, values) -> np.ndarray:
    """`keys.isin(values)`; through a hash index when `values` is large (Arrow's isin is not)."""
    if len(values) < 5000:
        return keys.isin(values).to_numpy()
    return pd.Index(pd.unique(np.asarray(values, dtype=object))).get_indexer(keys) >= 0


def _in(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    # An array mask: a boolean Series would make pandas probe a text index (order ids) for
    # attribute names, a hash pass per filter.
    return frame[((frame[column] >= start) & (frame[column] <= end)).to_numpy()]


def _level_keys(
    reps: pd.DataFrame, level: str, rep_ids: pd.Series | pd.Index
) -> pd.Series | pd.Index:
    """The team, department (or `company`) each rep_id belongs to."""
    if level == "rep":
        return rep_ids
    if level == "company":
        return pd.Index(np.full(len(rep_ids), "company"), name="company")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    owner = reps.set_index("rep_id")[level]
    return (
        pd.Index(lookup(rep_ids, owner), name=level)
        if isinstance(rep_ids, pd.Index)
        else pd.Series(lookup(rep_ids, owner), index=rep_ids.index, name=level)
    )


# --------------------------------------------------------------------------- results


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


def _slim(frame: pd.DataFrame | None, columns: tuple[str, ...], roster: pd.Index):
    """The columns a result reads, with rep_id replaced by roster positions and other text as
    categories, so every filter below moves integers instead of a million strings."""
    if frame is None:
        return None
    slim = frame[[c for c in columns if c in frame]].copy()
    slim["rep_id"] = _rep_positions(frame["rep_id"], roster)
    for column in slim.columns[1:]:
        if pd.api.types.is_string_dtype(slim[column]) or slim[column].dtype == object:
            slim[column] = slim[column].astype("category")
    return slim


def _weights(values) -> np.ndarray:
    # A missing amount adds nothing, as pandas' sum skips it.
    return np.nan_to_num(np.asarray(values, dtype=float))


def _result_sources(tables: Mapping[str, pd.DataFrame], roster: pd.Index) -> list[_Source]:
    """Every additive per-rep figure as arrays, read once for any number of windows."""
    orders = _slim(
        tables.get("orders"),
        (
            "rep_id",
            "order_date",
            "status",
            "quantity",
            "unit_price",
            "amount",
            "customer_id",
            "unit_list_price",
            "product_id",
        ),
        roster,
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
        value = lines["amount"] if "amount" in lines else lines["quantity"] * lines["unit_price"]
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


def _share(numerator, denominator):
    return numerator / denominator.where(denominator > 0)


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


# --------------------------------------------------------------------------- the process


def order_outcomes(orders: pd.DataFrame, grace_days: int = 0) -> pd.DataFrame:
    """One row per order: rep, dates, lead times, lateness against the promise, outcome.

    An order's dates are its lines' latest; it is cancelled when every line is, returned when
    any line is. `late` (1.0 late, 0.0 on time) is judged on delivered orders only (NaN
    otherwise), `shipped_late` likewise on shipped ones; when it shipped after the promised
    date the lateness is production's, else logistics'.
    """

    # Conformed tables hold every contract column; one that holds no value is left out, so
    # no figure below is computed from it (no status is not "nothing returned").
    def held(column: str) -> bool:
        return column in orders and bool(orders[column].notna().any())

    cols = {"rep_id": ("rep_id", "first"), "order_date": ("order_date", "min")}
    for c in ("customer_id",):
        if c in orders:
            cols[c] = (c, "first")
    for c in ("promised_date", "shipped_date", "delivered_date"):
        if held(c):
            cols[c] = (c, "max")
    frame = orders
    if held("status"):
        frame = orders.assign(
            _cancelled=orders["status"].eq("cancelled"), _returned=orders["status"].eq("returned")
        )
        cols["cancelled"] = ("_cancelled", "all")
        cols["returned"] = ("_returned", "any")
    out = frame.groupby("order_id", sort=False).agg(**cols)
    if "shipped_date" in out:
        out["days_to_ship"] = (out["shipped_date"] - out["order_date"]).dt.days
    if "delivered_date" in out:
        out["days_to_deliver"] = (out["delivered_date"] - out["order_date"]).dt.days
        if "shipped_date" in out:
            out["days_in_transit"] = (out["delivered_date"] - out["shipped_date"]).dt.days
    if "promised_date" in out:
        if "shipped_date" in out:
            shipped = out["shipped_date"].notna() & out["promised_date"].notna()
            # 1.0 / 0.0 / NaN as floats, not True / False / NaN objects: sums and means over
            # object columns are an order of magnitude slower.
            out["shipped_late"] = (
                (out["shipped_date"] > out["promised_date"]).astype(float).where(shipped)
            )
        if "delivered_date" in out:
            due = out["promised_date"] + pd.Timedelta(days=grace_days)
            judged = out["delivered_date"].notna() & out["promised_date"].notna()
            out["late"] = (out["delivered_date"] > due).astype(float).where(judged)
            out["days_late"] = (out["delivered_date"] - out["promised_date"]).dt.days.where(
                out["late"] == True  # noqa: E712 (NaN-aware)
            )
    return out


def outcomes_of(
    tables: Mapping[str, pd.DataFrame], period: Period | None = None, grace_days: int = 0
) -> pd.DataFrame:
    """`order_outcomes` of the lines ordered in `period` (None: the whole history), shared."""

    def build():
        lines = tables["orders"]
        if period is not None:
            lines = _in(lines, "order_date", period.start, period.end)
        return order_outcomes(lines, grace_days)

    key = ("outcomes", None if period is None else str(period), grace_days)
    return _shared(tables, key, build)


def _followed_up(
    tables: Mapping[str, pd.DataFrame], period: Period, config: MonitoringSettings, as_of
) -> tuple[np.ndarray, np.ndarray | None]:
    """`follow_up_state` of every order of the period, shared; a scope takes its own orders'
    rows (an order's follow-up does not depend on which other orders are looked at)."""
    key = ("follow_ups", str(period), config.on_time_grace_days, config.follow_up_days, as_of)
    return _shared(
        tables,
        key,
        lambda: follow_up_state(
            outcomes_of(tables, period, config.on_time_grace_days),
            tables["service"],
            config.follow_up_days,
            as_of,
        ),
    )


def delivery_by(
    orders: pd.DataFrame,
    reps: pd.DataFrame,
    level: str = "department",
    grace_days: int = 0,
    products: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Orders, late orders, on-time rate, lead times, cancellations and returns per group.

    `level` is rep, team, department or company (by the order's rep) or product or family (an
    order counts once for each product on it). Counts are additive over rep levels. Pass
    `outcomes` (`order_outcomes(orders, grace_days)`) to share one pass between several levels.
    """
    if outcomes is None:
        outcomes = order_outcomes(orders, grace_days)
    if level in ("product", "family"):
        # order_outcomes groups in order of first appearance, as factorize numbers the orders,
        # so each line finds its order by position, and every (order, label) pair is one
        # integer: no string is hashed or moved per line, only per distinct label.
        order_no = pd.factorize(orders["order_id"])[0]
        product_no, products_seen = pd.factorize(orders["product_id"])
        label = np.asarray(products_seen, dtype=object)
        if level == "family":
            if products is None or "family" not in products:
                raise ValueError("delivery by family needs products with a family")
            label = lookup(products_seen, products.set_index("product_id")["family"])
        label_no, labels = pd.factorize(label)
        line_label = label_no[product_no]
        known = (product_no >= 0) & (line_label >= 0)
        # pd.unique, not np.unique: numpy 2's hashing unique is ~20x slower on a million ints.
        pairs = pd.unique(order_no[known].astype(np.int64) * len(labels) + line_label[known])
        measured = [c for c in outcomes.columns if c not in ("rep_id", "customer_id")]
        frame = outcomes[measured].iloc[pairs // len(labels)]
        keys = pairs % len(labels)  # grouped as integers, named after
        names = pd.Index(np.asarray(labels, dtype=object), name=level)
    else:
        names = None
        frame = outcomes
        keys = _level_keys(reps, level, outcomes["rep_id"])
        if level == "company":
            keys = pd.Series("company", index=outcomes.index, name="company")
    grouped = frame.groupby(keys)
    out = pd.DataFrame({"orders": grouped.size()})
    if "late" in frame:
        out["delivered"] = grouped["late"].count()
        out["late"] = grouped["late"].sum()
        out["late_share"] = _share(out["late"], out["delivered"])
        out["on_time_rate"] = 1 - out["late_share"]
        out["median_days_late"] = grouped["days_late"].median()
    if "shipped_late" in frame:
        out["shipped"] = grouped["shipped_late"].count()
        out["shipped_late"] = grouped["shipped_late"].sum()
    if "days_to_ship" in frame:
        out["median_days_to_ship"] = grouped["days_to_ship"].median()
    if "days_to_deliver" in frame:
        out["median_days_to_deliver"] = grouped["days_to_deliver"].median()
    if "cancelled" in frame:
        out["cancelled"] = grouped["cancelled"].sum()
        out["returned"] = grouped["returned"].sum()
        out["cancelled_share"] = _share(out["cancelled"], out["orders"])
        out["returned_share"] = _share(out["returned"], out["orders"])
    if names is not None:
        out.index = names[out.index.to_numpy()]
        out = out.sort_index()
    return out.rename_axis(level)


def follow_ups(
    outcomes: pd.DataFrame, service: pd.DataFrame | None, days: int, as_of: pd.Timestamp
) -> pd.Series:
    """Per delivered order due a follow-up by `as_of`: True when one came within `days`.

    A follow-up is a service case of kind follow_up for that order, or, when the case names no
    order, for that customer, opened between the delivery and `days` after it (for an order,
    its first such case counts). Orders delivered less than `days` before `as_of` are not yet
    due and are left out. Without a service table the answer is NaN for every due order.
    """
    due, done = follow_up_state(outcomes, service, days, as_of)
    index = outcomes.index[due]
    if done is None:
        return pd.Series(np.nan, index=index, dtype=float)
    return pd.Series(done, index=index)


def follow_up_state(
    outcomes: pd.DataFrame, service: pd.DataFrame | None, days: int, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray | None]:
    """`follow_ups` as arrays: which rows of `outcomes` are due, and for those whether they
    were followed up (None without a service table). Positions, not order ids, so that a
    scope's share is a mask away."""
    # Masks as arrays: a boolean Series indexed by 400k order ids makes pandas probe that index
    # for attribute names (a 0.1 s hash pass per filter).
    due = outcomes["delivered_date"].notna().to_numpy() & (
        (outcomes["delivered_date"] + pd.Timedelta(days=days) <= as_of).to_numpy()
    )
    if "cancelled" in outcomes:
        due &= ~outcomes["cancelled"].to_numpy(dtype=bool)
    if service is None:
        return due, None
    delivered = outcomes[due]
    done = np.zeros(len(delivered), dtype=bool)
    if delivered.empty:
        return due, done
    limit = pd.Timedelta(days=days)
    delivered_at = delivered["delivered_date"].to_numpy()
    kind = service["kind"] if "kind" in service else pd.Series(None, index=service.index)
    cases = service[(kind == "follow_up").to_numpy()]
    if "order_id" in cases:
        named = cases["order_id"].notna().to_numpy()
        by_order = cases[named]
        where = delivered.index.get_indexer(by_order["order_id"])
        known = where >= 0
        first = pd.Series(by_order["opened_date"].to_numpy()[known]).groupby(where[known]).min()
        gap = first.to_numpy() - delivered_at[first.index.to_numpy()]
        in_time = (gap >= np.timedelta64(0, "ns")) & (gap <= limit.to_timedelta64())
        done[first.index.to_numpy()[in_time]] = True
        cases = cases[~named]
    if len(cases) and "customer_id" in delivered:
        left = pd.DataFrame(
            {
                "row": np.arange(len(delivered)),
                "customer_id": delivered["customer_id"].reset_index(drop=True),
                "delivered_date": delivered_at,
            }
        ).dropna(subset=["customer_id"])
        left = left.sort_values("delivered_date")
        right = cases[["customer_id", "opened_date"]].sort_values("opened_date")
        matched = pd.merge_asof(
            left,
            right,
            left_on="delivered_date",
            right_on="opened_date",
            by="customer_id",
            direction="forward",
            tolerance=limit,
        )
        done[matched["row"].to_numpy()[matched["opened_date"].notna().to_numpy()]] = True
    return due, done


def case_outcomes(service: pd.DataFrame, close_days: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per case: days to close (to `as_of` while open) and whether it took over `close_days`."""
    out = service.copy()
    if "closed_date" in out:
        end = out["closed_date"].fillna(as_of)
        out["days_to_close"] = (out["closed_date"] - out["opened_date"]).dt.days
        out["slow"] = (end - out["opened_date"]).dt.days > close_days
    return out


def service_by(service: pd.DataFrame, keys, close_days: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """Cases, open cases, median days to close, slow-case share and mean CSAT per group."""
    cases = case_outcomes(service, close_days, as_of)
    grouped = cases.groupby(keys)
    out = pd.DataFrame({"cases": grouped.size()})
    if "days_to_close" in cases:
        out["open_cases"] = cases["closed_date"].isna().groupby(keys).sum()
        out["median_days_to_close"] = grouped["days_to_close"].median()
        out["slow_case_share"] = grouped["slow"].mean()
    if "csat" in cases:
        out["csat"] = cases["csat"].astype(float).groupby(keys).mean()
    return out


@dataclass(frozen=True)
class StageCheck:
    """One measure of one stage: what it reads, which way is better, and its sentence."""

    stage: str
    measure: str
    label: str
    unit: str  # share, days, score or count
    higher_is_better: bool | None = None  # None: shown, never a breach

    def breached(self, value: float, target: float | None) -> bool | None:
        if self.higher_is_better is None or target is None or pd.isna(value):
            return None
        return bool(value < target if self.higher_is_better else value > target)


STAGE_CHECKS = (
    StageCheck("order", "orders", _("orders taken"), "count"),
    StageCheck("order", "cancelled_share", _("orders cancelled"), "share", False),
    StageCheck("shipping", "median_days_to_ship", _("median days from order to shipping"), "days"),
    StageCheck(
        "shipping",
        "shipped_late_share",
        _("orders shipped after the promised date"),
        "share",
        False,
    ),
    StageCheck("delivery", "median_days_in_transit", _("median days in transit"), "days"),
    StageCheck("delivery", "on_time_rate", _("orders delivered on time"), "share", True),
    StageCheck("delivery", "median_days_late", _("median days late, when late"), "days"),
    StageCheck("delivery", "returned_share", _("orders returned"), "share", False),
    StageCheck("follow_up", "follow_up_rate", _("deliveries followed up in time"), "share", True),
    StageCheck("service", "median_days_to_close", _("median days to close a case"), "days"),
    StageCheck("service", "slow_case_share", _("cases taking too long"), "share", False),
    StageCheck("service", "csat", _("CSAT (1-5)"), "score", True),
    StageCheck("service", "feedback", _("feedback score (0-10)"), "score", True),
)


# The needs of each stage measure, from `capabilities.FEATURES` where the measure is one of its
# figures. A measure whose needs are missing is NotAssessed, never a figure from empty columns
# (no delivered date is not "on time"; no status is not "nothing returned").
MEASURE_NEEDS: dict[str, tuple[str, ...]] = {
    "orders": ("orders",),
    "cancelled_share": FEATURES["cancellations"].needs,
    "returned_share": FEATURES["returns"].needs,
    "median_days_to_ship": ("orders.shipped_date",),
    "shipped_late_share": FEATURES["shipped_late"].needs,
    "median_days_in_transit": ("orders.shipped_date", "orders.delivered_date"),
    "on_time_rate": FEATURES["on_time"].needs,
    "median_days_late": FEATURES["on_time"].needs,
    "follow_up_rate": FEATURES["follow_up"].needs,
    # Service cases and feedback are a scope's through the rep they name.
    "median_days_to_close": (*FEATURES["case_speed"].needs, "service.rep_id"),
    "slow_case_share": (*FEATURES["case_speed"].needs, "service.rep_id"),
    "csat": (*FEATURES["csat"].needs, "service.rep_id"),
    "feedback": (*FEATURES["feedback"].needs, "feedback.rep_id"),
}


def measure_gaps(tables: Mapping[str, pd.DataFrame]) -> dict[str, NotAssessed]:
    """The stage measures the tables cannot answer, each with what it needs."""
    caps = capabilities.of(tables)
    out = {}
    for measure, needs in MEASURE_NEEDS.items():
        gone = caps.check(*needs)
        if gone is not None:
            out[measure] = gone
    return out


def _order_measures(mine: pd.DataFrame, due_done: np.ndarray | None) -> dict[str, float]:
    """The order-side measures of a scope's order outcomes (one definition for every view)."""
    out: dict[str, float] = {"orders": float(len(mine))}
    if "cancelled" in mine:
        out["cancelled_share"] = mine["cancelled"].mean()
        out["returned_share"] = mine["returned"].mean()
    for measure, column in (
        ("median_days_to_ship", "days_to_ship"),
        ("median_days_in_transit", "days_in_transit"),
        ("median_days_late", "days_late"),
    ):
        if column in mine:
            out[measure] = mine[column].median()
    if "shipped_late" in mine:
        out["shipped_late_share"] = mine["shipped_late"].mean()
    if "late" in mine:
        out["on_time_rate"] = 1 - mine["late"].mean()
    if due_done is not None:
        out["follow_up_rate"] = float(due_done.mean()) if len(due_done) else np.nan
    return out


def stage_measures(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    members: pd.Index,
    config: MonitoringSettings,
    as_of: pd.Timestamp | None = None,
) -> dict[str, float | NotAssessed]:
    """Every stage measure for the orders (and cases, feedback) of the members in the period.

    A measure whose input the tables lack is a `NotAssessed` naming it (see MEASURE_NEEDS)."""
    as_of = min(period.end, as_of) if as_of is not None else period.end
    gaps = measure_gaps(tables)
    out: dict[str, float | NotAssessed] = {}
    if "orders" not in gaps:
        outcomes = outcomes_of(tables, period, config.on_time_grace_days)
        in_scope = among(outcomes["rep_id"], members)
        done = None
        if "follow_up_rate" not in gaps:
            due, done_all = _followed_up(tables, period, config, as_of)
            done = done_all[in_scope[due]]
        out.update(_order_measures(outcomes[in_scope], done))
    if "median_days_to_close" not in gaps or "csat" not in gaps:
        service = tables["service"]
        cases = _in(service, "opened_date", period.start, period.end)
        cases = case_outcomes(cases[cases["rep_id"].isin(members)], config.case_close_days, as_of)
        if "median_days_to_close" not in gaps:
            out["median_days_to_close"] = cases["days_to_close"].median()
            out["slow_case_share"] = cases["slow"].mean()
        if "csat" not in gaps:
            out["csat"] = cases["csat"].astype(float).mean()
    if "feedback" not in gaps:
        feedback = tables["feedback"]
        fb = _in(feedback, "date", period.start, period.end)
        out["feedback"] = fb.loc[fb["rep_id"].isin(members), "score"].astype(float).mean()
    out.update(gaps)
    return out


# The measures of a rep's own orders a review pack shows, by the pack's name for them.
PROCESS_FIGURES = {
    "on_time": "on_time_rate",
    "returns": "returned_share",
    "follow_up": "follow_up_rate",
}


def process_by_rep(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    config: MonitoringSettings,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per rep: orders and the order measures of `stage_measures` (on time, returned, followed
    up), by the same definitions; a measure the tables cannot answer is NaN in every row (ask
    `measure_gaps` why)."""
    as_of = min(period.end, as_of) if as_of is not None else period.end
    gaps = measure_gaps(tables)
    reps = pd.Index(tables["reps"]["rep_id"], name="rep_id")
    columns = ["orders", *PROCESS_FIGURES]
    out = pd.DataFrame(np.nan, index=reps, columns=columns)
    if "orders" in gaps:
        return out
    outcomes = outcomes_of(tables, period, config.on_time_grace_days)
    out["orders"] = 0.0  # a rep without orders in the period took none; shares stay unknown
    due = done = None
    if "follow_up_rate" not in gaps:
        due, done = _followed_up(tables, period, config, as_of)
    positions = pd.Series(np.arange(len(outcomes))).groupby(outcomes["rep_id"].to_numpy())
    for rep_id, rows in positions:
        if rep_id not in out.index:
            continue
        mask = np.zeros(len(outcomes), dtype=bool)
        mask[rows.to_numpy()] = True
        mine_done = done[mask[due]] if done is not None else None
        measures = _order_measures(outcomes[mask], mine_done)
        out.loc[rep_id, "orders"] = measures["orders"]
        for figure, measure in PROCESS_FIGURES.items():
            if measure not in gaps:
                out.loc[rep_id, figure] = measures.get(measure, np.nan)
    return out


def process_stages(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    members: pd.Index,
    config: MonitoringSettings,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The process from order to service, one row a measure, each with its owner.

    Columns: stage, owner, measure, label, unit, value (the scope), company (everyone, for
    context), target (from `[monitoring.targets]`) and breach (True, False, or None when the
    measure has no target or no value). A stage whose table is missing gets one row whose
    label says so.
    """
    tables = tables if isinstance(tables, FactTables) else FactTables(tables)  # scope, company
    scope = stage_measures(tables, period, members, config, as_of)
    company = stage_measures(tables, period, pd.Index(tables["reps"]["rep_id"]), config, as_of)
    rows, said = [], set()
    for check in STAGE_CHECKS:
        value = scope.get(check.measure)
        if isinstance(value, NotAssessed):
            if value.needs not in said:
                said.add(value.needs)
                rows.append(
                    {
                        "stage": check.stage,
                        "owner": config.owner(check.stage),
                        "measure": check.measure,
                        "label": value.reason,
                        # What is missing, so a view says it in its own language.
                        "needs": value.needs,
                        "unit": "note",
                        "value": np.nan,
                        "company": np.nan,
                        "target": np.nan,
                        "breach": None,
                    }
                )
            continue
        if value is None:
            continue
        target = config.targets.get(check.measure)
        rows.append(
            {
                "stage": check.stage,
                "owner": config.owner(check.stage),
                "measure": check.measure,
                "label": check.label,
                "unit": check.unit,
                "value": value,
                "company": company.get(check.measure),
                "target": np.nan if target is None else target,
                "breach": check.breached(value, target),
            }
        )
    return pd.DataFrame(rows)


def breaches(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    members: pd.Index,
    config: MonitoringSettings,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every single breach in the period, each with its stage and owner.

    Late deliveries (production's when shipped after the promise, else logistics'), cancelled
    orders (sales), returns (logistics), missed follow-ups (customer service) and slow cases.
    """
    as_of = min(period.end, as_of) if as_of is not None else period.end
    rows = []
    orders = tables.get("orders")
    if orders is not None:
        every = outcomes_of(tables, period, config.on_time_grace_days)
        in_scope = among(every["rep_id"], members)
        o = every[in_scope]
        if "late" in o:
            late = o[(o["late"] == 1).to_numpy()]
            by_production = (
                late["shipped_late"].to_numpy() == 1
                if "shipped_late" in late
                else np.zeros(len(late), dtype=bool)
            )
            rows.append(
                pd.DataFrame(
                    {
                        "breach": "late_delivery",
                        "stage": np.where(by_production, "shipping", "delivery"),
                        "id": late.index,
                        "rep_id": late["rep_id"],
                        "date": late["delivered_date"],
                        "days_over": late["days_late"],
                    }
                )
            )
        if "cancelled" in o:
            for kind, stage in (("cancelled", "order"), ("returned", "delivery")):
                hit = o[o[kind].to_numpy(dtype=bool)]
                rows.append(
                    pd.DataFrame(
                        {
                            "breach": kind,
                            "stage": stage,
                            "id": hit.index,
                            "rep_id": hit["rep_id"],
                            "date": hit["order_date"],
                            "days_over": np.nan,
                        }
                    )
                )
        # Without a follow-up case on record no delivery can be said to have missed one.
        if capabilities.of(tables).has(*MEASURE_NEEDS["follow_up_rate"]):
            due, done = _followed_up(tables, period, config, as_of)
            missing = np.zeros(len(every), dtype=bool)
            missing[np.flatnonzero(due)[~done]] = True
            missed = every[missing & in_scope]
            rows.append(
                pd.DataFrame(
                    {
                        "breach": "no_follow_up",
                        "stage": "follow_up",
                        "id": missed.index,
                        "rep_id": missed["rep_id"],
                        "date": missed["delivered_date"],
                        "days_over": (as_of - missed["delivered_date"]).dt.days
                        - config.follow_up_days,
                    }
                )
            )
    if capabilities.of(tables).has(*MEASURE_NEEDS["slow_case_share"]):
        service = tables["service"]
        cases = _in(service, "opened_date", period.start, period.end)
        cases = case_outcomes(cases[cases["rep_id"].isin(members)], config.case_close_days, as_of)
        slow = cases[cases["slow"]]
        took = (slow["closed_date"].fillna(as_of) - slow["opened_date"]).dt.days
        rows.append(
            pd.DataFrame(
                {
                    "breach": "slow_case",
                    "stage": "service",
                    "id": slow["case_id"].to_numpy(),
                    "rep_id": slow["rep_id"].to_numpy(),
                    "date": slow["opened_date"].to_numpy(),
                    "days_over": (took - config.case_close_days).to_numpy(),
                }
            )
        )
    columns = ["breach", "stage", "owner", "id", "rep_id", "date", "days_over"]
    rows = [r for r in rows if len(r)]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)
    out["owner"] = out["stage"].map({stage: config.owner(stage) for stage in STAGES})
    return out[columns]


def funnel(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    members: pd.Index,
    config: MonitoringSettings,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame | NotAssessed:
    """Orders reaching each stage (ordered, shipped, delivered, followed up) and the median days
    from the stage before, with each stage's owner."""
    orders = tables.get("orders")
    if orders is None:
        return not_assessed("orders")
    every = outcomes_of(tables, period, config.on_time_grace_days)
    o = every[among(every["rep_id"], members)]
    rows = [{"stage": "order", "count": len(o), "median_days": np.nan}]
    if "shipped_date" in o:
        rows.append(
            {
                "stage": "shipping",
                "count": int(o["shipped_date"].notna().sum()),
                "median_days": o["days_to_ship"].median(),
            }
        )
    if "delivered_date" in o:
        rows.append(
            {
                "stage": "delivery",
                "count": int(o["delivered_date"].notna().sum()),
                "median_days": o.get("days_in_transit", o["days_to_deliver"]).median(),
            }
        )
        service = tables.get("service")
        if service is not None and "order_id" in service:
            cases = service[(service["kind"] == "follow_up").to_numpy()]
            where = o.index.get_indexer(cases["order_id"])  # by position: no string lookups
            known = where >= 0
            first = pd.Series(cases["opened_date"].to_numpy()[known]).groupby(where[known]).min()
            delivered = o["delivered_date"].to_numpy()[first.index.to_numpy()]
            gap = pd.Series(first.to_numpy() - delivered).dt.days
            rows.append(
                {"stage": "follow_up", "count": int(gap.notna().sum()), "median_days": gap.median()}
            )
    out = pd.DataFrame(rows)
    out["owner"] = out["stage"].map({stage: config.owner(stage) for stage in STAGES})
    return out


# --------------------------------------------------------------------------- pipeline


def pipeline(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    members: pd.Index,
    as_of: pd.Timestamp,
    stale_days: int,
    unassigned: bool = False,
) -> pd.DataFrame:
    """Open deals with their age, age band and days since the last activity on them.

    The last touch is the latest activity naming the deal (`activities.deal_id`), else the
    deal's created date; a deal is `stale` when that is more than `stale_days` ago. With
    `unassigned` (the company's pipeline), open leads no rep has taken (`rep_id` blank) are
    included too, their rep left blank, never attributed to anyone.
    """
    owner = deals["rep_id"]
    mine = owner.isin(members).to_numpy(dtype=bool)
    if unassigned:
        mine = mine | owner.isna().to_numpy(dtype=bool)
    open_deals = deals[(deals["stage"] == "open").to_numpy(dtype=bool) & mine].copy()
    if "created_date" in open_deals:
        open_deals = open_deals[~(open_deals["created_date"] > as_of)]
        created = open_deals["created_date"]
    else:
        created = pd.Series(pd.NaT, index=open_deals.index, dtype="datetime64[ns]")
    open_deals["age_days"] = (as_of - created).dt.days
    open_deals["age_band"] = age_band(open_deals["age_days"])
    last = created
    if activities is not None and "deal_id" in activities:
        # Only activities on these open deals, and only the two columns read: a million
        # activity rows are probed once, not copied.
        on_open = (
            among(activities["deal_id"], open_deals["deal_id"])
            & (activities["date"] <= as_of).to_numpy()
        )
        touched = activities.loc[on_open, ["deal_id", "date"]]
        last_touch = touched.groupby("deal_id")["date"].max()
        last = pd.Series(lookup(open_deals["deal_id"], last_touch), index=open_deals.index).fillna(
            created
        )
    open_deals["days_since_activity"] = (as_of - last).dt.days
    open_deals["stale"] = open_deals["days_since_activity"] > stale_days
    return open_deals


def age_band(days: pd.Series) -> pd.Series:
    """`0-30`, `31-90`, `91-180`, `181+` (days)."""
    edges = list(AGE_BANDS) + [np.inf]
    labels = [f"{a + (a > 0)}-{b}" for a, b in zip(AGE_BANDS[:-1], AGE_BANDS[1:])] + [
        f"{AGE_BANDS[-1] + 1}+"
    ]
    return pd.cut(days, edges, labels=labels, include_lowest=True)


def pipeline_summary(open_deals: pd.DataFrame) -> pd.DataFrame:
    """Open deals by stage and age band: count, amount, stale count, unassigned count."""
    amount = (
        open_deals["amount"]
        if "amount" in open_deals
        else pd.Series(np.nan, index=open_deals.index)
    )
    frame = open_deals.assign(_amount=amount, _unassigned=open_deals["rep_id"].isna())
    grouped = frame.groupby(["stage", "age_band"], observed=False)
    return pd.DataFrame(
        {
            "deals": grouped.size(),
            "amount": grouped["_amount"].sum(min_count=1),
            "stale": grouped["stale"].sum(),
            "unassigned": grouped["_unassigned"].sum(),
        }
    )


def coverage(open_amount: float, remaining_goal: float) -> float:
    """Open pipeline over what is still needed to reach the goal (3.0 = three times covered)."""
    if remaining_goal is None or not np.isfinite(remaining_goal) or remaining_goal <= 0:
        return np.nan
    return open_amount / remaining_goal


# --------------------------------------------------------------------------- people


def activity_per_week(activities: pd.DataFrame, reps: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Calls, emails, meetings and demos per rep per week, with the team's median beside each."""
    acts = _in(activities[["rep_id", "kind", "date"]], "date", period.start, period.end)
    weeks = max(((period.end - period.start).days + 1) / 7, 1)
    counts = acts.groupby(["rep_id", "kind"]).size().unstack(fill_value=0).astype(float) / weeks
    counts = counts.reindex(reps["rep_id"]).fillna(0.0)
    counts.columns.name = None
    counts["total"] = counts.sum(axis=1)
    team = reps.set_index("rep_id")["team"].reindex(counts.index)
    medians = counts.groupby(team).transform("median").add_prefix("team_median_")
    out = pd.concat([counts, medians], axis=1)
    out["vs_team_median"] = _share(out["total"], out["team_median_total"])
    return out


def support_contribution(
    deals: pd.DataFrame,
    reps: pd.DataFrame,
    period: Period,
    products: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Support staff on the sales they support: assisted deals against comparable unassisted ones.

    Comparable: unassisted deals closed in the same period in the same product family and
    customer segment (a cell with no unassisted deal falls back to the family, then to all).
    The comparable win rate and deal size are those of each assisted deal's cell, averaged
    over the support rep's deals, so a different mix of families or segments is allowed for.
    Support staff are `reps.role = support` and anyone named as `support_rep_id`: a seller who
    assists a colleague's deal is measured on it here too.
    """
    support = roles.support_staff(reps, {"deals": deals})["rep_id"]
    columns = [
        "rep_id",
        "assisted",
        "won",
        "win_rate",
        "revenue",
        "avg_deal_size",
        "comparable_win_rate",
        "comparable_avg_deal_size",
        "uplift",
        "comparable_deals",
    ]
    if "support_rep_id" not in deals or support.empty:
        return pd.DataFrame(columns=columns)
    closed = _in(deals, "close_date", period.start, period.end)
    closed = closed[closed["stage"].isin(["won", "lost"]).to_numpy()].copy()
    closed["_won"] = closed["stage"] == "won"
    closed["_amount"] = closed["amount"].where(closed["_won"]) if "amount" in closed else np.nan
    closed["_family"] = "all"
    if products is not None and "family" in products and "product_id" in closed:
        family = lookup(closed["product_id"], products.set_index("product_id")["family"])
        closed["_family"] = pd.Series(family, index=closed.index).fillna("?")
    closed["_segment"] = "all"
    if customers is not None and "segment" in customers and "customer_id" in closed:
        segment = lookup(closed["customer_id"], customers.set_index("customer_id")["segment"])
        closed["_segment"] = pd.Series(segment, index=closed.index).fillna("?")
    plain = closed[closed["support_rep_id"].isna()]
    assisted = closed[closed["support_rep_id"].isin(support)].copy()
    comparable_rate = pd.Series(np.nan, index=assisted.index)
    comparable_size = pd.Series(np.nan, index=assisted.index)
    comparable_n = pd.Series(0.0, index=assisted.index)
    for keys in (["_family", "_segment"], ["_family"], []):
        if keys:
            cell = plain.groupby(keys).agg(
                rate=("_won", "mean"), size=("_amount", "mean"), n=("_won", "size")
            )
            at = (
                pd.MultiIndex.from_frame(assisted[keys])
                if len(keys) > 1
                else pd.Index(assisted[keys[0]])
            )
            found = cell.reindex(at)
            found.index = assisted.index
        else:
            found = pd.DataFrame(
                {
                    "rate": plain["_won"].mean(),
                    "size": plain["_amount"].mean(),
                    "n": float(len(plain)),
                },
                index=assisted.index,
            )
        todo = comparable_rate.isna() & found["rate"].notna()
        comparable_rate[todo] = found.loc[todo, "rate"]
        comparable_size[todo] = found.loc[todo, "size"]
        comparable_n[todo] = found.loc[todo, "n"]
    assisted["_cmp_rate"], assisted["_cmp_size"], assisted["_cmp_n"] = (
        comparable_rate,
        comparable_size,
        comparable_n,
    )
    g = assisted.groupby("support_rep_id")
    out = (
        pd.DataFrame(
            {
                "assisted": g.size(),
                "won": g["_won"].sum(),
                "revenue": g["_amount"].sum(),
                "avg_deal_size": g["_amount"].mean(),
                "comparable_win_rate": g["_cmp_rate"].mean(),
                "comparable_avg_deal_size": g["_cmp_size"].mean(),
                "comparable_deals": g["_cmp_n"].max(),
            }
        )
        .reindex(support)
        .rename_axis("rep_id")
    )
    out["assisted"] = out["assisted"].fillna(0).astype(int)
    out["won"] = out["won"].fillna(0).astype(int)
    out["revenue"] = out["revenue"].fillna(0.0)
    out["win_rate"] = _share(out["won"], out["assisted"])
    out["uplift"] = out["win_rate"] - out["comparable_win_rate"]
    return out.reset_index()[columns]


def scorecard_parts(
    reps: pd.DataFrame,
    results: pd.DataFrame,
    attainment: pd.Series | None = None,
    activity: pd.DataFrame | None = None,
    feedback: pd.Series | None = None,
    support: pd.DataFrame | None = None,
    role: pd.Series | None = None,
) -> pd.DataFrame:
    """Per rep, the raw parts a scorecard weighs: attainment, win rate, activity, feedback.

    Sellers are measured on their own deals; support staff's win rate is that of the deals
    they assisted. `role` is the role each rep is scored in (`roles.main_role`: the role of
    most of their work), else `reps.role`. Parts a table cannot give are NaN (left out of the
    score, not zero).
    """
    index = pd.Index(reps["rep_id"], name="rep_id")
    out = pd.DataFrame(index=index)
    declared = reps.set_index("rep_id").get("role", pd.Series("seller", index=index))
    out["role"] = (role if role is not None else declared).reindex(index).fillna("seller")
    out["attainment"] = attainment.reindex(index) if attainment is not None else np.nan
    out["win_rate"] = results["win_rate"].reindex(index) if "win_rate" in results else np.nan
    if support is not None and len(support):
        assisted = support.set_index("rep_id")["win_rate"]
        is_support = out["role"] == "support"
        out.loc[is_support, "win_rate"] = assisted.reindex(out.index[is_support]).to_numpy()
        # Support staff are judged on the sales they support, not on sales of their own.
        out.loc[is_support, "attainment"] = np.nan
    out["activity"] = activity["total"].reindex(index) if activity is not None else np.nan
    out["feedback"] = feedback.reindex(index) if feedback is not None else np.nan
    return out


def scorecard(
    parts: pd.DataFrame, weights: Mapping[str, float] | None = None, peers: pd.Series | None = None
) -> pd.Series:
    """One 0-100+ score per rep: each part is the rep's value over the peer median x 100, weighted.

    Peers are the reps sharing `peers` (e.g. the role), else everyone. A rep at the median on
    everything scores 100; a part a rep lacks is left out and the remaining weights rescaled,
    so a missing table does not sink anyone's score.
    """
    weights = dict(weights or DEFAULT_WEIGHTS)
    cols = [c for c in weights if c in parts and weights[c] > 0]
    groups = peers if peers is not None else pd.Series("all", index=parts.index)
    relative = pd.DataFrame(index=parts.index)
    for c in cols:
        median = parts[c].astype(float).groupby(groups).transform("median")
        relative[c] = parts[c] / median.where(median > 0) * 100
    w = pd.Series({c: float(weights[c]) for c in cols}, dtype=float)
    present = relative.notna()
    total_weight = (present * w).sum(axis=1)
    score = (relative.fillna(0) * w).sum(axis=1) / total_weight.where(total_weight > 0)
    return score.round(1).rename("score")


# --------------------------------------------------------------------------- kept for `demo`


def revenue_by(
    tables: Mapping[str, pd.DataFrame], level: str, last_months: int | None = None
) -> pd.Series:
    """Revenue per `rep`, `team`, `department` or `company`, largest first.

    `last_months` counts back from the latest sale in the data, not from today, so a
    historical export reads the same whenever it is opened.
    """
    ev = actuals.events(tables, "revenue")
    end = ev["date"].max()
    start = (
        end - pd.DateOffset(months=last_months) + pd.Timedelta(days=1)
        if last_months
        else ev["date"].min()
    )
    per_rep = actuals.per_rep(tables, "revenue", start, end)
    return actuals.rollup(per_rep, tables["reps"], level).sort_values(ascending=False)
