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

import numpy as np
import pandas as pd

from salescoach.domain import actuals, roles
from salescoach.domain.monitoring_orders import (
    LEVELS as LEVELS,
    FactTables as FactTables,
    _in,
    _share,
    case_outcomes as case_outcomes,
    delivery_by as delivery_by,
    follow_up_state as follow_up_state,
    follow_ups as follow_ups,
    lookup as lookup,
    order_outcomes as order_outcomes,
    outcomes_of as outcomes_of,
    service_by as service_by,
)
from salescoach.domain.monitoring_results import (
    ADDITIVE as ADDITIVE,
    ratios as ratios,
    rep_results as rep_results,
    rep_results_over as rep_results_over,
    results_by as results_by,
    rollup as rollup,
    scope_results as scope_results,
    trend as trend,
    year_ago as year_ago,
)
from salescoach.domain.monitoring_stages import (
    MEASURE_NEEDS as MEASURE_NEEDS,
    PROCESS_FIGURES as PROCESS_FIGURES,
    STAGE_CHECKS as STAGE_CHECKS,
    STAGES as STAGES,
    StageCheck as StageCheck,
    among as among,
    breaches as breaches,
    funnel as funnel,
    measure_gaps as measure_gaps,
    not_assessed as not_assessed,
    process_by_rep as process_by_rep,
    process_stages as process_stages,
    stage_measures as stage_measures,
)
from salescoach.domain.periods import Period
from salescoach.settings import Monitoring as MonitoringSettings

# MonitoringSettings is the settings model's `[monitoring]` section: its defaults, these three
# tables included, are the shipped salescoach.toml's.
DEFAULT_OWNERS = MonitoringSettings().owners
DEFAULT_WEIGHTS = MonitoringSettings().scorecard_weights
DEFAULT_TARGETS = MonitoringSettings().targets
AGE_BANDS = (0, 30, 90, 180)  # open-deal age bands in days: 0-30, 31-90, 91-180, over 180


# --------------------------------------------------------------------------- results


# --------------------------------------------------------------------------- the process


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
