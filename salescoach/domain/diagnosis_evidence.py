"""How a unit is compared with its peers: intervals from its own sample, spread from the data.

A signal (a product's return rate, a department's late share, a segment's days to close) is
judged for each unit against the pooled rate or the median of the *other* units, so a unit never
sets its own benchmark. Its strength is one of:

    too_few    fewer than `min_count` observations: too few to tell
    extreme    its z is at least `extreme_z`: can stand alone
    moderate   its z is at least `agree_z`: needs another signal to agree
    none       within what the peers' own spread and the sample size allow

The z divides the unit's gap from its peers by everything that makes units differ when nothing
is wrong: the unit's own sampling error (binomial for rates, the mean's standard error for
amounts, read as Student's t where it comes from the unit's own few cases), the peers' and the
units' true spread read from the data (the robust spread of the *other* units less what their
sample sizes explain, `between_loo`; never less than `spread_floor` of the peer value, the
spread assumed when too few units exist to read it). So a large unit with a small but
certain gap is judged by how unusual it is among units, and a small unit needs a large gap.
Rates also need an absolute gap of `min_points` (one return in thirty against none is not a
finding). Rates are shown with Wilson intervals (honest at small n and near 0 or 1). Thresholds
come from settings `[diagnosis]`; the shipped values and why are in
`salescoach/resources/salescoach.toml`.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

LEVELS = ("too_few", "none", "moderate", "extreme")
SIGNAL_COLUMNS = ["value", "n", "low", "high", "peer", "z", "level"]


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
    x = np.asarray(values, dtype=float)
    return _robust(x[~np.isnan(x)])


def _robust(x: np.ndarray) -> float:
    if len(x) < 4:
        return 0.0
    return float(np.median(np.abs(x - np.median(x))) * 1.4826)


def loo_median(values: pd.Series, eligible: pd.Series) -> pd.Series:
    """For each unit, the median of the *other* eligible units' values (all eligible ones for a
    unit that is not eligible itself); O(k log k), not one median per unit."""
    v = pd.Series(values, dtype=float)
    pool = np.sort(v[eligible.fillna(False).astype(bool)].dropna().to_numpy())
    m = len(pool)
    out = pd.Series(np.nan, index=v.index)
    if m == 0:
        return out
    whole = float(np.median(pool))
    out[:] = whole
    if m < 2:
        out[eligible & v.notna()] = np.nan
        return out
    # Removing the element at rank k from the sorted pool: the others' median is read from
    # positions (m-2)//2 and (m-1)//2 of the pool without it.
    mine = eligible & v.notna()
    k = np.searchsorted(pool, v[mine].to_numpy())
    lo, hi = (m - 2) // 2, (m - 1) // 2

    def at(j):
        j = np.where(j >= k, j + 1, j)
        return pool[np.clip(j, 0, m - 1)]

    out[mine] = (at(np.full(len(k), lo)) + at(np.full(len(k), hi))) / 2
    return out


def between_spread(values: pd.Series, sampling_sd: pd.Series) -> float:
    """How much units truly differ: the robust spread of their values less the spread their
    sample sizes alone would give (method of moments, robust to one outlying unit). 0 for fewer
    than 4 units, where the spread cannot be read from the data."""
    v = pd.Series(values, dtype=float)
    sd = pd.Series(sampling_sd, dtype=float).reindex(v.index)
    return _between(v.to_numpy(), sd.to_numpy())


def _between(values: np.ndarray, sampling_sd: np.ndarray) -> float:
    """`between_spread` on aligned arrays (most of a comparison's cost was pandas' own, per call,
    with a dozen units)."""
    known = ~np.isnan(values)
    x = values[known]
    if len(x) < 4:
        return 0.0
    noise_sq = np.square(sampling_sd[known])
    noise = float(np.nanmedian(noise_sq)) if (~np.isnan(noise_sq)).any() else np.nan
    return float(np.sqrt(max(0.0, _robust(x) ** 2 - (noise if np.isfinite(noise) else 0))))


# Above this many units one unit moves the robust spread of the others by too little to matter
# (a median's shift from one value among k is about 1/k of the spread), so the spread of all of
# them stands for each unit's leave-one-out spread (the loop is k medians of k values).
LOO_UNITS = 200


def between_loo(values, sampling_sd, eligible, whole: float) -> np.ndarray:
    """`between_spread` per unit, read from the *other* eligible units: a unit far from its
    peers does not widen the spread it is judged by. Among a handful of units one outlier doubles
    a robust spread (with four campaigns, the bad one's own gap made a 30-point fall read as
    within the campaigns' spread); so each eligible unit's spread leaves it out. `whole` (the
    spread of all eligible units) stands for a unit that is not eligible, and for every unit
    above `LOO_UNITS`. Fewer than 4 others give 0 (the floor then applies), as in
    `between_spread`."""
    x = np.asarray(values, dtype=float)
    sd = np.asarray(sampling_sd, dtype=float)
    mask = np.asarray(eligible, dtype=bool)
    out = np.full(len(x), float(whole))
    members = np.flatnonzero(mask)
    if len(members) > LOO_UNITS:
        return out
    for i in members:
        others = mask.copy()
        others[i] = False
        out[i] = _between(x[others], sd[others])
    return out


def family_bar(k: int, alarm: float) -> float:
    """The z at which the most extreme of k units compared, none of them different, stays below
    with probability 1 - `alarm` (Sidak's correction, one-sided): the bar for a signal read among
    k units. At 5%: 1.64 for one unit, 1.95 for two, 2.57 for ten, 3.28 for a hundred."""
    return NormalDist().inv_cdf((1 - alarm) ** (1 / max(1, int(k))))


def levels(z: pd.Series, gap: pd.Series, enough: pd.Series, cfg, floor: float = 0.0) -> pd.Series:
    """A unit's strength from its z (signed so that positive is bad) and its gap from the peers:
    extreme from `extreme_z`, moderate from `agree_z`, either only when the gap is at least
    `floor` (an absolute difference too small to matter is never flagged)."""
    zv = np.asarray(z, dtype=float)
    g = np.asarray(gap, dtype=float)
    big = np.where(np.isnan(g), 0.0, g) >= floor
    with np.errstate(invalid="ignore"):
        moderate = (zv >= cfg["agree_z"]) & big
        extreme = (zv >= cfg["extreme_z"]) & big
    out = np.array(["none", "moderate", "extreme"], dtype=object)[moderate + extreme * 1]
    out[~pd.Series(enough).fillna(False).astype(bool).to_numpy()] = "too_few"
    return pd.Series(out, index=z.index, dtype=object)


def compare_rates(
    hits: pd.Series, n: pd.Series, direction: str, cfg, expected=None
) -> pd.DataFrame:
    """Each unit's rate hits/n against the pooled rate of the other units with enough data.

    `direction` is "high" when a high rate is bad (returns, late deliveries), "low" when a low
    rate is (win rate). `expected`, when given, replaces the pooled peers' rate per unit (a
    rep's own earlier pace, adjusted by the peers' seasonality). The unit's z divides its gap by
    its own sampling error, the peers' and the units' true spread (`between_loo`: the other
    units', never less than `spread_floor` of the peer rate). Returns value, n, low, high (Wilson at `agree_z`),
    peer, z and level.
    """
    n = pd.Series(n, dtype=float).fillna(0)
    index = n.index
    nv = n.to_numpy()
    hv = np.minimum(pd.Series(hits, dtype=float).reindex(index).fillna(0).to_numpy(), nv)
    enough = nv >= cfg["min_count"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(nv > 0, nv, np.nan)
        value = hv / pos
        tot_h, tot_n = hv[enough].sum(), nv[enough].sum()
        peer_n = tot_n - np.where(enough, nv, 0)
        peer_pos = np.where(peer_n > 0, peer_n, np.nan)
        if expected is None:
            peer = (tot_h - np.where(enough, hv, 0)) / peer_pos
        else:
            peer = pd.Series(expected, dtype=float).reindex(index).to_numpy()
        pooled = tot_h / tot_n if tot_n else np.nan
        sampling = np.sqrt(pooled * (1 - pooled) / pos)
        # The units' true spread, each unit's read from the others (`between_loo`): against
        # the pooled peers, the spread of the rates themselves (a gap from peers that hold the
        # outlying unit would carry its gap into every other unit's); against expected rates,
        # of the gaps from them.
        spread_of = value if expected is None else value - peer
        whole = _between((value - peer)[enough], sampling[enough])
        tau = between_loo(spread_of, sampling, enough, whole)
        tau = np.maximum(tau, cfg["spread_floor"] * peer)
        # The two-sample test's pooled rate (the unit with its peers), so a peer rate of 0 or 1
        # does not make the error vanish; against an expected rate, that rate.
        if expected is None:
            both = (hv + (tot_h - np.where(enough, hv, 0))) / (nv + peer_n)
            own_var = both * (1 - both) * (1 / pos + 1 / peer_pos)
        else:
            own_var = peer * (1 - peer) / pos
        sd = np.sqrt(own_var + tau**2)
        diff = (value - peer) if direction == "high" else (peer - value)
        z = diff / np.where(sd > 0, sd, np.nan)
    low, high = wilson(hv, nv, cfg["agree_z"])
    enough &= ~np.isnan(peer)
    z, diff = pd.Series(z, index=index), pd.Series(diff, index=index)
    return pd.DataFrame(
        {
            "value": value,
            "n": nv.astype(int),
            "low": low,
            "high": high,
            "peer": peer,
            "z": z,
            "level": levels(z, diff, pd.Series(enough, index=index), cfg, cfg["min_points"]),
        },
        index=index,
    )


def t_as_z(t, df):
    """The normal z with the same one-sided tail as Student's t on `df` degrees of freedom
    (Wallace's approximation, sign(t) sqrt((df - 1/2) ln(1 + t^2/df)): at most 0.04 below the
    exact z for df >= 5 and t <= 6, never above it, and exact as df grows). NaN df: t itself."""
    t = np.asarray(t, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), t.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.sign(t) * np.sqrt(np.maximum(df - 0.5, 0.0) * np.log1p(t * t / df))
    return np.where(np.isfinite(df), z, t)


def compare_amounts(
    values: pd.Series, units: pd.Series, direction: str, cfg, min_count=None
) -> pd.DataFrame:
    """Each unit's mean amount (days to close, deal size) against the median of the other units'
    means, with the mean's interval and the spread of the units' means. The mean's standard
    error comes from the unit's own standard deviation, so its z is read as Student's t on the
    unit's n - 1 degrees of freedom (`compare_means`' `df`); `min_count`, when given, replaces
    the setting's for a signal that may be read from fewer cases than a rate."""
    frame = pd.DataFrame({"v": pd.to_numeric(values, errors="coerce"), "u": units}).dropna()
    g = frame.groupby("u")["v"]
    stats = pd.DataFrame({"mean": g.mean(), "n": g.size(), "sd": g.std(ddof=1).fillna(0.0)})
    return compare_means(
        stats["mean"], stats["n"], stats["sd"], direction, cfg, stats["n"] - 1, min_count
    )


def compare_means(mean, n, sd, direction: str, cfg, df=None, min_count=None) -> pd.DataFrame:
    """`compare_amounts` from per-unit means, counts and standard deviations.

    Amounts (days, deal sizes) vary by multiples, so they are compared on the log scale when
    every mean is positive (a third of the peers is as far below as three times is above); the
    z divides the gap by the mean's standard error and the units' true spread (robust z).
    `df`, per unit, are the degrees of freedom of a standard deviation read from the unit's own
    sample: the z is then Student's t on the Welch-Satterthwaite degrees of freedom of the whole
    error (the spread between units taken as known), turned into the normal z of the same tail
    (`t_as_z`), so a mean of a dozen cases is judged as honestly as one of hundreds. Without
    `df` the standard error is taken as known (a Poisson count's). `min_count` replaces the
    setting's when given."""
    mean = pd.Series(mean, dtype=float)
    n = pd.Series(n, dtype=float).reindex(mean.index).fillna(0)
    sd = pd.Series(sd, dtype=float).reindex(mean.index).fillna(0)
    enough = n >= (cfg["min_count"] if min_count is None else min_count)
    peer = loo_median(mean, enough)
    se = sd / np.sqrt(n.where(n > 0))
    eligible = mean[enough]
    if len(eligible) and (eligible > 0).all() and (mean.dropna() > 0).all():
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.log(mean)
            gap = scale - np.log(peer)
            se_scale = se / mean
        floor = cfg["spread_floor"]
    else:
        scale, gap, se_scale = mean, mean - peer, se
        floor = cfg["spread_floor"] * peer.abs()
    # The means' own spread, each unit's read from the others (`between_loo`).
    whole = between_spread(gap[enough], se_scale[enough])
    tau = np.maximum(between_loo(scale, se_scale, enough.to_numpy(), whole), floor)
    diff = gap if direction == "high" else -gap
    own = se_scale.fillna(0) ** 2
    z = diff / np.sqrt(own + tau**2).where(lambda x: x > 0)
    if df is not None:
        dof = pd.Series(df, dtype=float).reindex(mean.index)
        with np.errstate(invalid="ignore", divide="ignore"):
            dof = ((own + tau**2) ** 2 / (own**2 / dof.where(dof > 0))).where(own > 0)
        z = pd.Series(t_as_z(z, dof.fillna(np.inf)), index=mean.index)
    enough &= peer.notna()
    zz = cfg["agree_z"]
    return pd.DataFrame(
        {
            "value": mean,
            "n": n.astype(int),
            "low": mean - zz * se,
            "high": mean + zz * se,
            "peer": peer,
            "z": z,
            "level": levels(z, diff, enough, cfg),
        },
        index=mean.index,
    )


def compare_values(values: pd.Series, eligible: pd.Series, direction: str, cfg) -> pd.DataFrame:
    """One figure per unit with no sampling error of its own (a seller's attainment): robust z
    against the median of the other eligible units, over their robust spread (never less than
    `spread_floor` of the median)."""
    v = pd.Series(values, dtype=float)
    eligible = pd.Series(eligible, dtype=bool).reindex(v.index).fillna(False) & v.notna()
    peer = loo_median(v, eligible)
    spread = max(robust_spread(v[eligible]), 0.0)
    scale = np.maximum(spread, cfg["spread_floor"] * peer.abs())
    diff = (v - peer) if direction == "high" else (peer - v)
    z = diff / scale.where(scale > 0)
    enough = v.notna() & peer.notna() & (int(eligible.sum()) >= 4)
    return pd.DataFrame(
        {
            "value": v,
            "n": int(eligible.sum()),
            "low": np.nan,
            "high": np.nan,
            "peer": peer,
            "z": z,
            "level": levels(z, diff, enough, cfg),
        },
        index=v.index,
    )


def flag(value: bool | None, n: int = 0) -> pd.Series:
    """A yes/no supporting signal (a course never taken, a competitor index below parity) in the
    shape of a comparison row: moderate when true, so it can agree but never stand alone."""
    level = "moderate" if value else "none"
    return pd.Series(
        {"value": float(bool(value)), "n": n, "low": np.nan, "high": np.nan, "peer": np.nan}
        | {"z": np.nan}
        | {"level": level}
    )


def verdict(levels: dict[str, str], alone: set[str]) -> str | None:
    """ "extreme" when a signal that may stand alone is extreme, "agree" when two or more signals
    are at least moderate, else None."""
    if any(levels.get(s) == "extreme" for s in alone):
        return "extreme"
    if sum(v in ("moderate", "extreme") for v in levels.values()) >= 2:
        return "agree"
    return None
