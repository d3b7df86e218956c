"""Why a goal was missed: checks in a fixed order, each a rule held as data, then the rep.

The checks run in the order a manager works through them with production, logistics, customer
service and marketing: `product`, `price`, `delivery`, `service`, `marketing`, `training`, and
only then `rep`. Each rule names the data it needs (in `salescoach.domain.capabilities`' need syntax)
and the signals it reads; a rule whose needs are missing is reported "not assessed" with what it
needs, and a signal whose kind of record does not exist (no complaint cases, no activities) is
unknown, never zero.

Evidence (`salescoach.domain.diagnosis_evidence`): each signal compares a unit (a product, a family, a
department, a segment, a campaign, a rep) with its peers using the data's own spread and the
unit's sample size; below `min_count` observations it is "too few to tell". A signal that may
stand alone makes a finding when it is extreme; moderate signals must agree.

Impact: every finding's impact is the revenue it costs in one period of the length diagnosed
(the evidence window's effect scaled to the period), per rep, so impacts compare and add up and
feed the goal-gap waterfall (`salescoach.domain.diagnosis_gap`).

Fair attribution: a rep's own indicators are measured only on the deals no systemic finding
touches, and a `rep` finding needs a gap left unexplained once the systemic effects on that rep
are taken off. A period not yet closed in the data never produces a rep finding.

Every function here is pure: frames in, frames out. `salescoach.services.diagnosis` reads the
workbook and calls `diagnose`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salescoach.domain import capabilities, monitoring
from salescoach.domain.diagnosis_evidence import (
    compare_amounts,
    compare_means,
    compare_rates,
    flag,
    flags,
    robust_spread,
    verdict,
)
from salescoach.i18n import N_, _, _n, separated

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
EVIDENCE = ("min_count", "extreme_ratio", "extreme_z", "agree_ratio", "agree_z", "min_points")


def settings_defaults() -> dict:
    """The shipped `[diagnosis]` settings (`salescoach/resources/salescoach.toml`)."""
    from salescoach.settings import defaults

    return dict(defaults()["diagnosis"])


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
    thresholds: tuple[str, ...] = EVIDENCE + ("materiality", "window_months")

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
        (RETURNS, COMPLAINTS, _s("win_rate", ["deals.product_id", *WIN.needs], False, WIN.phrase)),
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
        ),
        "logistics",
        N_("{unit} delivers late: {signals}."),
        N_("Agree a recovery plan for deliveries in {unit} with logistics."),
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
                N_("activity at {value} of their own pace before the period (peers {peer})"),
            ),
            _s("win_rate", ["deals.close_date", "deals.stage=won"], True, WIN.phrase),
            _s(
                "deal_size",
                ["deals.amount", "deals.stage=won"],
                True,
                N_("deal size {value} over {n} won deals (peers {peer})"),
                "money",
            ),
        ),
        "the rep's manager",
        N_(
            "{unit}: attainment {attainment}, unexplained gap {gap}; on deals no systemic problem touched: {signals}."
        ),
        N_("Coach {unit}: agree an activity plan and follow up; see the coaching ladder."),
        EVIDENCE + ("rep_gap", "materiality"),
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


# --------------------------------------------------------------------------- data preparation

_KEYS = {
    "reps": ("rep_id", "team", "department", "role"),
    "products": ("product_id", "family"),
    "customers": ("customer_id", "segment", "region"),
    "deals": (
        "deal_id",
        "rep_id",
        "stage",
        "customer_id",
        "product_id",
        "lost_reason",
        "technique",
        "lead_source",
    ),
    "orders": ("order_id", "rep_id", "product_id", "customer_id", "status"),
    "service": ("case_id", "customer_id", "kind", "order_id", "rep_id", "product_id"),
    "activities": ("rep_id",),
    "courses": ("course_id", "product_family"),
    "training": ("rep_id", "course_id"),
    "campaigns": ("campaign_id", "target_segment"),
    "market": ("period", "product_family"),
}
_DATES = {
    "reps": ("hire_date", "end_date"),
    "deals": ("created_date", "close_date"),
    "orders": ("order_date", "promised_date", "delivered_date"),
    "service": ("opened_date", "closed_date"),
    "activities": ("date",),
    "training": ("completed_date",),
}
_NUMBERS = {
    "deals": ("amount",),
    "orders": ("quantity", "unit_price", "amount", "discount"),
    "service": ("csat",),
    "courses": ("refresh_days",),
    "market": ("competitor_price_index",),
}


def prepare(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """The tables diagnosis reads, every contract column present, ids as text (an id read as a
    number in one file and as text in another still joins), dates as dates, amounts as numbers."""
    from salescoach.domain import contract

    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if frame is None:
            continue
        f = frame.copy()
        if name in contract.TABLES:
            for column in contract.table(name).names:
                if column not in f:
                    f[column] = pd.NA
        for c in _KEYS.get(name, ()):
            if c in f:
                f[c] = f[c].astype("string").astype(object).where(f[c].notna(), None)
        for c in _DATES.get(name, ()):
            if c in f:
                f[c] = pd.to_datetime(f[c], errors="coerce")
        for c in _NUMBERS.get(name, ()):
            if c in f:
                f[c] = pd.to_numeric(f[c], errors="coerce")
        out[name] = f
    return out


def line_amount(lines: pd.DataFrame) -> pd.Series:
    """Each order line's revenue: `amount` where given, else quantity * unit_price."""
    computed = lines["quantity"] * lines["unit_price"]
    return lines["amount"].fillna(computed).fillna(0.0).astype(float)


def _between(dates: pd.Series, start, end) -> pd.Series:
    return (dates >= start) & (dates <= end)


def window(period_start: pd.Timestamp, period_end: pd.Timestamp, months: int):
    """The evidence window: at least `months` months ending with the period's last day."""
    start = min(period_start, period_end + pd.Timedelta(days=1) - pd.DateOffset(months=months))
    return pd.Timestamp(start), pd.Timestamp(period_end)


def closed_deals(deals: pd.DataFrame, start, end) -> pd.DataFrame:
    """Deals won or lost with a close date inside the window."""
    d = deals[deals["stage"].isin(("won", "lost"))]
    return d[_between(d["close_date"], start, end)]


def win_rates(closed: pd.DataFrame, by) -> pd.DataFrame:
    """Closed, won, win rate and mean won amount per key (a column name or a list of them)."""
    won = closed["stage"] == "won"
    amount = closed["amount"].where(won) if "amount" in closed else np.nan
    c = closed.assign(_won=won, _amount=amount)
    out = c.groupby(by).agg(
        closed=("_won", "size"), won=("_won", "sum"), won_amount=("_amount", "mean")
    )
    out["win_rate"] = out["won"] / out["closed"]
    return out


def with_family(frame: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """The frame with a `family` column from products (the product id where there is none)."""
    if products is None or not products["family"].notna().any():
        return frame.assign(family=frame["product_id"])
    fam = frame["product_id"].map(
        products.drop_duplicates("product_id").set_index("product_id")["family"]
    )
    return frame.assign(family=fam.fillna(frame["product_id"]))


def course_status(
    training: pd.DataFrame, courses: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per rep and product family: the product course's last completion and whether it is
    overdue (older than the course's refresh_days); a pair absent from the index never took it."""
    product = courses.dropna(subset=["product_family"])
    if "refresh_days" not in product:
        product = product.assign(refresh_days=np.nan)
    t = training.merge(product[["course_id", "product_family", "refresh_days"]], on="course_id")
    t = t[t["completed_date"] <= as_of]
    t = t.assign(refresh_days=t["refresh_days"].fillna(np.inf))
    last = t.groupby(["rep_id", "product_family"]).agg(
        last=("completed_date", "max"), refresh_days=("refresh_days", "first")
    )
    last["overdue"] = (as_of - last["last"]).dt.days > last["refresh_days"]
    return last.rename_axis(["rep_id", "family"])


def excess_losses(closed: pd.DataFrame, benchmark_rate: float, avg_won: float) -> pd.Series:
    """Per rep, revenue they would have won at the benchmark win rate: excess losses x deal size."""
    if closed.empty or not np.isfinite(benchmark_rate) or not np.isfinite(avg_won):
        return pd.Series(dtype=float)
    won = (closed["stage"] == "won").groupby(closed["rep_id"])
    excess = (benchmark_rate * won.size() - won.sum()).clip(lower=0)
    return excess * avg_won


def exposure_losses(closed: pd.DataFrame, benchmark_rate: float, avg_won: float) -> pd.Series:
    """Per rep, the unit's shortfall in win rate (benchmark - the unit's own rate) times the
    rep's closed deals on it times deal size: a systemic cause touches each rep in proportion
    to their exposure, never with the rep's own weakness folded in."""
    if closed.empty or not np.isfinite(benchmark_rate) or not np.isfinite(avg_won):
        return pd.Series(dtype=float)
    drop = max(0.0, benchmark_rate - float((closed["stage"] == "won").mean()))
    return closed.groupby("rep_id").size() * drop * avg_won


def active_days(reps: pd.DataFrame, start, end) -> pd.Series:
    """Days each rep was employed inside the window (hire_date / end_date when known)."""
    r = reps.drop_duplicates("rep_id").set_index("rep_id")
    first = r["hire_date"].clip(lower=start).fillna(start)
    last = r["end_date"].clip(upper=end).fillna(end)
    return ((last - first).dt.days + 1).clip(lower=0)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Diagnosis:
    """One pass: the findings; per cause, what the check concluded (problem, ruled out, below
    materiality, too few to tell, not assessed and what it needs); each finding's effect per rep
    (for the waterfall); the state of the period and the data's last day it was judged on."""

    findings: pd.DataFrame
    checks: pd.DataFrame
    effects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EFFECT_COLUMNS))
    gaps: pd.DataFrame | None = None
    state: str = "closed"
    as_of: pd.Timestamp | None = None
    pace: pd.DataFrame | None = None


EFFECT_COLUMNS = ["finding", "cause", "scope", "scope_id", "rep_id", "effect"]


@dataclass(frozen=True)
class _Context:
    start: pd.Timestamp
    end: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    cfg: dict
    fmt: object
    caps: object
    closed: pd.DataFrame
    orders: pd.DataFrame
    sellers: pd.Index
    share: float
    company_base: float
    rep_base: dict
    attainment: pd.DataFrame | None
    names: dict
    department: pd.Series

    def label(self, scope: str, unit) -> str:
        name = self.names.get(scope, {}).get(unit)
        return f"{name} ({unit})" if name and name != unit else str(unit)


def _fmt_value(ctx, kind: str, x) -> str:
    if isinstance(x, str):
        return x
    if kind == "rate":
        return ctx.fmt.pct(x, 1)
    if kind == "money":
        return ctx.fmt.money(x)
    return ctx.fmt.number(x, 1)


def _phrases(rule: Rule, rows: dict[str, pd.Series], ctx, extra: dict) -> str:
    out = []
    for s in rule.signals:
        row = rows.get(s.name)
        if row is None or row["level"] == "too_few":
            continue
        if s.kind == "flag" and row["level"] != "moderate":
            continue
        values = {
            "value": _fmt_value(ctx, s.kind, row.get("text", row["value"])),
            "peer": _fmt_value(ctx, s.kind, row["peer"]),
            "n": ctx.fmt.number(row["n"]),
        } | extra
        out.append(_(s.phrase, **values))
    return separated(out)


def _finding(
    rule, unit, label, rows, strength, effects: pd.Series, base, ctx, extra=None, positive=False
):
    extra = dict(extra or {})
    primary = next(
        (
            rows[s.name]
            for s in rule.signals
            if s.name in rows and rows[s.name]["level"] == "extreme"
        ),
        None,
    )
    if primary is None:
        primary = next(
            (
                rows[s.name]
                for s in rule.signals
                if s.name in rows and s.kind != "flag" and rows[s.name]["level"] != "too_few"
            ),
            pd.Series({"n": np.nan, "low": np.nan, "high": np.nan, "peer": np.nan}),
        )
    values = {"unit": label, "signals": _phrases(rule, rows, ctx, extra)} | extra
    impact = float(effects.sum()) if len(effects) else 0.0
    return {
        "scope": rule.scope,
        "scope_id": str(unit),
        "cause": rule.cause,
        "positive": positive,
        "impact": impact,
        "evidence": _(rule.sentence, **values),
        "benchmark": primary.get("peer"),
        "owner": rule.owner,
        "action": _(rule.action, **values),
        "rule": rule.name,
        "material": positive or (base > 0 and impact >= ctx.cfg["materiality"] * base),
        "n": None if pd.isna(primary.get("n")) else int(primary.get("n")),
        "low": None if pd.isna(primary.get("low")) else float(primary.get("low")),
        "high": None if pd.isna(primary.get("high")) else float(primary.get("high")),
        "strength": strength,
        "_effects": effects.groupby(level=0).sum() if len(effects) else effects,
    }


@dataclass
class _Outcome:
    findings: list = field(default_factory=list)
    judged: int = 0
    too_few: int = 0


def _judge(
    rule, frames: dict[str, pd.DataFrame], ctx, effect, base=None, extra=None, scope_label=None
) -> _Outcome:
    """Each unit's verdict from its signals; a finding with its per-rep effects when it holds."""
    out = _Outcome()
    units = pd.Index([])
    for f in frames.values():
        units = units.union(pd.Index(f.index))
    alone = {s.name for s in rule.signals if s.alone}
    for unit in units:
        rows = {k: f.loc[unit] for k, f in frames.items() if unit in f.index}
        levels = {k: r["level"] for k, r in rows.items()}
        # Judged when a signal that could carry a finding has enough records (any signal when
        # none of those is known).
        deciding = [v for k, v in levels.items() if k in alone] or list(levels.values())
        if all(v == "too_few" for v in deciding):
            out.too_few += 1
            continue
        out.judged += 1
        strength = verdict(levels, alone)
        if strength is None:
            continue
        effects = effect(unit, rows)
        b = base(unit) if base else ctx.company_base
        label = ctx.label(scope_label or rule.scope, unit)
        more = extra(unit, rows) if extra else {}
        out.findings.append(_finding(rule, unit, label, rows, strength, effects, b, ctx, more))
    return out


# --------------------------------------------------------------------------- the checks


def check_product(t, ctx, known) -> _Outcome:
    o = ctx.orders.dropna(subset=["product_id"])
    lines = o.groupby("product_id").size()
    frames = {}
    if "returns" in known:
        returned = o["status"].eq("returned").groupby(o["product_id"]).sum()
        frames["returns"] = compare_rates(returned, lines, "high", ctx.cfg)
    if "complaints" in known:
        s = t["service"]
        s = s[_between(s["opened_date"], ctx.start, ctx.end) & (s["kind"] == "complaint")]
        counts = s.groupby("product_id").size().reindex(lines.index).fillna(0)
        frames["complaints"] = compare_rates(counts, lines, "high", ctx.cfg)
    c = ctx.closed.dropna(subset=["product_id"])
    if "win_rate" in known and len(c):
        wr = win_rates(c, "product_id")
        frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
        won_amount = wr["won_amount"]

    def effect(pid, rows):
        parts = []
        if "returns" in rows:
            mine = o[(o["product_id"] == pid) & (o["status"] == "returned")]
            parts.append(line_amount(mine).groupby(mine["rep_id"]).sum())
        if "win_rate" in rows and rows["win_rate"]["level"] != "too_few":
            size = won_amount.get(pid, np.nan)
            size = size if np.isfinite(size) else won_amount.median()
            parts.append(exposure_losses(c[c["product_id"] == pid], rows["win_rate"]["peer"], size))
        return (pd.concat(parts) if parts else pd.Series(dtype=float)) * ctx.share

    return _judge(RULE["poor_product"], frames, ctx, effect)


def _period_start(text) -> pd.Timestamp:
    from salescoach.domain.periods import Period

    try:
        return Period.parse(str(text)).start
    except Exception:  # noqa: BLE001 - a free-text period in the market table is skipped
        return pd.NaT


def check_price(t, ctx, known) -> _Outcome:
    c = with_family(ctx.closed.dropna(subset=["product_id"]), t.get("products"))
    frames = {}
    if "price_lost" in known:
        lost = c[c["stage"] == "lost"]
        hits = lost["lost_reason"].eq("price").groupby(lost["family"]).sum()
        frames["price_lost"] = compare_rates(hits, lost.groupby("family").size(), "high", ctx.cfg)
    wr = win_rates(c, "family") if len(c) else None
    if "win_rate" in known and wr is not None:
        frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    families = pd.Index(c["family"].dropna().unique())
    if "discount" in known and t.get("orders") is not None:
        o = with_family(t["orders"].dropna(subset=["product_id"]), t.get("products"))
        year = pd.DateOffset(years=1)
        now = o[_between(o["order_date"], ctx.start, ctx.end)].groupby("family")["discount"].mean()
        before = o[_between(o["order_date"], ctx.start - year, ctx.end - year)]
        deeper = now - before.groupby("family")["discount"].mean()
        rows = {f: flag(deeper.get(f, np.nan) >= ctx.cfg["discount_points"]) for f in families}
        frame = pd.DataFrame(rows).T if rows else None
        if frame is not None:
            frame["text"] = [ctx.fmt.pct(deeper.get(f, np.nan), 1) for f in frame.index]
            frames["discount"] = frame
    if "price_index" in known and t.get("market") is not None:
        m = t["market"].dropna(subset=["competitor_price_index", "product_family"])
        starts = m["period"].map(_period_start)
        m = m[(starts >= ctx.start.to_period("Q").start_time) & (starts <= ctx.end)]
        index = m.groupby("product_family")["competitor_price_index"].mean()
        rows = {f: flag(index.get(f, np.nan) <= ctx.cfg["price_index"]) for f in families}
        if rows:
            frame = pd.DataFrame(rows).T
            frame["text"] = [ctx.fmt.number(index.get(f, np.nan), 2) for f in frame.index]
            frames["price_index"] = frame
    # A family is judged only where a comparison with peers could be made.
    frames = {k: v for k, v in frames.items() if len(v)}
    if not any(k in frames for k in ("price_lost", "win_rate")):
        return _Outcome()

    def effect(fam, rows):
        if wr is None or fam not in wr.index:
            return pd.Series(dtype=float)
        peer = wr["win_rate"].drop(fam).median() if len(wr) > 1 else np.nan
        return exposure_losses(c[c["family"] == fam], peer, wr.loc[fam, "won_amount"]) * ctx.share

    return _judge(RULE["overpriced_family"], frames, ctx, effect)


def check_delivery(t, ctx, known) -> _Outcome:
    o = ctx.orders.assign(department=ctx.orders["rep_id"].map(ctx.department))
    o = o.dropna(subset=["department"])
    frames = {}
    # Late as monitoring defines it (an order's latest dates, the grace days), so the app, the
    # packs and this check show one on-time figure.
    outcomes = monitoring.order_outcomes(o, int(ctx.cfg.get("on_time_grace_days", 0)))
    if "late" in outcomes:
        judged = outcomes.dropna(subset=["late"])
        late = judged["late"].groupby(judged["rep_id"].map(ctx.department))
        frames["late"] = compare_rates(late.sum(), late.size(), "high", ctx.cfg)
    if "lost_lines" in known:
        lost = o["status"].isin(("cancelled", "returned")).groupby(o["department"])
        frames["lost_lines"] = compare_rates(lost.sum(), lost.size(), "high", ctx.cfg)
    amount = line_amount(o)

    def effect(dept, rows):
        parts = []
        mine = o["department"] == dept
        if "lost_lines" in rows:
            excess = max(0.0, rows["lost_lines"]["value"] - rows["lost_lines"]["peer"])
            parts.append((amount[mine] * excess).groupby(o.loc[mine, "rep_id"]).sum())
        # Deals lost to late deliveries: the department's win rate short of the others'.
        parts.append(_segment_losses(ctx.closed, ctx.closed["rep_id"].map(ctx.department), dept))
        return pd.concat(parts) * ctx.share

    return _judge(RULE["late_department"], frames, ctx, effect)


def _segment_losses(closed: pd.DataFrame, groups: pd.Series, unit) -> pd.Series:
    """Per rep, the deals of one group (a department, a customer segment) lost beyond the
    other groups' win rate, at the mean won amount (exposure, not the rep's own record)."""
    mine = groups == unit
    others = closed[~mine & groups.notna()]
    if others.empty or not mine.any():
        return pd.Series(dtype=float)
    peer = float((others["stage"] == "won").mean())
    size = float(closed.loc[closed["stage"] == "won", "amount"].mean())
    return exposure_losses(closed[mine], peer, size)


def check_service(t, ctx, known) -> _Outcome:
    s = t["service"]
    s = s[_between(s["opened_date"], ctx.start, ctx.end)]
    segment = t["customers"].drop_duplicates("customer_id").set_index("customer_id")["segment"]
    s = s.assign(segment=s["customer_id"].map(segment)).dropna(subset=["segment"])
    frames = {}
    if "days" in known:
        days = (s["closed_date"] - s["opened_date"]).dt.days
        frames["days"] = compare_amounts(days, s["segment"], "high", ctx.cfg)
    if "unhappy" in known:
        rated = s.dropna(subset=["csat"])
        g = (rated["csat"] <= 2).groupby(rated["segment"])
        frames["unhappy"] = compare_rates(g.sum(), g.size(), "high", ctx.cfg)
    o = ctx.orders

    deal_segment = ctx.closed["customer_id"].map(segment)

    def effect(seg, rows):
        # Two ways poor service costs revenue: deals the segment's customers no longer give
        # (its win rate short of the others') and revenue at risk from the customers who opened
        # a case, weighted by the excess share of unhappy cases (or of case time). The larger
        # is taken, not the sum, since both can show the same customers leaving.
        lost = _segment_losses(ctx.closed, deal_segment, seg) * ctx.share
        who = s.loc[s["segment"] == seg, "customer_id"].unique()
        mine = o[o["customer_id"].isin(who)]
        if "unhappy" in rows and rows["unhappy"]["level"] != "too_few":
            weight = rows["unhappy"]["value"] - rows["unhappy"]["peer"]
        elif "days" in rows:
            weight = 0.5 * (1 - rows["days"]["peer"] / rows["days"]["value"])
        else:
            weight = 0.0
        weight = float(np.clip(np.nan_to_num(weight), 0, 1))
        risk = (line_amount(mine) * weight).groupby(mine["rep_id"]).sum() * ctx.share
        return lost if lost.sum() > risk.sum() else risk

    return _judge(RULE["poor_service_segment"], frames, ctx, effect)


def check_marketing(t, ctx, known) -> _Outcome:
    campaigns = t.get("campaigns")
    # Campaigns are judged on their leads closed up to the window's end; the benchmark is every
    # other campaign's history, since few campaigns overlap one window.
    history = closed_deals(t["deals"], pd.Timestamp.min, ctx.end).dropna(subset=["lead_source"])
    if campaigns is not None and len(campaigns):
        history = history[history["lead_source"].isin(campaigns["campaign_id"])]
    recent = set(ctx.closed["lead_source"].dropna())
    frames = {}
    wr = win_rates(history, "lead_source") if len(history) else None
    if wr is None:
        return _Outcome()
    frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    frames["win_rate"] = frames["win_rate"][frames["win_rate"].index.isin(recent)]
    if "in_target" in known:
        target = campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["target_segment"]
        seg = t["customers"].drop_duplicates("customer_id").set_index("customer_id")["segment"]
        won = history[history["stage"] == "won"]
        hit = (
            won["customer_id"]
            .map(seg)
            .eq(won["lead_source"].map(target))
            .groupby(won["lead_source"])
        )
        f = compare_rates(hit.sum(), hit.size(), "low", ctx.cfg)
        frames["in_target"] = f[f.index.isin(target.dropna().index)]

    def effect(cid, rows):
        # A campaign runs for weeks, not evenly over the window: its cost in the period is that
        # of its leads closed in the period, or the window's average when that is larger.
        leads = ctx.closed[ctx.closed["lead_source"] == cid]
        own = leads[_between(leads["close_date"], ctx.period_start, ctx.period_end)]
        peer, size = rows["win_rate"]["peer"], wr["won_amount"].median()
        spread = excess_losses(leads, peer, size) * ctx.share
        period = excess_losses(own, peer, size)
        return period if period.sum() > spread.sum() else spread

    return _judge(RULE["wrong_campaign"], frames, ctx, effect)


def check_training(t, ctx, known) -> _Outcome:
    # A missing course is a lasting state: its effect is read over two windows, so a rep with
    # few deals a quarter on the family still has enough of them to judge.
    since = ctx.end - pd.DateOffset(months=2 * int(ctx.cfg["window_months"]))
    c = closed_deals(t["deals"], since, ctx.end).dropna(subset=["product_id"])
    c = with_family(c, t["products"])
    c = c[c["rep_id"].isin(ctx.sellers)]
    long_share = ctx.share * ((ctx.end - ctx.start).days + 1) / max(1, (ctx.end - since).days + 1)
    status = course_status(t["training"], t["courses"], ctx.end)
    out = _Outcome()
    rule = RULE["training_gap"]
    # Looked up per rep and family below: as dicts, not a MultiIndex `.loc` per lookup.
    overdue, last = status["overdue"].to_dict(), status["last"].to_dict()
    for fam in sorted(set(t["courses"]["product_family"].dropna())):
        mine = c[c["family"] == fam]
        if mine.empty:
            continue
        wr = win_rates(mine, "rep_id")
        rates = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
        gap = {}
        for rep in rates.index:
            if (rep, fam) not in overdue:
                gap[rep] = (True, _("never completed"))
            elif bool(overdue[rep, fam]):
                when = ctx.fmt.date(last[rep, fam])
                gap[rep] = (True, _("overdue (last completed {date})", date=when))
            else:
                gap[rep] = (False, "")
        course = flags({r: g for r, (g, _text) in gap.items()})
        size = float(mine.loc[mine["stage"] == "won", "amount"].mean())

        def effect(rep, rows, mine=mine, size=size):
            lost = excess_losses(mine[mine["rep_id"] == rep], rows["win_rate"]["peer"], size)
            return lost * long_share

        def extra(rep, rows, fam=fam, gap=gap):
            return {"family": fam, "status": gap[rep][1]}

        part = _judge(
            rule,
            {"win_rate": rates, "course": course},
            ctx,
            effect,
            base=lambda rep: ctx.rep_base.get(rep, 0.0),
            extra=extra,
        )
        for f in part.findings:
            f["family"] = fam
        out.findings += part.findings
        out.judged += part.judged
        out.too_few += part.too_few
    return out


def touched(
    closed: pd.DataFrame,
    products,
    systemic: list[dict],
    department: pd.Series,
    segment: pd.Series | None = None,
) -> pd.Series:
    """True for the closed deals a systemic finding explains (fair attribution). A late
    department's deals lost on timing or service, or all its deals when lost reasons are not
    recorded; a poorly served segment's deals."""
    c = with_family(closed, products)
    hit = pd.Series(False, index=c.index)
    dept = c["rep_id"].map(department)
    reasons_known = c["lost_reason"].notna().any()
    seg = c["customer_id"].map(segment) if segment is not None else pd.Series(None, index=c.index)
    for f in systemic:
        sid = f["scope_id"]
        if f["scope"] == "product":
            hit |= c["product_id"] == sid
        elif f["scope"] == "family":
            hit |= c["family"] == sid
        elif f["scope"] == "campaign":
            hit |= c["lead_source"] == sid
        elif f["scope"] == "department":
            late = c["lost_reason"].isin(("timing", "service")) if reasons_known else True
            hit |= (dept == sid) & late
        elif f["scope"] == "segment":
            hit |= seg == sid
        elif f["cause"] == "training":
            hit |= (c["rep_id"] == sid) & (c["family"] == f.get("family"))
    return hit


def rep_signals(t, ctx, systemic, known) -> dict[str, pd.DataFrame]:
    """Each seller's activity, win rate and deal size in the period, on the deals no systemic
    finding touches (a rep's own change shows in the period; the window would dilute it)."""
    c = ctx.closed[ctx.closed["rep_id"].isin(ctx.sellers)]
    c = c[_between(c["close_date"], ctx.period_start, ctx.period_end)]
    customers = t.get("customers")
    segment = (
        customers.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        if customers is not None
        else None
    )
    clean = c[~touched(c, t.get("products"), systemic, ctx.department, segment)]
    frames = {}
    if "activity" in known:
        # The period's own activity (a slowdown shows at once), per 91.25 employed days so a
        # new hire is not compared on raw counts; n is the employed days.
        days = active_days(t["reps"], ctx.period_start, ctx.period_end).reindex(ctx.sellers)
        a = t["activities"]
        a = a[_between(a["date"], ctx.period_start, ctx.period_end)]
        count = a.groupby("rep_id").size().reindex(ctx.sellers).fillna(0)
        per = 91.25 / days.where(days > 0)
        frames["activity"] = compare_means(
            count * per, days, np.sqrt(count) * per * np.sqrt(days), "low", ctx.cfg
        )
        # The rep against their own pace before the period: capacity differences between
        # sellers cancel out, so a slowdown shows against a much narrower spread.
        before_days = active_days(
            t["reps"], ctx.start, ctx.period_start - pd.Timedelta(days=1)
        ).reindex(ctx.sellers)
        b = t["activities"]
        b = b[_between(b["date"], ctx.start, ctx.period_start - pd.Timedelta(days=1))]
        before = b.groupby("rep_id").size().reindex(ctx.sellers).fillna(0)
        pace_before = before / before_days.where(before_days > 0)
        ratio = (count / days.where(days > 0)) / pace_before.where(pace_before > 0)
        rel = np.sqrt(1 / count.clip(lower=1) + 1 / before.clip(lower=1))
        frames["activity_trend"] = compare_means(
            ratio, days.where(before > 0, 0), ratio * rel * np.sqrt(days), "low", ctx.cfg
        )
    if "win_rate" in known and len(clean):
        wr = win_rates(clean, "rep_id")
        frames["win_rate"] = compare_rates(wr["won"], wr["closed"], "low", ctx.cfg)
    if "deal_size" in known and len(clean):
        won = clean[clean["stage"] == "won"]
        frames["deal_size"] = compare_amounts(won["amount"], won["rep_id"], "low", ctx.cfg)
    return frames


EFFORT = ("activity", "activity_trend")
RESULTS = ("win_rate", "deal_size")


def rep_verdict(levels: dict[str, str], alone: set[str]) -> str | None:
    """A rep finding: one extreme signal, activity far below peers while slowing down, or effort
    (activity against peers or their own pace) and results (win rate, deal size) both at least
    moderate. Two effort signals do
    not agree with each other (a low-capacity seller's bad quarter shows in both), and results
    alone can carry a systemic cause the checks could not see."""
    if any(levels.get(s) == "extreme" for s in alone):
        return "extreme"
    hit = {k for k, v in levels.items() if v in ("moderate", "extreme")}
    # Far below peers and slowing down: a change, not a seller's ordinary capacity.
    if levels.get("activity") == "extreme" and "activity_trend" in hit:
        return "agree"
    if hit & set(EFFORT) and hit & set(RESULTS):
        return "agree"
    return None


def check_rep(t, ctx, systemic, effects: pd.DataFrame, known) -> tuple[list, list, _Outcome]:
    """Problems left to the rep once systemic causes are taken off, and what works (positive)."""
    att = ctx.attainment
    out = _Outcome()
    if att is None or att.empty:
        return [], [], out
    frames = rep_signals(t, ctx, systemic, known)
    explained = (
        effects.groupby("rep_id")["effect"].sum() if len(effects) else pd.Series(dtype=float)
    )
    rule, top = RULE["rep_performance"], RULE["top_performer"]
    alone = {s.name for s in rule.signals if s.alone}
    problems, positives = [], []
    for rep, row in att.iterrows():
        if rep not in ctx.sellers or not np.isfinite(row["attainment"]):
            continue
        rows = {k: f.loc[rep] for k, f in frames.items() if rep in f.index}
        levels = {k: r["level"] for k, r in rows.items()}
        extra = {"attainment": ctx.fmt.pct(row["attainment"])}
        if row["attainment"] >= ctx.cfg["positive_attainment"]:
            gain = pd.Series({rep: float(row["actual"] - row["target"])})
            positives.append(
                _finding(
                    top,
                    rep,
                    ctx.label("rep", rep),
                    rows,
                    "extreme",
                    gain,
                    1.0,
                    ctx,
                    extra,
                    positive=True,
                )
            )
            continue
        if all(v == "too_few" for v in levels.values()):
            out.too_few += 1
            continue
        out.judged += 1
        if row["attainment"] >= 1:
            continue
        strength = rep_verdict(levels, alone)
        if strength is None:
            continue
        gap = max(0.0, row["target"] - row["actual"])
        unexplained = max(0.0, gap - explained.get(rep, 0.0))
        if unexplained < ctx.cfg["rep_gap"] * row["target"]:
            continue  # within the band where ordinary sellers land: not the rep's problem
        extra["gap"] = ctx.fmt.money(unexplained)
        found = _finding(
            rule,
            rep,
            ctx.label("rep", rep),
            rows,
            strength,
            pd.Series({rep: unexplained}),
            row["target"],
            ctx,
            extra,
        )
        problems.append(found)
    return problems, positives, out


CHECKS = {
    "product": check_product,
    "price": check_price,
    "delivery": check_delivery,
    "service": check_service,
    "marketing": check_marketing,
    "training": check_training,
}


# --------------------------------------------------------------------------- the pass


def period_state(period_start, period_end, as_of) -> str:
    """closed, under_way or not_started, as of the data's last day (or today if earlier)."""
    if as_of is None or as_of >= period_end:
        return "closed"
    return "not_started" if as_of < period_start else "under_way"


def revenue_per_rep(tables: Mapping[str, pd.DataFrame], start, end) -> pd.Series:
    """Revenue per rep in the window: booked order lines (not cancelled or returned), else won
    deals' amounts, as `salescoach.domain.actuals` defines it (on prepared tables, whatever the shape)."""
    orders, deals = tables.get("orders"), tables.get("deals")
    if orders is not None and len(orders):
        o = orders[_between(orders["order_date"], start, end)]
        o = o[~o["status"].isin(("cancelled", "returned"))]
        return line_amount(o).groupby(o["rep_id"]).sum()
    if deals is not None and len(deals):
        won = deals[(deals["stage"] == "won") & _between(deals["close_date"], start, end)]
        return won["amount"].fillna(0).groupby(won["rep_id"]).sum()
    return pd.Series(dtype=float)


def diagnose(
    tables: Mapping[str, pd.DataFrame],
    period_start: pd.Timestamp,
    period_end: pd.Timestamp,
    attainment: pd.DataFrame | None,
    settings: Mapping | None,
    fmt,
    today: pd.Timestamp | None = None,
) -> Diagnosis:
    """Every check in order over the evidence window, then the reps.

    `attainment` has one row per rep (index rep_id) with actual, target and attainment for the
    period; `settings` is the `[diagnosis]` section (missing keys take the shipped settings);
    `fmt` a `salescoach.domain.fmt.Formatter`; `today` the clock (default: today), so a period not yet
    over is judged on what it can know.

    Example:
        >>> result = diagnose(tables, p.start, p.end, att, {}, Formatter())  # doctest: +SKIP
        >>> result.findings[["cause", "scope", "scope_id", "impact", "n", "low", "high"]]  # doctest: +SKIP
    """
    from salescoach.domain import actuals

    cfg = {**settings_defaults(), **dict(settings or {})}
    caps = capabilities.of(tables)
    t = prepare(tables)
    today = pd.Timestamp(today if today is not None else pd.Timestamp.today()).normalize()
    data_end = actuals.last_day(t)
    as_of = min(today, data_end) if data_end is not None and pd.notna(data_end) else today
    period_start, period_end = pd.Timestamp(period_start), pd.Timestamp(period_end)
    state = period_state(period_start, period_end, as_of)
    evidence_end = period_end if state == "closed" else as_of
    start, end = window(min(period_start, evidence_end), evidence_end, int(cfg["window_months"]))
    reps = t["reps"]
    role = reps["role"].fillna("seller")
    sellers = pd.Index(reps.loc[role == "seller", "rep_id"].dropna().unique())
    department = reps.drop_duplicates("rep_id").set_index("rep_id")["department"]
    deals = t.get("deals")
    closed = closed_deals(deals if deals is not None else _empty("deals"), start, end)
    orders = t.get("orders")
    orders = orders if orders is not None else _empty("orders")
    orders = orders[_between(orders["order_date"], start, end)]
    rev = revenue_per_rep(t, start, end)
    share = ((period_end - period_start).days + 1) / max(1, (end - start).days + 1)
    names = {"rep": reps.drop_duplicates("rep_id").set_index("rep_id")["name"].to_dict()}
    if t.get("products") is not None:
        names["product"] = (
            t["products"]
            .drop_duplicates("product_id")
            .set_index("product_id")["name"]
            .dropna()
            .to_dict()
        )
    ctx = _Context(
        start,
        end,
        period_start,
        period_end,
        cfg,
        fmt,
        caps,
        closed,
        orders,
        sellers,
        share,
        float(rev.sum()) * share,
        (rev * share).to_dict(),
        attainment,
        names,
        department,
    )
    found, checks = [], []
    for cause, check in CHECKS.items():
        rule = CAUSE_RULE[cause]
        missing = rule.not_assessed(caps)
        if missing is not None:
            checks.append(_not_assessed_row(cause, missing))
            continue
        outcome = check(t, ctx, {s.name for s in rule.known(caps)})
        found += outcome.findings
        checks.append(_check_row(cause, outcome, rule, caps, ctx))
    systemic = [f for f in found if f["material"]]
    effects = _effects(found)
    rule = CAUSE_RULE["rep"]
    positives = []
    if state != "closed":
        checks.append(_period_row(state, as_of, fmt))
    elif attainment is None or attainment.empty or not np.isfinite(attainment["attainment"]).any():
        checks.append(_not_assessed_row("rep", capabilities.NotAssessed(("targets",))))
    elif (missing := rule.not_assessed(caps)) is not None:
        checks.append(_not_assessed_row("rep", missing))
    else:
        rep_rows, positives, outcome = check_rep(
            t, ctx, systemic, effects, {s.name for s in rule.known(caps)}
        )
        found += rep_rows
        outcome.findings = rep_rows
        checks.append(_check_row("rep", outcome, rule, caps, ctx))
        effects = _effects(found)
    frame = pd.DataFrame(
        [{k: v for k, v in f.items() if k != "_effects"} for f in found + positives],
        columns=FINDING_COLUMNS + ["family"],
    ).drop(columns="family")
    frame["positive"] = frame["positive"].astype(bool)
    frame["material"] = frame["material"].astype(bool)
    frame["_order"] = frame["cause"].map({c: i for i, c in enumerate(CAUSES)})
    frame = frame.sort_values(["positive", "_order", "impact"], ascending=[True, True, False])
    frame = frame.drop(columns="_order").reset_index(drop=True)
    from salescoach.domain.diagnosis_gap import pace

    return Diagnosis(
        frame,
        pd.DataFrame(checks, columns=CHECK_COLUMNS),
        effects,
        attainment,
        state,
        as_of,
        pace(t, attainment, period_start, period_end, as_of) if state != "closed" else None,
    )


def _empty(table: str) -> pd.DataFrame:
    """A table the workbook lacks, as an empty frame with the contract's columns and types."""
    from salescoach.domain import contract

    return prepare({table: pd.DataFrame(columns=contract.table(table).names)})[table]


def _effects(found: list[dict]) -> pd.DataFrame:
    """Material problem findings' effects per rep (the waterfall's input)."""
    rows = []
    for i, f in enumerate(found):
        if not f["material"] or f["positive"]:
            continue
        for rep, value in f["_effects"].items():
            if np.isfinite(value) and value > 0:
                rows.append((i, f["cause"], f["scope"], f["scope_id"], rep, float(value)))
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _not_assessed_row(cause: str, missing: capabilities.NotAssessed) -> dict:
    return {
        "cause": cause,
        "status": "not_assessed",
        "detail": missing.text(),
        "needs": list(missing.needs),
        "unknown": [],
    }


def _period_row(state: str, as_of, fmt) -> dict:
    if state == "not_started":
        detail = _(
            "not assessed: the period has no data yet (data runs to {date}); judged on pace and pipeline only",
            date=fmt.date(as_of),
        )
    else:
        detail = _(
            "not assessed: the period is under way (data runs to {date}); no rep is judged before it ends",
            date=fmt.date(as_of),
        )
    return {
        "cause": "rep",
        "status": "not_assessed",
        "detail": detail,
        "needs": ["period closed"],
        "unknown": [],
    }


def _check_row(cause: str, outcome: _Outcome, rule: Rule, caps, ctx: _Context) -> dict:
    unknown = list(rule.unknown(caps))
    material = [r for r in outcome.findings if r["material"]]
    if material:
        # Names, as the findings show them ("Maria Pappa (R013)"), never bare ids.
        ids = ", ".join(ctx.label(r["scope"], r["scope_id"]) for r in material)
        status, detail = "problem", _("problem found: {ids}", ids=ids)
    elif outcome.findings:
        n = len(outcome.findings)
        status = "below_materiality"
        detail = _n("below materiality: {n} signal", "below materiality: {n} signals", n, n=n)
    elif outcome.judged == 0:
        status, detail = "too_few", _("too few to tell: no unit has enough records to compare")
    else:
        status = "ruled_out"
        detail = _n(
            "ruled out: {n} unit compared, none differs from its peers",
            "ruled out: {n} units compared, none differs from its peers",
            outcome.judged,
            n=outcome.judged,
        )
    if unknown:
        detail = _(
            "{detail}; unknown: {unknown}",
            detail=detail,
            unknown=capabilities.NotAssessed(tuple(caps.missing(*unknown)))
            .text()
            .split(": ", 1)[-1],
        )
    return {"cause": cause, "status": status, "detail": detail, "needs": [], "unknown": unknown}


def not_assessed(checks: pd.DataFrame) -> list[dict]:
    """The checks that did not run, as JSON rows {"cause", "status", "needs", "reason"}."""
    rows = checks[checks["status"].isin(("not_assessed", "too_few"))]
    return [
        {"cause": r.cause, "status": r.status, "needs": list(r.needs or []), "reason": r.detail}
        for r in rows.itertuples()
    ]


def problems(findings: pd.DataFrame) -> pd.DataFrame:
    """The material, non-positive findings: what the manager must act on."""
    return findings[findings["material"] & ~findings["positive"]]


def by_owner(findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Material problems grouped by owning department, largest revenue at stake first."""
    p = problems(findings)
    order = p.groupby("owner")["impact"].sum().sort_values(ascending=False).index
    return {owner: p[p["owner"] == owner].reset_index(drop=True) for owner in order}


def robust_z(values: pd.Series) -> pd.Series:
    """(x - median) / (1.4826 * MAD); a zero MAD falls back to 1.4826 * mean absolute deviation."""
    x = values.astype(float)
    med = x.median()
    mad = robust_spread(x) if len(x) >= 4 else (x - med).abs().median() * 1.4826
    if not mad or np.isnan(mad):
        mad = (x - med).abs().mean() * 1.4826
    if not mad or np.isnan(mad):
        return pd.Series(0.0, index=x.index)
    return (x - med) / mad
