"""The one place that turns numbers, money, percentages, dates and periods into text.

Tables, chart labels, the CLI, packs and letters all format through a `Formatter`, so a
percentage reads the same everywhere and follows the workbook's locale.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from babel import Locale, numbers as bn
from babel.dates import format_date, get_month_names

MISSING = "–"
# From this amount up money is shown in whole units; below it, to the cent.
WHOLE_MONEY_FROM = 1000
# Languages that count quarters with letters (Greek: Α' Β' Γ' Δ' τρίμηνο).
_QUARTER_NUMERALS = {"el": "ΑΒΓΔ"}


def _missing(x) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return math.isnan(x)
    except TypeError:
        return False


@dataclass(frozen=True)
class Formatter:
    locale: str = "en_IE"
    currency: str = "EUR"

    @classmethod
    def for_settings(cls, settings) -> Formatter:
        return cls(settings.locale, settings.currency)

    @classmethod
    def for_active_language(cls, currency: str = "EUR") -> Formatter:
        """Numbers for a line that has no workbook at hand (a CLI count): the active language's
        locale (`el` -> `el_GR`), so `1.234` reads as the words around it do."""
        from salescoach.i18n import active_language, language_locale

        return cls(language_locale(active_language(), cls.locale), currency)

    def number(self, x, digits: int = 0) -> str:
        if _missing(x):
            return MISSING
        return bn.format_decimal(
            round(float(x), digits),
            format=f"#,##0{'.' + '0' * digits if digits else ''}",
            locale=self.locale,
        )

    def decimal(self, x) -> str:
        """A number with as many decimals as it has, up to three: `0,05`, `1`, `2,5` in Greek."""
        if _missing(x):
            return MISSING
        return bn.format_decimal(x, locale=self.locale)

    @property
    def minor_digits(self) -> int:
        """The currency's minor units: 2 for EUR and BRL (cents), 0 for JPY."""
        return bn.get_currency_precision(self.currency)

    def money_digits(self, x) -> int:
        """Cents for an amount under 1,000 that has them (`€120.70`, `R$ 230,15`); whole units
        for larger amounts and whole ones (`€1,235`, `€500`), as a manager reads a total."""
        if _missing(x) or abs(float(x)) >= WHOLE_MONEY_FROM:
            return 0
        cents = round(float(x), self.minor_digits)
        return 0 if cents == round(cents) else self.minor_digits

    def money(self, x, digits: int | None = None) -> str:
        """An amount in the workbook's currency, rounded: `digits` (at most the currency's
        minor units) or, when not given, as `money_digits` says."""
        if _missing(x):
            return MISSING
        digits = self.money_digits(x) if digits is None else min(digits, self.minor_digits)
        # Keep the locale's own placement of the symbol (before in en, after in el).
        std = Locale.parse(self.locale).currency_formats["standard"].pattern.split(";")[0]
        pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), std)
        return bn.format_currency(
            round(float(x), digits),
            self.currency,
            format=pattern,
            locale=self.locale,
            currency_digits=False,
        )

    def money_whole(self, x) -> str:
        """Whole units, for totals in tables: `€1,235`, `R$ 230`."""
        return self.money(x, 0)

    def money_compact(self, x) -> str:
        """1.2M-style amounts for chart labels and headlines."""
        if _missing(x):
            return MISSING
        if abs(float(x)) < WHOLE_MONEY_FROM:
            # Babel leaves an amount it cannot shorten as it is: €219.45000000000002.
            return self.money(x)
        return bn.format_compact_currency(x, self.currency, locale=self.locale, fraction_digits=1)

    def pct(self, x, digits: int = 0, signed: bool = False) -> str:
        """A fraction as a percentage: 0.034 -> 3%; `signed` adds + to gains."""
        if _missing(x):
            return MISSING
        fmt = f"#,##0{'.' + '0' * digits if digits else ''}%"
        text = bn.format_percent(x, format=fmt, locale=self.locale)
        return f"+{text}" if signed and x > 0 else text

    def points(self, delta, digits: int = 1, signed: bool = True) -> str:
        """A change of a rate in percentage points, signed: 0.90 -> 0.85 is `-5 pp` (`-5 μ.μ.`).

        A rate's change is the difference of the two rates, not the change relative to the
        first (which would read -5.6%); money and units keep relative changes (`pct`).
        `signed=False` for a margin of error (`± 3.2 pp`).
        """
        from salescoach.i18n import translator

        if _missing(delta):
            return MISSING
        value = round(float(delta) * 100, digits)
        if value == 0:
            value = 0.0  # no "-0"
        number = bn.format_decimal(
            abs(value), format=f"#,##0{'.' + '#' * digits if digits else ''}", locale=self.locale
        )
        # The locale's own minus, as `pct` writes it, so "-3.6%" and "-5 pp" match in a table.
        minus = bn.get_minus_sign_symbol(self.locale)
        sign = ("+" if value > 0 else minus if value < 0 else "") if signed else ""
        _ = translator(self.locale)
        return _("{sign}{number} pp", sign=sign, number=number)

    def frame(
        self,
        frame,
        money: tuple[str, ...] | list[str] = (),
        pct: tuple[str, ...] | list[str] = (),
        number: tuple[str, ...] | list[str] = (),
        points: tuple[str, ...] | list[str] = (),
    ):
        """A copy of a table to show, its money, percentage and count columns as text by the
        locale (`R$ 230,15`, not `230.14950000000002`), changes of rates in points; other columns and what is not a frame
        (a "not assessed" note) pass through, and a column the frame lacks is skipped."""
        if not isinstance(frame, pd.DataFrame):
            return frame
        out = frame.copy()
        shows = ((money, self.money), (pct, self.pct), (number, self.number), (points, self.points))
        for columns, show in shows:
            for column in columns:
                if column in out:
                    out[column] = out[column].map(show).astype(object)
        return out

    def date(self, d) -> str:
        if _missing(d):
            return MISSING
        if isinstance(d, str):
            d = date.fromisoformat(d[:10])
        if isinstance(d, (pd.Timestamp, datetime)):
            d = d.date()
        return format_date(d, format="medium", locale=self.locale)

    def period(self, period) -> str:
        """A period as people say it: `Q3 2026`, `July 2026`, `2026` (`Γ' τρίμηνο 2026` in Greek)."""
        from salescoach.domain.periods import Period
        from salescoach.i18n import translator

        if _missing(period):
            return MISSING
        p = period if isinstance(period, Period) else Period.parse(str(period))
        _ = translator(self.locale)
        if p.kind == "year":
            return str(p.year)
        if p.kind == "quarter":
            return _(
                "Q{quarter} {year}",
                quarter=p.number,
                quarter_numeral=_QUARTER_NUMERALS.get(self.locale.split("_")[0], "1234")[
                    p.number - 1
                ],
                year=p.year,
            )
        month = get_month_names("wide", context="stand-alone", locale=self.locale)[p.number]
        return f"{month[:1].upper()}{month[1:]} {p.year}"

    def month_short(self, month) -> str:
        """A month as a chart's axis names it: `Oct 2025`, `Οκτ 2025` (`2025-10` or a Period)."""
        from salescoach.domain.periods import Period

        p = month if isinstance(month, Period) else Period.parse(str(month))
        name = get_month_names("abbreviated", context="stand-alone", locale=self.locale)[p.number]
        return f"{name[:1].upper()}{name[1:].rstrip('.')} {p.year}"

    def iso(self, d) -> str:
        if _missing(d):
            return MISSING
        return pd.Timestamp(d).strftime("%Y-%m-%d")
