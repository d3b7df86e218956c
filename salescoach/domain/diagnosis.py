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

Modules: `diagnosis_rules` (the rules as data), `diagnosis_data` (prepared frames),
`diagnosis_evidence` (peer comparisons), `diagnosis_judge` (signals to findings),
`diagnosis_systemic` (product, price, delivery, service, marketing), `diagnosis_people`
(training, rep), `diagnosis_gap` (waterfall, a rep's own explanation); this module runs the pass
and keeps every public name importable from `salescoach.domain.diagnosis`.

Every function here is pure: frames in, frames out. `salescoach.services.diagnosis` reads the
workbook and calls `diagnose`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salescoach.domain import capabilities
from salescoach.domain.diagnosis_data import (  # noqa: F401 - the public API stays importable from here
    _between,
    _empty,
    active_days,
    closed_deals,
    course_status,
    excess_losses,
    exposure_losses,
    line_amount,
    prepare,
    revenue_per_rep,
    win_rates,
    window,
    with_family,
)
from salescoach.domain.diagnosis_evidence import robust_spread
from salescoach.domain.diagnosis_judge import (  # noqa: F401
    EFFECT_COLUMNS,
    Diagnosis,
    _Context,
    _Outcome,
    family_filter,
)
from salescoach.domain.diagnosis_people import (  # noqa: F401
    check_rep,
    check_training,
    own_pace,
    rep_signals,
    rep_verdict,
    shortfall,
    touched,
)
from salescoach.domain.diagnosis_rules import (  # noqa: F401
    CAUSE_RULE,
    CAUSES,
    CHECK_COLUMNS,
    EVIDENCE,
    FINDING_COLUMNS,
    RULE,
    RULES,
    Rule,
    Signal,
    settings_defaults,
)
from salescoach.domain.diagnosis_systemic import (  # noqa: F401
    DELIVERY_CUTS,
    check_delivery,
    check_marketing,
    check_price,
    check_product,
    check_service,
    delivery_groups,
)
from salescoach.i18n import _, _n

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
    found, checks, outcomes = [], [], {}
    for cause, check in CHECKS.items():
        rule = CAUSE_RULE[cause]
        missing = rule.not_assessed(caps)
        if missing is not None:
            checks.append(_not_assessed_row(cause, missing))
            continue
        if cause == "training":
            # The systemic findings (every check before training) hold only once the number of
            # units compared across all of them is taken into account (`family_filter`): the
            # training and rep checks read the systemic effects that remain.
            found = _family_filtered(outcomes, cfg)
        outcome = check(t, ctx, {s.name for s in rule.known(caps)}, found)
        found += outcome.findings
        outcomes[cause] = outcome
        checks.append((cause, outcome, rule))
    if "training" not in outcomes:
        found = _family_filtered({k: v for k, v in outcomes.items() if k != "training"}, cfg)
    checks = [c if isinstance(c, dict) else _check_row(c[0], c[1], c[2], caps) for c in checks]
    # A rep is judged with every systemic effect found taken off, material or not: a cause
    # too small for the company can still be most of one seller's miss.
    systemic = [f for f in found if not f["positive"]]
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
            t, ctx, systemic, _effects(found, every=True), {s.name for s in rule.known(caps)}
        )
        found += rep_rows
        outcome.findings = rep_rows
        checks.append(_check_row("rep", outcome, rule, caps))
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
        period_end,
    )


def _family_filtered(outcomes: dict[str, _Outcome], cfg) -> list[dict]:
    """The systemic outcomes' findings that clear the organisation-wide bar (`family_filter`,
    over every unit the systemic checks judged); each outcome keeps only those, so its check's
    status says what holds."""
    systemic = [o for c, o in outcomes.items() if c != "training"]
    compared = sum(o.judged for o in systemic)
    found = []
    for o in systemic:
        o.findings = family_filter(o.findings, compared, cfg)
        found += o.findings
    return found


def _effects(found: list[dict], every: bool = False) -> pd.DataFrame:
    """Material problem findings' effects per rep (the waterfall's input); with `every`, those
    below materiality too (what a rep is not blamed for)."""
    rows = []
    for i, f in enumerate(found):
        if (not f["material"] and not every) or f["positive"]:
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


def _check_row(cause: str, outcome: _Outcome, rule: Rule, caps) -> dict:
    unknown = list(rule.unknown(caps))
    material = [r for r in outcome.findings if r["material"]]
    if material:
        ids = ", ".join(r["scope_id"] for r in material)
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
