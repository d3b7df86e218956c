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
from functools import partial

import numpy as np
import pandas as pd

from salescoach import settings
from salescoach.domain import actuals
from salescoach.domain.contract import METRICS, SCOPES
from salescoach.domain.decisions import ACK, ack_key  # noqa: F401 - the registry's key
from salescoach.domain.fmt import Formatter
from salescoach.domain.goals_allocation import (
    ALLOCATION_MODES as ALLOCATION_MODES,
    LEVELS as LEVELS,
    MODE_TEXT as MODE_TEXT,
    active_days as active_days,
    active_share as active_share,
    allocate as allocate,
    allocation_weights as allocation_weights,
    compare_allocations as compare_allocations,
    rollup_gaps as rollup_gaps,
    sellers as sellers,
    split_down as split_down,
    split_sentence as split_sentence,
    support_staff as support_staff,
)
from salescoach.domain.goals_history import (
    NO_MARKET as NO_MARKET,
    NO_SEASON as NO_SEASON,
    SOME_MARKET as SOME_MARKET,
    Note as Note,
    _index_over,
    _mix,
    _note,
    family_mix as family_mix,
    family_sales as family_sales,
    market_for as market_for,
    scope_history as scope_history,
    seasonal_index as seasonal_index,
    seasonal_indices as seasonal_indices,
)
from salescoach.domain.goals_versions import (
    REASONS as REASONS,
    acknowledgement_status as acknowledgement_status,
    check_goal_input as check_goal_input,
    goal_history as goal_history,
    goal_record as goal_record,
    letter_changes as letter_changes,
)
from salescoach.domain.periods import Period
from salescoach.errors import InputError
from salescoach.i18n import N_, N_n, _, separated, translator

ACK_KIND = ACK

# Messages kept untranslated here and translated when a sentence is written (`Note.render`);
# `N_` marks them for the extractor and returns them unchanged.
NO_HISTORY = N_("no history before this period")
SHORT_HISTORY = N_n("only {n} past period", "only {n} past periods")
PART_PERIODS = N_n(
    "{n} period with less than {share} on staff left out",
    "{n} periods with less than {share} on staff left out",
)
PEER_BASELINE = N_("no history of their own: the median of the team's sellers")
NO_MIX = N_("no product mix: competition not applied")
NOT_ON_STAFF = N_("not on staff during {period}")


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


def _mix_of(inputs: SuggestionInputs, members: pd.Index) -> pd.Series:
    """`_mix(inputs.by_rep_family, members)`; a single rep's from a row kept for the batch."""
    table = inputs.by_rep_family
    if len(members) != 1 or table.empty:
        return _mix(table, members)
    rows, matrix = inputs.remember("by_rep_family", lambda: _row_lookup(table, table.columns))
    row = rows.get(members[0])
    # In numpy, one Series at the end: built per rep, pandas' overhead was most of the cost.
    by_family = (
        np.nan_to_num(matrix[row], nan=0.0) if row is not None else np.zeros(len(table.columns))
    )
    total = by_family.sum()
    if not total > 0:
        return pd.Series(dtype=float)
    sold = by_family > 0
    return pd.Series(by_family[sold] / total, index=table.columns[sold], dtype=float)


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
    family_sales_between=None,
    share_of=None,
) -> SuggestionInputs:
    """What every suggestion of a period reads, worked out once. `per_period` (a rep x period
    table of the metric), `family_sales_between(start, end)` (revenue per rep and family,
    `family_sales` by default) and `share_of(period)` (`active_share` of the reps) may come
    from elsewhere, as the app's kernel sums them without holding the order lines and keeps
    what it worked out for the periods before."""
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
        {c: (share_of or partial(active_share, reps))(Period.parse(c, fs)) for c in before},
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
        by_rep_family=(family_sales_between or partial(family_sales, tables))(
            start, period.start - pd.Timedelta(days=1)
        ),
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
        # In numpy, one Series at the end: a batch asks for every rep's (420 at scale 7, where
        # building four Series per rep was half of `goals suggest`'s loop, profiled).
        rows, matrix = inputs.remember(
            "per_period", lambda: _row_lookup(inputs.per_period, columns)
        )
        row = rows.get(rep_id)
        values = np.nan_to_num(matrix[row], nan=0.0) if row is not None else np.zeros(len(columns))
        rows, matrix = inputs.remember("shares", lambda: _row_lookup(inputs.shares, columns))
        row = rows.get(rep_id)
        share = (
            matrix[row]
            if row is not None and matrix.shape[1] == len(columns)
            else np.ones(len(columns))
        )
        share = np.where(np.isnan(share), 1.0, share)
        counted = share >= inputs.config.min_active_share
        # Periods before the rep joined are not "left out": only part periods are.
        partial = int(((share > 0) & ~counted).sum())
        return pd.Series(values[counted] / share[counted], index=columns[counted]), partial
    return pd.Series(dtype=float), 0  # no past period at all


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
    per_period: pd.DataFrame | None = None,
    family_sales_between=None,
) -> list[Suggestion]:
    """A suggestion for every unit at one level (every seller on staff, team, department, or
    the company). Support staff take no seller goal: they are measured on the deals they assist.
    `per_period` and `family_sales_between` as `suggestion_inputs` takes them."""
    if level not in SCOPES:
        raise InputError(
            _("unknown scope {scope}; use one of {choices}", scope=level, choices=", ".join(SCOPES))
        )
    inputs = suggestion_inputs(tables, period, metric, config, per_period, family_sales_between)
    return [
        suggest(tables, level, u, period, metric, inputs=inputs)
        for u in units_at(tables["reps"], level, period, tables)
    ]


# --------------------------------------------------------------------------- allocation


# --------------------------------------------------------------------------- versions


# --------------------------------------------------------------------------- discussion
