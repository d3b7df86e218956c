"""Where a contract table comes from: a file as is, or a mapped export (`TableSource`), and the
one error that stops an import before any row is read (`MappingError`).

Shared by the importer and the mapping reader, so that neither needs the other at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salescoach.data.readers import RawTable


class MappingError(ValueError):
    """The mapping or the files do not fit the contract: nothing can be imported."""


@dataclass(frozen=True)
class TableSource:
    """Where one contract table comes from and how its columns and codes translate."""

    table: str
    file: Path
    columns: Mapping[str, str] | None = None  # canonical -> source column; None = same names
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # One format, a list tried in order, or either per column ({close_date: "%d/%m/%Y"}).
    date_format: str | list[str] | Mapping[str, str | list[str]] | None = None
    distinct: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None  # None: found among the top rows
    decimal: str = "."
    # How a mapping reads this table (a query, shared files); None: the file, read as is.
    # Given the column names expected, it returns raw text whose `path.name` the rejects show.
    read: Callable[[frozenset[str]], RawTable] | None = field(default=None, compare=False)
    # Stands in for the rep of won deals and orders that have none (`house_account:`).
    house_account: str | None = None
    # The scale feedback scores are given on, e.g. (1, 5); stored on 0-10.
    scale: tuple[float, float] | None = None

    def date_format_for(self, column: str) -> str | list[str] | None:
        if isinstance(self.date_format, Mapping):
            return self.date_format.get(column)
        return self.date_format


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("str").str.strip()
    return s.mask(s == "")


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s) and s.dropna().eq(s.dropna().round()).all():
        s = s.astype("Int64")
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        out = s.astype("str").mask(s.isna())
        return out
    if s.dtype == object:
        s = s.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return _blank_to_na(s)
