"""Import and validation of about 1M order lines (sample organisation at scale 7).

Prints rows per second and peak memory for the real import path, the time to load the stored
facts back into pandas, and the ratio against the naive way (a row-by-row Python loop over
csv.DictReader, timed on a slice and scaled up). Figures only: nothing here is asserted.

    .venv/bin/python benchmarks/import_bench.py [--scale 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from salescoach.data.importer import validate_path
from salescoach.data.workbook import Workbook, init_workbook
folder, wb_dir = sys.argv[1], sys.argv[2]
init_workbook(wb_dir)
wb = Workbook.open(wb_dir)
marks = []
t0 = time.perf_counter()
result = validate_path(folder, progress=lambda table: marks.append((table, time.perf_counter())))
t1 = time.perf_counter()
marks.append(("end", t1))
per_table = {a[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}
wb.save_import(result, folder, "bench")
t2 = time.perf_counter()
facts = wb.facts()
orders = facts["orders"]
t3 = time.perf_counter()
print(json.dumps({
    "validate_s": t1 - t0, "orders_s": per_table["orders"], "store_s": t2 - t1, "load_orders_s": t3 - t2,
    "rows": sum(c.read for c in result.counts),
    "order_lines": next(c.read for c in result.counts if c.table == "orders"),
    "rejected": sum(c.rejected for c in result.counts),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def naive_rows_per_second(
    orders_csv: Path, known_reps: set, known_products: set, limit: int = 100_000
) -> float:
    """What a hand-written loop does: parse and check each row in Python."""
    from datetime import date

    t0 = time.perf_counter()
    n = 0
    bad = []
    with open(orders_csv, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            reasons = []
            try:
                d = date.fromisoformat(row["order_date"])
            except ValueError:
                reasons.append("order_date")
                d = None
            for col in ("quantity", "unit_price", "discount"):
                try:
                    if row.get(col) and float(row[col]) < 0:
                        reasons.append(col)
                except ValueError:
                    reasons.append(col)
            if row["rep_id"] not in known_reps:
                reasons.append("rep_id")
            if row["product_id"] not in known_products:
                reasons.append("product_id")
            for col in ("shipped_date", "delivered_date"):
                if row.get(col) and d and date.fromisoformat(row[col]) < d:
                    reasons.append(col)
            if reasons:
                bad.append((i, reasons))
            n += 1
            if n >= limit:
                break
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from salescoach.data.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        t0 = time.perf_counter()
        sample = write_sample(folder, seed=args.seed, scale=args.scale)
        print(
            f"sample at scale {args.scale:g}: {len(sample.tables['orders']):,} order lines, "
            f"{len(sample.tables['reps']):,} reps, written as CSV in {time.perf_counter() - t0:.1f} s"
        )
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), str(Path(tmp) / "wb")],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        total = r["validate_s"] + r["store_s"]
        print(
            f"import (read, parse, validate all tables, cross-checks): {r['rows']:,} rows in {r['validate_s']:.1f} s "
            f"= {r['rows'] / r['validate_s']:,.0f} rows/s; order lines {r['order_lines']:,}; rejected {r['rejected']:,}"
        )
        print(
            f"store as a Parquet snapshot: {r['store_s']:.1f} s; import total {total:.1f} s (goal < 30 s)"
        )
        print(f"peak memory of the import process: {r['peak_rss_mb']:,.0f} MB (goal < 3 GB)")
        print(
            f"load 1M-line orders back into pandas: {r['load_orders_s']:.2f} s (goal well under 1 s)"
        )
        reps = set(sample.tables["reps"]["rep_id"])
        products = set(sample.tables["products"]["product_id"])
        naive = naive_rows_per_second(folder / "orders.csv", reps, products)
        ours = r["order_lines"] / r["orders_s"]
        print(
            f"orders alone: {r['order_lines']:,} lines in {r['orders_s']:.1f} s = {ours:,.0f} rows/s"
            " (typed frame, every check, rejects with reasons)"
        )
        print(
            f"naive row-by-row loop on orders (csv.DictReader, fewer checks, 100k-row slice): {naive:,.0f} rows/s"
        )
        print(f"ratio: {ours / naive:.1f}x the naive loop")


if __name__ == "__main__":
    main()
