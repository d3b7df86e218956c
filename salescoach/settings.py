"""Workbook settings: one typed model of `salescoach.toml`.

Each section of the file is a frozen dataclass below (`Company`, `Goals`, `Monitoring`, ...):
its fields name the keys and their types, and its defaults are read from the commented file
shipped with the kit (`resources/salescoach.toml`), which is also what `salescoach init`
writes, so the documented default and the real default are one text, never a second copy in
Python. A workbook's file overrides key by key (a sub-table such as `[monitoring.owners]` too);
an unknown section or key, or a value of the wrong kind, is a `SettingsError` whose one sentence
names the file, the key, the value and what was expected.

    >>> s = Settings.from_dict({"goals": {"stretch": 0.1}})
    >>> s.goals.stretch, s.goals.trailing_periods == Goals().trailing_periods
    (0.1, True)
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from salescoach.i18n import N_, _, language_locale, languages, translator

SETTINGS_FILE = "salescoach.toml"
SHIPPED = f"salescoach/resources/{SETTINGS_FILE}"
# The default `[branding] footer` (the same text as in resources/salescoach.toml): a workbook
# that keeps it prints it in its own language; a footer the workbook writes prints as written.
DEFAULT_FOOTER = N_("Confidential: for the named recipient only.")
# A setting shipped as "auto" is derived from the workbook's data unless given as a number.
AUTO = "auto"
Auto = Literal["auto"]


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


def default_text() -> str:
    return (
        resources.files("salescoach")
        .joinpath("resources")
        .joinpath(SETTINGS_FILE)
        .read_text(encoding="utf-8")
    )


@cache
def _shipped_text() -> str:
    return default_text()


def defaults() -> dict[str, dict[str, Any]]:
    """The shipped settings as plain TOML values (a fresh copy each call)."""
    return tomllib.loads(_shipped_text())


# --------------------------------------------------------------------------- checking values

# What a reader is told a key expects, by type; marked here, translated when an error is raised.
_KINDS = {
    str: N_("text"),
    int: N_("a whole number"),
    float: N_("a number"),
    bool: N_("true or false"),
}


def _expected(tp) -> str:
    """The words for what a value of type `tp` must be ('a number or "auto"')."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _KINDS:
        return _(_KINDS[tp])
    if origin is Literal:
        quoted = [f'"{a}"' for a in args]
        return quoted[0] if len(quoted) == 1 else _("one of {values}", values=", ".join(quoted))
    if origin in (typing.Union, types.UnionType):
        first, *rest = [_expected(a) for a in args if a is not type(None)]
        for other in rest:
            first = _("{first} or {second}", first=first, second=other)
        return first
    if origin is tuple and args[1:] == (Ellipsis,):
        if args[0] is Rule:
            return _("a list of tables")
        return _("a list of {items}", items=_expected(args[0]))
    if origin is tuple:
        return _("a list [{items}]", items=", ".join(_expected(a) for a in args))
    return _("a table of keys")


def _table_of(setting: str) -> str:
    """`[recognition] bonus` -> `recognition.bonus`: a key that is itself a table."""
    return setting.strip("[]").replace("] ", ".")


def _wrong(where: str, setting: str, value, expected: str) -> SettingsError:
    return SettingsError(
        _(
            "{where}: {setting} = {value} should be {expected}",
            where=where,
            setting=setting,
            value=repr(value),
            expected=expected,
        )
    )


def _convert(tp, value, default, where: str, setting: str):
    """`value` as type `tp` (a number as float, a list as a tuple, a table as a read-only
    mapping or a section), or a SettingsError naming the setting, the value and the type.
    `default` is the shipped value, over which a sub-table is laid key by key."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Rule:
        return _rule(value, where, setting)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where, _table_of(setting), default)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif origin is Literal:
        if value in args:
            return value
    elif origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return _convert(option, value, default, where, setting)
            except SettingsError:
                continue
    elif origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(
                _convert(
                    args[0],
                    v,
                    None,
                    where,
                    _("{setting}, item {number}", setting=setting, number=n),
                )
                for n, v in enumerate(value, start=1)
            )
        if len(value) == len(args):
            try:
                return tuple(_convert(t, v, None, where, setting) for t, v in zip(args, value))
            except SettingsError:
                pass  # the whole item is named below, not one of its parts
    elif origin in (Mapping, dict) and isinstance(value, dict):
        # A fixed table (`[monitoring.owners]`): the shipped keys, each overridable alone.
        known, table = dict(default or value), _table_of(setting)
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise _unknown_key(where, unknown[0], table, known)
        return MappingProxyType(
            {
                k: _convert(args[1], value.get(k, v), v, where, f"[{table}] {k}")
                for k, v in known.items()
            }
        )
    raise _wrong(where, setting, value, _expected(tp))


class SettingsWarning(UserWarning):
    """A setting that is read but has no effect (a key an earlier version used)."""


_EVIDENCE = N_("diagnosis now judges each signal against its peers' spread: extreme_z and agree_z")
# Keys earlier versions shipped, per section: a workbook that still has them opens with a
# warning instead of an "unknown key" error, so upgrading the kit never locks a manager out.
RETIRED: dict[str, dict[str, str]] = {
    "diagnosis": {
        key: _EVIDENCE
        for key in (
            "agree_ratio",
            "extreme_ratio",
            "high_ratio",
            "low_ratio",
            "min_z",
            "price_lost_ratio",
            "rate_z",
        )
    },
}


def _unknown_key(where: str, key: str, table: str, known) -> SettingsError:
    return SettingsError(
        _(
            "{where}: unknown key {key} in [{section}] (known: {values})",
            where=where,
            key=repr(key),
            section=table,
            values=", ".join(known),
        )
    )


@cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls, user, where: str, table: str, base=None):
    """A `cls` section from the user's table `user`, each key missing there taken from `base`
    (a section instance; default: the shipped one)."""
    if not isinstance(user, dict):
        raise SettingsError(
            _("{where}: [{section}] must be a table of keys", where=where, section=table)
        )
    names = [f.name for f in fields(cls)]
    retired = sorted(set(user) & set(RETIRED.get(table, ())))
    if retired:
        # A workbook made by an earlier version still opens: the key is named, then ignored.
        warnings.warn(
            _(
                "{where}: [{section}] {key} is no longer used ({why}); it is ignored, remove it",
                where=where,
                section=table,
                key=retired[0],
                why=_(RETIRED[table][retired[0]]),
            ),
            SettingsWarning,
            stacklevel=2,
        )
        user = {k: v for k, v in user.items() if k not in retired}
    unknown = sorted(set(user) - set(names))
    if unknown:
        raise _unknown_key(where, unknown[0], table, names)
    base = base if base is not None else cls()
    hints = _hints(cls)
    values = {
        name: _convert(hints[name], user[name], getattr(base, name), where, f"[{table}] {name}")
        if name in user
        else getattr(base, name)
        for name in names
    }
    section = cls(**values)
    problem = section.problem() if hasattr(section, "problem") else None
    if problem:
        # (key, value, expected); a key inside a sub-table is "table.key"
        key, value, expected = problem
        inner, _dot, key = key.rpartition(".")
        raise _wrong(where, f"[{'.'.join(filter(None, (table, inner)))}] {key}", value, expected)
    return section


@dataclass(frozen=True)
class Rule:
    """One `[[recognition.rules]]` item; a key left out is None and takes the rule kind's own
    default (recognition.AwardRule), so only name, qualifies and reward are required."""

    name: str
    qualifies: str
    reward: str
    amount: float | None = None
    n: int | None = None
    within: str | None = None
    min_attainment: float | None = None
    min_responses: int | None = None
    label: str | None = None
    sentence: str | None = None

    def given(self) -> dict[str, Any]:
        """The keys the item sets."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


def _rule(value, where: str, setting: str) -> Rule:
    if not isinstance(value, dict):
        raise SettingsError(
            _("{where}: {setting} must be a table of keys", where=where, setting=setting)
        )
    names = [f.name for f in fields(Rule)]
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise SettingsError(
            _(
                "{where}: unknown key {key} in {setting} (known: {values})",
                where=where,
                key=repr(unknown[0]),
                setting=setting,
                values=", ".join(names),
            )
        )
    missing = [f.name for f in fields(Rule)[:3] if f.name not in value]
    if missing:
        raise SettingsError(
            _("{where}: {setting} needs {key}", where=where, setting=setting, key=missing[0])
        )
    hints = _hints(Rule)
    return Rule(
        **{k: _convert(hints[k], v, None, where, f"{setting}, {k}") for k, v in value.items()}
    )


def section(*path: str):
    """Make `cls` a frozen dataclass whose defaults are the shipped `[path]` table.

    A field the shipped file lacks, or a shipped key with no field, is a packaging error and
    stops the import: the model and the file cannot drift apart. A section may define
    `problem()`, returning (key, value, expected) for a check beyond the value's kind (a range,
    a known language) or None; loading turns it into the same one-sentence error."""

    def wrap(cls):
        shipped: Any = defaults()
        for part in path:
            shipped = shipped[part]
        hints = typing.get_type_hints(cls, localns={cls.__name__: cls})
        table = ".".join(path)
        if set(hints) != set(shipped):
            raise RuntimeError(
                f"{SHIPPED} [{table}] has keys {sorted(shipped)}, {cls.__name__} {sorted(hints)}"
            )
        for name, tp in hints.items():
            value = _convert(tp, shipped[name], None, SHIPPED, f"[{table}] {name}")
            setattr(cls, name, field(default_factory=lambda v=value: v))
        return dataclass(frozen=True)(cls)

    return wrap


# --------------------------------------------------------------------------- the sections


@section("company")
class Company:
    name: str
    currency: str
    language: str
    locale: str
    fiscal_year_start_month: int

    def problem(self):
        if not 1 <= self.fiscal_year_start_month <= 12:
            month = self.fiscal_year_start_month
            return "fiscal_year_start_month", month, _("a month from 1 to 12")
        if self.language not in languages():
            return (
                "language",
                self.language,
                _("a language with a catalogue: {values}", values=", ".join(languages())),
            )
        return None


@section("branding")
class Branding:
    primary_colour: str
    accent_colour: str
    logo: str
    footer: str


@section("store")
class Store:
    url: str


@section("goals")
class Goals:
    stretch: float
    trailing_periods: int
    price_elasticity: float
    allocation: Literal["history", "capacity", "even"]
    min_active_share: float


@section("monitoring")
class Monitoring:
    """`[monitoring]`: the process's grace and windows, its owners, scorecard and targets."""

    on_time_grace_days: int
    follow_up_days: int
    stale_deal_days: int
    case_close_days: int
    owners: Mapping[str, str]
    scorecard_weights: Mapping[str, float]
    targets: Mapping[str, float]

    def owner(self, stage: str) -> str:
        return self.owners.get(stage) or Monitoring().owners.get(stage, "sales")

    def problem(self):
        for key, weight in self.scorecard_weights.items():
            if weight < 0:
                return f"scorecard_weights.{key}", weight, _("a number of 0 or more")
        return None


@section("diagnosis")
class Diagnosis:
    materiality: float
    window_months: int
    min_count: int
    min_count_mean: int
    extreme_z: float
    agree_z: float
    spread_floor: float
    min_points: float
    discount_points: float
    price_index: float
    positive_attainment: float
    rep_gap: float
    family_alarm: float
    fall_alarm: float


@section("packs")
class Packs:
    min_peers: int
    paper: Literal["A4", "Letter"]
    timeout_seconds: int


@section("recognition", "bonus")
class Bonus:
    mode: Literal["marginal", "tiered"]
    base: float | Auto
    cap: float
    tiers: tuple[tuple[float, float], ...]


@section("recognition")
class Recognition:
    metric: Literal["revenue", "units", "deals_won", "new_customers"]
    cash_budget: float | Auto
    noncash_budget: float | Auto
    leave_day_cost: float
    offices: int
    rank_digits: int
    trailing_periods: int
    goal_fence: float
    top_share: float
    activity_drop: float
    unrecognised_periods: int
    similar_results: float
    payout_gap: float
    late_delivery_ratio: float
    bonus: Bonus
    rules: tuple[Rule, ...]


@section("training")
class Training:
    """`[training]`: each threshold is explained in salescoach.toml."""

    due_soon_days: int
    suggestion_window_days: int
    min_deals: int
    peer_quantile: float
    confidence: float
    effect_window_months: int
    effect_metric: Literal["win_rate", "revenue"]
    min_trained: int
    min_untrained: int


@section("insights")
class Insights:
    """`[insights]`: each threshold is explained in salescoach.toml."""

    min_deals: int
    confidence: float
    low_score: int
    high_score: int
    min_phrase_count: int
    top_phrases: int
    min_responses: int
    digest_examples: int
    lookback_months: int


# The sections in the file's order: the attribute of `Settings` and the class of each.
SECTIONS: dict[str, type] = {
    "company": Company,
    "branding": Branding,
    "store": Store,
    "goals": Goals,
    "monitoring": Monitoring,
    "diagnosis": Diagnosis,
    "packs": Packs,
    "recognition": Recognition,
    "training": Training,
    "insights": Insights,
}


def plain(value):
    """A model value as plain TOML-like data (dicts, lists), for hashing and old readers."""
    if dataclasses.is_dataclass(value):
        given = (
            value.given()
            if isinstance(value, Rule)
            else {f.name: getattr(value, f.name) for f in fields(value)}
        )
        return {k: plain(v) for k, v in given.items()}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Settings:
    """A workbook's settings: one typed section per table of `salescoach.toml`."""

    company: Company = field(default_factory=Company)
    branding: Branding = field(default_factory=Branding)
    store: Store = field(default_factory=Store)
    goals: Goals = field(default_factory=Goals)
    monitoring: Monitoring = field(default_factory=Monitoring)
    diagnosis: Diagnosis = field(default_factory=Diagnosis)
    packs: Packs = field(default_factory=Packs)
    recognition: Recognition = field(default_factory=Recognition)
    training: Training = field(default_factory=Training)
    insights: Insights = field(default_factory=Insights)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> Settings:
        path = Path(path)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(_("{path}: not valid TOML: {exc}", path=path, exc=exc)) from None
        return replace(cls.from_dict(user, str(path)), path=path)

    @classmethod
    def from_dict(cls, user: dict[str, Any], where: str = SETTINGS_FILE) -> Settings:
        """The shipped settings overlaid with `user` (parsed TOML); a missing section or key
        keeps its default; an unknown one, or a wrong value, is a SettingsError."""
        unknown = sorted(set(user) - set(SECTIONS))
        if unknown:
            raise SettingsError(
                _(
                    "{where}: unknown section [{section}] (known: {values})",
                    where=where,
                    section=unknown[0],
                    values=", ".join(SECTIONS),
                )
            )
        sections = {
            name: _build(kind, user[name], where, name)
            for name, kind in SECTIONS.items()
            if name in user
        }
        settings = cls(**sections)
        if settings.branding.footer == DEFAULT_FOOTER:
            settings = replace(
                settings,
                branding=replace(
                    settings.branding, footer=translator(settings.language)(DEFAULT_FOOTER)
                ),
            )
        return settings

    @property
    def values(self) -> MappingProxyType:
        """Every setting as plain data, section by section (what a cache key hashes)."""
        return MappingProxyType({name: plain(getattr(self, name)) for name in SECTIONS})

    def __getitem__(self, section: str) -> dict[str, Any]:
        """A section as a plain dict, for code not yet reading the typed sections."""
        if section not in SECTIONS:
            raise KeyError(section)
        return plain(getattr(self, section))

    @property
    def company_name(self) -> str:
        return self.company.name

    @property
    def currency(self) -> str:
        return self.company.currency

    @property
    def language(self) -> str:
        return self.company.language

    @property
    def locale(self) -> str:
        return self.company.locale

    @property
    def fiscal_year_start_month(self) -> int:
        return self.company.fiscal_year_start_month

    def with_language(self, lang: str | None) -> Settings:
        """These settings in another language (`--lang`); the locale follows unless it already
        is of that language. An unknown language is a SettingsError naming the known ones."""
        if not lang or lang == self.language:
            return self
        if lang not in languages():
            raise SettingsError(
                _(
                    "language {lang} has no catalogue; use one of {values}",
                    lang=repr(lang),
                    values=", ".join(languages()),
                )
            )
        company = replace(self.company, language=lang, locale=language_locale(lang, self.locale))
        branding = self.branding
        if branding.footer == translator(self.language)(DEFAULT_FOOTER):
            branding = replace(branding, footer=translator(lang)(DEFAULT_FOOTER))
        return replace(self, company=company, branding=branding)
