"""Training and what works for a workbook: reads its facts and store, records assignments."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salescoach.data.workbook import Workbook
from salescoach.domain import actuals, decisions, insights, training
from salescoach.domain.capabilities import FEATURES
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import _, translator
from salescoach.services import access as guard, batch, digest, period_of, staff_and_now, writing

ASSIGNMENT_KIND = decisions.TRAINING
assignment_key = decisions.assignment_key


_period = period_of


def _missing(table: str) -> str:
    return translator()("not assessed: no {table} data", table=table)


def status(
    wb: Workbook, period: str, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame | str:
    """Per rep of the scope and course: current, due soon, overdue or never, at the period's end."""
    guard.require(wb, None, "training.read", guard.Subject(scope, scope_id))
    facts = wb.facts()
    # Without completions on record "never took a course" would be invented, not known.
    gone = facts.capabilities().check(*FEATURES["training_status"].needs)
    if gone is not None:
        return gone.text()
    reps = facts["reps"]
    try:
        members = actuals.members(reps, scope, scope_id)
    except (KeyError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    if batch.active() is not None:
        # A render batch computed everyone's status once: this scope's rows are its slice.
        everyone = _everyone_status(wb, str(_period(wb, period)))
        table = everyone[everyone["rep_id"].isin(members)].reset_index(drop=True)
    else:
        table = _course_status(wb, facts, reps[reps["rep_id"].isin(members)], period)
    return table.merge(reps[["rep_id", "name", "team"]], on="rep_id", how="left")


def _course_status(wb: Workbook, facts, reps: pd.DataFrame, period) -> pd.DataFrame:
    rules = wb.settings.training
    return training.course_status(
        reps, facts["courses"], facts.get("training"), _period(wb, period).end, rules.due_soon_days
    )


@batch.shared("training.status")
def _everyone_status(wb: Workbook, period: str) -> pd.DataFrame:
    facts = wb.facts()
    return _course_status(wb, facts, facts["reps"], period)


def coverage(wb: Workbook, period: str, level: str = "team") -> pd.DataFrame | str:
    table = status(wb, period)
    if isinstance(table, str):
        return table
    return training.coverage(table, wb.facts()["reps"], level)


# A product course is suggested from win rates by family and the courses each rep took.
SUGGESTION_NEEDS = (
    *FEATURES["training_status"].needs,
    *FEATURES["win_rate"].needs,
    "products.family",
    "courses.product_family",
)


def suggestions(wb: Workbook, period: str) -> pd.DataFrame | str:
    """Product courses for reps who lose on a family and never took its course."""
    facts = wb.facts()
    gone = facts.capabilities().check(*SUGGESTION_NEEDS)
    if gone is not None:
        return gone.text()
    rules = wb.settings.training
    end = _period(wb, period).end
    start = end - pd.Timedelta(days=rules.suggestion_window_days)
    rates = training.family_win_rates(facts["deals"], facts["products"], start, end)
    rule = training.GapRule(rules.min_deals, rules.peer_quantile, rules.confidence)
    out = training.suggestions(rates, facts["courses"], facts.get("training"), rule, end)
    names = facts["reps"].set_index("rep_id")["name"]
    out.insert(1, "name", out["rep_id"].map(names))
    return out


def assign(
    wb: Workbook,
    rep_id: str,
    course_id: str,
    due_on,
    reason: str,
    who: str,
    today=None,
    store=None,
    tables=None,
):
    """Record that a rep is to take a course by a date, and why. Bad input writes nothing.

    The rep must be on staff this month (a leaver takes no course); `today` (default: the
    system date) bounds the due date; `store` and `tables` are the caller's open store and
    facts (the app's), else the workbook's are read.
    """
    today = today or dt.date.today()
    reps, _now = staff_and_now(wb, tables)
    guard.require_who(wb, who, "training.write", guard.Subject.rep(rep_id), reps)
    month = Period.containing(pd.Timestamp(today), "month", wb.settings.fiscal_year_start_month)
    decisions.check_rep(reps, rep_id, month, fmt=Formatter.for_settings(wb.settings))
    courses = tables.get("courses") if tables is not None else wb.facts().get("courses")
    if courses is None or course_id not in set(courses["course_id"]):
        raise InputError(
            _(
                "unknown course {course_id}: not in the workbook's courses",
                course_id=repr(course_id),
            )
        )
    try:
        due = pd.Timestamp(due_on).date()
    except (ValueError, TypeError) as exc:
        raise InputError(_("bad due date {due_on}: use YYYY-MM-DD", due_on=repr(due_on))) from exc
    if due < today:
        raise InputError(_("A due date cannot be in the past."))
    reason = decisions.check_reason(reason)
    data = {"rep_id": rep_id, "course_id": course_id, "due_on": due.isoformat(), "reason": reason}
    key = assignment_key(rep_id, course_id)
    return writing(wb, store, lambda s: s.append(ASSIGNMENT_KIND, key, data, who=who, why=reason))


def assignments(wb: Workbook) -> pd.DataFrame:
    person = guard.require_role(wb, "training.read")
    with wb.store() as store:
        return guard.visible(wb, person, store.current(ASSIGNMENT_KIND))


def effects(wb: Workbook, period: str | None = None) -> pd.DataFrame | str:
    """Per course: difference in differences of the chosen metric, with sample sizes."""
    facts = wb.facts()
    rules = wb.settings.training
    metric_needs = FEATURES["win_rate" if rules.effect_metric == "win_rate" else "revenue"].needs
    gone = facts.capabilities().check(*FEATURES["training_status"].needs, *metric_needs)
    if gone is not None:
        return gone.text()
    courses, done = facts["courses"], facts["training"]
    tables = facts.view()  # read as asked: no order line or activity it does not use
    reps = tables["reps"]
    dates = done["completed_date"]
    first, last = dates.min(), dates.max()
    if period is not None:
        last = min(last, _period(wb, period).end)
    months = pd.period_range(
        (first - pd.DateOffset(months=rules.effect_window_months)).to_period("M"),
        (last + pd.DateOffset(months=rules.effect_window_months)).to_period("M"),
        freq="M",
    )
    ids = pd.Index(reps["rep_id"])
    panels = {}
    if rules.effect_metric == "win_rate":
        deals = tables["deals"]
        closed = deals[deals["stage"].isin(["won", "lost"]) & deals["close_date"].notna()]
        ev = pd.DataFrame(
            {
                "rep_id": closed["rep_id"],
                "date": closed["close_date"],
                "won": (closed["stage"] == "won").astype(float),
                "closed": 1.0,
                "family": training.family_of_deals(closed, tables.get("products")),
            }
        )
        panels[""] = (
            training.monthly_panel(ev, "won", months, ids),
            training.monthly_panel(ev, "closed", months, ids),
        )
        for family, group in ev.dropna(subset=["family"]).groupby("family"):
            panels[family] = (
                training.monthly_panel(group, "won", months, ids),
                training.monthly_panel(group, "closed", months, ids),
            )
    else:
        ev = actuals.events(tables, "revenue")
        panels[""] = (
            training.monthly_panel(ev, "value", months, ids),
            training.days_on_staff(reps, months),
        )
    done = done[done["completed_date"] <= last]
    verdict = training.EffectVerdict(rules.min_trained, rules.min_untrained)
    return training.course_effects(panels, courses, done, rules.effect_window_months, verdict)


def effect_caution(row, lang: str = "en") -> str:
    """The plain caution for a course effect with too few reps, or an empty string."""
    if row["conclusive"]:
        return ""
    return translator(lang)(
        training.EffectVerdict.caution,
        trained=int(row["reps_trained"]),
        untrained=int(row["reps_untrained"]),
    )


def _scope_identity(wb: Workbook, period, scope: str = "company", scope_id=None) -> dict:
    return {"period": str(_period(wb, period)), "scope": scope, "scope_id": scope_id}


@batch.shared("training.what_works", _scope_identity)
def what_works(
    wb: Workbook, period: str | Period, scope: str = "company", scope_id: str | None = None
) -> pd.DataFrame:
    """Win rate by technique (Wilson 95%) for the scope's closed deals, overall and per family."""
    guard.require(wb, None, "insights.read", guard.Subject(scope, scope_id))
    facts = wb.facts()
    gone = facts.capabilities().check(*FEATURES["techniques"].needs, *FEATURES["win_rate"].needs)
    if gone is not None:
        return pd.DataFrame({"note": [gone.text()]})
    tables = facts.view()  # read as asked: no order line or activity it does not use
    deals = tables["deals"]
    p = _period(wb, period)
    members = actuals.members(tables["reps"], scope, scope_id)
    rules = wb.settings.insights
    closed = insights.closed_deals(
        deals[deals["rep_id"].isin(members)],
        tables.get("products"),
        tables.get("customers"),
        insights.lookback_start(p.start, p.end, rules.lookback_months),
        p.end,
    )
    overall = insights.win_rates(closed, ["technique"], rules).assign(family="(all)")
    by_family = insights.what_wins(closed, rules).get("family", pd.DataFrame())
    return pd.concat([overall, by_family], ignore_index=True)[
        ["family", "technique", "won", "closed", "win_rate", "low", "high", "enough"]
    ]


def what_works_window(wb: Workbook, period: str | None, fmt: Formatter) -> str:
    """The dates `what_works` reads closed deals between (`[insights] lookback_months`)."""
    p = _period(wb, period)
    since = insights.lookback_start(p.start, p.end, wb.settings.insights.lookback_months)
    return _("Closed deals from {start} to {end}.", start=fmt.date(since), end=fmt.date(p.end))


def what_works_shown(table: pd.DataFrame, fmt: Formatter) -> pd.DataFrame:
    """`what_works` as a manager reads it: headings and yes/no in the active language, rates
    and counts by the locale."""
    if "note" in table:
        return pd.DataFrame({_("Note"): table["note"].astype(str)})
    return pd.DataFrame(
        {
            _("Product family"): [
                _("all families") if f == "(all)" else str(f) for f in table["family"]
            ],
            _("Technique"): table["technique"].astype(str).to_numpy(),
            _("Won"): [fmt.number(v) for v in table["won"]],
            _("Closed"): [fmt.number(v) for v in table["closed"]],
            _("Win rate (95% interval)"): [
                _(
                    "{rate} ({low} to {high})",
                    rate=fmt.pct(r.win_rate),
                    low=fmt.pct(r.low),
                    high=fmt.pct(r.high),
                )
                for r in table.itertuples()
            ],
            _("Enough deals to judge"): [_("yes") if e else _("no") for e in table["enough"]],
        }
    )


@batch.shared("training.insight_tables", lambda wb, period: {"period": str(_period(wb, period))})
def insight_tables(wb: Workbook, period: str) -> dict:
    """Every what-works table for a period: sells, wins, lead sources, customer voice."""
    tables = wb.facts().view()
    p = _period(wb, period)
    rules = wb.settings.insights
    products, customers = tables.get("products"), tables.get("customers")
    out: dict = {}
    orders = tables.get("orders")
    if orders is not None:
        prior = p.shift(-{"year": 1, "quarter": 4, "month": 12}[p.kind])
        now = insights.order_lines(orders, products, customers, p.start, p.end)
        before = insights.order_lines(orders, products, customers, prior.start, prior.end)
        for by in ("family", "product_id", "segment"):
            out[f"sells_by_{by}"] = insights.what_sells(now, before, by)
    # What sells compares the period with a year before; the rest read the lookback window.
    since = insights.lookback_start(p.start, p.end, rules.lookback_months)
    deals = tables.get("deals")
    if deals is not None:
        closed = insights.closed_deals(deals, products, customers, since, p.end)
        out["win_rate_by_family"] = insights.win_rates(closed, ["family"], rules)
        out.update({f"wins_by_{k}": v for k, v in insights.what_wins(closed, rules).items()})
        created = (
            deals[insights.between(deals["created_date"], since, p.end)]
            if "created_date" in deals
            else deals
        )
        out["lead_sources"] = insights.lead_sources(created, rules)
    feedback = tables.get("feedback")
    if feedback is not None:
        fs = wb.settings.fiscal_year_start_month
        for by in ("product_id", "rep_id", "segment"):
            out[f"feedback_by_{by}"] = insights.feedback_scores(
                feedback, customers, products, by, "quarter", fs
            )
        recent = feedback[insights.between(feedback["date"], since, p.end)]
        voice = insights.customer_voice(recent, rules)
        out["phrases_low"], out["phrases_high"] = voice["low"], voice["high"]
    return out


def render_digest(wb: Workbook, period: str, lang: str | None = None) -> str:
    """The best-practice digest of a period as self-contained HTML."""
    lang = lang or wb.settings.language
    tables = wb.facts().view()
    p = _period(wb, period)
    rules = wb.settings.insights
    effects_now = effects(wb, str(p))
    content = digest.digest_content(
        tables, p, rules, effects_now if isinstance(effects_now, pd.DataFrame) else None
    )
    locale = (
        wb.settings.locale if lang == wb.settings.language else {"el": "el_GR"}.get(lang, "en_IE")
    )
    return digest.render_digest(
        content,
        Formatter(locale, wb.settings.currency),
        lang=lang,
        company=wb.settings.company_name,
        branding=wb.settings["branding"],
        effect_metric=wb.settings.training.effect_metric,
    )


def write_digest(wb: Workbook, period: str, out=None, lang: str | None = None):
    """Write the digest (default reports/<period>/digest.html) atomically; return the path."""
    from pathlib import Path

    html = render_digest(wb, period, lang)
    path = Path(out) if out else wb.reports_dir / str(_period(wb, period)) / "digest.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
