"""How a snapshot stores its tables: fact tables split by month, dimensions in one file.

    <snapshot>/orders/2026-07.parquet    a fact table: one file per month of its date
    <snapshot>/orders/none.parquet       rows without that date
    <snapshot>/reps.parquet              a dimension: one file

A month's file is written once; a later snapshot that leaves the month alone hard-links it, so
appending a month of orders writes that month (and the months whose rows changed), not the
whole history. Each row carries its position in the table (`__row`), so the table reads back
in the order it was imported, and appended rows come after.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salescoach.domain import contract

ROW = "__row"
NO_DATE = "none"
# The date a fact row is filed under: the first of these that holds a value.
PARTITION_BY: dict[str, tuple[str, ...]] = {
    "orders": ("order_date",),
    "deals": ("created_date", "close_date"),
    "service": ("opened_date",),
    "feedback": ("date",),
    "activities": ("date",),
    "training": ("completed_date",),
}


@dataclass(frozen=True)
class AppendCount:
    """What an appended file did to one table."""

    table: str
    appended: int
    updated: int
    unchanged: int  # already imported, identical


def exists(folder: Path, name: str) -> bool:
    return (folder / f"{name}.parquet").is_file() or (folder / name).is_dir()


def read(
    folder: Path, name: str, keep_row: bool = False, months: tuple[str, str] | None = None
) -> pd.DataFrame | None:
    """One table of a snapshot in its import order; None when the snapshot has none.

    `months` ('2026-07', '2026-09'): only the rows filed under those months and the months
    between (a fact table's; a table in one file is read whole); no row, with the table's
    columns, when none is filed there."""
    single = folder / f"{name}.parquet"
    if single.is_file():
        return pd.read_parquet(single)
    every = sorted((folder / name).glob("*.parquet")) if (folder / name).is_dir() else []
    if not every:
        return None
    parts = every
    if months is not None:
        first, last = months
        parts = [p for p in every if p.stem != NO_DATE and first <= p.stem <= last]
    if parts:
        frame = _read_months(parts)
    else:
        frame = pq.read_schema(every[0]).empty_table().to_pandas()
    order = frame[ROW].to_numpy()
    if len(order) and not (np.diff(order) > 0).all():
        frame = frame.iloc[np.argsort(order, kind="stable")]
    if not keep_row:
        frame = frame.drop(columns=ROW)
    return frame.reset_index(drop=True)


def _read_months(parts: list[Path]) -> pd.DataFrame:
    """The month files of a table as one frame.

    Read with the system's allocator: Arrow's own keeps what the month files and their
    conversion free for its next allocations, so the memory a table was read with stays taken
    (scale 7's facts: 490 MB held, 360 MB so; `diagnose` 985 MB peak, 823 MB so, in the same
    time; at scale 70 it peaked above the 8 GB the issue allows). Only for reading: parsing an
    import's CSV does better with Arrow's own (scale 7: 896 MB against 959 MB). Two threads
    reading at once may leave the system's in place: every buffer frees to the allocator it came
    from, so that changes only which one later buffers use."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        # A month whose column was all missing stores it as null; promotion reads it as the
        # type the other months give it.
        table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
        return table.to_pandas()
    finally:
        pa.set_memory_pool(previous)


def periods(name: str, frame: pd.DataFrame) -> pd.Series:
    """The month each row is filed under ('2026-07'), or 'none' without a date."""
    date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for column in PARTITION_BY[name]:
        if column in frame:
            date = date.fillna(pd.to_datetime(frame[column], errors="coerce"))
    month = (date.dt.year * 100 + date.dt.month).fillna(0).astype("int64")
    labels = {m: (f"{m // 100:04d}-{m % 100:02d}" if m else NO_DATE) for m in month.unique()}
    return month.map(labels)


def link(source: Path, target: Path) -> None:
    """A snapshot's files never change once written, so a later one shares them."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def carry_over(previous: Path, folder: Path, name: str) -> None:
    if (previous / f"{name}.parquet").is_file():
        link(previous / f"{name}.parquet", folder / f"{name}.parquet")
    elif (previous / name).is_dir():
        shutil.copytree(previous / name, folder / name, copy_function=link)


def write(
    folder: Path,
    name: str,
    frame: pd.DataFrame,
    previous: Path | None = None,
    touched: set[str] | None = None,
) -> None:
    """Store `frame` (with `__row`, or numbered here) as table `name` of `folder`.

    With `previous` and `touched`, only the months in `touched` are written; the others are
    linked from `previous`, whose files for those months hold the same rows."""
    if ROW not in frame:
        frame = frame.assign(**{ROW: np.arange(len(frame), dtype="int64")})
    if name not in PARTITION_BY:
        frame.drop(columns=ROW).to_parquet(folder / f"{name}.parquet", index=False)
        return
    target = folder / name
    target.mkdir()
    month = periods(name, frame)
    write_months = set(month.unique()) if touched is None else set(touched)
    if touched is not None and previous is not None and (previous / name).is_dir():
        for part in (previous / name).glob("*.parquet"):
            if part.stem not in write_months:
                link(part, target / part.name)
    chosen = month.isin(write_months).to_numpy()
    if not chosen.any():
        return
    rows = frame[chosen]
    table = pa.Table.from_pandas(rows, preserve_index=False)
    labels = month[chosen].to_numpy()
    # Rows already in month order (an export sorted by date) are sliced as they are: the
    # stable sort would give the same order, and its take is a copy of the whole table.
    if len(labels) > 1 and not (labels[1:] >= labels[:-1]).all():
        order = np.argsort(labels, kind="stable")
        table, labels = table.take(order), labels[order]
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], len(labels)]
    for start, end in zip(starts, ends):
        pq.write_table(table.slice(start, end - start), target / f"{labels[start]}.parquet")


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row by row, equal values or both missing."""
    try:
        eq = (a == b).fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        eq = (a.astype(str) == b.astype(str)).to_numpy(dtype=bool)
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    return pd.Index(frame[key[0]]) if len(key) == 1 else pd.MultiIndex.from_frame(frame[key])


def read_touched(folder: Path, name: str, new: pd.DataFrame) -> tuple[pd.DataFrame, int] | None:
    """For an append: the stored months of table `name` that the file `new` can change (those
    holding one of its keys, and the months its rows are dated in), with `__row`, and the next
    free row number. Only the key columns of the other months are read. None when the table is
    not stored by month: then it is read whole."""
    if name not in PARTITION_BY or not (folder / name).is_dir():
        return None
    parts = sorted((folder / name).glob("*.parquet"))
    if not parts or ROW not in pq.read_schema(parts[0]).names:
        return None
    new = contract.conform(name, new).reset_index(drop=True)
    key = [c for c in contract.table(name).key if c in new]
    wanted = _key_index(new, key)
    months = set(periods(name, new))
    top = -1
    for part in parts:
        names = pq.read_schema(part).names
        keys = pq.read_table(part, columns=[c for c in key if c in names] + [ROW]).to_pandas()
        if len(keys):
            top = max(top, int(keys[ROW].max()))
        for c in key:
            if c not in keys:
                keys[c] = pd.Series(pd.NA, index=keys.index, dtype="object")
        if part.stem not in months and _key_index(keys, key).isin(wanted).any():
            months.add(part.stem)
    chosen = [folder / name / f"{m}.parquet" for m in sorted(months)]
    chosen = [c for c in chosen if c.is_file()]
    if chosen:
        table = pa.concat_tables([pq.read_table(c) for c in chosen], promote_options="permissive")
        old = table.to_pandas().sort_values(ROW, kind="stable").reset_index(drop=True)
    else:
        old = pq.read_table(parts[0]).schema.empty_table().to_pandas()
    return old, top + 1


def merge(
    name: str, old: pd.DataFrame, new: pd.DataFrame, next_row: int | None = None
) -> tuple[pd.DataFrame, AppendCount, set]:
    """The stored table `old` (with `__row`) and an appended file's good rows `new`, by key.

    A row whose key is stored and whose values are the same is left alone; one whose values
    differ replaces the stored row in its place; a new key is added at the end (numbered from
    `next_row` when `old` is only the months `read_touched` chose). Returns the merged table,
    the counts and the months (of fact tables) whose rows changed."""
    spec = contract.table(name)
    old = contract.conform(name, old)
    new = contract.conform(name, new).reset_index(drop=True)
    columns = [c for c in dict.fromkeys([*old.columns, *new.columns]) if c != ROW]
    for frame in (old, new):
        for c in columns:
            if c not in frame:
                frame[c] = pd.Series(pd.NA, index=frame.index, dtype="object")
    key = [c for c in spec.key if c in new]

    def index_of(frame: pd.DataFrame) -> pd.Index:
        return pd.Index(frame[key[0]]) if len(key) == 1 else pd.MultiIndex.from_frame(frame[key])

    pos = index_of(old).get_indexer(index_of(new))
    found = pos >= 0
    same = np.ones(int(found.sum()), dtype=bool)
    stored_rows = old.iloc[pos[found]].reset_index(drop=True)
    given_rows = new[found].reset_index(drop=True)
    for c in columns:
        same &= _same(stored_rows[c], given_rows[c])
    changed_pos = pos[found][~same]
    changed = new[found][~same].assign(**{ROW: old[ROW].to_numpy()[changed_pos]})
    start = next_row if next_row is not None else (int(old[ROW].max()) + 1 if len(old) else 0)
    added = new[~found]
    added = added.assign(**{ROW: np.arange(start, start + len(added), dtype="int64")})
    kept = old.drop(index=old.index[changed_pos])
    merged = pd.concat([kept, changed, added], ignore_index=True)
    merged = merged.sort_values(ROW, kind="stable").reset_index(drop=True)
    touched: set[str] = set()
    if name in PARTITION_BY:
        touched = (
            set(periods(name, changed))
            | set(periods(name, old.iloc[changed_pos]))
            | set(periods(name, added))
        )
    count = AppendCount(name, len(added), len(changed), int(same.sum()))
    return merged, count, touched
