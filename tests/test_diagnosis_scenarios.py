"""A fixed handful of the scenario benchmark's organisations (benchmarks/diagnosis_scenarios.py):
small, of other shapes than the sample, some with no cause at all."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import diagnosis_scenarios as bench  # noqa: E402

from salescoach.domain import diagnosis  # noqa: E402

# (seed, sellers, planted causes)
SCENARIOS = [(11, 24, 0), (12, 40, 3), (13, 18, 2), (14, 36, 0), (15, 45, 4)]


@pytest.fixture(scope="module")
def scored():
    out = []
    for seed, size, k in SCENARIOS:
        s = bench.generate(seed, size=size, n_causes=k)
        out.append((s, bench.score(s, bench.run(diagnosis, s))))
    return out


def test_no_crash_and_no_rep_blamed_for_a_systemic_cause(scored):
    for s, sc in scored:
        assert "_crash" not in sc, s.seed
        assert sc["rep"]["on_decoys"] == 0, s.seed


def test_organisations_without_a_cause_have_no_material_finding(scored):
    for s, sc in scored:
        if not s.planted:
            assert sc["_no_cause_findings"] == 0, s.seed


def test_findings_match_planted_causes(scored):
    findings = sum(sc[c]["findings"] for _s, sc in scored for c in bench.CAUSES)
    correct = sum(sc[c]["correct"] for _s, sc in scored for c in bench.CAUSES)
    assert findings == 0 or correct / findings >= 0.9
    print(bench.table([sc for _s, sc in scored]))


def test_detectability_is_the_loss_against_the_noise_of_the_units_own_sample():
    rng = np.random.default_rng(0)
    amount = rng.uniform(3000, 20000, 40)
    p = np.full(40, 0.3)
    lost = np.where(rng.random(40) < 0.1, amount, 0.0)
    z = bench.detectability(lost, p, amount)
    # The same share lost on four times the deals stands twice as far above their noise.
    z4 = bench.detectability(np.tile(lost, 4), np.tile(p, 4), np.tile(amount, 4))
    assert z4 == pytest.approx(2 * z)
    assert bench.detectability(np.zeros(40), p, amount) == 0
    # Deals removed (the rep cause) add their value and their count's noise.
    assert bench.detectability(lost, p, amount, poisson=True) < z


def test_every_planted_cause_is_scored_for_detectability(scored):
    for s, _sc in scored:
        for cause, unit, _lost, _material in s.planted:
            assert (cause, unit) in s.detect, (s.seed, cause, unit)
