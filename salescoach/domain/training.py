"""Training: the course catalogue, who is current on what, what to suggest, and did it work.

Pure functions over the contract's `reps`, `courses`, `training`, `deals` and `products`
frames. Training is continuous: a course with `refresh_days` must be taken again that many days
after the last completion, so for each course a rep is **current**, **due_soon** (the refresh
falls due within `[training] due_soon_days`), **overdue**, or has **never** taken it. A course
without `refresh_days` stays current once taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.domain.insights import wilson
from salescoach.i18n import N_
from salescoach.settings import Training

STATUSES = ("current", "due_soon", "overdue", "never")
IN_DATE = ("current", "due_soon")
EFFECT_METRICS = ("win_rate", "revenue")


# The thresholds of `[training]`: the settings model's section, defaults from salescoach.toml.
TrainingRules = Training


# --------------------------------------------------------------------------- catalogue, status


def catalogue(courses: pd.DataFrame, training: pd.DataFrame | None = None) -> pd.DataFrame:
    """The courses (topic, refresh cadence, family) with how many reps took each, and when last."""
    out = courses.set_index("course_id").reindex(
        columns=["title", "topic", "refresh_days", "product_family"]
    )
    if training is None or training.empty:
        out["reps_trained"] = 0
        out["last_completed"] = pd.NaT
        return out
    per = training.groupby("course_id").agg(
        reps_trained=("rep_id", "nunique"), last_completed=("completed_date", "max")
    )
    out = out.join(per)
    out["reps_trained"] = out["reps_trained"].fillna(0).astype(int)
    return out


def on_staff(reps: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The reps employed on a day: hired by then (when known) and not yet gone."""
    keep = pd.Series(True, index=reps.index)
    if "hire_date" in reps:
        keep &= reps["hire_date"].isna() | (reps["hire_date"] <= day)
    if "end_date" in reps:
        keep &= reps["end_date"].isna() | (reps["end_date"] >= day)
    return reps[keep]


def course_status(
    reps: pd.DataFrame,
    courses: pd.DataFrame,
    training: pd.DataFrame | None,
    as_of: pd.Timestamp,
    due_soon_days: int = 30,
) -> pd.DataFrame:
    """One row per rep on staff and course: last completion, due date, days to due, status.

    `due_on` is the last completion plus `refresh_days` (empty for a course without refresh).
    Completions after `as_of` are ignored, so the status on a past day is what it was then.

    >>> course_status(reps, courses, training, pd.Timestamp("2026-09-30"))  # doctest: +SKIP
    """
    as_of = pd.Timestamp(as_of)
    grid = on_staff(reps, as_of)[["rep_id"]].merge(
        catalogue(courses)[["title", "topic", "refresh_days", "product_family"]].reset_index(),
        how="cross",
    )
    done = training if training is not None else pd.DataFrame(columns=["rep_id", "course_id"])
    if len(done):
        done = done[done["completed_date"] <= as_of]
        last = done.groupby(["rep_id", "course_id"], as_index=False)["completed_date"].max()
        grid = grid.merge(last, on=["rep_id", "course_id"], how="left")
    else:
        grid["completed_date"] = pd.NaT
    grid = grid.rename(columns={"completed_date": "last_completed"})
    refresh = pd.to_numeric(grid["refresh_days"], errors="coerce").astype(float)
    grid["due_on"] = grid["last_completed"] + pd.to_timedelta(refresh, unit="D")
    grid["days_to_due"] = (grid["due_on"] - as_of).dt.days
    status = np.select(
        [
            grid["last_completed"].isna().to_numpy(),
            grid["due_on"].isna().to_numpy(),
            (grid["days_to_due"] < 0).to_numpy(),
            (grid["days_to_due"] <= due_soon_days).to_numpy(),
        ],
        ["never", "current", "overdue", "due_soon"],
        default="current",
    )
    grid["status"] = pd.Categorical(status, categories=STATUSES)
    return grid.reset_index(drop=True)


def coverage(status: pd.DataFrame, reps: pd.DataFrame, level: str = "team") -> pd.DataFrame:
    """Per team (or department): reps, and the share of rep x course pairs in date, with counts."""
    keyed = status.drop(columns=[level], errors="ignore").merge(
        reps[["rep_id", level]], on="rep_id", how="left"
    )
    counts = pd.crosstab(keyed[level], keyed["status"]).reindex(
        columns=list(STATUSES), fill_value=0
    )
    counts.columns = [str(c) for c in counts.columns]
    out = pd.DataFrame({"reps": keyed.groupby(level)["rep_id"].nunique()}).join(counts)
    total = counts.sum(axis=1)
    out["in_date_share"] = (out["current"] + out["due_soon"]) / total.where(total > 0)
    return out.rename_axis(level)


# --------------------------------------------------------------------------- suggestions


def family_of_deals(deals: pd.DataFrame, products: pd.DataFrame | None) -> pd.Series:
    """The product family of each deal (missing where the product or family is unknown)."""
    if products is None or "family" not in products or "product_id" not in deals:
        return pd.Series(pd.NA, index=deals.index, dtype="object")
    return deals["product_id"].map(products.set_index("product_id")["family"])


def family_win_rates(
    deals: pd.DataFrame, products: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per rep and product family: deals won and closed between two dates, and the win rate."""
    closed = deals[
        deals["stage"].isin(["won", "lost"])
        & (deals["close_date"] >= start)
        & (deals["close_date"] <= end)
    ]
    frame = pd.DataFrame(
        {
            "rep_id": closed["rep_id"],
            "family": family_of_deals(closed, products),
            "won": (closed["stage"] == "won").astype(int),
        }
    ).dropna(subset=["family"])
    out = frame.groupby(["rep_id", "family"])["won"].agg(won="sum", closed="size").reset_index()
    out["win_rate"] = out["won"] / out["closed"]
    return out


@dataclass(frozen=True)
class GapRule:
    """A rep loses on family X: win rate under the peers' quantile and clearly under their median."""

    min_deals: int
    peer_quantile: float
    confidence: float
    sentence: str = (
        "{name} wins {rate} of {family} deals ({won} of {closed}) against a peer median of "
        "{median}, and never took the course {course}."
    )

    def below(self, rates: pd.DataFrame) -> pd.DataFrame:
        """The rep x family rows clearly below their peers (peers: the other reps with enough deals)."""
        enough = rates[rates["closed"] >= self.min_deals].copy()
        rows = []
        for _family, group in enough.groupby("family"):
            values = group["win_rate"].to_numpy()
            for i, (_, row) in enumerate(group.iterrows()):
                peers = np.delete(values, i)
                if len(peers) < 3:
                    continue
                cut, median = np.quantile(peers, self.peer_quantile), np.median(peers)
                _low, high = wilson(row["won"], row["closed"], self.confidence)
                if row["win_rate"] < cut and high < median:
                    rows.append({**row.to_dict(), "peer_cutoff": cut, "peer_median": median})
        cols = [*rates.columns, "peer_cutoff", "peer_median"]
        return pd.DataFrame(rows, columns=cols)


def suggestions(
    rates: pd.DataFrame,
    courses: pd.DataFrame,
    training: pd.DataFrame | None,
    rule: GapRule,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Product courses to suggest: a rep clearly below peers on family X who never took X's course."""
    product = courses[courses["topic"] == "product"].dropna(subset=["product_family"])
    product = product[["course_id", "title", "product_family"]].rename(
        columns={"product_family": "family"}
    )
    gaps = rule.below(rates).merge(product, on="family", how="inner")
    if training is not None and len(training):
        taken = training[training["completed_date"] <= pd.Timestamp(as_of)]
        pairs = set(zip(taken["rep_id"], taken["course_id"]))
        # An array, not a list: an empty list would select no columns rather than no rows.
        keep = np.array(
            [(r, c) not in pairs for r, c in zip(gaps["rep_id"], gaps["course_id"])], dtype=bool
        )
        gaps = gaps[keep]
    return gaps.sort_values(["family", "win_rate", "rep_id"]).reset_index(drop=True)


# --------------------------------------------------------------------------- did it work


def monthly_panel(
    events: pd.DataFrame, value: str, months: pd.PeriodIndex, reps: pd.Index
) -> pd.DataFrame:
    """A rep x month table of `value` summed from events (rep_id, date, value); zeros elsewhere."""
    month = events["date"].dt.to_period("M")
    table = events.groupby([events["rep_id"], month])[value].sum().unstack(fill_value=0.0)
    return table.reindex(index=reps, columns=months, fill_value=0.0).astype(float)


def days_on_staff(reps: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """A rep x month table of days each rep was employed in each month."""
    starts = months.to_timestamp(how="start").to_numpy()
    ends = months.to_timestamp(how="end").normalize().to_numpy()
    hire = reps["hire_date"] if "hire_date" in reps else pd.Series(pd.NaT, index=reps.index)
    leave = reps["end_date"] if "end_date" in reps else pd.Series(pd.NaT, index=reps.index)
    first = np.maximum(starts[None, :], hire.fillna(pd.Timestamp.min).to_numpy()[:, None])
    last = np.minimum(ends[None, :], leave.fillna(pd.Timestamp.max).to_numpy()[:, None])
    days = ((last - first) / np.timedelta64(1, "D")).astype(float) + 1
    return pd.DataFrame(np.clip(days, 0, None), index=reps["rep_id"], columns=months)


def _window(table: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Sums of `table` over columns [start, stop) per row of start/stop (one per event), all reps."""
    cum = np.concatenate([np.zeros((table.shape[0], 1)), np.cumsum(table, axis=1)], axis=1)
    start = np.clip(start, 0, table.shape[1])
    stop = np.clip(stop, 0, table.shape[1])
    return cum[:, stop] - cum[:, start]


def diff_in_diff(
    numerator: pd.DataFrame,
    denominator: pd.DataFrame,
    completions: pd.DataFrame,
    window: int,
) -> pd.DataFrame:
    """Per completion: the rep's change (after - before) minus the non-completers' mean change.

    `numerator`/`denominator` are rep x month tables (won/closed, or revenue/days on staff);
    `completions` has rep_id and completed_date. Before is the `window` months before the
    completion month, after the `window` months after it. Non-completers are the reps with no
    completion of the course in either window whose result is defined in both; a rep whose own
    result is undefined in either window is left out.
    """
    months = numerator.columns
    reps = numerator.index
    num, den = numerator.to_numpy(), denominator.to_numpy()
    where = months.get_indexer(completions["completed_date"].dt.to_period("M"))
    ok = where >= 0
    comp = completions[ok].reset_index(drop=True)
    m = where[ok]
    before = _window(num, m - window, m) / _nan0(_window(den, m - window, m))
    after = _window(num, m + 1, m + 1 + window) / _nan0(_window(den, m + 1, m + 1 + window))
    change = after - before  # reps x events
    rep_pos = reps.get_indexer(comp["rep_id"])
    # Which reps completed the course inside each event's two windows (they are not controls).
    all_pos = reps.get_indexer(completions["rep_id"])
    treated = np.zeros_like(change, dtype=bool)
    for e in range(len(comp)):
        near = (where >= 0) & (np.abs(where - m[e]) <= window)
        treated[all_pos[near & (all_pos >= 0)], e] = True
    rows = []
    for e in range(len(comp)):
        if rep_pos[e] < 0 or np.isnan(change[rep_pos[e], e]):
            continue
        controls = change[~treated[:, e], e]
        controls = controls[~np.isnan(controls)]
        if len(controls) == 0:
            continue
        rows.append(
            {
                "rep_id": comp.loc[e, "rep_id"],
                "completed_date": comp.loc[e, "completed_date"],
                "before": before[rep_pos[e], e],
                "after": after[rep_pos[e], e],
                "control_change": float(controls.mean()),
                "n_controls": len(controls),
                "effect": change[rep_pos[e], e] - float(controls.mean()),
            }
        )
    cols = ["rep_id", "completed_date", "before", "after", "control_change", "n_controls", "effect"]
    return pd.DataFrame(rows, columns=cols)


def _nan0(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.nan)


@dataclass(frozen=True)
class EffectVerdict:
    """Enough reps on both sides to conclude; otherwise a caution says how many there were."""

    min_trained: int
    min_untrained: int
    caution: str = N_("Too few reps to conclude ({trained} completed, {untrained} did not).")

    def caution_for(self, trained: int, untrained: int) -> str | None:
        if trained < self.min_trained or untrained < self.min_untrained:
            return self.caution
        return None


def course_effects(
    panels: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
    courses: pd.DataFrame,
    training: pd.DataFrame,
    window: int,
    verdict: EffectVerdict,
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per course: mean difference in differences with its sample sizes and a caution if small.

    `panels` maps a product family (or "" for all) to its (numerator, denominator) tables; a
    product course is measured on its family's panel, others on "". Only completions on or
    after `since` count.
    """
    rows = []
    for course in courses.itertuples(index=False):
        family = getattr(course, "product_family", None)
        key = family if isinstance(family, str) and family in panels else ""
        done = training[training["course_id"] == course.course_id]
        if since is not None:
            done = done[done["completed_date"] >= since]
        per = diff_in_diff(*panels[key], done, window)
        trained = per["rep_id"].nunique()
        untrained = int(per["n_controls"].median()) if len(per) else 0
        conclusive = verdict.caution_for(trained, untrained) is None
        rows.append(
            {
                "course_id": course.course_id,
                "title": course.title,
                "measured_on": key or "all",
                "completions": len(per),
                "reps_trained": trained,
                "reps_untrained": untrained,
                "before": per["before"].mean() if len(per) else np.nan,
                "after": per["after"].mean() if len(per) else np.nan,
                "effect": per["effect"].mean() if len(per) else np.nan,
                # Standard error of the mean effect; completions of one rep are not independent,
                # so this is read as a rough guide, not a test.
                "se": per["effect"].std(ddof=1) / np.sqrt(len(per)) if len(per) > 1 else np.nan,
                "conclusive": conclusive,
            }
        )
    return pd.DataFrame(rows)
