"""The batch cache: the organisation-wide figures a render batch computes once are the figures
the services compute without it, and a pack reads them instead of computing them again."""

from __future__ import annotations

import pandas as pd
import pytest

from salescoach.data.workbook import Workbook
from salescoach.domain import diagnosis as diagnosis_rules
from salescoach.packs import batch as batch_prep
from salescoach.services import batch, diagnosis, recognition, training

PERIOD = "2026-Q3"


def _rep(wb) -> str:
    return sorted(wb.facts()["reps"]["rep_id"])[0]


def _what_a_pack_reads(wb) -> dict:
    rep = _rep(wb)
    team = wb.facts()["reps"].set_index("rep_id").loc[rep, "team"]
    view = diagnosis.overview(wb, PERIOD, scope="rep", scope_id=rep, rep_id=rep)
    return {
        "findings": diagnosis.findings(wb, PERIOD, scope="rep", scope_id=rep),
        "waterfall": diagnosis.waterfall(wb, PERIOD, level="team"),
        "overview.findings": view["findings"],
        "overview.waterfall": view["waterfall"],
        "explanation": diagnosis.rep_explanation(wb, rep, PERIOD),
        "standings": recognition.standings(wb, PERIOD, "team", team),
        "proposal": recognition.proposal(wb, PERIOD, "team", team).awards,
        "training.rep": training.status(wb, PERIOD, "rep", rep),
        "training.team": training.status(wb, PERIOD, "team", team),
        "what_works": training.what_works(wb, PERIOD),
        "insights": training.insight_tables(wb, PERIOD),
    }


def _same(left, right, where: str) -> None:
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right, obj=where)
        assert set(left.attrs) == set(right.attrs), where
    elif isinstance(left, pd.Series):
        pd.testing.assert_series_equal(left, right, obj=where)
    elif isinstance(left, dict):
        assert set(left) == set(right), where
        for key in left:
            _same(left[key], right[key], f"{where}.{key}")
    else:
        assert left == right, where


@pytest.fixture
def no_batch():
    batch.activate(None)
    yield
    batch.activate(None)


def test_the_same_figures_with_or_without_the_batch_cache(sample_workbook, no_batch):
    without = _what_a_pack_reads(sample_workbook)
    folder = batch_prep.prepare(sample_workbook, PERIOD)
    assert {p.name.split("-")[0] for p in folder.glob("*.pickle")} >= {
        "diagnosis.run",
        "recognition.inputs",
        "training.status",
        "training.what_works",
        "training.insight_tables",
    }
    batch.activate(folder)
    with_cache = _what_a_pack_reads(sample_workbook)
    for key in without:
        _same(without[key], with_cache[key], key)


def test_a_pack_reads_the_batch_instead_of_computing(sample_workbook, no_batch, monkeypatch):
    folder = batch_prep.prepare(sample_workbook, PERIOD)
    monkeypatch.setenv(batch.ENV, str(folder))

    def recomputed(*args, **kwargs):
        raise AssertionError("the organisation's diagnosis ran again in a pack")

    monkeypatch.setattr(diagnosis_rules, "diagnose", recomputed)
    rep = _rep(sample_workbook)
    assert isinstance(diagnosis.findings(sample_workbook, PERIOD, "rep", rep), pd.DataFrame)
    # Another period is another entry: computed, not mistaken for the batch's.
    with pytest.raises(AssertionError, match="ran again"):
        diagnosis.run(sample_workbook, "2026-Q2")


def test_another_workbook_never_reads_the_batch(sample_workbook, no_batch, tmp_path, monkeypatch):
    folder = batch_prep.prepare(sample_workbook, PERIOD)
    batch.activate(folder)
    calls = []
    real = diagnosis_rules.diagnose
    monkeypatch.setattr(
        diagnosis_rules, "diagnose", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sample_workbook.root, copy, ignore=shutil.ignore_patterns("packs", "reports"))
    diagnosis.run(Workbook.open(copy), PERIOD)
    assert calls == [1]


def test_a_changed_decision_is_another_batch(sample_workbook, no_batch):
    before = batch_prep.folder_for(sample_workbook, PERIOD)
    with sample_workbook.store() as store:
        store.append("note", "batch-cache-test", {"text": "x"}, who="test", why="test")
    assert batch_prep.folder_for(sample_workbook, PERIOD) != before
