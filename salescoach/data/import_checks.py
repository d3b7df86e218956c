"""The checks an import runs over parsed rows, each adding rejects with file, row, column, value
and reason: schema (pandera), rows, prices and amounts, reps and the house account, duplicates,
identical dimension rows merged, and references between tables."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pandera

from salescoach.data.schemas import readable_reason, schema
from salescoach.data.sources import TableSource
from salescoach.domain.contract import TABLES, Table
from salescoach.i18n import _


@dataclass
class _Work:
    """One table on its way through validation."""

    source: TableSource
    raw: pd.DataFrame  # renamed to canonical columns, raw values (for the rejects file)
    frame: pd.DataFrame  # parsed
    failures: list[pd.DataFrame] = field(default_factory=list)
    merged: int = 0
    encoding: str | None = None
    shown: str = ""  # what the rejects file names: the file, or a mapping's query

    @property
    def spec(self) -> Table:
        return TABLES[self.source.table]

    def fail(self, mask_or_index, column: str, reason) -> None:
        """Record a reason for the rows selected (a boolean mask or an index of row numbers)."""
        if isinstance(mask_or_index, pd.Series):
            rows = mask_or_index.index[mask_or_index.to_numpy(dtype=bool)]
        else:
            rows = pd.Index(mask_or_index)
        if len(rows) == 0:
            return
        if isinstance(reason, pd.Series):
            reasons = reason.reindex(rows).astype(str).to_numpy()
        else:
            reasons = np.full(len(rows), reason, dtype=object)
        self.failures.append(pd.DataFrame({"row": rows, "column": column, "reason": reasons}))

    def rejected_rows(self) -> pd.Index:
        if not self.failures:
            return pd.Index([])
        return pd.Index(pd.concat([f["row"] for f in self.failures]).unique())


# Feedback and service cases naming their order take its customer, rep and product from it.
_ORDER_FILLS = {
    "feedback": ("customer_id", "rep_id", "product_id"),
    "service": ("customer_id", "rep_id", "product_id"),
}


def _fill_from_orders(work: _Work, stored: Mapping[str, pd.DataFrame]) -> None:
    """Customer, rep and product of a feedback or a case, from the order it names, when the
    export has no such column (a column given keeps its values, blanks included).

    A product is taken only from an order of one product; an order of several says nothing
    about which one the customer meant.
    """
    frame, orders = work.frame, stored.get("orders")
    if work.spec.name not in _ORDER_FILLS or "order_id" not in frame:
        return
    for column in _ORDER_FILLS[work.spec.name]:
        if column in work.raw.columns:
            continue
        frame[column] = pd.Series(pd.NA, index=frame.index, dtype="object")
        if orders is None or column not in orders:
            continue
        per_order = orders.dropna(subset=[column]).groupby("order_id", sort=False)[column]
        known = per_order.first()[per_order.nunique() == 1]
        todo = frame[column].isna() & frame["order_id"].notna()
        frame.loc[todo, column] = frame.loc[todo, "order_id"].map(known)


def _derive_order_amounts(frame: pd.DataFrame) -> None:
    """Fill whichever of unit_price and amount (the line total) the export left out."""
    qty = frame["quantity"]
    if "amount" not in frame:
        frame["amount"] = qty * frame["unit_price"]
    elif "unit_price" not in frame:
        frame["unit_price"] = frame["amount"] / qty.where(qty != 0)
    else:
        frame["amount"] = frame["amount"].fillna(qty * frame["unit_price"])
        frame["unit_price"] = frame["unit_price"].fillna(frame["amount"] / qty.where(qty != 0))


def _check_rep(work: _Work, stored: Mapping[str, pd.DataFrame]) -> None:
    """Open and lost deals may be unassigned leads; a sale (a won deal, an order) needs a rep.

    The mapping's house account stands in for the rep of sales that have none.
    """
    name, frame = work.spec.name, work.frame
    if name not in ("deals", "orders"):
        return
    if "rep_id" not in frame:
        frame["rep_id"] = pd.Series(pd.NA, index=frame.index, dtype="object")
    missing = frame["rep_id"].isna()
    if name == "deals":
        missing &= frame["stage"].eq("won")
    if not missing.any():
        return
    house = work.source.house_account
    reps = stored.get("reps")
    if house and reps is not None and not reps["rep_id"].eq(house).any():
        work.fail(
            missing,
            "rep_id",
            _(
                "the house account {house} is not in reps: add a row for it (its own team, e.g. House)",
                house=repr(house),
            ),
        )
    elif house:
        frame.loc[missing, "rep_id"] = house
    elif name == "deals":
        work.fail(
            missing,
            "rep_id",
            _(
                "a won deal needs a rep_id (open and lost deals may be unassigned); name a house_account in the mapping for sales without a rep"
            ),
        )
    else:
        work.fail(
            missing,
            "rep_id",
            _(
                "an order needs a rep_id; name a house_account in the mapping for sales without a rep"
            ),
        )


# Given both, the net unit price is derived from them (`unit_price` may then be left out).
_PRICE_FROM_LIST = {"unit_list_price", "discount"}


# Figures written to the cent agree within half a cent each way.
_CENT = 0.01 + 1e-9


def _money_text(value: float) -> str:
    return f"{value:.2f}"


def _number_text(value: float) -> str:
    # As the export writes numbers (reasons quote the file), not in the reader's locale.
    return f"{value:g}"


def _check_prices(work: _Work) -> None:
    """`unit_price` is the net price per unit: unit_list_price x (1 - discount), and amount is
    quantity x unit_price. Figures given that disagree beyond rounding are rejected with the
    arithmetic; a net price not given is derived from list price and discount."""
    frame = work.frame
    if _PRICE_FROM_LIST <= set(frame.columns):
        net = frame["unit_list_price"] * (1 - frame["discount"])
        if "unit_price" not in frame:
            frame["unit_price"] = np.nan
        given = frame["unit_price"]
        bad = given.notna() & net.notna() & ((given - net).abs() > _CENT)
        if bad.any():
            reasons = pd.Series(
                [
                    _(
                        "unit_price {price} is not unit_list_price {list_price} x (1 - discount {discount}) = {net}",
                        price=_money_text(p),
                        list_price=_money_text(lp),
                        discount=_number_text(d),
                        net=_money_text(n),
                    )
                    for p, lp, d, n in zip(
                        given[bad],
                        frame.loc[bad, "unit_list_price"],
                        frame.loc[bad, "discount"],
                        net[bad],
                    )
                ],
                index=frame.index[bad],
            )
            work.fail(bad, "unit_price", reasons)
        frame["unit_price"] = given.fillna(net)
    if {"amount", "unit_price"} <= set(frame.columns):
        qty = frame["quantity"]
        line = qty * frame["unit_price"]
        bad = line.notna() & frame["amount"].notna()
        bad &= (frame["amount"] - line).abs() > _CENT + 0.005 * qty.abs()
        if bad.any():
            reasons = pd.Series(
                [
                    _(
                        "amount {amount} is not quantity {quantity} x unit_price {price} = {line}",
                        amount=_money_text(a),
                        quantity=_number_text(q),
                        price=_money_text(p),
                        line=_money_text(t),
                    )
                    for a, q, p, t in zip(
                        frame.loc[bad, "amount"], qty[bad], frame.loc[bad, "unit_price"], line[bad]
                    )
                ],
                index=frame.index[bad],
            )
            work.fail(bad, "amount", reasons)


def _rescale(work: _Work) -> None:
    """Feedback scores on a declared scale (1-5, 1-10) are stored on 0-10."""
    scale = work.source.scale
    if scale is None or work.spec.name != "feedback" or "score" not in work.frame:
        return
    low, high = scale
    score = work.frame["score"]
    outside = score.notna() & ((score < low) | (score > high))
    work.fail(
        outside,
        "score",
        _(
            "must be between {low} and {high} (the scale the mapping declares)",
            low=_number_text(low),
            high=_number_text(high),
        ),
    )
    work.frame["score"] = ((score - low) / (high - low) * 10).where(~outside, score)


def _check_schema(work: _Work) -> None:
    try:
        schema(work.spec.name).validate(work.frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna() & cases["column"].isin(work.frame.columns)]
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            work.fail(
                pd.Index(group["index"].astype("int64").unique()), column, readable_reason(check)
            )


def _check_rows(work: _Work) -> None:
    """Rules that read several columns of one row."""
    frame, name = work.frame, work.spec.name
    for earlier, later in work.spec.date_order:
        if earlier in frame and later in frame:
            bad = frame[later] < frame[earlier]
            if bad.any():
                reason = pd.Series(
                    [
                        _(
                            "{later} {later_date} is before {earlier} {earlier_date}",
                            later=later,
                            later_date=a,
                            earlier=earlier,
                            earlier_date=b,
                        )
                        for a, b in zip(
                            frame.loc[bad, later].dt.strftime("%Y-%m-%d"),
                            frame.loc[bad, earlier].dt.strftime("%Y-%m-%d"),
                            strict=True,
                        )
                    ],
                    index=frame.index[bad],
                )
                work.fail(bad, later, reason)
    if name == "orders":
        _check_prices(work)
    for group in work.spec.one_of:
        present = [c for c in group if c in frame]
        bad = frame[present].isna().all(axis=1)
        work.fail(bad, present[0], _("needs one of {columns}", columns=", ".join(group)))
    if name == "deals":
        closed = frame["stage"].isin(["won", "lost"])
        if "close_date" in frame:
            work.fail(
                closed & frame["close_date"].isna(),
                "close_date",
                "a won or lost deal needs close_date",
            )
        else:
            work.fail(
                closed, "close_date", "a won or lost deal needs close_date (no close_date column)"
            )
    if name == "targets":
        scoped = frame["scope"].isin(["department", "team", "rep"])
        ids = frame["scope_id"] if "scope_id" in frame else pd.Series(pd.NA, index=frame.index)
        work.fail(scoped & ids.isna(), "scope_id", "scope_id is required unless scope is company")


def _merge_identical(work: _Work) -> None:
    """`distinct: true`: a dimension read from a fact file repeats each row; identical copies merge.

    Copies that disagree stay and are reported as conflicting duplicates, except a person listed
    in both roles, who keeps one row (`_other_role`).
    """
    if not work.source.distinct:
        return
    same = work.raw.duplicated(keep="first")
    if work.spec.name == "reps":
        same |= _other_role(work.frame).to_numpy()
    work.merged = int(same.sum())
    keep = work.frame.index[~same.to_numpy()]
    work.frame = work.frame.loc[keep]
    work.raw = work.raw.loc[keep]
    work.failures = [f[f["row"].isin(keep)] for f in work.failures]


def _other_role(frame: pd.DataFrame) -> pd.Series:
    """Rows of a person listed in both roles (the closer and the SDR columns of a union): those
    not in the role of most of their rows merge, a tie keeping `seller`. The deals measure each
    role on its own work, so one person row is enough; it is not a conflicting duplicate."""
    if "role" not in frame or "rep_id" not in frame or frame.empty:
        return pd.Series(False, index=frame.index)
    support = frame["role"].eq("support").fillna(False).astype(bool)
    per_rep = support.groupby(frame["rep_id"]).agg(["sum", "size"])
    assisting = per_rep["sum"]
    selling = per_rep["size"] - assisting
    main_is_support = (assisting > selling).reindex(frame["rep_id"]).fillna(False).to_numpy(bool)
    both = ((assisting > 0) & (selling > 0)).reindex(frame["rep_id"]).fillna(False).to_numpy(bool)
    return pd.Series(both & (support.to_numpy() != main_is_support), index=frame.index)


def _check_duplicates(work: _Work) -> None:
    frame = work.frame
    key = [c for c in work.spec.key if c in frame]
    dup = frame.duplicated(key, keep="first")
    if dup.any():
        first = frame[key].reset_index().drop_duplicates(key, keep="first").set_index(key)["index"]
        first_rows = frame.loc[dup, key].merge(
            first.rename("first"), left_on=key, right_index=True, how="left"
        )["first"]
        label = "+".join(key)
        reason = pd.Series(
            [
                _("conflicting duplicate {key} (first at row {row})", key=label, row=row)
                if work.source.distinct
                else _("duplicate {key} (first at row {row})", key=label, row=row)
                for row in first_rows.astype("int64")
            ],
            index=first_rows.index,
        )
        work.fail(dup, key[0], reason)


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z\u0370-\u03ff\u0400-\u04ff]+", "", str(text).lower())


def _suggest(value: str, known: pd.Index) -> str | None:
    folded = {_fold(k): k for k in known[:50000]}
    exact = folded.get(_fold(value))
    if exact is not None:
        return exact
    close = difflib.get_close_matches(_fold(value), list(folded), n=1, cutoff=0.9)
    return folded[close[0]] if close else None


def _check_references(
    work: _Work, stored: Mapping[str, pd.DataFrame], rejected_keys: Mapping[str, dict]
) -> list[str]:
    notes = []
    frame = work.frame
    refs = [(c.name, c.references) for c in work.spec.columns if c.references and c.name in frame]
    # An export without scope_id has only company targets to check (others are rejected for it).
    if work.spec.name == "targets" and "reps" in stored and "scope_id" in frame:
        reps = stored["reps"]
        for scope, col in (("rep", "rep_id"), ("team", "team"), ("department", "department")):
            rows = frame["scope"] == scope
            known = pd.Index(reps[col].dropna().unique())
            bad = rows & frame["scope_id"].notna() & ~frame["scope_id"].isin(known)
            work.fail(
                bad,
                "scope_id",
                "unknown " + scope + " '" + frame["scope_id"].astype(str) + "' (not in reps)",
            )
    for column, ref in refs:
        parent, parent_col = ref.split(".")
        if parent not in stored:
            if frame[column].notna().any():
                notes.append(f"{work.spec.name}.{column} not checked: no {parent} table")
            continue
        known = pd.Index(stored[parent][parent_col].dropna().unique())
        values = frame[column]
        bad = values.notna() & ~values.isin(known)
        if not bad.any():
            continue
        reasons = {}
        for value in values[bad].unique():
            if value in rejected_keys.get(parent, {}):
                where = rejected_keys[parent][value]
                reasons[value] = _(
                    "{column} '{value}' was rejected in {parent} ({where})",
                    column=column,
                    value=value,
                    parent=parent,
                    where=where,
                )
                continue
            hint = _suggest(value, known)
            reasons[value] = (
                _(
                    "unknown {column} '{value}' (not in {parent}; did you mean '{hint}'?)",
                    column=column,
                    value=value,
                    parent=parent,
                    hint=hint,
                )
                if hint
                else _(
                    "unknown {column} '{value}' (not in {parent})",
                    column=column,
                    value=value,
                    parent=parent,
                )
            )
        work.fail(bad, column, values[bad].map(reasons))
    return notes
