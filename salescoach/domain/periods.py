"""Periods: a fiscal year (`2026`), quarter (`2026-Q3`) or month (`2026-07`).

Quarters and years follow the fiscal calendar (`fiscal_year_start_month`), named by the
calendar year in which the fiscal year starts; months are calendar months.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salescoach.domain.contract import PERIOD_PATTERN
from salescoach.i18n import _


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # "year", "quarter" or "month"
    number: int = 0  # quarter 1-4 or month 1-12; 0 for a year
    fiscal_start: int = 1

    @classmethod
    def parse(cls, text: str, fiscal_start: int = 1) -> Period:
        text = str(text).strip()
        if not PERIOD_PATTERN.match(text):
            raise ValueError(
                _("{text} is not a period; use 2026, 2026-Q3 or 2026-07", text=repr(text))
            )
        year = int(text[:4])
        if len(text) == 4:
            return cls(year, "year", 0, fiscal_start)
        if text[5] == "Q":
            return cls(year, "quarter", int(text[6]), fiscal_start)
        return cls(year, "month", int(text[5:7]), fiscal_start)

    @classmethod
    def containing(cls, day, kind: str = "quarter", fiscal_start: int = 1) -> Period:
        day = pd.Timestamp(day)
        if kind == "month":
            return cls(day.year, "month", day.month, fiscal_start)
        offset = (day.month - fiscal_start) % 12
        fy = day.year if day.month >= fiscal_start else day.year - 1
        if kind == "year":
            return cls(fy, "year", 0, fiscal_start)
        return cls(fy, "quarter", offset // 3 + 1, fiscal_start)

    def __str__(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def start(self) -> pd.Timestamp:
        if self.kind == "month":
            return pd.Timestamp(self.year, self.number, 1)
        months = 0 if self.kind == "year" else (self.number - 1) * 3
        return pd.Timestamp(self.year, self.fiscal_start, 1) + pd.DateOffset(months=months)

    @property
    def end(self) -> pd.Timestamp:
        """The last day of the period (inclusive)."""
        return self.start + pd.DateOffset(months=self.months) - pd.Timedelta(days=1)

    @property
    def months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    def shift(self, n: int) -> Period:
        """The period n steps later (earlier when negative), of the same kind."""
        if self.kind == "year":
            return Period(self.year + n, "year", 0, self.fiscal_start)
        per_year = 4 if self.kind == "quarter" else 12
        index = self.year * per_year + self.number - 1 + n
        return Period(index // per_year, self.kind, index % per_year + 1, self.fiscal_start)

    def contains(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.end)


def last_complete_quarter(day, fiscal_start: int = 1) -> Period:
    """The last quarter that ended on or before `day`."""
    current = Period.containing(day, "quarter", fiscal_start)
    return current if current.end <= pd.Timestamp(day) else current.shift(-1)


CLOSED, CURRENT, NOT_STARTED = "closed", "current", "not_started"


def period_state(period: Period, now) -> str:
    """closed, current or not_started, judged against the workbook's 'now': the newest order
    or close date in the data (`salescoach.domain.actuals.last_day`), never the calendar, so an
    export reads the same whenever it is opened. The one definition every picker, heading
    and write check uses: a period has closed once the data reach its last day, the same rule
    by which `default_period` calls a quarter complete, so the quarter a diagnosis or a pack
    reads as finished is never "current" in the app.

    >>> q3 = Period.parse("2026-Q3")
    >>> [period_state(q3, pd.Timestamp(d)) for d in ("2026-06-30", "2026-09-29", "2026-09-30")]
    ['not_started', 'current', 'closed']
    """
    if now is None or pd.isna(now):
        return CURRENT
    now = pd.Timestamp(now).normalize()
    if period.end <= now:
        return CLOSED
    if period.start > now:
        return NOT_STARTED
    return CURRENT


def default_period(now, fiscal_start: int = 1) -> Period:
    """The period every view opens on when none is asked for (the app, `diagnose`, `render`,
    `training status`): the last complete quarter of the data, the one holding `now` when the
    data reach its last day. `now` is the workbook's newest date (None: today).

    >>> str(default_period(pd.Timestamp("2026-09-30"))), str(default_period(pd.Timestamp("2026-08-15")))
    ('2026-Q3', '2026-Q2')
    """
    day = pd.Timestamp.today().normalize() if now is None or pd.isna(now) else now
    return last_complete_quarter(day, fiscal_start)
