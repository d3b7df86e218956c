"""Recognition: award rules as data, cash bonus plans, non-cash rewards on a budget,
leaderboards with ties, fairness and retention.

Pure functions over one frame per period, `standings` (one row per rep, indexed by rep_id:
goal, actual, attainment, projection and what the rules read), and `history` (rep x period
attainment, oldest first). Every threshold comes from `[recognition]` in salescoach.toml
(`ProgramSettings.from_settings`); every award, flag and risk carries the sentence that
explains it, written through the message catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from salescoach import settings
from salescoach.domain import monitoring, roles
from salescoach.domain.attainment import attainment_table
from salescoach.domain.decisions import AWARD, award_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import N_, _, _n, name_order, separated, translator

AWARD_KIND = AWARD
QUALIFIERS = ("met_goal", "top_n", "consistent", "most_improved", "best_feedback")
REWARDS = ("bonus_plan", "cash_share", "cash_fixed", "leave_days", "trip", "office", "title")
CASH_REWARDS = ("bonus_plan", "cash_share", "cash_fixed")
NONCASH_REWARDS = ("leave_days", "trip", "office")
WITHIN = ("company", "department", "team")
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
MODES = {"marginal": N_("marginal"), "tiered": N_("tiered")}
# The labels of the default award rules (resources/salescoach.toml). An award is stored under
# its rule's label as the workbook wrote it; one of these is shown in the reader's language,
# a label the workbook gave its own rule prints as written.
DEFAULT_LABELS = frozenset(
    {
        N_("Goal bonus"),
        N_("Best of the department: trip"),
        N_("Consistent: two days of extra leave"),
        N_("Most improved"),
        N_("Customers' choice"),
        N_("Bigger office"),
    }
)


def award_label(text, gettext=None) -> str:
    """The words for a stored award label: a default rule's label translated, others as is."""
    text = str(text)
    return (gettext or _)(text) if text in DEFAULT_LABELS else text


HISTORY_PREFIX = "attainment:"


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


@dataclass(frozen=True)
class BonusPlan:
    """Cash bonus on attainment, as a multiple of `base` (the target incentive per period).

    `tiers` are (attainment threshold, rate) pairs; a rate is paid per unit of attainment. In
    `marginal` mode each slice of attainment between two thresholds is paid at its own tier's
    rate; in `tiered` mode all of the attainment is paid at the rate of the highest tier
    reached. `cap` bounds the pay-out as a multiple of `base` (None: no cap). Higher tiers with
    higher rates are the accelerators.

    Example:
        >>> plan = BonusPlan(1000.0, ((0.8, 0.5), (1.0, 1.0)), "marginal", cap=None)
        >>> plan.payout(1.1)   # 0.2 x 0.5 + 0.1 x 1.0 = 0.2 x base
        200.0
    """

    base: float
    tiers: tuple[tuple[float, float], ...]
    mode: str = "marginal"
    cap: float | None = 2.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(_("bonus mode {mode}: use marginal or tiered", mode=repr(self.mode)))
        thresholds = [t for t, _r in self.tiers]
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            raise InputError(_("bonus tiers must be in increasing order of attainment"))
        if self.base < 0 or any(r < 0 for _t, r in self.tiers):
            raise InputError(_("a bonus base and its rates cannot be negative"))

    def payout(self, attainment: float) -> float:
        """The bonus for one attainment (1.0 = goal)."""
        if attainment is None or not np.isfinite(attainment) or attainment <= 0:
            return 0.0
        if self.mode == "tiered":
            reached = [rate for threshold, rate in self.tiers if attainment >= threshold]
            multiple = attainment * (reached[-1] if reached else 0.0)
        else:
            multiple = 0.0
            uppers = [t for t, _r in self.tiers[1:]] + [math.inf]
            for (threshold, rate), upper in zip(self.tiers, uppers):
                if attainment > threshold:
                    multiple += (min(attainment, upper) - threshold) * rate
        if self.cap is not None:
            multiple = min(multiple, self.cap)
        return round(self.base * multiple, 2)

    def with_mode(self, mode: str) -> BonusPlan:
        return BonusPlan(self.base, self.tiers, mode, self.cap)

    @classmethod
    def from_settings(cls, bonus: settings.Bonus) -> BonusPlan:
        """The plan of `[recognition.bonus]` (the model has checked its kinds); base "auto" is
        0 until `with_auto_amounts` derives it; cap 0 is no cap."""
        return cls(
            base=0.0 if bonus.base == AUTO else bonus.base,
            tiers=bonus.tiers,
            mode=bonus.mode,
            cap=bonus.cap or None,
        )


def plan_cost(plan: BonusPlan, attainment: pd.Series, budget: float | None = None) -> pd.DataFrame:
    """Each rep's pay-out, and what is paid once the total is scaled down pro rata to `budget`.

    `attrs["scaled_by"]` is the factor (1.0 within budget).
    """
    pay = attainment.map(plan.payout).fillna(0.0)
    out = pd.DataFrame({"attainment": attainment, "payout": pay})
    factor = budget_factor(pay.sum(), budget)
    out["paid"] = (pay * factor).round(2)
    out.attrs["scaled_by"] = factor
    return out


def budget_factor(total: float, budget: float | None) -> float:
    """The pro-rata factor that brings `total` within `budget` (1.0 when it fits or no budget)."""
    return 1.0 if not budget or total <= budget else budget / total


def what_if(
    plan: BonusPlan, attainment: pd.Series, shifts: Sequence[float] = (-0.1, -0.05, 0, 0.05, 0.1)
) -> pd.DataFrame:
    """The plan's cost, in both modes, if everyone's attainment moved by each shift."""
    rows = []
    for s in shifts:
        moved = attainment.add(s)
        rows.append(
            {
                "shift": s,
                "cost": moved.map(plan.payout).sum(),
                **{m: moved.map(plan.with_mode(m).payout).sum() for m in MODES},
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class AwardRule:
    """Who qualifies and what they get; the award's sentence explains it to the rep.

    `n`: how many per group for top_n, most_improved and best_feedback; how many periods for
    consistent. `within`: the group ranks are taken in (company, department, team).
    `min_attainment`: the floor a rep must reach (default: the goal for met_goal, top_n and
    consistent; none for the others). `amount`: the share of the excess (cash_share), the sum
    (cash_fixed), the days (leave_days) or the cost (trip, office). `label` names the award and
    its badge; `sentence` replaces the built-in explanation (same placeholders).
    """

    name: str
    qualifies: str
    reward: str
    amount: float = 0.0
    n: int = 3
    within: str = "company"
    min_attainment: float | None = None
    min_responses: int = 5
    label: str = ""
    sentence: str = ""

    def __post_init__(self) -> None:
        if self.qualifies not in QUALIFIERS:
            raise InputError(
                _(
                    "award rule {name}: qualifies = {qualifies}; use one of {values}",
                    name=repr(self.name),
                    qualifies=repr(self.qualifies),
                    values=", ".join(QUALIFIERS),
                )
            )
        if self.reward not in REWARDS:
            raise InputError(
                _(
                    "award rule {name}: reward = {reward}; use one of {values}",
                    name=repr(self.name),
                    reward=repr(self.reward),
                    values=", ".join(REWARDS),
                )
            )
        if self.within not in WITHIN:
            raise InputError(
                _(
                    "award rule {name}: within = {within}; use one of {values}",
                    name=repr(self.name),
                    within=repr(self.within),
                    values=", ".join(WITHIN),
                )
            )
        if self.n < 1 or self.amount < 0:
            raise InputError(
                _(
                    "award rule {name}: n must be 1 or more, amount not negative",
                    name=repr(self.name),
                )
            )
        if not self.name or "|" in self.name:
            raise InputError(_("an award rule needs a name without '|'"))

    @property
    def floor(self) -> float:
        if self.min_attainment is not None:
            return float(self.min_attainment)
        return 1.0 if self.qualifies in ("met_goal", "top_n", "consistent") else -math.inf

    @property
    def title(self) -> str:
        return self.label or self.name

    @classmethod
    def from_settings(cls, rule: settings.Rule) -> AwardRule:
        """An award rule from its `[[recognition.rules]]` item; a key the item leaves out takes
        the default above."""
        return cls(**rule.given())


# The shipped `[recognition]` and `[monitoring]` sections: ProgramSettings' defaults.
_SHIPPED, _MONITORING = settings.Recognition(), settings.Monitoring()
# Amounts a workbook may leave "auto": 0 (no bonus, no limit) until derived from its revenue.
_AMOUNTS = ("cash_budget", "noncash_budget")


@dataclass(frozen=True)
class ProgramSettings:
    """`[recognition]` of the settings model as the award rules read it: rules and bonus plan
    built, "auto" amounts 0 until `with_auto_amounts` derives them. Every default is the shipped
    salescoach.toml's, except the budgets: 0, no limit."""

    metric: str = _SHIPPED.metric
    cash_budget: float = 0.0
    noncash_budget: float = 0.0
    leave_day_cost: float = _SHIPPED.leave_day_cost
    offices: int = _SHIPPED.offices
    rank_digits: int = _SHIPPED.rank_digits
    trailing_periods: int = _SHIPPED.trailing_periods
    goal_fence: float = _SHIPPED.goal_fence
    top_share: float = _SHIPPED.top_share
    activity_drop: float = _SHIPPED.activity_drop
    unrecognised_periods: int = _SHIPPED.unrecognised_periods
    similar_results: float = _SHIPPED.similar_results
    payout_gap: float = _SHIPPED.payout_gap
    late_delivery_ratio: float = _SHIPPED.late_delivery_ratio
    on_time_grace_days: int = _MONITORING.on_time_grace_days
    rules: tuple[AwardRule, ...] = field(default_factory=tuple)
    plan: BonusPlan | None = None
    # Amounts the settings leave "auto" (bonus_base, cash_budget, noncash_budget), and what
    # they were derived from once `with_auto_amounts` has filled them in.
    auto: tuple[str, ...] = ()
    revenue_per_seller: float = math.nan
    sellers: int = 0

    @classmethod
    def from_settings(cls, s: settings.Settings) -> ProgramSettings:
        r = s.recognition
        rules = tuple(AwardRule.from_settings(x) for x in r.rules)
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            raise InputError(_("award rules need distinct names"))
        same = {
            f.name: getattr(r, f.name)
            for f in fields(cls)
            if f.name in settings.Recognition.__dataclass_fields__
            and f.name not in (*_AMOUNTS, "rules")
        }
        amounts = {key: 0.0 if getattr(r, key) == AUTO else getattr(r, key) for key in _AMOUNTS}
        return cls(
            **same,
            **amounts,
            on_time_grace_days=s.monitoring.on_time_grace_days,
            rules=rules,
            plan=BonusPlan.from_settings(r.bonus),
            auto=tuple(
                key
                for key, value in (
                    ("bonus_base", r.bonus.base),
                    *((k, getattr(r, k)) for k in _AMOUNTS),
                )
                if value == AUTO
            ),
        )

    @property
    def history_periods(self) -> int:
        """How many periods up to the current one the rules and flags read."""
        longest = max([x.n for x in self.rules if x.qualifies == "consistent"] + [1])
        return max(longest, self.trailing_periods + 1, self.unrecognised_periods, 2)


# --------------------------------------------------------------------------- auto amounts

AUTO = "auto"
# Award money the settings leave "auto" follows the organisation's own revenue, in its own
# currency: shares of the median revenue per seller per period (M) and of M x sellers. A fixed
# 8,000 is a bonus in one business and a multiple of a seller's sales in another.
AUTO_SHARES = {"bonus_base": 0.005, "cash_budget": 0.01, "noncash_budget": 0.0025}


def revenue_per_seller(revenue: pd.DataFrame) -> float:
    """The median over sellers of their mean revenue per period (seller x period frame); periods
    without any revenue (before the data starts) and sellers who sold nothing are left out."""
    if revenue.empty:
        return math.nan
    revenue = revenue.loc[:, revenue.sum(axis=0) > 0]
    per_seller = revenue.mean(axis=1)
    per_seller = per_seller[per_seller > 0]
    return float(per_seller.median()) if len(per_seller) else math.nan


def _two_figures(x: float) -> float:
    """420, 8,400, 61,000: an amount a manager would have chosen, not 8,391.27."""
    return float(f"{x:.2g}") if x > 0 else 0.0


def with_auto_amounts(program: ProgramSettings, revenue: pd.DataFrame) -> ProgramSettings:
    """The program with its "auto" amounts derived from `revenue` (seller x period, the
    sellers on staff, recent periods). Without revenue they stay 0: no bonus, no limit, said
    in `auto_notes`."""
    from dataclasses import replace

    if not program.auto:
        return program
    median = revenue_per_seller(revenue)
    sellers = int(len(revenue))
    values = {}
    if np.isfinite(median):
        values = {
            "bonus_base": _two_figures(AUTO_SHARES["bonus_base"] * median),
            "cash_budget": _two_figures(AUTO_SHARES["cash_budget"] * median * sellers),
            "noncash_budget": _two_figures(AUTO_SHARES["noncash_budget"] * median * sellers),
        }
    plan = program.plan
    if "bonus_base" in program.auto and plan is not None:
        plan = BonusPlan(values.get("bonus_base", 0.0), plan.tiers, plan.mode, plan.cap)
    return replace(
        program,
        plan=plan,
        cash_budget=values.get("cash_budget", 0.0)
        if "cash_budget" in program.auto
        else program.cash_budget,
        noncash_budget=values.get("noncash_budget", 0.0)
        if "noncash_budget" in program.auto
        else program.noncash_budget,
        revenue_per_seller=median,
        sellers=sellers,
    )


def _share(x: float, fmt: Formatter) -> str:
    """0.5%, 1%, 0.25%: as many decimals as the share has."""
    digits = next(d for d in range(4) if round(x * 100, d) == round(x * 100, 6))
    return fmt.pct(x, digits)


def auto_notes(program: ProgramSettings, fmt: Formatter, lang: str = "en") -> list[str]:
    """How each "auto" amount was set, for the manager to check or replace in the settings."""
    _ = translator(lang)
    if not program.auto:
        return []
    if not np.isfinite(program.revenue_per_seller):
        return [
            _(
                'Bonus base and budgets are set to "auto" in salescoach.toml, but the workbook has'
                " no sellers' revenue to derive them from: no bonus is paid and the budgets do not"
                " limit awards. Set them in [recognition]."
            )
        ]
    median = fmt.money(program.revenue_per_seller)
    notes = []
    if "bonus_base" in program.auto and program.plan is not None:
        notes.append(
            _(
                "Bonus base {share} of the median revenue per seller per period ({median}) ="
                ' {amount} ([recognition.bonus] base = "auto").',
                share=_share(AUTO_SHARES["bonus_base"], fmt),
                median=median,
                amount=fmt.money(program.plan.base),
            )
        )
    for key, text in (
        (
            "cash_budget",
            N_(
                "Cash budget {share} of the median revenue per seller per period ({median}) x"
                ' {sellers} sellers = {amount} ([recognition] cash_budget = "auto").'
            ),
        ),
        (
            "noncash_budget",
            N_(
                "Non-cash budget {share} of the median revenue per seller per period ({median}) x"
                ' {sellers} sellers = {amount} ([recognition] noncash_budget = "auto").'
            ),
        ),
    ):
        if key in program.auto:
            notes.append(
                _(
                    text,
                    share=_share(AUTO_SHARES[key], fmt),
                    median=median,
                    sellers=fmt.number(program.sellers),
                    amount=fmt.money(getattr(program, key)),
                )
            )
    return notes


# --------------------------------------------------------------------------- standings


def attainment_history(
    tables: Mapping[str, pd.DataFrame],
    goals: pd.DataFrame,
    period: Period,
    periods: int,
    metric: str = "revenue",
) -> pd.DataFrame:
    """Long frame of the rep goals of `periods` periods ending with `period`: rep_id, period,
    goal, actual, attainment, projected_attainment (oldest period first)."""
    parts = []
    for back in range(periods - 1, -1, -1):
        p = period.shift(-back)
        att = attainment_table(tables, goals, p)
        att = att[(att["scope"] == "rep") & (att["metric"] == metric)]
        parts.append(
            pd.DataFrame(
                {
                    "rep_id": att["scope_id"].to_numpy(),
                    "period": str(p),
                    "goal": att["target"].to_numpy(dtype=float),
                    "actual": att["actual"].to_numpy(dtype=float),
                    "attainment": att["attainment"].to_numpy(dtype=float),
                    "projected_attainment": att["projected_attainment"].to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _count_per_period(
    frame: pd.DataFrame | None, column: str, periods: list[Period]
) -> pd.DataFrame:
    """rep x period counts of rows dated in each period (zeros where none)."""
    labels = [str(p) for p in periods]
    if frame is None or "rep_id" not in frame or column not in frame:
        return pd.DataFrame(columns=labels, dtype=float)
    out = {}
    for p in periods:
        mine = frame[p.contains(frame[column])]
        out[str(p)] = mine.groupby("rep_id").size()
    return pd.DataFrame(out).fillna(0.0)


def late_delivery_shares(
    orders: pd.DataFrame | None, reps: pd.DataFrame, period: Period, grace_days: int = 0
) -> pd.DataFrame:
    """Per rep: the late share of their delivered orders placed in the period, their
    department's, and the rest of the company's (every other department), read through
    `monitoring.delivery_by` so "late" means what monitoring says."""
    columns = ["late_share", "department_late_share", "rest_late_share"]
    if orders is None or not {"promised_date", "delivered_date"} <= set(orders):
        return pd.DataFrame(columns=columns, dtype=float)
    lines = orders[period.contains(orders["order_date"])]
    by_rep = monitoring.delivery_by(lines, reps, level="rep", grace_days=grace_days)
    if "late" not in by_rep or by_rep.empty:
        return pd.DataFrame(columns=columns, dtype=float)
    # Counts are additive over reps, so a department's share is its reps' counts summed.
    dept_of = reps.set_index("rep_id")["department"]
    by_dept = by_rep[["late", "delivered"]].groupby(by_rep.index.map(dept_of)).sum()
    by_dept["late_share"] = by_dept["late"] / by_dept["delivered"].where(by_dept["delivered"] > 0)
    others = by_dept["delivered"].sum() - by_dept["delivered"]
    rest = (by_dept["late"].sum() - by_dept["late"]) / others.where(others > 0)
    dept = reps.set_index("rep_id")["department"]
    out = pd.DataFrame(index=pd.Index(reps["rep_id"], name="rep_id"))
    out["late_share"] = by_rep["late_share"].reindex(out.index)
    out["department_late_share"] = dept.reindex(out.index).map(by_dept["late_share"]).to_numpy()
    out["rest_late_share"] = dept.reindex(out.index).map(rest).to_numpy()
    return out


def standings(
    tables: Mapping[str, pd.DataFrame],
    history: pd.DataFrame,
    period: Period,
    program: ProgramSettings,
    recognised: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per rep (index rep_id) with everything the rules, flags and risks read.

    `history` is `attainment_history(...)` ending with `period`; `recognised` holds the awards
    approved or communicated so far (columns rep_id, period).
    """
    reps = tables["reps"].set_index("rep_id")
    now = history[history["period"] == str(period)].set_index("rep_id")
    out = reps[[c for c in ("name", "team", "department", "role") if c in reps]].copy()
    if "role" not in out:
        out["role"] = "seller"
    # Standings read sales credited to the rep: whoever sells stands as a seller on those
    # sales, even when `reps.role` says support (their assisting is measured apart).
    out["role"] = out["role"].fillna("seller").mask(out.index.isin(roles.selling(tables)), "seller")
    for column in ("goal", "actual", "attainment", "projected_attainment"):
        out[column] = now[column].reindex(out.index)
    wide = history.pivot_table(index="rep_id", columns="period", values="attainment", dropna=False)
    order = [str(period.shift(-b)) for b in range(history["period"].nunique() - 1, -1, -1)]
    wide = wide.reindex(index=out.index, columns=[p for p in order if p in wide.columns])
    previous = str(period.shift(-1))
    out["improvement"] = out["attainment"] - (wide[previous] if previous in wide else np.nan)
    earlier = [str(period.shift(-b)) for b in range(1, program.trailing_periods + 1)]
    actual_wide = history.pivot_table(index="rep_id", columns="period", values="actual")
    trailing = actual_wide.reindex(
        index=out.index, columns=[p for p in earlier if p in actual_wide]
    )
    out["trailing"] = trailing.mean(axis=1, skipna=True) if trailing.shape[1] else np.nan
    out["goal_ratio"] = out["goal"] / out["trailing"].where(out["trailing"] > 0)
    # Eligible: a seller with a goal in force, on staff at the end of the period. Support staff
    # who sell nothing are measured on the deals they assist, not on sales credited to them, so
    # they are not ranked against sellers here.
    eligible = out["goal"].fillna(0) > 0
    reason = pd.Series("", index=out.index)
    reason[~eligible] = "no_goal"
    support = out["role"].eq("support")
    reason[eligible & support] = "support"
    eligible &= ~support
    if "end_date" in reps:
        left = reps["end_date"].reindex(out.index) < period.end
        reason[eligible & left] = "left"
        eligible &= ~left
    out["eligible"] = eligible
    out["ineligible"] = reason
    # Feedback and activity in the period; activity against the trailing periods' average.
    feedback = tables.get("feedback")
    if feedback is not None and "rep_id" in feedback:
        fb = feedback[period.contains(feedback["date"])]
        out["feedback"] = fb.groupby("rep_id")["score"].mean().reindex(out.index)
        out["feedback_responses"] = fb.groupby("rep_id").size().reindex(out.index).fillna(0)
    else:
        out["feedback"], out["feedback_responses"] = np.nan, 0.0
    earlier_periods = [period.shift(-b) for b in range(1, program.trailing_periods + 1)]
    acts = _count_per_period(tables.get("activities"), "date", [period, *earlier_periods])
    if acts.shape[1]:
        acts = acts.reindex(out.index).fillna(0.0)
        out["activities"] = acts[str(period)]
        out["trailing_activities"] = acts[[str(p) for p in earlier_periods]].mean(axis=1)
    else:
        out["activities"], out["trailing_activities"] = np.nan, np.nan
    # Periods since the last approved award, within the window the flags read.
    window = [str(period.shift(-b)) for b in range(program.unrecognised_periods)]
    got = set()
    if recognised is not None and len(recognised):
        got = set(recognised.loc[recognised["period"].isin(window), "rep_id"])
    out["recognised_recently"] = out.index.isin(got)
    # Without any award decided in the window, "not recognised" says nothing about the rep.
    out["awards_recorded"] = bool(got)
    late = late_delivery_shares(
        tables.get("orders"), tables["reps"], period, program.on_time_grace_days
    )
    for column in ("late_share", "department_late_share", "rest_late_share"):
        out[column] = late[column].reindex(out.index) if column in late else np.nan
    for column in wide.columns:
        out[HISTORY_PREFIX + column] = wide[column]
    return out


def history_of(s: pd.DataFrame) -> pd.DataFrame:
    """The rep x period attainment columns of standings (`attainment:2026-Q1`), oldest first."""
    columns = [c for c in s.columns if str(c).startswith(HISTORY_PREFIX)]
    return s[columns].rename(columns=lambda c: c[len(HISTORY_PREFIX) :])


def streaks(history_wide: pd.DataFrame, threshold: float) -> pd.Series:
    """Consecutive periods, ending with the newest column, at or above `threshold`."""
    met = history_wide.ge(threshold).to_numpy()
    run = np.zeros(len(history_wide), dtype=int)
    alive = np.ones(len(history_wide), dtype=bool)
    for j in range(met.shape[1] - 1, -1, -1):
        alive &= met[:, j]
        run += alive
    return pd.Series(run, index=history_wide.index)


# --------------------------------------------------------------------------- ranks and ties


def ranks(values: pd.Series, digits: int = 3, groups: pd.Series | None = None) -> pd.Series:
    """Competition ranks, best first (1, 2, 2, 4), on values rounded to `digits` (so figures
    that read the same share a rank), within each group when given; NaN stays unranked."""
    rounded = values.round(digits)
    if groups is None:
        return rounded.rank(ascending=False, method="min")
    return rounded.groupby(groups).rank(ascending=False, method="min")


def rank_labels(rank: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """`1`, `=2`, `=2`, `4`: a shared rank is marked with '='."""
    keys = [rank] if groups is None else [groups, rank]
    counts = rank.groupby(keys).transform("size") if len(rank) else rank
    return pd.Series(
        ["" if pd.isna(r) else ("=" if c > 1 else "") + str(int(r)) for r, c in zip(rank, counts)],
        index=rank.index,
        dtype=object,
    )


def rank_with_ties(values: pd.Series, digits: int = 3) -> pd.Series:
    """Rank labels of values, best first: 1, =2, =2, 4."""
    return rank_labels(ranks(values, digits))


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


def leaderboard(
    s: pd.DataFrame, digits: int = 3, badges: pd.DataFrame | None = None, value: str = "attainment"
) -> pd.DataFrame:
    """Eligible reps by attainment, best first; ties share a rank (`=2`). `badges`: awards
    (rep_id, award) whose labels are listed per rep."""
    board = s[s["eligible"]].copy()
    board["rank"] = ranks(board[value], digits)
    board["rank_label"] = rank_labels(board["rank"])
    if badges is not None and len(badges):
        got = badges.groupby("rep_id")["award"].apply(
            lambda a: ", ".join(dict.fromkeys(award_label(x) for x in a))
        )
        board["badges"] = got.reindex(board.index).fillna("")
    else:
        board["badges"] = ""
    board = board.sort_values(
        ["rank", "name"],
        na_position="last",
        key=name_order("name"),
    )
    columns = [
        "rank",
        "rank_label",
        "name",
        "team",
        "department",
        value,
        "actual",
        "goal",
        "badges",
    ]
    return board[columns]


def tie_notes(
    board: pd.DataFrame, fmt: Formatter, lang: str = "en", value: str = "attainment"
) -> list[str]:
    """One sentence per shared rank on a leaderboard."""
    _ = translator(lang)
    shared = board[board["rank_label"].str.startswith("=")]
    return [
        _(
            "{names} share rank {rank} with {value}.",
            names=", ".join(part["name"].astype(str)),
            rank=label,
            value=fmt.pct(part[value].iloc[0], 1),
        )
        for label, part in shared.groupby("rank_label", sort=False)
    ]


# --------------------------------------------------------------------------- fairness


def award_rates(s: pd.DataFrame, awards: pd.DataFrame, level: str) -> pd.DataFrame:
    """Share of each department's or team's eligible reps with at least one award, next to
    the company's rate."""
    eligible = s[s["eligible"]]
    got = eligible.index.isin(set(awards["rep_id"]) if len(awards) else set())
    frame = pd.DataFrame(
        {
            "eligible": eligible.groupby(level).size(),
            "awarded": pd.Series(got, index=eligible.index).groupby(eligible[level]).sum(),
        }
    )
    frame["rate"] = frame["awarded"] / frame["eligible"]
    frame["company_rate"] = got.mean() if len(got) else np.nan
    frame["difference"] = frame["rate"] - frame["company_rate"]
    return frame


def low_goals(s: pd.DataFrame, fence: float) -> pd.DataFrame:
    """Reps whose goal, relative to their own trailing results, sits far below peers': under
    the peers' lower quartile minus `fence` interquartile ranges (Tukey's fence) of the same
    ratio. Peers are eligible reps of the same role. Columns: goal_ratio, peer_median, limit."""
    e = s[s["eligible"] & s["goal_ratio"].notna()]
    rows = []
    for _role, part in e.groupby("role"):
        q1, median, q3 = part["goal_ratio"].quantile([0.25, 0.5, 0.75])
        limit = q1 - fence * (q3 - q1)
        low = part[part["goal_ratio"] < limit]
        rows.append(
            pd.DataFrame(
                {"goal_ratio": low["goal_ratio"], "peer_median": median, "limit": limit},
                index=low.index,
            )
        )
    if not rows:
        return pd.DataFrame(columns=["goal_ratio", "peer_median", "limit"])
    return pd.concat(rows)


def fairness_flags(
    s: pd.DataFrame,
    awards: pd.DataFrame,
    program: ProgramSettings,
    fmt: Formatter,
    lang: str = "en",
) -> pd.DataFrame:
    """Awarded reps who qualify only because their goal sits far below peers': with a goal set
    like peers' (the peer median ratio x their trailing results) they would miss the floor of
    the goal rules they won."""
    _ = translator(lang)
    low = low_goals(s, program.goal_fence)
    floors = {
        r.name: r.floor for r in program.rules if r.qualifies in ("met_goal", "top_n", "consistent")
    }
    won = awards[awards["rule"].isin(floors) & awards["rep_id"].isin(low.index)]
    rows = []
    for rep_id, part in won.groupby("rep_id"):
        row, lg = s.loc[rep_id], low.loc[rep_id]
        fair_goal = lg["peer_median"] * row["trailing"]
        fair_att = row["actual"] / fair_goal if fair_goal > 0 else np.nan
        lost = [a for rule, a in zip(part["rule"], part["award"]) if not fair_att >= floors[rule]]
        if not lost:
            continue
        rows.append(
            {
                "rep_id": rep_id,
                "name": row.get("name", rep_id),
                "goal_ratio": lg["goal_ratio"],
                "peer_median": lg["peer_median"],
                "fair_attainment": fair_att,
                "awards": ", ".join(lost),
                "sentence": _(
                    "{name}'s goal is {ratio} of their trailing results while peers' median is "
                    "{median} (flagged below {limit}); with a goal set like peers' ({fair_goal}) "
                    "they would have reached {fair} and not qualified for: {awards}.",
                    name=row.get("name", rep_id),
                    ratio=fmt.pct(lg["goal_ratio"]),
                    median=fmt.pct(lg["peer_median"]),
                    limit=fmt.pct(lg["limit"]),
                    fair_goal=fmt.money(fair_goal),
                    fair=fmt.pct(fair_att),
                    awards=", ".join(lost),
                ),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "rep_id",
            "name",
            "goal_ratio",
            "peer_median",
            "fair_attainment",
            "awards",
            "sentence",
        ],
    )


# --------------------------------------------------------------------------- retention


def retention_risks(
    s: pd.DataFrame,
    payouts: pd.Series,
    program: ProgramSettings,
    fmt: Formatter,
    lang: str = "en",
) -> pd.DataFrame:
    """Top performers at risk of leaving, each with the reasons.

    Top performers: the top `top_share` of eligible reps by mean attainment over the history
    columns of the standings. Reasons: activity down by more than `activity_drop` on their trailing
    average; no approved award in the last `unrecognised_periods` periods; cash pay-out under
    (1 - `payout_gap`) of the median of peers whose results are within `similar_results`.
    """
    _ = translator(lang)
    e = s[s["eligible"]]
    hist = history_of(e)
    mean_att = hist.mean(axis=1) if hist.shape[1] else e["attainment"]
    cut = max(1, math.ceil(program.top_share * mean_att.notna().sum()))
    top = mean_att.dropna().sort_values(ascending=False).index[:cut]
    paid = payouts.reindex(e.index).fillna(0.0)
    rows = []
    for rep_id in top:
        row = e.loc[rep_id]
        reasons = []
        if (
            row["trailing_activities"] > 0
            and row["activities"] < (1 - program.activity_drop) * row["trailing_activities"]
        ):
            reasons.append(
                _(
                    "activity down {drop} on their average of the previous {n} periods",
                    drop=fmt.pct(1 - row["activities"] / row["trailing_activities"]),
                    n=program.trailing_periods,
                )
            )
        if row.get("awards_recorded", True) and not row["recognised_recently"]:
            reasons.append(
                _n(
                    "no award approved in the last period",
                    "no award approved in the last {n} periods",
                    program.unrecognised_periods,
                    n=program.unrecognised_periods,
                )
            )
        # errors="ignore": with no result (0) the rep is not among those "near" themselves.
        near = e[(e["actual"] / row["actual"] - 1).abs() <= program.similar_results].drop(
            index=rep_id, errors="ignore"
        )
        if row["actual"] > 0 and len(near) >= 3:
            median = paid.reindex(near.index).median()
            if median > 0 and paid[rep_id] < (1 - program.payout_gap) * median:
                reasons.append(
                    _(
                        "paid {paid} against a median of {median} for {k} peers with results "
                        "within {band} of theirs",
                        paid=fmt.money(paid[rep_id]),
                        median=fmt.money(median),
                        k=len(near),
                        band=fmt.pct(program.similar_results),
                    )
                )
        if reasons:
            rows.append(
                {
                    "rep_id": rep_id,
                    "name": row.get("name", rep_id),
                    "mean_attainment": mean_att[rep_id],
                    "reasons": separated(reasons, lang),
                    "sentence": _(
                        "{name} (mean attainment {attainment}) is at risk: {reasons}.",
                        name=row.get("name", rep_id),
                        attainment=fmt.pct(mean_att[rep_id]),
                        reasons=separated(reasons, lang),
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["rep_id", "name", "mean_attainment", "reasons", "sentence"])


# --------------------------------------------------------------------------- no award: why


def attainment_text(fmt: Formatter, x: float) -> str:
    """Attainment as a percentage, with a decimal near the goal so 99.97% never reads 100%."""
    return fmt.pct(x, 1 if pd.notna(x) and 0.995 <= x < 1.005 else 0)


def late_deliveries_explain(row: pd.Series, ratio: float) -> bool:
    """Late deliveries in the rep's department explain part of a miss: the department's late
    share is at least `ratio` times the rest of the company's, and the rep's own is too."""
    dept, rest, mine = (
        row.get("department_late_share"),
        row.get("rest_late_share"),
        row.get("late_share"),
    )
    if any(pd.isna(x) for x in (dept, rest, mine)) or rest <= 0:
        return False
    return dept >= ratio * rest and mine >= ratio * rest


def status_sentences(
    s: pd.DataFrame,
    awards: pd.DataFrame,
    program: ProgramSettings,
    period: str,
    fmt: Formatter,
    lang: str = "en",
) -> pd.Series:
    """For every rep without an award, why not; a missed goal says when late deliveries in
    their department explain part of it (the full attribution is the diagnosis's)."""
    _ = translator(lang)
    have = set(awards["rep_id"]) if len(awards) else set()
    out = {}
    for rep_id, row in s.iterrows():
        if rep_id in have:
            continue
        name = row.get("name", rep_id)
        if not row["eligible"]:
            why = {
                "no_goal": _("{name} had no goal in force for {period}, so no award."),
                "support": _(
                    "{name} is support staff, measured on the deals they assist; the award "
                    "rules rank sellers."
                ),
                "left": _("{name} left before the end of {period}, so no award."),
            }[row["ineligible"]]
            out[rep_id] = why.format(name=name, period=fmt.period(period))
            continue
        if row["attainment"] >= 1:
            out[rep_id] = _(
                "{name} reached {attainment} of the {period} goal but no rule's other "
                "conditions were met.",
                name=name,
                attainment=attainment_text(fmt, row["attainment"]),
                period=fmt.period(period),
            )
            continue
        text = _(
            "{name} missed the {period} goal ({attainment}), so no goal award.",
            name=name,
            period=fmt.period(period),
            attainment=attainment_text(fmt, row["attainment"]),
        )
        if late_deliveries_explain(row, program.late_delivery_ratio):
            text += " " + _(
                "Late deliveries in {department} explain part of it: {mine} of their delivered "
                "orders arrived late, against {dept} in {department} and {rest} in the rest "
                "of the company. See the diagnosis before judging the rep.",
                department=row["department"],
                mine=fmt.pct(row["late_share"]),
                dept=fmt.pct(row["department_late_share"]),
                rest=fmt.pct(row["rest_late_share"]),
            )
        out[rep_id] = text
    return pd.Series(out, dtype=object)
