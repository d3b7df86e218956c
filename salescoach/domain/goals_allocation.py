"""A team's or department's goal split down to its members (by the chosen weights, pro rata to
the days each is on staff, support staff apart), and the roll-up gaps between a unit's goal
and the sum of its members' goals."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salescoach.domain import actuals, roles
from salescoach.domain.contract import SCOPES
from salescoach.domain.decisions import ACK, ack_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import N_, _, label, translator

ALLOCATION_MODES = ("history", "capacity", "even")


LEVELS = ("department", "team", "rep")  # below the company, top to bottom


def active_share(reps: pd.DataFrame, period: Period) -> pd.Series:
    """The share of the period each rep is on staff (joiners and leavers prorated), 0..1."""
    return active_days(reps, period.start, period.end) / ((period.end - period.start).days + 1)


def active_days(reps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Days each rep is on staff between two dates (inclusive), by rep_id."""
    # In numpy: a suggestion asks this for each of the dozen periods before its own, and
    # pandas' clip and fillna on dates took 6 ms a time for 455 reps.
    low, high = np.datetime64(pd.Timestamp(start), "ns"), np.datetime64(pd.Timestamp(end), "ns")
    first, last = _dates(reps, "hire_date"), _dates(reps, "end_date")
    first = np.where(np.isnat(first) | (first < low), low, first)
    last = np.where(np.isnat(last) | (last > high), high, last)
    days = np.floor((last - first) / np.timedelta64(1, "D")) + 1
    return pd.Series(
        np.clip(days, 0, None), index=pd.Index(reps["rep_id"].to_numpy(), name="rep_id")
    )


def _dates(reps: pd.DataFrame, column: str) -> np.ndarray:
    if column not in reps:
        return np.full(len(reps), np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(reps[column]).to_numpy(dtype="datetime64[ns]")


def sellers(reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Who takes a seller goal: support staff are measured on the sales they assist, unless
    they also sell (`rep_id` on a deal or order in `tables`): then their goal is on their own
    sales."""
    return roles.sellers(reps, tables)


def support_staff(
    reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    return roles.support_staff(reps, tables)


def allocate(total: float, weights: pd.Series) -> pd.Series:
    """Split `total` in proportion to `weights`; the parts sum to the total exactly."""
    weights = weights.astype(float).clip(lower=0).fillna(0)
    if weights.sum() <= 0:
        if len(weights) == 0:
            return weights
        weights = pd.Series(1.0, index=weights.index)
    parts = total * weights / weights.sum()
    # Floating error goes to the largest part so the sum is the total to the cent.
    if len(parts):
        parts.iloc[int(np.argmax(parts.to_numpy()))] += total - parts.sum()
    return parts


def allocation_weights(
    tables: Mapping[str, pd.DataFrame],
    members: pd.DataFrame,
    period: Period,
    mode: str,
    metric: str = "revenue",
    fiscal_start: int = 1,
) -> pd.Series:
    """Weights per rep for a top-down split: by history, by capacity, or evenly.

    history   the rep's results per day on staff over the 12 months before the period
              (a rep without any takes the median rate) x days on staff in the period
    capacity  days on staff in the period (prorated headcount)
    even      the same as capacity for reps; between teams or departments, one equal share each

    A rep who joins halfway gets half; a leaver gets only the days on staff, and the rest of
    the leaver's share goes to the others.
    """
    if mode not in ALLOCATION_MODES:
        raise InputError(
            _(
                "unknown allocation {mode}; use one of {choices}",
                mode=mode,
                choices=", ".join(ALLOCATION_MODES),
            )
        )
    on_staff = active_share(members, period)
    if mode != "history":
        return on_staff
    start, end = period.start - pd.DateOffset(months=12), period.start - pd.Timedelta(days=1)
    try:
        results = actuals.per_rep(tables, metric, start, end).reindex(on_staff.index).fillna(0.0)
    except actuals.MissingData as exc:
        raise InputError(str(exc)) from None
    days = active_days(members, start, end)
    rate = (results / days.where(days > 0)).fillna(0.0)
    known = rate[rate > 0]
    rate = rate.where(rate > 0, float(known.median()) if len(known) else 1.0)
    return rate * on_staff


def split_down(
    tables: Mapping[str, pd.DataFrame],
    total: float,
    parent_scope: str,
    parent_id: str | None,
    child_scope: str,
    period: Period,
    mode: str = "history",
    metric: str = "revenue",
    fiscal_start: int = 1,
) -> pd.Series:
    """A parent's goal split to its departments, teams or reps (sellers on staff); sums to
    `total`. Example: ``split_down(tables, 1e6, "team", "North A", "rep", p, "capacity")``."""
    if child_scope not in LEVELS or (
        parent_scope != "company" and LEVELS.index(child_scope) <= LEVELS.index(parent_scope)
    ):
        raise InputError(
            _(
                "a {parent} goal cannot be split into {child}",
                parent=label(parent_scope),
                child=label(child_scope),
            )
        )
    reps = sellers(tables["reps"], tables)
    members = reps[reps["rep_id"].isin(actuals.members(reps, parent_scope, parent_id))]
    weights = allocation_weights(tables, members, period, mode, metric, fiscal_start)
    weights = weights[weights > 0]
    if child_scope == "rep":
        return allocate(total, weights)
    level = members.set_index("rep_id")[child_scope].reindex(weights.index)
    grouped = weights.groupby(level).sum()
    if mode == "even":
        grouped = pd.Series(1.0, index=grouped.index)
    return allocate(total, grouped)


MODE_TEXT = {
    "history": N_("by results per day on staff over the last 12 months"),
    "capacity": N_("by days on staff"),
    "even": N_("evenly"),
}


def split_sentence(
    share: float,
    parent: str,
    total: float,
    mode: str,
    fmt: Formatter,
    metric: str,
    lang: str = "en",
) -> str:
    """How a top-down goal was set, in one sentence."""
    gettext = translator(lang)
    money = fmt.money_compact if metric == "revenue" else (lambda x: fmt.number(x))
    return gettext(
        "{share} of the {parent} goal of {total}, split {how}",
        share=fmt.pct(share, 1),
        parent=parent,
        total=money(total),
        how=gettext(MODE_TEXT[mode]),
    )


def compare_allocations(top_down: pd.Series, bottom_up: pd.Series) -> pd.DataFrame:
    """Top-down split and bottom-up suggestions side by side, with their difference."""
    frame = pd.DataFrame({"top_down": top_down, "bottom_up": bottom_up}).fillna(0.0)
    frame["difference"] = frame["top_down"] - frame["bottom_up"]
    frame.index.name = "scope_id"
    return frame.reset_index()


def rollup_gaps(
    goals: pd.DataFrame,
    reps: pd.DataFrame,
    period: str,
    metric: str = "revenue",
    fiscal_start: int = 1,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Each team, department and the company against the sum of its direct parts' goals.

    A team's parts are its sellers on staff; a department's are its teams when any of them has
    a goal (else its sellers); the company's are its departments, else teams, else sellers.
    `missing` counts the parts without a goal. The gap is reported, never hidden: a team goal
    of 1.0M whose reps' goals add up to 0.9M shows a gap of 0.1M.
    """
    columns = ["scope", "scope_id", "goal", "parts", "sum_of_parts", "children", "missing", "gap"]
    g = goals[(goals["period"].astype(str) == str(period)) & (goals["metric"] == metric)]
    p = Period.parse(str(period), fiscal_start)
    staff = sellers(reps, tables)
    staff = staff[active_share(staff, p).to_numpy() > 0].set_index("rep_id")
    by_scope = {s: g[g["scope"] == s].set_index("scope_id")["target"] for s in SCOPES}
    rows = []

    def children_of(level: str, unit: str) -> tuple[str, pd.Index]:
        inside = staff if level == "company" else staff[staff[level] == unit]
        order = (
            ("department", "team")
            if level == "company"
            else ("team",)
            if level == "department"
            else ()
        )
        for child in order:
            units = pd.Index(sorted(inside[child].dropna().unique()))
            if by_scope[child].reindex(units).notna().any():
                return child, units
        return "rep", pd.Index(inside.index)

    for level in ("team", "department", "company"):
        units = ["company"] if level == "company" else sorted(staff[level].dropna().unique())
        units = sorted(set(units) | set(by_scope[level].index))
        for unit in units:
            child, kids = children_of(level, unit)
            have = by_scope[child].reindex(kids)
            if have.notna().sum() == 0 and unit not in by_scope[level].index:
                continue
            whole = float(by_scope[level].get(unit, np.nan))
            parts = float(have.sum())
            rows.append(
                {
                    "scope": level,
                    "scope_id": unit,
                    "goal": whole,
                    "parts": child,
                    "sum_of_parts": parts,
                    "children": len(kids),
                    "missing": int(have.isna().sum()),
                    "gap": whole - parts,
                }
            )
    return pd.DataFrame(rows, columns=columns)
