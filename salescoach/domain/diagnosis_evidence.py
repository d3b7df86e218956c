"""How a unit is compared with its peers: intervals from its own sample, spread from the data.

A signal (a product's return rate, a department's late share, a segment's days to close) is
judged for each unit against the pooled rate or the median of the *other* units, so a unit never
sets its own benchmark. Its strength is one of:

    too_few    fewer than `min_count` observations: too few to tell
    extreme    the value lies `extreme_ratio` times beyond the peers, the interval's near bound
               (at `extreme_z`) clears them, and the value lies `extreme_z` robust spreads from
               them: can stand alone
    moderate   the same at `agree_z` and `agree_ratio`: needs another signal to agree
    none       within what the peers' own spread and the sample size allow

Rates use Wilson intervals (honest at small n and near 0 or 1); amounts use the mean's normal
interval and the robust spread (MAD) of the units' means. Thresholds come from settings
`[diagnosis]`; the shipped values and why are in `salescoach/resources/salescoach.toml`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVELS = ("too_few", "none", "moderate", "extreme")
SIGNAL_COLUMNS = ["value", "n", "low", "high", "peer", "level"]


def wilson(hits, n, z: float):
    """Wilson score interval (low, high) for hits out of n; NaN where n is 0."""
    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def robust_spread(values: pd.Series) -> float:
    """1.4826 * MAD of the values (the standard deviation for normal data); 0 for fewer than 4."""
    x = pd.Series(values, dtype=float).dropna()
    if len(x) < 4:
        return 0.0
    return float((x - x.median()).abs().median() * 1.4826)


def _level(strong: pd.Series, moderate: pd.Series, enough: pd.Series) -> pd.Series:
    out = pd.Series("none", index=enough.index, dtype=object)
    out[moderate.fillna(False).astype(bool)] = "moderate"
    out[strong.fillna(False).astype(bool)] = "extreme"
    out[~enough] = "too_few"
    return out


def compare_rates(hits: pd.Series, n: pd.Series, direction: str, cfg) -> pd.DataFrame:
    """Each unit's rate hits/n against the pooled rate of the other units with enough data.

    `direction` is "high" when a high rate is bad (returns, late deliveries), "low" when a low
    rate is (win rate). Returns value, n, low, high (Wilson at `agree_z`), peer and level.
    """
    n = pd.Series(n, dtype=float).fillna(0)
    hits = pd.Series(hits, dtype=float).reindex(n.index).fillna(0).clip(upper=n)
    enough = n >= cfg["min_count"]
    value = hits / n.where(n > 0)
    tot_h, tot_n = hits[enough].sum(), n[enough].sum()
    peer_n = tot_n - n.where(enough, 0)
    peer = (tot_h - hits.where(enough, 0)) / peer_n.where(peer_n > 0)
    spread = robust_spread(value[enough])
    low_m, high_m = wilson(hits, n, cfg["agree_z"])
    low_e, high_e = wilson(hits, n, cfg["extreme_z"])
    points = cfg["min_points"]
    # Large (the point estimate `ratio` times beyond the peers), certain (the interval's near
    # bound clears the peers by `min_points`) and unusual (beyond `z` robust spreads of units).
    if direction == "high":
        diff = value - peer

        def beyond(bound, ratio, z):
            return (value >= peer * ratio) & (bound - peer >= points) & (diff >= z * spread)

        strong = beyond(pd.Series(low_e, n.index), cfg["extreme_ratio"], cfg["extreme_z"])
        moderate = beyond(pd.Series(low_m, n.index), cfg["agree_ratio"], cfg["agree_z"])
    else:
        diff = peer - value

        def beyond(bound, ratio, z):
            return (value <= peer / ratio) & (peer - bound >= points) & (diff >= z * spread)

        strong = beyond(pd.Series(high_e, n.index), cfg["extreme_ratio"], cfg["extreme_z"])
        moderate = beyond(pd.Series(high_m, n.index), cfg["agree_ratio"], cfg["agree_z"])
    enough &= peer.notna()
    return pd.DataFrame(
        {
            "value": value,
            "n": n.astype(int),
            "low": low_m,
            "high": high_m,
            "peer": peer,
            "level": _level(strong, moderate, enough),
        },
        index=n.index,
    )


def compare_amounts(values: pd.Series, units: pd.Series, direction: str, cfg) -> pd.DataFrame:
    """Each unit's mean amount (days to close, deal size) against the median of the other units'
    means, with the mean's interval and the spread of the units' means."""
    frame = pd.DataFrame({"v": pd.to_numeric(values, errors="coerce"), "u": units}).dropna()
    g = frame.groupby("u")["v"]
    stats = pd.DataFrame({"mean": g.mean(), "n": g.size(), "sd": g.std(ddof=1).fillna(0.0)})
    return compare_means(stats["mean"], stats["n"], stats["sd"], direction, cfg)


def leave_one_out_median(values: pd.Series, index: pd.Index) -> pd.Series:
    """For each label of `index`, the median of `values` without that label's value (all of
    them for a label not in `values`); NaN values are skipped, as `Series.median` does.

    One sort instead of a median per label: at 455 reps the per-label loop was a large share
    of the diagnosis pass (profiled)."""
    finite = values.dropna()
    s = np.sort(finite.to_numpy(dtype=float))
    m = len(s)

    def median_of(array: np.ndarray) -> float:
        return float(np.median(array)) if len(array) else np.nan

    full = median_of(s)
    out = pd.Series(full, index=index, dtype=float)
    if m == 0:
        return out
    if m == 1:
        out[out.index.isin(finite.index)] = np.nan
        return out
    # Without the value at sorted position r, the remaining (m - 1) values' element i is
    # s[i] below r and s[i + 1] from r on; the median takes elements lo and hi of them.
    length = m - 1
    lo, hi = (length - 1) // 2, length // 2
    ranks = np.empty(m, dtype=int)
    ranks[np.argsort(finite.to_numpy(dtype=float), kind="stable")] = np.arange(m)
    low = np.where(lo < ranks, s[lo], s[lo + 1])
    high = np.where(hi < ranks, s[hi], s[hi + 1])
    without = pd.Series((low + high) / 2, index=finite.index)
    # `values.drop(label)` drops every row of a repeated label: leave those to pandas.
    if not finite.index.is_unique:
        return pd.Series([values.drop(k, errors="ignore").median() for k in index], index=index)
    hit = index.isin(finite.index)
    out[hit] = without.reindex(index[hit]).to_numpy()
    return out


def compare_means(mean, n, sd, direction: str, cfg) -> pd.DataFrame:
    """`compare_amounts` from per-unit means, counts and standard deviations (the spread of
    positive amounts is read on the log scale)."""
    mean = pd.Series(mean, dtype=float)
    n = pd.Series(n, dtype=float).reindex(mean.index).fillna(0)
    sd = pd.Series(sd, dtype=float).reindex(mean.index).fillna(0)
    enough = n >= cfg["min_count"]
    eligible = mean[enough]
    peer = leave_one_out_median(eligible, mean.index)
    se = sd / np.sqrt(n.where(n > 0))
    ratio_e, ratio_m = cfg["extreme_ratio"], cfg["agree_ratio"]
    # Amounts (days, deal sizes, activity) vary by multiples, so their spread is read on the log
    # scale when every mean is positive: a seller at a third of the median is as far below as
    # one at three times is above.
    if len(eligible) and (eligible > 0).all() and (mean.dropna() > 0).all():
        spread = robust_spread(np.log(eligible))
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.log(mean) - np.log(peer)
    else:
        spread = robust_spread(eligible)
        gap = mean - peer
    if direction == "high":
        diff = gap

        def beyond(z, ratio):
            bound = mean - z * se
            return (mean >= peer * ratio) & (bound > peer) & (diff >= z * spread)

    else:
        diff = -gap

        def beyond(z, ratio):
            bound = mean + z * se
            return (mean <= peer / ratio) & (bound < peer) & (diff >= z * spread)

    strong = beyond(cfg["extreme_z"], ratio_e)
    moderate = beyond(cfg["agree_z"], ratio_m)
    enough &= peer.notna()
    z = cfg["agree_z"]
    return pd.DataFrame(
        {
            "value": mean,
            "n": n.astype(int),
            "low": mean - z * se,
            "high": mean + z * se,
            "peer": peer,
            "level": _level(strong, moderate, enough),
        },
        index=mean.index,
    )


def flag(value: bool | None, n: int = 0) -> pd.Series:
    """A yes/no supporting signal (a course never taken, a competitor index below parity) in the
    shape of a comparison row: moderate when true, so it can agree but never stand alone."""
    level = "moderate" if value else "none"
    return pd.Series(
        {"value": float(bool(value)), "n": n, "low": np.nan, "high": np.nan, "peer": np.nan}
        | {"level": level}
    )


def flags(values: dict) -> pd.DataFrame:
    """:func:`flag` for many units at once (`{unit: yes/no}`), one row a unit."""
    yes = np.array([bool(v) for v in values.values()], dtype=bool)
    index = list(values)
    return pd.DataFrame(
        {
            "value": yes.astype(float),
            "n": 0,
            "low": np.nan,
            "high": np.nan,
            "peer": np.nan,
            "level": np.where(yes, "moderate", "none"),
        },
        index=index,
    )


def verdict(levels: dict[str, str], alone: set[str]) -> str | None:
    """ "extreme" when a signal that may stand alone is extreme, "agree" when two or more signals
    are at least moderate, else None."""
    if any(levels.get(s) == "extreme" for s in alone):
        return "extreme"
    if sum(v in ("moderate", "extreme") for v in levels.values()) >= 2:
        return "agree"
    return None
