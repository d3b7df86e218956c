"""Text columns parsed by their contract kind: numbers in either decimal convention with currency
signs and thousands separators, dates in the formats a mapping names (or the one format that
reads every value), choices, periods. A value that does not parse stays missing and its reason
is kept for the rejects."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salescoach.data.sources import _as_text
from salescoach.domain.contract import CHOICE, DATE, MONEY, NUMBER, PERIOD
from salescoach.i18n import _

_CURRENCY = re.compile(r"[\s\u00a0\u202f€$£¥]|[A-Z]{3}$|^[A-Z]{3}")


_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")


_ZONE = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$")


_PERIOD_LOOSE = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*[- ]?\s*(\d{4})$")


def _parse_numbers(s: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    text = _as_text(s)
    try:
        # Clean columns (the usual case) convert in one vectorised Arrow cast.
        cast = pc.cast(pa.array(text.array), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        pass
    out = pd.to_numeric(text, errors="coerce")
    retry = out.isna() & text.notna()
    if retry.any():
        t = text[retry].str.replace(_CURRENCY, "", regex=True)
        percent = t.str.endswith("%")
        t = t.str.rstrip("%")
        if decimal == ",":
            t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            t = t.where(~t.str.match(_THOUSANDS_COMMA), t.str.replace(",", "", regex=False))
            # 1.234,56 can only be a decimal comma with dot thousands; 7,5 stays ambiguous.
            european = t.str.match(_THOUSANDS_DOT) & t.str.contains(",", regex=False)
            t = t.where(
                ~european, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            )
        fixed = pd.to_numeric(t, errors="coerce")
        fixed = fixed.where(~percent, fixed / 100)
        out = out.astype("float64")
        out[retry] = fixed
    return out.astype("float64")


def _parse_dates(s: pd.Series, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None).dt.normalize() if s.dt.tz is not None else s.dt.normalize()
    if s.dtype == object:
        # Excel cells arrive as datetime objects; keep them and parse only the text cells.
        is_dt = s.map(lambda v: hasattr(v, "year"))
        if is_dt.any():
            out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
            out[is_dt] = pd.to_datetime(s[is_dt], errors="coerce")
            rest = _parse_dates(_as_text(s[~is_dt]), date_format)
            out[~is_dt] = rest
            return out.dt.normalize()
    return _by_unique(_as_text(s), lambda u: _parse_date_text(u, date_format))


def _parse_date_text(text: pd.Series, date_format: str | list[str] | None) -> pd.Series:
    if isinstance(date_format, (list, tuple)):
        # Several formats in one column (exports merged from different systems): each value
        # takes the first format that reads it, in the order the mapping lists them.
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        for fmt in date_format:
            todo = out.isna() & text.notna()
            if not todo.any():
                break
            out[todo] = _plausible(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
        return out.dt.normalize()
    out = pd.to_datetime(text, format=date_format or "%Y-%m-%d", errors="coerce")
    if date_format is None:
        # Exports often carry a time of day ("2026-03-01 00:00:00", ISO with T).
        retry = out.isna() & text.notna()
        if retry.any():
            # A time zone (`Z`, `+02:00`: APIs and CRM exports) is dropped: the day is the one
            # the export wrote, not the day in another zone.
            local = text[retry].str.replace(_ZONE, r"\1", regex=True)
            out[retry] = pd.to_datetime(local, format="ISO8601", errors="coerce")
    return _plausible(out)


def _plausible(dates: pd.Series) -> pd.Series:
    """Dates a sales record can carry; others (year 1, year 9999 typos) count as not a date."""
    ok = (dates >= pd.Timestamp("1900-01-01")) & (dates < pd.Timestamp("2200-01-01"))
    return dates.where(ok).astype("datetime64[ns]").dt.normalize()


def _by_unique(text: pd.Series, parse) -> pd.Series:
    """Parse each distinct value once: a million order lines hold a few thousand dates."""
    codes, uniques = pd.factorize(text)
    parsed = parse(pd.Series(uniques, dtype=text.dtype))
    values = parsed.to_numpy()
    if len(values) == 0:
        return parsed.reindex(range(len(text))).set_axis(text.index)
    out = values[np.where(codes < 0, 0, codes)]
    result = pd.Series(out, index=text.index, dtype=parsed.dtype)
    return result.mask(codes < 0)


def _parse_choice(s: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    def fold(u: pd.Series) -> pd.Series:
        folded = u.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
        return u.where(~folded.isin(choices), folded)

    return _by_unique(_as_text(s), fold)


def _parse_period(s: pd.Series) -> pd.Series:
    text = _as_text(s)
    m = text.str.extract(_PERIOD_LOOSE)
    loose = m[0].notna() | m[2].notna()
    if loose.any():
        year = m[0].fillna(m[3])
        quarter = m[1].fillna(m[2])
        text = text.where(~loose, year + "-Q" + quarter)
    return text


def parse_column(
    s: pd.Series, kind: str, *, date_format: str | None = None, decimal: str = ".", choices=None
):
    """Raw values -> typed values; a value that cannot be parsed becomes missing (see `parse_failures`)."""
    if kind == DATE:
        return _parse_dates(s, date_format)
    if kind in (MONEY, NUMBER):
        return _parse_numbers(s, decimal)
    if kind == CHOICE:
        return _parse_choice(s, choices or ())
    if kind == PERIOD:
        return _parse_period(s)
    return _as_text(s)


def _kind_reason(kind: str) -> str | None:
    # Built when a file is read, so the reason is in that run's language.
    return {DATE: _("not a date"), MONEY: _("not an amount"), NUMBER: _("not a number")}.get(kind)
