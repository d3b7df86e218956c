"""Goals against a workbook: suggestions, top-down splits, versions, acknowledgements, letters.

A period has *closed* when it ended before the newest date in the workbook's data (not before
today), so an export opened months later behaves as it did on the day it was taken.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, decisions, goals, roles
from salescoach.domain.attainment import GOAL_KIND, attainment_table, goal_key, goals_in_force
from salescoach.domain.fmt import Formatter
from salescoach.errors import InputError
from salescoach.i18n import _, label, plural_translator, translator
from salescoach.services import (
    access as guard,
    check_seller,
    last_data_day,
    period_of,
    staff_and_now,
    writing,
)
from salescoach.templating import render

SPLIT_COLUMNS = [
    "period",
    "metric",
    "parent_scope",
    "parent_id",
    "total",
    "total_source",
    "scope",
    "scope_id",
    "share",
    "target",
    "basis",
]


def in_force(wb: Workbook) -> pd.DataFrame:
    person = guard.require_role(wb, "goal.read")
    facts = wb.facts()
    with wb.store() as store:
        events = store.frame(GOAL_KIND)
    return guard.visible(wb, person, goals_in_force(facts.get("targets"), events))


_period = period_of


def _config(wb: Workbook) -> goals.SuggestionSettings:
    return goals.SuggestionSettings.from_settings(wb.settings)


def suggestions(
    wb: Workbook, period: str, level: str = "rep", metric: str = "revenue"
) -> list[goals.Suggestion]:
    """A suggestion for every seller on staff, team, department, or the company."""
    facts = wb.facts()
    p, config = _period(wb, period), _config(wb)
    per_period, family_sales = _queried_history(facts, p, metric, config.fiscal_start)
    return goals.suggest_all(
        facts.view(), level, p, metric, config, per_period, family_sales_between=family_sales
    )


def closed_note(wb: Workbook, period: str, apply_: bool, force: bool) -> str | None:
    """What a suggestion for a closed period is (a comparison with what was set), or None
    when the period is open. Storing them without `force` fails here, before anything is
    worked out, with the message every write of a closed period gives."""
    p = _period(wb, period)
    now = last_data_day(wb)
    if decisions.period_state(p, now) != decisions.CLOSED:
        return None
    if apply_:
        decisions.check_open_period(p, now, force)
    return _(
        "{period} has closed: these are the goals the kit would have suggested, to compare"
        " with what was set; storing them needs --force.",
        period=str(p),
    )


def _queried_history(facts, period, metric: str, fiscal_start: int):
    """The rep x period history and the family mix summed by DuckDB where the order lines lie,
    as the app's kernel sums them (tests/test_facts_query.py holds both paths equal): at
    scale 7 the million lines are never loaded. (None, None) when the lines are in memory
    already or the metric is not summed from them: the frames' own path."""
    from salescoach.data import facts_query
    from salescoach.domain.goals_history import family_sales, family_table

    if facts.folder is None or facts.loaded("orders") or metric not in ("revenue", "units"):
        return None, None
    # Months sum to every period kind (a period is whole months of the fiscal calendar).
    monthly = facts_query.daily_order_sums(facts.folder, metric, grain="month")
    if monthly is None:
        return None, None
    tables = facts.view()

    def between(start, end):
        sums = facts_query.rep_product_sums(facts.folder, start, end)
        if sums is None:
            return family_sales(tables, start, end)
        return family_table(sums, tables.get("products"))

    return actuals.per_period_of(monthly, period.kind, fiscal_start), between


def support_note(wb: Workbook, lang: str | None = None) -> str | None:
    """The sentence saying support staff were left out of seller goals, or None (support staff
    who also sell take a seller goal on their own sales)."""
    facts = wb.facts()
    # The view: who sells is then asked of the order files, not of a million loaded lines.
    n = len(roles.support_only(facts["reps"], facts.view()))
    if not n:
        return None
    ngettext = plural_translator(lang or wb.settings.language)
    return ngettext(
        "{n} support staff member takes no seller goal: measured on the deals they assist.",
        "{n} support staff take no seller goal: they are measured on the deals they assist.",
        n,
        n=n,
    )


def split(
    wb: Workbook,
    period: str,
    parent_level: str,
    child_level: str,
    mode: str | None = None,
    metric: str = "revenue",
) -> pd.DataFrame:
    """Each parent's goal in force (or, without one, its suggestion) split to its children.

    Returns one row per child: parent, the parent's total and where it came from, the child's
    share, target and the sentence saying how it was set.
    """
    mode = mode or wb.settings.goals.allocation
    p = _period(wb, period)
    tables = wb.facts().view()
    config = _config(wb)
    fmt = Formatter.for_settings(wb.settings)
    lang = wb.settings.language
    now = in_force(wb)
    now = now[(now["period"] == str(p)) & (now["metric"] == metric)]
    inputs = None
    rows = []
    for parent in goals.units_at(tables["reps"], parent_level, p, tables):
        pid = parent if parent_level != "company" else "company"
        found = now[(now["scope"] == parent_level) & (now["scope_id"] == pid)]
        if len(found):
            total, source = float(found["target"].iloc[-1]), "goal"
        else:
            if inputs is None:
                inputs = goals.suggestion_inputs(tables, p, metric, config)
            total = goals.suggest(tables, parent_level, parent, p, metric, inputs=inputs).value
            source = "suggested"
        parts = goals.split_down(
            tables, total, parent_level, parent, child_level, p, mode, metric, config.fiscal_start
        )
        label = pid if parent_level != "company" else translator(lang)("company")
        for child, target in parts.items():
            share = target / total if total else 0.0
            rows.append(
                {
                    "period": str(p),
                    "metric": metric,
                    "parent_scope": parent_level,
                    "parent_id": pid,
                    "total": total,
                    "total_source": source,
                    "scope": child_level,
                    "scope_id": child,
                    "share": share,
                    "target": round(float(target), 2),
                    "basis": goals.split_sentence(share, label, total, mode, fmt, metric, lang),
                }
            )
    return pd.DataFrame(rows, columns=SPLIT_COLUMNS)


def allocation(
    wb: Workbook, period: str, level: str = "team", metric: str = "revenue", mode: str | None = None
) -> tuple[pd.DataFrame, float, float]:
    """The company's goal split top-down to `level`, next to the bottom-up suggestions.

    Returns (the comparison, the company's total, the sum of the bottom-up suggestions): the
    gap between the last two is the manager's to close, never hidden.
    """
    level = level if level in goals.LEVELS else "department"
    top = split(wb, period, "company", level, mode, metric)
    bottom = pd.Series({s.scope_id: s.value for s in suggestions(wb, period, level, metric)})
    frame = goals.compare_allocations(top.set_index("scope_id")["target"], bottom)
    total = float(top["total"].iloc[0]) if len(top) else 0.0
    return frame, total, float(bottom.sum())


def gaps(wb: Workbook, period: str, metric: str = "revenue") -> pd.DataFrame:
    """Roll-up gaps of the goals in force: each group against the sum of its parts."""
    p = _period(wb, period)
    facts = wb.facts()
    return goals.rollup_gaps(
        in_force(wb),
        facts["reps"],
        str(p),
        metric,
        wb.settings.fiscal_year_start_month,
        tables=facts,
    )


def set_goal(
    wb: Workbook,
    scope: str,
    scope_id: str | None,
    period: str,
    target: float,
    reason: str,
    who: str,
    because: str = "performance",
    metric: str = "revenue",
    basis: str | None = None,
    force: bool = False,
    store=None,
    tables=None,
):
    """Append a goal version; refuses bad input (nothing written).

    The one way a goal is written (`salescoach goals set`, the app, a notebook). `force` is
    the explicit override a closed period needs; the version then records `override: true`.
    `store` and `tables` are the caller's open store and facts (the app's), else the
    workbook's are read.
    """
    return _apply(
        wb,
        [(scope, scope_id, period, metric, target, because, basis)],
        reason,
        who,
        force,
        store,
        tables,
    )[0]


def _apply(
    wb: Workbook, items: list[tuple], reason: str, who: str, force: bool, store=None, tables=None
):
    """Check every (scope, id, period, metric, target, because, basis) first, then store all
    of them in one transaction: one bad item writes nothing."""
    reason = decisions.check_reason(reason, _("a goal needs a reason (why it is set or revised)"))
    reps, now = staff_and_now(wb, tables)
    fmt = Formatter.for_settings(wb.settings)
    selling = roles.selling(tables if tables is not None else wb.facts())
    records = []
    for scope, scope_id, period, metric, target, because, basis in items:
        guard.require_who(wb, who, "goal.write", guard.Subject(scope, scope_id), reps)
        p = goals.check_goal_input(
            scope,
            scope_id,
            str(period),
            metric,
            target,
            reason,
            reps,
            closed_before=now,
            force=force,
            fiscal_start=wb.settings.fiscal_year_start_month,
            fmt=fmt,
            selling=selling,
        )
        override = decisions.period_state(p, now) == decisions.CLOSED
        key, data = goals.goal_record(
            scope, scope_id, str(p), metric, float(target), because, basis, override
        )
        records.append((GOAL_KIND, key, data, who, reason))
    if not records:
        return []
    return writing(wb, store, lambda s: s.append_many(records))


def apply_suggestions(
    wb: Workbook, items: list[goals.Suggestion], reason: str, who: str, force: bool = False
):
    """Store a batch of suggestions as goal versions, each with its arithmetic as its basis."""
    fmt = Formatter.for_settings(wb.settings)
    lang = wb.settings.language
    return _apply(
        wb,
        [
            (
                s.scope,
                s.scope_id,
                s.period,
                s.metric,
                round(s.value, 2),
                "performance",
                s.sentence(fmt, lang),
            )
            for s in items
        ],
        reason,
        who,
        force,
    )


def apply_split(wb: Workbook, frame: pd.DataFrame, reason: str, who: str, force: bool = False):
    """Store a top-down split (from `split`) as goal versions, each with its sentence."""
    return _apply(
        wb,
        [
            (r.scope, r.scope_id, r.period, r.metric, r.target, "performance", r.basis)
            for r in frame.itertuples()
        ],
        reason,
        who,
        force,
    )


def history(wb: Workbook, key_prefix: str | None = None) -> pd.DataFrame:
    person = guard.require_role(wb, "goal.read")
    with wb.store() as store:
        events = store.frame(GOAL_KIND)
    return guard.visible(
        wb, person, goals.goal_history(events, wb.facts().get("targets"), key_prefix)
    )


def acknowledge(
    wb: Workbook,
    rep_id: str,
    period: str,
    outcome: str,
    who: str,
    comment: str = "",
    manager: str | None = None,
    discussed_on: str | None = None,
    store=None,
    tables=None,
):
    """Record that a rep's goal was discussed: agreed or disputed, with the rep's comment.

    Only a seller on staff during the period has a goal to discuss."""
    if outcome not in ("agreed", "disputed"):
        raise InputError(
            _("say whether the rep agreed or disputed the goal (--agreed or --disputed)")
        )
    p = _period(wb, period)
    reps, _now = staff_and_now(wb, tables)
    guard.require_who(wb, who, "ack.write", guard.Subject.rep(rep_id), reps)
    check_seller(wb, tables, reps, rep_id, p)
    try:
        day = pd.Timestamp(discussed_on) if discussed_on else pd.Timestamp.now().normalize()
    except ValueError:
        raise InputError(_("{day} is not a date; use YYYY-MM-DD", day=discussed_on)) from None
    data = {
        "rep_id": rep_id,
        "period": str(p),
        "discussed_on": day.strftime("%Y-%m-%d"),
        "manager": manager or who,
        "outcome": outcome,
        "comment": (comment or "").strip(),
    }
    why = data["comment"] or outcome
    key = decisions.ack_key(rep_id, str(p))
    return writing(wb, store, lambda s: s.append(goals.ACK_KIND, key, data, who, why))


def acknowledgements(wb: Workbook, period: str) -> pd.DataFrame:
    """Every seller on staff in the period: discussed or not (those still waiting first)."""
    person = guard.require_role(wb, "ack.read")
    with wb.store() as store:
        acks = store.current(goals.ACK_KIND)
    facts = wb.facts()
    status = goals.acknowledgement_status(facts["reps"], _period(wb, period), acks, facts)
    return guard.visible(wb, person, status)


def attainment(wb: Workbook, period: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    return attainment_table(wb.facts().view(), in_force(wb), _period(wb, period), as_of)


def render_goal_letter(
    wb: Workbook, rep_id: str, period: str, metric: str = "revenue", lang: str | None = None
) -> str:
    """One rep's goal letter as self-contained HTML (every value escaped).

    The goal in force, how it was set (the driver and the arithmetic or split sentence), the
    manager's note, and what changed since the previous version. The packs' PDF renderer
    prints this HTML as it is.
    """
    guard.require(wb, None, "goal.read", guard.Subject.rep(rep_id))
    settings = wb.settings.with_language(lang)
    lang = settings.language
    gettext = translator(lang)
    fmt = Formatter.for_settings(settings)
    reps = wb.facts()["reps"].drop_duplicates("rep_id").set_index("rep_id")
    if rep_id not in reps.index:
        raise InputError(_("unknown rep {rep_id}: not in the workbook's reps", rep_id=rep_id))
    key = goal_key("rep", rep_id, str(_period(wb, period)), metric)
    hist = history(wb, key)
    hist = hist[hist["key"] == key]
    previous, current = goals.letter_changes(hist, key)
    if current is None:
        raise InputError(
            _(
                "{rep_id} has no {metric} goal for {period}",
                rep_id=rep_id,
                metric=metric,
                period=period,
            )
        )
    last = hist.iloc[-1]
    value = fmt.money if metric == "revenue" else fmt.number
    reason_text = {
        "imported": gettext("Your goal comes from the company's target plan."),
        "performance": gettext(
            "It was set from your own results in recent periods and the usual pattern of the year."
        ),
        "economy": gettext("It was revised for the state of the economy and the market."),
        "competition": gettext(
            "It was revised for the competitive environment, including competitors' prices."
        ),
        "other": gettext("It was revised by your manager."),
    }.get(last["reason"], gettext("It was revised by your manager."))
    basis = last["basis"] if isinstance(last["basis"], str) else None
    brand = wb.settings["branding"]
    return render(
        "letters/goal_letter.html.j2",
        lang=lang,
        company=wb.settings.company_name,
        rep_name=reps.loc[rep_id, "name"],
        period_label=fmt.period(period),
        metric_label=label(metric, lang),
        target=value(current),
        version=int(last["version"]),
        previous=value(previous) if previous is not None else None,
        change=fmt.pct((current - previous) / previous, 0, signed=True) if previous else "",
        reason=reason_text,
        basis=basis,
        why=last["why"] if isinstance(last["why"], str) else None,
        set_by=last["set_by"] if isinstance(last["set_by"], str) else "",
        set_on=fmt.date(last["set_at"]) if pd.notna(last["set_at"]) else None,
        primary_colour=brand["primary_colour"],
        accent_colour=brand["accent_colour"],
        footer=brand["footer"],
    )


def write_letters(
    wb: Workbook,
    period: str,
    rep_ids: list[str] | None = None,
    lang: str | None = None,
    metric: str = "revenue",
) -> list[Path]:
    """One HTML letter per rep with a goal, under reports/<period>/letters/, written atomically.

    Every letter is rendered before any is written, so an unknown rep writes nothing.
    """
    p = str(_period(wb, period))
    goals_now = in_force(wb)
    have = goals_now[
        (goals_now["scope"] == "rep") & (goals_now["period"] == p) & (goals_now["metric"] == metric)
    ]
    wanted = list(rep_ids) if rep_ids else sorted(have["scope_id"])
    pages = {rep_id: render_goal_letter(wb, rep_id, p, metric, lang) for rep_id in wanted}
    folder = wb.reports_dir / p / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rep_id, html in pages.items():
        path = folder / f"{rep_id}.html"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths
