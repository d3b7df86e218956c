"""Every monitoring metric for ~450 reps on ~1M order lines (sample organisation at scale 7).

Prints time and peak memory for each group of metrics, and the ratio against the naive way:
filtering the whole frame once per rep. Figures only; nothing asserted.

    .venv/bin/python benchmarks/metrics_bench.py [--scale 7]
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

from salescoach import monitoring as m
from salescoach.periods import Period


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    print(f"  {label:<44} {seconds:6.2f} s")
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=7.0)
    args = parser.parse_args()
    from salescoach.sample import build_sample

    tables = dict(build_sample(seed=7, scale=args.scale).tables)
    # As the import stores them: order lines carry their total.
    tables["orders"] = tables["orders"].assign(
        amount=tables["orders"]["quantity"] * tables["orders"]["unit_price"]
    )
    reps = tables["reps"]
    period = Period.parse("2026-Q3")
    print(
        f"{len(reps)} reps, {len(tables['orders']):,} order lines, {len(tables['deals']):,} deals"
    )
    total = 0.0
    sums = {}
    for label, fn in (
        (
            "results per rep (revenue .. margin)",
            lambda: sums.update(rep=m.rep_results(tables, period.start, period.end)),
        ),
        (
            "rolled up to team, department, company",
            lambda: [
                m.results_by(tables, lvl, period, sums["rep"])
                for lvl in ("team", "department", "company")
            ],
        ),
        (
            "delivery by department and product",
            lambda: (
                m.delivery_by(
                    tables["orders"],
                    tables["orders"]["rep_id"].map(reps.set_index("rep_id")["department"]),
                ),
                m.delivery_by(tables["orders"], tables["orders"]["product_id"]),
            ),
        ),
        (
            "follow-up within N days",
            lambda: m.follow_up_rate(tables["orders"], tables["service"], 14).mean(),
        ),
        (
            "service by segment",
            lambda: m.service_by(
                tables["service"],
                tables["service"]["customer_id"].map(
                    tables["customers"].set_index("customer_id")["segment"]
                ),
            ),
        ),
        (
            "pipeline and stale deals",
            lambda: m.pipeline(
                tables["deals"], tables["activities"], pd.Index(reps["rep_id"]), period.end, 30
            ),
        ),
        (
            "activity per rep per week",
            lambda: m.activity_per_week(tables["activities"], reps, period),
        ),
        (
            "support staff on assisted deals",
            lambda: m.support_contribution(tables["deals"], reps, period),
        ),
    ):
        _, seconds = timed(label, fn)
        total += seconds
    print(f"  {'all metrics':<44} {total:6.2f} s   (goal < 2 s)")
    print(
        f"  peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (goal < 2 GB, includes building the sample)"
    )

    # The naive way: one filter of the whole orders frame per rep.
    orders = tables["orders"]
    sample_reps = reps["rep_id"].iloc[:50]
    t0 = time.perf_counter()
    for rep in sample_reps:
        mine = orders[(orders["rep_id"] == rep) & period.contains(orders["order_date"])]
        mine = mine[~mine["status"].isin(["cancelled", "returned"])]
        _ = mine["amount"].sum(), mine["quantity"].sum()
    naive_per_rep = (time.perf_counter() - t0) / len(sample_reps)
    t0 = time.perf_counter()
    m.rep_results(tables, period.start, period.end)
    ours = time.perf_counter() - t0
    naive = naive_per_rep * len(reps)
    print(
        f"revenue and units for every rep: grouped {ours:.2f} s; naive per-rep filtering {naive:.2f} s "
        f"(measured on 50 reps, scaled to {len(reps)}); ratio {naive / ours:.1f}x"
    )


if __name__ == "__main__":
    main()
