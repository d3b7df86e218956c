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

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from salescoach.data.readers import RawTable, SourceError, read_raw
from salescoach.data.sources import MappingError, TableSource, _as_text
from salescoach.domain.contract import TABLES
from salescoach.i18n import _

# Options of reading one file; a `files:` entry may carry them, and so may a table.
_READ_KEYS = ("encoding", "delimiter", "sheet", "header_row")
_PLAIN_KEYS = {"file", "columns", "values", "date_format", "distinct", "decimal", *_READ_KEYS}
_FORM_KEYS = {"join", "const", "where", "union"}
_SOURCE_KEYS = _PLAIN_KEYS | _FORM_KEYS | {"query", "house_account", "scale"}
_SCALES = {"0-10": (0.0, 10.0), "1-5": (1.0, 5.0), "1-10": (1.0, 10.0), "0-5": (0.0, 5.0)}
_BRANCH_KEYS = {"file", "columns", "join", "const", "where"}
# A `columns` value with none of these characters names a column; with one it may be a
# template ("{First} {Last}") or an expression ("review_score * 2").
_FORM_CHARS = re.compile(r"""[{}*/+%()'"<>=|-]""")
_TOP_KEYS = {"files", "tables", "house_account"}
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
    sources = []
    for name, spec in doc["tables"].items():
        source = _table_source(session, path, str(name), spec)
        house = spec.get("house_account", doc.get("house_account"))
        if house is not None:
            source = dataclasses.replace(source, house_account=str(house))
        if "scale" in spec:
            scale = _SCALES.get(str(spec["scale"]).replace(" ", ""))
            if scale is None or name != "feedback":
                raise MappingError(
                    _(
                        "{where}.scale: feedback scores declare one of {values}",
                        where=_where(path, str(name)),
                        values=", ".join(_SCALES),
                    )
                )
            source = dataclasses.replace(source, scale=scale)
        sources.append(source)
    return sources


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
    if not isinstance(spec, dict) or not ({"file", "query", "union"} & set(spec)):
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
    if len({"file", "query", "union"} & set(spec)) > 1:
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
            read=partial(_read_query, session, name, query, f"{where}.query"),
            **common,
        )
    columns = common["columns"] or {}
    if _FORM_KEYS & set(spec) or any(_FORM_CHARS.search(v) for v in columns.values()):
        branches = spec["union"] if "union" in spec else [spec]
        if not isinstance(branches, list) or not branches:
            raise MappingError(_("{where}.union: expected a list of sources", where=where))
        parts = [
            _Branch.parse(
                session, path, name, f"{where}.union[{i}]" if "union" in spec else where, b
            )
            for i, b in enumerate(branches)
        ]
        outputs = {c for b in parts for c in b.outputs}
        canonical = [c for c in TABLES[name].names if c in outputs]
        common["columns"] = {c: c for c in canonical}
        return TableSource(
            file=parts[0].ref.path if len(parts) == 1 else path.resolve(),
            read=partial(_read_forms, session, tuple(parts), where),
            **common,
        )
    ref = _file_ref(session, path, spec)
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


def _contract_names(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A query's columns named as the contract names them, whatever their case (`Deal_ID`)."""
    names = {n.lower(): n for n in TABLES[table].names}
    renames = {c: names[str(c).lower()] for c in frame.columns if str(c).lower() in names}
    if len(set(renames.values())) < len(renames):
        return frame  # two spellings of one column: the importer names the exact one
    return frame.rename(columns=renames)


def _read_query(
    session: Session, table: str, query: str, where: str, expect: frozenset[str]
) -> RawTable:
    raw = _run_query(session, query, where)
    return dataclasses.replace(raw, frame=_contract_names(table, raw.frame))


def _run_query(session: Session, query: str, where: str) -> RawTable:
    traced = _with_source_rows(session, query)
    if traced is not None:
        sql, alias = traced
        try:
            frame = session.run(sql, where)
        except MappingError:
            frame = None
        if frame is not None:
            rows = pd.to_numeric(frame.pop(ROW)).astype("int64")
            if rows.is_unique:
                # One result row per row of one file: rejects name that file and its row.
                base = session.raw(session.files[alias])
                frame.index = pd.Index(rows.to_numpy())
                return RawTable(base.path, frame, base.encoding, base.delimiter, base.broken_rows)
    frame = session.run(query, where)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    # The rejects file names the query where a plain table names its file.
    return RawTable(Path(where), frame)


def _with_source_rows(session: Session, query: str) -> tuple[str, str] | None:
    """The query reading its `files:` table's row numbers too, when it reads one file row by
    row (no join, grouping, DISTINCT or union); None otherwise.

    DuckDB parses the query into its syntax tree, which is changed to read the file's table
    with row numbers and deparsed; anything unexpected leaves the query as written.
    """
    import json

    try:
        tree = json.loads(
            session.con.execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0]
        )
        if tree.get("error") or len(tree["statements"]) != 1:
            return None
        node = tree["statements"][0]["node"]
        source = node.get("from_table") or {}
        alias = source.get("table_name")
        if (
            node.get("type") != "SELECT_NODE"
            or source.get("type") != "BASE_TABLE"
            or alias not in session.files
            or source.get("schema_name")
            or node.get("group_expressions")
            or node.get("having")
            or node.get("qualify")
            or node.get("cte_map", {}).get("map")
            or any(m.get("type") == "DISTINCT_MODIFIER" for m in node.get("modifiers", []))
            # `*` would show the row numbers and the text kept beside typed columns.
            or any(item.get("class") == "STAR" for item in node.get("select_list", []))
        ):
            return None
        internal = session.register(alias, session.files[alias])
        for item in node["select_list"]:
            # A column taken as is reaches the rejects file as the export wrote it.
            names = item.get("column_names") if item.get("class") == "COLUMN_REF" else None
            if names and text_twin(names[-1]) in session._twins[internal]:
                item["alias"] = item.get("alias") or names[-1]
                names[-1] = text_twin(names[-1])
        shown = source.get("alias") or alias
        source["alias"] = shown
        source["table_name"] = internal
        source["qualified_name"] = {"path": [internal]}
        node["select_list"].append(
            {
                "class": "COLUMN_REF",
                "type": "COLUMN_REF",
                "alias": ROW,
                "column_names": [shown, ROW],
            }
        )
        sql = session.con.execute("SELECT json_deserialize_sql(?::JSON)", [json.dumps(tree)])
        return sql.fetchall()[0][0], alias
    except Exception:  # noqa: BLE001 - tracing rows is a courtesy; the query runs as written
        return None


def _file_ref(session: Session, path: Path, spec: Mapping) -> FileRef:
    """A table's or a join's `file:`: a name from `files:`, else a path beside the mapping."""
    file = str(spec["file"])
    ref = session.files.get(file) or FileRef((path.parent / file).resolve())
    return ref.with_options(spec)


def _alias(session: Session, spec: Mapping, taken: list[str]) -> str:
    """The name a joined file goes by in expressions: its `files:` name, else its file stem."""
    file = str(spec["file"])
    base = file if file in session.files else re.sub(r"\W+", "_", Path(file).stem).strip("_")
    alias, n = base or "file", 1
    while alias in taken:
        n += 1
        alias = f"{base}_{n}"
    return alias


def _sql_text(value) -> str:
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class _Branch:
    """One declarative source: a file, the files joined to it, and how contract columns are made."""

    where: str
    table: str
    ref: FileRef
    joins: tuple[tuple[FileRef, tuple[tuple[str, str], ...]], ...]
    aliases: tuple[str, ...]
    columns: Mapping[str, str]
    const: Mapping[str, object]
    keep: str | Mapping | None

    @property
    def outputs(self) -> set[str]:
        return set(self.columns) | set(self.const)

    @classmethod
    def parse(cls, session: Session, path: Path, table: str, where: str, spec) -> _Branch:
        if not isinstance(spec, dict) or "file" not in spec:
            raise MappingError(_("{where}: needs a `file:` or a `query:`", where=where))
        allowed = _BRANCH_KEYS if where.endswith("]") else _SOURCE_KEYS - {"query", "union"}
        unknown = set(spec) - allowed
        if unknown:
            raise MappingError(
                _(
                    "{where}: unknown key {unknown} ({values})",
                    where=where,
                    unknown=repr(sorted(unknown)[0]),
                    values=", ".join(sorted(allowed)),
                )
            )
        columns = _check_columns(where, table, spec.get("columns")) or {}
        const = spec.get("const") or {}
        if not isinstance(const, dict):
            raise MappingError(_("{where}.const: expected column: value pairs", where=where))
        _check_columns(where, table, {k: "" for k in const})
        joins, aliases = [], [_alias(session, spec, [])]
        raw_joins = spec.get("join") or []
        if isinstance(raw_joins, dict):
            raw_joins = [raw_joins]
        for i, j in enumerate(raw_joins):
            jwhere = f"{where}.join[{i}]"
            if isinstance(j, dict):
                # YAML 1.1 reads a bare `on` key as true.
                j = {("on" if k is True else k): v for k, v in j.items()}
            if not isinstance(j, dict) or "file" not in j or "on" not in j:
                raise MappingError(
                    _("{where}: a join needs `file:` and `on:` (the key columns)", where=jwhere)
                )
            on = j["on"]
            if isinstance(on, str):
                pairs = [(on, on)]
            elif isinstance(on, list):
                pairs = [(str(k), str(k)) for k in on]
            elif isinstance(on, dict):
                pairs = [(str(k), str(v)) for k, v in on.items()]
            else:
                raise MappingError(
                    _("{where}: a join needs `file:` and `on:` (the key columns)", where=jwhere)
                )
            joins.append((_file_ref(session, path, j), tuple(pairs)))
            aliases.append(_alias(session, j, aliases))
        keep = spec.get("where")
        if keep is not None and not isinstance(keep, (str, dict)):
            raise MappingError(
                _(
                    "{where}.where: expected an SQL condition or column: value pairs",
                    where=where,
                )
            )
        return cls(
            where,
            table,
            _file_ref(session, path, spec),
            tuple(joins),
            tuple(aliases),
            {k: str(v) for k, v in columns.items()},
            {str(k): v for k, v in const.items()},
            keep,
        )

    def referenced(self) -> frozenset[str]:
        """Column names the branch names outright: they find each file's header row."""
        names = set()
        for value in self.columns.values():
            names |= set(re.findall(r"{([^{}]+)}", value)) or {value}
        for _ref, pairs in self.joins:
            names |= {n for pair in pairs for n in pair}
        if isinstance(self.keep, dict):
            names |= set(map(str, self.keep))
        return frozenset(n.split(".", 1)[-1] if "." in n else n for n in names) | frozenset(names)

    def sql(self, session: Session) -> tuple[str, RawTable]:
        """The branch as one SELECT of contract columns (and the base file's row numbers)."""
        expect = self.referenced()
        refs = [self.ref, *(r for r, _pairs in self.joins)]
        internals = [session.register(a, r, expect) for a, r in zip(self.aliases, refs)]
        raws = [session.raw(r, expect) for r in refs]
        known = [set(map(str, raw.frame.columns)) for raw in raws]

        def column(name: str, canonical: str, upto: int = len(refs), text: bool = False):
            """The SQL naming a column (its text as written, with `text`); None if none has it."""
            found = None
            for i, cols in enumerate(known[:upto]):
                if name in cols:
                    found = (i, name)
                    break
            if found is None and "." in name:
                alias, rest = name.split(".", 1)
                if alias in self.aliases and rest in known[self.aliases.index(alias)]:
                    found = (self.aliases.index(alias), rest)
            if found is None:
                return None
            i, col = found
            if text and text_twin(col) in session._twins[internals[i]]:
                col = text_twin(col)
            return f"{self.aliases[i]}.{quote(col)}"

        def missing(name: str, canonical: str, upto: int = len(refs)) -> MappingError:
            files = ", ".join(r.path.name for r in refs[:upto])
            values = ", ".join(sorted(set().union(*known[:upto])))
            return MappingError(
                _(
                    "{name}: column {src} (mapped to {name2}.{canonical}) not found; the file's columns are: {values}",
                    name=files,
                    src=repr(name),
                    name2=self.table,
                    canonical=canonical,
                    values=values,
                )
            )

        def value_sql(value: str, canonical: str) -> str:
            found = column(value, canonical, text=True)
            if found:
                return found
            if "{" in value:
                parts = []
                for text, field_name in re.findall(r"([^{}]*)(?:{([^{}]*)})?", value):
                    if text:
                        parts.append(_sql_text(text))
                    if field_name:
                        ref = column(field_name, canonical, text=True)
                        if ref is None:
                            raise missing(field_name, canonical)
                        parts.append(f"coalesce(CAST({ref} AS VARCHAR), '')")
                return f"NULLIF(trim(concat({', '.join(parts)})), '')"
            if not _FORM_CHARS.search(value):
                raise missing(value, canonical)
            return f"({value})"

        select = [f"{value_sql(v, c)} AS {quote(c)}" for c, v in self.columns.items()]
        select += [f"{_sql_text(v)} AS {quote(c)}" for c, v in self.const.items()]
        select.append(f"{self.aliases[0]}.{ROW} AS {ROW}")
        sql = f"SELECT {', '.join(select)}\nFROM {internals[0]} AS {self.aliases[0]}"
        for i, (ref, pairs) in enumerate(self.joins, start=1):
            alias = self.aliases[i]
            conds = []
            for left, right in pairs:
                lhs = column(left, left, upto=i, text=True)
                for key, ok, cols, files in (
                    (left, lhs is not None, set().union(*known[:i]), refs[:i]),
                    (right, right in known[i], known[i], refs[i : i + 1]),
                ):
                    if not ok:
                        raise MappingError(
                            _(
                                "{where}.join[{i}]: key column {key} not found in {files}; the columns are: {values}",
                                where=self.where,
                                i=i - 1,
                                key=repr(key),
                                files=", ".join(r.path.name for r in files),
                                values=", ".join(sorted(cols)),
                            )
                        )
                twin = text_twin(right)
                rhs = f"{alias}.{quote(twin if twin in session._twins[internals[i]] else right)}"
                # Keys compare as written (text): 7 and 007 are different customers.
                conds.append(f"CAST({lhs} AS VARCHAR) = CAST({rhs} AS VARCHAR)")
            _check_unique_key(session, internals[i], ref, [r for _l, r in pairs], self.where)
            sql += f"\nLEFT JOIN {internals[i]} AS {alias} ON {' AND '.join(conds)}"
        if isinstance(self.keep, str):
            sql += f"\nWHERE ({self.keep})"
        elif isinstance(self.keep, dict):
            conds = []
            for name, wanted in self.keep.items():
                ref = column(str(name), str(name), text=True)
                if ref is None:
                    raise missing(str(name), "where")
                wanted = wanted if isinstance(wanted, list) else [wanted]
                conds.append(
                    f"CAST({ref} AS VARCHAR) IN ({', '.join(_sql_text(w) for w in wanted)})"
                )
            sql += "\nWHERE " + " AND ".join(conds)
        return sql, raws[0]


def _check_unique_key(session: Session, internal: str, ref: FileRef, keys, where: str) -> None:
    """A joined file must hold one row per key, else the join would repeat rows unseen."""
    cols = ", ".join(quote(k) for k in keys)
    found = session.con.sql(
        f"SELECT {cols}, count(*) AS n FROM {internal} GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    dup = found[0] if found else None
    if dup:
        raise MappingError(
            _(
                "{where}: {file} has {n} rows for {key} {value}; a join needs one row per key",
                where=where,
                file=ref.path.name,
                n=dup[-1],
                key="+".join(keys),
                value=repr("+".join(str(v) for v in dup[:-1])),
            )
        )


def _read_forms(
    session: Session, branches: tuple[_Branch, ...], where: str, expect: frozenset[str]
) -> RawTable:
    compiled = [b.sql(session) for b in branches]
    query = "\nUNION ALL BY NAME\n".join(sql for sql, _raw in compiled)
    frame = session.run(query, where, files=False)
    rows = pd.to_numeric(frame.pop(ROW)).astype("int64")
    if len(branches) == 1 and rows.is_unique:
        # One row per row of the base file: rejects name that file and its row.
        base = compiled[0][1]
        frame.index = pd.Index(rows.to_numpy())
        return RawTable(base.path, frame, base.encoding, base.delimiter, base.broken_rows)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return RawTable(Path(f"{where}.union" if len(branches) > 1 else where), frame)
