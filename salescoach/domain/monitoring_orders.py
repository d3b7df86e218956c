"""Each order's outcome, defined once: late (against the promised date, with the grace days),
shipped late, cancelled, returned; followed up after delivery or not; service cases closed in
time. Monitoring, diagnosis, recognition, the packs and the app all read these. `FactTables`
wraps the fact tables so that what several figures need is worked out once per run."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salescoach.domain.periods import Period

LEVELS = ("rep", "team", "department", "company")


class FactTables(Mapping):
    """The fact tables of one run, read-only, and what several metrics derive from them.

    Each order's outcome, the follow-up of every delivery and the per-rep arrays behind the
    results are built on first use and kept, so a page (or the benchmark) asking for many
    metrics reads the million order lines once instead of once per metric. A plain dict of
    tables works everywhere too; it derives again on every call. Do not change the frames
    inside in place: what was derived from them would no longer match.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        # A dict is copied (its owner may change it); any other mapping (the workbook's
        # `FactsView`, a window of it) is read-only and reads a table when first asked, so it is
        # kept as it is, with the capabilities it states (the snapshot's, stored at import).
        self._tables = dict(tables) if isinstance(tables, dict) else tables
        self._derived: dict = {}
        stated = getattr(tables, "_capabilities", None)
        if stated is not None:
            self._capabilities = stated

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
    if not len(uniques):
        # Every key missing (an export without the column): nothing to look up.
        # Missing in the values' own kind (NaT for dates), as the general path gives.
        return values.iloc[:0].reset_index(drop=True).reindex(range(len(codes))).to_numpy()
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


def _share(numerator, denominator):
    return numerator / denominator.where(denominator > 0)


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
    if "delivered_date" not in outcomes:
        # No order of these was delivered (`order_outcomes` leaves out a date no line holds):
        # a quarter not started, or its orders all still on their way. None is due; the
        # snapshot's other orders having delivered dates does not make these delivered.
        due = np.zeros(len(outcomes), dtype=bool)
    else:
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
