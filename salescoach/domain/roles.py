"""Who is measured as what: a person's role comes from their work as well as from `reps.role`.

A person is measured as a seller on the deals and orders where they are `rep_id`, and as
support on the deals where they are `support_rep_id`, whatever `reps.role` says; one person can
be both, and each role is measured on its own work. `reps.role` decides only for people with
no such work yet (a new seller, support staff who have not assisted a deal).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

ROLES = ("seller", "support")


def _derived(tables: Mapping[str, pd.DataFrame], key, build):
    # A monitoring.FactTables keeps what is derived from it, so a page asks once.
    derive = getattr(tables, "derive", None)
    return derive(("roles", key), build) if derive is not None else build()


def _ids(frame: pd.DataFrame | None, column: str) -> pd.Index:
    if frame is None or column not in frame:
        return pd.Index([], dtype=object)
    # unique() first: a million order lines name a few hundred people.
    return pd.Index(frame[column].unique(), dtype=object).dropna()


def selling(tables: Mapping[str, pd.DataFrame]) -> pd.Index:
    """The people named as `rep_id` on any deal or order."""

    def build():
        return column_ids(tables, "deals", "rep_id").union(column_ids(tables, "orders", "rep_id"))

    return _derived(tables, "selling", build)


def column_ids(tables: Mapping[str, pd.DataFrame], name: str, column: str) -> pd.Index:
    """The distinct values of `column` in table `name`, missing ones left out. Facts that keep
    what is derived from them may answer where the rows lie (the workbook's view asks the order
    files for their rep ids instead of loading a million lines)."""
    return _derived(tables, ("ids", name, column), lambda: _ids(tables.get(name), column))


def supporting(tables: Mapping[str, pd.DataFrame]) -> pd.Index:
    """The people named as `support_rep_id` on any deal."""
    return _derived(tables, "supporting", lambda: _ids(tables.get("deals"), "support_rep_id"))


def _declared(reps: pd.DataFrame) -> pd.Series:
    role = reps["role"] if "role" in reps else pd.Series("seller", index=reps.index)
    return role.fillna("seller")


def sellers(reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The reps measured as sellers: `reps.role` is not support, or they sell (`rep_id` on a deal
    or order); without `tables`, `reps.role` alone."""
    keep = _declared(reps).ne("support")
    if tables is not None:
        keep |= reps["rep_id"].isin(selling(tables))
    return reps[keep.to_numpy()]


def support_staff(
    reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The reps measured as support: `reps.role` is support, or they assist (`support_rep_id` on
    a deal); without `tables`, `reps.role` alone."""
    keep = _declared(reps).eq("support")
    if tables is not None:
        keep |= reps["rep_id"].isin(supporting(tables))
    return reps[keep.to_numpy()]


def support_only(reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None):
    """Support staff who sell nothing themselves: they take no seller goal or award."""
    staff = support_staff(reps, tables)
    return staff[~staff["rep_id"].isin(sellers(reps, tables)["rep_id"]).to_numpy()]


def support_goals(
    goals: pd.DataFrame,
    reps: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame] | None = None,
    staff: pd.Index | None = None,
) -> pd.Series:
    """Which rows of a goals table are seller goals of support staff who sell nothing (`scope`
    rep, `scope_id` one of :func:`support_only`, or of `staff` when the caller has them):
    set aside wherever attainment is judged. Such a person is measured on the deals they
    assist; against a seller's goal they would read 0% and put their whole goal into the gap
    that diagnosis explains (an export that gives sales engineers an overlay quota does this)."""
    if goals.empty or reps is None or reps.empty:
        return pd.Series(False, index=goals.index)
    if staff is None:
        staff = pd.Index(support_only(reps, tables)["rep_id"])
    return goals["scope"].eq("rep") & goals["scope_id"].astype(str).isin(staff.astype(str))


def main_role(reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Per rep_id, the role of most of their work: deals as `rep_id` against deals as
    `support_rep_id` (orders when there are no deals); a tie is `seller`, and a person with
    neither keeps `reps.role`."""
    declared = pd.Series(_declared(reps).to_numpy(), index=pd.Index(reps["rep_id"], name="rep_id"))
    deals = tables.get("deals")
    own = deals if deals is not None and "rep_id" in deals else tables.get("orders")
    sold = (
        own["rep_id"].value_counts()
        if own is not None and "rep_id" in own
        else pd.Series(dtype=float)
    )
    assisted = (
        deals["support_rep_id"].value_counts()
        if deals is not None and "support_rep_id" in deals
        else pd.Series(dtype=float)
    )
    sold = sold.reindex(declared.index).fillna(0).to_numpy()
    assisted = assisted.reindex(declared.index).fillna(0).to_numpy()
    out = declared.copy()
    out[(sold > 0) & (sold >= assisted)] = "seller"
    out[assisted > sold] = "support"
    return out.rename("role")
