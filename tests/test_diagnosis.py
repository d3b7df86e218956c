"""Diagnosis: rule-level known answers on hand-made frames, then both sample organisations."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salescoach.domain import diagnosis as D
from salescoach.domain.diagnosis_evidence import wilson
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period

sys.path.insert(0, str(Path(__file__).parent))
from diagnosis_scoring import SECOND_MIX, SECOND_SEED, score  # noqa: E402

START, END = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-06-30")
TODAY = pd.Timestamp("2026-12-02")


@pytest.mark.parametrize(
    "values, expected",
    [([1, 2, 3, 4, 100], [-1.349, -0.674, 0.0, 0.674, 65.42]), ([5, 5, 5, 5], [0, 0, 0, 0])],
)
def test_robust_z(values, expected):
    assert np.allclose(D.robust_z(pd.Series(values, dtype=float)), expected, atol=1e-2)


@pytest.mark.parametrize("hits, n", [(0, 20), (5, 20), (20, 20), (22, 100)])
def test_wilson_interval_holds_the_rate(hits, n):
    low, high = wilson([hits], [n], 2.0)
    assert 0 <= low[0] <= hits / n <= high[0] <= 1 and high[0] - low[0] > 0


def test_win_rate_per_rep():
    deals = pd.DataFrame(
        {
            "deal_id": list("abcd"),
            "rep_id": "R1",
            "stage": ["won", "lost", "lost", "won"],
            "close_date": pd.Timestamp("2026-02-01"),
            "amount": 100.0,
        }
    )
    closed = D.closed_deals(deals, START, END)
    assert D.win_rates(closed, "rep_id").loc["R1", "win_rate"] == 0.5


def test_course_status_missing_and_overdue():
    courses = pd.DataFrame(
        {"course_id": ["C1"], "product_family": ["Storage"], "refresh_days": [365]}
    )
    training = pd.DataFrame(
        {
            "rep_id": ["A", "B"],
            "course_id": ["C1", "C1"],
            "completed_date": pd.to_datetime(["2026-01-01", "2024-01-01"]),
        }
    )
    status = D.course_status(training, courses, END)
    assert not status.loc[("A", "Storage"), "overdue"] and status.loc[("B", "Storage"), "overdue"]
    assert ("C", "Storage") not in status.index


def test_every_rule_names_its_needs_thresholds_and_owner():
    shipped = D.settings_defaults()
    for rule in D.RULES:
        assert rule.cause in D.CAUSES and rule.owner and set(rule.thresholds) <= set(shipped)
        assert rule.signals and all(s.needs for s in rule.signals)


def _diagnose(tables, period="2026-Q3", drop=()):
    from salescoach.services.diagnosis import rep_attainment

    t = {k: v for k, v in tables.items() if k not in drop}
    p = Period.parse(period)
    return D.diagnose(t, p.start, p.end, rep_attainment(t, None, p), {}, Formatter(), today=TODAY)


@pytest.fixture(scope="module")
def second_sample():
    from salescoach.data.sample import build_sample

    return build_sample(seed=SECOND_SEED, problems=SECOND_MIX)


def test_sample_organisation_all_planted_problems_found(sample_tables, ground_truth):
    result = _diagnose(sample_tables)
    s = score(result.findings, ground_truth)
    print("seed 7 2026-Q3", s)
    assert s["recall"] == 1.0, s["missed"]
    assert s["precision"] == 1.0, s["extra"]
    assert s["victim_rep_findings"] == []
    assert s["top_recall"] == 1.0


def test_second_organisation_other_mix(second_sample):
    result = _diagnose(second_sample.tables)
    s = score(result.findings, second_sample.ground_truth)
    print("seed 11 2026-Q3", s)
    assert s["recall"] == 1.0, s["missed"]
    assert s["precision"] == 1.0, s["extra"]
    assert s["victim_rep_findings"] == []


def test_missing_service_table_is_not_assessed_and_others_run(second_sample):
    result = _diagnose(second_sample.tables, drop=("service",))
    service = result.checks.set_index("cause").loc["service"]
    assert service["detail"] == "not assessed: no service data"
    assert (result.checks["status"] == "problem").sum() >= 3


def test_findings_carry_what_the_json_needs(second_sample):
    f = _diagnose(second_sample.tables).findings
    assert {"scope", "scope_id", "cause", "impact", "evidence", "owner", "action"} <= set(f.columns)
    assert f["evidence"].str.len().gt(0).all() and (f["impact"] >= 0).all()
    briefs = D.by_owner(f)
    assert "logistics" in briefs and "marketing" in briefs


def test_cli_future_quarter_blames_no_rep_and_says_what_it_could_not_assess(sample_workbook):
    """2026-Q4 has no data in the sample: judged on pace and pipeline, no rep listed."""
    import json

    from click.testing import CliRunner

    from salescoach.cli import main

    base = ["--workbook", str(sample_workbook.root), "diagnose", "--period", "2026-Q4"]
    out = CliRunner().invoke(main, base + ["--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    findings = [r for r in rows if r["status"] == "finding"]
    assert not [r for r in findings if r["cause"] == "rep" and not r["positive"]]
    assert all({"n", "low", "high"} <= set(r) for r in findings)
    (rep,) = [r for r in rows if r["cause"] == "rep" and r["status"] == "not_assessed"]
    assert rep["needs"] and rep["reason"].startswith("not assessed")
    text = CliRunner().invoke(main, base).output
    assert "no rep is blamed" in text and "No problem found" not in text


@pytest.mark.parametrize(
    "scope, expected",
    [
        (["--scope", "rep"], "no rep given"),
        (["--scope", "rep", "--scope-id", "R999"], "unknown rep 'R999'"),
        (["--scope", "team", "--scope-id", "Nowhere"], "unknown team 'Nowhere'"),
    ],
)
def test_cli_a_scope_nobody_is_in_is_one_clear_error(sample_workbook, scope, expected):
    """Findings for nobody must not read as a clean bill of health (they printed the company's)."""
    from click.testing import CliRunner

    from salescoach.cli import main

    base = ["--workbook", str(sample_workbook.root), "diagnose", "--period", "2026-Q3"]
    out = CliRunner().invoke(main, base + scope)
    assert out.exit_code != 0 and expected in out.output, out.output
    first_rep = sample_workbook.facts()["reps"]["rep_id"].iloc[0]
    ok = CliRunner().invoke(main, base + ["--scope", "rep", "--scope-id", str(first_rep)])
    assert ok.exit_code == 0, ok.output
