"""A fixed handful of the scenario benchmark's organisations (benchmarks/diagnosis_scenarios.py):
small, of other shapes than the sample, some with no cause at all."""

from __future__ import annotations

import sys
from pathlib import Path

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
