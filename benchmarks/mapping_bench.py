"""Import of order lines through a mapping that joins two files, beside a plain-file import.

An ERP export keeps the seller and the order date on the order header and the product,
quantity and price on the lines. The same 1M order lines are imported three ways, each in a
fresh process, and validated end to end (parse, schema, duplicates, references to reps):

- plain: one `orders.csv` already in the contract's layout (the baseline);
- sql: `files:` + a `query:` joining lines to headers in DuckDB;
- join: the declarative `join:` form of the same mapping.

Prints seconds and rows per second for each. Figures only: nothing here is asserted.

    .venv/bin/python benchmarks/mapping_bench.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import json, resource, sys, time
from salescoach.data.importer import validate_path
t0 = time.perf_counter()
result = validate_path(sys.argv[1])
t1 = time.perf_counter()
orders = next(c for c in result.counts if c.table == "orders")
print(json.dumps({"seconds": t1 - t0, "stored": orders.stored, "rejected": orders.rejected,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

SQL = """files:
  lines: order_lines.csv
  headers: order_headers.csv
tables:
  reps: {file: reps.csv}
  orders:
    query: |
      SELECT l.order_no AS order_id, l.line_no AS line, h.seller AS rep_id, l.sku AS product_id,
             h.order_date, l.qty AS quantity, l.price AS unit_price
      FROM lines l JOIN headers h USING (order_no)
"""

JOIN = """files:
  lines: order_lines.csv
  headers: order_headers.csv
tables:
  reps: {file: reps.csv}
  orders:
    file: lines
    join: {file: headers, on: order_no}
    columns: {order_id: order_no, line: line_no, rep_id: seller, product_id: sku,
              order_date: order_date, quantity: qty, unit_price: price}
"""


def build(folder: Path, lines: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    n_orders = max(1, lines // 4)
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i:03d}" for i in range(400)],
            "name": [f"Rep {i}" for i in range(400)],
            "team": [f"T{i % 40}" for i in range(400)],
            "department": [f"D{i % 8}" for i in range(400)],
        }
    )
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n_orders), "D")
    headers = pd.DataFrame(
        {
            "order_no": [f"SO{i:07d}" for i in range(n_orders)],
            "seller": reps["rep_id"].to_numpy()[rng.integers(0, len(reps), n_orders)],
            "order_date": days.strftime("%Y-%m-%d"),
        }
    )
    order = np.sort(rng.integers(0, n_orders, lines))
    line_no = pd.Series(order).groupby(order).cumcount().to_numpy() + 1
    body = pd.DataFrame(
        {
            "order_no": headers["order_no"].to_numpy()[order],
            "line_no": line_no,
            "sku": [f"P{i:04d}" for i in rng.integers(0, 2000, lines)],
            "qty": rng.integers(1, 20, lines),
            "price": np.round(rng.uniform(5, 500, lines), 2),
        }
    )
    for name in ("plain", "mapped"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        reps.to_csv(folder / name / "reps.csv", index=False)
    body.to_csv(folder / "mapped" / "order_lines.csv", index=False)
    headers.to_csv(folder / "mapped" / "order_headers.csv", index=False)
    (folder / "mapped" / "sql.yaml").write_text(SQL, encoding="utf-8")
    (folder / "mapped" / "join.yaml").write_text(JOIN, encoding="utf-8")
    plain = body.merge(headers, on="order_no").rename(
        columns={
            "order_no": "order_id",
            "line_no": "line",
            "seller": "rep_id",
            "sku": "product_id",
            "qty": "quantity",
            "price": "unit_price",
        }
    )
    plain.to_csv(folder / "plain" / "orders.csv", index=False)


def run(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        build(folder, args.lines)
        print(f"built {args.lines:,} order lines in {time.perf_counter() - t0:.1f} s")
        for label, path in (
            ("plain orders.csv", folder / "plain"),
            ("sql query (join)", folder / "mapped" / "sql.yaml"),
            ("declarative join", folder / "mapped" / "join.yaml"),
        ):
            r = run(path)
            print(
                f"{label:<18} {r['seconds']:6.1f} s  {r['stored'] / r['seconds']:>10,.0f} rows/s"
                f"  stored {r['stored']:,}  rejected {r['rejected']:,}  peak {r['peak_mb']:,.0f} MB"
            )


if __name__ == "__main__":
    main()
