"""Recognition: award rules as data, cash bonus plans, non-cash rewards on a budget,
leaderboards, fairness and retention.

Pure functions over a per-rep frame of the period (`standings`): attainment, goal, revenue,
and what the rules read. Each award carries the sentence that explains it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.i18n import translator

AWARD_KIND = "award"
QUALIFIERS = ("met_goal", "top_n", "consistent", "most_improved", "best_feedback")
REWARDS = ("cash_share", "cash_fixed", "bonus_plan", "leave_days", "trip", "office", "title")
STATUSES = ("proposed", "approved", "communicated", "rejected")


def award_key(rep_id: str, rule: str, period: str) -> str:
    """`rep:R001|goal_met|2026-Q3`: starts with the rep and ends with the period."""
    return f"rep:{rep_id}|{rule}|{period}"


# --------------------------------------------------------------------------- bonus plans


@dataclass(frozen=True)
class BonusPlan:
    """Cash bonus on attainment.

    `tiers` are (attainment threshold, rate) pairs; a rate is paid per unit of attainment as a
    multiple of `base` (the target incentive). In `marginal` mode each slice of attainment is
    paid at its own tier's rate; in `tiered` mode all of it is paid at the rate of the highest
    tier reached. `cap` bounds the pay-out as a multiple of `base`.
    """

    base: float
    tiers: tuple[tuple[float, float], ...]
    mode: str = "marginal"
    cap: float | None = 2.0

    def __post_init__(self) -> None:
        if self.mode not in ("marginal", "tiered"):
            raise InputError(f"bonus mode {self.mode!r}: use marginal or tiered")
        thresholds = [t for t, _ in self.tiers]
        if thresholds != sorted(thresholds):
            raise InputError("bonus tiers must be in increasing order of attainment")

    def payout(self, attainment: float) -> float:
        if attainment is None or not np.isfinite(attainment) or attainment <= 0:
            return 0.0
        if self.mode == "tiered":
            reached = [rate for threshold, rate in self.tiers if attainment >= threshold]
            multiple = attainment * (reached[-1] if reached else 0.0)
        else:
            multiple = 0.0
            bounds = [t for t, _ in self.tiers[1:]] + [np.inf]
            for (threshold, rate), upper in zip(self.tiers, bounds):
                if attainment > threshold:
                    multiple += (min(attainment, upper) - threshold) * rate
        if self.cap is not None:
            multiple = min(multiple, self.cap)
        return round(self.base * multiple, 2)

    @classmethod
    def from_settings(cls, values: Mapping) -> BonusPlan:
        return cls(
            base=float(values["base"]),
            tiers=tuple((float(t), float(r)) for t, r in values["tiers"]),
            mode=values["mode"],
            cap=float(values["cap"]) if values.get("cap") else None,
        )


def plan_cost(plan: BonusPlan, attainment: pd.Series, budget: float | None = None) -> pd.DataFrame:
    """Each rep's pay-out, and the same scaled down pro rata when the total exceeds the budget."""
    pay = attainment.map(plan.payout).fillna(0.0)
    out = pd.DataFrame({"attainment": attainment, "payout": pay})
    total = pay.sum()
    factor = 1.0 if not budget or total <= budget else budget / total
    out["paid"] = (pay * factor).round(2)
    out.attrs["scaled_by"] = factor
    return out


def what_if(
    plan: BonusPlan, attainment: pd.Series, shifts: Sequence[float] = (-0.1, -0.05, 0, 0.05, 0.1)
) -> pd.DataFrame:
    """Plan cost if everyone's attainment moved by each shift (points of attainment)."""
    return pd.DataFrame(
        {"shift": list(shifts), "cost": [attainment.add(s).map(plan.payout).sum() for s in shifts]}
    )


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class AwardRule:
    """Who qualifies and what they get; `sentence` explains each award to the rep."""

    name: str
    qualifies: str
    reward: str
    amount: float = 0.0
    n: int = 3  # top_n: how many; consistent: how many periods
    label: str = ""
    min_responses: int = 5  # best_feedback

    def __post_init__(self) -> None:
        if self.qualifies not in QUALIFIERS:
            raise InputError(
                f"award rule {self.name!r}: qualifies = {self.qualifies!r}; use one of {', '.join(QUALIFIERS)}"
            )
        if self.reward not in REWARDS:
            raise InputError(
                f"award rule {self.name!r}: reward = {self.reward!r}; use one of {', '.join(REWARDS)}"
            )

    @classmethod
    def from_settings(cls, values: Mapping) -> AwardRule:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(values) - known
        if unknown:
            raise InputError(
                f"award rule {values.get('name')!r}: unknown key {sorted(unknown)[0]!r}"
            )
        return cls(**values)


@dataclass(frozen=True)
class ProgramSettings:
    budget: float = 0.0
    leave_day_cost: float = 0.0
    offices: int = 0
    easy_goal_ratio: float = 0.8
    unrecognised_periods: int = 3
    rules: tuple[AwardRule, ...] = field(default_factory=tuple)
    plan: BonusPlan | None = None

    @classmethod
    def from_settings(cls, settings) -> ProgramSettings:
        r = settings["recognition"]
        return cls(
            budget=float(r["budget"]),
            leave_day_cost=float(r["leave_day_cost"]),
            offices=int(r["offices"]),
            easy_goal_ratio=float(r["easy_goal_ratio"]),
            unrecognised_periods=int(r["unrecognised_periods"]),
            rules=tuple(AwardRule.from_settings(x) for x in r["rules"]),
            plan=BonusPlan.from_settings(r["bonus"]),
        )


def rank_with_ties(values: pd.Series) -> pd.Series:
    """Competition ranking, best first: 1, =2, =2, 4. Ties are shown with '='."""
    ranks = values.rank(ascending=False, method="min")
    counts = ranks.map(ranks.value_counts())
    return pd.Series(
        [
            ("=" if c > 1 else "") + str(int(r)) if pd.notna(r) else ""
            for r, c in zip(ranks, counts)
        ],
        index=values.index,
    )


def qualifiers(rule: AwardRule, standings: pd.DataFrame) -> pd.Series:
    """The reps a rule selects (boolean per rep)."""
    s = standings
    if rule.qualifies == "met_goal":
        return s["attainment"] >= 1.0
    if rule.qualifies == "top_n":
        # Ties at the cut-off all qualify, and the award says so.
        ranks = s["attainment"].rank(ascending=False, method="min")
        return (ranks <= rule.n) & s["attainment"].notna()
    if rule.qualifies == "consistent":
        return s.get("periods_met", pd.Series(0, index=s.index)) >= rule.n
    if rule.qualifies == "most_improved":
        gain = s.get("improvement", pd.Series(np.nan, index=s.index))
        best = gain.max()
        return (gain == best) & (gain > 0)
    # best_feedback
    score = s.get("feedback", pd.Series(np.nan, index=s.index)).where(
        s.get("feedback_responses", pd.Series(0, index=s.index)) >= rule.min_responses
    )
    return (score == score.max()) & score.notna()


def award_value(
    rule: AwardRule, row: pd.Series, plan: BonusPlan | None, leave_day_cost: float
) -> float:
    """The cost of one award to the company."""
    if rule.reward == "cash_share":
        excess = max(row.get("revenue", 0.0) - row.get("goal", 0.0), 0.0)
        return round(rule.amount * excess, 2)
    if rule.reward == "bonus_plan":
        return plan.payout(row["attainment"]) if plan else 0.0
    if rule.reward == "leave_days":
        return rule.amount * leave_day_cost
    if rule.reward in ("cash_fixed", "trip"):
        return float(rule.amount)
    return 0.0


def awards(
    standings: pd.DataFrame, program: ProgramSettings, fmt: Formatter, lang: str = "en"
) -> pd.DataFrame:
    """Every award the rules grant for the period, with its cost and its sentence.

    Offices are limited: they go by rank of attainment, and those who qualify beyond the
    number of offices are told so. When the cash and trip cost exceeds the budget, every
    cash award is scaled down pro rata and the sentence says by how much.
    """
    _ = translator(lang)
    rows = []
    ranks = rank_with_ties(standings["attainment"])
    for rule in program.rules:
        chosen = standings[qualifiers(rule, standings)]
        if rule.reward == "office":
            chosen = chosen.sort_values("attainment", ascending=False)
        for i, (rep_id, row) in enumerate(chosen.iterrows()):
            value = award_value(rule, row, program.plan, program.leave_day_cost)
            why = _why(rule, row, ranks[rep_id], fmt, _)
            granted = True
            if rule.reward == "office" and i >= program.offices:
                granted = False
                why += " " + _("No office is free: {n} offices go by rank.", n=program.offices)
            rows.append(
                {
                    "rep_id": rep_id,
                    "name": row.get("name", rep_id),
                    "rule": rule.name,
                    "reward": rule.reward,
                    "award": rule.label or rule.name,
                    "amount": value if granted else 0.0,
                    "granted": granted,
                    "sentence": why,
                }
            )
    out = pd.DataFrame(
        rows, columns=["rep_id", "name", "rule", "reward", "award", "amount", "granted", "sentence"]
    )
    cash = out["reward"].isin(["cash_share", "cash_fixed", "bonus_plan", "trip", "leave_days"])
    total = out.loc[cash, "amount"].sum()
    out.attrs["scaled_by"] = 1.0
    if program.budget and total > program.budget:
        factor = program.budget / total
        out.loc[cash, "amount"] = (out.loc[cash, "amount"] * factor).round(2)
        out.loc[cash, "sentence"] += " " + _(
            "Scaled to {share} to keep the program within its budget.", share=fmt.pct(factor)
        )
        out.attrs["scaled_by"] = factor
    return out


def _why(rule: AwardRule, row: pd.Series, rank: str, fmt: Formatter, _) -> str:
    name = row.get("name", "")
    att = fmt.pct(row.get("attainment"))
    if rule.qualifies == "met_goal":
        return _(
            "{name} reached {attainment} of the goal ({revenue} against {goal}).",
            name=name,
            attainment=att,
            revenue=fmt.money(row.get("revenue")),
            goal=fmt.money(row.get("goal")),
        )
    if rule.qualifies == "top_n":
        tie = _(" (tied)") if rank.startswith("=") else ""
        return _(
            "{name} ranked {rank}{tie} of all sellers with {attainment} of the goal.",
            name=name,
            rank=rank.lstrip("="),
            tie=tie,
            attainment=att,
        )
    if rule.qualifies == "consistent":
        return _(
            "{name} met the goal {n} periods in a row.", name=name, n=int(row.get("periods_met", 0))
        )
    if rule.qualifies == "most_improved":
        return _(
            "{name} improved attainment by {gain} points on the previous period.",
            name=name,
            gain=fmt.number(100 * row.get("improvement", 0)),
        )
    return _(
        "{name} had the best customer feedback: {score} out of 10 over {n} responses.",
        name=name,
        score=fmt.number(row.get("feedback"), 1),
        n=int(row.get("feedback_responses", 0)),
    )


# --------------------------------------------------------------------------- fairness and retention


def award_rates(awarded: pd.DataFrame, reps: pd.DataFrame, level: str) -> pd.DataFrame:
    """Share of each team's or department's sellers who got at least one award."""
    sellers = reps[reps.get("role", "seller") != "support"]
    winners = set(awarded.loc[awarded["granted"], "rep_id"]) if len(awarded) else set()
    got = sellers["rep_id"].isin(winners)
    frame = pd.DataFrame(
        {"sellers": sellers.groupby(level).size(), "awarded": got.groupby(sellers[level]).sum()}
    )
    frame["rate"] = frame["awarded"] / frame["sellers"]
    return frame


def easy_goals(standings: pd.DataFrame, ratio: float) -> pd.Series:
    """Reps whose goal sits far below peers': goal over trailing results under `ratio` x the
    peer median of the same ratio. They may qualify only because the bar was low."""
    stretch = standings["goal"] / standings["trailing"].where(standings["trailing"] > 0)
    return stretch < ratio * stretch.median()


def retention_risks(standings: pd.DataFrame, unrecognised: int) -> pd.DataFrame:
    """Top performers (top quarter of attainment) at risk of leaving, with the reasons."""
    top = standings[standings["attainment"] >= standings["attainment"].quantile(0.75)]
    rows = []
    for rep_id, row in top.iterrows():
        reasons = []
        if row.get("activity_trend", 0) < -0.2:
            reasons.append(f"activity down {abs(row['activity_trend']):.0%} on the previous period")
        if row.get("periods_unrecognised", 0) >= unrecognised:
            reasons.append(f"no recognition for {int(row['periods_unrecognised'])} periods")
        peers = standings[(standings["attainment"] - row["attainment"]).abs() <= 0.1]
        if (
            "paid" in standings
            and len(peers) > 2
            and row.get("paid", 0) < 0.5 * peers["paid"].median()
        ):
            reasons.append("pay-out far below peers with similar results")
        if reasons:
            rows.append(
                {
                    "rep_id": rep_id,
                    "name": row.get("name", rep_id),
                    "attainment": row["attainment"],
                    "reasons": "; ".join(reasons),
                }
            )
    return pd.DataFrame(rows, columns=["rep_id", "name", "attainment", "reasons"])


def missed_goal_context(
    rep_late_share: float,
    company_late_share: float,
    attainment: float,
    fmt: Formatter,
    lang: str = "en",
) -> str:
    """Why a rep who missed has no award, and how much of it late deliveries explain."""
    _ = translator(lang)
    text = _("Missed the goal ({attainment}), so no goal award.", attainment=fmt.pct(attainment))
    if (
        pd.notna(rep_late_share)
        and pd.notna(company_late_share)
        and rep_late_share > 2 * company_late_share
    ):
        text += " " + _(
            "Late deliveries weigh on this result: {rep} of their orders arrived late against {company} across the company; see the diagnosis before judging the rep.",
            rep=fmt.pct(rep_late_share),
            company=fmt.pct(company_late_share),
        )
    return text
