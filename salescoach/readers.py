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
    # Rows that could not be split into the header's columns: (row, raw text, reason).
    broken_rows: tuple[tuple[int, str, str], ...] = ()

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.broken_rows)


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
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    header_row: int | None,
    expect: frozenset[str] = frozenset(),
) -> RawTable:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise SourceError(f"{path.name}: the file is empty")
    try:
        enc = encoding or detect_encoding(head)
    except SourceError as exc:
        raise SourceError(f"{path.name}: {exc}; set `encoding` in a mapping") from None
    try:
        sample_text = head.decode(enc, errors="ignore")
    except LookupError:
        raise SourceError(f"{path.name}: unknown encoding {enc!r}") from None
    sample_text = sample_text.lstrip("\ufeff")
    if header_row is None:
        # Cut long lines: only the header matters here, and csv limits a field to 128 KB.
        lines = [
            line[:_HEADER_LINE_CHARS] for line in sample_text.splitlines()[:HEADER_SEARCH_ROWS]
        ]
        top = list(csv.reader(lines, delimiter=delimiter or sniff_delimiter("\n".join(lines))))
        header_row = find_header_row(top, expect)
        if header_row > 1:
            sample_text = "\n".join(sample_text.splitlines()[header_row - 1 :])
    sep = delimiter or sniff_delimiter(
        "\n".join(line[:_HEADER_LINE_CHARS] for line in sample_text.splitlines()[:50])
    )
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
    except pd.errors.ParserError:
        return _read_ragged(path, enc, sep, header_row)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    return RawTable(path, frame, enc, sep)


HEADER_SEARCH_ROWS = 30
_HEADER_LINE_CHARS = 20_000


def _read_ragged(path: Path, encoding: str, sep: str, header_row: int) -> RawTable:
    """Rows with more cells than the header: keep the rest, report those rows, drop nothing silently.

    The fast readers stop at the first such row; this one reads record by record so every
    other row is still imported and each broken one is listed with its row number.
    """
    csv.field_size_limit(1 << 30)
    with open(path, encoding=encoding, newline="") as fh:
        records = list(csv.reader(fh, delimiter=sep))
    header = [c.strip().lstrip("\ufeff") for c in records[header_row - 1]]
    good_rows, good_index, broken = [], [], []
    for number, record in enumerate(records[header_row:], start=header_row + 1):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and not any(c.strip() for c in record[len(header) :]):
            record = record[: len(header)]
        if len(record) > len(header):
            text = sep.join(record)
            broken.append((number, text, f"{len(record)} cells, the header has {len(header)}"))
            continue
        good_rows.append(record + [""] * (len(header) - len(record)))
        good_index.append(number)
    frame = pd.DataFrame(good_rows, columns=header, index=pd.Index(good_index), dtype="str")
    return RawTable(path, frame, encoding, sep, tuple(broken))


def find_header_row(rows: list[list], expect: frozenset[str]) -> int:
    """The 1-based row among `rows` that names the most expected columns (1 when none does)."""
    if not expect:
        return 1
    wanted = {e.strip().lower() for e in expect}
    best, best_hits = 1, 0
    for i, row in enumerate(rows, start=1):
        hits = len(wanted & {str(c).strip().lower() for c in row if c is not None})
        if hits > best_hits:
            best, best_hits = i, hits
        if hits == len(wanted):
            break
    return best


def _read_excel(path: Path, sheet, header_row: int | None, expect: frozenset[str]) -> RawTable:
    """Read a sheet through openpyxl so that merged cells can be filled in.

    A merged cell holds its value only in its top-left corner; a person reading the sheet sees
    the value across the whole range, so every cell of the range gets it.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise SourceError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    try:
        ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet or 0]
    except (KeyError, IndexError):
        raise SourceError(
            f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})"
        ) from None
    for merged in list(ws.merged_cells.ranges):
        value = ws.cell(merged.min_row, merged.min_col).value
        ws.unmerge_cells(str(merged))
        for row in ws.iter_rows(
            min_row=merged.min_row,
            max_row=merged.max_row,
            min_col=merged.min_col,
            max_col=merged.max_col,
        ):
            for cell in row:
                cell.value = value
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    if not rows:
        raise SourceError(f"{path.name}: the sheet {ws.title!r} is empty")
    if header_row is None:
        header_row = find_header_row(rows[:HEADER_SEARCH_ROWS], expect)
    header = [
        str(c).strip() if c is not None else f"column {i + 1}"
        for i, c in enumerate(rows[header_row - 1])
    ]
    body = rows[header_row:]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    # Blank rows between blocks are layout, not data.
    frame = frame.dropna(how="all")
    return RawTable(path, frame)


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
    header_row: int | None = None,
    expect: frozenset[str] = frozenset(),
) -> RawTable:
    """Read a source file.

    `header_row` is the 1-based row holding the column names; when not given, it is the first
    of the top rows that names the `expect`ed columns (exports often put a title and a date
    above the header), else row 1.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        return RawTable(path, frame)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet, header_row, expect)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_text(path, encoding, delimiter, header_row, expect)
    raise SourceError(
        f"{path.name}: cannot read {suffix or 'files without a suffix'}; use {', '.join(READABLE_SUFFIXES)}"
    )
