"""Backtest of goal suggestions: suggest the last complete quarter from the quarters before it.

For every seller and team of the sample organisation, the last quarter that ended on or before
the newest date in the data is held out: suggestions see only orders, deals and activities
before it (the market table is kept: growth and competitors' prices for a quarter are an outside
forecast known beforehand) and run with no stretch, since a stretch is a choice, not a forecast.
Each is compared with what happened, next to two naive baselines: the last quarter again, and
the same quarter last year. Errors are (predicted - actual) / actual. Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/goals_backtest.py [--seed 7] [--scale 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from salescoach.data.importer import folder_sources, validate_sources
from salescoach.data.sample import write_sample
from salescoach.domain import actuals, goals
from salescoach.domain.periods import Period


def truncate(tables: dict, before: pd.Timestamp) -> dict:
    out = dict(tables)
    for name, col in (("orders", "order_date"), ("deals", "close_date"), ("activities", "date")):
        if name in out:
            out[name] = out[name][out[name][col] < before]
    return out


def errors(predicted: pd.Series, actual: pd.Series) -> dict:
    ok = actual > 0
    pct = (predicted[ok] - actual[ok]) / actual[ok]
    return {
        "n": int(ok.sum()),
        "MAPE": float(pct.abs().mean()),
        "median": float(pct.abs().median()),
        "bias": float(pct.median()),
        "mean bias": float(pct.mean()),
    }


def held_out_quarter(tables: dict) -> Period:
    last = tables["orders"]["order_date"].max()
    q = Period.containing(last, "quarter")
    return q if q.end <= last else q.shift(-1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp), seed=args.seed, scale=args.scale)
        tables = validate_sources(folder_sources(tmp)).tables
    held = held_out_quarter(tables)
    seen = truncate(tables, held.start)
    config = replace(goals.SuggestionSettings(), stretch=0.0)
    per_q = actuals.per_rep_period(tables, "revenue", "quarter")
    print(
        f"seed {args.seed}, scale {args.scale}: {held} held out, suggested from the quarters "
        f"before it (trailing {config.trailing_periods}, no stretch)"
    )
    for level in ("rep", "team"):
        t0 = time.perf_counter()
        items = goals.suggest_all(seen, level, held, "revenue", config)
        seconds = time.perf_counter() - t0
        predicted = pd.Series({s.scope_id: s.value for s in items})
        table = per_q
        if level != "rep":
            # A team's result is every sale of its members, leavers included.
            owner = tables["reps"].set_index("rep_id")["team"]
            table = per_q.groupby(per_q.index.map(owner)).sum()
        actual = table[str(held)].reindex(predicted.index).fillna(0)
        last = table[str(held.shift(-1))].reindex(predicted.index).fillna(0)
        last_year = table[str(held.shift(-4))].reindex(predicted.index).fillna(0)
        print(f"\n{level}s: {len(predicted)} suggestions in {seconds:.2f} s")
        print(f"  {'':<24} {'n':>4} {'MAPE':>7} {'median':>7} {'bias':>7} {'mean bias':>9}")
        for name, guess in (
            ("salescoach suggestion", predicted),
            ("last quarter again", last),
            ("same quarter last year", last_year),
        ):
            e = errors(guess, actual)
            print(
                f"  {name:<24} {e['n']:>4} {e['MAPE']:>7.1%} {e['median']:>7.1%} "
                f"{e['bias']:>+7.1%} {e['mean bias']:>+9.1%}"
            )
    print("\nMAPE: mean |error|; median: median |error|; bias: median signed error.")


if __name__ == "__main__":
    main()
