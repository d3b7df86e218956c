"""One diagnosis pass's result, the context every check reads, and how a unit's signals become a
finding (its sentence, interval, strength, impact and per-rep effects)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salescoach.domain.diagnosis_evidence import family_bar, verdict
from salescoach.domain.diagnosis_rules import Rule
from salescoach.i18n import _, separated


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
    period_end: pd.Timestamp | None = None


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


def supports(row: pd.Series, positive: bool = False) -> bool:
    """Whether a signal is evidence for the finding: for a problem, at least moderate (its z,
    signed so that positive is bad, reaches `agree_z`); a favourable or unremarkable signal (a
    late department's higher win rate) is not listed as if it pointed to the cause. For what
    works, a signal better than the peers'."""
    if row is None or row["level"] == "too_few":
        return False
    if positive:
        z = row.get("z")
        return z is not None and pd.notna(z) and float(z) < 0
    return row["level"] in ("moderate", "extreme")


def _phrases(rule: Rule, rows: dict[str, pd.Series], ctx, extra: dict, positive=False) -> str:
    out = []
    for s in rule.signals:
        row = rows.get(s.name)
        if not supports(row, positive and s.kind != "flag"):
            continue
        values = {
            "value": _fmt_value(ctx, s.kind, row.get("text", row["value"])),
            "peer": _fmt_value(ctx, s.kind, row["peer"]),
            "n": ctx.fmt.number(row["n"]),
        } | extra
        # A row may say how it was compared (a family's discounts against the other families'
        # where there is no year before): its own phrase, else the signal's.
        phrase = row.get("phrase")
        out.append(_(phrase if isinstance(phrase, str) else s.phrase, **values))
    # A sentence "attainment 135%; ." when no other figure stood out: said in words instead.
    return separated(out) if out else _("no other figure stands out")


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
    values = {"unit": label, "signals": _phrases(rule, rows, ctx, extra, positive)} | extra
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
        "_evidence": evidence_z(rule, rows),
    }


def evidence_z(rule, rows: dict[str, pd.Series]) -> tuple[float, float]:
    """How strong a finding's evidence is, as the z the organisation-wide bar reads
    (`family_filter`): the largest z of a signal that may stand alone and is extreme; and the
    agreement's, Stouffer's z of the signals at least moderate (inf when a yes/no flag agrees
    with a single measured signal: a flag has no z to combine, and it is not a chance draw among
    units; -inf when fewer than two signals agree)."""
    alone = {s.name for s in rule.signals if s.alone}
    kinds = {s.name: s.kind for s in rule.signals}
    best = -np.inf
    measured, flags = [], 0
    for name, row in rows.items():
        if row is None or row["level"] not in ("moderate", "extreme"):
            continue
        z = row.get("z")
        z = float(z) if z is not None and pd.notna(z) else np.nan
        if kinds.get(name) == "flag" or not np.isfinite(z):
            flags += 1
            continue
        measured.append(z)
        if name in alone and row["level"] == "extreme":
            best = max(best, z)
    if len(measured) + flags < 2:
        agree = -np.inf
    elif len(measured) >= 2:
        agree = float(np.sum(measured) / np.sqrt(len(measured)))
    else:
        agree = np.inf
    return float(best), agree


def family_filter(findings: list[dict], compared: int, cfg) -> list[dict]:
    """The systemic findings that hold once the number of units compared in the organisation is
    taken into account: a unit with nothing wrong clears `extreme_z` by chance once in about
    seven hundred comparisons, and the systemic checks compare tens of units (every product,
    family, department, region, segment and campaign judged). A finding holds when its evidence
    (`evidence_z`: an extreme signal alone, or the signals that agree taken together) reaches
    the bar the most extreme of `compared` units with nothing wrong stays below with
    probability 1 - `family_alarm` (Sidak), never below `extreme_z`. So an organisation with
    no cause at all gets a finding by chance with about that probability, whatever its size."""
    bar = max(float(cfg["extreme_z"]), family_bar(compared, float(cfg["family_alarm"])))
    out = []
    for f in findings:
        alone, agree = f.get("_evidence", (np.inf, np.inf))
        if f["positive"] or alone >= bar or agree >= bar:
            out.append(f)
    return out


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
    lookup = {k: f.to_dict("index") for k, f in frames.items()}
    for unit in units:
        rows = {k: d[unit] for k, d in lookup.items() if unit in d}
        levels = {k: r["level"] for k, r in rows.items()}
        # Judged when a signal that could carry a finding has enough records (any signal when
        # none of those is known).
        deciding = [v for k, v in levels.items() if k in alone] or list(levels.values())
        if all(v == "too_few" for v in deciding):
            out.too_few += 1
            continue
        out.judged += 1
        strength = verdict(levels, alone)
        # The first key signal the unit has enough records for decides (late deliveries where
        # delivered dates exist; lost lines only without them): lines returned for a poor
        # product make no department late when its deliveries are on time.
        present = [levels[k] for k in rule.key if k in levels]
        decisive = [v for v in present if v != "too_few"][:1]
        if present and not any(v in ("moderate", "extreme") for v in decisive):
            strength = None
        if strength is None:
            continue
        effects = effect(unit, rows)
        b = base(unit) if base else ctx.company_base
        label = ctx.label(scope_label or rule.scope, unit)
        more = extra(unit, rows) if extra else {}
        out.findings.append(_finding(rule, unit, label, rows, strength, effects, b, ctx, more))
    return out
