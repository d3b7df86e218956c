"""Recognition against a workbook: standings, proposed and approved awards, leaderboards."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salescoach import actuals, recognition
from salescoach.attainment import attainment_table, goals_in_force
from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.periods import Period
from salescoach.workbook import Workbook


def _period(wb: Workbook, period) -> Period:
    try:
        return Period.parse(str(period), wb.settings.fiscal_year_start_month)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _rep_attainment(tables, goals, period: Period) -> pd.DataFrame:
    att = attainment_table(tables, goals, period)
    att = att[(att["scope"] == "rep") & (att["metric"] == "revenue")]
    return att.set_index("scope_id")[["target", "actual", "attainment"]]


def standings(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """One row per seller of the scope with what the award rules read."""
    tables = wb.facts().all()
    p = _period(wb, period)
    with wb.store() as store:
        goal_events = store.frame("goal")
        award_events = store.frame(recognition.AWARD_KIND)
    goals = goals_in_force(tables.get("targets"), goal_events)
    reps = tables["reps"]
    sellers = reps[
        (reps.get("role", "seller") != "support")
        & reps["rep_id"].isin(actuals.members(reps, scope, scope_id))
    ]
    now = _rep_attainment(tables, goals, p).reindex(sellers["rep_id"])
    out = sellers.set_index("rep_id")[["name", "team", "department"]].copy()
    out["goal"], out["revenue"], out["attainment"] = now["target"], now["actual"], now["attainment"]
    # Consecutive periods met, ending with this one; and the change on the previous period.
    met = pd.Series(0, index=out.index)
    still = pd.Series(True, index=out.index)
    previous = None
    for back in range(0, 8):
        q = p.shift(-back)
        a = _rep_attainment(tables, goals, q)["attainment"].reindex(out.index)
        if back == 1:
            previous = a
        still &= a >= 1.0
        met += still.astype(int)
    out["periods_met"] = met
    out["improvement"] = out["attainment"] - previous if previous is not None else np.nan
    trailing_start = p.shift(-4).start
    out["trailing"] = (
        actuals.per_rep(tables, "revenue", trailing_start, p.start - pd.Timedelta(days=1))
        .reindex(out.index)
        .fillna(0)
        / 4
    )
    feedback = tables.get("feedback")
    if feedback is not None and "rep_id" in feedback:
        fb = feedback[p.contains(feedback["date"])]
        out["feedback"] = fb.groupby("rep_id")["score"].mean().reindex(out.index)
        out["feedback_responses"] = fb.groupby("rep_id").size().reindex(out.index).fillna(0)
    activities = tables.get("activities")
    if activities is not None:
        now_acts = activities[p.contains(activities["date"])].groupby("rep_id").size()
        prev = p.shift(-1)
        before = activities[prev.contains(activities["date"])].groupby("rep_id").size()
        out["activity_trend"] = (now_acts / before.where(before > 0) - 1).reindex(out.index)
    last: dict[str, str] = {}
    if len(award_events) and {"status", "period", "rep_id"} <= set(award_events.columns):
        recognised = award_events[award_events["status"].isin(["approved", "communicated"])]
        for rep, when in zip(recognised["rep_id"], recognised["period"]):
            if isinstance(when, str):
                last[rep] = max(last.get(rep, ""), when)
    out["periods_unrecognised"] = [_periods_between(last.get(rep), p) for rep in out.index]
    orders = tables.get("orders")
    if orders is not None and "promised_date" in orders:
        lines = orders[p.contains(orders["order_date"]) & orders["delivered_date"].notna()] if "delivered_date" in orders else None
        if lines is not None and len(lines):
            late = lines["delivered_date"] > lines["promised_date"]
            out["late_share"] = late.groupby(lines["rep_id"]).mean().reindex(out.index)
            out.attrs["company_late_share"] = float(late.mean())
    program = recognition.ProgramSettings.from_settings(wb.settings)
    if program.plan is not None:
        out["paid"] = out["attainment"].map(program.plan.payout)
    return out


def _periods_between(last: str | None, period: Period) -> int:
    if not last:
        return 99
    n = 0
    q = period
    while str(q) != last and n < 99:
        q = q.shift(-1)
        n += 1
    return n


def candidates(
    wb: Workbook,
    period,
    scope: str = "company",
    scope_id: str | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """The awards the rules grant for the period, each with its cost and sentence."""
    table = standings(wb, period, scope, scope_id)
    program = recognition.ProgramSettings.from_settings(wb.settings)
    return recognition.awards(
        table, program, Formatter.for_settings(wb.settings), lang or wb.settings.language
    )


def propose(wb: Workbook, period, who: str) -> list:
    """Record every candidate award as `proposed` (a decision the manager then approves)."""
    p = _period(wb, period)
    found = candidates(wb, p)
    records = []
    for r in found[found["granted"]].itertuples():
        data = {
            "rep_id": r.rep_id,
            "period": str(p),
            "rule": r.rule,
            "reward": r.reward,
            "award": r.award,
            "amount": float(r.amount),
            "status": "proposed",
            "sentence": r.sentence,
        }
        records.append(
            (
                recognition.AWARD_KIND,
                recognition.award_key(r.rep_id, r.rule, str(p)),
                data,
                who,
                r.sentence,
            )
        )
    if not records:
        return []
    with wb.store() as store:
        return store.append_many(records)


def set_status(wb: Workbook, key: str, status: str, who: str, why: str):
    """Approve, communicate or reject a proposed award: a new event, the old one kept."""
    if status not in recognition.STATUSES:
        raise InputError(f"unknown status {status!r}; use one of {', '.join(recognition.STATUSES)}")
    if not (why or "").strip():
        raise InputError("a decision on an award needs a reason")
    with wb.store() as store:
        history = store.history(recognition.AWARD_KIND, key=key)
        if not history:
            raise InputError(f"no award {key!r}; run `salescoach awards propose` first")
        data = dict(history[-1].data, status=status)
        return store.append(recognition.AWARD_KIND, key, data, who, why.strip())


def current(wb: Workbook, period: str | None = None) -> pd.DataFrame:
    with wb.store() as store:
        frame = store.current(recognition.AWARD_KIND)
    if period and len(frame):
        frame = frame[frame["period"] == period]
    return frame


def leaderboard(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    table = standings(wb, period, scope, scope_id).sort_values("attainment", ascending=False)
    table.insert(0, "rank", recognition.rank_with_ties(table["attainment"]))
    return table[["rank", "name", "team", "department", "attainment", "revenue", "goal"]]


def explain_missed(wb: Workbook, period, rep_id: str, lang: str | None = None) -> str:
    """Why a rep who missed has no goal award, with the late deliveries that weigh on it."""
    table = standings(wb, period)
    if rep_id not in table.index:
        raise InputError(f"unknown seller {rep_id!r}")
    row = table.loc[rep_id]
    return recognition.missed_goal_context(
        row.get("late_share", np.nan),
        table.attrs.get("company_late_share", np.nan),
        row["attainment"],
        Formatter.for_settings(wb.settings),
        lang or wb.settings.language,
    )


def awards(wb: Workbook, scope: str = "rep", scope_id: str | None = None, period: str | None = None) -> pd.DataFrame | str:
    """A rep's approved or communicated awards for the review pack; for a rep who missed, why
    there is none. Only that rep's own awards: nobody else's name or figure."""
    from salescoach.i18n import translator

    _ = translator(wb.settings.language)
    if scope != "rep" or not scope_id:
        raise InputError("awards for a pack are per rep")
    fmt = Formatter.for_settings(wb.settings)
    frame = current(wb, str(period) if period else None)
    if len(frame):
        frame = frame[(frame["rep_id"] == scope_id) & frame["status"].isin(["approved", "communicated"])]
    if not len(frame):
        try:
            return explain_missed(wb, period, scope_id) if _missed(wb, period, scope_id) else _("No award approved for this period yet.")
        except InputError:
            return _("No award approved for this period yet.")
    return pd.DataFrame(
        {
            _("Award"): frame["award"],
            _("Value"): [fmt.money(v) for v in frame["amount"]],
            _("Status"): frame["status"],
            _("Why"): frame["sentence"],
        }
    ).reset_index(drop=True)


def _missed(wb: Workbook, period, rep_id: str) -> bool:
    table = standings(wb, period)
    return rep_id in table.index and table.loc[rep_id, "attainment"] < 1
