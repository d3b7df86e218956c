"""Goals against a workbook: suggestions, versions, acknowledgements and letters."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from salescoach import goals
from salescoach.attainment import GOAL_KIND, attainment_table, goal_key, goals_in_force
from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.i18n import translator
from salescoach.periods import Period
from salescoach.templating import render
from salescoach.workbook import Workbook


def last_data_day(tables) -> pd.Timestamp | None:
    """The newest date in the facts: 'now' for a workbook, so closed periods do not depend on
    the day the export is opened."""
    days = [
        t[c].max()
        for name, c in (("orders", "order_date"), ("deals", "close_date"))
        if (t := tables.get(name)) is not None and c in t
    ]
    days = [d for d in days if pd.notna(d)]
    return max(days) if days else None


def in_force(wb: Workbook) -> pd.DataFrame:
    facts = wb.facts()
    with wb.store() as store:
        events = store.frame(GOAL_KIND)
    return goals_in_force(facts.get("targets"), events)


def suggestions(
    wb: Workbook, period: str, level: str = "rep", metric: str = "revenue"
) -> list[goals.Suggestion]:
    config = goals.SuggestionSettings.from_settings(wb.settings)
    p = _period(wb, period)
    return goals.suggest_all(wb.facts().all(), level, p, metric, config)


def _period(wb: Workbook, period: str) -> Period:
    try:
        return Period.parse(period, wb.settings.fiscal_year_start_month)
    except ValueError as exc:
        raise InputError(str(exc)) from None


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
):
    """Append a goal version; refuses bad input (nothing written)."""
    tables = wb.facts().all()
    goals.check_goal_input(
        scope,
        scope_id,
        period,
        metric,
        target,
        reason,
        tables["reps"],
        closed_before=last_data_day(tables),
        force=force,
        fiscal_start=wb.settings.fiscal_year_start_month,
    )
    key, data = goals.goal_record(scope, scope_id, period, metric, target, because, basis)
    with wb.store() as store:
        return store.append(GOAL_KIND, key, data, who, reason.strip())


def apply_suggestions(
    wb: Workbook, items: list[goals.Suggestion], reason: str, who: str, force: bool = False
):
    """Store a batch of suggestions as goal versions in one transaction."""
    if not (reason or "").strip():
        raise InputError("a goal needs a reason (why it is set or revised)")
    tables = wb.facts().all()
    fmt = Formatter.for_settings(wb.settings)
    records = []
    for s in items:
        goals.check_goal_input(
            s.scope,
            s.scope_id,
            s.period,
            s.metric,
            round(s.value, 2),
            reason,
            tables["reps"],
            closed_before=last_data_day(tables),
            force=force,
            fiscal_start=wb.settings.fiscal_year_start_month,
        )
        key, data = goals.goal_record(
            s.scope,
            s.scope_id,
            s.period,
            s.metric,
            round(s.value, 2),
            "performance",
            s.sentence(fmt, wb.settings.language),
        )
        records.append((GOAL_KIND, key, data, who, reason.strip()))
    with wb.store() as store:
        return store.append_many(records)


def history(wb: Workbook, key_prefix: str | None = None) -> pd.DataFrame:
    with wb.store() as store:
        events = store.frame(GOAL_KIND)
    return goals.goal_history(events, wb.facts().get("targets"), key_prefix)


def acknowledge(
    wb: Workbook,
    rep_id: str,
    period: str,
    outcome: str,
    who: str,
    comment: str = "",
    manager: str | None = None,
    discussed_on: str | None = None,
):
    """Record that a rep's goal was discussed: agreed or disputed, with the rep's comment."""
    if outcome not in ("agreed", "disputed"):
        raise InputError("say whether the rep agreed or disputed the goal")
    reps = wb.facts()["reps"]
    if rep_id not in set(reps["rep_id"]):
        raise InputError(f"unknown rep {rep_id!r}: not in the workbook's reps")
    p = _period(wb, period)
    day = pd.Timestamp(discussed_on) if discussed_on else pd.Timestamp.now().normalize()
    data = {
        "rep_id": rep_id,
        "period": str(p),
        "discussed_on": day.strftime("%Y-%m-%d"),
        "manager": manager or who,
        "outcome": outcome,
        "comment": comment or "",
    }
    with wb.store() as store:
        return store.append(
            goals.ACK_KIND, goals.ack_key(rep_id, str(p)), data, who, comment or outcome
        )


def acknowledgements(wb: Workbook, period: str) -> pd.DataFrame:
    with wb.store() as store:
        acks = store.current(goals.ACK_KIND)
    return goals.acknowledgement_status(wb.facts()["reps"], _period(wb, period), acks)


def attainment(wb: Workbook, period: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    return attainment_table(wb.facts().all(), in_force(wb), _period(wb, period), as_of)


def goal_letter(
    wb: Workbook, rep_id: str, period: str, metric: str = "revenue", lang: str | None = None
) -> str:
    """One rep's goal letter as self-contained HTML (escaped)."""
    lang = lang or wb.settings.language
    _ = translator(lang)
    fmt = Formatter(
        wb.settings.locale if lang == wb.settings.language else _locale_for(lang),
        wb.settings.currency,
    )
    reps = wb.facts()["reps"].set_index("rep_id")
    if rep_id not in reps.index:
        raise InputError(f"unknown rep {rep_id!r}: not in the workbook's reps")
    key = goal_key("rep", rep_id, period, metric)
    hist = history(wb, key)
    previous, current = goals.letter_changes(hist, key)
    if current is None:
        raise InputError(f"{rep_id} has no {metric} goal for {period}")
    last = hist.iloc[-1]
    value = fmt.money if metric == "revenue" else fmt.number
    reason_text = {
        "imported": _("Your goal comes from the company's target plan."),
        "performance": _(
            "It was set from your own results in recent periods and the usual pattern of the year."
        ),
        "economy": _("It was revised for the state of the economy and the market."),
        "competition": _(
            "It was revised for the competitive environment, including competitors' prices."
        ),
        "other": _("It was revised by your manager."),
    }.get(last["reason"], _("It was revised by your manager."))
    with wb.store() as store:
        events = store.history(GOAL_KIND, key=key)
    basis = events[-1].data.get("basis") if events else None
    brand = wb.settings["branding"]
    return render(
        "letters/goal_letter.html.j2",
        lang=lang,
        company=wb.settings.company_name,
        rep_name=reps.loc[rep_id, "name"],
        period_label=fmt.period(period),
        metric_label=_(metric),
        target=value(current),
        previous=value(previous) if previous is not None else None,
        change=fmt.pct((current - previous) / previous, 0, signed=True) if previous else "",
        reason=reason_text,
        basis=basis,
        why=last["why"] if isinstance(last["why"], str) else None,
        set_by=last["set_by"] or "",
        primary_colour=brand["primary_colour"],
        accent_colour=brand["accent_colour"],
        footer=brand["footer"],
    )


def _locale_for(lang: str) -> str:
    return {"el": "el_GR", "en": "en_IE"}.get(lang, lang)


def write_letters(
    wb: Workbook, period: str, rep_ids: list[str] | None = None, lang: str | None = None
) -> list[Path]:
    """One HTML letter per rep with a goal, under reports/<period>/letters/, written atomically."""
    goals_now = in_force(wb)
    have = goals_now[
        (goals_now["scope"] == "rep")
        & (goals_now["period"] == period)
        & (goals_now["metric"] == "revenue")
    ]
    wanted = rep_ids or sorted(have["scope_id"])
    folder = wb.reports_dir / period / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rep_id in wanted:
        html = goal_letter(wb, rep_id, period, lang=lang)
        path = folder / f"{rep_id}.html"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths
