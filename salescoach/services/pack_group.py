"""Review packs: team, department and company packs, for a manager of managers (roster,
goal-gap, systemic findings, coverage, what works). Part of :mod:`salescoach.services.packs`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import capabilities, charts
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.i18n import _, _n, label, name_order, separated
from salescoach.services import scope as pack_scope
from salescoach.services.pack_data import batch_figures, batch_key, open_workbook, parse_period
from salescoach.services.pack_summary import _where

# --------------------------------------------------------------------------------------------
# Group packs (team, department, company): totals only, members' names are the manager's to see
# --------------------------------------------------------------------------------------------


@pack_scope.section("group", prepare=[{}])
def group_summary(wb, scope: str, scope_id: str | None, period: str | None = None) -> pd.DataFrame:
    """Totals of a team, department or the company, and one row per member (manager's pack)."""
    wb = open_workbook(wb)
    figures, _trend = batch_figures(wb, period)
    f = Formatter.for_settings(wb.settings)
    if scope == "company":
        members = figures
    else:
        members = figures[figures[scope] == scope_id]
    group_col = {"company": "department", "department": "team", "team": "name"}[scope]
    totals = members.groupby(group_col)[["revenue", "goal"]].sum(min_count=1)
    totals["attainment"] = totals["revenue"] / totals["goal"].where(totals["goal"] > 0)
    return pd.DataFrame(
        {
            _("Revenue"): [f.money(v) for v in totals["revenue"]],
            _("Goal"): [f.money(v) for v in totals["goal"]],
            _("Attainment"): [
                f.pct(a) if g > 0 else _("no goal")
                for a, g in zip(totals["attainment"], totals["goal"], strict=True)
            ],
        },
        index=totals.index.rename(group_col),
    )


# --------------------------------------------------------------------------------------------
# Team, department and company packs: for a manager of managers
# --------------------------------------------------------------------------------------------

# Causes owned outside sales (production, marketing, logistics, customer service): systemic.
SYSTEMIC_CAUSES = ("product", "price", "delivery", "service", "marketing")
# The award statuses that count as "award proposed" on a roster or the index.
AWARD_FLAGGED = ("proposed", "approved", "communicated")


def _members(figures: pd.DataFrame, scope: str, scope_id: str | None) -> pd.DataFrame:
    if scope == "company":
        return figures
    return figures[figures[scope].astype(str) == str(scope_id)]


@pack_scope.section("roster", prepare=[{}])
def rep_flags(wb: Workbook | str | Path, period: str | None = None) -> pd.DataFrame:
    """Per rep (index rep_id): attainment, below_goal, trend (revenue change on the quarter
    before), step (the coaching ladder's current step, "none" off it) and award (an award
    proposed, approved or communicated for the period); support: measured on the deals they
    assist, with no seller goal."""
    from salescoach.domain import coaching as ladder

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    figures, trend = batch_figures(wb, p)
    out = figures.set_index("rep_id")[
        ["name", "team", "department", "role", "revenue", "goal", "attainment"]
    ].copy()
    out["support"] = figures.set_index("rep_id")["measured_as"].eq("support")
    out["below_goal"] = (out["goal"] > 0) & (out["attainment"] < 1)
    quarters = [c for c in trend.columns if c != "rep_id"]
    if len(quarters) >= 2:
        t = trend.set_index("rep_id")
        before = t[quarters[-2]]
        out["trend"] = (t[quarters[-1]] - before) / before.where(before > 0)
    else:
        out["trend"] = np.nan
    try:
        from salescoach.services import coaching as coach_service

        steps = coach_service.steps(wb)
    except Exception:  # noqa: BLE001 - no store or no coaching records: nobody on the ladder
        steps = None
    out["step"] = [ladder.current_step(steps, str(r)) for r in out.index]
    try:
        from salescoach.services import recognition

        awarded = recognition.current(wb, str(p))
        awarded = set(awarded.loc[awarded["status"].isin(AWARD_FLAGGED), "rep_id"].astype(str))
    except Exception:  # noqa: BLE001 - no store or no award records
        awarded = set()
    out["award"] = [str(r) in awarded for r in out.index]
    return out


def _flag_words(row) -> str:
    words = []
    if row.get("support", False):
        # Why a colleague has no goal and no revenue: measured on the deals they assist.
        words.append(_("support staff"))
    if row["below_goal"]:
        words.append(_("below goal"))
    if row["step"] != "none":
        words.append(_("coaching: {step}", step=label(row["step"])))
    if row["award"]:
        words.append(_("award proposed"))
    return separated(words)


def _trend_text(f: Formatter, change) -> str:
    if change is None or pd.isna(change) or not np.isfinite(change):
        return MISSING_TEXT
    arrow = "\u2191" if change > 0.02 else "\u2193" if change < -0.02 else "\u2192"
    return f"{arrow} {f.pct(change, signed=True)}"


MISSING_TEXT = "\u2013"


@pack_scope.section("group", prepare=[{}])
def group_cover(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
) -> dict[str, str]:
    """Title lines of a team, department or company pack, and its headline: attainment of the
    scope's goal and how many of its reps are below theirs."""
    wb = open_workbook(wb)
    p = parse_period(wb, period)
    f = Formatter.for_settings(wb.settings)
    flags = _members(rep_flags(wb, p).reset_index(), scope, scope_id)
    goal = flags["goal"].where(flags["goal"] > 0).sum(min_count=1)
    revenue = flags["revenue"].sum()
    title = {
        "team": _("Team review: {name}", name=scope_id),
        "department": _("Department review: {name}", name=scope_id),
        "company": _("Company review: {name}", name=wb.settings.company_name),
    }[scope]
    where = flags["department"].iloc[0] if scope == "team" and len(flags) else ""
    subtitle = " · ".join(w for w in (str(where), f.period(p)) if w)
    below = int(flags["below_goal"].sum())
    if pd.notna(goal) and goal > 0:
        headline = _(
            "{attainment} of the goal: {revenue} against {goal}; {below} of {reps} reps below their goal",
            attainment=f.pct(revenue / goal),
            revenue=f.money(revenue),
            goal=f.money(goal),
            below=f.number(below),
            # Of those with a goal: support staff and reps without one cannot be below theirs.
            reps=f.number(int((flags["goal"] > 0).sum())),
        )
    else:
        headline = _("{revenue} in the period; no goal was set", revenue=f.money(revenue))
    return {
        "company": wb.settings.company_name,
        "title": title,
        "subtitle": subtitle,
        "headline": headline,
    }


@pack_scope.section("group", prepare=[{}])
def roster(wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None):
    """One row per rep of a team or department (per team for the company): revenue, goal,
    attainment, the change on the quarter before, and flags (below goal, coaching, award)."""
    wb = open_workbook(wb)
    f = Formatter.for_settings(wb.settings)
    flags = rep_flags(wb, period)
    mine = _members(flags.reset_index(), scope, scope_id)
    if scope != "company":
        mine = mine.sort_values(["team", "name"], key=name_order())
        frame = pd.DataFrame(
            {
                _("Name"): mine["name"].astype(str).to_numpy(),
                _("Team"): mine["team"].astype(str).to_numpy(),
                _("Revenue"): [f.money(v) for v in mine["revenue"]],
                _("Goal"): [f.money(v) if v > 0 else _("no goal") for v in mine["goal"].fillna(0)],
                _("Attainment"): [f.pct(v) for v in mine["attainment"]],
                _("On the quarter before"): [_trend_text(f, v) for v in mine["trend"]],
                _("Flags"): [_flag_words(r) for _i, r in mine.iterrows()],
            }
        )
        return frame.drop(columns=_("Team")) if scope == "team" else frame
    units = mine.groupby(["department", "team"], sort=True)
    figures, trend = batch_figures(wb, period)
    quarters = [c for c in trend.columns if c != "rep_id"]
    t = trend.set_index("rep_id")
    rows = []
    for (dept, team), g in units:
        goal = g["goal"].where(g["goal"] > 0).sum(min_count=1)
        revenue = g["revenue"].sum()
        change = np.nan
        if len(quarters) >= 2:
            last, before = (
                t.loc[g["rep_id"], quarters[-1]].sum(),
                t.loc[g["rep_id"], quarters[-2]].sum(),
            )
            change = (last - before) / before if before > 0 else np.nan
        below, coached, awarded = (
            int(g["below_goal"].sum()),
            int((g["step"] != "none").sum()),
            int(g["award"].sum()),
        )
        counts = [
            _n("{n} below goal", "{n} below goal", below, n=below) if below else "",
            _n("{n} coaching", "{n} coaching", coached, n=coached) if coached else "",
            _n("{n} award proposed", "{n} awards proposed", awarded, n=awarded) if awarded else "",
        ]
        rows.append(
            {
                _("Department"): str(dept),
                _("Team"): str(team),
                _("Reps"): f.number(len(g)),
                _("Revenue"): f.money(revenue),
                _("Goal"): f.money(goal),
                _("Attainment"): f.pct(revenue / goal) if goal and goal > 0 else _("no goal"),
                _("On the quarter before"): _trend_text(f, change),
                _("Flags"): separated([c for c in counts if c]),
            }
        )
    return pd.DataFrame(rows)


_OVERVIEWS: dict[tuple, dict] = {}


def _overview(wb: Workbook, p: Period, scope: str, scope_id: str | None) -> dict:
    """`services.diagnosis.overview` for a scope, once per process and batch."""
    from salescoach.services import diagnosis

    key = (batch_key(wb, p), scope, scope_id)
    if key not in _OVERVIEWS:
        _OVERVIEWS.clear()
        _OVERVIEWS[key] = diagnosis.overview(wb, str(p), scope=scope, scope_id=scope_id)
    return _OVERVIEWS[key]


@pack_scope.section("group", prepare=[{}])
def gap_figure(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The scope's goal-gap waterfall (`charts.gap_waterfall`), or why there is none."""

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    parts = _overview(wb, p, scope, scope_id)["waterfall"]
    if parts.empty:
        return capabilities.NotAssessed("targets").text(wb.settings.language)
    brand = wb.settings["branding"]
    f = Formatter.for_settings(wb.settings)
    gap = float(parts["gap"].iloc[0])
    title = (
        _("Gap to goal {gap}: what explains it", gap=f.money_compact(gap))
        if gap > 0
        else _("Above goal by {amount}", amount=f.money_compact(-gap))
    )
    return charts.gap_waterfall(
        parts, title, f, brand["primary_colour"], brand["accent_colour"], wb.settings.language
    )


@pack_scope.section("group", prepare=[{}])
def systemic(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The material problems owned outside sales (production, marketing, logistics, customer
    service) that touch the scope, each with its owner, the action asked of them, and the part
    of the scope's gap its cause explains (one scale, so parts compare and add up)."""
    from salescoach.domain import diagnosis

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    seen = _overview(wb, p, scope, scope_id)
    f = Formatter.for_settings(wb.settings)
    parts = seen["waterfall"].groupby("part")["amount"].sum() if len(seen["waterfall"]) else {}
    rows = []
    for owner, found in diagnosis.by_owner(seen["findings"]).items():
        for r in found[found["cause"].isin(SYSTEMIC_CAUSES)].itertuples():
            rows.append(
                {
                    _("Owner"): label(owner),
                    _("Cause"): label(r.cause),
                    _("Where"): _where(r.scope, r.scope_id),
                    _("Evidence"): r.evidence,
                    _("Action"): r.action,
                    _("Cause's part of the gap"): f.money(parts.get(r.cause, np.nan)),
                }
            )
    if not rows:
        return _("No systemic problem found above the materiality threshold.")
    return pd.DataFrame(rows)


@pack_scope.section("group", prepare=[{}])
def coverage(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """Coaching and training coverage of the scope: courses in date, reps with an overdue
    course, reps on the coaching ladder, sessions held and open actions."""
    from salescoach.services import training as training_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    f = Formatter.for_settings(wb.settings)
    flags = _members(rep_flags(wb, p).reset_index(), scope, scope_id)
    n = len(flags)
    rows = []
    status = training_service.status(wb, str(p), scope, scope_id)
    if isinstance(status, str):
        rows.append((_("Training"), status))
    else:
        in_date = status["status"].isin(["current", "due_soon"])
        overdue = status.loc[status["status"].isin(["overdue", "never"]), "rep_id"].nunique()
        rows.append((_("Courses in date"), f.pct(in_date.mean() if len(status) else np.nan)))
        rows.append(
            (
                _("Reps with a course overdue or never taken"),
                _("{n} of {total}", n=f.number(overdue), total=f.number(n)),
            )
        )
    on_ladder = int((flags["step"] != "none").sum())
    rows.append(
        (
            _("Reps on the coaching ladder"),
            _("{n} of {total}", n=f.number(on_ladder), total=f.number(n)),
        )
    )
    try:
        from salescoach.services import coaching as coach_service

        sessions = coach_service.sessions(wb)
        ids = set(flags["rep_id"].astype(str))
        mine = sessions[sessions["rep_id"].astype(str).isin(ids)] if len(sessions) else sessions
        # A session records the period it was about; older records only when it was held.
        if len(mine) and "period" in mine:
            held = int((mine["period"].astype(str) == str(p)).sum())
        elif len(mine):
            when = pd.to_datetime(mine["at"], errors="coerce", utc=True).dt.tz_localize(None)
            held = int(((when >= p.start) & (when <= p.end + pd.Timedelta(days=1))).sum())
        else:
            held = 0
        rows.append((_("Coaching sessions in the period"), f.number(held)))
    except Exception:  # noqa: BLE001 - no store yet: no session on record
        rows.append((_("Coaching sessions in the period"), _("none on record")))
    awards = int(flags["award"].sum())
    rows.append((_("Awards proposed"), f.number(awards)))
    return pd.DataFrame(rows, columns=[_("Measure"), _("Value")]).set_index(_("Measure"))


@pack_scope.section("group", prepare=[{}])
def what_works(
    wb: Workbook | str | Path, scope: str, scope_id: str | None, period: str | None = None
):
    """The techniques that win in the scope: win rates with enough deals to judge, best first."""
    from salescoach.services import training as training_service

    wb = open_workbook(wb)
    p = parse_period(wb, period)
    table = training_service.what_works(wb, p, scope, scope_id)
    if "note" in table:
        return str(table["note"].iloc[0])
    table = table[table["enough"].astype(bool)].sort_values("win_rate", ascending=False).head(8)
    if table.empty:
        return _("Too few closed deals in this scope to tell which techniques win.")
    return training_service.what_works_shown(table, Formatter.for_settings(wb.settings))
