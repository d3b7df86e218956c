"""Diagnosis for a workbook: read facts, goals in force and settings; run the checks."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from salescoach.domain import actuals, attainment, diagnosis, roles
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _
from salescoach.services import (
    access as guard,
    batch,
    check_scope,
    period_or_default,
    using_store,
)


def _period(wb, period) -> Period:
    return period_or_default(wb, period)


def rep_attainment(tables, goal_events, period: Period) -> pd.DataFrame:
    """Revenue attainment per rep for the period (index rep_id: actual, target, attainment).
    Support staff who sell nothing have none, whatever goal an export gave them."""
    goals = attainment.goals_in_force(tables.get("targets"), goal_events)
    goals = goals[goals["metric"] == "revenue"]
    if tables.get("reps") is not None:
        goals = goals[~roles.support_goals(goals, tables["reps"], tables)]
    table = attainment.attainment_table(tables, goals, period)
    reps = table[table["scope"] == "rep"]
    return reps.set_index("scope_id")[["actual", "target", "attainment"]]


def _run_identity(wb, period=None, today=None) -> dict:
    """What one pass depends on besides the workbook: the period and the day it is judged on."""
    day = pd.Timestamp(today).date() if today is not None else dt.date.today()
    return {"period": str(_period(wb, period)), "today": day.isoformat()}


# Once per render batch: every pack reads the organisation's pass (see services.batch).
@batch.shared("diagnosis.run", _run_identity)
def run(wb, period=None, today=None) -> diagnosis.Diagnosis:
    """The whole pass (findings and what each check concluded) for a workbook and period;
    `today` is the clock (default: today) that says whether the period is over."""
    p = _period(wb, period)
    tables = wb.facts().all()
    if tables.get("reps") is None:
        raise InputError(_("Diagnosis needs a reps table; import one first."))
    try:
        events = using_store(wb, lambda store: store.frame(attainment.GOAL_KIND))
    except Exception:  # noqa: BLE001 - an empty or new store has no goal events
        events = None
    try:
        # attainment_table asks for the revenue events twice (the last day, then the sums):
        # built once, not twice over the million order lines (scale 7: 0.2 s).
        with actuals.reusing_events():
            att = rep_attainment(tables, events, p)
    except Exception:  # noqa: BLE001 - no goals for the period: the rep check says not assessed
        att = None
    # The typed, validated section; lateness is monitoring's definition, grace days included.
    section = {
        **dataclasses.asdict(wb.settings.diagnosis),
        "on_time_grace_days": wb.settings.monitoring.on_time_grace_days,
    }
    return diagnosis.diagnose(
        tables, p.start, p.end, att, section, Formatter.for_settings(wb.settings), today=today
    )


def _in_scope(findings: pd.DataFrame, reps: pd.DataFrame, scope, scope_id) -> pd.DataFrame:
    """Company-wide findings stay; rep findings only for the scope's members; a department's own
    delivery finding stays for that department and its teams."""
    if not scope or scope == "company":
        return findings
    from salescoach.domain.actuals import members

    try:
        ids = set(members(reps, scope, scope_id))
    except ValueError as exc:
        raise InputError(
            _("Unknown scope {scope}: use company, department, team or rep.", scope=repr(scope))
        ) from exc
    r = reps.set_index("rep_id")
    depts = set(r.loc[r.index.isin(ids), "department"])
    keep = ~findings["scope"].isin(("rep", "department", "team"))
    keep |= (findings["scope"] == "rep") & findings["scope_id"].isin(ids)
    keep |= (findings["scope"] == "department") & findings["scope_id"].isin(depts)
    return findings[keep].reset_index(drop=True)


def findings(wb, period=None, scope=None, scope_id=None, today=None) -> pd.DataFrame:
    """The findings of a period for a scope; `.attrs` holds "checks" (what each check concluded,
    not assessed and what it needs included), "state" (closed, under_way, not_started), "as_of"
    and, for a period not over, "pace"."""
    guard.require(wb, None, "findings.read", guard.Subject(scope or "company", scope_id))
    reps = wb.facts()["reps"]
    if reps is not None:  # without reps, `run` says what diagnosis needs
        check_scope(reps, scope, scope_id)
    result = run(wb, period, today)
    frame = _in_scope(result.findings, reps, scope, scope_id)
    frame.attrs["checks"] = result.checks
    frame.attrs["state"] = result.state
    frame.attrs["as_of"] = result.as_of
    frame.attrs["pace"] = result.pace
    return frame


def waterfall(wb, period=None, level="company", today=None) -> pd.DataFrame:
    """The goal-gap waterfall per scope at `level` (company, department, team, rep): see
    `salescoach.domain.diagnosis_gap.gap_waterfall`."""
    from salescoach.domain.diagnosis_gap import gap_waterfall

    result = run(wb, period, today)
    return gap_waterfall(result.gaps, result.effects, wb.facts()["reps"], level)


def rep_explanation(wb, rep_id: str, period=None, today=None) -> dict:
    """What explains one rep's own gap, with the next coaching step (see
    `salescoach.domain.diagnosis_gap.rep_explanation`)."""
    from salescoach.domain.diagnosis_gap import rep_explanation as explain
    from salescoach.services import coaching as coach_service

    guard.require(wb, None, "findings.read", guard.Subject.rep(rep_id))
    result = run(wb, period, today)
    try:
        steps = coach_service.steps(wb)
        sessions = coach_service.sessions(wb, rep_id)
        n = len(sessions)
    except Exception:  # noqa: BLE001 - a new workbook has no coaching records yet
        steps, n = None, 0
    minimum = int(wb.settings["packs"]["min_peers"])
    return explain(result, rep_id, steps, n, wb.facts()["reps"], minimum)


def by_owner(wb, period=None, scope=None, scope_id=None) -> dict[str, pd.DataFrame]:
    """Material problems per owning department (production, logistics, ...), for the briefs."""
    return diagnosis.by_owner(findings(wb, period, scope, scope_id))


def readable(found: pd.DataFrame, fmt: Formatter, lang: str = "en", names=None) -> pd.DataFrame:
    """Findings as a manager reads them: systemic causes first, then the rep's own; money
    formatted; internals (benchmark, rule) left out. The pack and the app both show this.
    `names` ({scope: {id: name}}, e.g. reps and products) shows "rep Laura Green (R013)"
    where a name is known, never a bare id."""
    from salescoach.i18n import label, translator

    _ = translator(lang)
    names = names or {}

    def where(scope: str, scope_id: str) -> str:
        name = names.get(scope, {}).get(scope_id)
        shown = f"{name} ({scope_id})" if name and str(name) != scope_id else scope_id
        return f"{label(scope, lang)} {shown}"

    if "material" in found:
        keep = found["material"].fillna(True).astype(bool)
        if "positive" in found:
            keep |= found["positive"].fillna(False).astype(bool)
        found = found[keep]
    found = found.assign(_own=found["scope"] == "rep").sort_values("_own", kind="stable")
    return pd.DataFrame(
        {
            _("Cause"): [label(c, lang) for c in found["cause"]],
            _("Where"): [
                where(scope, scope_id)
                for scope, scope_id in zip(
                    found["scope"], found["scope_id"].astype(str), strict=True
                )
            ],
            _("Evidence"): found["evidence"],
            _("Revenue at stake"): [fmt.money_compact(v) for v in found["impact"]],
            _("Confidence"): [
                _confidence(fmt, _, n, lo, hi)
                for n, lo, hi in zip(
                    found.get("n", [None] * len(found)),
                    found.get("low", [None] * len(found)),
                    found.get("high", [None] * len(found)),
                    strict=True,
                )
            ],
            _("Owner"): [label(o, lang) for o in found["owner"]],
            _("Action"): found["action"],
        }
    ).reset_index(drop=True)


def _confidence(fmt: Formatter, _, n, low, high) -> str:
    """ "n 4,075; 14.0%-16.2%": the sample a finding rests on and its interval."""
    if n is None or pd.isna(n):
        return ""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return _("n {n}", n=fmt.number(n))
    rate = 0 <= low <= 1 and 0 <= high <= 1
    lo, hi = (fmt.pct(low, 1), fmt.pct(high, 1)) if rate else (fmt.number(low), fmt.number(high))
    return _("n {n}; {low} to {high}", n=fmt.number(n), low=lo, high=hi)


def overview(wb, period=None, scope=None, scope_id=None, rep_id=None, today=None) -> dict:
    """One pass for a page: findings in scope (with attrs as `findings`), the waterfall for the
    scope (its level; the company's otherwise) and, given a rep, that rep's own explanation."""
    from salescoach.domain.diagnosis_gap import gap_waterfall, rep_explanation as explain

    result = run(wb, period, today)
    reps = wb.facts()["reps"]
    frame = _in_scope(result.findings, reps, scope, scope_id)
    frame.attrs.update(checks=result.checks, state=result.state, as_of=result.as_of)
    frame.attrs["pace"] = result.pace
    level = scope if scope in ("department", "team", "rep") else "company"
    w = gap_waterfall(result.gaps, result.effects, reps, level)
    if level != "company" and scope_id is not None:
        w = w[w["scope_id"] == str(scope_id)]
    return {
        "findings": frame,
        "waterfall": w.reset_index(drop=True),
        "rep": explain(result, rep_id, reps=reps, min_peers=int(wb.settings["packs"]["min_peers"]))
        if rep_id
        else None,
    }
