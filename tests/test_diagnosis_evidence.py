"""The evidence model on small frames: peers' spread, rates near zero, a rep's verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescoach.domain import diagnosis as D
from salescoach.domain.diagnosis_evidence import compare_rates, compare_values, loo_median

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
