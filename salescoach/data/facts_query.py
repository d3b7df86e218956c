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
    value = "amount" if "amount" in columns else "quantity * unit_price"
    booked = (
        "(status IS NULL OR status NOT IN ({}))".format(", ".join(f"'{s}'" for s in NOT_REVENUE))
        if "status" in columns
        else "TRUE"
    )
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

    single = snapshot / f"{name}.parquet"
    files = [single] if single.is_file() else sorted((snapshot / name).glob("*.parquet"))
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
