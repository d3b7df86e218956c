"""Goals: suggestions with their arithmetic, allocation both ways, versions, discussions.

Pure functions over frames. Goals in force, attainment and the run-rate projection live in
`salescoach.attainment`, which this module and every other reuse.

A suggestion is built in five visible steps, each written into the sentence a rep reads:

    baseline     the mean of the scope's last N periods of the same length (N = trailing_periods)
    seasonality  the period's share of a typical year, learnt from complete past years
    market       x (1 + market_growth) for the period
    competition  sum over product families of (the scope's share of sales in the family) x
                 (competitor_price_index - 1) x price_elasticity
    stretch      x (1 + stretch)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salescoach import actuals
from salescoach.attainment import goal_key
from salescoach.contract import METRICS, SCOPES
from salescoach.errors import InputError
from salescoach.fmt import Formatter
from salescoach.i18n import translator
from salescoach.periods import Period

REASONS = ("performance", "economy", "competition", "other")
ACK_KIND = "goal_ack"
ALLOCATION_MODES = ("history", "capacity", "even")


@dataclass(frozen=True)
class SuggestionSettings:
    stretch: float = 0.05
    trailing_periods: int = 4
    price_elasticity: float = 1.0
    fiscal_start: int = 1

    @classmethod
    def from_settings(cls, settings) -> SuggestionSettings:
        g = settings["goals"]
        return cls(
            stretch=float(g["stretch"]),
            trailing_periods=int(g["trailing_periods"]),
            price_elasticity=float(g["price_elasticity"]),
            fiscal_start=settings.fiscal_year_start_month,
        )


@dataclass(frozen=True)
class Suggestion:
    scope: str
    scope_id: str
    period: str
    metric: str
    baseline: float
    seasonality: float
    market: float
    competition: float
    stretch: float
    value: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    trailing_n: int = 0
    # Family -> (share of the scope's sales, competitor price index) behind `competition`.
    families: tuple[tuple[str, float, float], ...] = ()

    def sentence(self, fmt: Formatter, lang: str = "en") -> str:
        """The arithmetic in words a rep can check."""
        _ = translator(lang)
        money = fmt.money_compact if self.metric == "revenue" else (lambda x: fmt.number(x))
        parts = [
            _(
                "average of the last {n} periods {value}",
                n=self.trailing_n,
                value=money(self.baseline),
            ),
            _(
                "seasonality {period} x{factor}",
                period=fmt.period(self.period),
                factor=fmt.number(self.seasonality, 2),
            ),
            _("market {change}", change=fmt.pct(self.market, 0, signed=True)),
        ]
        for family, share, index in self.families:
            if abs(index - 1) >= 0.005:
                parts.append(
                    _(
                        "competitors {gap} {direction} on {family} ({share} of sales)",
                        gap=fmt.pct(abs(1 - index)),
                        direction=_("cheaper") if index < 1 else _("dearer"),
                        family=family,
                        share=fmt.pct(share),
                    )
                )
        parts.append(_("competition {change}", change=fmt.pct(self.competition, 0, signed=True)))
        parts.append(_("stretch {change}", change=fmt.pct(self.stretch, 0, signed=True)))
        text = ", ".join(parts) + f" = {money(self.value)}"
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text


# --------------------------------------------------------------------------- history


def _sub_periods(period: Period) -> str:
    """History is kept at the period's own length: quarters for a quarter, and so on."""
    return period.kind


def scope_history(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    metric: str,
    kind: str,
    fiscal_start: int = 1,
    per_period: pd.DataFrame | None = None,
) -> pd.Series:
    """The scope's results per period of `kind`, oldest first, zeros where nothing happened.

    `per_period` is `actuals.per_rep_period(...)` when the caller already has it (a batch of
    suggestions computes it once).
    """
    table = (
        per_period
        if per_period is not None
        else actuals.per_rep_period(tables, metric, kind, fiscal_start)
    )
    if table.empty:
        return pd.Series(dtype=float)
    reps = actuals.members(tables["reps"], scope, scope_id)
    return table.reindex(reps).fillna(0.0).sum(axis=0)


def seasonal_index(
    company_quarters: pd.Series, period: Period, fiscal_start: int = 1
) -> tuple[float, str | None]:
    """A quarter's or month's share of a typical year x the number of parts; 1.0 for a year.

    Learnt from complete fiscal years in the history: the company's, which is steadier than one
    rep's. With fewer than two complete years it is 1.0, and the note says why.
    """
    if period.kind == "year":
        return 1.0, None
    parts = 4 if period.kind == "quarter" else 12
    labels = pd.Series(company_quarters.index, index=company_quarters.index)
    years = labels.str[:4].astype(int)
    numbers = (
        labels.str[6:].astype(int) if period.kind == "quarter" else labels.str[5:7].astype(int)
    )
    frame = pd.DataFrame({"year": years, "n": numbers, "value": company_quarters.to_numpy()})
    complete = frame.groupby("year").filter(lambda g: len(g) == parts and (g["value"] > 0).all())
    if complete["year"].nunique() < 2:
        return 1.0, "seasonality not learnt: fewer than two complete years of history"
    share = complete.assign(
        share=complete["value"] / complete.groupby("year")["value"].transform("sum")
    )
    index = share.groupby("n")["share"].mean() * parts
    return float(index.get(period.number, 1.0)), None


def family_mix(tables: Mapping[str, pd.DataFrame], reps: pd.Index, start, end) -> pd.Series:
    """The scope's share of revenue per product family over [start, end]."""
    orders, products = tables.get("orders"), tables.get("products")
    if orders is None or products is None or "family" not in products:
        return pd.Series(dtype=float)
    lines = orders[
        (orders["order_date"] >= start)
        & (orders["order_date"] <= end)
        & orders["rep_id"].isin(reps)
    ]
    if "status" in lines:
        lines = lines[~lines["status"].isin(actuals.NOT_REVENUE)]
    family = lines["product_id"].map(products.set_index("product_id")["family"])
    by_family = lines.groupby(family)["amount"].sum()
    total = by_family.sum()
    return by_family / total if total > 0 else by_family


def market_for(
    market: pd.DataFrame | None, period: Period, fiscal_start: int = 1
) -> tuple[float, pd.Series, str | None]:
    """(market growth, competitor price index per family) for the period.

    Quarters of a year are averaged; a period without its own rows takes the latest earlier one.
    """
    if market is None or market.empty:
        return 0.0, pd.Series(dtype=float), "no market data: economy and competition not applied"
    if period.kind == "year":
        wanted = {f"{period.year}-Q{q}" for q in range(1, 5)}
    elif period.kind == "quarter":
        wanted = {str(period)}
    else:
        wanted = {str(Period.containing(period.start, "quarter", fiscal_start))}
    rows = market[market["period"].isin(wanted | {str(period)})]
    note = None
    if rows.empty:
        earlier = market[
            market["period"].map(lambda p: Period.parse(p, fiscal_start).start) <= period.start
        ]
        if earlier.empty:
            return 0.0, pd.Series(dtype=float), "no market data for this period"
        last = max(earlier["period"], key=lambda p: Period.parse(p, fiscal_start).start)
        rows = earlier[earlier["period"] == last]
        note = f"market data of {last} used"
    growth_rows = rows[rows["product_family"].isna()] if "product_family" in rows else rows
    if growth_rows.empty:
        growth_rows = rows
    growth = float(growth_rows["market_growth"].mean()) if "market_growth" in rows else 0.0
    index = pd.Series(dtype=float)
    if "competitor_price_index" in rows and "product_family" in rows:
        fam = rows.dropna(subset=["product_family", "competitor_price_index"])
        index = fam.groupby("product_family")["competitor_price_index"].mean()
    return (0.0 if np.isnan(growth) else growth), index, note


def suggest(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    period: Period,
    metric: str = "revenue",
    config: SuggestionSettings = SuggestionSettings(),
    per_period: pd.DataFrame | None = None,
) -> Suggestion:
    """A goal for one scope and period from its own trailing results, the season, the market,
    competitors' prices and the stretch."""
    if scope not in SCOPES:
        raise InputError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    reps = actuals.members(tables["reps"], scope, scope_id)
    if scope != "company" and len(reps) == 0:
        raise InputError(f"no {scope} {scope_id!r} in reps")
    kind = period.kind
    if per_period is None:
        per_period = actuals.per_rep_period(tables, metric, kind, config.fiscal_start)
    history = scope_history(tables, scope, scope_id, metric, kind, config.fiscal_start, per_period)
    before = (
        history[[Period.parse(p, config.fiscal_start) < period for p in history.index]]
        if len(history)
        else history
    )
    notes = []
    trailing = before.tail(config.trailing_periods)
    if trailing.empty:
        notes.append("no history before this period")
        baseline = 0.0
    else:
        if len(trailing) < config.trailing_periods:
            notes.append(f"only {len(trailing)} past periods")
        # A trailing window mixes seasons; de-seasonalise it before applying the period's own.
        company = scope_history(
            tables, "company", None, metric, kind, config.fiscal_start, per_period
        )
        company_before = company[
            [Period.parse(p, config.fiscal_start) < period for p in company.index]
        ]
        indices = [
            seasonal_index(
                company_before, Period.parse(p, config.fiscal_start), config.fiscal_start
            )[0]
            for p in trailing.index
        ]
        baseline = float((trailing / pd.Series(indices, index=trailing.index)).mean())
    company = scope_history(tables, "company", None, metric, kind, config.fiscal_start, per_period)
    company_before = company[[Period.parse(p, config.fiscal_start) < period for p in company.index]]
    season, note = seasonal_index(company_before, period, config.fiscal_start)
    if note:
        notes.append(note)
    growth, index, note = market_for(tables.get("market"), period, config.fiscal_start)
    if note:
        notes.append(note)
    start = period.start - pd.DateOffset(months=12)
    mix = family_mix(tables, reps, start, period.start - pd.Timedelta(days=1))
    families = []
    competition = 0.0
    for family, share in mix.items():
        if family in index.index:
            competition += share * (index[family] - 1.0) * config.price_elasticity
            families.append((str(family), float(share), float(index[family])))
    value = baseline * season * (1 + growth) * (1 + competition) * (1 + config.stretch)
    return Suggestion(
        scope=scope,
        scope_id=scope_id if scope != "company" else "company",
        period=str(period),
        metric=metric,
        baseline=baseline,
        seasonality=season,
        market=growth,
        competition=competition,
        stretch=config.stretch,
        value=max(value, 0.0),
        notes=tuple(notes),
        trailing_n=len(trailing),
        families=tuple(sorted(families, key=lambda f: -f[1])),
    )


def suggest_all(
    tables: Mapping[str, pd.DataFrame],
    level: str,
    period: Period,
    metric: str = "revenue",
    config: SuggestionSettings = SuggestionSettings(),
) -> list[Suggestion]:
    """A suggestion for every unit at one level (every seller, team, department, or the company)."""
    per_period = actuals.per_rep_period(tables, metric, period.kind, config.fiscal_start)
    reps = sellers(tables["reps"])
    if level == "company":
        units = [None]
    elif level == "rep":
        active = active_share(reps, period)
        units = list(active[active > 0].index)
    else:
        units = sorted(reps[level].dropna().unique())
    return [suggest(tables, level, u, period, metric, config, per_period) for u in units]


# --------------------------------------------------------------------------- allocation


def active_share(reps: pd.DataFrame, period: Period) -> pd.Series:
    """The share of the period each rep is on staff (joiners and leavers prorated), 0..1."""
    days = (period.end - period.start).days + 1
    start = (
        reps["hire_date"].clip(lower=period.start)
        if "hire_date" in reps
        else pd.Series(period.start, index=reps.index)
    )
    start = start.fillna(period.start)
    end = (
        reps["end_date"].clip(upper=period.end)
        if "end_date" in reps
        else pd.Series(period.end, index=reps.index)
    )
    end = end.fillna(period.end)
    share = ((end - start).dt.days + 1).clip(lower=0) / days
    return pd.Series(share.to_numpy(), index=reps["rep_id"].to_numpy()).clip(0, 1)


def sellers(reps: pd.DataFrame) -> pd.DataFrame:
    """Support staff are measured on the sales they assist, so they take no seller goal."""
    return reps[reps["role"] != "support"] if "role" in reps else reps


def allocate(total: float, weights: pd.Series) -> pd.Series:
    """Split `total` in proportion to `weights`; the parts sum to the total exactly."""
    weights = weights.clip(lower=0).fillna(0)
    if weights.sum() <= 0:
        if len(weights) == 0:
            return weights.astype(float)
        weights = pd.Series(1.0, index=weights.index)
    parts = total * weights / weights.sum()
    # Floating error goes to the largest part so the sum is the total to the cent.
    if len(parts):
        parts.iloc[int(np.argmax(parts.to_numpy()))] += total - parts.sum()
    return parts


def allocation_weights(
    tables: Mapping[str, pd.DataFrame],
    members: pd.DataFrame,
    period: Period,
    mode: str,
    metric: str = "revenue",
    fiscal_start: int = 1,
) -> pd.Series:
    """Weights per child (rep) for a top-down split: by share of history, by capacity, or evenly.

    Each is multiplied by the rep's active share of the period, so a rep who joins halfway
    gets half, and a leaver's share goes to the others.
    """
    if mode not in ALLOCATION_MODES:
        raise InputError(
            f"unknown allocation mode {mode!r}; use one of {', '.join(ALLOCATION_MODES)}"
        )
    active = active_share(members, period)
    if mode == "history":
        start = period.start - pd.DateOffset(months=12)
        history = actuals.per_rep(tables, metric, start, period.start - pd.Timedelta(days=1))
        per_day = history.reindex(active.index).fillna(0.0)
        # New reps have no history: give them the median rep's rate, prorated.
        base = per_day.where(
            per_day > 0, per_day[per_day > 0].median() if (per_day > 0).any() else 1.0
        )
        return base * active
    return active  # capacity: time on staff; even: equal for full-period reps (same thing)


def split_down(
    tables: Mapping[str, pd.DataFrame],
    total: float,
    parent_scope: str,
    parent_id: str | None,
    child_scope: str,
    period: Period,
    mode: str = "history",
    metric: str = "revenue",
    fiscal_start: int = 1,
) -> pd.Series:
    """A parent's goal split to its departments, teams or reps (sellers only); sums to `total`."""
    reps = sellers(tables["reps"])
    members = reps[reps["rep_id"].isin(actuals.members(reps, parent_scope, parent_id))]
    weights = allocation_weights(tables, members, period, mode, metric, fiscal_start)
    if mode == "even":
        weights = (weights > 0).astype(float)
    if child_scope == "rep":
        return allocate(total, weights)
    level = members.set_index("rep_id")[child_scope]
    return allocate(total, weights.groupby(level).sum())


def rollup_gaps(
    goals: pd.DataFrame, reps: pd.DataFrame, period: str, metric: str = "revenue"
) -> pd.DataFrame:
    """Each team, department and the company against the sum of its members' goals.

    The gap is reported, never hidden: a team goal of 1.0M whose reps' goals add up to 0.9M
    shows a gap of 0.1M.
    """
    g = goals[(goals["period"] == period) & (goals["metric"] == metric)]
    rep_goals = g[g["scope"] == "rep"].set_index("scope_id")["target"]
    rows = []
    for level in ("team", "department", "company"):
        if level == "company":
            groups = {"company": rep_goals}
        else:
            owner = reps.set_index("rep_id")[level]
            groups = dict(list(rep_goals.groupby(rep_goals.index.map(owner))))
        set_goals = g[g["scope"] == level].set_index("scope_id")["target"]
        for unit in sorted(set(groups) | set(set_goals.index)):
            parts = float(groups[unit].sum()) if unit in groups else 0.0
            whole = float(set_goals.get(unit, np.nan))
            rows.append(
                {
                    "scope": level,
                    "scope_id": unit,
                    "goal": whole,
                    "sum_of_parts": parts,
                    "gap": whole - parts,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- versions


def check_goal_input(
    scope: str,
    scope_id: str | None,
    period: str,
    metric: str,
    target,
    reason: str | None,
    reps: pd.DataFrame,
    closed_before: pd.Timestamp | None = None,
    force: bool = False,
    fiscal_start: int = 1,
) -> Period:
    """Refuse a goal that cannot be right, with one sentence; returns the parsed period."""
    try:
        p = Period.parse(period, fiscal_start)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if scope not in SCOPES:
        raise InputError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    if scope != "company":
        column = {"rep": "rep_id", "team": "team", "department": "department"}[scope]
        if scope_id not in set(reps[column]):
            raise InputError(f"unknown {scope} {scope_id!r}: not in the workbook's reps")
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise InputError(f"the target {target!r} is not a number") from None
    if not np.isfinite(value) or value < 0:
        raise InputError(f"a target cannot be negative ({target})")
    if not (reason or "").strip():
        raise InputError("a goal needs a reason (why it is set or revised)")
    if closed_before is not None and p.end < closed_before and not force:
        raise InputError(f"{p} has already closed; use --force to change a closed period's goal")
    return p


def goal_record(
    scope, scope_id, period, metric, target, reason_code, basis=None
) -> tuple[str, dict]:
    if reason_code not in REASONS:
        raise InputError(f"unknown reason {reason_code!r}; use one of {', '.join(REASONS)}")
    data = {
        "scope": scope,
        "scope_id": scope_id if scope != "company" else "company",
        "period": str(period),
        "metric": metric,
        "target": float(target),
        "reason": reason_code,
    }
    if basis:
        data["basis"] = basis
    return goal_key(scope, scope_id, str(period), metric), data


def goal_history(
    goal_events: pd.DataFrame | None, targets: pd.DataFrame | None, key_prefix: str | None = None
) -> pd.DataFrame:
    """Every version of every goal, oldest first: the imported target, then each revision."""
    rows = []
    if targets is not None and len(targets):
        t = targets.assign(
            scope_id=np.where(targets["scope"] == "company", "company", targets.get("scope_id"))
        )
        for r in t.itertuples(index=False):
            rows.append(
                {
                    "key": goal_key(r.scope, r.scope_id, r.period, r.metric),
                    "version": 0,
                    "target": r.target,
                    "reason": "imported",
                    "why": None,
                    "set_by": None,
                    "set_at": pd.NaT,
                }
            )
    if goal_events is not None and len(goal_events):
        e = goal_events.sort_values("event_id")
        e = e.assign(version=e.groupby("key").cumcount() + 1)
        for r in e.itertuples(index=False):
            rows.append(
                {
                    "key": r.key,
                    "version": r.version,
                    "target": float(r.target),
                    "reason": getattr(r, "reason", None),
                    "why": r.why,
                    "set_by": r.who,
                    "set_at": pd.Timestamp(r.at),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["key", "version", "target", "reason", "why", "set_by", "set_at"]
    )
    if key_prefix:
        frame = frame[frame["key"].str.startswith(key_prefix)]
    return frame.sort_values(["key", "version"]).reset_index(drop=True)


# --------------------------------------------------------------------------- discussion


def ack_key(rep_id: str, period: str) -> str:
    return f"rep:{rep_id}|{period}"


def acknowledgement_status(
    reps: pd.DataFrame, period: Period, acks: pd.DataFrame | None
) -> pd.DataFrame:
    """Each seller on staff during the period: discussed or not, agreed or disputed, comment."""
    staff = sellers(reps)
    staff = staff[active_share(staff, period).reindex(staff["rep_id"]).to_numpy() > 0]
    out = staff[["rep_id", "name", "team", "department"]].copy()
    if acks is not None and len(acks):
        a = acks[acks["period"] == str(period)].set_index("rep_id")
        for col in ("outcome", "discussed_on", "manager", "comment"):
            out[col] = out["rep_id"].map(a[col]) if col in a else None
    else:
        for col in ("outcome", "discussed_on", "manager", "comment"):
            out[col] = None
    out["acknowledged"] = out["outcome"].notna()
    return out.sort_values(["acknowledged", "department", "team", "name"]).reset_index(drop=True)


def letter_changes(history: pd.DataFrame, key: str) -> tuple[float | None, float | None]:
    """(previous target, current target) of one goal, from its version history."""
    versions = history[history["key"] == key].sort_values("version")
    if versions.empty:
        return None, None
    current = float(versions["target"].iloc[-1])
    previous = float(versions["target"].iloc[-2]) if len(versions) > 1 else None
    return previous, current
