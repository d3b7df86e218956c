"""Import a data folder or a mapped CRM export: parse, validate, and split good rows from rejects.

Nothing is dropped silently. Every row read is either stored, merged into an identical row
(`distinct: true` dimensions read from fact files), or rejected with the file, row, column,
value and reason. For every table: read = stored + merged + rejected.

The flow per table is: read raw strings -> rename columns by the mapping -> translate codes ->
parse each column by its kind -> pandera schema (lazy, every failure collected) -> rules across
rows (duplicates, date order) -> references to the other tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salescoach.data.import_checks import (
    _ORDER_FILLS,
    _PRICE_FROM_LIST,
    _check_duplicates,
    _check_references,
    _check_rep,
    _check_rows,
    _check_schema,
    _derive_order_amounts,
    _fill_from_orders,
    _merge_identical,
    _rescale,
    _Work,
)
from salescoach.data.parsing import (
    _kind_reason,
    parse_column as parse_column,
)
from salescoach.data.readers import READABLE_SUFFIXES, RawTable, SourceError, read_raw
from salescoach.data.sources import MappingError, TableSource, _as_text
from salescoach.domain import contract
from salescoach.domain.contract import DATE, TABLES
from salescoach.i18n import _, _n

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason"]


@dataclass(frozen=True)
class TableCount:
    table: str
    file: str
    read: int
    stored: int
    merged: int
    rejected: int
    encoding: str | None = None


@dataclass(frozen=True)
class ImportResult:
    tables: dict[str, pd.DataFrame]
    counts: tuple[TableCount, ...]
    rejects: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """The minimum the kit needs: reps and one of orders/deals with rows."""
        have = {name for name, frame in self.tables.items() if len(frame)}
        return set(contract.REQUIRED_TABLES) <= have and bool(
            have & set(contract.REQUIRED_ONE_OF_TABLES)
        )

    def counts_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.counts])


# --------------------------------------------------------------------------- sources


def folder_sources(folder: Path | str) -> list[TableSource]:
    """A data folder in the contract's layout: one file per table, named after it."""
    folder = Path(folder)
    sources = []
    for name in contract.TABLE_ORDER:
        found = [
            folder / f"{name}{s}" for s in READABLE_SUFFIXES if (folder / f"{name}{s}").exists()
        ]
        if len(found) > 1:
            raise MappingError(
                _(
                    "{folder}: more than one file for {name}: {values}",
                    folder=folder,
                    name=name,
                    values=", ".join(p.name for p in found),
                )
            )
        if found:
            sources.append(TableSource(table=name, file=found[0]))
    if not sources:
        raise MappingError(
            _(
                "{folder}: no contract tables found (expected files such as reps.csv, deals.csv, orders.csv)",
                folder=folder,
            )
        )
    return sources


def sources_for(path: Path | str) -> list[TableSource]:
    path = Path(path)
    if path.is_dir():
        return folder_sources(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        from salescoach.data.mapping import load_mapping

        return load_mapping(path)
    if not path.exists():
        raise MappingError(_("{path}: no such file or folder", path=path))
    raise MappingError(_("{name}: expected a data folder or a mapping .yaml", name=path.name))


# --------------------------------------------------------------------------- parsing


# --------------------------------------------------------------------------- validation


def _from_order(table: str, column: str, given) -> bool:
    return column in _ORDER_FILLS.get(table, ()) and "order_id" in given


def _rename(raw: RawTable, source: TableSource) -> pd.DataFrame:
    t = TABLES[source.table]
    frame = raw.frame
    if source.columns is None:
        mapping = {c: c for c in t.names if c in frame.columns}
        missing = [
            c for c in t.required if c not in frame.columns and not _from_order(t.name, c, frame)
        ]
        if missing:
            raise MappingError(
                _(
                    "{name}: required column {missing} of {name2} not found; the file's columns are: {values}",
                    name=raw.path.name,
                    missing=repr(missing[0]),
                    name2=t.name,
                    values=", ".join(map(str, frame.columns)),
                )
            )
    else:
        mapping = dict(source.columns)
        for canonical, src in mapping.items():
            if src not in frame.columns:
                raise MappingError(
                    _(
                        "{name}: column {src} (mapped to {name2}.{canonical}) not found; the file's columns are: {values}",
                        name=raw.path.name,
                        src=repr(src),
                        name2=t.name,
                        canonical=canonical,
                        values=", ".join(map(str, frame.columns)),
                    )
                )
        missing = [
            c for c in t.required if c not in mapping and not _from_order(t.name, c, mapping)
        ]
        if missing:
            raise MappingError(
                _(
                    "{name}: the mapping gives no column for {name2}.{missing}, which is required",
                    name=raw.path.name,
                    name2=t.name,
                    missing=missing[0],
                )
            )
    for group in t.one_of:
        if not any(c in mapping for c in group) and not _PRICE_FROM_LIST <= set(mapping):
            raise MappingError(
                _(
                    "{name}: {name2} needs a column for one of {values}",
                    name=raw.path.name,
                    name2=t.name,
                    values=", ".join(group),
                )
            )
    # One source column may feed several canonical ones, so build column by column.
    return pd.DataFrame(
        {canonical: frame[src] for canonical, src in mapping.items()}, index=frame.index
    )


def _translate_values(raw: pd.DataFrame, source: TableSource) -> pd.DataFrame:
    if not source.values:
        return raw
    out = raw.copy()
    for column, codes in source.values.items():
        if column not in out.columns:
            raise MappingError(
                _(
                    "{name}: `values` names {column}, which is not mapped",
                    name=source.file.name if source.read is None else source.table,
                    column=repr(column),
                )
            )
        text = _as_text(out[column])
        out[column] = text.map(lambda v, codes=codes: codes.get(v, v) if isinstance(v, str) else v)
    return out


def _parse(work: _Work) -> None:
    spec, src = work.spec, work.source
    parsed = {}
    for name in work.raw.columns:
        col = spec.by_name[name]
        values = parse_column(
            work.raw[name],
            col.kind,
            date_format=src.date_format_for(name),
            decimal=src.decimal,
            choices=col.choices,
        )
        reason = _kind_reason(col.kind)
        if reason:
            had_value = _as_text(work.raw[name]).notna()
            bad = had_value & values.isna()
            if bad.any():
                if col.kind == DATE:
                    fmt = src.date_format_for(name)
                    fmt = ", ".join(fmt) if isinstance(fmt, (list, tuple)) else fmt
                    reason = _("not a date (expected {format})", format=fmt or "YYYY-MM-DD")
                work.fail(bad, name, reason)
        parsed[name] = values
    frame = pd.DataFrame(parsed, index=work.raw.index)
    for col in spec.columns:
        if col.default is not None:
            frame[col.name] = (
                frame[col.name].fillna(col.default) if col.name in frame else col.default
            )
    if spec.name == "orders":
        if "line" not in frame:
            # Exports without line numbers: lines of one order are numbered in file order.
            frame["line"] = frame.groupby("order_id", sort=False).cumcount().astype("float64") + 1
    work.frame = frame


def _rejects_frame(work: _Work) -> pd.DataFrame:
    if not work.failures:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    f = pd.concat(work.failures, ignore_index=True).drop_duplicates(["row", "column"], keep="first")
    raw_values = []
    for column, group in f.groupby("column", sort=False):
        raw = work.raw[column] if column in work.raw else pd.Series(pd.NA, index=work.raw.index)
        vals = raw.reindex(group["row"]).astype("object").to_numpy()
        raw_values.append(pd.Series(vals, index=group.index))
    f["value"] = (
        pd.concat(raw_values)
        .reindex(f.index)
        .map(
            lambda v: (
                "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
        )
    )
    f["table"] = work.spec.name
    f["file"] = work.shown
    return f.sort_values(["row", "column"])[REJECT_COLUMNS]


def validate_sources(
    sources: list[TableSource],
    existing: Mapping[str, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read, parse and validate every source; `existing` tables stand in for those not imported."""
    existing = dict(existing or {})
    by_table = {}
    for src in sources:
        if src.table in by_table:
            raise MappingError(
                _("{name}: {table} is given twice", name=src.file.name, table=src.table)
            )
        by_table[src.table] = src
    stored: dict[str, pd.DataFrame] = {k: v for k, v in existing.items() if k not in by_table}
    rejected_keys: dict[str, dict] = {}
    counts, rejects, notes = [], [], []
    for name in contract.TABLE_ORDER:
        src = by_table.get(name)
        if src is None:
            continue
        if progress:
            progress(name)
        expect = (
            frozenset(src.columns.values()) if src.columns else frozenset(TABLES[name].required)
        )
        try:
            raw = (
                src.read(expect)
                if src.read is not None
                else read_raw(
                    src.file,
                    expect=expect,
                    encoding=src.encoding,
                    delimiter=src.delimiter,
                    sheet=src.sheet,
                    header_row=src.header_row,
                )
            )
        except SourceError as exc:
            raise MappingError(str(exc)) from None
        renamed = _translate_values(_rename(raw, src), src)
        shown = raw.path.name
        work = _Work(src, renamed, renamed, encoding=raw.encoding, shown=shown)
        _parse(work)
        _merge_identical(work)
        _check_rep(work, stored)
        _fill_from_orders(work, stored)
        _rescale(work)
        _check_schema(work)
        _check_rows(work)
        _check_duplicates(work)
        notes += _check_references(work, stored, rejected_keys)
        bad_rows = work.rejected_rows()
        good = work.frame.drop(index=bad_rows)
        if name == "orders":
            # Derived after validation so that a reason names the value the user wrote. No
            # copy first: pandas copies on write, so the two columns set are copied, not all
            # of them (scale 70: 2 GB of order lines).
            _derive_order_amounts(good)
        key_col = work.spec.key[0]
        if len(work.spec.key) == 1 and len(bad_rows):
            # Children naming a rejected parent get told where the parent went.
            bad = work.frame.loc[bad_rows, key_col].dropna()
            bad = bad[~bad.isin(good[key_col])]
            rejected_keys[name] = {k: f"{shown} row {r}" for r, k in bad.items()}
        stored[name] = good.reset_index(drop=True)
        if name == "targets":
            notes += _zero_targets(good, src.file.name)
        table_rejects = _rejects_frame(work)
        if raw.broken_rows:
            broken = pd.DataFrame(raw.broken_rows, columns=["row", "value", "reason"])
            broken = broken.assign(table=name, file=shown, column="(whole row)")
            table_rejects = pd.concat([broken[REJECT_COLUMNS], table_rejects], ignore_index=True)
        rejects.append(table_rejects)
        counts.append(
            TableCount(
                name,
                shown,
                raw.rows_read,
                len(good),
                work.merged,
                len(bad_rows) + len(raw.broken_rows),
                raw.encoding,
            )
        )
        ignored = [
            c for c in raw.frame.columns if src.columns is None and c not in work.spec.by_name
        ]
        if ignored:
            notes.append(
                f"{shown}: columns not in the contract, not imported: {', '.join(ignored)}"
            )
    all_rejects = (
        pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    return ImportResult(stored, tuple(counts), all_rejects, tuple(notes))


def _zero_targets(targets: pd.DataFrame, file: str) -> list[str]:
    """A target of 0 is stored, but said: it counts as no goal (no attainment, rank or peer
    figure), which is seldom what a 0 in a spreadsheet meant."""
    zero = targets[pd.to_numeric(targets["target"], errors="coerce").eq(0)]
    if zero.empty:
        return []
    rows = ", ".join(str(r) for r in zero.index[:10]) + (" …" if len(zero) > 10 else "")
    return [
        _n(
            "{file}: {n} target of 0 (row {rows}) counts as no goal: left out of attainment,"
            " ranks and peer figures",
            "{file}: {n} targets of 0 (rows {rows}) count as no goal: left out of attainment,"
            " ranks and peer figures",
            len(zero),
            file=file,
            n=len(zero),
            rows=rows,
        )
    ]


def validate_path(path: Path | str, existing=None, progress=None) -> ImportResult:
    """Validate a data folder or a mapping YAML."""
    return validate_sources(sources_for(path), existing, progress)
