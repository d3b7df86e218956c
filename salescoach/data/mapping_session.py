"""The DuckDB session a mapping reads through: the files it names (`FileRef`), registered once
as text tables, and typed only where every value of a column fits the type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salescoach.data.readers import RawTable, SourceError, read_raw
from salescoach.data.sources import MappingError, _as_text
from salescoach.i18n import _

# Options of reading one file; a `files:` entry may carry them, and so may a table.
_READ_KEYS = ("encoding", "delimiter", "sheet", "header_row")


# Where a query result row came from when a form keeps one row per source row.
ROW = "__row"


@dataclass(frozen=True)
class FileRef:
    """One file a mapping names: a path and how to read it."""

    path: Path
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None

    def with_options(self, spec: Mapping) -> FileRef:
        given = {k: spec[k] for k in _READ_KEYS if spec.get(k) is not None}
        if "header_row" in given:
            given["header_row"] = int(given["header_row"])
        return FileRef(**{**self.__dict__, **given})


@dataclass
class Session:
    """The files of one mapping, each read once, and the DuckDB connection that queries them."""

    mapping: Path
    files: dict[str, FileRef] = field(default_factory=dict)
    _raw: dict[tuple, RawTable] = field(default_factory=dict)
    _registered: dict[str, str] = field(default_factory=dict)
    _twins: dict[str, set[str]] = field(default_factory=dict)
    _con: object = None

    def raw(self, ref: FileRef, expect: frozenset[str] = frozenset()) -> RawTable:
        key = (ref, expect if ref.header_row is None else frozenset())
        if key not in self._raw:
            try:
                self._raw[key] = read_raw(
                    ref.path,
                    expect=expect,
                    encoding=ref.encoding,
                    delimiter=ref.delimiter,
                    sheet=ref.sheet,
                    header_row=ref.header_row,
                )
            except SourceError as exc:
                raise MappingError(str(exc)) from None
        return self._raw[key]

    @property
    def con(self):
        if self._con is None:
            import duckdb

            con = duckdb.connect()
            # Offline and predictable: no extension is fetched, and a file a query reads by
            # name is found beside the mapping, as `files:` entries are.
            con.execute("SET autoinstall_known_extensions = false")
            con.execute("SET autoload_known_extensions = false")
            con.execute("SET file_search_path = ?", [str(self.mapping.parent)])
            self._con = con
        return self._con

    def register(self, alias: str, ref: FileRef, expect: frozenset[str] = frozenset()) -> str:
        """The internal name of the file's table (with its row numbers); `alias` is a view without them."""
        key = f"{alias}\x00{ref}\x00{sorted(expect)}"
        if key not in self._registered:
            internal = f"__file{len(self._registered)}"
            raw = self.raw(ref, expect)
            table = typed_table(raw.frame)
            self.con.register(internal, table)
            shown = ", ".join(quote(str(c)) for c in raw.frame.columns)
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {quote(alias)} AS SELECT {shown} FROM {internal}"
            )
            self._registered[key] = internal
            self._twins[internal] = {n for n in table.column_names if n.startswith("__text:")}
        return self._registered[key]

    def run(self, query: str, where: str, files: bool = True) -> pd.DataFrame:
        """The query's result, every column as text; a failing query is one MappingError.

        `files`: make every file of `files:` a table the query can name (a user's SQL).
        """
        import duckdb

        for alias, ref in self.files.items() if files else ():
            self.register(alias, ref)
        try:
            rel = self.con.sql(query)
            if rel is None:
                raise MappingError(_("{where}: the query returns no rows", where=where))
            result = rel.project("CAST(COLUMNS(*) AS VARCHAR)").to_arrow_table()
        except duckdb.Error as exc:
            raise MappingError(
                _("{where}: the query failed: {message}", where=where, message=str(exc).strip())
            ) from None
        return result.to_pandas()


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


# Conservative: a value only becomes a number or a date in DuckDB when every value of the
# column reads the same way back (no leading zeros, which ids keep; no decimal commas, which
# the kit's parser reads per table); everything else stays text.
_INT = r"^-?(0|[1-9]\d{0,17})$"


_FLOAT = r"^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$"


_DATE = r"^\d{4}-\d{2}-\d{2}$"


_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"


def _typed_column(text: pa.Array) -> pa.Array:
    values = text.drop_null()
    if len(values) == 0:
        return text
    for pattern, to in (
        (_INT, pa.int64()),
        (_FLOAT, pa.float64()),
        (_DATE, pa.date32()),
        (_TIMESTAMP, pa.timestamp("us")),
    ):
        if pc.all(pc.match_substring_regex(values, pattern)).as_py():
            try:
                return pc.cast(text, to)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return text
    return text


def text_twin(name: str) -> str:
    """The column holding a typed column's text as written (declarative forms show that)."""
    return f"__text:{name}"


# Identifiers stay text whatever they hold: one file's numeric order numbers must still join
# another file's `SO-1001`-style ones, which DuckDB cannot compare with a number.
_ID_NAME = re.compile(
    r"(^|[\s_\-.])(id|ids|no|nr|num|number|ref|reference|code|key|sku)$|^id[\s_]", re.IGNORECASE
)


def _arrow_text(s: pd.Series) -> pa.Array:
    """A column of raw values as Arrow text, stripped, blanks as NULL (Arrow-fast for text)."""
    try:
        text = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Excel cells: datetimes, numbers and text mixed; written as the importer reads them.
        text = pa.array(_as_text(s).astype(object).where(s.notna(), None), pa.string())
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def typed_table(frame: pd.DataFrame) -> pa.Table:
    """A raw frame as an Arrow table for DuckDB: blanks are NULL, clean columns typed, row numbers kept.

    A text column that became a number or a date keeps its text beside it (`text_twin`), so a
    column taken as is reaches the rejects file as the export wrote it (49.90, not 49.9).
    """
    columns, names = [], []
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            arr = pa.array(s, from_pandas=True)
        elif pd.api.types.is_datetime64_any_dtype(s):
            arr = pa.array(s, from_pandas=True)
        else:
            text = _arrow_text(s)
            arr = text if _ID_NAME.search(str(name)) else _typed_column(text)
            if arr.type != pa.string():
                columns.append(text)
                names.append(text_twin(str(name)))
        columns.append(arr)
        names.append(str(name))
    columns.append(pa.array(frame.index.to_numpy(), pa.int64()))
    names.append(ROW)
    return pa.table(columns, names=names)
