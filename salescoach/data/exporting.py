"""CSV and Excel files the kit writes for people to open: safe against formula injection.

A cell whose text starts with =, +, -, @, tab or carriage return is run as a formula by
spreadsheet programs (`=HYPERLINK(...)` in a customer's name from a CRM export becomes a link
that leaks data). Such text is written with a leading apostrophe, which spreadsheets show as
plain text. Numbers, including negative ones, are left alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def neutralise(value):
    """The value as a spreadsheet must show it: text that looks like a formula gets a leading '."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value.strip()):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a CSV atomically (a reader never sees half a file), formulas neutralised."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    safe_frame(frame).to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def write_excel(frame: pd.DataFrame, path: Path | str, sheet: str = "data") -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.xlsx")
    safe_frame(frame).to_excel(tmp, index=False, sheet_name=sheet)
    os.replace(tmp, path)
    return path
