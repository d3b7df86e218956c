"""Peers as anonymous aggregates: what a rep may see of the others (quartiles, never a row)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def peer_benchmark(values: pd.Series, min_peers: int = 5) -> dict[str, float]:
    """Lower quartile, median and upper quartile of the peers' values; NaN below `min_peers`."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if len(v) < max(int(min_peers), 1):
        return {"q1": np.nan, "median": np.nan, "q3": np.nan, "n": len(v)}
    q1, med, q3 = np.quantile(v.to_numpy(dtype=float), [0.25, 0.5, 0.75])
    return {"q1": float(q1), "median": float(med), "q3": float(q3), "n": len(v)}
