"""Where each rep stands: attainment per period, streaks, late-delivery shares, and ranks with
ties told apart only as far as the figures are shown."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salescoach.domain import monitoring, roles
from salescoach.domain.attainment import attainment_table
from salescoach.domain.decisions import AWARD, award_key  # noqa: F401 - the registry's key
from salescoach.domain.periods import Period
from salescoach.domain.recognition_program import (
    ProgramSettings,
)

HISTORY_PREFIX = "attainment:"


def attainment_history(
    tables: Mapping[str, pd.DataFrame],
    goals: pd.DataFrame,
    period: Period,
    periods: int,
    metric: str = "revenue",
) -> pd.DataFrame:
    """Long frame of the rep goals of `periods` periods ending with `period`: rep_id, period,
    goal, actual, attainment, projected_attainment (oldest period first)."""
    parts = []
    for back in range(periods - 1, -1, -1):
        p = period.shift(-back)
        att = attainment_table(tables, goals, p)
        att = att[(att["scope"] == "rep") & (att["metric"] == metric)]
        parts.append(
            pd.DataFrame(
                {
                    "rep_id": att["scope_id"].to_numpy(),
                    "period": str(p),
                    "goal": att["target"].to_numpy(dtype=float),
                    "actual": att["actual"].to_numpy(dtype=float),
                    "attainment": att["attainment"].to_numpy(dtype=float),
                    "projected_attainment": att["projected_attainment"].to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _count_per_period(
    tables: Mapping[str, pd.DataFrame], name: str, column: str, periods: list[Period]
) -> pd.DataFrame:
    """rep x period counts of the rows of table `name` dated in each period (zeros where none).
    Facts that keep what is derived from them (the workbook's view) count where the rows lie."""
    labels = [str(p) for p in periods]

    def build() -> dict[str, pd.Series] | None:
        frame = tables.get(name)
        if frame is None or "rep_id" not in frame or column not in frame:
            return None
        return {str(p): frame[p.contains(frame[column])].groupby("rep_id").size() for p in periods}

    derive = getattr(tables, "derive", None)
    spans = tuple((str(p), p.start, p.end) for p in periods)
    out = (
        derive(("rows per rep and period", name, column, spans), build)
        if derive is not None
        else build()
    )
    if out is None:
        return pd.DataFrame(columns=labels, dtype=float)
    return pd.DataFrame(out).fillna(0.0)


def late_delivery_shares(
    orders: pd.DataFrame | None, reps: pd.DataFrame, period: Period, grace_days: int = 0
) -> pd.DataFrame:
    """Per rep: the late share of their delivered orders placed in the period, their
    department's, and the rest of the company's (every other department), read through
    `monitoring.delivery_by` so "late" means what monitoring says."""
    columns = ["late_share", "department_late_share", "rest_late_share"]
    if orders is None or not {"promised_date", "delivered_date"} <= set(orders):
        return pd.DataFrame(columns=columns, dtype=float)
    lines = orders[period.contains(orders["order_date"])]
    by_rep = monitoring.delivery_by(lines, reps, level="rep", grace_days=grace_days)
    if "late" not in by_rep or by_rep.empty:
        return pd.DataFrame(columns=columns, dtype=float)
    # Counts are additive over reps, so a department's share is its reps' counts summed.
    dept_of = reps.set_index("rep_id")["department"]
    by_dept = by_rep[["late", "delivered"]].groupby(by_rep.index.map(dept_of)).sum()
    by_dept["late_share"] = by_dept["late"] / by_dept["delivered"].where(by_dept["delivered"] > 0)
    others = by_dept["delivered"].sum() - by_dept["delivered"]
    rest = (by_dept["late"].sum() - by_dept["late"]) / others.where(others > 0)
    dept = reps.set_index("rep_id")["department"]
    out = pd.DataFrame(index=pd.Index(reps["rep_id"], name="rep_id"))
    out["late_share"] = by_rep["late_share"].reindex(out.index)
    out["department_late_share"] = dept.reindex(out.index).map(by_dept["late_share"]).to_numpy()
    out["rest_late_share"] = dept.reindex(out.index).map(rest).to_numpy()
    return out


def standings(
    tables: Mapping[str, pd.DataFrame],
    history: pd.DataFrame,
    period: Period,
    program: ProgramSettings,
    recognised: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per rep (index rep_id) with everything the rules, flags and risks read.

    `history` is `attainment_history(...)` ending with `period`; `recognised` holds the awards
    approved or communicated so far (columns rep_id, period).
    """
    reps = tables["reps"].set_index("rep_id")
    now = history[history["period"] == str(period)].set_index("rep_id")
    out = reps[[c for c in ("name", "team", "department", "role") if c in reps]].copy()
    if "role" not in out:
        out["role"] = "seller"
    # Standings read sales credited to the rep: whoever sells stands as a seller on those
    # sales, even when `reps.role` says support (their assisting is measured apart).
    out["role"] = out["role"].fillna("seller").mask(out.index.isin(roles.selling(tables)), "seller")
    for column in ("goal", "actual", "attainment", "projected_attainment"):
        out[column] = now[column].reindex(out.index)
    wide = history.pivot_table(index="rep_id", columns="period", values="attainment", dropna=False)
    order = [str(period.shift(-b)) for b in range(history["period"].nunique() - 1, -1, -1)]
    wide = wide.reindex(index=out.index, columns=[p for p in order if p in wide.columns])
    previous = str(period.shift(-1))
    out["improvement"] = out["attainment"] - (wide[previous] if previous in wide else np.nan)
    earlier = [str(period.shift(-b)) for b in range(1, program.trailing_periods + 1)]
    actual_wide = history.pivot_table(index="rep_id", columns="period", values="actual")
    trailing = actual_wide.reindex(
        index=out.index, columns=[p for p in earlier if p in actual_wide]
    )
    out["trailing"] = trailing.mean(axis=1, skipna=True) if trailing.shape[1] else np.nan
    out["goal_ratio"] = out["goal"] / out["trailing"].where(out["trailing"] > 0)
    # Eligible: a seller with a goal in force, on staff at the end of the period. Support staff
    # who sell nothing are measured on the deals they assist, not on sales credited to them, so
    # they are not ranked against sellers here.
    eligible = out["goal"].fillna(0) > 0
    reason = pd.Series("", index=out.index)
    reason[~eligible] = "no_goal"
    support = out["role"].eq("support")
    reason[eligible & support] = "support"
    eligible &= ~support
    if "end_date" in reps:
        left = reps["end_date"].reindex(out.index) < period.end
        reason[eligible & left] = "left"
        eligible &= ~left
    out["eligible"] = eligible
    out["ineligible"] = reason
    # Feedback and activity in the period; activity against the trailing periods' average.
    feedback = tables.get("feedback")
    if feedback is not None and "rep_id" in feedback:
        fb = feedback[period.contains(feedback["date"])]
        out["feedback"] = fb.groupby("rep_id")["score"].mean().reindex(out.index)
        out["feedback_responses"] = fb.groupby("rep_id").size().reindex(out.index).fillna(0)
    else:
        out["feedback"], out["feedback_responses"] = np.nan, 0.0
    earlier_periods = [period.shift(-b) for b in range(1, program.trailing_periods + 1)]
    acts = _count_per_period(tables, "activities", "date", [period, *earlier_periods])
    if acts.shape[1]:
        acts = acts.reindex(out.index).fillna(0.0)
        out["activities"] = acts[str(period)]
        out["trailing_activities"] = acts[[str(p) for p in earlier_periods]].mean(axis=1)
    else:
        out["activities"], out["trailing_activities"] = np.nan, np.nan
    # Periods since the last approved award, within the window the flags read.
    window = [str(period.shift(-b)) for b in range(program.unrecognised_periods)]
    got = set()
    if recognised is not None and len(recognised):
        got = set(recognised.loc[recognised["period"].isin(window), "rep_id"])
    out["recognised_recently"] = out.index.isin(got)
    # Without any award decided in the window, "not recognised" says nothing about the rep.
    out["awards_recorded"] = bool(got)
    late = late_delivery_shares(
        tables.get("orders"), tables["reps"], period, program.on_time_grace_days
    )
    for column in ("late_share", "department_late_share", "rest_late_share"):
        out[column] = late[column].reindex(out.index) if column in late else np.nan
    for column in wide.columns:
        out[HISTORY_PREFIX + column] = wide[column]
    return out


def history_of(s: pd.DataFrame) -> pd.DataFrame:
    """The rep x period attainment columns of standings (`attainment:2026-Q1`), oldest first."""
    columns = [c for c in s.columns if str(c).startswith(HISTORY_PREFIX)]
    return s[columns].rename(columns=lambda c: c[len(HISTORY_PREFIX) :])


def streaks(history_wide: pd.DataFrame, threshold: float) -> pd.Series:
    """Consecutive periods, ending with the newest column, at or above `threshold`."""
    met = history_wide.ge(threshold).to_numpy()
    run = np.zeros(len(history_wide), dtype=int)
    alive = np.ones(len(history_wide), dtype=bool)
    for j in range(met.shape[1] - 1, -1, -1):
        alive &= met[:, j]
        run += alive
    return pd.Series(run, index=history_wide.index)


def ranks(values: pd.Series, digits: int = 3, groups: pd.Series | None = None) -> pd.Series:
    """Competition ranks, best first (1, 2, 2, 4), on values rounded to `digits` (so figures
    that read the same share a rank), within each group when given; NaN stays unranked."""
    rounded = values.round(digits)
    if groups is None:
        return rounded.rank(ascending=False, method="min")
    return rounded.groupby(groups).rank(ascending=False, method="min")


def rank_labels(rank: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """`1`, `=2`, `=2`, `4`: a shared rank is marked with '='."""
    keys = [rank] if groups is None else [groups, rank]
    counts = rank.groupby(keys).transform("size") if len(rank) else rank
    return pd.Series(
        ["" if pd.isna(r) else ("=" if c > 1 else "") + str(int(r)) for r, c in zip(rank, counts)],
        index=rank.index,
        dtype=object,
    )


def rank_with_ties(values: pd.Series, digits: int = 3) -> pd.Series:
    """Rank labels of values, best first: 1, =2, =2, 4."""
    return rank_labels(ranks(values, digits))
