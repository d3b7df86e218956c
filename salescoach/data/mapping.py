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
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from salescoach.data.mapping_forms import (
    _FORM_CHARS,
    _FORM_KEYS,
    _SOURCE_KEYS,
    _Branch,
    _check_columns,
    _file_ref,
    _read_forms,
)
from salescoach.data.mapping_session import (
    _READ_KEYS,
    ROW as ROW,
    FileRef as FileRef,
    Session as Session,
    quote as quote,
    text_twin as text_twin,
    typed_table as typed_table,
)
from salescoach.data.readers import RawTable
from salescoach.data.sources import MappingError, TableSource
from salescoach.domain.contract import TABLES
from salescoach.i18n import _

_SCALES = {"0-10": (0.0, 10.0), "1-5": (1.0, 5.0), "1-10": (1.0, 10.0), "0-5": (0.0, 5.0)}
_TOP_KEYS = {"files", "tables", "house_account"}


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
