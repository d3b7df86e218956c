"""Backtest of goal suggestions: suggest the last quarter from the quarters before it.

For every seller and team of the sample organisation, 2026-Q3 is held out: suggestions see
only data before 1 July 2026 (stretch set to 0, since a stretch is a choice, not a forecast)
and are compared with what happened, next to two naive baselines: the last quarter again, and
the same quarter last year. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/goals_backtest.py [--seed 7] [--scale 1]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from salescoach import actuals, goals
from salescoach.importer import validate_sources
from salescoach.periods import Period


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
        "median abs error": float(pct.abs().median()),
        "mean abs error": float(pct.abs().mean()),
        "bias": float(pct.median()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    import tempfile
    from pathlib import Path

    from salescoach.importer import folder_sources
    from salescoach.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp), seed=args.seed, scale=args.scale)
        tables = validate_sources(folder_sources(tmp)).tables
    held = Period.parse("2026-Q3")
    seen = truncate(tables, held.start)
    config = goals.SuggestionSettings(stretch=0.0, trailing_periods=4)
    per_q = actuals.per_rep_period(tables, "revenue", "quarter")
    for level in ("rep", "team"):
        t0 = time.perf_counter()
        items = goals.suggest_all(seen, level, held, "revenue", config)
        seconds = time.perf_counter() - t0
        predicted = pd.Series({s.scope_id: s.value for s in items})
        if level == "rep":
            actual = per_q[str(held)].reindex(predicted.index).fillna(0)
            last = per_q[str(held.shift(-1))].reindex(predicted.index).fillna(0)
            last_year = per_q[str(held.shift(-4))].reindex(predicted.index).fillna(0)
        else:
            owner = tables["reps"].set_index("rep_id")["team"]
            by_team = per_q.groupby(per_q.index.map(owner)).sum()
            actual = by_team[str(held)].reindex(predicted.index)
            last = by_team[str(held.shift(-1))].reindex(predicted.index)
            last_year = by_team[str(held.shift(-4))].reindex(predicted.index)
        print(f"\n{level}s: {len(predicted)} suggestions for {held} in {seconds:.2f} s")
        for name, guess in (
            ("salescoach suggestion", predicted),
            ("last quarter again", last),
            ("same quarter last year", last_year),
        ):
            e = errors(guess, actual)
            print(
                f"  {name:<24} median |error| {e['median abs error']:6.1%}   mean |error| {e['mean abs error']:6.1%}   median bias {e['bias']:+6.1%}"
            )


if __name__ == "__main__":
    main()
