"""The recognition programme as settings describe it: award rules, bonus plans and their cost
under a budget, and award money left "auto" derived from the organisation's own revenue."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from salescoach import settings
from salescoach.domain.decisions import AWARD, award_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.errors import InputError
from salescoach.i18n import N_, _, translator

QUALIFIERS = ("met_goal", "top_n", "consistent", "most_improved", "best_feedback")


REWARDS = ("bonus_plan", "cash_share", "cash_fixed", "leave_days", "trip", "office", "title")


WITHIN = ("company", "department", "team")


MODES = {"marginal": N_("marginal"), "tiered": N_("tiered")}


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
