"""Goals in force, attainment to date and the run-rate projection: the one place for them.

Goals come from two sources: the imported `targets` table (version 0) and the manager's goal
decisions in the store (kind `goal`, each a new version). The latest version of each
(scope, scope_id, period, metric) is in force. Monitoring, diagnosis, recognition and the packs
all read attainment from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from salescoach.domain import actuals
from salescoach.domain.decisions import COMPANY_ID, GOAL, goal_key  # noqa: F401 - the registry's key
from salescoach.domain.periods import Period

GOAL_KIND = GOAL
GOAL_COLUMNS = [
    "scope",
    "scope_id",
    "period",
    "metric",
    "target",
    "version",
    "source",
    "set_by",
    "set_at",
    "reason",
    "why",
]


def goals_in_force(targets: pd.DataFrame | None, goal_events: pd.DataFrame | None) -> pd.DataFrame:
    """Every goal's latest version, imported targets first, then the store's versions in order.

    `goal_events` is `Store.frame("goal")`: columns key, target, reason, at, who, why, ...
    """
    parts = []
    if targets is not None and len(targets):
        t = targets.copy()
        t["scope_id"] = np.where(t["scope"] == "company", COMPANY_ID, t.get("scope_id"))
        t["version"] = 0
        t["source"] = "import"
        t["set_by"] = None
        t["set_at"] = pd.NaT
        t["reason"] = None
        t["why"] = None
        parts.append(t[GOAL_COLUMNS])
    if goal_events is not None and len(goal_events):
        e = goal_events.sort_values("event_id") if "event_id" in goal_events else goal_events
        keys = e["key"].str.split("|", expand=True)
        versions = pd.DataFrame(
            {
                "scope": keys[0],
                "scope_id": keys[1],
                "period": keys[2],
                "metric": keys[3],
                "target": e["target"].astype(float),
                "version": e.groupby("key").cumcount() + 1,
                "source": "set",
                "set_by": e["who"],
                "set_at": pd.to_datetime(e["at"]),
                "reason": e.get("reason"),
                "why": e.get("why"),
            }
        )
        parts.append(versions[GOAL_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=GOAL_COLUMNS)
    allv = pd.concat(parts, ignore_index=True)
    allv["_order"] = np.arange(len(allv))
    latest = (
        allv.sort_values("_order")
        .groupby(["scope", "scope_id", "period", "metric"], sort=False)
        .tail(1)
    )
    # An imported target is version 0; the manager's first revision of it is version 1.
    return (
        latest.drop(columns="_order")
        .sort_values(["period", "scope", "scope_id", "metric"])
        .reset_index(drop=True)
    )


def elapsed_share(period: Period, as_of: pd.Timestamp) -> float:
    """How much of the period has passed on `as_of` (inclusive), in calendar days, 0..1."""
    total = (period.end - period.start).days + 1
    done = (min(as_of, period.end) - period.start).days + 1
    return float(np.clip(done / total, 0.0, 1.0))


def scope_actuals(
    per_rep: pd.Series, reps: pd.DataFrame, scopes: Iterable[str], scope_ids: Iterable
) -> list[float]:
    """Each scope's total of a per-rep series over its members (`actuals.members`: the reps
    table's rep_ids in the company, the team, the department, or the one rep).

    One group-by per level instead of a member lookup per goal: a history of goals for 455
    reps over many periods asked for tens of thousands of lookups (profiled)."""
    ids = reps["rep_id"].to_numpy()
    values = per_rep.reindex(ids).fillna(0.0).to_numpy(dtype=float)
    totals: dict[str, dict] = {"rep": pd.Series(values, index=ids).groupby(level=0).sum().to_dict()}
    for level in ("team", "department"):
        if level in reps:
            by = pd.Series(values, index=reps[level].to_numpy())
            totals[level] = by.groupby(level=0).sum().to_dict()
    company = float(values.sum())
    out = []
    for scope, scope_id in zip(scopes, scope_ids):
        if scope == "company":
            out.append(company)
        elif scope in ("rep", "team", "department"):
            out.append(float(totals.get(scope, {}).get(scope_id, 0.0)))
        else:
            raise ValueError(f"unknown scope {scope!r}")
    return out


def attainment_table(
    tables: Mapping[str, pd.DataFrame],
    goals: pd.DataFrame,
    period: Period,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Actual to date, attainment and run-rate projection for every goal of one period.

    `as_of` defaults to the last day with data (not today), so a historical export reads the
    same whenever it is opened. The projection is linear on calendar days: actual / elapsed.
    """
    rows = goals[goals["period"] == str(period)]
    if rows.empty:
        return pd.DataFrame(
            columns=list(GOAL_COLUMNS)
            + ["actual", "attainment", "elapsed", "projection", "projected_attainment"]
        )
    out = []
    for metric, group in rows.groupby("metric", sort=False):
        try:
            ev = actuals.events(tables, metric)
        except actuals.MissingData:
            g = group.copy()
            g["actual"] = np.nan
            out.append(g)
            continue
        day = as_of if as_of is not None else ev["date"].max()
        share = elapsed_share(period, day)
        per_rep = actuals.per_rep(tables, metric, period.start, min(day, period.end))
        g = group.copy()
        g["actual"] = actuals.scope_totals(per_rep, tables["reps"], g["scope"], g["scope_id"])
        g["elapsed"] = share
        out.append(g)
    table = pd.concat(out, ignore_index=True)
    table["attainment"] = table["actual"] / table["target"].where(table["target"] > 0)
    elapsed = table.get("elapsed", pd.Series(np.nan, index=table.index))
    table["projection"] = table["actual"] / elapsed.where(elapsed > 0)
    table["projected_attainment"] = table["projection"] / table["target"].where(table["target"] > 0)
    return table
