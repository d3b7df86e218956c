"""Every monitoring metric for ~450 reps on ~1M order lines (the sample at scale 7).

Prints, per group of metrics, the median time of --repeat runs (each group alone, and all of
them in one run sharing a FactTables), the peak memory the group allocates (tracemalloc, in a
second pass so it does not slow the timed one) and, where a per-rep computation exists, the
ratio against the naive way: filtering the whole frame once per rep. Figures only; nothing is
asserted.

    .venv/bin/python benchmarks/metrics_bench.py [--scale 7] [--naive-reps 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc

import pandas as pd

from salescoach.domain import actuals, monitoring as m
from salescoach.domain.periods import Period


def groups(tables: dict, year: Period, quarter: Period, config: m.MonitoringSettings) -> dict:
    """Each group of metrics as a callable; the whole history where a metric is not per period."""
    reps, orders = tables["reps"], tables["orders"]
    everyone = pd.Index(reps["rep_id"])
    first, last = orders["order_date"].min(), orders["order_date"].max()
    return {
        "results per rep, whole history": lambda: m.rep_results(tables, first, last),
        "results for one year, rolled up to every level": lambda: [
            m.results_by(tables, level, year, sums)
            for sums in [m.rep_results(tables, year.start, year.end)]
            for level in m.LEVELS
        ],
        "scope results, prior period, last year": lambda: m.scope_results(
            tables, "company", None, quarter
        ),
        "delivery by rep, department, product": lambda: [
            m.delivery_by(orders, reps, level, products=tables["products"], outcomes=outcomes)
            for outcomes in [m.outcomes_of(tables)]
            for level in ("rep", "department", "product")
        ],
        "follow-ups within N days, whole history": lambda: m.follow_ups(
            m.outcomes_of(tables), tables["service"], config.follow_up_days, last
        ).mean(),
        "process stages and breaches, one year": lambda: (
            m.process_stages(tables, year, everyone, config),
            m.breaches(tables, year, everyone, config),
            m.funnel(tables, year, everyone, config),
        ),
        "service by segment": lambda: m.service_by(
            tables["service"],
            tables["service"]["customer_id"].map(
                tables["customers"].set_index("customer_id")["segment"]
            ),
            config.case_close_days,
            last,
        ),
        "pipeline, stale deals, by age": lambda: m.pipeline_summary(
            m.pipeline(
                tables["deals"], tables["activities"], everyone, year.end, config.stale_deal_days
            )
        ),
        "activity per rep per week": lambda: m.activity_per_week(tables["activities"], reps, year),
        "support staff on assisted deals": lambda: m.support_contribution(
            tables["deals"], reps, year, tables["products"], tables["customers"]
        ),
        "scorecards": lambda: m.scorecard(
            m.scorecard_parts(
                reps,
                m.results_by(tables, "rep", year),
                activity=m.activity_per_week(tables["activities"], reps, year),
                support=m.support_contribution(tables["deals"], reps, year),
            ),
            config.scorecard_weights,
        ),
    }


def naive_results(tables: dict, rep_ids, start, end) -> None:
    """Revenue, units, win rate, discount, margin: filter every frame once per rep."""
    orders, deals, products = (
        tables["orders"],
        tables["deals"],
        tables["products"].set_index("product_id"),
    )
    for rep in rep_ids:
        o = orders[
            (orders["rep_id"] == rep)
            & (orders["order_date"] >= start)
            & (orders["order_date"] <= end)
        ]
        o = o[~o["status"].isin(actuals.NOT_REVENUE)]
        value = o["amount"]
        _ = value.sum(), o["quantity"].sum()
        _ = 1 - value.sum() / (o["quantity"] * o["unit_list_price"]).sum()
        _ = (
            value.sum()
            - (o["quantity"] * o["product_id"].map(products["unit_cost"]).astype(float)).sum()
        ) / value.sum()
        d = deals[
            (deals["rep_id"] == rep) & (deals["close_date"] >= start) & (deals["close_date"] <= end)
        ]
        _ = (d["stage"] == "won").sum() / d["stage"].isin(["won", "lost"]).sum()


def naive_delivery(tables: dict, rep_ids) -> None:
    orders = tables["orders"]
    for rep in rep_ids:
        o = m.order_outcomes(orders[orders["rep_id"] == rep])
        _ = o["late"].mean(), o["days_late"].median()


def main() -> None:
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for reps with no sales in the naive loop
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=7.0)
    parser.add_argument(
        "--naive-reps", type=int, default=40, help="reps timed the naive way, then scaled up"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each group (median shown)")
    args = parser.parse_args()
    from salescoach.data.sample import build_sample

    t0 = time.perf_counter()
    tables = dict(build_sample(seed=7, scale=args.scale).tables)
    # As the import stores them: order lines carry their total.
    tables["orders"] = tables["orders"].assign(
        amount=tables["orders"]["quantity"] * tables["orders"]["unit_price"]
    )
    built = time.perf_counter() - t0
    reps = tables["reps"]
    n_orders = tables["orders"]["order_id"].nunique()
    print(
        f"{len(reps)} reps, {len(tables['orders']):,} order lines ({n_orders:,} orders), "
        f"{len(tables['deals']):,} deals, {len(tables['activities']):,} activities, "
        f"{len(tables['service']):,} cases (sample built in {built:.1f} s)"
    )
    year, quarter = Period.parse("2025"), Period.parse("2026-Q3")
    config = m.MonitoringSettings()
    # Alone: each group on plain tables derives what it needs itself (a page showing one thing).
    # One run: the groups in turn on one FactTables, sharing each order's outcome, the follow-ups
    # and the per-rep arrays (a whole review); the first group to need a thing pays for it.
    # Each is the median of --repeat runs: the machine is shared, and one run can catch a pause.
    alone_runs, one_runs = [], []
    for _ in range(args.repeat):
        alone_runs.append({})
        for label, fn in groups(tables, year, quarter, config).items():
            t0 = time.perf_counter()
            fn()
            alone_runs[-1][label] = time.perf_counter() - t0
        one_runs.append({})
        for label, fn in groups(m.FactTables(tables), year, quarter, config).items():
            t0 = time.perf_counter()
            fn()
            one_runs[-1][label] = time.perf_counter() - t0
    alone = {k: statistics.median(r[k] for r in alone_runs) for k in alone_runs[0]}
    one_run = {k: statistics.median(r[k] for r in one_runs) for k in one_runs[0]}
    totals = sorted(sum(r.values()) for r in one_runs)
    peaks = {}
    for label, fn in groups(tables, year, quarter, config).items():
        tracemalloc.start()
        fn()
        peaks[label] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    tracemalloc.start()
    for fn in groups(m.FactTables(tables), year, quarter, config).values():
        fn()
    run_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    sample = reps["rep_id"].iloc[: args.naive_reps]
    first, last = tables["orders"]["order_date"].min(), tables["orders"]["order_date"].max()
    naive = {}
    for label, fn in (
        ("results per rep, whole history", lambda: naive_results(tables, sample, first, last)),
        ("delivery by rep, department, product", lambda: naive_delivery(tables, sample)),
    ):
        t0 = time.perf_counter()
        fn()
        naive[label] = (time.perf_counter() - t0) / len(sample) * len(reps)

    print(f"\n  {'group':<48} {'alone':>7} {'peak':>8} {'one run':>8}  naive per-rep loop")
    for label in alone:
        ratio = ""
        if label in naive:
            ratio = f"{naive[label]:6.2f} s ({naive[label] / alone[label]:.0f}x slower than alone)"
        print(
            f"  {label:<48} {alone[label]:5.2f} s {peaks[label]:5.0f} MB {one_run[label]:6.2f} s  {ratio}"
        )
    print(
        f"  {'all metrics':<48} {sum(alone.values()):5.2f} s {max(peaks.values()):5.0f} MB "
        f"{sum(one_run.values()):6.2f} s  (goal < 2 s, < 2 GB; one run peaks at {run_peak:,.0f} MB)"
    )
    print(
        f"  one run in all, {args.repeat} runs: "
        + ", ".join(f"{t:.2f} s" for t in totals)
        + " (fastest to slowest)"
    )
    print(
        f"\nprocess peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (includes building the sample)"
    )
    print(f"naive loops timed on {len(sample)} reps and scaled to {len(reps)}")


if __name__ == "__main__":
    main()
