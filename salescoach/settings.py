"""Workbook settings: `salescoach.toml`, checked against the commented defaults shipped with the kit.

The defaults file is also what `salescoach init` writes, so the documented default and the
real default are the same text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from salescoach.i18n import N_, _, language_locale, languages, translator

SETTINGS_FILE = "salescoach.toml"
# The default `[branding] footer` (the same text as in resources/salescoach.toml): a workbook
# that keeps it prints it in its own language; a footer the workbook writes prints as written.
DEFAULT_FOOTER = N_("Confidential: for the named recipient only.")


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


def default_text() -> str:
    return (
        resources.files("salescoach")
        .joinpath("resources")
        .joinpath(SETTINGS_FILE)
        .read_text(encoding="utf-8")
    )


def defaults() -> dict[str, dict[str, Any]]:
    return tomllib.loads(default_text())


# A setting shipped as "auto" is derived from the workbook's data unless given as a number.
AUTO = "auto"


def _same_kind(default: Any, value: Any) -> bool:
    if default == AUTO:
        return value == AUTO or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _check_items(default: list, value: list, where: str) -> None:
    """A user's array of tables (`[[recognition.rules]]`) replaces the default list as a whole;
    each item may use only keys some default item has, with the same kind of value."""
    known: dict[str, Any] = {}
    for item in default:
        if isinstance(item, dict):
            for key, example in item.items():
                known.setdefault(key, example)
    if not known:
        return
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise SettingsError(
                _("{where}: item {number} must be a table of keys", where=where, number=number)
            )
        for key, v in item.items():
            if key not in known:
                raise SettingsError(
                    _(
                        "{where}: unknown key {key} in item {number} (known: {values})",
                        where=where,
                        key=repr(key),
                        number=number,
                        values=", ".join(known),
                    )
                )
            if not _same_kind(known[key], v):
                raise SettingsError(
                    _(
                        "{where}: item {number} {key} = {v} should be a {name}",
                        where=where,
                        number=number,
                        key=key,
                        v=repr(v),
                        name=type(known[key]).__name__,
                    )
                )


def merge(user: dict[str, Any], where: str = SETTINGS_FILE) -> dict[str, dict[str, Any]]:
    """Overlay user settings on the defaults; unknown sections or keys and wrong types are errors."""
    merged = defaults()
    for section, values in user.items():
        if section not in merged:
            raise SettingsError(
                _(
                    "{where}: unknown section [{section}] (known: {values})",
                    where=where,
                    section=section,
                    values=", ".join(merged),
                )
            )
        if not isinstance(values, dict):
            raise SettingsError(
                _("{where}: [{section}] must be a table of keys", where=where, section=section)
            )
        for key, value in values.items():
            if key not in merged[section]:
                raise SettingsError(
                    _(
                        "{where}: unknown key {key} in [{section}] (known: {values})",
                        where=where,
                        key=repr(key),
                        section=section,
                        values=", ".join(merged[section]),
                    )
                )
            default = merged[section][key]
            if not _same_kind(default, value):
                raise SettingsError(
                    _(
                        "{where}: [{section}] {key} = {value} should be a {name}",
                        where=where,
                        section=section,
                        key=key,
                        value=repr(value),
                        name='number or "auto"' if default == AUTO else type(default).__name__,
                    )
                )
            if isinstance(default, dict):
                # A sub-table overrides the defaults key by key (so `[recognition.bonus]
                # mode = "tiered"` keeps the default tiers); an unknown key is an error.
                unknown = set(value) - set(default)
                if unknown:
                    raise SettingsError(
                        _(
                            "{where}: unknown key {unknown} in [{section}.{key}] (known: {values})",
                            where=where,
                            unknown=repr(sorted(unknown)[0]),
                            section=section,
                            key=key,
                            values=", ".join(default),
                        )
                    )
                value = {**default, **value}
            if isinstance(default, list):
                _check_items(default, value, f"{where}: [{section}] {key}")
            merged[section][key] = value
    month = merged["company"]["fiscal_year_start_month"]
    if not 1 <= month <= 12:
        raise SettingsError(
            _(
                "{where}: [company] fiscal_year_start_month = {month} should be 1-12",
                where=where,
                month=month,
            )
        )
    language = merged["company"]["language"]
    if language not in languages():
        raise SettingsError(
            _(
                "{where}: [company] language = {language} has no catalogue; use one of {values}",
                where=where,
                language=repr(language),
                values=", ".join(languages()),
            )
        )
    if merged["branding"]["footer"] == DEFAULT_FOOTER:
        merged["branding"]["footer"] = translator(language)(DEFAULT_FOOTER)
    return merged


@dataclass(frozen=True)
class Settings:
    values: MappingProxyType = field(default_factory=lambda: MappingProxyType(defaults()))
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> Settings:
        path = Path(path)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(_("{path}: not valid TOML: {exc}", path=path, exc=exc)) from None
        return cls(MappingProxyType(merge(user, str(path))), path)

    @classmethod
    def from_dict(cls, user: dict[str, Any]) -> Settings:
        return cls(MappingProxyType(merge(user)))

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    @property
    def company_name(self) -> str:
        return self["company"]["name"]

    @property
    def currency(self) -> str:
        return self["company"]["currency"]

    @property
    def language(self) -> str:
        return self["company"]["language"]

    @property
    def locale(self) -> str:
        return self["company"]["locale"]

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
        values = {k: dict(v) for k, v in self.values.items()}
        values["company"]["language"] = lang
        values["company"]["locale"] = language_locale(lang, self.locale)
        if values["branding"]["footer"] == translator(self.language)(DEFAULT_FOOTER):
            values["branding"]["footer"] = translator(lang)(DEFAULT_FOOTER)
        return Settings(MappingProxyType(values), self.path)

    @property
    def fiscal_year_start_month(self) -> int:
        return self["company"]["fiscal_year_start_month"]
