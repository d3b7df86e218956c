"""A mapped table built from several files: joins, constants, conditions and unions, turned into one
DuckDB query over the files (the forms a `tables:` entry may take besides a plain file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salescoach.data.mapping_session import (
    _READ_KEYS,
    ROW,
    FileRef,
    Session,
    quote,
    text_twin,
)
from salescoach.data.readers import RawTable
from salescoach.data.sources import MappingError
from salescoach.domain.contract import TABLES
from salescoach.i18n import _

_PLAIN_KEYS = {"file", "columns", "values", "date_format", "distinct", "decimal", *_READ_KEYS}


_FORM_KEYS = {"join", "const", "where", "union"}


_SOURCE_KEYS = _PLAIN_KEYS | _FORM_KEYS | {"query", "house_account", "scale"}


_BRANCH_KEYS = {"file", "columns", "join", "const", "where"}


# A `columns` value with none of these characters names a column; with one it may be a
# template ("{First} {Last}") or an expression ("review_score * 2").
_FORM_CHARS = re.compile(r"""[{}*/+%()'"<>=|-]""")


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
