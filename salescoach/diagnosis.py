"""Why a goal was missed: checks in a fixed order, each a rule held as data, then the rep.

The checks run in the order a manager works through them with production, logistics, customer
service and marketing: `product`, `price`, `delivery`, `service`, `marketing`, `training`, and
only then `rep`. Each rule compares a unit (a product, a family, a department, a segment, a
campaign, a rep) with the median of comparable units over an evidence window ending with the
period, so the cut-offs are ratios and robust z-scores from settings `[diagnosis]`, never figures
tuned to one organisation.

Fair attribution: a rep's own indicators (activity, conversion, deal size) are measured only on
the deals that no systemic finding touches (the flagged product, the overpriced family, the bad
campaign's leads, the family of their training gap, deals lost to timing or service in a late
department), and a `rep` finding needs a gap left unexplained once the systemic impacts that fall
on that rep are taken off.

Every function here is pure: frames in, frames out. `salescoach.services.diagnosis` reads the
workbook and calls `diagnose`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.i18n import N_, _, _n

CAUSES = ("product", "price", "delivery", "service", "marketing", "training", "rep")
FINDING_COLUMNS = [
    "scope",
    "scope_id",
    "cause",
    "positive",
    "impact",
    "evidence",
    "benchmark",
    "owner",
    "action",
    "rule",
    "material",
]
DEFAULTS = {
    "materiality": 0.01,
    "window_months": 12,
    "high_ratio": 2.0,
    "low_ratio": 0.6,
    "min_z": 3.0,
    "rate_z": 2.0,
    "min_count": 20,
    "price_lost_ratio": 1.3,
    "discount_points": 0.03,
    "price_index": 0.95,
    "positive_attainment": 1.2,
    "rep_gap": 0.1,
}


@dataclass(frozen=True)
class Rule:
    """One check: what it reads, the thresholds it uses (settings `[diagnosis]`), who owns it,
    the sentence it writes (named placeholders) and the action it recommends."""

    name: str
    cause: str
    scope: str
    reads: tuple[str, ...]
    thresholds: tuple[str, ...]
    owner: str
    sentence: str
    action: str


RULES: tuple[Rule, ...] = (
    Rule(
        "poor_product",
        "product",
        "product",
        ("orders", "service", "deals"),
        ("high_ratio", "min_z", "min_count"),
        "production",
        N_(
            "{unit}: {returns} of its order lines returned against a median of {benchmark} for "
            "the other products; {complaints} complaints; win rate {win} (others {win_peers})."
        ),
        N_("Review quality of {unit} with production; hold promotion until returns fall."),
    ),
    Rule(
        "overpriced_family",
        "price",
        "family",
        ("deals", "orders", "market"),
        ("price_lost_ratio", "discount_points", "price_index", "min_count"),
        "marketing",
        N_(
            "{unit}: {price_lost} of lost deals lost on price against a median of {benchmark} "
            "for the other families; discounts {discount} vs {discount_before} a year before; "
            "competitor price index {index}."
        ),
        N_("Review the price list of {unit} against competitors with marketing."),
    ),
    Rule(
        "late_department",
        "delivery",
        "department",
        ("orders", "reps"),
        ("high_ratio", "rate_z", "min_count"),
        "logistics",
        N_(
            "{unit}: {late} of delivered orders arrived after the promised date against a median "
            "of {benchmark} for the other departments; {lost} of its order lines cancelled or "
            "returned (others {lost_peers})."
        ),
        N_("Agree a recovery plan for deliveries in {unit} with logistics."),
    ),
    Rule(
        "poor_service_segment",
        "service",
        "segment",
        ("service", "customers"),
        ("high_ratio", "low_ratio", "min_count"),
        "customer service",
        N_(
            "{unit}: cases take {days} days on average to close against {benchmark} for the "
            "other segments; mean CSAT {csat} (others {csat_peers})."
        ),
        N_("Set a response-time target for {unit} customers with customer service."),
    ),
    Rule(
        "wrong_campaign",
        "marketing",
        "campaign",
        ("deals", "campaigns", "customers"),
        ("low_ratio", "rate_z", "min_count"),
        "marketing",
        N_(
            "{unit}: {closed} closed leads won {win} against a median of {benchmark} for the "
            "other campaigns; it targeted {target}, {buyers} of its buyers are in that segment."
        ),
        N_("Re-target or stop campaign {unit} with marketing; check who really buys."),
    ),
    Rule(
        "training_gap",
        "training",
        "rep",
        ("deals", "products", "courses", "training"),
        ("low_ratio", "rate_z", "min_count"),
        "sales enablement",
        N_(
            "{unit}: win rate {win} on {family} against {benchmark} for peers; the {family} "
            "product course is {status}."
        ),
        N_("Assign the {family} product course to {unit} and review after it."),
    ),
    Rule(
        "rep_performance",
        "rep",
        "rep",
        ("activities", "deals", "targets"),
        ("low_ratio", "min_z", "rate_z", "rep_gap", "materiality"),
        "the rep's manager",
        N_(
            "{unit}: attainment {attainment}; {activities} activities against a median of "
            "{benchmark} for peers, win rate {win} (peers {win_peers}) and deal size {size} "
            "(peers {size_peers}) on deals no systemic problem touched; unexplained gap {gap}."
        ),
        N_("Coach {unit}: agree an activity plan and follow up; see the coaching ladder."),
    ),
    Rule(
        "top_performer",
        "rep",
        "rep",
        ("activities", "deals", "targets", "training"),
        ("positive_attainment",),
        "the rep's manager",
        N_(
            "{unit}: attainment {attainment}; {activities} activities (peers {benchmark}), win "
            "rate {win} (peers {win_peers}); most used technique {technique}, {courses} courses "
            "completed (peers {courses_peers})."
        ),
        N_("Ask {unit} to share how they work with the team; recognise the result."),
    ),
)
RULE = {r.name: r for r in RULES}
NOT_ASSESSED = {
    "product": ("orders",),
    "price": ("deals",),
    "delivery": ("orders",),
    "service": ("service", "customers"),
    "marketing": ("deals", "campaigns"),
    "training": ("deals", "courses", "training", "products"),
    "rep": ("activities", "deals"),
}


# --------------------------------------------------------------------------- statistics


def robust_z(values: pd.Series) -> pd.Series:
    """(x - median) / (1.4826 * MAD); a zero MAD falls back to 1.4826 * mean absolute deviation."""
    x = values.astype(float)
    med = x.median()
    mad = (x - med).abs().median() * 1.4826
    if not mad or np.isnan(mad):
        mad = (x - med).abs().mean() * 1.4826
    if not mad or np.isnan(mad):
        return pd.Series(0.0, index=x.index)
    return (x - med) / mad


def peer_median(values: pd.Series) -> pd.Series:
    """For each unit, the median of the other units (leave-one-out)."""
    return pd.Series(
        [values.drop(k).median() if len(values) > 1 else np.nan for k in values.index],
        index=values.index,
    )


def rate_z(hits: pd.Series, n: pd.Series, p0: pd.Series) -> pd.Series:
    """How many standard errors a unit's rate (hits / n) lies from a benchmark rate p0."""
    p0 = p0.clip(1e-3, 1 - 1e-3)
    return (hits - n * p0) / np.sqrt(n * p0 * (1 - p0))


def window(period_start: pd.Timestamp, period_end: pd.Timestamp, months: int):
    """The evidence window: at least `months` months ending with the period's last day."""
    start = min(period_start, period_end + pd.Timedelta(days=1) - pd.DateOffset(months=months))
    return pd.Timestamp(start), pd.Timestamp(period_end)


def _between(dates: pd.Series, start, end) -> pd.Series:
    return (dates >= start) & (dates <= end)


# --------------------------------------------------------------------------- evidence


def late_share(
    orders: pd.DataFrame, reps: pd.DataFrame, start, end, by: str = "department"
) -> pd.DataFrame:
    """Delivered orders and the share delivered after the promised date, per department or product."""
    o = orders[_between(orders["order_date"], start, end)]
    if by == "department":
        o = o.assign(department=o["rep_id"].map(reps.set_index("rep_id")["department"]))
    lines = o.groupby(by).agg(
        lines=("order_id", "size"),
        lost_lines=("status", lambda s: s.isin(("cancelled", "returned")).sum()),
    )
    done = o.dropna(subset=["delivered_date", "promised_date"]).drop_duplicates("order_id")
    done = done.assign(late=done["delivered_date"] > done["promised_date"])
    late = done.groupby(by).agg(delivered=("late", "size"), late=("late", "sum"))
    out = lines.join(late, how="left").fillna(0)
    out["late_share"] = out["late"] / out["delivered"].where(out["delivered"] > 0)
    out["lost_share"] = out["lost_lines"] / out["lines"]
    return out


def product_quality(orders: pd.DataFrame, service: pd.DataFrame | None, start, end) -> pd.DataFrame:
    """Per product: order lines, returned share, complaints per line in the window."""
    o = orders[_between(orders["order_date"], start, end)]
    out = o.groupby("product_id").agg(
        lines=("order_id", "size"), returned=("status", lambda s: (s == "returned").sum())
    )
    out["return_rate"] = out["returned"] / out["lines"]
    if service is not None and "product_id" in service and "kind" in service:
        s = service[_between(service["opened_date"], start, end) & (service["kind"] == "complaint")]
        out["complaints"] = s.groupby("product_id").size().reindex(out.index).fillna(0)
    else:
        out["complaints"] = np.nan
    out["complaint_rate"] = out["complaints"] / out["lines"]
    return out


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
    """The frame with a `family` column from products (the product id when there is none)."""
    if products is None or "family" not in products:
        return frame.assign(family=frame["product_id"])
    return frame.assign(family=frame["product_id"].map(products.set_index("product_id")["family"]))


def price_pressure(
    closed: pd.DataFrame,
    orders: pd.DataFrame | None,
    products: pd.DataFrame | None,
    market: pd.DataFrame | None,
    start,
    end,
) -> pd.DataFrame:
    """Per family: lost deals, share lost on price, discount depth now and a year before, the
    market's competitor price index over the window."""
    c = with_family(closed, products)
    lost = c[c["stage"] == "lost"]
    out = lost.groupby("family").agg(
        lost=("deal_id", "size"),
        price_lost=("lost_reason", lambda s: (s == "price").sum()),
    )
    out["price_lost_share"] = out["price_lost"] / out["lost"]
    if orders is not None and "discount" in orders:
        o = with_family(orders, products)
        year = pd.DateOffset(years=1)
        now = o[_between(o["order_date"], start, end)]
        before = o[_between(o["order_date"], start - year, end - year)]
        out["discount"] = now.groupby("family")["discount"].mean()
        out["discount_before"] = before.groupby("family")["discount"].mean()
    else:
        out["discount"] = out["discount_before"] = np.nan
    out["price_index"] = np.nan
    if market is not None and "competitor_price_index" in market and "product_family" in market:
        m = market.dropna(subset=["competitor_price_index", "product_family"])
        starts = m["period"].astype(str).map(_period_start)
        m = m[(starts >= start.to_period("Q").start_time) & (starts <= end)]
        out["price_index"] = m.groupby("product_family")["competitor_price_index"].mean()
    return out


def _period_start(text: str) -> pd.Timestamp:
    from salescoach.periods import Period

    try:
        return Period.parse(text).start
    except Exception:  # noqa: BLE001 - a free-text period in the market table is skipped
        return pd.NaT


def service_by_segment(service: pd.DataFrame, customers: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per customer segment: cases opened in the window, mean days to close, mean CSAT."""
    s = service[_between(service["opened_date"], start, end)]
    s = s.assign(
        segment=s["customer_id"].map(customers.set_index("customer_id")["segment"]),
        days=(s["closed_date"] - s["opened_date"]).dt.days if "closed_date" in s else np.nan,
        csat=s["csat"].astype(float) if "csat" in s else np.nan,
    )
    return s.groupby("segment").agg(
        cases=("case_id", "size"), days=("days", "mean"), csat=("csat", "mean")
    )


def campaign_results(
    closed: pd.DataFrame, campaigns: pd.DataFrame, customers: pd.DataFrame | None
) -> pd.DataFrame:
    """Per campaign: closed leads, win rate, its target segment and the share of its buyers in it."""
    c = closed[closed["lead_source"].isin(campaigns["campaign_id"])]
    out = win_rates(c, "lead_source")
    target = campaigns.set_index("campaign_id").get("target_segment")
    out["target"] = target.reindex(out.index) if target is not None else np.nan
    out["buyers_in_target"] = np.nan
    if customers is not None and "segment" in customers and target is not None:
        won = c[c["stage"] == "won"]
        seg = won["customer_id"].map(customers.set_index("customer_id")["segment"])
        hit = seg.eq(won["lead_source"].map(target))
        out["buyers_in_target"] = hit.groupby(won["lead_source"]).mean().reindex(out.index)
    return out


def course_status(
    training: pd.DataFrame, courses: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per rep and product family: the product course's last completion and whether it is
    overdue (older than the course's refresh_days); a pair absent from the index never took it."""
    if "product_family" in courses:
        product = courses.dropna(subset=["product_family"])
    else:
        product = courses.iloc[0:0].assign(product_family=None)
    keep = ["course_id", "product_family"] + (["refresh_days"] if "refresh_days" in product else [])
    t = training.merge(product[keep], on="course_id")
    t = t[t["completed_date"] <= as_of]
    if "refresh_days" not in t:
        t = t.assign(refresh_days=np.inf)
    last = t.groupby(["rep_id", "product_family"]).agg(
        last=("completed_date", "max"), refresh_days=("refresh_days", "first")
    )
    last["overdue"] = (as_of - last["last"]).dt.days > last["refresh_days"]
    return last.rename_axis(["rep_id", "family"])


def rep_activity(activities: pd.DataFrame | None, reps: pd.Index, start, end) -> pd.Series:
    """Activities per rep in the window (zero for reps with none)."""
    if activities is None:
        return pd.Series(np.nan, index=reps)
    a = activities[_between(activities["date"], start, end)]
    return a.groupby("rep_id").size().reindex(reps).fillna(0)


def lost_revenue(closed: pd.DataFrame, benchmark_rate: float, avg_won: float) -> float:
    """Revenue the unit would have won at the benchmark win rate: excess losses times deal size."""
    n = len(closed)
    won = (closed["stage"] == "won").sum()
    return float(max(0.0, benchmark_rate * n - won) * (avg_won if np.isfinite(avg_won) else 0.0))


# --------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Diagnosis:
    """The findings of one pass and, per cause, what the check concluded (found, ruled out, not
    assessed and why)."""

    findings: pd.DataFrame
    checks: pd.DataFrame


def _finding(
    rule: Rule, unit_id, unit_label, impact, benchmark, fmt_values, base, cfg, positive=False
):
    values = dict(fmt_values, unit=unit_label)
    return {
        "scope": rule.scope,
        "scope_id": str(unit_id),
        "cause": rule.cause,
        "positive": positive,
        "impact": float(impact),
        "evidence": _(rule.sentence, **values),
        "benchmark": benchmark,
        "owner": rule.owner,
        "action": _(rule.action, **values),
        "rule": rule.name,
        "material": positive or (base > 0 and impact >= cfg["materiality"] * base),
    }


def _missing(tables: Mapping[str, pd.DataFrame], cause: str) -> str | None:
    for name in NOT_ASSESSED[cause]:
        if tables.get(name) is None:
            return name
    return None


def _amount(lines: pd.DataFrame) -> float:
    if "amount" in lines:
        return float(lines["amount"].sum())
    return float((lines["quantity"] * lines["unit_price"]).sum())


def check_product(t, ctx) -> list[dict]:
    q = product_quality(t["orders"], t.get("service"), ctx.start, ctx.end)
    q = q[q["lines"] >= ctx.cfg["min_count"]]
    if len(q) < 3:
        return []
    bench = peer_median(q["return_rate"])
    z = robust_z(q["return_rate"])
    has_complaints = q["complaint_rate"].notna().any()
    cbench = peer_median(q["complaint_rate"]) if has_complaints else bench * np.nan
    wr = win_rates(ctx.closed, "product_id") if ctx.closed is not None else None
    hr = ctx.cfg["high_ratio"]
    out = []
    for pid, row in q.iterrows():
        high_returns = (
            row["return_rate"] >= hr * max(bench[pid], 1e-3) and z[pid] >= ctx.cfg["min_z"]
        )
        if np.isfinite(cbench[pid]):
            high_returns = high_returns and row["complaint_rate"] >= hr * max(cbench[pid], 1e-3)
        if not high_returns:
            continue
        o = t["orders"]
        prod_orders = o[(o["product_id"] == pid) & _between(o["order_date"], ctx.start, ctx.end)]
        impact = _amount(prod_orders[prod_orders["status"] == "returned"]) if "status" in o else 0.0
        win = win_peers = np.nan
        if wr is not None and pid in wr.index:
            win, win_peers = wr.loc[pid, "win_rate"], wr["win_rate"].drop(pid).median()
            mine = ctx.closed[ctx.closed["product_id"] == pid]
            impact += lost_revenue(mine, win_peers, wr.loc[pid, "won_amount"])
        values = {
            "returns": ctx.fmt.pct(row["return_rate"], 1),
            "benchmark": ctx.fmt.pct(bench[pid], 1),
            "complaints": ctx.fmt.number(row["complaints"]),
            "win": ctx.fmt.pct(win),
            "win_peers": ctx.fmt.pct(win_peers),
        }
        label = ctx.label("product", pid)
        out.append(
            _finding(
                RULE["poor_product"],
                pid,
                label,
                impact,
                bench[pid],
                values,
                ctx.company_revenue,
                ctx.cfg,
            )
        )
    return out


def check_price(t, ctx) -> list[dict]:
    p = price_pressure(
        ctx.closed, t.get("orders"), t.get("products"), t.get("market"), ctx.start, ctx.end
    )
    p = p[p["lost"] >= ctx.cfg["min_count"]]
    if len(p) < 2:
        return []
    bench = peer_median(p["price_lost_share"])
    fam_closed = with_family(ctx.closed, t.get("products"))
    wr = win_rates(fam_closed, "family")
    out = []
    for fam, row in p.iterrows():
        share_high = row["price_lost_share"] >= ctx.cfg["price_lost_ratio"] * bench[fam]
        deeper = (row["discount"] - row["discount_before"]) >= ctx.cfg["discount_points"]
        cheaper = row["price_index"] <= ctx.cfg["price_index"]
        if not (share_high and (deeper or cheaper)):
            continue
        win_peers = wr["win_rate"].drop(fam).median()
        impact = lost_revenue(
            fam_closed[fam_closed["family"] == fam], win_peers, wr.loc[fam, "won_amount"]
        )
        values = {
            "price_lost": ctx.fmt.pct(row["price_lost_share"]),
            "benchmark": ctx.fmt.pct(bench[fam]),
            "discount": ctx.fmt.pct(row["discount"], 1),
            "discount_before": ctx.fmt.pct(row["discount_before"], 1),
            "index": ctx.fmt.number(row["price_index"], 2),
        }
        out.append(
            _finding(
                RULE["overpriced_family"],
                fam,
                fam,
                impact,
                bench[fam],
                values,
                ctx.company_revenue,
                ctx.cfg,
            )
        )
    return out


def _lost_amount(closed, reps, reasons) -> float:
    if closed is None or "lost_reason" not in closed:
        return 0.0
    lost = closed[closed["rep_id"].isin(reps) & closed["lost_reason"].isin(reasons)]
    return float(lost["amount"].sum()) if "amount" in lost else 0.0


def check_delivery(t, ctx) -> list[dict]:
    if "promised_date" not in t["orders"] or "delivered_date" not in t["orders"]:
        return []
    d = late_share(t["orders"], t["reps"], ctx.start, ctx.end)
    d = d[d["delivered"] >= ctx.cfg["min_count"]]
    if len(d) < 2:
        return []
    bench = peer_median(d["late_share"])
    lost_bench = peer_median(d["lost_share"])
    out = []
    for dept, row in d.iterrows():
        if not row["late_share"] >= ctx.cfg["high_ratio"] * max(bench[dept], 1e-3):
            continue
        # The excess must be significant against the others' rate, not a small-department fluke.
        z = rate_z(
            pd.Series([row["late"]]), pd.Series([row["delivered"]]), pd.Series([bench[dept]])
        )[0]
        if z < ctx.cfg["rate_z"]:
            continue
        o = t["orders"][_between(t["orders"]["order_date"], ctx.start, ctx.end)]
        o = o[o["rep_id"].map(t["reps"].set_index("rep_id")["department"]) == dept]
        excess = max(0.0, row["lost_share"] - lost_bench[dept])
        impact = excess * _amount(o) + _lost_amount(
            ctx.closed, o["rep_id"].unique(), ("timing", "service")
        )
        values = {
            "late": ctx.fmt.pct(row["late_share"]),
            "benchmark": ctx.fmt.pct(bench[dept]),
            "lost": ctx.fmt.pct(row["lost_share"], 1),
            "lost_peers": ctx.fmt.pct(lost_bench[dept], 1),
        }
        out.append(
            _finding(
                RULE["late_department"],
                dept,
                dept,
                impact,
                bench[dept],
                values,
                ctx.company_revenue,
                ctx.cfg,
            )
        )
    return out


def check_service(t, ctx) -> list[dict]:
    s = service_by_segment(t["service"], t["customers"], ctx.start, ctx.end)
    s = s[s["cases"] >= ctx.cfg["min_count"]]
    if len(s) < 2:
        return []
    days_bench = peer_median(s["days"])
    csat_bench = peer_median(s["csat"])
    segment = t["customers"].set_index("customer_id")["segment"]
    out = []
    for seg, row in s.iterrows():
        slow = row["days"] >= ctx.cfg["high_ratio"] * max(days_bench[seg], 1.0)
        unhappy = (
            np.isfinite(csat_bench[seg]) and row["csat"] <= ctx.cfg["low_ratio"] * csat_bench[seg]
        )
        if not (slow or unhappy):
            continue
        # Revenue at risk: the window's revenue from the segment's customers who opened a case,
        # weighted by how unhappy they are.
        cases = t["service"][_between(t["service"]["opened_date"], ctx.start, ctx.end)]
        who = cases.loc[cases["customer_id"].map(segment) == seg, "customer_id"]
        impact = 0.0
        if t.get("orders") is not None and "customer_id" in t["orders"]:
            o = t["orders"][_between(t["orders"]["order_date"], ctx.start, ctx.end)]
            weight = 1 - row["csat"] / 5 if np.isfinite(row["csat"]) else 0.5
            impact = _amount(o[o["customer_id"].isin(who)]) * weight
        values = {
            "days": ctx.fmt.number(row["days"], 1),
            "benchmark": ctx.fmt.number(days_bench[seg], 1),
            "csat": ctx.fmt.number(row["csat"], 1),
            "csat_peers": ctx.fmt.number(csat_bench[seg], 1),
        }
        out.append(
            _finding(
                RULE["poor_service_segment"],
                seg,
                seg,
                impact,
                days_bench[seg],
                values,
                ctx.company_revenue,
                ctx.cfg,
            )
        )
    return out


def segment_deal_size(closed: pd.DataFrame, customers: pd.DataFrame | None, segment) -> float:
    """Mean won amount of deals with customers of one segment (all deals without a segment)."""
    won = closed[closed["stage"] == "won"]
    if customers is not None and "segment" in customers and isinstance(segment, str):
        seg = won["customer_id"].map(customers.set_index("customer_id")["segment"])
        if (seg == segment).any():
            won = won[seg == segment]
    return float(won["amount"].mean()) if len(won) else 0.0


def check_marketing(t, ctx) -> list[dict]:
    # The benchmark is every campaign's history; the campaign judged, its leads closed in the window.
    all_closed = closed_deals(t["deals"], pd.Timestamp.min, ctx.end)
    c = campaign_results(all_closed, t["campaigns"], t.get("customers"))
    in_window = campaign_results(ctx.closed, t["campaigns"], t.get("customers"))
    c = c[c["closed"] >= ctx.cfg["min_count"]]
    if len(c) < 3:
        return []
    bench = peer_median(c["win_rate"])
    out = []
    for cid in in_window.index.intersection(c.index):
        row = in_window.loc[cid]
        if (
            row["closed"] < ctx.cfg["min_count"]
            or not row["win_rate"] <= ctx.cfg["low_ratio"] * bench[cid]
        ):
            continue
        if (
            rate_z(pd.Series([row["won"]]), pd.Series([row["closed"]]), pd.Series([bench[cid]]))[0]
            > -ctx.cfg["rate_z"]
        ):
            continue
        leads = ctx.closed[ctx.closed["lead_source"] == cid]
        impact = lost_revenue(
            leads, bench[cid], segment_deal_size(ctx.closed, t.get("customers"), row["target"])
        )
        values = {
            "closed": ctx.fmt.number(row["closed"]),
            "win": ctx.fmt.pct(row["win_rate"]),
            "benchmark": ctx.fmt.pct(bench[cid]),
            "target": str(row["target"]),
            "buyers": ctx.fmt.pct(row["buyers_in_target"]),
        }
        out.append(
            _finding(
                RULE["wrong_campaign"],
                cid,
                cid,
                impact,
                bench[cid],
                values,
                ctx.company_revenue,
                ctx.cfg,
            )
        )
    return out


def fam_won_amount(c: pd.DataFrame, fam) -> float:
    won = c[(c["family"] == fam) & (c["stage"] == "won")]
    return float(won["amount"].mean()) if len(won) else 0.0


def check_training(t, ctx) -> list[dict]:
    c = with_family(ctx.closed, t["products"])
    c = c[c["rep_id"].isin(ctx.sellers)]
    wr = win_rates(c, ["rep_id", "family"])
    status = course_status(t["training"], t["courses"], ctx.end)
    has_course = (
        set(t["courses"]["product_family"].dropna()) if "product_family" in t["courses"] else set()
    )
    out = []
    for (rep, fam), row in wr.iterrows():
        if fam not in has_course or row["closed"] < ctx.cfg["min_count"]:
            continue
        peers = c[(c["family"] == fam) & (c["rep_id"] != rep)]
        p0 = (peers["stage"] == "won").mean() if len(peers) else np.nan
        if not row["win_rate"] <= ctx.cfg["low_ratio"] * p0:
            continue
        if (
            rate_z(pd.Series([row["won"]]), pd.Series([row["closed"]]), pd.Series([p0]))[0]
            > -ctx.cfg["rate_z"]
        ):
            continue
        if (rep, fam) in status.index:
            if not bool(status.loc[(rep, fam), "overdue"]):
                continue
            state = _(
                "overdue (last completed {date})", date=ctx.fmt.date(status.loc[(rep, fam), "last"])
            )
        else:
            state = _("never completed")
        impact = lost_revenue(
            c[(c["rep_id"] == rep) & (c["family"] == fam)], p0, fam_won_amount(c, fam)
        )
        values = {
            "win": ctx.fmt.pct(row["win_rate"]),
            "family": fam,
            "benchmark": ctx.fmt.pct(p0),
            "status": state,
        }
        base = ctx.rep_revenue.get(rep, 0.0)
        found = _finding(
            RULE["training_gap"], rep, ctx.label("rep", rep), impact, p0, values, base, ctx.cfg
        )
        out.append(found | {"family": fam})
    return out


def active_days(reps: pd.DataFrame, start, end) -> pd.Series:
    """Days each rep was employed inside the window (hire_date / end_date when known)."""
    r = reps.set_index("rep_id")
    first = (
        r["hire_date"].clip(lower=start).fillna(start)
        if "hire_date" in r
        else pd.Series(start, index=r.index)
    )
    last = (
        r["end_date"].clip(upper=end).fillna(end)
        if "end_date" in r
        else pd.Series(end, index=r.index)
    )
    return ((last - first).dt.days + 1).clip(lower=0)


def touched(
    closed: pd.DataFrame, products: pd.DataFrame | None, systemic: list[dict], reps: pd.DataFrame
) -> pd.Series:
    """True for the closed deals a systemic finding explains (fair attribution)."""
    c = with_family(closed, products)
    hit = pd.Series(False, index=c.index)
    dept = c["rep_id"].map(reps.set_index("rep_id")["department"])
    reason = c["lost_reason"] if "lost_reason" in c else pd.Series(None, index=c.index)
    for f in systemic:
        sid = f["scope_id"]
        if f["scope"] == "product":
            hit |= c["product_id"] == sid
        elif f["scope"] == "family":
            hit |= c["family"] == sid
        elif f["scope"] == "campaign" and "lead_source" in c:
            hit |= c["lead_source"] == sid
        elif f["scope"] == "department":
            hit |= (dept == sid) & reason.isin(("timing", "service"))
        elif f["cause"] == "training":
            hit |= (c["rep_id"] == sid) & (c["family"] == f.get("family"))
    return hit


def check_rep(t, ctx, systemic: list[dict]) -> tuple[list[dict], list[dict]]:
    """Problems left to the rep once systemic causes are taken off, and what works (positive)."""
    att = ctx.attainment
    if att is None or att.empty:
        return [], []
    c = ctx.closed[ctx.closed["rep_id"].isin(ctx.sellers)]
    clean = c[~touched(c, t.get("products"), systemic, t["reps"])]
    wr = win_rates(clean, "rep_id").reindex(ctx.sellers)
    # Activity is the period's own (a slowdown shows at once); conversion and deal size need the
    # window's volume. Activity per 91.25 employed days, so a new hire is not compared on raw counts.
    days = active_days(t["reps"], ctx.period_start, ctx.period_end).reindex(ctx.sellers)
    full = days >= 0.8 * ((ctx.period_end - ctx.period_start).days + 1)
    acts = rep_activity(t.get("activities"), ctx.sellers, ctx.period_start, ctx.period_end)
    acts = acts / days.where(days > 0) * 91.25
    size = clean[clean["stage"] == "won"].groupby("rep_id")["amount"].mean().reindex(ctx.sellers)
    peers = full[full].index
    med = {
        k: s.reindex(peers).median()
        for k, s in (("acts", acts), ("win", wr["win_rate"]), ("size", size))
    }
    z_size = (size - med["size"]) / (
        (size.reindex(peers) - med["size"]).abs().median() * 1.4826 or 1.0
    )
    z_win = rate_z(wr["won"], wr["closed"], pd.Series(med["win"], index=wr.index))
    share = ((ctx.period_end - ctx.period_start).days + 1) / ((ctx.end - ctx.start).days + 1)
    lo, zc = ctx.cfg["low_ratio"], ctx.cfg["min_z"]
    problems, positives = [], []
    if "technique" in c:
        technique = c.groupby("rep_id")["technique"].agg(
            lambda s: s.mode().iat[0] if len(s.dropna()) else None
        )
    else:
        technique = pd.Series(dtype=object)
    if t.get("training") is not None:
        courses = (
            t["training"].groupby("rep_id")["course_id"].nunique().reindex(ctx.sellers).fillna(0)
        )
    else:
        courses = pd.Series(np.nan, index=ctx.sellers)
    for rep, row in att.iterrows():
        if rep not in ctx.sellers or not np.isfinite(row["attainment"]):
            continue
        values = {
            "attainment": ctx.fmt.pct(row["attainment"]),
            "activities": ctx.fmt.number(acts.get(rep)),
            "benchmark": ctx.fmt.number(med["acts"]),
            "win": ctx.fmt.pct(wr["win_rate"].get(rep)),
            "win_peers": ctx.fmt.pct(med["win"]),
        }
        if row["attainment"] >= ctx.cfg["positive_attainment"]:
            values |= {
                "technique": str(technique.get(rep, "")),
                "courses": ctx.fmt.number(courses.get(rep)),
                "courses_peers": ctx.fmt.number(courses.reindex(peers).median()),
            }
            positives.append(
                _finding(
                    RULE["top_performer"],
                    rep,
                    ctx.label("rep", rep),
                    row["actual"] - row["target"],
                    med["acts"],
                    values,
                    1.0,
                    ctx.cfg,
                    positive=True,
                )
            )
            continue
        if row["attainment"] >= 1:
            continue
        weak = (
            # Activity on a ratio alone: sellers' capacities differ, so its spread is wide.
            acts.get(rep, np.nan) <= lo * med["acts"]
            or (
                wr["win_rate"].get(rep, np.nan) <= lo * med["win"]
                and z_win.get(rep, 0) <= -ctx.cfg["rate_z"]
            )
            or (size.get(rep, np.nan) <= lo * med["size"] and z_size.get(rep, 0) <= -zc)
        )
        if not weak:
            continue
        mine = c[(c["rep_id"] == rep)]
        hit = mine[touched(mine, t.get("products"), systemic, t["reps"])]
        explained = (
            lost_revenue(hit, wr["win_rate"].get(rep, med["win"]), size.get(rep, med["size"]))
            * share
        )
        gap = max(0.0, row["target"] - row["actual"])
        unexplained = max(0.0, gap - explained)
        if unexplained < ctx.cfg["rep_gap"] * row["target"]:
            continue  # within the band where ordinary sellers land: not the rep's problem
        values |= {
            "size": ctx.fmt.money(size.get(rep)),
            "size_peers": ctx.fmt.money(med["size"]),
            "gap": ctx.fmt.money(unexplained),
        }
        problems.append(
            _finding(
                RULE["rep_performance"],
                rep,
                ctx.label("rep", rep),
                unexplained,
                med["acts"],
                values,
                row["target"],
                ctx.cfg,
            )
        )
    return problems, positives


@dataclass(frozen=True)
class _Context:
    start: pd.Timestamp
    end: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    cfg: dict
    fmt: object
    closed: pd.DataFrame | None
    sellers: pd.Index
    company_revenue: float
    rep_revenue: dict
    attainment: pd.DataFrame | None
    names: dict

    def label(self, scope: str, unit) -> str:
        name = self.names.get(scope, {}).get(unit)
        return f"{name} ({unit})" if name and name != unit else str(unit)


CHECKS = (
    ("product", check_product),
    ("price", check_price),
    ("delivery", check_delivery),
    ("service", check_service),
    ("marketing", check_marketing),
    ("training", check_training),
)


def revenue_per_rep(tables: Mapping[str, pd.DataFrame], start, end) -> pd.Series:
    """Revenue per rep in the window, as `salescoach.actuals` defines it."""
    from salescoach import actuals

    try:
        return actuals.per_rep(tables, "revenue", start, end)
    except actuals.MissingData:
        return pd.Series(dtype=float)


def diagnose(
    tables: Mapping[str, pd.DataFrame],
    period_start: pd.Timestamp,
    period_end: pd.Timestamp,
    attainment: pd.DataFrame | None,
    settings: Mapping | None,
    fmt,
) -> Diagnosis:
    """Every check in order over the evidence window, then the reps.

    `attainment` has one row per rep (index rep_id) with actual, target and attainment for the
    period; `settings` is the `[diagnosis]` section (missing keys take `DEFAULTS`); `fmt` a
    `salescoach.fmt.Formatter`.

    Example:
        >>> result = diagnose(tables, p.start, p.end, att, {}, Formatter())  # doctest: +SKIP
        >>> result.findings[["cause", "scope", "scope_id", "impact"]]  # doctest: +SKIP
    """
    cfg = {**DEFAULTS, **dict(settings or {})}
    start, end = window(period_start, period_end, int(cfg["window_months"]))
    reps = tables["reps"]
    role = (
        reps["role"].fillna("seller") if "role" in reps else pd.Series("seller", index=reps.index)
    )
    sellers = pd.Index(reps.loc[role == "seller", "rep_id"])
    deals = tables.get("deals")
    rev = revenue_per_rep(tables, start, end)
    names = {"rep": reps.set_index("rep_id")["name"].to_dict()}
    if tables.get("products") is not None and "name" in tables["products"]:
        names["product"] = tables["products"].set_index("product_id")["name"].to_dict()
    closed = closed_deals(deals, start, end) if deals is not None else None
    ctx = _Context(
        start,
        end,
        pd.Timestamp(period_start),
        pd.Timestamp(period_end),
        cfg,
        fmt,
        closed,
        sellers,
        float(rev.sum()),
        rev.to_dict(),
        attainment,
        names,
    )
    found, checks = [], []
    for cause, check in CHECKS:
        missing = _missing(tables, cause)
        if missing:
            detail = _("not assessed: no {table} data", table=missing)
            checks.append({"cause": cause, "status": "not assessed", "detail": detail})
            continue
        rows = check(tables, ctx)
        found += rows
        checks.append(_check_row(cause, rows))
    systemic = [f for f in found if f["material"]]
    missing = _missing(tables, "rep")
    positives = []
    if missing:
        detail = _("not assessed: no {table} data", table=missing)
        checks.append({"cause": "rep", "status": "not assessed", "detail": detail})
    else:
        rep_rows, positives = check_rep(tables, ctx, systemic)
        found += rep_rows
        checks.append(_check_row("rep", rep_rows))
    frame = pd.DataFrame(found + positives, columns=FINDING_COLUMNS + ["family"]).drop(
        columns="family"
    )
    frame["positive"] = frame["positive"].astype(bool)
    frame["material"] = frame["material"].astype(bool)
    frame["_order"] = frame["cause"].map({c: i for i, c in enumerate(CAUSES)})
    frame = frame.sort_values(["positive", "_order", "impact"], ascending=[True, True, False])
    frame = frame.drop(columns="_order").reset_index(drop=True)
    return Diagnosis(frame, pd.DataFrame(checks, columns=["cause", "status", "detail"]))


def _check_row(cause: str, rows: list[dict]) -> dict:
    material = [r for r in rows if r["material"]]
    if material:
        ids = ", ".join(r["scope_id"] for r in material)
        return {"cause": cause, "status": "problem", "detail": _("problem found: {ids}", ids=ids)}
    if rows:
        return {
            "cause": cause,
            "status": "ruled out",
            "detail": _n(
                "below materiality: {n} signal",
                "below materiality: {n} signals",
                len(rows),
                n=len(rows),
            ),
        }
    return {
        "cause": cause,
        "status": "ruled out",
        "detail": _("ruled out: no unit differs from its peers"),
    }


def problems(findings: pd.DataFrame) -> pd.DataFrame:
    """The material, non-positive findings: what the manager must act on."""
    return findings[findings["material"] & ~findings["positive"]]


def by_owner(findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Material problems grouped by owning department, largest revenue at stake first."""
    p = problems(findings)
    order = p.groupby("owner")["impact"].sum().sort_values(ascending=False).index
    return {owner: p[p["owner"] == owner].reset_index(drop=True) for owner in order}
