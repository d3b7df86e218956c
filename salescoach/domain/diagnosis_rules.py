"""The diagnosis rules as data: each check's needs, signals (and which may stand alone), owner,
sentence and action. `salescoach.domain.diagnosis` runs them."""

from __future__ import annotations

from dataclasses import dataclass

from salescoach.domain import capabilities
from salescoach.i18n import N_

CAUSES = ("product", "price", "delivery", "service", "marketing", "training", "rep")
FINDING_COLUMNS = [
    "scope",
    "scope_id",
    "cause",
    "positive",
    "impact",
    "evidence",
    "benchmark",
    "owner",
    "action",
    "rule",
    "material",
    "n",
    "low",
    "high",
    "strength",
]
CHECK_COLUMNS = ["cause", "status", "detail", "needs", "unknown"]
# Settings `[diagnosis]` every rule reads (the evidence model's cut-offs).
EVIDENCE = ("min_count", "extreme_z", "agree_z", "spread_floor", "min_points")


def settings_defaults() -> dict:
    """The settings model's `[diagnosis]` section with its defaults (the shipped
    `salescoach/resources/salescoach.toml`'s), as the plain mapping the rules read."""
    import dataclasses

    from salescoach.settings import Diagnosis

    return dataclasses.asdict(Diagnosis())


@dataclass(frozen=True)
class Signal:
    """One piece of evidence a rule reads: what it needs, whether it may carry a finding alone,
    and the phrase it adds to the finding's sentence ({value}, {peer}, {n})."""

    name: str
    needs: tuple[str, ...]
    alone: bool
    phrase: str
    kind: str = "rate"  # rate, days, money, number or flag: how value and peer are formatted


@dataclass(frozen=True)
class Rule:
    """One check: the data it needs, its signals, its owner, the sentence it writes (named
    placeholders {unit} and {signals}) and the action it recommends."""

    name: str
    cause: str
    scope: str
    needs: tuple[str, ...]
    signals: tuple[Signal, ...]
    owner: str
    sentence: str
    action: str
    # The systemic rules' findings are also held to the bar of every comparison made in the
    # organisation (`family_alarm`, `diagnosis_judge.family_filter`).
    thresholds: tuple[str, ...] = EVIDENCE + ("materiality", "window_months", "family_alarm")
    # Signals in order of precedence: the first the unit has enough records for must be at least
    # moderate. A department with fewer wins and timing losses but deliveries on time is not a
    # delivery problem, nor is one whose lines are returned (a poor product) while it delivers
    # on time; lost lines decide only where delivered dates are not recorded.
    key: tuple[str, ...] = ()

    def not_assessed(self, caps) -> capabilities.NotAssessed | None:
        """What is missing when the rule cannot run: its own needs, or every signal's."""
        missing = caps.check(*self.needs)
        if missing is not None:
            return missing
        if not self.known(caps):
            return capabilities.NotAssessed(
                tuple(dict.fromkeys(n for s in self.signals for n in caps.missing(*s.needs)))
            )
        return None

    def known(self, caps) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if caps.has(*s.needs))

    def unknown(self, caps) -> tuple[str, ...]:
        """The needs of the signals the data cannot give (said in the check's detail)."""
        return tuple(
            dict.fromkeys(n for s in self.signals if not caps.has(*s.needs) for n in s.needs)
        )


def _s(name, needs, alone, phrase, kind="rate") -> Signal:
    return Signal(name, tuple(needs), alone, phrase, kind)


RETURNS = _s(
    "returns",
    ["orders.status=returned"],
    True,
    N_("{value} of {n} order lines returned (others {peer})"),
)
COMPLAINTS = _s(
    "complaints",
    ["service.kind=complaint", "service.product_id"],
    True,
    N_("{value} complaints per order line over {n} lines (others {peer})"),
)
WIN = _s(
    "win_rate",
    ["deals.close_date", "deals.stage=won"],
    False,
    N_("win rate {value} over {n} closed deals (others {peer})"),
)
RULES: tuple[Rule, ...] = (
    Rule(
        "poor_product",
        "product",
        "product",
        ("orders", "orders.product_id"),
        (
            RETURNS,
            COMPLAINTS,
            _s(
                "product_lost",
                ["deals.product_id", "deals.lost_reason=product"],
                True,
                N_("{value} of {n} lost deals lost on the product (others {peer})"),
            ),
            # Against the other products of its family where it has some, so a family priced
            # out (the price check) is not read as each of its products being poor.
            _s("win_rate", ["deals.product_id", *WIN.needs], True, WIN.phrase),
        ),
        "production",
        N_("{unit} does worse than the other products: {signals}."),
        N_("Review quality of {unit} with production; hold promotion until returns fall."),
    ),
    Rule(
        "overpriced_family",
        "price",
        "family",
        ("deals", "deals.product_id", "deals.close_date"),
        (
            _s(
                "price_lost",
                ["deals.lost_reason=price"],
                True,
                N_("{value} of {n} lost deals lost on price (others {peer})"),
            ),
            _s("win_rate", WIN.needs, True, WIN.phrase),
            _s(
                "discount",
                ["orders.discount"],
                False,
                N_("discounts {value} deeper than a year before"),
                "flag",
            ),
            _s(
                "price_index",
                ["market.competitor_price_index", "market.product_family"],
                False,
                N_("competitor price index {value}"),
                "flag",
            ),
        ),
        "marketing",
        N_("{unit} is priced out: {signals}."),
        N_("Review the price list of {unit} against competitors with marketing."),
    ),
    Rule(
        "late_department",
        "delivery",
        "department",
        ("orders", "reps.department", "orders.promised_date", "orders.delivered_date"),
        (
            _s(
                "late",
                ["orders.promised_date", "orders.delivered_date"],
                True,
                N_("{value} of {n} delivered orders arrived late (others {peer})"),
            ),
            _s(
                "lost_lines",
                ["orders.status"],
                False,
                N_("{value} of {n} order lines cancelled or returned (others {peer})"),
            ),
            _s(
                "timing_lost",
                ["deals.lost_reason=timing"],
                False,
                N_("{value} of {n} lost deals lost on timing (others {peer})"),
            ),
            _s("win_rate", ["deals.close_date", "deals.stage=won"], False, WIN.phrase),
        ),
        "logistics",
        N_("{unit} delivers late: {signals}."),
        N_("Agree a recovery plan for deliveries in {unit} with logistics."),
        key=("late", "lost_lines"),
    ),
    Rule(
        "poor_service_segment",
        "service",
        "segment",
        ("service", "customers.segment", "service.customer_id"),
        (
            _s(
                "days",
                ["service.closed_date"],
                True,
                N_("cases take {value} days to close over {n} cases (others {peer})"),
                "days",
            ),
            _s(
                "unhappy",
                ["service.csat"],
                True,
                N_("{value} of {n} rated cases with CSAT 2 or less (others {peer})"),
            ),
        ),
        "customer service",
        N_("{unit} customers are served worse: {signals}."),
        N_("Set a response-time target for {unit} customers with customer service."),
        EVIDENCE + ("min_count_mean", "materiality", "window_months", "family_alarm"),
    ),
    Rule(
        "wrong_campaign",
        "marketing",
        "campaign",
        ("deals", "deals.lead_source", "deals.close_date"),
        (
            _s(
                "win_rate",
                ["deals.stage=won"],
                True,
                N_("{value} of {n} closed leads won (other campaigns {peer})"),
            ),
            _s(
                "in_target",
                ["campaigns.target_segment", "customers.segment", "deals.customer_id"],
                False,
                N_("{value} of its buyers in the segment it targeted (others {peer})"),
            ),
        ),
        "marketing",
        N_("Campaign {unit} brings the wrong leads: {signals}."),
        N_("Re-target or stop campaign {unit} with marketing; check who really buys."),
    ),
    Rule(
        "training_gap",
        "training",
        "rep",
        (
            "deals.product_id",
            "deals.close_date",
            "products.family",
            "courses.product_family",
            "training",
        ),
        (
            _s("win_rate", ["deals.stage=won"], False, WIN.phrase),
            _s(
                "course",
                ["training.completed_date"],
                False,
                N_("the {family} course {status}"),
                "flag",
            ),
        ),
        "sales enablement",
        N_("{unit} sells {family} worse than peers: {signals}."),
        N_("Assign the {family} product course to {unit} and review after it."),
        EVIDENCE + ("materiality", "window_months", "family_alarm"),
    ),
    Rule(
        "rep_performance",
        "rep",
        "rep",
        ("targets",),
        (
            # Sellers' capacities differ: a low level agrees, a drop against their own pace
            # (activity_trend) may stand alone.
            _s(
                "activity",
                ["activities"],
                False,
                N_("{value} activities a quarter (peers {peer})"),
                "number",
            ),
            _s(
                "activity_trend",
                ["activities"],
                True,
                N_(
                    "{value} of their {n} activities in the window fell in the period (their own pace gives {peer})"
                ),
            ),
            _s(
                "deal_pace",
                ["deals.close_date"],
                True,
                N_(
                    "{value} of their {n} closed deals in the window closed in the period (their own pace gives {peer})"
                ),
            ),
            # Results agree with effort but never stand alone: a systemic cause the checks
            # could not see (a campaign without lead sources, a product without returns data)
            # lowers a seller's win rate just the same.
            _s("win_rate", ["deals.close_date", "deals.stage=won"], False, WIN.phrase),
            _s(
                "deal_size",
                ["deals.amount", "deals.stage=won"],
                False,
                N_("deal size {value} over {n} won deals (peers {peer})"),
                "money",
            ),
            # A result, never a cause: it agrees only with the seller's own signals together
            # (diagnosis_people.rep_verdict), since a missed systemic cause leaves the same.
            _s(
                "shortfall",
                ["targets"],
                False,
                N_("attainment with systemic causes taken off {value} (peers {peer})"),
            ),
        ),
        "the rep's manager",
        N_(
            "{unit}: attainment {attainment}, unexplained gap {gap}; on deals no systemic problem touched: {signals}."
        ),
        N_("Coach {unit}: agree an activity plan and follow up; see the coaching ladder."),
        EVIDENCE + ("rep_gap", "materiality", "family_alarm", "fall_alarm"),
    ),
    Rule(
        "top_performer",
        "rep",
        "rep",
        ("targets",),
        (
            _s(
                "activity",
                ["activities"],
                False,
                N_("{value} activities a quarter (peers {peer})"),
                "number",
            ),
            _s("win_rate", ["deals.close_date", "deals.stage=won"], False, WIN.phrase),
        ),
        "the rep's manager",
        N_("{unit}: attainment {attainment}; {signals}."),
        N_("Ask {unit} to share how they work with the team; recognise the result."),
        ("positive_attainment",),
    ),
)
RULE = {r.name: r for r in RULES}
CAUSE_RULE = {r.cause: r for r in RULES if r.name != "top_performer"}
