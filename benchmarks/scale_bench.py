"""Time and peak memory of each step of the cycle as the data grows (issue 23).

Per scale (1 = about 60 reps and 150k order lines, 7 = about 450 reps and 1M, 70 = about
4,500 reps and 10M), in a fresh temporary workbook, each step runs in its own process so its
peak resident memory (`wait4`'s ru_maxrss) is its own:

    demo       salescoach demo --no-packs --scale X (builds the sample and imports it)
    import     salescoach import of the same folder again (a full re-import)
    append     salescoach import --append of the same folder (every row already imported)
    metrics    load the facts and compute monitoring.rep_results for every rep, whole history
    rev-pandas revenue and units per rep, whole history: orders loaded, summed in pandas
    rev-duckdb the same figures summed by DuckDB over the orders' month files
    diagnose   salescoach diagnose (last complete quarter)
    goals      salescoach goals suggest --period 2026-Q4
    awards     salescoach awards propose --period 2026-Q3 --dry-run

Seconds on a core (user + system, from the same `wait4`) are printed beside the wall clock:
on a shared machine they are the steadier figure. The load average (1 min) is printed beside each figure: on a shared machine it says how much
of the time was waiting for a core. With two scales the growth ratio from the smallest to the
largest is printed, and `--extrapolate 70` prints the figures a power law through those two
points gives at scale 70, marked as extrapolated. Figures only; nothing is asserted.

    .venv/bin/python benchmarks/scale_bench.py [--scales 1,7] [--extrapolate 70] [--json out.json]
    .venv/bin/python benchmarks/scale_bench.py --scales 7 --workbook WB --only diagnose,goals
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

METRICS = r"""
import json, sys, time
t0 = time.perf_counter()
from salescoach.domain import monitoring
from salescoach.data.workbook import Workbook
facts = Workbook.open(sys.argv[1]).facts()
tables = facts.all()
t1 = time.perf_counter()
orders = tables["orders"]
sums = monitoring.rep_results(tables, orders["order_date"].min(), orders["order_date"].max())
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "compute_s": t2 - t1, "reps": len(sums)}))
"""


# Revenue and units per rep over the whole history, the two ways: pandas loads the orders and
# sums them; DuckDB sums the month files and returns one row per rep.
REVENUE = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from salescoach.domain import monitoring
from salescoach.data.facts_query import rep_order_sums
from salescoach.data.workbook import Workbook
facts = Workbook.open(sys.argv[1]).facts()
roster = pd.Index(facts["reps"]["rep_id"], name="rep_id")
start, end = pd.Timestamp("2000-01-01"), pd.Timestamp("2100-01-01")
t1 = time.perf_counter()
if sys.argv[2] == "duckdb":
    sums = rep_order_sums(facts.folder, roster, start, end)
else:
    tables = {"reps": facts["reps"], "orders": facts["orders"]}
    sums = monitoring.rep_results(tables, start, end)[["revenue", "units"]]
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "compute_s": t2 - t1, "reps": len(sums)}))
"""


def steps(wb: Path, scale: float) -> list[tuple[str, list[str]]]:
    cli = [str(BIN / "salescoach"), "--workbook", str(wb)]
    sample = str(wb / "salescoach-data" / "sample")
    return [
        ("demo", [*cli, "demo", "--no-packs", "--scale", str(scale)]),
        ("import", [*cli, "import", sample]),
        ("append", [*cli, "import", "--append", sample]),
        ("metrics", [sys.executable, "-c", METRICS, str(wb)]),
        ("rev-pandas", [sys.executable, "-c", REVENUE, str(wb), "pandas"]),
        ("rev-duckdb", [sys.executable, "-c", REVENUE, str(wb), "duckdb"]),
        ("diagnose", [*cli, "diagnose"]),
        ("goals", [*cli, "goals", "suggest", "--period", "2026-Q4"]),
        ("awards", [*cli, "awards", "propose", "--period", "2026-Q3", "--dry-run"]),
    ]


def run_child(argv: list[str]) -> dict:
    """Wall seconds, peak RSS (MB) and exit code of one step, reaped with wait4: its own
    rusage (RUSAGE_CHILDREN would be the maximum over every step so far)."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "seconds": seconds,
            # Seconds on a core: on a shared machine the wall clock is mostly waiting for one.
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024,
            "rc": proc.returncode,
            "load": (load + os.getloadavg()[0]) / 2,
            "out": out.read()[-3000:],
            "err": err.read()[-3000:],
        }


def bench_scale(
    scale: float, only: set[str] | None, keep: Path | None, workbook: Path | None = None
) -> dict[str, dict]:
    results = {}
    with tempfile.TemporaryDirectory(prefix=f"scale{scale:g}-", dir=keep) as tmp:
        wb = workbook or Path(tmp) / "wb"
        for name, argv in steps(wb, scale):
            if workbook is not None and name == "demo":
                continue  # a workbook built already (by a demo of that scale)
            if only and name not in only and name != "demo":
                continue
            r = run_child(argv)
            if name in ("metrics", "rev-pandas", "rev-duckdb") and r["rc"] == 0:
                r.update(json.loads(r["out"].strip().splitlines()[-1]))
            results[name] = r
            extra = ""
            if "compute_s" in r:
                extra = f"  (load {r['load_s']:.1f} s, compute {r['compute_s']:.2f} s)"
            flag = "" if r["rc"] == 0 else f"  FAILED rc={r['rc']}: {r['err'].strip()[-300:]}"
            print(
                f"  scale {scale:g} {name:<10} {r['seconds']:8.1f} s {r['cpu_s']:8.1f} cpu s"
                f" {r['peak_mb']:8.0f} MB"
                f"   load avg {r['load']:.1f}{extra}{flag}",
                flush=True,
            )
    return results


def table(results: dict[float, dict[str, dict]], extrapolate: float | None) -> str:
    scales = sorted(results)
    lo, hi = scales[0], scales[-1]
    lines = [
        f"{'step':<10} {'scale':>6} {'seconds':>9} {'cpu s':>7} {'peak MB':>9} {'load':>6}"
        f" {'growth s':>9} {'growth MB':>10}"
    ]
    names = list(results[lo])
    for name in names:
        for s in scales:
            r = results[s].get(name)
            if r is None:
                continue
            growth = ""
            if s == hi and hi != lo and name in results[lo]:
                base = results[lo][name]
                growth = (
                    f" {r['seconds'] / base['seconds']:>8.1f}x"
                    f" {r['peak_mb'] / base['peak_mb']:>9.1f}x"
                )
            lines.append(
                f"{name:<10} {s:>6g} {r['seconds']:>9.1f} {r.get('cpu_s', math.nan):>7.1f}"
                f" {r['peak_mb']:>9.0f}"
                f" {r['load']:>6.1f}{growth}"
            )
        if extrapolate and hi != lo and name in results[lo] and name in results[hi]:
            a, b = results[lo][name], results[hi][name]
            span = math.log(hi / lo)
            k_s = math.log(b["seconds"] / a["seconds"]) / span
            k_m = math.log(b["peak_mb"] / a["peak_mb"]) / span
            f = extrapolate / hi
            lines.append(
                f"{name:<10} {extrapolate:>6g} {b['seconds'] * f**k_s:>9.0f} {'':>7}"
                f" {b['peak_mb'] * f**k_m:>9.0f} {'':>6}"
                f"  EXTRAPOLATED (power law: time ~ scale^{k_s:.2f}, memory ~ scale^{k_m:.2f})"
            )

            # A fixed start-up cost flattens the power law; a straight line through the two
            # points charges every added scale unit what the last ones cost.
            def line(key: str, a=a, b=b) -> float:
                # Noise can make the larger scale the faster one; more data is never less work.
                return max(b[key], b[key] + (b[key] - a[key]) / (hi - lo) * (extrapolate - hi))

            lines.append(
                f"{name:<10} {extrapolate:>6g} {line('seconds'):>9.0f} {'':>7}"
                f" {line('peak_mb'):>9.0f}"
                f" {'':>6}  EXTRAPOLATED (straight line through the two scales)"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,7", help="Comma-separated scales (default 1,7).")
    parser.add_argument(
        "--extrapolate", type=float, default=None, help="Extrapolate to this scale (e.g. 70)."
    )
    parser.add_argument("--only", default="", help="Comma-separated steps (demo always runs).")
    parser.add_argument("--json", type=Path, default=None, help="Write the figures here too.")
    parser.add_argument("--tmp", type=Path, default=None, help="Where the workbooks go.")
    parser.add_argument(
        "--workbook",
        type=Path,
        default=None,
        help="Time the steps on this workbook (built by `demo --scale` of the one scale given)"
        " instead of building one; compares two versions of the code on the same facts.",
    )
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s} or None
    results = {}
    for scale in (float(s) for s in args.scales.split(",")):
        print(f"scale {scale:g}:", flush=True)
        results[scale] = bench_scale(scale, only, args.tmp, args.workbook)
    print()
    print(table(results, args.extrapolate))
    if args.json:
        slim = {
            str(s): {
                n: {k: v for k, v in r.items() if k not in ("out", "err")} for n, r in rs.items()
            }
            for s, rs in results.items()
        }
        args.json.write_text(json.dumps(slim, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
