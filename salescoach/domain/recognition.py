"""Recognition: award rules as data, cash bonus plans, non-cash rewards on a budget,
leaderboards with ties, fairness and retention.

Pure functions over one frame per period, `standings` (one row per rep, indexed by rep_id:
goal, actual, attainment, projection and what the rules read), and `history` (rep x period
attainment, oldest first). Every threshold comes from `[recognition]` in salescoach.toml
(`ProgramSettings.from_settings`); every award, flag and risk carries the sentence that
explains it, written through the message catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescoach.domain.decisions import AWARD, award_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.recognition_program import (
    AUTO as AUTO,
    AUTO_SHARES as AUTO_SHARES,
    MODES as MODES,
    QUALIFIERS as QUALIFIERS,
    REWARDS as REWARDS,
    WITHIN as WITHIN,
    AwardRule as AwardRule,
    BonusPlan as BonusPlan,
    ProgramSettings as ProgramSettings,
    auto_notes as auto_notes,
    budget_factor as budget_factor,
    plan_cost as plan_cost,
    revenue_per_seller as revenue_per_seller,
    what_if as what_if,
    with_auto_amounts as with_auto_amounts,
)
from salescoach.domain.recognition_review import (
    DEFAULT_LABELS as DEFAULT_LABELS,
    attainment_text as attainment_text,
    award_label as award_label,
    award_rates as award_rates,
    fairness_flags as fairness_flags,
    late_deliveries_explain as late_deliveries_explain,
    leaderboard as leaderboard,
    low_goals as low_goals,
    retention_risks as retention_risks,
    status_sentences as status_sentences,
    tie_notes as tie_notes,
)
from salescoach.domain.recognition_standings import (
    HISTORY_PREFIX as HISTORY_PREFIX,
    attainment_history as attainment_history,
    history_of as history_of,
    late_delivery_shares as late_delivery_shares,
    rank_labels as rank_labels,
    rank_with_ties as rank_with_ties,
    ranks as ranks,
    standings as standings,
    streaks as streaks,
)
from salescoach.errors import InputError
from salescoach.i18n import N_, translator

AWARD_KIND = AWARD
CASH_REWARDS = ("bonus_plan", "cash_share", "cash_fixed")
NONCASH_REWARDS = ("leave_days", "trip", "office")
STATUSES = ("proposed", "approved", "communicated", "rejected")
STATUS_LABELS = {
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "communicated": N_("communicated"),
    "rejected": N_("rejected"),
}
# Which status may follow which: a decision moves forward, or is rejected before it is told.
NEXT_STATUS = {
    "proposed": ("approved", "rejected"),
    "approved": ("communicated", "rejected"),
    "communicated": (),
    "rejected": (),
}
AWARD_COLUMNS = [
    "rep_id", "name", "team", "department", "rule", "reward", "award", "amount", "cost",
    "rank", "attainment", "sentence",
]  # fmt: skip

# The sentence each qualification writes (a rule's own `sentence` in salescoach.toml replaces
# it; both are filled with the same placeholders).
WHY = {
    "met_goal": N_("{name} reached {attainment} of the {period} goal ({actual} against {goal})"),
    "top_n": N_(
        "{name} ranked {rank} of {count} in {group} with {attainment} of the {period} goal, "
        "within the top {n}"
    ),
    "consistent": N_(
        "{name} reached at least {threshold} of the goal in each of the last {n} periods "
        "(lowest {lowest})"
    ),
    "most_improved": N_(
        "{name} improved attainment by {gain} points on the previous period, rank {rank} in {group}"
    ),
    "best_feedback": N_(
        "{name} had the best customer feedback in {group}: {score} out of 10 over {responses} "
        "responses"
    ),
}
WHAT = {
    "bonus_plan": N_("a bonus of {amount} under the {mode} plan"),
    "cash_share": N_("a bonus of {amount}, {share} of the {excess} above goal"),
    "cash_fixed": N_("a bonus of {amount}"),
    "leave_days": N_("{days} extra days of leave"),
    "trip": N_("a trip worth {amount}"),
    "office": N_("a bigger office (one of {offices})"),
    "title": N_("the title \u201c{label}\u201d"),
}


def parse_award_key(key: str) -> dict[str, str] | None:
    """period, rule and rep_id of an award key; also reads the app's `rep:R001|2026-Q3`."""
    if key.startswith("award:"):
        parts = key[len("award:") :].split("|")
        if len(parts) == 3:
            return {"period": parts[0], "rule": parts[1], "rep_id": parts[2]}
    if key.startswith("rep:"):
        parts = key[len("rep:") :].split("|")
        if len(parts) == 2:
            return {"period": parts[1], "rule": "manual", "rep_id": parts[0]}
        if len(parts) == 3:  # the first recognition version wrote rep:R|rule|period
            return {"period": parts[2], "rule": parts[1], "rep_id": parts[0]}
    return None


# --------------------------------------------------------------------------- bonus plans


# --------------------------------------------------------------------------- settings


# --------------------------------------------------------------------------- auto amounts


# --------------------------------------------------------------------------- standings


# --------------------------------------------------------------------------- ranks and ties


# --------------------------------------------------------------------------- awards


@dataclass(frozen=True)
class Proposal:
    """What the rules grant for a period: awards, who qualified but got nothing and why, the
    budget arithmetic, and notes (ties, scaling) the manager must read."""

    awards: pd.DataFrame
    unfunded: pd.DataFrame
    notes: tuple[str, ...]
    cash_before: float
    cash_budget: float
    scaled_by: float
    noncash_cost: float
    noncash_budget: float

    @property
    def cash(self) -> float:
        return float(self.awards.loc[self.awards["reward"].isin(CASH_REWARDS), "amount"].sum())

    @property
    def cost(self) -> float:
        """The program's total cost: cash paid plus funded non-cash rewards."""
        return float(self.awards["cost"].sum())

    def per_rule(self) -> pd.DataFrame:
        return (
            self.awards.groupby(["rule", "reward"], sort=False)
            .agg(awards=("rep_id", "size"), cost=("cost", "sum"))
            .reset_index()
        )


def _group_of(s: pd.DataFrame, within: str) -> pd.Series:
    return pd.Series("company", index=s.index) if within == "company" else s[within]


def _group_label(within: str, group: str, _) -> str:
    return _("the company") if within == "company" else str(group)


def qualified(rule: AwardRule, s: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The eligible reps a rule selects (index rep_id) with group, rank within the group
    (NaN where the rule does not rank), count (ranked in the group), shared (how many hold
    that rank), value (what was compared) and tied_at_cut (a tie straddling the top n)."""
    columns = ["group", "rank", "count", "shared", "value", "tied_at_cut"]
    s = s[s["eligible"]]
    floor_ok = s["attainment"].fillna(-np.inf) >= rule.floor
    groups = _group_of(s, rule.within)
    if rule.qualifies in ("met_goal", "consistent"):
        if rule.qualifies == "met_goal":
            chosen, value = s[floor_ok], s.loc[floor_ok, "attainment"]
        else:
            hist = history_of(s)
            if hist.shape[1] < rule.n:
                return pd.DataFrame(columns=columns)
            last = hist.iloc[:, -rule.n :]
            chosen = s[streaks(last, rule.floor) >= rule.n]
            value = last.reindex(chosen.index).min(axis=1)
        return pd.DataFrame(
            {
                "group": groups.reindex(chosen.index),
                "rank": np.nan,
                "count": len(chosen),
                "shared": 1,
                "value": value,
                "tied_at_cut": False,
            },
            index=chosen.index,
        )[columns]
    value = {
        "top_n": s["attainment"],
        "most_improved": s["improvement"],
        "best_feedback": s["feedback"].where(s["feedback_responses"] >= rule.min_responses),
    }[rule.qualifies]
    value = value.where(floor_ok)
    if rule.qualifies == "most_improved":
        value = value.where(value > 0)
    rank = ranks(value, digits, groups)
    count = value.groupby(groups).transform("count")
    shared = rank.groupby([groups, rank]).transform("size")
    keep = rank <= rule.n
    # A tie that straddles the cut-off lets everyone tied in: more than n qualify.
    tied = keep & (rank + shared - 1 > rule.n)
    out = pd.DataFrame(
        {
            "group": groups,
            "rank": rank,
            "count": count,
            "shared": shared,
            "value": value,
            "tied_at_cut": tied,
        }
    )
    return out[keep][columns]


def _cash(rule: AwardRule, row: pd.Series, plan: BonusPlan | None) -> float:
    if rule.reward == "bonus_plan":
        return plan.payout(row["attainment"]) if plan else 0.0
    if rule.reward == "cash_share":
        return round(rule.amount * max(row["actual"] - row["goal"], 0.0), 2)
    return float(rule.amount)


def _what(rule: AwardRule, amount: float, row, program: ProgramSettings, fmt, _) -> str:
    return _(
        WHAT[rule.reward],
        amount=fmt.money(amount),
        mode=_(MODES[program.plan.mode]) if program.plan else "",
        share=fmt.pct(rule.amount, 1),
        excess=fmt.money(max(row["actual"] - row["goal"], 0.0)),
        days=fmt.number(rule.amount, 0 if float(rule.amount).is_integer() else 1),
        offices=program.offices,
        label=award_label(rule.title, _),
    )


def _why(rule: AwardRule, row: pd.Series, q: pd.Series, period: str, money: bool, fmt, _) -> str:
    rank = q["rank"]
    tied = pd.notna(rank) and q["shared"] > 1
    values = dict(
        name=row.get("name", row.name),
        rep_id=row.name,
        period=fmt.period(period),
        attainment=attainment_text(fmt, row["attainment"]),
        actual=fmt.money(row["actual"]) if money else fmt.number(row["actual"]),
        goal=fmt.money(row["goal"]) if money else fmt.number(row["goal"]),
        rank=("" if pd.isna(rank) else ("=" if tied else "") + str(int(rank))),
        count=int(q["count"]) if pd.notna(q["count"]) else 0,
        group=_group_label(rule.within, q["group"], _),
        n=rule.n,
        threshold=fmt.pct(rule.floor) if np.isfinite(rule.floor) else "",
        lowest=fmt.pct(q["value"]),
        gain=fmt.number(100 * row.get("improvement", np.nan)),
        score=fmt.number(row.get("feedback"), 1),
        responses=int(row.get("feedback_responses", 0) or 0),
        label=award_label(rule.title, _),
    )
    template = rule.sentence or WHY[rule.qualifies]
    try:
        return _(template, **values)
    except (KeyError, IndexError, ValueError):
        raise InputError(
            _(
                "award rule {name}: its sentence uses an unknown placeholder; use {values}",
                name=repr(rule.name),
                values=", ".join("{" + k + "}" for k in values),
            )
        ) from None


def propose(
    s: pd.DataFrame,
    program: ProgramSettings,
    period: str,
    fmt: Formatter,
    lang: str = "en",
    members: Sequence[str] | None = None,
) -> Proposal:
    """Every award the rules grant for the period, with its cost and its sentence.

    Ranks are taken among all eligible reps (`within` each rule's group); `members` then keeps
    the scope's reps. Cash awards over `cash_budget` are scaled down pro rata; non-cash rewards
    go by rank of attainment until `noncash_budget` is spent; `offices` go by rank. Every tie,
    scaling and shortfall is written in `notes` or in the award's own sentence.
    """
    _ = translator(lang)
    rows, notes = [], auto_notes(program, fmt, lang)
    money = program.metric == "revenue"
    overall = ranks(s.loc[s["eligible"], "attainment"], program.rank_digits)
    for rule in program.rules:
        q = qualified(rule, s, program.rank_digits)
        if members is not None:
            q = q[q.index.isin(members)]
        for group, part in q[q["tied_at_cut"].astype(bool)].groupby("group"):
            notes.append(
                _(
                    "{rule}: {k} reps share rank ={rank} at the cut-off of the top {n} in {group}; "
                    "all of them qualify.",
                    rule=award_label(rule.title, _),
                    k=len(part),
                    rank=int(part["rank"].iloc[0]),
                    n=rule.n,
                    group=_group_label(rule.within, group, _),
                )
            )
        for rep_id, qrow in q.iterrows():
            row = s.loc[rep_id]
            if rule.reward in CASH_REWARDS:
                amount = cost = _cash(rule, row, program.plan)
                if amount <= 0:
                    continue
            elif rule.reward == "leave_days":
                amount, cost = float(rule.amount), float(rule.amount) * program.leave_day_cost
            elif rule.reward in ("trip", "office"):
                amount = cost = float(rule.amount)
            else:
                amount = cost = 0.0
            rows.append(
                {
                    "rep_id": rep_id,
                    "name": row.get("name", rep_id),
                    "team": row.get("team"),
                    "department": row.get("department"),
                    "rule": rule.name,
                    "reward": rule.reward,
                    "award": rule.title,
                    "amount": amount,
                    "cost": cost,
                    "rank": overall.get(rep_id),
                    "attainment": row["attainment"],
                    "why": _why(rule, row, qrow, period, money, fmt, _),
                    "what": _what(rule, amount, row, program, fmt, _),
                }
            )
    frame = pd.DataFrame(rows, columns=[*AWARD_COLUMNS[:-1], "why", "what"])
    frame, unfunded, more = _limit_offices(frame, program, fmt, _)
    notes += more
    frame, unfunded2, noncash_cost, more = _fund_noncash(frame, program, fmt, _)
    notes += more
    unfunded = pd.concat([unfunded, unfunded2], ignore_index=True)
    cash = frame["reward"].isin(CASH_REWARDS)
    before = float(frame.loc[cash, "amount"].sum())
    factor = budget_factor(before, program.cash_budget)
    frame["sentence"] = [
        _("{why}: {what}.", why=w, what=t) for w, t in zip(frame["why"], frame["what"])
    ]
    if factor < 1:
        frame.loc[cash, "amount"] = (frame.loc[cash, "amount"] * factor).round(2)
        frame.loc[cash, "cost"] = frame.loc[cash, "amount"]
        scaled = frame.loc[cash, "amount"].map(fmt.money)
        frame.loc[cash, "sentence"] = [
            _("{why}: {what}.", why=w, what=t)
            + " "
            + _(
                "Paid {paid}: every cash award is scaled to {share} to keep within the budget.",
                paid=p,
                share=fmt.pct(factor, 1),
            )
            for w, t, p in zip(frame.loc[cash, "why"], frame.loc[cash, "what"], scaled)
        ]
        notes.append(
            _(
                "Cash awards come to {total} against a budget of {budget}: each is scaled down "
                "pro rata to {share}.",
                total=fmt.money(before),
                budget=fmt.money(program.cash_budget),
                share=fmt.pct(factor, 1),
            )
        )
    frame = frame.drop(columns=["why", "what"])[AWARD_COLUMNS].reset_index(drop=True)
    return Proposal(
        awards=frame,
        unfunded=unfunded,
        notes=tuple(notes),
        cash_before=before,
        cash_budget=program.cash_budget,
        scaled_by=factor,
        noncash_cost=noncash_cost,
        noncash_budget=program.noncash_budget,
    )


UNFUNDED_COLUMNS = ["rep_id", "name", "rule", "award", "sentence"]


def _limit_offices(frame: pd.DataFrame, program: ProgramSettings, fmt, _):
    """Offices go by rank of attainment; a tie for the last office is stated, not decided."""
    offices = frame[frame["reward"] == "office"].sort_values(["rank", "rep_id"])
    offices = offices.drop_duplicates("rep_id")  # one office per rep, even under two rules
    extra = frame.index[(frame["reward"] == "office") & ~frame.index.isin(offices.index)]
    notes, out = [], []
    keep = offices.index[: program.offices]
    if len(offices) > program.offices:
        last_rank = offices["rank"].iloc[program.offices - 1] if program.offices else None
        tied = offices[offices["rank"] == last_rank] if last_rank is not None else offices[:0]
        if len(tied) > 1 and offices["rank"].iloc[program.offices] == last_rank:
            before = int((offices["rank"] < last_rank).sum())
            left = program.offices - before
            keep = offices.index[offices["rank"] <= last_rank]
            notes.append(
                _(
                    "Offices: {k} reps share rank ={rank} for the last {left} of {offices} "
                    "offices; all are proposed, approve only {left}.",
                    k=len(tied),
                    rank=int(last_rank),
                    left=left,
                    offices=program.offices,
                )
            )
    dropped = offices.drop(keep)
    for _i, r in dropped.iterrows():
        out.append(
            {
                "rep_id": r["rep_id"],
                "name": r["name"],
                "rule": r["rule"],
                "award": r["award"],
                "sentence": r["why"]
                + ". "
                + _(
                    "No office is free: {offices} offices go by rank and this rank is {rank}.",
                    offices=program.offices,
                    rank=int(r["rank"]),
                ),
            }
        )
    frame = frame.drop(index=list(dropped.index) + list(extra))
    return frame, pd.DataFrame(out, columns=UNFUNDED_COLUMNS), notes


def _fund_noncash(frame: pd.DataFrame, program: ProgramSettings, fmt, _):
    """Leave, trips and offices by rank of attainment until the non-cash budget is spent."""
    noncash = frame[frame["reward"].isin(NONCASH_REWARDS)].sort_values(["rank", "rep_id"])
    total = float(noncash["cost"].sum())
    if not program.noncash_budget or total <= program.noncash_budget:
        return frame, pd.DataFrame(columns=UNFUNDED_COLUMNS), total, []
    spent, dropped, out = 0.0, [], []
    for i, r in noncash.iterrows():
        if spent + r["cost"] <= program.noncash_budget:
            spent += r["cost"]
            continue
        dropped.append(i)
        out.append(
            {
                "rep_id": r["rep_id"],
                "name": r["name"],
                "rule": r["rule"],
                "award": r["award"],
                "sentence": r["why"]
                + ". "
                + _(
                    "Not funded: the non-cash budget of {budget} went to higher-ranked reps.",
                    budget=fmt.money(program.noncash_budget),
                ),
            }
        )
    note = _(
        "Non-cash rewards come to {total} against a budget of {budget}: {k} go unfunded, "
        "by rank of attainment.",
        total=fmt.money(total),
        budget=fmt.money(program.noncash_budget),
        k=len(dropped),
    )
    return frame.drop(index=dropped), pd.DataFrame(out, columns=UNFUNDED_COLUMNS), spent, [note]


def plan_projection(
    s: pd.DataFrame, program: ProgramSettings, shifts: Sequence[float] = (-0.1, -0.05, 0, 0.05, 0.1)
) -> pd.DataFrame:
    """The bonus plan's cost in both modes on the run-rate projection of eligible reps who
    would pass the plan's rules' floor, if everyone's attainment moved by each shift."""
    plan_rules = [r for r in program.rules if r.reward == "bonus_plan"]
    if program.plan is None or not plan_rules:
        return pd.DataFrame(columns=["shift", "reps", "cost", *MODES])
    floor = min(r.floor for r in plan_rules)
    basis = s.loc[s["eligible"], "projected_attainment"].dropna()
    rows = []
    for shift in shifts:
        moved = basis + shift
        paid = moved[moved >= floor]
        rows.append(
            {
                "shift": shift,
                "reps": len(paid),
                "cost": paid.map(program.plan.payout).sum(),
                **{m: paid.map(program.plan.with_mode(m).payout).sum() for m in MODES},
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- leaderboards


# --------------------------------------------------------------------------- fairness


# --------------------------------------------------------------------------- retention


# --------------------------------------------------------------------------- no award: why
