"""The built-in sample organisation: a deterministic company with known, planted problems.

`build_sample` makes every table of the data contract for a fictional company that sells
servers, storage, networking and software to businesses in three or four regions. The same
seed always gives the same company; `scale` multiplies reps, customers and volumes.

On top of ordinary noise (seasonality with a strong Q4, growth that follows the market, reps of
different size and skill, techniques that win more or less often) the generator plants known
problems and writes each one to `Sample.ground_truth`, so that goals, monitoring, diagnosis and
recognition can be checked against what is really in the data. `Problems` chooses which ones are
planted and where; by default the seed chooses the product, family, department, segment,
campaign and reps, so downstream thresholds are not tuned to one data set.

Revenue, as the targets are set against it, is the sum of `quantity * unit_price` over order
lines that were not cancelled or returned, by order date. Targets of normal sellers are set so
that they land between 90% and 110% of goal each quarter; the problem reps clearly below; the top
performers clearly above (125% or more): each rep's quarterly target is the realised revenue
divided by a planted attainment, so the bands hold exactly while the shortfall or surplus itself
comes from the planted effects in the raw data. Support staff (sales engineers) get revenue
targets on the won deals they supported, by close date.

History runs from 1 January two years before `end` to `end`; deals opened in the year before
that and closed inside it are kept, so the pipeline is full from the first day.

Example:
    >>> sample = build_sample(seed=7, scale=0.2)
    >>> sorted(sample.tables)[:3]
    ['activities', 'campaigns', 'courses']
"""

from __future__ import annotations

import json
from pathlib import Path

from salescoach.data.sample.builder import _Builder
from salescoach.data.sample.model import Problems, Sample
from salescoach.data.sample.world import _TEXT, DEFAULT_END, LINES_PER_SCALE

__all__ = [
    "DEFAULT_END",
    "LINES_PER_SCALE",
    "Problems",
    "Sample",
    "build_sample",
    "write_sample",
    "_TEXT",
]


def build_sample(
    seed: int = 7,
    scale: float = 1.0,
    lang: str = "en",
    problems: Problems | None = None,
    end: str = DEFAULT_END,
) -> Sample:
    """The sample organisation for a seed, as contract tables plus its ground truth.

    Args:
        seed: the same seed gives the same organisation, byte for byte.
        scale: multiplies reps (about 60 sellers at 1), customers (about 3,000) and volumes
            (about 150,000 order lines).
        lang: "en" or "el": names, products, comments and labels in that language.
        problems: which problems to plant and where; default: all, placed by the seed.
        end: the last day of history; history starts on 1 January two years before.

    Example:
        >>> s = build_sample(seed=3, scale=0.2, problems=Problems(wrong_campaign=False))
        >>> {g["problem"] for g in s.ground_truth} >= {"poor_product", "late_department"}
        True
    """
    if lang not in _TEXT:
        raise ValueError(f"unknown language {lang!r}; the sample speaks {', '.join(_TEXT)}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    return _Builder(seed, scale, lang, problems or Problems(), end).build()


def write_sample(
    folder,
    seed: int = 7,
    scale: float = 1.0,
    lang: str = "en",
    problems: Problems | None = None,
    fmt: str = "csv",
    end: str = DEFAULT_END,
) -> Sample:
    """Build the sample and write one file per table plus `ground_truth.json` into `folder`."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    sample = build_sample(seed, scale, lang, problems, end)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in sample.tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, date_format="%Y-%m-%d", encoding="utf-8")
        else:
            frame.to_parquet(path, index=False)
    (folder / "ground_truth.json").write_text(
        json.dumps(sample.ground_truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return sample
