"""Monitoring against a workbook: results, the process with its owners, pipeline, people, charts.

Reads the workbook's facts, goals (imported targets plus the store's versions) and settings,
calls `salescoach.domain.monitoring`, and returns display-ready tables (labels in the workbook's
language, every figure through its Formatter) or figures. A part whose table is missing returns
a `NotAssessed` that prints one line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.data.workbook import FactsView, Workbook
from salescoach.domain import actuals, charts, monitoring, roles
from salescoach.domain.attainment import attainment_table, goals_in_force
from salescoach.domain.capabilities import NotAssessed
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _, label, plural_translator, translator
from salescoach.services import access as guard, period_of

SCOPES = ("company", "department", "team", "rep")


@dataclass(frozen=True)
class Context:
    """What every monitoring view needs, read once."""

    tables: monitoring.FactTables  # what several views derive from the facts is derived once
    period: Period
    scope: str
    scope_id: str | None
    members: pd.Index
    as_of: pd.Timestamp
    config: monitoring.MonitoringSettings
    fmt: Formatter
    lang: str
    goals: pd.DataFrame
    branding: dict


class _PeriodOrders(FactsView):
    """The workbook's facts as `FactsView` reads them (each table on first use, the capabilities
    the snapshot states), with the orders of one period's months alone (`Facts.window`): what
    the process measures read (the orders placed in the period, with their deliveries,
    follow-ups and cases). The app's Monitoring page at scale 7 (a million order lines): its
    kernel held 701 MB after reading every order line, 342 MB with the quarter's (1.9 against
    0.6 CPU s)."""

    def __init__(self, facts, period: Period):
        super().__init__(facts)
        self._period = period
        self._orders = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name != "orders" or not self._facts.has("orders"):
            return super().__getitem__(name)
        if self._orders is None:
            self._orders = self._facts.window("orders", self._period.start, self._period.end)
        return self._orders


def context(
    wb: Workbook,
    period,
    scope: str = "company",
    scope_id: str | None = None,
    period_orders: bool = False,
) -> Context:
    """Read the workbook once for one scope and period; bad input raises InputError.

    `period_orders`: read only the orders of the period's months (what the process measures
    need, `stages_table`), not every order line; the other views read them all."""
    p = period_of(wb, period)
    if scope not in SCOPES:
        raise InputError(
            _(
                "Unknown scope {scope}; use one of {scopes}.",
                scope=repr(scope),
                scopes=", ".join(SCOPES),
            )
        )
    guard.require(wb, None, "results.read", guard.Subject(scope, scope_id))
    facts = wb.facts()
    windowed = period_orders and facts.folder is not None and not facts.loaded("orders")
    tables = monitoring.FactTables(_PeriodOrders(facts, p) if windowed else facts.all())
    members = actuals.members(tables["reps"], scope, scope_id)
    if scope != "company" and members.empty:
        raise InputError(
            _(
                "No {scope} named {scope_id} in the reps table.",
                scope=label(scope),
                scope_id=repr(scope_id),
            )
        )
    with wb.store() as store:
        goals = goals_in_force(tables.get("targets"), store.frame("goal"))
    if windowed and facts.has("orders"):
        # The day follow-ups are judged by, as below, from every order line's date.
        from salescoach.data import facts_query

        last = facts_query.last_booked_date(facts.folder)
        as_of = p.end if last is None else min(p.end, last)
    else:
        ev = actuals.events(tables, "revenue")
        as_of = min(p.end, ev["date"].max()) if len(ev) else p.end
    return Context(
        tables=tables,
        period=p,
        scope=scope,
        scope_id=scope_id,
        members=members,
        as_of=as_of,
        config=wb.settings.monitoring,
        fmt=Formatter.for_settings(wb.settings),
        lang=wb.settings.language,
        goals=goals,
        branding=dict(wb.settings["branding"]),
    )


def _show(fmt: Formatter, value, unit: str) -> str:
    if unit == "share":
        return fmt.pct(value, 1)
    if unit == "change":
        return fmt.pct(value, 1, signed=True)
    if unit == "money":
        return fmt.money(value)
    if unit in ("days", "score", "rate"):
        return fmt.number(value, 1)
    return fmt.number(value)


def _data_starts(tables) -> pd.Timestamp | None:
    """The first day the sales data covers (orders placed, deals created or closed)."""
    firsts = [
        frame[column].min()
        for name, column in (
            ("orders", "order_date"),
            ("deals", "created_date"),
            ("deals", "close_date"),
        )
        if (frame := tables.get(name)) is not None
        and column in frame
        and frame[column].notna().any()
    ]
    return min(firsts) if firsts else None


def _change(fmt: Formatter, row, before: str, unit: str) -> str:
    """A rate's change in points (win rate 30% -> 25% is -5 pp); money and counts relative."""
    if unit == "share":
        return fmt.points(row["period"] - row[before])
    return _show(fmt, row[f"vs_{before}"], "change")


RESULT_ROWS = (
    # key, label, unit
    ("revenue", _("Revenue"), "money"),
    ("units", _("Units"), "count"),
    ("deals_won", _("Deals won"), "count"),
    ("win_rate", _("Win rate"), "share"),
    ("avg_deal_size", _("Average deal size"), "money"),
    ("discount_depth", _("Discount depth (off list)"), "share"),
    ("margin", _("Margin"), "share"),
    ("new_customers", _("New customers"), "count"),
)


def results(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """The scope's results against the prior period and the same period last year, with the
    revenue goal, attainment to date and the run-rate projection."""
    ctx = context(wb, period, scope, scope_id)
    return results_table(ctx)


def results_table(ctx: Context) -> pd.DataFrame:
    _ = translator(ctx.lang)
    frame = monitoring.scope_results(
        ctx.tables, ctx.scope, ctx.scope_id, ctx.period, ctx.goals, ctx.as_of
    )
    starts = _data_starts(ctx.tables)

    def before(value, p: Period, unit: str) -> str:
        # A period before the data begins is unknown, not a period of zero sales.
        if starts is not None and p.end < starts:
            return _("before the data")
        return _show(ctx.fmt, value, unit)

    rows = []
    for key, measure, unit in RESULT_ROWS:
        if key not in frame.index:
            continue
        r = frame.loc[key]
        rows.append(
            {
                _("Measure"): _(measure),
                ctx.fmt.period(ctx.period): _show(ctx.fmt, r["period"], unit),
                ctx.fmt.period(ctx.period.shift(-1)): before(
                    r["prior"], ctx.period.shift(-1), unit
                ),
                _("vs prior"): _change(ctx.fmt, r, "prior", unit),
                ctx.fmt.period(monitoring.year_ago(ctx.period)): before(
                    r["last_year"], monitoring.year_ago(ctx.period), unit
                ),
                _("vs last year"): _change(ctx.fmt, r, "last_year", unit),
            }
        )
    for metric in ("revenue", "units", "deals_won", "new_customers"):
        if f"goal:{metric}" not in frame.index:
            continue
        unit = "money" if metric == "revenue" else "count"
        for what, text, u in (
            ("goal", _("Goal: {metric}", metric=label(metric, ctx.lang)), unit),
            (
                "attainment",
                _("Attainment to date: {metric}", metric=label(metric, ctx.lang)),
                "share",
            ),
            (
                "projection",
                _("Run-rate projection: {metric}", metric=label(metric, ctx.lang)),
                unit,
            ),
            (
                "projected_attainment",
                _("Projected attainment: {metric}", metric=label(metric, ctx.lang)),
                "share",
            ),
        ):
            value = frame.loc[f"{what}:{metric}", "period"]
            no_goal = u == "share" and not frame.loc[f"goal:{metric}", "period"] > 0
            rows.append(
                {
                    _("Measure"): text,
                    # A goal of 0 is no goal: its attainment is said, not a dash or infinite.
                    ctx.fmt.period(ctx.period): _("no goal")
                    if no_goal
                    else _show(ctx.fmt, value, u),
                }
            )
    return pd.DataFrame(rows).fillna("")


def scope_summary(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """The process from order to service for a scope, formatted, each stage with its owner."""
    return stages_table(context(wb, period, scope, scope_id, period_orders=True))


def stages_table(ctx: Context) -> pd.DataFrame:
    stages = monitoring.process_stages(ctx.tables, ctx.period, ctx.members, ctx.config, ctx.as_of)
    return format_stages(stages, ctx.fmt, ctx.lang)


def breach_mark(owner: str, lang: str) -> str:
    """A breach's cell: that it is one, and whose (the owner's words in `lang`)."""
    _ = translator(lang)
    return _("yes: {owner}", owner=label(owner, lang))


def format_stages(stages: pd.DataFrame, fmt: Formatter, lang: str = "en") -> pd.DataFrame:
    _ = translator(lang)
    stage_names = {
        "order": _("Order"),
        "shipping": _("Shipping"),
        "delivery": _("Delivery"),
        "follow_up": _("Follow-up"),
        "service": _("Service"),
    }
    rows = []
    for r in stages.to_dict("records"):
        unit = r["unit"]
        note = unit == "note"
        rows.append(
            {
                _("Stage"): _(stage_names.get(r["stage"], r["stage"])),
                _("Owner"): label(r["owner"], lang),
                _("Measure"): (
                    NotAssessed(r["needs"]).text(lang)
                    if note and isinstance(r.get("needs"), tuple)
                    else _(r["label"])
                ),
                _("This scope"): "" if note else _show(fmt, r["value"], unit),
                _("Company"): "" if note else _show(fmt, r["company"], unit),
                _("Target"): "" if note or pd.isna(r["target"]) else _show(fmt, r["target"], unit),
                _("Breach"): breach_mark(r["owner"], lang) if r["breach"] is True else "",
            }
        )
    return pd.DataFrame(rows)


def late_orders(wb: Workbook, period, by: str = "department") -> pd.DataFrame | NotAssessed:
    """Orders, late orders and on-time rate per department (or team, rep, product, family)."""
    ctx = context(wb, period)
    return late_orders_table(ctx, by)


def late_orders_table(ctx: Context, by: str = "department") -> pd.DataFrame | NotAssessed:
    orders = ctx.tables.get("orders")
    if orders is None:
        return monitoring.not_assessed("orders")
    lines = orders[ctx.period.contains(orders["order_date"])]
    try:
        grace = ctx.config.on_time_grace_days
        d = monitoring.delivery_by(
            lines,
            ctx.tables["reps"],
            by,
            grace,
            ctx.tables.get("products"),
            outcomes=monitoring.outcomes_of(ctx.tables, ctx.period, grace),  # the same lines
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if "late" in d:
        d = d.sort_values("late", ascending=False)
    _ = translator(ctx.lang)
    owner = ctx.config.owner("delivery")
    out = pd.DataFrame(index=d.index)
    out[_("Orders")] = d["orders"].map(ctx.fmt.number)
    if "late" in d:
        out[_("Late")] = d["late"].map(ctx.fmt.number)
        out[_("On time")] = d["on_time_rate"].map(lambda v: ctx.fmt.pct(v, 1))
        out[_("Median days late")] = d["median_days_late"].map(lambda v: ctx.fmt.number(v, 1))
        target = ctx.config.targets.get("on_time_rate")
        if target is not None:
            out[_("Breach")] = [
                breach_mark(owner, ctx.lang) if v < target else ""
                for v in d["on_time_rate"].fillna(1)
            ]
    if "cancelled" in d:
        out[_("Cancelled")] = d["cancelled_share"].map(lambda v: ctx.fmt.pct(v, 1))
        out[_("Returned")] = d["returned_share"].map(lambda v: ctx.fmt.pct(v, 1))
    return out


def breach_summary(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """Breaches counted by kind, stage and owner (the single breaches: `monitoring.breaches`)."""
    return breach_table(context(wb, period, scope, scope_id))


def breach_table(ctx: Context) -> pd.DataFrame:
    _ = translator(ctx.lang)
    b = monitoring.breaches(ctx.tables, ctx.period, ctx.members, ctx.config, ctx.as_of)
    names = {
        "late_delivery": _("delivered late"),
        "cancelled": _("order cancelled"),
        "returned": _("order returned"),
        "no_follow_up": _("no follow-up in time"),
        "slow_case": _("case took too long"),
    }
    if b.empty:
        return pd.DataFrame({_("Breach"): [], _("Owner"): [], _("Count"): []})
    g = (
        b.groupby(["breach", "owner"], sort=False)
        .agg(count=("id", "size"), days=("days_over", "median"))
        .reset_index()
    )
    g = g.sort_values("count", ascending=False)
    return pd.DataFrame(
        {
            _("Breach"): [_(names.get(k, k)) for k in g["breach"]],
            _("Owner"): [label(o, ctx.lang) for o in g["owner"]],
            _("Count"): g["count"].map(ctx.fmt.number).to_numpy(),
            _("Median days over"): g["days"].map(lambda v: ctx.fmt.number(v, 1)).to_numpy(),
        }
    )


def pipeline(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame | NotAssessed:
    """Open deals by stage and age, stale deals, and the coverage of the remaining revenue goal."""
    return pipeline_table(context(wb, period, scope, scope_id))


def open_deals(ctx: Context) -> pd.DataFrame | NotAssessed:
    deals = ctx.tables.get("deals")
    if deals is None:
        return monitoring.not_assessed("deals")
    # Leads no rep has taken are the company's pipeline, never a rep's, team's or department's.
    return monitoring.pipeline(
        deals,
        ctx.tables.get("activities"),
        ctx.members,
        ctx.as_of,
        ctx.config.stale_deal_days,
        unassigned=ctx.scope == "company",
    )


def remaining_goal(ctx: Context, metric: str = "revenue") -> float:
    att = attainment_table(ctx.tables, ctx.goals, ctx.period, ctx.as_of)
    sid = "company" if ctx.scope == "company" else ctx.scope_id
    row = att[(att["scope"] == ctx.scope) & (att["scope_id"] == sid) & (att["metric"] == metric)]
    if row.empty:
        return np.nan
    return float(max(row["target"].iloc[0] - row["actual"].iloc[0], 0.0))


def pipeline_table(ctx: Context) -> pd.DataFrame | NotAssessed:
    deals = open_deals(ctx)
    if isinstance(deals, NotAssessed):
        return deals
    _ = translator(ctx.lang)
    summary = monitoring.pipeline_summary(deals).reset_index()
    out = pd.DataFrame(
        {
            _("Stage"): summary["stage"].map(_),
            _("Age (days)"): summary["age_band"].astype(str),
            _("Deals"): summary["deals"].map(ctx.fmt.number),
            _("Amount"): summary["amount"].map(ctx.fmt.money),
            _("Stale"): summary["stale"].map(ctx.fmt.number),
        }
    )
    if ctx.scope == "company":
        out[_("Unassigned")] = summary["unassigned"].map(ctx.fmt.number)
    return out


def pipeline_coverage(ctx: Context) -> str | NotAssessed:
    """One sentence: how many times the open pipeline covers what is left of the revenue goal."""
    deals = open_deals(ctx)
    if isinstance(deals, NotAssessed):
        return deals
    _ = translator(ctx.lang)
    need = remaining_goal(ctx)
    cover = monitoring.coverage(float(deals["amount"].sum()) if "amount" in deals else np.nan, need)
    text = _(
        "Open pipeline {amount} covers {coverage} times the remaining goal ({remaining}); "
        "{stale} open deals are stale (no activity in {days} days).",
        amount=ctx.fmt.money(deals["amount"].sum() if "amount" in deals else np.nan),
        coverage=ctx.fmt.number(cover, 1),
        remaining=ctx.fmt.money(need),
        stale=ctx.fmt.number(deals["stale"].sum()),
        days=ctx.config.stale_deal_days,
    )
    waiting = int(deals["rep_id"].isna().sum())
    if waiting:
        ngettext = plural_translator(ctx.lang)
        text += " " + ngettext(
            "{n} of them is an unassigned lead: no rep has taken it yet.",
            "{n} of them are unassigned leads: no rep has taken them yet.",
            waiting,
            n=ctx.fmt.number(waiting),
        )
    return text


def activity(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame | NotAssessed:
    """Calls, emails, meetings and demos per rep per week against the team median."""
    return activity_table(context(wb, period, scope, scope_id))


def activity_table(ctx: Context) -> pd.DataFrame | NotAssessed:
    acts = ctx.tables.get("activities")
    if acts is None:
        return monitoring.not_assessed("activities")
    _ = translator(ctx.lang)
    a = monitoring.activity_per_week(acts, ctx.tables["reps"], ctx.period).reindex(ctx.members)
    names = ctx.tables["reps"].set_index("rep_id")["name"]
    out = pd.DataFrame({_("Rep"): a.index.map(names)}, index=a.index)
    for kind, heading in (
        ("call", _("Calls")),
        ("email", _("Emails")),
        ("meeting", _("Meetings")),
        ("demo", _("Demos")),
    ):
        if kind in a:
            out[_(heading) + " / " + _("week")] = a[kind].map(lambda v: ctx.fmt.number(v, 1))
    out[_("Total / week")] = a["total"].map(lambda v: ctx.fmt.number(v, 1))
    out[_("Team median")] = a["team_median_total"].map(lambda v: ctx.fmt.number(v, 1))
    out[_("vs team median")] = a["vs_team_median"].map(lambda v: ctx.fmt.pct(v))
    return out


def support(wb: Workbook, period) -> pd.DataFrame | NotAssessed:
    """Support staff on the deals they assisted against comparable unassisted deals."""
    return support_table(context(wb, period))


def support_frame(ctx: Context) -> pd.DataFrame | NotAssessed:
    deals = ctx.tables.get("deals")
    if deals is None:
        return monitoring.not_assessed("deals")
    return monitoring.support_contribution(
        deals,
        ctx.tables["reps"],
        ctx.period,
        ctx.tables.get("products"),
        ctx.tables.get("customers"),
    )


def support_table(ctx: Context) -> pd.DataFrame | NotAssessed:
    s = support_frame(ctx)
    if isinstance(s, NotAssessed):
        return s
    _ = translator(ctx.lang)
    names = ctx.tables["reps"].set_index("rep_id")["name"]
    f = ctx.fmt
    return pd.DataFrame(
        {
            _("Support rep"): s["rep_id"].map(names),
            _("Deals assisted"): s["assisted"].map(f.number),
            _("Win rate"): s["win_rate"].map(f.pct),
            _("Comparable win rate"): s["comparable_win_rate"].map(f.pct),
            _("Uplift"): s["uplift"].map(lambda v: f.pct(v, 1, signed=True)),
            _("Revenue assisted"): s["revenue"].map(f.money),
            _("Average deal"): s["avg_deal_size"].map(f.money),
            _("Comparable average deal"): s["comparable_avg_deal_size"].map(f.money),
        }
    )


def scorecard_frame(ctx: Context) -> pd.DataFrame:
    """Per rep of the scope: the raw parts and the 0-100+ score (peers: the same role)."""
    tables, p = ctx.tables, ctx.period
    results = monitoring.results_by(tables, "rep", p)
    att = attainment_table(tables, ctx.goals, p, ctx.as_of)
    rep_att = att[(att["scope"] == "rep") & (att["metric"] == "revenue")].set_index("scope_id")[
        "attainment"
    ]
    acts = tables.get("activities")
    activity_rate = (
        monitoring.activity_per_week(acts, tables["reps"], p) if acts is not None else None
    )
    fb = tables.get("feedback")
    feedback = None
    if fb is not None and "rep_id" in fb:
        fb = fb[p.contains(fb["date"])]
        feedback = fb.groupby("rep_id")["score"].mean()
    supp = support_frame(ctx)
    parts = monitoring.scorecard_parts(
        tables["reps"],
        results,
        rep_att,
        activity_rate,
        feedback,
        None if isinstance(supp, NotAssessed) else supp,
        roles.main_role(tables["reps"], tables),
    )
    parts["score"] = monitoring.scorecard(parts, ctx.config.scorecard_weights, parts["role"])
    return parts.reindex(ctx.members)


def scorecards(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """Per rep: attainment, win rate, activity, feedback and the weighted 0-100+ score."""
    return scorecard_table(context(wb, period, scope, scope_id))


def scorecard_table(ctx: Context) -> pd.DataFrame:
    parts = scorecard_frame(ctx)
    _ = translator(ctx.lang)
    f = ctx.fmt
    names = ctx.tables["reps"].set_index("rep_id")["name"]
    out = pd.DataFrame(
        {
            _("Rep"): parts.index.map(names),
            _("Role"): parts["role"].map(_),
            _("Attainment"): parts["attainment"].map(f.pct),
            _("Win rate"): parts["win_rate"].map(f.pct),
            _("Activities / week"): parts["activity"].map(lambda v: f.number(v, 1)),
            _("Feedback (0-10)"): parts["feedback"].map(lambda v: f.number(v, 1)),
            _("Score"): parts["score"].map(lambda v: f.number(v)),
        },
        index=parts.index,
    )
    return out.iloc[np.argsort(-parts["score"].fillna(-1).to_numpy(), kind="stable")]


# --------------------------------------------------------------------------- charts


def attainment_chart(wb: Workbook, period, level: str = "department", metric: str = "revenue"):
    """Attainment bars of every unit of a level against the goal line."""
    return attainment_figure(context(wb, period), level, metric)


def trend_chart(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None, periods: int = 8
):
    """Revenue over the last periods against the goal."""
    return trend_figure(context(wb, period, scope, scope_id), periods)


def funnel_chart(wb: Workbook, period, scope: str = "company", scope_id: str | None = None):
    """Orders reaching each stage with the median days between stages."""
    return funnel_figure(context(wb, period, scope, scope_id))


def attainment_figure(ctx: Context, level: str = "department", metric: str = "revenue"):
    att = attainment_table(ctx.tables, ctx.goals, ctx.period, ctx.as_of)
    mine = att[(att["scope"] == level) & (att["metric"] == metric)].set_index("scope_id")[
        "attainment"
    ]
    if mine.dropna().empty:
        return NotAssessed("targets")
    _ = translator(ctx.lang)
    if level == "rep":
        mine.index = mine.index.map(ctx.tables["reps"].set_index("rep_id")["name"])
    title = _(
        "Attainment to date by {level}, {period}",
        level=label(level, ctx.lang),
        period=ctx.fmt.period(ctx.period),
    )
    return charts.attainment_bars(
        mine, title, ctx.fmt, ctx.branding["primary_colour"], ctx.branding["accent_colour"]
    )


def trend_figure(ctx: Context, periods: int = 8):
    t = monitoring.trend(ctx.tables, ctx.scope, ctx.scope_id, ctx.period, periods, goals=ctx.goals)
    if t.empty:
        return NotAssessed("orders")
    _ = translator(ctx.lang)
    t.index = [ctx.fmt.period(p) for p in t.index]
    t = t.rename(columns={"actual": _("Revenue"), "goal": _("Goal")})
    colours = tuple(charts.palette(ctx.branding["primary_colour"], ctx.branding["accent_colour"]))
    return charts.trend_lines(t, _("Revenue against goal"), ctx.fmt, colours=colours)


def funnel_figure(ctx: Context):
    f = monitoring.funnel(ctx.tables, ctx.period, ctx.members, ctx.config, ctx.as_of)
    if isinstance(f, NotAssessed):
        return f
    _ = translator(ctx.lang)
    labels = {
        "order": _("Ordered"),
        "shipping": _("Shipped"),
        "delivery": _("Delivered"),
        "follow_up": _("Followed up"),
    }
    f["label"] = [
        _("{stage} ({owner})", stage=labels[s], owner=label(o, ctx.lang))
        for s, o in zip(f["stage"], f["owner"])
    ]
    title = _("From order to follow-up, {period}", period=ctx.fmt.period(ctx.period))
    return charts.process_funnel(
        f, title, ctx.fmt, ctx.branding["primary_colour"], ctx.branding["accent_colour"]
    )
