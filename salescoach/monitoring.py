"""Monitoring: results and the whole sales process, from the order to the service follow-up.

Pure functions over the fact tables. Revenue and the other goal metrics come from
`salescoach.actuals`; attainment and the projection from `salescoach.attainment`. Each process
stage has an accountable owner (settings `[monitoring.owners]`), and every breach names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach import actuals
from salescoach.periods import Period

ADDITIVE = ("revenue", "units", "deals_won", "deals_lost", "new_customers", "cost")
DEFAULT_OWNERS = {
    "order": "sales",
    "shipping": "production",
    "delivery": "logistics",
    "follow_up": "customer service",
    "service": "customer service",
}


@dataclass(frozen=True)
class MonitoringSettings:
    on_time_grace_days: int = 0
    follow_up_days: int = 14
    stale_deal_days: int = 30
    owners: Mapping[str, str] = None  # stage -> owner
    scorecard_weights: Mapping[str, float] = None

    @classmethod
    def from_settings(cls, settings) -> MonitoringSettings:
        m = settings["monitoring"]
        return cls(
            on_time_grace_days=int(m["on_time_grace_days"]),
            follow_up_days=int(m["follow_up_days"]),
            stale_deal_days=int(m["stale_deal_days"]),
            owners={**DEFAULT_OWNERS, **m.get("owners", {})},
            scorecard_weights=dict(m.get("scorecard_weights", {})) or None,
        )

    def owner(self, stage: str) -> str:
        return (self.owners or DEFAULT_OWNERS).get(stage, DEFAULT_OWNERS.get(stage, "sales"))


# --------------------------------------------------------------------------- results


def _in(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    return frame[(frame[column] >= start) & (frame[column] <= end)]


def rep_results(
    tables: Mapping[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per rep between two dates: the additive counts and sums every ratio is built from."""
    reps = tables["reps"]
    out = pd.DataFrame(index=pd.Index(reps["rep_id"], name="rep_id"))
    for metric in ("revenue", "units", "deals_won", "new_customers"):
        try:
            out[metric] = actuals.per_rep(tables, metric, start, end)
        except actuals.MissingData:
            out[metric] = np.nan
    deals = tables.get("deals")
    if deals is not None:
        closed = _in(deals, "close_date", start, end)
        out["deals_lost"] = closed[closed["stage"] == "lost"].groupby("rep_id").size()
        if "amount" in closed:
            out["won_amount"] = closed[closed["stage"] == "won"].groupby("rep_id")["amount"].sum()
    orders = tables.get("orders")
    if orders is not None:
        lines = actuals._booked_orders(_in(orders, "order_date", start, end))
        list_price = _list_price(lines, tables.get("products"))
        if list_price is not None:
            out["list_value"] = (lines["quantity"] * list_price).groupby(lines["rep_id"]).sum()
        cost = _unit_cost(lines, tables.get("products"))
        if cost is not None:
            out["cost"] = (lines["quantity"] * cost).groupby(lines["rep_id"]).sum()
    for col in ("deals_won", "deals_lost", "revenue", "units", "new_customers"):
        if col in out:
            out[col] = out[col].fillna(0.0) if out[col].notna().any() else out[col]
    return out


def _list_price(lines: pd.DataFrame, products: pd.DataFrame | None) -> pd.Series | None:
    price = lines["unit_list_price"] if "unit_list_price" in lines else None
    if products is not None and "list_price" in products:
        from_products = lines["product_id"].map(products.set_index("product_id")["list_price"])
        price = from_products if price is None else price.fillna(from_products)
    return price


def _unit_cost(lines: pd.DataFrame, products: pd.DataFrame | None) -> pd.Series | None:
    if products is None or "unit_cost" not in products:
        return None
    return lines["product_id"].map(products.set_index("product_id")["unit_cost"])


def ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Win rate, average deal size, discount depth and margin from additive sums (any level)."""
    out = sums.copy()
    if "deals_won" in out and "deals_lost" in out:
        closed = out["deals_won"] + out["deals_lost"]
        out["win_rate"] = out["deals_won"] / closed.where(closed > 0)
    if "won_amount" in out and "deals_won" in out:
        out["avg_deal_size"] = out["won_amount"] / out["deals_won"].where(out["deals_won"] > 0)
    if "list_value" in out and "revenue" in out:
        out["discount_depth"] = 1 - out["revenue"] / out["list_value"].where(out["list_value"] > 0)
    if "cost" in out and "revenue" in out:
        out["margin"] = (out["revenue"] - out["cost"]) / out["revenue"].where(out["revenue"] > 0)
    return out


def results_by(
    tables: Mapping[str, pd.DataFrame],
    level: str,
    period: Period,
    rep_sums: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Results for every unit of a level (rep, team, department, company) over one period.

    Pass `rep_sums` (from `rep_results`) to roll several levels up from one pass over the facts.
    """
    additive = rep_sums if rep_sums is not None else rep_results(tables, period.start, period.end)
    if level != "rep":
        additive = additive.groupby(_level_of(tables["reps"], level, additive.index)).sum(
            min_count=1
        )
    return ratios(additive).rename_axis(level)


def _level_of(reps: pd.DataFrame, level: str, index: pd.Index) -> pd.Index:
    if level == "company":
        return pd.Index(["company"] * len(index))
    return index.map(reps.set_index("rep_id")[level])


def scope_results(
    tables: Mapping[str, pd.DataFrame], scope: str, scope_id: str | None, period: Period
) -> pd.DataFrame:
    """One scope's results for the period, the prior period and the same period last year."""
    members = actuals.members(tables["reps"], scope, scope_id)
    rows = {}
    for label, p in (
        ("period", period),
        ("prior", period.shift(-1)),
        ("last_year", _year_ago(period)),
    ):
        sums = rep_results(tables, p.start, p.end).reindex(members)
        rows[label] = ratios(sums.sum(min_count=1).to_frame().T).iloc[0]
    frame = pd.DataFrame(rows)
    frame["vs_prior"] = frame["period"] / frame["prior"].where(frame["prior"] != 0) - 1
    frame["vs_last_year"] = frame["period"] / frame["last_year"].where(frame["last_year"] != 0) - 1
    return frame


def _year_ago(period: Period) -> Period:
    return period.shift({"year": -1, "quarter": -4, "month": -12}[period.kind])


# --------------------------------------------------------------------------- process


def order_process(orders: pd.DataFrame, grace_days: int = 0) -> pd.DataFrame:
    """Per order line: lead times, lateness against the promise, and the outcome."""
    out = pd.DataFrame(index=orders.index)
    if "shipped_date" in orders:
        out["days_to_ship"] = (orders["shipped_date"] - orders["order_date"]).dt.days
    if "delivered_date" in orders:
        out["days_to_deliver"] = (orders["delivered_date"] - orders["order_date"]).dt.days
        if "promised_date" in orders:
            due = orders["promised_date"] + pd.Timedelta(days=grace_days)
            delivered = orders["delivered_date"].notna() & orders["promised_date"].notna()
            out["late"] = (orders["delivered_date"] > due).where(delivered)
            out["days_late"] = (
                (orders["delivered_date"] - orders["promised_date"])
                .dt.days.where(delivered)
                .clip(lower=0)
            )
    if "status" in orders:
        out["cancelled"] = orders["status"] == "cancelled"
        out["returned"] = orders["status"] == "returned"
    return out


def delivery_by(orders: pd.DataFrame, keys: pd.Series | list, grace_days: int = 0) -> pd.DataFrame:
    """On-time rate, late share, lead times, cancellations and returns per group."""
    process = order_process(orders, grace_days)
    grouped = process.groupby(keys)
    out = pd.DataFrame({"lines": grouped.size()})
    if "late" in process:
        out["delivered"] = grouped["late"].count()
        out["late"] = grouped["late"].sum()
        out["late_share"] = out["late"] / out["delivered"].where(out["delivered"] > 0)
        out["on_time_rate"] = 1 - out["late_share"]
        out["median_days_late"] = (
            process[process["late"] == True].groupby(keys)["days_late"].median()
        )  # noqa: E712
    if "days_to_deliver" in process:
        out["median_days_to_deliver"] = grouped["days_to_deliver"].median()
    if "days_to_ship" in process:
        out["median_days_to_ship"] = grouped["days_to_ship"].median()
    if "cancelled" in process:
        out["cancelled_share"] = grouped["cancelled"].mean()
        out["returned_share"] = grouped["returned"].mean()
    return out


def follow_up_rate(orders: pd.DataFrame, service: pd.DataFrame | None, days: int) -> pd.Series:
    """Per delivered order line: was there a follow-up case within `days` of delivery?"""
    delivered = orders[orders.get("delivered_date", pd.Series(pd.NaT, index=orders.index)).notna()]
    if service is None or "order_id" not in service:
        return pd.Series(np.nan, index=delivered.index)
    follow = service[service.get("kind") == "follow_up"].dropna(subset=["order_id"])
    first = follow.groupby("order_id")["opened_date"].min()
    # get_indexer on the few follow-up orders is several times faster than Series.map here.
    position = first.index.get_indexer(delivered["order_id"])
    when = pd.Series(first.to_numpy()[position], index=delivered.index).where(position >= 0)
    return ((when - delivered["delivered_date"]).dt.days <= days) & when.notna()


def service_by(service: pd.DataFrame, keys) -> pd.DataFrame:
    """Cases, median days to close, and CSAT per group."""
    days = (
        (service["closed_date"] - service["opened_date"]).dt.days
        if "closed_date" in service
        else None
    )
    frame = pd.DataFrame({"cases": service.groupby(keys).size()})
    if days is not None:
        frame["median_days_to_close"] = days.groupby(keys).median()
        frame["open_cases"] = service["closed_date"].isna().groupby(keys).sum()
    if "csat" in service:
        frame["csat"] = service["csat"].astype(float).groupby(keys).mean()
    return frame


def process_stages(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    members: pd.Index,
    config: MonitoringSettings,
) -> pd.DataFrame:
    """Order to shipping to delivery to follow-up to service, one row a stage, each with its owner.

    A stage is breached when it is clearly worse than the company over the same period (the
    scope's rate against the company's); the benchmark is printed beside it.
    """
    rows = []
    orders = tables.get("orders")
    if orders is None:
        return pd.DataFrame(
            [
                {
                    "stage": "order",
                    "owner": config.owner("order"),
                    "measure": "not assessed: no orders data",
                }
            ]
        )
    lines = _in(orders, "order_date", period.start, period.end)
    mine = lines[lines["rep_id"].isin(members)]

    def add(stage, measure, value, company, worse_if_higher=True, unit="share"):
        breach = None
        if unit != "count" and pd.notna(value) and pd.notna(company):
            # "Clearly worse than the company": half as much again (plus 2 points, so tiny
            # shares do not trip it) when higher is worse; a tenth below when lower is worse.
            breach = bool(
                value > company * 1.5 + 0.02 if worse_if_higher else value < company * 0.9
            )
        rows.append(
            {
                "stage": stage,
                "owner": config.owner(stage),
                "measure": measure,
                "value": value,
                "company": company,
                "unit": unit,
                "breach": breach,
            }
        )

    add("order", "lines", float(len(mine)), float(len(lines)), unit="count")
    if "status" in lines:
        add(
            "order",
            "cancelled share",
            (mine["status"] == "cancelled").mean(),
            (lines["status"] == "cancelled").mean(),
        )
    proc_mine, proc_all = (
        order_process(mine, config.on_time_grace_days),
        order_process(lines, config.on_time_grace_days),
    )
    if "days_to_ship" in proc_mine:
        add(
            "shipping",
            "median days to ship",
            proc_mine["days_to_ship"].median(),
            proc_all["days_to_ship"].median(),
            unit="days",
        )
    if "late" in proc_mine:
        add("delivery", "late against promise", proc_mine["late"].mean(), proc_all["late"].mean())
        add(
            "delivery",
            "median days to deliver",
            proc_mine["days_to_deliver"].median(),
            proc_all["days_to_deliver"].median(),
            unit="days",
        )
    if "status" in lines:
        add(
            "delivery",
            "returned share",
            (mine["status"] == "returned").mean(),
            (lines["status"] == "returned").mean(),
        )
    service = tables.get("service")
    if service is None:
        rows.append(
            {
                "stage": "follow_up",
                "owner": config.owner("follow_up"),
                "measure": "not assessed: no service data",
            }
        )
    else:
        f_mine = follow_up_rate(mine, service, config.follow_up_days)
        f_all = follow_up_rate(lines, service, config.follow_up_days)
        add(
            "follow_up",
            f"followed up within {config.follow_up_days} days",
            f_mine.mean(),
            f_all.mean(),
            worse_if_higher=False,
        )
        cases = _in(service, "opened_date", period.start, period.end)
        if "rep_id" in cases:
            my_cases = cases[cases["rep_id"].isin(members)]
            if "closed_date" in cases:
                d_all = (cases["closed_date"] - cases["opened_date"]).dt.days
                d_mine = (my_cases["closed_date"] - my_cases["opened_date"]).dt.days
                add(
                    "service",
                    "median days to close a case",
                    d_mine.median(),
                    d_all.median(),
                    unit="days",
                )
            if "csat" in cases:
                add(
                    "service",
                    "CSAT (1-5)",
                    my_cases["csat"].astype(float).mean(),
                    cases["csat"].astype(float).mean(),
                    worse_if_higher=False,
                    unit="score",
                )
    feedback = tables.get("feedback")
    if feedback is not None and "rep_id" in feedback:
        fb = _in(feedback, "date", period.start, period.end)
        add(
            "service",
            "feedback score (0-10)",
            fb[fb["rep_id"].isin(members)]["score"].mean(),
            fb["score"].mean(),
            worse_if_higher=False,
            unit="score",
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- pipeline and activity


def pipeline(
    deals: pd.DataFrame,
    activities: pd.DataFrame | None,
    members: pd.Index,
    as_of: pd.Timestamp,
    stale_days: int,
) -> pd.DataFrame:
    """Open deals with their age and days since the last activity; `stale` past `stale_days`."""
    open_deals = deals[(deals["stage"] == "open") & deals["rep_id"].isin(members)].copy()
    created = (
        open_deals["created_date"]
        if "created_date" in open_deals
        else pd.Series(pd.NaT, index=open_deals.index)
    )
    open_deals["age_days"] = (as_of - created).dt.days
    last = created
    if activities is not None and "deal_id" in activities:
        last_touch = activities.dropna(subset=["deal_id"]).groupby("deal_id")["date"].max()
        last = open_deals["deal_id"].map(last_touch).fillna(created)
    open_deals["days_since_activity"] = (as_of - last).dt.days
    open_deals["stale"] = open_deals["days_since_activity"] > stale_days
    return open_deals


def coverage(open_amount: float, remaining_goal: float) -> float:
    """Open pipeline over what is still needed to reach the goal (3.0 = three times covered)."""
    if remaining_goal is None or not np.isfinite(remaining_goal) or remaining_goal <= 0:
        return np.nan
    return open_amount / remaining_goal


def activity_per_week(activities: pd.DataFrame, reps: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Calls, emails, meetings and demos per rep per week, with the team's median beside each."""
    acts = _in(activities, "date", period.start, period.end)
    weeks = max(((period.end - period.start).days + 1) / 7, 1)
    counts = (
        acts.pivot_table(
            index="rep_id", columns="kind", values="date", aggfunc="count", fill_value=0
        )
        / weeks
    )
    counts = counts.reindex(reps["rep_id"]).fillna(0.0)
    counts["total"] = counts.sum(axis=1)
    team = reps.set_index("rep_id")["team"].reindex(counts.index)
    medians = counts.groupby(team).transform("median").add_prefix("team_median_")
    return pd.concat([counts, medians], axis=1)


def support_contribution(deals: pd.DataFrame, reps: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Support staff on the sales they support: assisted deals against comparable unassisted ones.

    Comparable means closed in the same period on the same product (else all products).
    """
    if "support_rep_id" not in deals:
        return pd.DataFrame()
    closed = _in(deals, "close_date", period.start, period.end)
    closed = closed[closed["stage"].isin(["won", "lost"])]
    support = reps[reps.get("role", "seller") == "support"]["rep_id"]
    rows = []
    unassisted = closed[closed["support_rep_id"].isna()]
    for rep_id in support:
        assisted = closed[closed["support_rep_id"] == rep_id]
        if assisted.empty:
            rows.append({"rep_id": rep_id, "assisted": 0})
            continue
        products = assisted["product_id"].dropna().unique() if "product_id" in assisted else []
        peers = unassisted[unassisted["product_id"].isin(products)] if len(products) else unassisted
        won = assisted["stage"] == "won"
        rows.append(
            {
                "rep_id": rep_id,
                "assisted": len(assisted),
                "win_rate": won.mean(),
                "revenue": assisted.loc[won, "amount"].sum() if "amount" in assisted else np.nan,
                "comparable_win_rate": (peers["stage"] == "won").mean() if len(peers) else np.nan,
                "comparable_deals": len(peers),
            }
        )
    out = pd.DataFrame(rows)
    if "win_rate" in out:
        out["uplift"] = out["win_rate"] - out["comparable_win_rate"]
    return out


DEFAULT_WEIGHTS = {"attainment": 0.5, "win_rate": 0.2, "activity": 0.2, "feedback": 0.1}


def scorecard(parts: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.Series:
    """One 0-100+ score per rep: each part is the rep's value over the peer median x 100, weighted.

    A rep at the median on everything scores 100; parts a rep lacks are left out and the
    remaining weights rescaled, so a missing table does not sink anyone's score.
    """
    weights = dict(weights or DEFAULT_WEIGHTS)
    cols = [c for c in weights if c in parts]
    relative = pd.DataFrame(
        {c: parts[c] / parts[c].median() * 100 if parts[c].median() else np.nan for c in cols}
    )
    w = pd.Series({c: weights[c] for c in cols})
    present = relative.notna()
    weighted = (relative.fillna(0) * w).sum(axis=1)
    return (weighted / (present * w).sum(axis=1)).round(1)


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
