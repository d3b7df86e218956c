"""Read one source file (CSV, Parquet or Excel) into a frame of raw values.

Text files come out as strings, exactly as written, so that the importer can say which value
in which row was wrong. The frame's index is the row number a person sees when opening the
file in a spreadsheet (the header is row 1), which is what the rejects file reports.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salescoach.i18n import _

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
        return _read_careful(path, enc, sep, header_row)
    lines, last = _lines_and_last(path, enc)
    if lines != header_row + len(frame) or last is None or _ends_quoted(last, sep, False):
        # A record spread over several lines: a quoted newline, or a quote never closed that
        # swallowed the rows after it. Only a line-by-line read tells which.
        return _read_careful(path, enc, sep, header_row)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    return RawTable(path, frame, enc, sep)


HEADER_SEARCH_ROWS = 30
_HEADER_LINE_CHARS = 20_000


# A quoted field over more than this many lines is taken for a quote that was never closed.
MAX_FIELD_LINES = 50
_CHUNK = 16 << 20
_TAIL = 1 << 16


def _lines_and_last(path: Path, encoding: str) -> tuple[int, str | None]:
    """Lines up to the last one holding text, and that last line (None when longer than the
    tail read), counted on bytes chunk by chunk in one pass: a fraction of parsing the file.

    Arrow parses one record per line unless a record spreads over several lines, so a parsed
    row count below the line count means a quoted newline or a quote never closed; one opened
    on the last line runs only to the end of that line, which the last line itself shows.
    """
    if encoding.lower().replace("_", "-").startswith("utf-16"):
        text = path.read_text(encoding=encoding).rstrip("\r\n")
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        return breaks + 1, re.split(r"\r\n|\r|\n", text)[-1]
    breaks, previous, chunk, newline = 0, b"", b"", None
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            if newline is None:
                # \n ends lines in Unix and Windows files (\r\n); only old Mac files use \r.
                newline = b"\n" if b"\n" in block or b"\r" not in block else b"\r"
            breaks += block.count(newline)
            previous, chunk = chunk, block
    tail = (previous[-_TAIL:] + chunk)[-_TAIL:]
    body = tail.rstrip(b"\r\n")
    breaks -= tail[len(body) :].count(newline or b"\n")
    if (newline or b"\n") not in body and len(tail) == _TAIL:
        return breaks + 1, None
    last = body.rsplit(newline or b"\n", 1)[-1]
    return breaks + 1, last.decode(encoding, errors="ignore")


def _ends_quoted(line: str, sep: str, quoted: bool) -> bool:
    """Whether a line ends inside a quoted field, read as Python's csv reads it (not strict).

    A quote opens a field only at the field's start; a quote inside an unquoted field (5" screen)
    is a character like any other.
    """
    if '"' not in line:
        return quoted
    state = "quoted" if quoted else "start"
    for ch in line:
        if state == "start":
            if ch == '"':
                state = "quoted"
            elif ch != sep and ch not in "\r\n":
                state = "field"
        elif state == "field":
            if ch == sep:
                state = "start"
        elif state == "quoted":
            if ch == '"':
                state = "closing"
        elif ch == '"':  # closing: a doubled quote is a quote inside the field
            state = "quoted"
        elif ch == sep:
            state = "start"
        else:
            state = "field"
    return state == "quoted"


def _looks_like_row(line: str, sep: str, columns: int) -> bool:
    """A line that reads on its own as a whole row of the table (and not the tail of a field)."""
    if columns < 3:
        return False
    cells = next(csv.reader([line], delimiter=sep), [])
    return len(cells) == columns and not any('"' in c for c in cells)


def _record_end(lines: list[str], i: int, sep: str, columns: int) -> tuple[int, str | None]:
    """The line after the record that starts at line `i`, and why that record is broken (or None).

    A quoted field may hold newlines; one that runs to the end of the file, over more than
    MAX_FIELD_LINES lines, or over a line that is a whole row by itself is a quote never closed,
    and only line `i` is taken for the broken record so that the rows after it are still read.
    """
    quoted = _ends_quoted(lines[i], sep, False)
    j = i
    while quoted:
        j += 1
        if j == len(lines):
            return i + 1, _(
                "unbalanced quote: a quoted field opens in this row and is never closed"
                " (it would run on over {lines} lines to the end of the file)",
                lines=j - i,
            )
        if j - i >= MAX_FIELD_LINES:
            return i + 1, _(
                "unbalanced quote: a quoted field opens in this row and is not closed"
                " within {lines} lines",
                lines=MAX_FIELD_LINES,
            )
        if _looks_like_row(lines[j], sep, columns):
            return i + 1, _(
                "unbalanced quote: a quoted field opens in this row and runs on into the next row"
            )
        quoted = _ends_quoted(lines[j], sep, True)
    return j + 1, None


def _read_careful(path: Path, encoding: str, sep: str, header_row: int) -> RawTable:
    """Read record by record so that one broken row costs that row only.

    Rows with more cells than the header, and rows whose quote is never closed, are listed
    with their row number and reason; every other row is kept. A row number is what a
    spreadsheet shows: a quoted field holding newlines is one row, a blank line is one row.
    """
    csv.field_size_limit(1 << 30)
    with open(path, encoding=encoding, newline="") as fh:
        lines = fh.readlines()
    if lines:
        lines[0] = lines[0].lstrip("\ufeff")
    header: list[str] = []
    texts, numbers, broken = [], [], []
    i, number, count = 0, 0, len(lines)
    while i < count:
        number += 1
        line = lines[i]
        if '"' not in line:  # most lines: the record is the line
            i += 1
            text = line
        else:
            end, problem = _record_end(lines, i, sep, len(header))
            text = "".join(lines[i:end])
            i = end
            if problem and number > header_row:
                broken.append((number, line.rstrip("\r\n"), problem))
                continue
        if number == header_row:
            header = [c.strip().lstrip("\ufeff") for c in next(csv.reader([text], delimiter=sep))]
        elif number > header_row and text.replace(sep, "").strip():
            texts.append(text)
            numbers.append(number)
    frame = _parse_records(texts, numbers, header, sep, broken)
    broken.sort()
    return RawTable(path, frame, encoding, sep, tuple(broken))


def _parse_records(
    texts: list[str], numbers: list[int], header: list[str], sep: str, broken: list
) -> pd.DataFrame:
    """The records (one text each) as a frame indexed by row number; ragged ones go to `broken`.

    pandas' C reader does the splitting when every record fits the header (ten times faster
    than building the rows in Python); a ragged record sends all of them through csv.
    """
    width = len(header)
    frame = None
    if width:
        try:
            with warnings.catch_warnings():
                # More cells than the header is a warning to pandas and lost data to us.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    io.StringIO("".join(texts)),
                    sep=sep,
                    header=None,
                    names=range(width),
                    index_col=False,
                    dtype=str,
                    keep_default_na=False,
                    na_values=[],
                    skip_blank_lines=False,
                )
        except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
            frame = None
    if frame is not None and len(frame) == len(texts):
        frame = frame.fillna("")
        frame.columns = header
        frame.index = pd.Index(numbers, dtype="int64")
        return frame
    good_rows, good_index = [], []
    for number, record in zip(numbers, csv.reader(texts, delimiter=sep)):
        if not "".join(record).strip():
            continue
        if len(record) != width:
            if len(record) > width and not "".join(record[width:]).strip():
                record = record[:width]
            if len(record) > width:
                reason = _(
                    "{cells} cells, the header has {header}", cells=len(record), header=width
                )
                broken.append((number, sep.join(record), reason))
                continue
            record = record + [""] * (width - len(record))
        good_rows.append(record)
        good_index.append(number)
    return pd.DataFrame(good_rows, columns=header, index=pd.Index(good_index), dtype="str")


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
