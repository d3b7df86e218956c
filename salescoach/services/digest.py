"""The best-practice digest for the whole sales staff: what sells, what wins, what customers say.

Company-wide and positive: reps are named only as good examples, and only beside a figure at
or above the median of their peers (sellers with enough data on that measure). No individual's
weak figure appears. `digest_content` gathers the figures (pure); `render_digest` writes them as
one self-contained HTML page, every value escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from salescoach.domain import capabilities, insights, monitoring, roles
from salescoach.domain.capabilities import FEATURES, NotAssessed
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.i18n import N_
from salescoach.templating import render

# The measures a rep can be named for, each with the sentence beside the name.
# Marked for the catalogue here, translated where the digest is written (in its language).
EXAMPLE_MEASURES = {
    "win_rate": N_("won {value} of closed deals"),
    "revenue_growth": N_("grew revenue by {value} vs the year before"),
    "feedback": N_("averaged {value} out of 10 in customer feedback"),
}


@dataclass(frozen=True)
class Example:
    """A named positive example: a rep at or above the peers' median on one measure."""

    rep_id: str
    name: str
    measure: str
    value: float
    median: float


@dataclass(frozen=True)
class Digest:
    period: Period
    families: pd.DataFrame
    techniques: pd.DataFrame
    sources: pd.DataFrame
    praise: pd.DataFrame
    complaints: pd.DataFrame
    examples: tuple[Example, ...] = ()
    courses: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: tuple[str, ...] = ()  # needs, as capabilities writes them ("deals.technique")
    # The year-before period growth needs, when it has no orders: growth is then not assessed
    # and families are listed by revenue, not said to have "not grown".
    no_prior: Period | None = None
    # The first day of the window what wins, lead sources and customers' words were read in.
    since: pd.Timestamp | None = None


# The parts of the digest and what each reads; a part whose needs are missing is listed as
# not assessed in the digest and by the command that writes it.
PART_NEEDS = {
    "families": FEATURES["revenue"].needs,
    "techniques": (*FEATURES["techniques"].needs, *FEATURES["win_rate"].needs),
    "sources": FEATURES["campaigns"].needs,
    "voice": (*FEATURES["feedback"].needs, "feedback.comment"),
}


def missing_needs(caps: capabilities.Capabilities) -> tuple[str, ...]:
    """The needs of the digest's parts that the workbook does not meet, each said once."""
    out: list[str] = []
    for needs in PART_NEEDS.values():
        out += [n for n in caps.missing(*needs) if n not in out]
    return tuple(out)


def rep_measures(
    tables: Mapping[str, pd.DataFrame], period: Period, rules: insights.InsightRules
) -> pd.DataFrame:
    """Per seller: win rate (with enough closed deals), revenue growth, mean feedback (enough responses)."""
    sellers = roles.sellers(tables["reps"], tables)
    now = monitoring.results_by(tables, "rep", period)
    out = pd.DataFrame(index=pd.Index(sellers["rep_id"], name="rep_id"))
    if {"win_rate", "deals_won", "deals_lost"} <= set(now):
        closed = now["deals_won"] + now["deals_lost"]
        out["win_rate"] = now["win_rate"].where(closed >= rules.min_deals)
    if "revenue" in now:
        before = monitoring.results_by(tables, "rep", monitoring.year_ago(period))["revenue"]
        out["revenue_growth"] = now["revenue"] / before.where(before > 0) - 1
    feedback = tables.get("feedback")
    if feedback is not None and "rep_id" in feedback:
        fb = feedback[period.contains(feedback["date"])].groupby("rep_id")["score"]
        out["feedback"] = fb.mean().where(fb.size() >= rules.min_responses)
    return out


def positive_examples(measures: pd.DataFrame, names: pd.Series, n: int) -> tuple[Example, ...]:
    """The top `n` reps per measure, kept only when at or above that measure's median."""
    examples = []
    for measure in measures.columns:
        values = measures[measure].dropna()
        if len(values) < 3:
            continue
        median = float(values.median())
        for rep_id, value in values.sort_values(ascending=False).head(n).items():
            if value >= median:
                examples.append(
                    Example(rep_id, str(names.get(rep_id, rep_id)), measure, float(value), median)
                )
    return tuple(examples)


def digest_content(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    rules: insights.InsightRules,
    course_effects: pd.DataFrame | None = None,
) -> Digest:
    """Everything the digest shows for one period, company-wide."""
    products, customers = tables.get("products"), tables.get("customers")
    missing = []
    families = pd.DataFrame()
    no_prior = None
    orders = tables.get("orders")
    if orders is not None:
        prior = monitoring.year_ago(period)
        now = insights.order_lines(orders, products, customers, period.start, period.end)
        before = insights.order_lines(orders, products, customers, prior.start, prior.end)
        families = insights.what_sells(now, before, "family")
        if before.empty:
            no_prior = prior
        elif "growth" in families:
            families = families[families["growth"] > 0].sort_values("growth", ascending=False)
    else:
        missing.append("orders")
    techniques = sources = pd.DataFrame()
    # What sells compares the period with a year before; the rest read the lookback window.
    since = insights.lookback_start(period.start, period.end, rules.lookback_months)
    caps = capabilities.of(tables)
    deals = tables.get("deals")
    # Each part asks for what it reads; what is missing is listed, never shown as "none".
    gone = caps.missing(*PART_NEEDS["techniques"])
    if not gone:
        closed = insights.closed_deals(deals, products, customers, since, period.end)
        wins = insights.win_rates(closed, ["technique"], rules)
        techniques = wins[wins["enough"]].head(rules.digest_examples)
    missing += [n for n in gone if n not in missing]
    gone = caps.missing(*PART_NEEDS["sources"])
    if not gone:
        created = (
            deals[insights.between(deals["created_date"], since, period.end)]
            if caps.has("deals.created_date")
            else deals
        )
        sources = insights.lead_sources(created, rules)
        if len(sources):
            sources = sources[sources["leads"] >= rules.min_deals].head(rules.digest_examples)
    missing += [n for n in gone if n not in missing]
    praise = complaints = pd.DataFrame()
    gone = caps.missing(*PART_NEEDS["voice"])
    if not gone:
        feedback = tables["feedback"]
        recent = feedback[insights.between(feedback["date"], since, period.end)]
        voice = insights.customer_voice(recent, rules)
        praise, complaints = voice["high"].head(5), voice["low"].head(5)
    missing += [n for n in gone if n not in missing]
    names = tables["reps"].set_index("rep_id")["name"]
    examples = positive_examples(rep_measures(tables, period, rules), names, rules.digest_examples)
    courses = pd.DataFrame()
    if course_effects is not None and len(course_effects):
        # Only effects clear of zero by two standard errors are shown as training that worked.
        clear = course_effects["effect"] - 2 * course_effects["se"] > 0
        courses = course_effects[course_effects["conclusive"] & clear]
    return Digest(
        period,
        families.head(rules.digest_examples),
        techniques,
        sources,
        praise,
        complaints,
        examples,
        courses,
        tuple(missing),
        no_prior,
        since,
    )


def render_digest(
    digest: Digest,
    fmt: Formatter,
    lang: str = "en",
    company: str = "",
    branding: Mapping[str, str] | None = None,
    effect_metric: str = "win_rate",
) -> str:
    """The digest as one self-contained, escaped HTML page."""
    from salescoach.i18n import translator

    _ = translator(lang)
    brand = {
        "primary_colour": "#1f4e79",
        "accent_colour": "#c55a11",
        "footer": "",
        **(branding or {}),
    }

    def measure_text(e: Example) -> str:
        value = fmt.number(e.value, 1) if e.measure == "feedback" else fmt.pct(e.value)
        return _(EXAMPLE_MEASURES[e.measure], value=value)

    # A course's effect on win rate is a difference of rates: points (+4 pp), not a percentage.
    effect_text = fmt.points if effect_metric == "win_rate" else fmt.money
    return render(
        "digest/digest.html.j2",
        lang=lang,
        company=company,
        period_label=fmt.period(digest.period),
        window=(
            _(
                "Closed deals, new leads and customers' comments from {start} to {end}.",
                start=fmt.date(digest.since),
                end=fmt.date(digest.period.end),
            )
            if digest.since is not None
            else ""
        ),
        families=[
            {
                "name": str(name),
                "revenue": fmt.money(r.revenue),
                "growth": fmt.pct(r.growth, 0, signed=True),
                "margin": fmt.pct(r.margin) if "margin" in r and pd.notna(r.margin) else "",
            }
            for name, r in digest.families.iterrows()
        ],
        techniques=[
            {
                "name": str(r.technique),
                "win_rate": fmt.pct(r.win_rate),
                "low": fmt.pct(r.low),
                "high": fmt.pct(r.high),
                "closed": fmt.number(r.closed),
            }
            for r in digest.techniques.itertuples()
        ],
        sources=[
            {
                "name": str(name),
                "conversion": fmt.pct(r.conversion),
                "per_lead": fmt.money(r.revenue_per_lead),
                "leads": fmt.number(r.leads),
            }
            for name, r in digest.sources.iterrows()
        ],
        praise=[str(p) for p in digest.praise.get("phrase", [])],
        complaints=[str(p) for p in digest.complaints.get("phrase", [])],
        examples=[
            {"name": e.name, "measure": e.measure, "text": measure_text(e)} for e in digest.examples
        ],
        courses=[
            {
                "title": str(r.title),
                "effect": effect_text(r.effect),
                "reps": fmt.number(r.reps_trained),
            }
            for r in digest.courses.itertuples()
        ],
        missing=[NotAssessed(need).text(lang) for need in digest.missing],
        no_prior=(
            _(
                "Growth not assessed: no orders in {period} to compare with.",
                period=fmt.period(digest.no_prior),
            )
            if digest.no_prior is not None
            else ""
        ),
        primary_colour=brand["primary_colour"],
        accent_colour=brand["accent_colour"],
        footer=brand["footer"],
    )
