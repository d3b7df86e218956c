"""Mapping YAML: where each contract table of a CRM or ERP export comes from.

A table is read from one file (`file:`, today's form), or given as a DuckDB SQL query over the
files the mapping names once (`files:` and `query:`), or built declaratively (`join`, `const`,
templates, expressions, `union`, `where`), which compiles to the same kind of query. Every
form ends as a frame of raw text named by contract columns, which the importer then parses,
validates and splits into stored rows and rejects exactly as for a plain file.

Files are read by the kit's own readers (encoding and delimiter detection, title rows, Excel
sheets and merged cells) and handed to DuckDB as tables, so a query sees what a plain import
would see; DuckDB's Excel extension is never needed, and nothing is downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from salescoach.contract import TABLES
from salescoach.i18n import _
from salescoach.importer import MappingError, TableSource, _as_text
from salescoach.readers import RawTable, SourceError, read_raw

# Options of reading one file; a `files:` entry may carry them, and so may a table.
_READ_KEYS = ("encoding", "delimiter", "sheet", "header_row")
_PLAIN_KEYS = {"file", "columns", "values", "date_format", "distinct", "decimal", *_READ_KEYS}
_SOURCE_KEYS = _PLAIN_KEYS | {"query"}
_TOP_KEYS = {"files", "tables"}
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
            self.con.register(internal, typed_table(raw.frame))
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {quote(alias)} AS SELECT * EXCLUDE ({ROW}) FROM {internal}"
            )
            self._registered[key] = internal
        return self._registered[key]

    def run(self, query: str, where: str) -> pd.DataFrame:
        """The query's result, every column as text; a failing query is one MappingError."""
        import duckdb

        for alias, ref in self.files.items():
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


def typed_table(frame: pd.DataFrame) -> pa.Table:
    """A raw frame as an Arrow table for DuckDB: blanks are NULL, clean columns typed, row numbers kept."""
    columns, names = [], []
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            arr = pa.array(s, from_pandas=True)
        elif pd.api.types.is_datetime64_any_dtype(s):
            arr = pa.array(s, from_pandas=True)
        else:
            text = _as_text(s)
            arr = _typed_column(
                pa.array(text.astype(object).where(text.notna(), None), pa.string())
            )
        columns.append(arr)
        names.append(str(name))
    columns.append(pa.array(frame.index.to_numpy(), pa.int64()))
    names.append(ROW)
    return pa.table(columns, names=names)


# --------------------------------------------------------------------------- reading a mapping


def _where(path: Path, *parts: str) -> str:
    return f"{path.name}: " + ".".join(("tables",) + parts)


def _file_refs(path: Path, spec) -> dict[str, FileRef]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise MappingError(
            _("{name}: `files:` expects name: file pairs (mql: leads.csv)", name=path.name)
        )
    refs = {}
    for alias, entry in spec.items():
        alias = str(alias)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", alias):
            raise MappingError(
                _(
                    "{name}: files.{alias}: a name must be letters, digits and _ (it is used as a table name in queries)",
                    name=path.name,
                    alias=alias,
                )
            )
        if isinstance(entry, str):
            entry = {"file": entry}
        if not isinstance(entry, dict) or "file" not in entry:
            raise MappingError(
                _("{name}: files.{alias}: needs a file name", name=path.name, alias=alias)
            )
        unknown = set(entry) - {"file", *_READ_KEYS}
        if unknown:
            where = f"{path.name}: files.{alias}"
            raise MappingError(
                _(
                    "{where}: unknown key {unknown} ({values})",
                    where=where,
                    unknown=repr(sorted(unknown)[0]),
                    values=", ".join(["file", *_READ_KEYS]),
                )
            )
        file = (path.parent / str(entry["file"])).resolve()
        if not file.exists():
            raise MappingError(
                _(
                    "{name}: files.{alias}: {file}: no such file",
                    name=path.name,
                    alias=alias,
                    file=entry["file"],
                )
            )
        refs[alias] = FileRef(file).with_options(entry)
    return refs


def _check_columns(where: str, name: str, columns) -> dict[str, str] | None:
    if columns is None:
        return None
    if not isinstance(columns, dict):
        raise MappingError(
            _("{where}.columns: expected canonical: Source Column pairs", where=where)
        )
    for canonical in columns:
        if canonical not in TABLES[name].by_name:
            raise MappingError(
                _(
                    "{where}.columns: {canonical} is not a column of {name} ({values})",
                    where=where,
                    canonical=repr(canonical),
                    name=name,
                    values=", ".join(TABLES[name].names),
                )
            )
    return {str(k): str(v) for k, v in columns.items()}


def _check_values(where: str, values) -> dict[str, dict[str, str]]:
    values = values or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(
            _("{where}.values: expected column: {{source value: canonical value}}", where=where)
        )
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in values.items()}


def load_mapping(path: Path | str) -> list[TableSource]:
    """Read a mapping YAML; file paths are relative to the mapping file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(_("{name}: not valid YAML: {exc}", name=path.name, exc=exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise MappingError(
            _("{name}: expected a `tables:` section naming contract tables", name=path.name)
        )
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise MappingError(
            _(
                "{where}: unknown key {unknown} ({values})",
                where=path.name,
                unknown=repr(sorted(unknown)[0]),
                values=", ".join(sorted(_TOP_KEYS)),
            )
        )
    session = Session(path, _file_refs(path, doc.get("files")))
    return [_table_source(session, path, str(name), spec) for name, spec in doc["tables"].items()]


def _table_source(session: Session, path: Path, name: str, spec) -> TableSource:
    where = _where(path, name)
    if name not in TABLES:
        raise MappingError(
            _(
                "{where}: {name} is not a contract table ({values})",
                where=where,
                name=repr(name),
                values=", ".join(TABLES),
            )
        )
    if not isinstance(spec, dict) or not ({"file", "query"} & set(spec)):
        raise MappingError(_("{where}: needs a `file:` or a `query:`", where=where))
    unknown = set(spec) - _SOURCE_KEYS
    if unknown:
        raise MappingError(
            _(
                "{where}: unknown key {unknown} ({values})",
                where=where,
                unknown=repr(sorted(unknown)[0]),
                values=", ".join(sorted(_SOURCE_KEYS)),
            )
        )
    if "file" in spec and "query" in spec:
        raise MappingError(_("{where}: give either `file:` or `query:`, not both", where=where))
    common = dict(
        table=name,
        columns=_check_columns(where, name, spec.get("columns")),
        values=_check_values(where, spec.get("values")),
        date_format=spec.get("date_format"),
        distinct=bool(spec.get("distinct", False)),
        decimal=str(spec.get("decimal", ".")),
    )
    if "query" in spec:
        query = spec["query"]
        if not isinstance(query, str) or not query.strip():
            raise MappingError(_("{where}.query: expected SQL text", where=where))
        return TableSource(
            file=path.resolve(),
            read=partial(_read_query, session, query, f"{where}.query"),
            **common,
        )
    file = str(spec["file"])
    ref = session.files.get(file) or FileRef((path.parent / file).resolve())
    ref = ref.with_options(spec)
    return TableSource(
        file=ref.path,
        encoding=ref.encoding,
        delimiter=ref.delimiter,
        sheet=ref.sheet,
        header_row=ref.header_row,
        read=partial(_read_file, session, ref),
        **common,
    )


def _read_file(session: Session, ref: FileRef, expect: frozenset[str]) -> RawTable:
    return session.raw(ref, expect)


def _read_query(session: Session, query: str, where: str, expect: frozenset[str]) -> RawTable:
    frame = session.run(query, where)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    # The rejects file names the query where a plain table names its file.
    return RawTable(Path(where), frame)
