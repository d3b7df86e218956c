"""Monitoring against a workbook: results, the process with owners, pipeline, activity, support."""

from __future__ import annotations

import pandas as pd

from salescoach import actuals, monitoring
from salescoach.attainment import attainment_table, goals_in_force
from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.i18n import translator
from salescoach.periods import Period
from salescoach.workbook import Workbook


def _period(wb: Workbook, period) -> Period:
    try:
        return (
            period
            if isinstance(period, Period)
            else Period.parse(str(period), wb.settings.fiscal_year_start_month)
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _goals(wb: Workbook) -> pd.DataFrame:
    with wb.store() as store:
        events = store.frame("goal")
    return goals_in_force(wb.facts().get("targets"), events)


def results(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """The scope's results with prior period and same period last year, plus attainment."""
    tables = wb.facts().all()
    p = _period(wb, period)
    frame = monitoring.scope_results(tables, scope, scope_id, p)
    att = attainment_table(tables, _goals(wb), p)
    sid = "company" if scope == "company" else scope_id
    mine = att[(att["scope"] == scope) & (att["scope_id"] == sid)]
    for r in mine.itertuples():
        frame.loc[f"{r.metric} goal", "period"] = r.target
        frame.loc[f"{r.metric} attainment", "period"] = r.attainment
        frame.loc[f"{r.metric} projection", "period"] = r.projection
    return frame


def scope_summary(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """The process from order to service for a scope, formatted, each stage with its owner."""
    tables = wb.facts().all()
    p = _period(wb, period)
    config = monitoring.MonitoringSettings.from_settings(wb.settings)
    members = actuals.members(tables["reps"], scope, scope_id)
    stages = monitoring.process_stages(tables, p, members, config)
    return format_stages(stages, Formatter.for_settings(wb.settings), wb.settings.language)


def format_stages(stages: pd.DataFrame, fmt: Formatter, lang: str = "en") -> pd.DataFrame:
    _ = translator(lang)

    def show(value, unit):
        if pd.isna(value):
            return "–"
        return {
            "share": fmt.pct(value, 1),
            "days": fmt.number(value, 1),
            "score": fmt.number(value, 1),
        }.get(unit, fmt.number(value))

    rows = []
    for r in stages.to_dict("records"):
        unit = r.get("unit")
        rows.append(
            {
                _("Stage"): r["stage"],
                _("Owner"): r["owner"],
                _("Measure"): r["measure"],
                _("This scope"): show(r.get("value"), unit),
                _("Company"): show(r.get("company"), unit),
                _("Breach"): _("yes") if r.get("breach") is True else "",
            }
        )
    return pd.DataFrame(rows)


def pipeline(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    tables = wb.facts().all()
    deals = tables.get("deals")
    if deals is None:
        raise InputError("not assessed: no deals data")
    p = _period(wb, period)
    config = monitoring.MonitoringSettings.from_settings(wb.settings)
    as_of = min(p.end, actuals.events(tables, "revenue")["date"].max())
    members = actuals.members(tables["reps"], scope, scope_id)
    return monitoring.pipeline(
        deals, tables.get("activities"), members, as_of, config.stale_deal_days
    )
