"""The evidence model on small frames: peers' spread, rates near zero, a rep's verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescoach.domain import diagnosis as D
from salescoach.domain.diagnosis_evidence import (
    LOO_UNITS,
    _between,
    between_loo,
    compare_amounts,
    compare_means,
    compare_rates,
    compare_values,
    family_bar,
    loo_median,
    t_as_z,
)
from salescoach.domain.diagnosis_judge import evidence_z, family_filter
from salescoach.domain.diagnosis_systemic import within_family_win_rates

CFG = D.settings_defaults()


def test_leave_one_out_median_matches_the_naive_one():
    rng = np.random.default_rng(3)
    for k in (1, 2, 3, 4, 7, 50):
        v = pd.Series(rng.normal(size=k), index=[f"u{i}" for i in range(k)])
        eligible = pd.Series(rng.random(k) < 0.8, index=v.index)
        fast = loo_median(v, eligible)
        for u in v.index:
            others = v[eligible & (v.index != u)]
            naive = others.median() if len(others) else np.nan
            assert (np.isnan(naive) and np.isnan(fast[u])) or np.isclose(fast[u], naive), (k, u)


def test_a_unit_is_flagged_when_its_peers_never_have_the_event():
    """Peers at 0% must not make the error vanish (nor the z undefined)."""
    n = pd.Series({"A": 200, "B": 200, "C": 200, "D": 200})
    hits = pd.Series({"A": 60, "B": 0, "C": 0, "D": 0})
    out = compare_rates(hits, n, "high", CFG)
    assert out.loc["A", "level"] == "extreme"
    assert set(out.loc[["B", "C", "D"], "level"]) == {"none"}


def test_natural_spread_between_units_is_not_a_finding():
    """Twelve units whose true rates differ by +-10%: none is extreme however large."""
    rates = np.linspace(0.30, 0.40, 12)
    n = pd.Series(20_000, index=[f"u{i}" for i in range(12)])
    hits = pd.Series((rates * 20_000).round(), index=n.index)
    out = compare_rates(hits, n, "low", CFG)
    assert "extreme" not in set(out["level"])


def test_too_few_records_say_so():
    out = compare_rates(pd.Series({"A": 0, "B": 30}), pd.Series({"A": 5, "B": 100}), "low", CFG)
    assert out.loc["A", "level"] == "too_few"


def test_a_shortfall_is_judged_against_peers_spread():
    v = pd.Series([1.0, 0.98, 1.03, 0.97, 1.01, 1.02, 0.3], index=list("abcdefg"))
    out = compare_values(v, pd.Series(True, index=v.index), "low", CFG)
    assert out.loc["g", "level"] == "extreme"
    assert (out.loc[list("abcdef"), "level"] == "none").all()


ALONE = {"activity_trend", "deal_pace"}


@pytest.mark.parametrize(
    "levels, zs, expected",
    [
        # Results alone never blame a rep: a missed systemic cause lowers them just the same.
        ({"win_rate": "extreme", "deal_size": "extreme", "shortfall": "extreme"}, {}, None),
        ({"activity_trend": "extreme"}, {}, "extreme"),
        ({"activity": "moderate", "win_rate": "moderate"}, {}, "agree"),
        # Deals against their own pace are ignored when activity shows no fall.
        ({"activity_trend": "none", "deal_pace": "extreme"}, {}, None),
        ({"deal_pace": "extreme"}, {}, "extreme"),
        # A shortfall needs the fall in effort to show on its own ...
        (
            {"deal_pace": "none", "win_rate": "moderate", "shortfall": "extreme"},
            {"deal_pace": 1.9, "win_rate": 4.0},
            None,
        ),
        # ... and then the seller's signals together far below.
        (
            {"deal_pace": "moderate", "win_rate": "moderate", "shortfall": "extreme"},
            {"deal_pace": 2.2, "win_rate": 2.4},
            "agree",
        ),
    ],
)
def test_rep_verdict(levels, zs, expected):
    assert D.rep_verdict(levels, ALONE, zs, CFG["extreme_z"]) == expected


def test_the_bar_grows_with_the_number_of_units_compared():
    """Sidak: the most extreme of k null units stays below the bar with probability 1 - alarm."""
    bars = [family_bar(k, 0.05) for k in (1, 2, 10, 100, 1000)]
    assert bars == sorted(bars)
    assert np.isclose(bars[0], 1.6449, atol=1e-3) and np.isclose(bars[2], 2.5679, atol=1e-3)
    rng = np.random.default_rng(11)
    # Simulated: the share of 4,000 draws of 50 null z's whose largest clears the bar.
    top = rng.standard_normal((4000, 50)).max(axis=1)
    assert abs((top >= family_bar(50, 0.05)).mean() - 0.05) < 0.012
    assert family_bar(0, 0.05) == family_bar(1, 0.05)


@pytest.mark.parametrize(
    "zs, bars, expected",
    [
        # A shortfall beyond the bar for all sellers and a fall beyond the bar for the few
        # sellers so screened: the rep is named although the fall is below 3.0 ...
        ({"deal_pace": 2.4, "shortfall": 4.0}, (3.3, 2.2), "agree"),
        # ... but not when the fall is within what the screened sellers reach by chance,
        ({"deal_pace": 2.4, "shortfall": 4.0}, (3.3, 2.6), None),
        # nor when the shortfall is within what hundreds of sellers reach by chance,
        ({"deal_pace": 2.4, "shortfall": 3.2}, (3.3, 2.2), None),
        # nor from results alone: the fall must show in the seller's own pace.
        ({"deal_pace": 0.5, "win_rate": 2.9, "shortfall": 6.0}, (3.3, 2.2), None),
    ],
)
def test_rep_verdict_with_bars_corrected_for_the_sellers_compared(zs, bars, expected):
    levels = {
        k: ("extreme" if z >= CFG["extreme_z"] else "moderate" if z >= CFG["agree_z"] else "none")
        for k, z in zs.items()
    }
    assert D.rep_verdict(levels, ALONE, zs, CFG["extreme_z"], bars) == expected


def _t_tail_as_z(t: float, df: float) -> float:
    """The exact z of Student's t upper tail, by integrating its density (no scipy here)."""
    from math import lgamma, pi
    from statistics import NormalDist

    x = np.linspace(t, t + 400, 2_000_001)
    c = np.exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / np.sqrt(df * pi)
    tail = np.trapezoid(c * (1 + x**2 / df) ** (-(df + 1) / 2), x)
    return NormalDist().inv_cdf(1 - tail)


@pytest.mark.parametrize("df", [5, 9, 14, 30, 100])
@pytest.mark.parametrize("t", [1.0, 2.0, 3.0, 4.0, 6.0])
def test_t_as_z_is_close_to_the_exact_tail_and_never_above_it(t, df):
    exact = _t_tail_as_z(t, df)
    z = float(t_as_z(t, df))
    assert exact - 0.04 <= z <= exact + 1e-6
    assert float(t_as_z(-t, df)) == -z
    assert float(t_as_z(t, np.inf)) == t


def test_a_small_mean_is_read_as_students_t():
    """A segment of 15 cases taking 8 days against about 3 elsewhere: compared from
    `min_count_mean` cases (too few to tell at `min_count`), and its z is that of a t on its
    degrees of freedom, below the normal z of the same ratio."""
    rng = np.random.default_rng(2)
    sizes = {"S0": 33, "S1": 24, "S2": 15, "S3": 20}
    days = np.concatenate(
        [rng.integers(1, 6, m) * (3 if u == "S2" else 1) for u, m in sizes.items()]
    )
    units = np.repeat(list(sizes), list(sizes.values()))
    assert compare_amounts(days, units, "high", CFG).loc["S2", "level"] == "too_few"
    out = compare_amounts(days, units, "high", CFG, min_count=CFG["min_count_mean"])
    assert out.loc["S2", "level"] == "extreme"
    assert (out.loc[["S0", "S1", "S3"], "level"] == "none").all()
    stats = pd.DataFrame({"d": days, "u": units}).groupby("u")["d"].agg(["mean", "size", "std"])
    args = (stats["mean"], stats["size"], stats["std"], "high", CFG)
    normal = compare_means(*args, min_count=CFG["min_count_mean"])
    student = compare_means(*args, df=stats["size"] - 1, min_count=CFG["min_count_mean"])
    assert student.loc["S2", "z"] < normal.loc["S2", "z"]
    assert np.isclose(student.loc["S2", "z"], out.loc["S2", "z"])


def test_each_units_spread_is_read_from_the_others():
    rng = np.random.default_rng(5)
    for k in (3, 4, 5, 9, 30):
        x = rng.normal(size=k)
        sd = rng.uniform(0.01, 0.3, k)
        mask = rng.random(k) < 0.9
        out = between_loo(x, sd, mask, whole=-1.0)
        for i in range(k):
            others = mask & (np.arange(k) != i)
            expected = _between(x[others], sd[others]) if mask[i] else -1.0
            assert np.isclose(out[i], expected), (k, i)
    # Above LOO_UNITS units one unit cannot move the others' spread: the whole set's stands.
    big = rng.normal(size=LOO_UNITS + 1)
    assert (between_loo(big, np.zeros_like(big), np.ones_like(big, bool), 0.7) == 0.7).all()


def test_an_outlying_unit_among_a_few_does_not_widen_its_own_spread():
    """Four campaigns, one winning 8% of 109 leads against 34-44% for the others: among so few
    units its own gap (and the peers it pulls down) once made the spread it was judged by, and
    it read as within the campaigns' spread (seed 7084 of the scenario benchmark)."""
    n = pd.Series({"C0": 116, "C1": 117, "C2": 109, "C3": 82})
    won = pd.Series({"C0": 51, "C1": 43, "C2": 9, "C3": 28})
    out = compare_rates(won, n, "low", CFG)
    assert out.loc["C2", "level"] == "extreme"
    assert (out.loc[["C0", "C1", "C3"], "level"] == "none").all()
    # Campaigns that truly differ that much are not flagged: ten with +-10 points between
    # them give each the others' spread.
    rates = np.linspace(0.25, 0.45, 10)
    n = pd.Series(400, index=[f"C{i}" for i in range(10)])
    out = compare_rates(pd.Series((rates * 400).round(), index=n.index), n, "low", CFG)
    assert "extreme" not in set(out["level"])


def _closed(rates: dict[str, float], n: int = 600) -> pd.DataFrame:
    rows = []
    for pid, rate in rates.items():
        won = int(round(rate * n))
        rows += [(pid, "won" if i < won else "lost", 1000.0) for i in range(n)]
    return pd.DataFrame(rows, columns=["product_id", "stage", "amount"])


def test_a_product_alone_in_its_family_is_judged_on_wins_when_its_own_records_flag_it():
    """P3 is its family's only product and wins far less than the rest: on wins alone it could
    be its family priced out (too few to tell), but when its complaints or returns already stand
    out the fall in wins is the product's, read against all other products."""
    closed = _closed({"P0": 0.40, "P1": 0.42, "P2": 0.38, "P3": 0.20})
    products = pd.DataFrame({"product_id": ["P0", "P1", "P2", "P3"], "family": list("AABC")})
    alone = within_family_win_rates(closed, products, CFG)
    assert alone.loc["P3", "level"] == "too_few"
    flagged = within_family_win_rates(closed, products, CFG, own={"P3"})
    assert flagged.loc["P3", "level"] == "extreme"
    # A product with siblings is still read against them, flagged or not.
    assert flagged.loc["P0", "level"] == alone.loc["P0", "level"] == "none"


def _row(level, z):
    return pd.Series(
        {"value": 0.1, "n": 200, "low": 0.0, "high": 0.2, "peer": 0.05, "z": z, "level": level}
    )


def test_a_findings_evidence_is_its_extreme_signal_or_the_agreement_taken_together():
    product, price = D.RULE["poor_product"], D.RULE["overpriced_family"]
    # An extreme signal that may stand alone: its own z.
    alone, agree = evidence_z(
        product, {"returns": _row("extreme", 3.4), "win_rate": _row("none", 0.3)}
    )
    assert np.isclose(alone, 3.4) and agree == -np.inf
    # Two moderate signals: Stouffer's z of the two, (2.4 + 2.2) / sqrt(2).
    alone, agree = evidence_z(
        price, {"price_lost": _row("moderate", 2.4), "win_rate": _row("moderate", 2.2)}
    )
    assert alone == -np.inf and np.isclose(agree, 4.6 / np.sqrt(2))
    # A yes/no flag agreeing with one measured signal has no z to combine: not read as chance.
    rows = {"win_rate": _row("moderate", 2.1), "discount": _row("moderate", np.nan)}
    assert evidence_z(price, rows)[1] == np.inf
    # A signal that may not stand alone is never the finding's lone evidence.
    late = D.RULE["late_department"]
    assert evidence_z(late, {"lost_lines": _row("extreme", 5.0)}) == (-np.inf, -np.inf)


def _found(alone, agree, positive=False):
    return {"positive": positive, "_evidence": (alone, agree), "scope_id": "u"}


@pytest.mark.parametrize(
    "evidence, compared, holds",
    [
        # One comparison: the bar is extreme_z (3.0), so an extreme signal of 3.2 holds ...
        ((3.2, -np.inf), 1, True),
        # ... but among 36 units compared (14 products, 4 families, 10 departments and regions,
        # and so on) the most extreme of them, nothing wrong with any, reaches 3.45 one time in a
        # hundred: 3.2 is chance.
        ((3.2, -np.inf), 36, False),
        ((3.6, -np.inf), 36, True),
        # Two moderate signals agreeing (2.4 and 2.2: 3.25 together) hold among a few units,
        ((-np.inf, 3.25), 4, True),
        # not among fifty units (bar 3.54),
        ((-np.inf, 3.25), 50, False),
        # and a flag's agreement is kept as before.
        ((-np.inf, np.inf), 500, True),
    ],
)
def test_systemic_findings_are_held_to_the_bar_of_every_comparison_made(evidence, compared, holds):
    kept = family_filter([_found(*evidence)], compared, CFG)
    assert bool(kept) is holds
    assert np.isclose(max(CFG["extreme_z"], family_bar(36, CFG["family_alarm"])), 3.45, atol=0.01)


def test_what_works_is_not_held_to_the_bar():
    assert family_filter([_found(-np.inf, -np.inf, positive=True)], 1000, CFG)


@pytest.mark.parametrize(
    "sellers, expected",
    [
        # Few sellers: extreme_z, as before.
        (30, "extreme"),
        # Among 428 sellers the most extreme fall of nobody's reaches 3.67 one time in twenty: a
        # seller closing 10 of 95 deals in the period against 23 by their own pace (z 3.04) is
        # not named on that alone.
        (428, None),
    ],
)
def test_a_fall_alone_is_held_to_the_bar_of_the_sellers_compared(sellers, expected):
    from types import SimpleNamespace

    from salescoach.domain.diagnosis_people import _alone_bars

    frame = pd.DataFrame({"level": ["none"] * sellers}, index=[f"E{i}" for i in range(sellers)])
    frame.iloc[0, 0] = "extreme"
    few = pd.DataFrame({"level": ["too_few"] * 1000})  # too few records: no comparison
    bars = _alone_bars({"deal_pace": frame, "activity_trend": few}, ALONE, SimpleNamespace(cfg=CFG))
    assert bars["activity_trend"] == CFG["extreme_z"]
    levels = {"deal_pace": "extreme", "win_rate": "too_few", "shortfall": "extreme"}
    zs = {"deal_pace": 3.04, "win_rate": 1.14, "shortfall": 3.35}
    assert D.rep_verdict(levels, ALONE, zs, CFG["extreme_z"], (3.9, 2.0), bars) == expected
    # A fall far beyond the bar still names the seller among hundreds.
    zs["deal_pace"] = 4.5
    assert D.rep_verdict(levels, ALONE, zs, CFG["extreme_z"], (3.9, 2.0), bars) == "extreme"
    assert np.isclose(family_bar(428, CFG["fall_alarm"]), 3.67, atol=0.01)
