"""The frames diagnosis reads: tables prepared to the contract's types, the evidence window,
closed deals, win rates, families, course status, losses at a benchmark rate."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

_KEYS = {
    "reps": ("rep_id", "team", "department", "role"),
    "products": ("product_id", "family"),
    "customers": ("customer_id", "segment", "region"),
    "deals": (
        "deal_id",
        "rep_id",
        "stage",
        "customer_id",
        "product_id",
        "lost_reason",
        "technique",
        "lead_source",
    ),
    "orders": ("order_id", "rep_id", "product_id", "customer_id", "status"),
    "service": ("case_id", "customer_id", "kind", "order_id", "rep_id", "product_id"),
    "activities": ("rep_id",),
    "courses": ("course_id", "product_family"),
    "training": ("rep_id", "course_id"),
    "campaigns": ("campaign_id", "target_segment"),
    "market": ("period", "product_family"),
}
_DATES = {
    "reps": ("hire_date", "end_date"),
    "deals": ("created_date", "close_date"),
    "orders": ("order_date", "promised_date", "delivered_date"),
    "service": ("opened_date", "closed_date"),
    "activities": ("date",),
    "training": ("completed_date",),
}
_NUMBERS = {
    "deals": ("amount",),
    "orders": ("quantity", "unit_price", "amount", "discount"),
    "service": ("csat",),
    "courses": ("refresh_days",),
    "market": ("competitor_price_index",),
}


def prepare(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """The tables diagnosis reads, every contract column present, ids as text (an id read as a
    number in one file and as text in another still joins), dates as dates, amounts as numbers."""
    from salescoach.domain import contract

    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if frame is None:
            continue
        # Shallow: the columns converted below are replaced, not changed in place, and pandas
        # copies on write, so the caller's frames stay as they were without a second copy of
        # a million order lines (scale 7: 160 MB of orders alone).
        f = frame.copy(deep=False)
        if name in contract.TABLES:
            for column in contract.table(name).names:
                if column not in f:
                    f[column] = pd.NA
        for c in _KEYS.get(name, ()):
            if c in f:
                f[c] = _text_keys(f[c])
        # Columns read as dates or numbers already are kept as they are: converting them again
        # gives the same values in a new array (scale 70: a gigabyte of order line copies).
        for c in _DATES.get(name, ()):
            if c in f and f[c].dtype != "datetime64[ns]":
                f[c] = pd.to_datetime(f[c], errors="coerce")
        for c in _NUMBERS.get(name, ()):
            if c in f and f[c].dtype != "float64":
                f[c] = pd.to_numeric(f[c], errors="coerce")
        out[name] = f
    return out


def _text_keys(values: pd.Series) -> pd.Series:
    """Ids as Python text (None where missing), each distinct id one shared object.

    A column read as text is dictionary-encoded: a million order lines naming 427 reps become
    427 strings, not a million, so every later map, isin and groupby hashes each id once
    (a groupby on shared ids took 0.016 s against 0.12 s, an isin 0.04 s against 0.15 s, on
    scale 7's order lines). Mostly distinct ids (order ids, the customers of order lines) are
    shared too when read as text: one string per distinct id, not per line (scale 7: 132 MB to
    40 MB for those two columns, 1.3 GB at scale 70). A column read otherwise (ids read as
    numbers, mixed objects) of mostly distinct values is converted one value at a time."""
    head = values.iloc[:10_000]
    read_as_text = isinstance(values.dtype, pd.StringDtype)
    if not pd.api.types.is_string_dtype(values.dtype) or (
        not read_as_text and head.nunique() > len(head) // 4
    ):
        return values.astype("string").astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)  # the last slot: missing (code -1)
    # Text read as text converts in one pass (one Arrow scalar per id was 0.4 s for scale 7's
    # 400,000 order ids); anything else is made text one value at a time.
    texts[:-1] = uniques.to_numpy(dtype=object) if read_as_text else [str(u) for u in uniques]
    # copy=False: pandas 3 copies an array handed to a Series, a million pointers more.
    return pd.Series(texts[codes], index=values.index, name=values.name, dtype=object, copy=False)


def line_amount(lines: pd.DataFrame) -> pd.Series:
    """Each order line's revenue (`actuals.line_revenue`), 0 where it cannot be known."""
    from salescoach.domain.actuals import line_revenue

    return line_revenue(lines).fillna(0.0).astype(float)


def _between(dates: pd.Series, start, end) -> pd.Series:
    return (dates >= start) & (dates <= end)


def window(period_start: pd.Timestamp, period_end: pd.Timestamp, months: int):
    """The evidence window: at least `months` months ending with the period's last day."""
    start = min(period_start, period_end + pd.Timedelta(days=1) - pd.DateOffset(months=months))
    return pd.Timestamp(start), pd.Timestamp(period_end)


def closed_deals(deals: pd.DataFrame, start, end) -> pd.DataFrame:
    """Deals won or lost with a close date inside the window."""
    d = deals[deals["stage"].isin(("won", "lost"))]
    return d[_between(d["close_date"], start, end)]


def win_rates(closed: pd.DataFrame, by) -> pd.DataFrame:
    """Closed, won, win rate and mean won amount per key (a column name or a list of them)."""
    won = closed["stage"] == "won"
    amount = closed["amount"].where(won) if "amount" in closed else np.nan
    c = closed.assign(_won=won, _amount=amount)
    out = c.groupby(by).agg(
        closed=("_won", "size"), won=("_won", "sum"), won_amount=("_amount", "mean")
    )
    out["win_rate"] = out["won"] / out["closed"]
    return out


def with_family(frame: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """The frame with a `family` column from products (the product id where there is none)."""
    if products is None or not products["family"].notna().any():
        return frame.assign(family=frame["product_id"])
    lookup = products.drop_duplicates("product_id").set_index("product_id")["family"]
    # Each distinct product looked up once, then spread to the rows: a million order lines
    # name a dozen products (scale 7: 0.9 s to 0.35 s per call, called on every check).
    fam = map_keys(frame["product_id"], lookup)
    return frame.assign(family=fam.fillna(frame["product_id"]))


def map_keys(keys: pd.Series, lookup: pd.Series) -> pd.Series:
    """`keys.map(lookup)`, each distinct key looked up once and the answers spread to the rows:
    a million order lines name a few hundred reps or a few thousand customers, and hashing
    each line's id again is most of a map's time (scale 7's lines to departments: 0.2 s to
    0.05 s)."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    mapped = pd.Series(uniques, dtype=keys.dtype).map(lookup)
    return mapped.take(codes).set_axis(keys.index).rename(keys.name)


def first_per_group(values: pd.Series, group: np.ndarray, n_groups: int) -> pd.Series:
    """Per group 0..n_groups-1, the first of its rows' values that is not missing (None where
    none is), as `values.groupby(group).first()` gives it for text, for rows numbered by group
    once (`pd.factorize`, -1 for no group) and read for many columns: the order lines of each
    order, numbered once, read once per cut of the delivery check."""
    codes, uniques = pd.factorize(values)
    rows = np.flatnonzero((codes >= 0) & (group >= 0))
    # np.unique's index is each group's first row in the order given: the rows' own order.
    groups, first = np.unique(group[rows], return_index=True)
    pick = np.full(n_groups, -1, dtype=np.intp)
    pick[groups] = codes[rows[first]]
    # The last slot is the missing value that pick's -1 takes.
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[:-1] = np.asarray(uniques, dtype=object)
    return pd.Series(texts.take(pick), dtype=object, name=values.name)


def course_status(
    training: pd.DataFrame, courses: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per rep and product family: the product course's last completion and whether it is
    overdue (older than the course's refresh_days); a pair absent from the index never took it."""
    product = courses.dropna(subset=["product_family"])
    if "refresh_days" not in product:
        product = product.assign(refresh_days=np.nan)
    t = training.merge(product[["course_id", "product_family", "refresh_days"]], on="course_id")
    t = t[t["completed_date"] <= as_of]
    t = t.assign(refresh_days=t["refresh_days"].fillna(np.inf))
    last = t.groupby(["rep_id", "product_family"]).agg(
        last=("completed_date", "max"), refresh_days=("refresh_days", "first")
    )
    last["overdue"] = (as_of - last["last"]).dt.days > last["refresh_days"]
    return last.rename_axis(["rep_id", "family"])


def excess_losses(closed: pd.DataFrame, benchmark_rate: float, avg_won: float) -> pd.Series:
    """Per rep, revenue they would have won at the benchmark win rate: excess losses x deal size."""
    if closed.empty or not np.isfinite(benchmark_rate) or not np.isfinite(avg_won):
        return pd.Series(dtype=float)
    won = (closed["stage"] == "won").groupby(closed["rep_id"])
    excess = (benchmark_rate * won.size() - won.sum()).clip(lower=0)
    return excess * avg_won


def exposure_losses(closed: pd.DataFrame, benchmark_rate: float, avg_won: float) -> pd.Series:
    """Per rep, the unit's shortfall in win rate (benchmark - the unit's own rate) times the
    rep's closed deals on it times deal size: a systemic cause touches each rep in proportion
    to their exposure, never with the rep's own weakness folded in."""
    if closed.empty or not np.isfinite(benchmark_rate) or not np.isfinite(avg_won):
        return pd.Series(dtype=float)
    drop = max(0.0, benchmark_rate - float((closed["stage"] == "won").mean()))
    return closed.groupby("rep_id").size() * drop * avg_won


def active_days(reps: pd.DataFrame, start, end) -> pd.Series:
    """Days each rep was employed inside the window (hire_date / end_date when known)."""
    r = reps.drop_duplicates("rep_id").set_index("rep_id")
    first = r["hire_date"].clip(lower=start).fillna(start)
    last = r["end_date"].clip(upper=end).fillna(end)
    return ((last - first).dt.days + 1).clip(lower=0)


def revenue_per_rep(tables: Mapping[str, pd.DataFrame], start, end) -> pd.Series:
    """Revenue per rep in the window: booked order lines (not cancelled or returned), else won
    deals' amounts, as `salescoach.domain.actuals` defines it (on prepared tables, whatever the shape)."""
    orders, deals = tables.get("orders"), tables.get("deals")
    if orders is not None and len(orders):
        # Only the columns a line's revenue reads, filtered once: the prepared lines carry a
        # dozen more, five of them Python text (scale 7: 0.3 s of copying).
        read = ("rep_id", "order_date", "status", "quantity", "unit_price", "amount")
        keep = _between(orders["order_date"], start, end) & ~orders["status"].isin(
            ("cancelled", "returned")
        )
        o = orders.loc[keep.to_numpy(), [c for c in read if c in orders]]
        return line_amount(o).groupby(o["rep_id"]).sum()
    if deals is not None and len(deals):
        won = deals[(deals["stage"] == "won") & _between(deals["close_date"], start, end)]
        return won["amount"].fillna(0).groupby(won["rep_id"]).sum()
    return pd.Series(dtype=float)


def _empty(table: str) -> pd.DataFrame:
    """A table the workbook lacks, as an empty frame with the contract's columns and types."""
    from salescoach.domain import contract

    return prepare({table: pd.DataFrame(columns=contract.table(table).names)})[table]
