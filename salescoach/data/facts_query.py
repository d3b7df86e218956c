"""Figures computed where the facts lie: DuckDB sums the month files of a snapshot, and only
one row per rep comes into memory (issue 23).

The definitions are the ones `actuals` and `monitoring.rep_results` use (a cancelled or returned
line is not revenue; a missing amount adds nothing); tests/test_facts_query.py holds the two
paths equal on the sample.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from salescoach.data import partitions
from salescoach.domain.actuals import NOT_REVENUE


def _month_files(snapshot: Path, name: str, start: pd.Timestamp, end: pd.Timestamp) -> list[Path]:
    """The files of table `name` that can hold rows dated between start and end: a month file
    outside the window is never opened."""
    single = snapshot / f"{name}.parquet"
    if single.is_file():
        return [single]
    first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
    return sorted(
        p
        for p in (snapshot / name).glob("*.parquet")
        if p.stem != partitions.NO_DATE and first <= p.stem <= last
    )


def rep_order_sums(
    snapshot: Path, roster: pd.Index, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Per rep of `roster`, revenue and units of the booked order lines dated start..end
    (inclusive), as `monitoring.rep_results` gives them; 0 for a rep without lines."""
    import duckdb

    out = pd.DataFrame({"revenue": 0.0, "units": 0.0}, index=roster)
    files = _month_files(snapshot, "orders", start, end)
    if not files:
        return out
    columns = set().union(*(pq.read_schema(f).names for f in files))
    value = _line_revenue(columns)
    booked = _booked(columns)
    sql = f"""
        SELECT rep_id, SUM({value}) AS revenue, SUM(quantity) AS units
        FROM read_parquet($files, union_by_name = true)
        WHERE order_date BETWEEN $start AND $end AND {booked}
        GROUP BY rep_id
    """
    with duckdb.connect() as con:
        sums = con.execute(
            sql,
            {
                "files": [str(f) for f in files],
                "start": pd.Timestamp(start).to_pydatetime(),
                "end": pd.Timestamp(end).to_pydatetime(),
            },
        ).df()
    sums = sums.set_index("rep_id").reindex(roster)
    return sums.fillna(0.0).astype("float64")[["revenue", "units"]]


def table_capabilities(snapshot: Path, name: str) -> set[str]:
    """`Capabilities.from_tables` for one stored table, from a scan of its files: the table
    when it has rows, each contract column holding a value, each recorded choice value."""
    import duckdb

    from salescoach.domain import contract
    from salescoach.domain.capabilities import _VALUE_COLUMNS

    files = _table_files(snapshot, name)
    if not files:
        return set()
    columns = set().union(*(pq.read_schema(f).names for f in files))
    wanted = [c for c in contract.table(name).names if c in columns]
    source = "read_parquet($files, union_by_name = true)"
    present: set[str] = set()
    with duckdb.connect() as con:
        params = {"files": [str(f) for f in files]}
        counts = con.execute(
            "SELECT count(*) AS n"
            + "".join(f', count("{c}") AS "c_{c}"' for c in wanted)
            + f" FROM {source}",
            params,
        ).fetchone()
        if not counts[0]:
            return present
        present.add(name)
        for c, n in zip(wanted, counts[1:]):
            if not n:
                continue
            present.add(f"{name}.{c}")
            if c in _VALUE_COLUMNS[name]:
                values = con.execute(
                    f'SELECT DISTINCT "{c}" FROM {source} WHERE "{c}" IS NOT NULL', params
                ).fetchall()
                present |= {f"{name}.{c}={v}" for (v,) in values}
    return present


def _booked(columns: set[str]) -> str:
    """`actuals._booked_orders` in SQL: a cancelled or returned line is not revenue."""
    if "status" not in columns:
        return "TRUE"
    return "(status IS NULL OR status NOT IN ({}))".format(", ".join(f"'{s}'" for s in NOT_REVENUE))


def _line_revenue(columns: set[str]) -> str:
    """`actuals.line_revenue` in SQL: the amount, else quantity times unit price."""
    if "amount" in columns and {"quantity", "unit_price"} <= columns:
        return "COALESCE(amount, quantity * unit_price)"
    return "amount" if "amount" in columns else "quantity * unit_price"


def _table_files(snapshot: Path, name: str) -> list[Path]:
    """Every file of table `name` (its one file, or its month files); none without the table."""
    single = snapshot / f"{name}.parquet"
    if single.is_file():
        return [single]
    folder = snapshot / name
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _hold(files: list[Path], columns: set[str]) -> bool:
    """Whether there are files and each has these columns (an odd snapshot is read as it is)."""
    return bool(files) and all(columns <= set(pq.read_schema(f).names) for f in files)


def daily_order_sums(snapshot: Path, metric: str, grain: str = "day") -> pd.DataFrame | None:
    """rep_id, date, value: revenue or units per rep and day of the booked order lines, as
    `actuals.events` defines them (a cancelled or returned line is not revenue; an amount
    missing on a line is its quantity times its unit price), summed where the lines lie.

    A few hundred thousand rows instead of a million order lines in the app's kernel. None
    when the snapshot has no order lines (the metric then comes from the deals, in pandas).
    With grain "month", one row per rep and month dated the month's first day: what sums to
    months, quarters and years (`actuals.per_period_of`), in a few thousand rows."""
    import duckdb

    if metric not in ("revenue", "units"):
        raise ValueError(f"{metric!r} is not summed from order lines; use revenue or units")
    if grain not in ("day", "month"):
        raise ValueError(f"grain {grain!r}: use day or month")
    files = _table_files(snapshot, "orders")
    if not files:
        return None
    columns = set().union(*(pq.read_schema(f).names for f in files))
    value = "quantity" if metric == "units" else _line_revenue(columns)
    booked = _booked(columns)
    day = "order_date" if grain == "day" else "date_trunc('month', order_date)"
    # A line without a rep or a date counts for nobody on no day, as pandas' grouping drops it.
    sql = f"""
        SELECT rep_id, CAST({day} AS TIMESTAMP) AS date, COALESCE(SUM({value}), 0) AS value
        FROM read_parquet($files, union_by_name = true)
        WHERE {booked} AND rep_id IS NOT NULL AND order_date IS NOT NULL
        GROUP BY rep_id, {day}
        ORDER BY rep_id, date
    """
    with duckdb.connect() as con:
        frame = con.execute(sql, {"files": [str(f) for f in files]}).df()
    frame["value"] = frame["value"].astype("float64")
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame


def rep_period_counts(
    snapshot: Path, name: str, column: str, periods: list[tuple[str, pd.Timestamp, pd.Timestamp]]
) -> dict[str, pd.Series] | None:
    """{label: rows of table `name` per rep dated start..end (inclusive)} for each (label,
    start, end), reps without a row in it absent, as a grouping of the loaded rows gives them;
    counted where the rows lie (a million activities never loaded). None without the table or
    those columns (the frames' own path then)."""
    import duckdb

    files = _table_files(snapshot, name)
    if not _hold(files, {"rep_id", column}):
        return None
    if not periods:
        return {}
    params: dict = {"files": [str(f) for f in files]}
    sums = []
    for i, (_label, start, end) in enumerate(periods):
        params[f"s{i}"] = pd.Timestamp(start).to_pydatetime()
        params[f"e{i}"] = pd.Timestamp(end).to_pydatetime()
        sums.append(f'count(*) FILTER (WHERE "{column}" BETWEEN $s{i} AND $e{i}) AS "p{i}"')
    sql = f"""
        SELECT rep_id, {", ".join(sums)}
        FROM read_parquet($files, union_by_name = true)
        WHERE rep_id IS NOT NULL AND "{column}" IS NOT NULL
        GROUP BY rep_id
        ORDER BY rep_id
    """
    with duckdb.connect() as con:
        frame = con.execute(sql, params).df().set_index("rep_id")
    out = {}
    for i, (label, _start, _end) in enumerate(periods):
        counts = frame[f"p{i}"].astype("int64")
        out[label] = counts[counts > 0].rename_axis("rep_id").rename(None)
    return out


def order_rep_ids(snapshot: Path) -> pd.Index | None:
    """The rep_ids named on any order line (`roles.selling`'s half from the orders), read as
    one column by DuckDB instead of loading the lines; None without order lines."""
    import duckdb

    files = _table_files(snapshot, "orders")
    if not _hold(files, {"rep_id"}):
        return None
    with duckdb.connect() as con:
        ids = con.execute(
            "SELECT DISTINCT rep_id FROM read_parquet($files, union_by_name = true)"
            " WHERE rep_id IS NOT NULL ORDER BY rep_id",
            {"files": [str(f) for f in files]},
        ).fetchall()
    return pd.Index([i for (i,) in ids], dtype=object)


def _stated_range(files: list[Path], column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The smallest and largest value of a date column as the files' row groups state them (no
    row read: a tenth of the memory and time of a scan, measured at scale 7), or None when a
    file lacks the column or its statistics (then the rows must be read)."""
    low = high = None
    for f in files:
        meta = pq.ParquetFile(f).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        if column not in names:
            return None
        index = names.index(column)
        for group in range(meta.num_row_groups):
            chunk = meta.row_group(group).column(index)
            stats = chunk.statistics
            if chunk.num_values == 0:
                continue
            if stats is None or not stats.has_min_max or stats.null_count == chunk.num_values:
                return None
            low = stats.min if low is None else min(low, stats.min)
            high = stats.max if high is None else max(high, stats.max)
    if low is None:
        return None
    return pd.Timestamp(low), pd.Timestamp(high)


def last_booked_date(snapshot: Path) -> pd.Timestamp | None:
    """The newest order date of a booked line (`actuals.events`' revenue: not cancelled or
    returned), by one DuckDB pass over two columns; None without order lines."""
    import duckdb

    files = _table_files(snapshot, "orders")
    if not _hold(files, {"order_date"}):
        return None
    columns = set().union(*(pq.read_schema(f).names for f in files))
    with duckdb.connect() as con:
        (last,) = con.execute(
            f"SELECT max(order_date) FROM read_parquet($files, union_by_name = true)"
            f" WHERE {_booked(columns)}",
            {"files": [str(f) for f in files]},
        ).fetchone()
    return None if last is None else pd.Timestamp(last)


def order_dates(snapshot: Path) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The oldest and newest order date of the snapshot, read without loading the lines."""
    return date_range(snapshot, "orders", "order_date")


def date_range(
    snapshot: Path, table: str, column: str
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The oldest and newest value of a date column of a table, read without loading its
    rows: from the files' statistics, else by one DuckDB pass over that column. (None, None)
    without the table, the column or any value."""
    import duckdb

    files = _table_files(snapshot, table)
    if not files or not any(column in pq.read_schema(f).names for f in files):
        return None, None
    stated = _stated_range(files, column)
    if stated is not None:
        return stated
    with duckdb.connect() as con:
        first, last = con.execute(
            f'SELECT min("{column}"), max("{column}") '
            "FROM read_parquet($files, union_by_name = true)",
            {"files": [str(f) for f in files]},
        ).fetchone()
    return (
        pd.Timestamp(first) if first is not None else None,
        pd.Timestamp(last) if last is not None else None,
    )


def rep_product_sums(snapshot: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    """rep_id, product_id, value: revenue of the booked order lines dated start..end per rep
    and product (`goals_history.family_table` makes the family mix of it); None without
    order lines."""
    import duckdb

    if not _table_files(snapshot, "orders"):
        return None
    files = _month_files(snapshot, "orders", start, end)
    out = pd.DataFrame({"rep_id": [], "product_id": [], "value": []})
    if not files:
        return out
    columns = set().union(*(pq.read_schema(f).names for f in files))
    if "product_id" not in columns:
        return out
    booked = _booked(columns)
    sql = f"""
        SELECT rep_id, product_id, COALESCE(SUM({_line_revenue(columns)}), 0) AS value
        FROM read_parquet($files, union_by_name = true)
        WHERE order_date BETWEEN $start AND $end AND {booked}
            AND rep_id IS NOT NULL AND product_id IS NOT NULL
        GROUP BY rep_id, product_id
    """
    with duckdb.connect() as con:
        frame = con.execute(
            sql,
            {
                "files": [str(f) for f in files],
                "start": pd.Timestamp(start).to_pydatetime(),
                "end": pd.Timestamp(end).to_pydatetime(),
            },
        ).df()
    frame["value"] = frame["value"].astype("float64")
    return frame
