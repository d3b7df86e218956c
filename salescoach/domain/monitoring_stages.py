"""The process stage by stage (order, delivery, service follow-up), each with its owner: the
measures per stage and rep, the breaches of a stage's target, and the funnel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.domain import capabilities
from salescoach.domain.capabilities import FEATURES, NotAssessed
from salescoach.domain.monitoring_orders import (
    FactTables,
    _in,
    _shared,
    case_outcomes,
    follow_up_state,
    outcomes_of,
)
from salescoach.domain.periods import Period
from salescoach.i18n import _
from salescoach.settings import Monitoring as MonitoringSettings

STAGES = ("order", "shipping", "delivery", "follow_up", "service")


def not_assessed(table: str) -> NotAssessed:
    return NotAssessed(table)


def among(keys: pd.Series, values) -> np.ndarray:
    """`keys.isin(values)`; through a hash index when `values` is large (Arrow's isin is not)."""
    if len(values) < 5000:
        return keys.isin(values).to_numpy()
    return pd.Index(pd.unique(np.asarray(values, dtype=object))).get_indexer(keys) >= 0


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
    # `_order_measures` of each rep's own outcomes, as one group-by per measure (a loop over
    # 455 reps took most of the batch's per-rep figures, profiled).
    keys = outcomes["rep_id"].to_numpy()
    mine = out.index.isin(pd.unique(keys))

    def per_rep(values, by=keys) -> np.ndarray:
        # Float64: a flag with gaps (NaN, None, NA) is averaged over what is known, as
        # `Series.mean` does.
        means = pd.Series(pd.array(np.asarray(values, dtype=object), dtype="Float64"))
        means = means.groupby(by).mean()
        return means.reindex(out.index[mine]).to_numpy(dtype=float, na_value=np.nan)

    out.loc[mine, "orders"] = (
        pd.Series(keys).value_counts().reindex(out.index[mine]).to_numpy(dtype=float)
    )
    measures = {}
    if "cancelled" in outcomes:
        measures["returned_share"] = per_rep(outcomes["returned"])
    if "late" in outcomes:
        measures["on_time_rate"] = 1 - per_rep(outcomes["late"])
    if done is not None:
        measures["follow_up_rate"] = per_rep(done, keys[due])
    for figure, measure in PROCESS_FIGURES.items():
        if measure not in gaps and measure in measures:
            out.loc[mine, figure] = measures[measure]
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
