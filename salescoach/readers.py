"""Read one source file (CSV, Parquet or Excel) into a frame of raw values.

Text files come out as strings, exactly as written, so that the importer can say which value
in which row was wrong. The frame's index is the row number a person sees when opening the
file in a spreadsheet (the header is row 1), which is what the rejects file reports.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

READABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xlsm")
_SNIFF_BYTES = 1 << 20
_DELIMITERS = ",;\t|"


class SourceError(ValueError):
    """A file that cannot be read at all; the message names the file and the problem."""


@dataclass(frozen=True)
class RawTable:
    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def detect_encoding(data: bytes) -> str:
    """UTF-8 when the bytes are UTF-8, else the detector's best guess (Windows-1252 is common)."""
    bom = _bom_encoding(data[:4])
    if bom:
        return bom
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sample cut mid-character is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SourceError("cannot tell the text encoding")
    guess = best.encoding
    # Western CRM exports are overwhelmingly Windows-1252; the detector often says latin-1
    # or a sibling code page for the same bytes, which mangles € and curly quotes.
    if guess in {"latin_1", "iso8859_15", "cp1250", "cp1257", "iso8859_2"}:
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return guess


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_text(
    path: Path, encoding: str | None, delimiter: str | None, header_row: int
) -> RawTable:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise SourceError(f"{path.name}: the file is empty")
    enc = encoding or detect_encoding(head)
    try:
        sample_text = head.decode(enc, errors="ignore")
    except LookupError:
        raise SourceError(f"{path.name}: unknown encoding {enc!r}") from None
    sep = delimiter or sniff_delimiter(sample_text.lstrip("\ufeff"))
    kwargs = dict(
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[],
        skiprows=header_row - 1,
        skip_blank_lines=True,
    )
    try:
        frame = _read_csv(path, enc, kwargs)
    except UnicodeDecodeError as exc:
        if encoding:
            raise SourceError(
                f"{path.name}: not readable as {encoding} (byte {exc.object[exc.start : exc.start + 1]!r}"
                f" at byte offset {exc.start}); check `encoding` in the mapping"
            ) from None
        # The first megabyte looked like UTF-8 but a later byte is not: detect on everything.
        enc = detect_encoding(path.read_bytes())
        frame = _read_csv(path, enc, kwargs)
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path.name}: the file has no header row") from None
    except pd.errors.ParserError as exc:
        raise SourceError(
            f"{path.name}: cannot split into columns with delimiter {sep!r}: {exc}"
        ) from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    return RawTable(path, frame, enc, sep)


def _read_csv(path: Path, encoding: str, kwargs: dict) -> pd.DataFrame:
    """Arrow's multi-threaded reader when it can (4x faster on a million lines), else pandas' own.

    pandas' C reader is the fallback for what Arrow refuses (ragged rows, odd quoting) and the
    one whose errors are shown, since they name the line.
    """
    fast = {k: v for k, v in kwargs.items() if k != "skip_blank_lines"}
    try:
        return pd.read_csv(path, encoding=encoding, engine="pyarrow", **fast)
    except UnicodeDecodeError:
        raise
    except Exception:  # noqa: BLE001 - any refusal falls back to the C reader
        return pd.read_csv(path, encoding=encoding, **kwargs)


def read_raw(
    path: Path | str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
) -> RawTable:
    """Read a source file; `header_row` is the 1-based row holding the column names."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        return RawTable(path, frame)
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(
                path,
                sheet_name=sheet if sheet is not None else 0,
                header=header_row - 1,
                dtype=object,
            )
        except ValueError as exc:
            raise SourceError(f"{path.name}: {exc}") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.dropna(how="all")
        frame.index = frame.index + header_row + 1
        return RawTable(path, frame)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_text(path, encoding, delimiter, header_row)
    raise SourceError(
        f"{path.name}: cannot read {suffix or 'files without a suffix'}; use {', '.join(READABLE_SUFFIXES)}"
    )
