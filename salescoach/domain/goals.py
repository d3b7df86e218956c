"""Goals: suggestions with their arithmetic, allocation both ways, versions, discussions.

Pure functions over frames. Goals in force, attainment and the run-rate projection live in
`salescoach.domain.attainment`, which this module and every other reuse.

A suggestion is built in visible steps, each written into the sentence a rep reads:

    baseline     the mean of the scope's last N periods of the same length (N = trailing_periods),
                 each divided by its season's index (the window mixes seasons). A rep's period
                 counts only when the rep was on staff at least `min_active_share` of it, and is
                 scaled up to a full period; a rep with no such period takes the median of the
                 team's sellers.
    seasonality  the period's share of a typical year x the number of parts, learnt from the
                 company's complete fiscal years (at least two; else 1.0 and a note says so)
    market       x (1 + market_growth), averaged over the period's quarters; none -> 0, stated
    competition  x (1 + sum over product families of (the scope's share of sales in the family)
                 x (competitor_price_index now / index over the baseline periods - 1)
                 x price_elasticity). Relative to the baseline periods, because those periods'
                 results already carry the prices competitors charged then; without market rows
                 for them the comparison is with parity (1.0).
    stretch      x (1 + stretch)
    on staff     x the rep's share of the period on staff (joiners and leavers prorated)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from salescoach import settings
from salescoach.domain import actuals, decisions, roles
from salescoach.domain.attainment import goal_key
from salescoach.domain.contract import METRICS, SCOPES
from salescoach.domain.decisions import ACK, ack_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import N_, N_n, _, label, name_order, plural_translator, separated, translator

REASONS = ("performance", "economy", "competition", "other")
ACK_KIND = ACK
ALLOCATION_MODES = ("history", "capacity", "even")
LEVELS = ("department", "team", "rep")  # below the company, top to bottom

# Messages kept untranslated here and translated when a sentence is written (`Note.render`);
# `N_` marks them for the extractor and returns them unchanged.
NO_HISTORY = N_("no history before this period")
SHORT_HISTORY = N_n("only {n} past period", "only {n} past periods")
PART_PERIODS = N_n(
    "{n} period with less than {share} on staff left out",
    "{n} periods with less than {share} on staff left out",
)
PEER_BASELINE = N_("no history of their own: the median of the team's sellers")
NO_SEASON = N_("seasonality not learnt: fewer than two complete years of history")
NO_MARKET = N_("no market data for {period}: economy and competition not applied")
SOME_MARKET = N_("market data for {n} of the period's {total} quarters")
NO_MIX = N_("no product mix: competition not applied")
NOT_ON_STAFF = N_("not on staff during {period}")


@dataclass(frozen=True)
class Note:
    """A caveat of a suggestion, translated when it is written."""

    text: str | tuple[str, str]  # (singular, plural) for a count, in `n`
    values: tuple[tuple[str, object], ...] = ()

    def render(self, lang: str = "en") -> str:
        values = dict(self.values)
        if isinstance(self.text, tuple):
            return plural_translator(lang)(*self.text, int(values["n"]), **values)
        return translator(lang)(self.text, **values)


def _note(text: str | tuple[str, str], **values) -> Note:
    return Note(text, tuple(values.items()))


@dataclass(frozen=True)
class SuggestionSettings(settings.Goals):
    """What a suggestion reads: the `[goals]` section of the settings model and the fiscal
    year's first month; every default is the shipped salescoach.toml's."""

    fiscal_start: int = settings.Company().fiscal_year_start_month

    @classmethod
    def from_settings(cls, s: settings.Settings) -> SuggestionSettings:
        goals = {f.name: getattr(s.goals, f.name) for f in fields(settings.Goals)}
        return cls(**goals, fiscal_start=s.fiscal_year_start_month)


@dataclass(frozen=True)
class FamilyEffect:
    family: str
    share: float  # of the scope's sales in the 12 months before the period
    index: float  # competitor_price_index for the period
    index_before: float  # over the baseline periods (1.0 when unknown)


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
    notes: tuple[Note, ...] = ()
    trailing_n: int = 0
    families: tuple[FamilyEffect, ...] = ()
    active_share: float = 1.0
    deseasonalised: bool = False
    from_peers: bool = False
    kind: str = field(default="quarter")

    def note_texts(self, lang: str = "en") -> list[str]:
        return [n.render(lang) for n in self.notes]

    def sentence(self, fmt: Formatter, lang: str = "en") -> str:
        """The arithmetic in words a rep can check."""
        _ = translator(lang)
        money = fmt.money_compact if self.metric == "revenue" else (lambda x: fmt.number(x))
        periods = {"quarter": _("quarters"), "month": _("months"), "year": _("years")}[self.kind]
        if self.from_peers:
            parts = [_("median of the team's sellers {value}", value=money(self.baseline))]
        elif self.deseasonalised:
            parts = [
                _(
                    "average of the last {n} {periods}, seasonally adjusted, {value}",
                    n=self.trailing_n,
                    periods=periods,
                    value=money(self.baseline),
                )
            ]
        else:
            parts = [
                _(
                    "average of the last {n} {periods} {value}",
                    n=self.trailing_n,
                    periods=periods,
                    value=money(self.baseline),
                )
            ]
        if self.kind != "year":
            parts.append(
                _(
                    "seasonality {period} x{factor}",
                    period=fmt.period(self.period),
                    factor=fmt.number(self.seasonality, 2),
                )
            )
        parts.append(_("market {change}", change=_signed(self.market, fmt)))
        for f in self.families:
            # Only families whose prices moved since the baseline change the goal.
            if abs(f.index / f.index_before - 1) >= 0.005:
                parts.append(
                    _(
                        "competitors {now} on {family} ({share} of sales; {before} in the baseline periods)",
                        now=_price_gap(f.index, fmt, _),
                        family=f.family,
                        share=fmt.pct(f.share),
                        before=_price_gap(f.index_before, fmt, _),
                    )
                )
        parts.append(_("competition {change}", change=_signed(self.competition, fmt)))
        parts.append(_("stretch {change}", change=fmt.pct(self.stretch, 0, signed=True)))
        if self.active_share < 1:
            parts.append(
                _(
                    "on staff {share} of the period x{factor}",
                    share=fmt.pct(self.active_share),
                    factor=fmt.number(self.active_share, 2),
                )
            )
        text = ", ".join(parts) + f" = {money(self.value)}"
        if self.notes:
            text += " (" + separated(self.note_texts(lang), lang) + ")"
        return text


def _signed(x: float, fmt: Formatter) -> str:
    # -0.1% prints as 0%, not -0%.
    return fmt.pct(0.0 if abs(x) < 0.005 else x, 0, signed=True)


def _price_gap(index: float, fmt: Formatter, _) -> str:
    if abs(index - 1) < 0.005:
        return _("at parity")
    if index < 1:
        return _("{gap} cheaper", gap=fmt.pct(1 - index))
    return _("{gap} dearer", gap=fmt.pct(index - 1))


# --------------------------------------------------------------------------- history


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


def seasonal_indices(history: pd.Series, kind: str) -> pd.Series | None:
    """Each quarter's or month's share of a typical year x the number of parts, by number.

    Learnt from complete fiscal years (every part with results); None with fewer than two.
    """
    if kind == "year" or history.empty:
        return None
    parts = 4 if kind == "quarter" else 12
    labels = pd.Series(history.index, index=history.index)
    frame = pd.DataFrame(
        {
            "year": labels.str[:4].astype(int).to_numpy(),
            "n": (labels.str[6:] if kind == "quarter" else labels.str[5:7]).astype(int).to_numpy(),
            "value": history.to_numpy(dtype=float),
        }
    )
    complete = frame.groupby("year").filter(lambda g: len(g) == parts and (g["value"] > 0).all())
    if complete["year"].nunique() < 2:
        return None
    share = complete["value"] / complete.groupby("year")["value"].transform("sum")
    return share.groupby(complete["n"]).mean() * parts


def seasonal_index(
    company_history: pd.Series, period: Period, fiscal_start: int = 1
) -> tuple[float, str | None]:
    """A quarter's or month's seasonal index (1.0 for a year), and why it is 1.0 if unlearnt."""
    if period.kind == "year":
        return 1.0, None
    index = seasonal_indices(company_history, period.kind)
    if index is None:
        return 1.0, NO_SEASON
    return float(index.get(period.number, 1.0)), None


def family_sales(
    tables: Mapping[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Revenue per rep (rows) and product family (columns) between two dates (inclusive)."""
    orders, products = tables.get("orders"), tables.get("products")
    if orders is None or products is None or "family" not in products:
        return pd.DataFrame()
    lines = orders[(orders["order_date"] >= start) & (orders["order_date"] <= end)]
    if "status" in lines:
        lines = lines[~lines["status"].isin(actuals.NOT_REVENUE)]
    amount = lines["amount"] if "amount" in lines else lines["quantity"] * lines["unit_price"]
    family = lines["product_id"].map(
        products.drop_duplicates("product_id").set_index("product_id")["family"]
    )
    return amount.groupby([lines["rep_id"], family]).sum().unstack(fill_value=0.0)


def family_mix(tables: Mapping[str, pd.DataFrame], reps: pd.Index, start, end) -> pd.Series:
    """The scope's share of revenue per product family over [start, end]."""
    return _mix(family_sales(tables, start, end), reps)


def _mix(by_rep_family: pd.DataFrame, reps: pd.Index) -> pd.Series:
    if by_rep_family.empty:
        return pd.Series(dtype=float)
    by_family = by_rep_family.reindex(reps).fillna(0.0).sum(axis=0)
    total = by_family.sum()
    return by_family[by_family > 0] / total if total > 0 else pd.Series(dtype=float)


def _mix_of(inputs: SuggestionInputs, members: pd.Index) -> pd.Series:
    """`_mix(inputs.by_rep_family, members)`; a single rep's from a row kept for the batch."""
    table = inputs.by_rep_family
    if len(members) != 1 or table.empty:
        return _mix(table, members)
    rows, matrix = inputs.remember("by_rep_family", lambda: _row_lookup(table, table.columns))
    row = rows.get(members[0])
    by_family = pd.Series(
        np.nan_to_num(matrix[row], nan=0.0) if row is not None else 0.0,
        index=table.columns,
        dtype=float,
    )
    total = by_family.sum()
    return by_family[by_family > 0] / total if total > 0 else pd.Series(dtype=float)


def _quarters_of(period: Period, fiscal_start: int) -> list[str]:
    if period.kind == "year":
        return [f"{period.year}-Q{q}" for q in range(1, 5)]
    if period.kind == "quarter":
        return [str(period)]
    return [str(Period.containing(period.start, "quarter", fiscal_start))]


def market_for(
    market: pd.DataFrame | None, period: Period, fiscal_start: int = 1
) -> tuple[float, pd.Series, Note | None]:
    """(market growth, competitor price index per family) for the period, and a caveat.

    A year averages its quarters; a month takes its quarter's rows (or its own, if the market
    table has monthly rows). A period without rows is growth 0 and no index, stated.
    """
    quarters = _quarters_of(period, fiscal_start)
    rows = (
        market[market["period"].astype(str).isin(set(quarters) | {str(period)})]
        if market is not None and len(market)
        else pd.DataFrame()
    )
    if rows.empty:
        return 0.0, pd.Series(dtype=float), _note(NO_MARKET, period=str(period))
    note = None
    found = rows["period"].astype(str).nunique()
    if period.kind == "year" and found < len(quarters):
        note = _note(SOME_MARKET, n=found, total=len(quarters))
    growth = 0.0
    if "market_growth" in rows:
        # Family rows repeat the period's growth: one figure per period, then their mean.
        per_period = rows.groupby(rows["period"].astype(str))["market_growth"].mean().dropna()
        growth = float(per_period.mean()) if len(per_period) else 0.0
    index = pd.Series(dtype=float)
    if "competitor_price_index" in rows and "product_family" in rows:
        fam = rows.dropna(subset=["product_family", "competitor_price_index"])
        index = fam.groupby("product_family")["competitor_price_index"].mean()
    return growth, index, note


def _index_over(market: pd.DataFrame | None, periods: list[Period], fiscal_start: int) -> pd.Series:
    """Competitor price index per family averaged over the quarters of `periods`."""
    if market is None or market.empty or "competitor_price_index" not in market:
        return pd.Series(dtype=float)
    wanted = {q for p in periods for q in _quarters_of(p, fiscal_start)} | {str(p) for p in periods}
    rows = market[market["period"].astype(str).isin(wanted)]
    if "product_family" not in rows:
        return pd.Series(dtype=float)
    rows = rows.dropna(subset=["product_family", "competitor_price_index"])
    return rows.groupby("product_family")["competitor_price_index"].mean()


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class SuggestionInputs:
    """What every suggestion of one period and metric shares; built once for a batch."""

    tables: Mapping[str, pd.DataFrame]
    period: Period
    metric: str
    config: SuggestionSettings
    per_period: pd.DataFrame  # rep x period of the period's kind, before the period
    season: pd.Series | None  # seasonal index by part number (None: not learnt)
    growth: float
    index_now: pd.Series
    market_note: Note | None
    by_rep_family: pd.DataFrame  # revenue per rep and family, 12 months before the period
    shares: pd.DataFrame  # rep x period: share of each past period on staff
    # What the suggestions of a batch look up again and again (each rep's row, a level's
    # members, the price index over a run of periods), built on first use: a batch of
    # thousands of reps costs a dictionary lookup per rep, not a scan of the tables.
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key, build):
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def members(self, scope: str, scope_id: str | None) -> pd.Index:
        """`actuals.members` of the reps table, from one grouping per level."""
        reps = self.tables["reps"]
        if scope == "company" or scope not in ("department", "team", "rep"):
            return actuals.members(reps, scope, scope_id)
        column = "rep_id" if scope == "rep" else scope
        ids = reps["rep_id"].to_numpy()
        groups = self.remember(("members", scope), lambda: reps.groupby(column, sort=False).indices)
        return pd.Index(ids[groups.get(scope_id, [])], name="rep_id")


def suggestion_inputs(
    tables: Mapping[str, pd.DataFrame],
    period: Period,
    metric: str = "revenue",
    config: SuggestionSettings = SuggestionSettings(),
    per_period: pd.DataFrame | None = None,
) -> SuggestionInputs:
    if metric not in METRICS:
        raise InputError(
            _(
                "unknown metric {metric}; use one of {choices}",
                metric=metric,
                choices=", ".join(METRICS),
            )
        )
    fs = config.fiscal_start
    if per_period is None:
        try:
            per_period = actuals.per_rep_period(tables, metric, period.kind, fs)
        except actuals.MissingData as exc:
            raise InputError(str(exc)) from None
    before = [c for c in per_period.columns if Period.parse(c, fs) < period]
    per_period = per_period[before]
    company = per_period.sum(axis=0) if len(before) else pd.Series(dtype=float)
    growth, index_now, market_note = market_for(tables.get("market"), period, fs)
    start = period.start - pd.DateOffset(months=12)
    reps = tables["reps"]
    shares = pd.DataFrame(
        {c: active_share(reps, Period.parse(c, fs)) for c in before},
        index=pd.Index(reps["rep_id"]),
    )
    return SuggestionInputs(
        tables=tables,
        period=period,
        metric=metric,
        config=config,
        per_period=per_period,
        season=seasonal_indices(company, period.kind),
        growth=growth,
        index_now=index_now,
        market_note=market_note,
        by_rep_family=family_sales(tables, start, period.start - pd.Timedelta(days=1)),
        shares=shares,
    )


def _row_lookup(frame: pd.DataFrame, columns: pd.Index) -> tuple[dict, np.ndarray]:
    """{label: row number} (first row of a label) and the frame's values in `columns`."""
    index = pd.Index(frame.index)
    first = ~index.duplicated(keep="first")
    rows = dict(zip(index[first], np.flatnonzero(first)))
    return rows, frame.reindex(columns=columns).to_numpy(dtype=float)


def _rep_baseline(inputs: SuggestionInputs, rep_id: str) -> tuple[pd.Series, int]:
    """A rep's past periods scaled to a full period on staff, and how many were left out."""
    columns = inputs.per_period.columns
    if len(columns):
        rows, matrix = inputs.remember(
            "per_period", lambda: _row_lookup(inputs.per_period, columns)
        )
        row = rows.get(rep_id)
        values = pd.Series(
            np.nan_to_num(matrix[row], nan=0.0) if row is not None else 0.0,
            index=columns,
            dtype=float,
            name=rep_id,
        )
    else:
        values = pd.Series(dtype=float)
    rows, matrix = inputs.remember("shares", lambda: _row_lookup(inputs.shares, values.index))
    row = rows.get(rep_id)
    share = pd.Series(
        matrix[row] if row is not None and matrix.shape[1] == len(values) else 1.0,
        index=values.index,
        dtype=float,
    ).fillna(1.0)
    counted = share >= inputs.config.min_active_share
    # Periods before the rep joined are not "left out": only part periods are.
    partial = int(((share > 0) & ~counted).sum())
    return (values[counted] / share[counted]), partial


def _deseasonalised_mean(inputs: SuggestionInputs, trailing: pd.Series) -> tuple[float, bool]:
    if inputs.season is None or trailing.empty:
        return float(trailing.mean()) if len(trailing) else 0.0, False
    fs = inputs.config.fiscal_start
    idx = [float(inputs.season.get(Period.parse(p, fs).number, 1.0)) for p in trailing.index]
    return float((trailing / np.array(idx)).mean()), True


def suggest(
    tables: Mapping[str, pd.DataFrame],
    scope: str,
    scope_id: str | None,
    period: Period,
    metric: str = "revenue",
    config: SuggestionSettings = SuggestionSettings(),
    per_period: pd.DataFrame | None = None,
    inputs: SuggestionInputs | None = None,
) -> Suggestion:
    """A goal for one scope and period from its own trailing results, the season, the market,
    competitors' prices and the stretch; a rep's is prorated by days on staff.

    Example: ``suggest(tables, "team", "North A", Period.parse("2026-Q4")).sentence(Formatter())``
    """
    if scope not in SCOPES:
        raise InputError(
            _("unknown scope {scope}; use one of {choices}", scope=scope, choices=", ".join(SCOPES))
        )
    if inputs is None:
        inputs = suggestion_inputs(tables, period, metric, config, per_period)
    config = inputs.config
    reps_table = tables["reps"]
    members = inputs.members(scope, scope_id)
    if scope != "company" and len(members) == 0:
        raise InputError(
            _("no {scope} {scope_id} in the reps table", scope=scope, scope_id=scope_id)
        )
    notes: list[Note] = []
    from_peers = False
    on_staff = 1.0
    if scope == "rep":
        history, partial = _rep_baseline(inputs, scope_id)
        if partial:
            notes.append(_note(PART_PERIODS, n=partial, share=f"{config.min_active_share:.0%}"))
        on_staff = float(_on_staff(inputs, reps_table).get(scope_id, np.nan))
        if on_staff <= 0:
            notes.append(_note(NOT_ON_STAFF, period=str(period)))
    else:
        history = inputs.per_period.reindex(members).fillna(0.0).sum(axis=0)
    trailing = history.tail(config.trailing_periods)
    baseline, deseasonalised = _deseasonalised_mean(inputs, trailing)
    if trailing.empty and scope == "rep":
        baseline = _peer_baseline(inputs, scope_id)
        from_peers = baseline > 0
        notes.append(_note(PEER_BASELINE if from_peers else NO_HISTORY))
    elif trailing.empty:
        notes.append(_note(NO_HISTORY))
    elif len(trailing) < config.trailing_periods:
        notes.append(_note(SHORT_HISTORY, n=len(trailing)))
    season = 1.0
    if period.kind != "year":
        if inputs.season is None:
            notes.append(_note(NO_SEASON))
        else:
            season = float(inputs.season.get(period.number, 1.0))
    if inputs.market_note is not None:
        notes.append(inputs.market_note)
    mix = _mix_of(inputs, members)
    fs = config.fiscal_start
    index_before = inputs.remember(
        ("index_over", tuple(trailing.index)),
        lambda: _index_over(
            tables.get("market"), [Period.parse(p, fs) for p in trailing.index], fs
        ),
    )
    families, competition = [], 0.0
    for family, share in mix.items():
        if family in inputs.index_now.index:
            now = float(inputs.index_now[family])
            before = float(index_before.get(family, 1.0))
            competition += share * (now / before - 1.0) * config.price_elasticity
            families.append(FamilyEffect(str(family), float(share), now, before))
    if mix.empty and len(inputs.index_now) and inputs.metric == "revenue":
        notes.append(_note(NO_MIX))
    value = (
        baseline
        * season
        * (1 + inputs.growth)
        * (1 + competition)
        * (1 + config.stretch)
        * on_staff
    )
    return Suggestion(
        scope=scope,
        scope_id=scope_id if scope != "company" else "company",
        period=str(period),
        metric=inputs.metric,
        baseline=baseline,
        seasonality=season,
        market=inputs.growth,
        competition=competition,
        stretch=config.stretch,
        value=max(value, 0.0),
        notes=tuple(notes),
        trailing_n=len(trailing),
        families=tuple(sorted(families, key=lambda f: -f.share)),
        active_share=on_staff,
        deseasonalised=deseasonalised,
        from_peers=from_peers,
        kind=period.kind,
    )


def _on_staff(inputs: SuggestionInputs, reps: pd.DataFrame) -> pd.Series:
    """Each rep's share of the period on staff (the first row of a rep_id), computed once."""

    def build() -> pd.Series:
        share = active_share(reps, inputs.period)
        return share[~share.index.duplicated(keep="first")]

    return inputs.remember(("on_staff", id(reps)), build)


def _peer_baseline(inputs: SuggestionInputs, rep_id: str) -> float:
    """The median full-period baseline of the rep's team's other sellers (0 when none)."""
    reps = sellers(inputs.tables["reps"], inputs.tables)
    team = reps.loc[reps["rep_id"] == rep_id, "team"]
    peers = reps[(reps["team"].isin(team)) & (reps["rep_id"] != rep_id)]["rep_id"]
    values = []
    for peer in peers:
        history, _partial = _rep_baseline(inputs, peer)
        trailing = history.tail(inputs.config.trailing_periods)
        if len(trailing):
            values.append(_deseasonalised_mean(inputs, trailing)[0])
    return float(np.median(values)) if values else 0.0


def units_at(
    reps: pd.DataFrame,
    level: str,
    period: Period,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> list[str | None]:
    """The sellers on staff during the period, or the teams/departments that have any
    (with `tables`, anyone who sells counts as a seller, whatever `reps.role` says)."""
    staff = sellers(reps, tables)
    staff = staff[active_share(staff, period).to_numpy() > 0]
    if level == "company":
        return [None]
    if level == "rep":
        return list(staff["rep_id"])
    return sorted(staff[level].dropna().unique())


def suggest_all(
    tables: Mapping[str, pd.DataFrame],
    level: str,
    period: Period,
    metric: str = "revenue",
    config: SuggestionSettings = SuggestionSettings(),
) -> list[Suggestion]:
    """A suggestion for every unit at one level (every seller on staff, team, department, or
    the company). Support staff take no seller goal: they are measured on the deals they assist."""
    if level not in SCOPES:
        raise InputError(
            _("unknown scope {scope}; use one of {choices}", scope=level, choices=", ".join(SCOPES))
        )
    inputs = suggestion_inputs(tables, period, metric, config)
    return [
        suggest(tables, level, u, period, metric, inputs=inputs)
        for u in units_at(tables["reps"], level, period, tables)
    ]


# --------------------------------------------------------------------------- allocation


def active_share(reps: pd.DataFrame, period: Period) -> pd.Series:
    """The share of the period each rep is on staff (joiners and leavers prorated), 0..1."""
    return active_days(reps, period.start, period.end) / ((period.end - period.start).days + 1)


def active_days(reps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Days each rep is on staff between two dates (inclusive), by rep_id."""
    first = reps["hire_date"] if "hire_date" in reps else pd.Series(pd.NaT, index=reps.index)
    last = reps["end_date"] if "end_date" in reps else pd.Series(pd.NaT, index=reps.index)
    first = pd.to_datetime(first).clip(lower=start).fillna(start)
    last = pd.to_datetime(last).clip(upper=end).fillna(end)
    days = ((last - first).dt.days + 1).clip(lower=0).astype(float)
    return pd.Series(days.to_numpy(), index=pd.Index(reps["rep_id"].to_numpy(), name="rep_id"))


def sellers(reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Who takes a seller goal: support staff are measured on the sales they assist, unless
    they also sell (`rep_id` on a deal or order in `tables`): then their goal is on their own
    sales."""
    return roles.sellers(reps, tables)


def support_staff(
    reps: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    return roles.support_staff(reps, tables)


def allocate(total: float, weights: pd.Series) -> pd.Series:
    """Split `total` in proportion to `weights`; the parts sum to the total exactly."""
    weights = weights.astype(float).clip(lower=0).fillna(0)
    if weights.sum() <= 0:
        if len(weights) == 0:
            return weights
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
    """Weights per rep for a top-down split: by history, by capacity, or evenly.

    history   the rep's results per day on staff over the 12 months before the period
              (a rep without any takes the median rate) x days on staff in the period
    capacity  days on staff in the period (prorated headcount)
    even      the same as capacity for reps; between teams or departments, one equal share each

    A rep who joins halfway gets half; a leaver gets only the days on staff, and the rest of
    the leaver's share goes to the others.
    """
    if mode not in ALLOCATION_MODES:
        raise InputError(
            _(
                "unknown allocation {mode}; use one of {choices}",
                mode=mode,
                choices=", ".join(ALLOCATION_MODES),
            )
        )
    on_staff = active_share(members, period)
    if mode != "history":
        return on_staff
    start, end = period.start - pd.DateOffset(months=12), period.start - pd.Timedelta(days=1)
    try:
        results = actuals.per_rep(tables, metric, start, end).reindex(on_staff.index).fillna(0.0)
    except actuals.MissingData as exc:
        raise InputError(str(exc)) from None
    days = active_days(members, start, end)
    rate = (results / days.where(days > 0)).fillna(0.0)
    known = rate[rate > 0]
    rate = rate.where(rate > 0, float(known.median()) if len(known) else 1.0)
    return rate * on_staff


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
    """A parent's goal split to its departments, teams or reps (sellers on staff); sums to
    `total`. Example: ``split_down(tables, 1e6, "team", "North A", "rep", p, "capacity")``."""
    if child_scope not in LEVELS or (
        parent_scope != "company" and LEVELS.index(child_scope) <= LEVELS.index(parent_scope)
    ):
        raise InputError(
            _(
                "a {parent} goal cannot be split into {child}",
                parent=label(parent_scope),
                child=label(child_scope),
            )
        )
    reps = sellers(tables["reps"], tables)
    members = reps[reps["rep_id"].isin(actuals.members(reps, parent_scope, parent_id))]
    weights = allocation_weights(tables, members, period, mode, metric, fiscal_start)
    weights = weights[weights > 0]
    if child_scope == "rep":
        return allocate(total, weights)
    level = members.set_index("rep_id")[child_scope].reindex(weights.index)
    grouped = weights.groupby(level).sum()
    if mode == "even":
        grouped = pd.Series(1.0, index=grouped.index)
    return allocate(total, grouped)


MODE_TEXT = {
    "history": N_("by results per day on staff over the last 12 months"),
    "capacity": N_("by days on staff"),
    "even": N_("evenly"),
}


def split_sentence(
    share: float,
    parent: str,
    total: float,
    mode: str,
    fmt: Formatter,
    metric: str,
    lang: str = "en",
) -> str:
    """How a top-down goal was set, in one sentence."""
    gettext = translator(lang)
    money = fmt.money_compact if metric == "revenue" else (lambda x: fmt.number(x))
    return gettext(
        "{share} of the {parent} goal of {total}, split {how}",
        share=fmt.pct(share, 1),
        parent=parent,
        total=money(total),
        how=gettext(MODE_TEXT[mode]),
    )


def compare_allocations(top_down: pd.Series, bottom_up: pd.Series) -> pd.DataFrame:
    """Top-down split and bottom-up suggestions side by side, with their difference."""
    frame = pd.DataFrame({"top_down": top_down, "bottom_up": bottom_up}).fillna(0.0)
    frame["difference"] = frame["top_down"] - frame["bottom_up"]
    frame.index.name = "scope_id"
    return frame.reset_index()


def rollup_gaps(
    goals: pd.DataFrame,
    reps: pd.DataFrame,
    period: str,
    metric: str = "revenue",
    fiscal_start: int = 1,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Each team, department and the company against the sum of its direct parts' goals.

    A team's parts are its sellers on staff; a department's are its teams when any of them has
    a goal (else its sellers); the company's are its departments, else teams, else sellers.
    `missing` counts the parts without a goal. The gap is reported, never hidden: a team goal
    of 1.0M whose reps' goals add up to 0.9M shows a gap of 0.1M.
    """
    columns = ["scope", "scope_id", "goal", "parts", "sum_of_parts", "children", "missing", "gap"]
    g = goals[(goals["period"].astype(str) == str(period)) & (goals["metric"] == metric)]
    p = Period.parse(str(period), fiscal_start)
    staff = sellers(reps, tables)
    staff = staff[active_share(staff, p).to_numpy() > 0].set_index("rep_id")
    by_scope = {s: g[g["scope"] == s].set_index("scope_id")["target"] for s in SCOPES}
    rows = []

    def children_of(level: str, unit: str) -> tuple[str, pd.Index]:
        inside = staff if level == "company" else staff[staff[level] == unit]
        order = (
            ("department", "team")
            if level == "company"
            else ("team",)
            if level == "department"
            else ()
        )
        for child in order:
            units = pd.Index(sorted(inside[child].dropna().unique()))
            if by_scope[child].reindex(units).notna().any():
                return child, units
        return "rep", pd.Index(inside.index)

    for level in ("team", "department", "company"):
        units = ["company"] if level == "company" else sorted(staff[level].dropna().unique())
        units = sorted(set(units) | set(by_scope[level].index))
        for unit in units:
            child, kids = children_of(level, unit)
            have = by_scope[child].reindex(kids)
            if have.notna().sum() == 0 and unit not in by_scope[level].index:
                continue
            whole = float(by_scope[level].get(unit, np.nan))
            parts = float(have.sum())
            rows.append(
                {
                    "scope": level,
                    "scope_id": unit,
                    "goal": whole,
                    "parts": child,
                    "sum_of_parts": parts,
                    "children": len(kids),
                    "missing": int(have.isna().sum()),
                    "gap": whole - parts,
                }
            )
    return pd.DataFrame(rows, columns=columns)


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
    fmt: Formatter | None = None,
    selling=(),
) -> Period:
    """Refuse a goal that cannot be right, with one sentence; returns the parsed period.

    `selling` names the people who sell (`roles.selling(tables)`): support staff among them may
    take a seller goal on their own sales.

    A period has closed when it ended before `closed_before` (the newest date in the data);
    changing it needs `force` (the explicit override). The checks are the registry's
    (:mod:`salescoach.domain.decisions`), so the CLI, the app and a notebook refuse with the same words.
    """
    try:
        p = Period.parse(period, fiscal_start)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if scope not in SCOPES:
        raise InputError(
            _("unknown scope {scope}; use one of {choices}", scope=scope, choices=", ".join(SCOPES))
        )
    if metric not in METRICS:
        raise InputError(
            _(
                "unknown metric {metric}; use one of {choices}",
                metric=metric,
                choices=", ".join(METRICS),
            )
        )
    if scope == "rep":
        decisions.check_rep(reps, scope_id, p, seller=True, fmt=fmt, selling=selling)
    elif scope != "company":
        column = {"team": "team", "department": "department"}[scope]
        if scope_id not in set(reps[column].dropna()):
            raise InputError(
                _(
                    "unknown {scope} {scope_id}: not in the workbook's reps",
                    scope=scope,
                    scope_id=scope_id,
                )
            )
    decisions.check_amount(target, "target")
    decisions.check_reason(reason, _("a goal needs a reason (why it is set or revised)"))
    decisions.check_open_period(p, closed_before, force)
    return p


def goal_record(
    scope, scope_id, period, metric, target, reason_code, basis=None, override=False
) -> tuple[str, dict]:
    """The store key and data of one goal version; `override` marks a closed period's goal
    changed on purpose (`override: true` in the record)."""
    if reason_code not in REASONS:
        raise InputError(
            _(
                "unknown reason {reason}; use one of {choices}",
                reason=reason_code,
                choices=", ".join(REASONS),
            )
        )
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
    if override:
        data["override"] = True
    return goal_key(scope, scope_id, str(period), metric), data


def goal_history(
    goal_events: pd.DataFrame | None, targets: pd.DataFrame | None, key_prefix: str | None = None
) -> pd.DataFrame:
    """Every version of every goal, oldest first: the imported target, then each revision."""
    columns = ["key", "version", "target", "reason", "basis", "why", "set_by", "set_at"]
    parts = []
    if targets is not None and len(targets):
        t = targets
        scope_id = np.where(t["scope"] == "company", "company", t.get("scope_id"))
        parts.append(
            pd.DataFrame(
                {
                    "key": [
                        goal_key(s, i, str(p), m)
                        for s, i, p, m in zip(t["scope"], scope_id, t["period"], t["metric"])
                    ],
                    "version": 0,
                    "target": t["target"].astype(float).to_numpy(),
                    "reason": "imported",
                    "basis": None,
                    "why": None,
                    "set_by": None,
                    "set_at": pd.NaT,
                }
            )
        )
    if goal_events is not None and len(goal_events):
        e = goal_events.sort_values("event_id")
        parts.append(
            pd.DataFrame(
                {
                    "key": e["key"].to_numpy(),
                    "version": (e.groupby("key").cumcount() + 1).to_numpy(),
                    "target": e["target"].astype(float).to_numpy(),
                    "reason": e["reason"].to_numpy() if "reason" in e else None,
                    "basis": e["basis"].to_numpy() if "basis" in e else None,
                    "why": e["why"].to_numpy(),
                    "set_by": e["who"].to_numpy(),
                    "set_at": pd.to_datetime(e["at"]).to_numpy(),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame = frame[columns]
    if key_prefix:
        frame = frame[frame["key"].str.startswith(key_prefix)]
    return frame.sort_values(["key", "version"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- discussion


def acknowledgement_status(
    reps: pd.DataFrame,
    period: Period,
    acks: pd.DataFrame | None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Each seller on staff during the period: discussed or not, agreed or disputed, comment.

    Those who have not discussed their goal come first.
    """
    staff = sellers(reps, tables)
    staff = staff[active_share(staff, period).to_numpy() > 0]
    out = staff[["rep_id", "name", "team", "department"]].copy()
    fields = ("outcome", "discussed_on", "manager", "comment")
    a = (
        acks[acks["period"].astype(str) == str(period)]
        .drop_duplicates("rep_id", keep="last")
        .set_index("rep_id")
        if acks is not None and len(acks)
        else pd.DataFrame()
    )
    for col in fields:
        out[col] = out["rep_id"].map(a[col]) if col in a else None
    out["acknowledged"] = out["outcome"].notna()
    order = ["acknowledged", "department", "team", "name"]
    out = out.sort_values(order, key=name_order("department", "team", "name"))
    return out.reset_index(drop=True)


def letter_changes(history: pd.DataFrame, key: str) -> tuple[float | None, float | None]:
    """(previous target, current target) of one goal, from its version history."""
    versions = history[history["key"] == key].sort_values("version")
    if versions.empty:
        return None, None
    current = float(versions["target"].iloc[-1])
    previous = float(versions["target"].iloc[-2]) if len(versions) > 1 else None
    return previous, current
