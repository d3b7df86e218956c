"""Recognition against a workbook: standings, proposals, award decisions, leaderboards, the
budget, fairness and retention.

Awards are decisions in the store: kind `award`, key `award:<period>|<rule>|<rep_id>`, data
`{rep_id, period, rule, reward, award, amount, cost, status, sentence}`; each status change
(proposed -> approved -> communicated, or rejected) is a new event with who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, decisions, recognition, roles
from salescoach.domain.attainment import goals_in_force
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.domain.recognition import AWARD_KIND, NEXT_STATUS, ProgramSettings
from salescoach.errors import InputError
from salescoach.i18n import _, translator
from salescoach.services import (
    Saved,
    access as guard,
    batch,
    check_scope,
    check_seller,
    period_of,
    staff_and_now,
    writing,
)

DECIDED = ("approved", "communicated")


_period = period_of


def _members(wb: Workbook, scope: str, scope_id: str | None) -> pd.Index | None:
    if scope == "company":
        return None
    reps = wb.facts()["reps"]
    check_scope(reps, scope, scope_id)
    return actuals.members(reps, scope, scope_id)


def events(wb: Workbook) -> pd.DataFrame:
    """Every award event, oldest first, with rep_id, period and rule read from the key (the
    app's manual awards `rep:<rep_id>|<period>` included, as rule `manual`, approved)."""
    person = guard.require_role(wb, "award.read")
    with wb.store() as store:
        frame = store.frame(AWARD_KIND)
    if frame.empty:
        return pd.DataFrame(
            columns=["event_id", "at", "who", "key", "rep_id", "period", "rule", "status", "why"]
        )
    if not person.everything:
        frame = frame[frame["key"].map(recognition.parse_award_key).notna()].copy()
        frame["rep_id"] = [recognition.parse_award_key(k)["rep_id"] for k in frame["key"]]
        frame = guard.visible(wb, person, frame)
    parsed = frame["key"].map(recognition.parse_award_key)
    frame = frame[parsed.notna()].copy()
    parsed = parsed[parsed.notna()]
    for column in ("rep_id", "period", "rule"):
        frame[column] = [p[column] for p in parsed]
    if "status" not in frame:
        frame["status"] = None
    frame["status"] = frame["status"].fillna("approved")
    if "award" not in frame:
        frame["award"] = frame.get("rule")
    return frame


def current(wb: Workbook, period: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Each award's latest status, with the date of each step (proposed_at, approved_at,
    communicated_at, rejected_at) and who took the last one."""
    ev = events(wb)
    if ev.empty:
        return ev.assign(**{f"{s}_at": pd.NaT for s in recognition.STATUSES})
    if period:
        ev = ev[ev["period"] == str(_period(wb, period))]
    steps = ev.pivot_table(index="key", columns="status", values="at", aggfunc="last")
    latest = ev.groupby("key").tail(1).set_index("key")
    for s in recognition.STATUSES:
        latest[f"{s}_at"] = steps[s].reindex(latest.index) if s in steps else pd.NaT
    latest = latest.reset_index().sort_values(["period", "rule", "rep_id"])
    if status:
        latest = latest[latest["status"] == status]
    return latest.reset_index(drop=True)


@dataclass(frozen=True)
class Inputs:
    """What every view of a period reads, computed once."""

    period: Period
    program: ProgramSettings
    standings: pd.DataFrame
    fmt: Formatter
    lang: str


def _inputs_identity(wb: Workbook, period, lang: str | None = None) -> dict:
    return {"period": str(_period(wb, period)), "lang": lang or wb.settings.language}


# Once per render batch: standings read every rep's history (see services.batch).
@batch.shared("recognition.inputs", _inputs_identity)
def inputs(wb: Workbook, period, lang: str | None = None) -> Inputs:
    p = _period(wb, period)
    program = ProgramSettings.from_settings(wb.settings)
    tables = wb.facts().view()
    if "reps" not in tables:
        raise InputError(_("no reps in the workbook; run `salescoach import` first"))
    with wb.store() as store:
        goal_events = store.frame("goal")
    goals = goals_in_force(tables.get("targets"), goal_events)
    try:
        history = recognition.attainment_history(
            tables, goals, p, program.history_periods, program.metric
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    program = recognition.with_auto_amounts(program, seller_revenue(tables, p, program))
    decided = current(wb)
    recognised = decided[decided["status"].isin(DECIDED)] if len(decided) else None
    table = recognition.standings(tables, history, p, program, recognised)
    return Inputs(
        p, program, table, Formatter.for_settings(wb.settings), lang or wb.settings.language
    )


def seller_revenue(tables, period: Period, program: ProgramSettings) -> pd.DataFrame:
    """Revenue of each seller on staff at the period's end (support staff who sell nothing are
    not paid on sales), per period: the period and the `trailing_periods` before it. Empty without
    revenue in the data or without any "auto" amount to derive."""
    if not program.auto:
        return pd.DataFrame()
    sellers = roles.sellers(tables["reps"], tables)
    if "end_date" in sellers:
        sellers = sellers[~(sellers["end_date"] < period.start)]
    periods = [period.shift(-back) for back in range(program.trailing_periods, -1, -1)]
    try:
        columns = {str(p): actuals.per_rep(tables, "revenue", p.start, p.end) for p in periods}
    except actuals.MissingData:
        return pd.DataFrame()
    return pd.DataFrame(columns).reindex(sellers["rep_id"]).fillna(0.0)


def standings(
    wb: Workbook, period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """One row per rep of the scope with what the award rules read."""
    got = inputs(wb, period)
    members = _members(wb, scope, scope_id)
    return (
        got.standings if members is None else got.standings.loc[got.standings.index.isin(members)]
    )


def proposal(
    wb: Workbook,
    period,
    scope: str = "company",
    scope_id: str | None = None,
    lang: str | None = None,
    given: Inputs | None = None,
) -> recognition.Proposal:
    """What the rules grant for the period and scope, with the budget arithmetic and notes."""
    guard.require(wb, None, "award.read", guard.Subject(scope, scope_id))
    got = given or inputs(wb, period, lang)
    return recognition.propose(
        got.standings,
        got.program,
        str(got.period),
        got.fmt,
        got.lang,
        members=_members(wb, scope, scope_id),
    )


def candidates(
    wb: Workbook,
    period,
    scope: str = "company",
    scope_id: str | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """The proposal's awards as a table for the manager (the app shows it)."""
    return proposal(wb, period, scope, scope_id, lang).awards


def propose(
    wb: Workbook,
    period,
    who: str,
    why: str | None = None,
    scope: str = "company",
    scope_id: str | None = None,
) -> tuple[recognition.Proposal, list]:
    """Record each award the rules grant as `proposed`.

    An award already approved, communicated or rejected is left alone, and one proposed with
    the same amount is not written again, so proposing twice is harmless.
    """
    guard.require_who(wb, who, "award.write", guard.Subject(scope, scope_id))
    got = inputs(wb, period)
    result = proposal(wb, got.period, scope, scope_id, given=got)
    p = str(got.period)
    _ = translator(got.lang)
    why = (why or "").strip() or _(
        "Proposed by the award rules of salescoach.toml for {period}.", period=p
    )
    now = current(wb, p).set_index("key") if len(events(wb)) else pd.DataFrame()
    records = []
    for r in result.awards.itertuples():
        key = decisions.award_key(period=p, rule=r.rule, rep_id=r.rep_id)
        if key in now.index:
            before = now.loc[key]
            if before["status"] != "proposed" or float(before.get("amount", -1)) == float(r.amount):
                continue
        data = {
            "rep_id": r.rep_id,
            "period": p,
            "rule": r.rule,
            "reward": r.reward,
            "award": r.award,
            "amount": float(r.amount),
            "cost": float(r.cost),
            "status": "proposed",
            "sentence": r.sentence,
        }
        records.append((AWARD_KIND, key, data, who, why))
    if not records:
        return result, []
    with wb.store() as store:
        return result, store.append_many(records)


def decide(
    wb: Workbook,
    period,
    status: str,
    who: str,
    why: str,
    keys: tuple[str, ...] = (),
    rep_ids: tuple[str, ...] = (),
    rules: tuple[str, ...] = (),
    everything: bool = False,
) -> list:
    """Move awards of a period to `status` (approved, communicated or rejected): one new event
    each, in one transaction. Choose them by key, rep, rule, or all that can take that step;
    a step that does not follow (communicating a proposed award) is refused, nothing written."""
    if status not in ("approved", "communicated", "rejected"):
        raise InputError(
            _(
                "unknown status {status}; use approved, communicated or rejected",
                status=repr(status),
            )
        )
    why = decisions.check_reason(why, _("a decision on an award needs a reason (--reason)"))
    decider = guard.require_role(wb, "award.write", guard.person_for(wb, who))
    if not (keys or rep_ids or rules or everything):
        raise InputError(_("choose the awards: KEY, --rep, --rule or --all"))
    now = current(wb, period)
    if now.empty:
        raise InputError(
            _(
                "no awards for {period}; run `salescoach awards propose --period {period}` first",
                period=period,
            )
        )
    chosen = now
    if keys:
        unknown = set(keys) - set(now["key"])
        if unknown:
            raise InputError(
                _("no award {unknown} in {period}", unknown=repr(sorted(unknown)[0]), period=period)
            )
        chosen = chosen[chosen["key"].isin(keys)]
    if rep_ids:
        chosen = chosen[chosen["rep_id"].isin(rep_ids)]
    if rules:
        chosen = chosen[chosen["rule"].isin(rules)]
    if everything and not (keys or rep_ids or rules):
        chosen = chosen[chosen["status"].map(lambda s: status in NEXT_STATUS.get(s, ()))]
    if chosen.empty:
        raise InputError(
            _(
                "no award of {period} matches; see `salescoach awards list --period {period}`",
                period=period,
            )
        )
    wrong = chosen[~chosen["status"].map(lambda s: status in NEXT_STATUS.get(s, ()))]
    if len(wrong):
        r = wrong.iloc[0]
        raise InputError(
            _(
                "award {key} is {status}; it cannot become {status2}",
                key=r["key"],
                status=r["status"],
                status2=status,
            )
        )
    for rep in chosen["rep_id"].unique():
        guard.require(wb, decider, "award.write", guard.Subject.rep(rep))
    records = []
    for _i, r in chosen.iterrows():
        data = {
            k: r[k]
            for k in ("rep_id", "period", "rule", "reward", "award", "amount", "cost", "sentence")
            if k in r and pd.notna(r[k])
        }
        data["status"] = status
        records.append((AWARD_KIND, r["key"], data, who, why))
    with wb.store() as store:
        return store.append_many(records)


def award_warnings(wb: Workbook, period, tables=None) -> list[str]:
    """What a manager deciding awards for `period` should be told: a period not started yet."""
    _reps, now = staff_and_now(wb, tables)
    warning = decisions.not_started_warning(_period(wb, period), now)
    return [warning] if warning else []


def grant(
    wb: Workbook,
    rep_id: str,
    period,
    award: str,
    amount,
    reason: str,
    who: str,
    store=None,
    tables=None,
) -> Saved:
    """Approve an award the manager grants by hand (rule `manual`), with its reason.

    Only a seller on staff during the period can be awarded; a period that has not started is
    accepted with a warning in the result. Bad input writes nothing.
    """
    reason = decisions.check_reason(reason)
    award = str(award or "").strip()
    if not award:
        raise InputError(_("Name the award."))
    amount = decisions.check_amount(amount, "amount")
    p = _period(wb, period)
    reps, now = staff_and_now(wb, tables)
    guard.require_who(wb, who, "award.write", guard.Subject.rep(rep_id), reps)
    check_seller(wb, tables, reps, rep_id, p)
    data = {
        "rep_id": rep_id,
        "period": str(p),
        "rule": "manual",
        "reward": "manual",
        "award": award,
        "amount": amount,
        "status": "approved",
        "sentence": reason,
    }
    key = decisions.award_key(period=str(p), rule="manual", rep_id=rep_id)
    event = writing(wb, store, lambda s: s.append(AWARD_KIND, key, data, who=who, why=reason))
    warning = decisions.not_started_warning(p, now)
    return Saved((event,), (warning,) if warning else ())


def _worth(fmt: Formatter, frame: pd.DataFrame) -> list[str]:
    """Money for cash awards and trips, days for leave, nothing for the rest."""
    cash = frame.get("reward", pd.Series(index=frame.index, dtype=object)).isin(
        recognition.CASH_REWARDS + ("trip",)
    )
    return [
        fmt.money(a) if c else (fmt.number(a) if r == "leave_days" else "")
        for a, c, r in zip(frame.get("amount", 0), cash, frame.get("reward", ""))
    ]


def candidates_shown(frame: pd.DataFrame, fmt: Formatter) -> pd.DataFrame:
    """`candidates` as the manager reads them: who, which award, its worth, attainment and the
    sentence, headings in the active language."""
    if frame.empty:
        return frame
    return pd.DataFrame(
        {
            _("Rep"): [f"{n} ({r})" for n, r in zip(frame["name"], frame["rep_id"])],
            _("Award"): [recognition.award_label(a) for a in frame["award"]],
            _("Worth"): _worth(fmt, frame),
            _("Attainment"): [fmt.pct(a) for a in frame["attainment"]],
            _("Why"): frame["sentence"].astype(str).to_numpy(),
        }
    )


def awards(wb: Workbook, scope: str = "rep", scope_id: str | None = None, period=None):
    """Approved and communicated awards of a rep in a period, for the rep's review pack:
    award, what it is worth, its sentence and when it was decided (only the rep's own)."""
    wb = wb if isinstance(wb, Workbook) else Workbook.open(wb)
    _ = translator(wb.settings.language)
    fmt = Formatter.for_settings(wb.settings)
    now = current(wb, period)
    mine = now[(now["rep_id"] == scope_id) & now["status"].isin(DECIDED)] if len(now) else now
    if mine.empty:
        return _("No award approved for this period.")
    cash = mine.get("reward", pd.Series(index=mine.index, dtype=object)).isin(
        recognition.CASH_REWARDS + ("trip",)
    )
    return pd.DataFrame(
        {
            _("Award"): [
                recognition.award_label(a, _)
                for a in mine.get("award", mine["rule"]).fillna(mine["rule"])
            ],
            _("Worth"): [
                fmt.money(a) if c else (fmt.number(a) if r == "leave_days" else "")
                for a, c, r in zip(mine.get("amount", 0), cash, mine.get("reward", ""))
            ],
            _("Why"): mine.get("sentence", mine["why"]).fillna("").to_numpy(),
            _("Status"): [_(recognition.STATUS_LABELS.get(s, s)) for s in mine["status"]],
            _("Decided on"): [
                fmt.date(max(d for d in (a, c) if pd.notna(d)))
                for a, c in zip(mine["approved_at"], mine["communicated_at"])
            ],
        }
    )


def leaderboard(
    wb: Workbook,
    period,
    scope: str = "company",
    scope_id: str | None = None,
    given: Inputs | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Eligible reps of the scope by attainment with their badges (the awards proposed or
    decided for the period), and one sentence per shared rank."""
    guard.require(wb, None, "award.read", guard.Subject(scope, scope_id))
    got = given or inputs(wb, period)
    members = _members(wb, scope, scope_id)
    table = (
        got.standings if members is None else got.standings.loc[got.standings.index.isin(members)]
    )
    now = current(wb, str(got.period))
    if len(now):
        badges = now[now["status"] != "rejected"]
        badges = badges.assign(award=badges.get("award", badges["rule"]).fillna(badges["rule"]))
    else:
        badges = proposal(wb, got.period, scope, scope_id, given=got).awards
    board = recognition.leaderboard(table, got.program.rank_digits, badges)
    return board, recognition.tie_notes(board, got.fmt, got.lang)


def budget(wb: Workbook, period, scope: str = "company", scope_id: str | None = None) -> dict:
    """The program's cost for the period against its budgets, the bonus plan's cost in both
    modes on the run-rate projection, and a what-if on attainment."""
    got = inputs(wb, period)
    result = proposal(wb, got.period, scope, scope_id, given=got)
    members = _members(wb, scope, scope_id)
    table = (
        got.standings if members is None else got.standings.loc[got.standings.index.isin(members)]
    )
    by_kind = result.awards.groupby("reward")["cost"].sum()
    return {
        "proposal": result,
        "by_reward": by_kind,
        "per_rule": result.per_rule(),
        "projection": recognition.plan_projection(table, got.program),
    }


def fairness(wb: Workbook, period) -> dict:
    """Award rates by department and team, and awards won only thanks to a low goal."""
    got = inputs(wb, period)
    result = proposal(wb, got.period, given=got)
    return {
        "departments": recognition.award_rates(got.standings, result.awards, "department"),
        "teams": recognition.award_rates(got.standings, result.awards, "team"),
        "flags": recognition.fairness_flags(
            got.standings, result.awards, got.program, got.fmt, got.lang
        ),
    }


def retention(wb: Workbook, period) -> pd.DataFrame:
    """Top performers at risk of leaving, with the reasons."""
    got = inputs(wb, period)
    result = proposal(wb, got.period, given=got)
    cash = result.awards[result.awards["reward"].isin(recognition.CASH_REWARDS)]
    payouts = cash.groupby("rep_id")["amount"].sum()
    return recognition.retention_risks(got.standings, payouts, got.program, got.fmt, got.lang)


def explain(wb: Workbook, period, rep_id: str | None = None) -> pd.Series:
    """Why each rep without an award has none (one rep with `rep_id`)."""
    got = inputs(wb, period)
    result = proposal(wb, got.period, given=got)
    text = recognition.status_sentences(
        got.standings, result.awards, got.program, str(got.period), got.fmt, got.lang
    )
    if rep_id is None:
        return text
    if rep_id not in got.standings.index:
        raise InputError(_("unknown rep {rep_id}: not in the workbook's reps", rep_id=repr(rep_id)))
    return text.reindex([rep_id]).fillna("")
