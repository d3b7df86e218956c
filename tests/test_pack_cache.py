"""Pack caches that cannot go stale: the batch key covers the facts, the whole settings and the
code version, so a changed setting renders the pack again instead of skipping it."""

from __future__ import annotations

import shutil

import pytest

from salescoach.data.workbook import Workbook
from salescoach.packs import render
from salescoach.services import coaching, goals, pack_data, packs, recognition, training

PERIOD = "2026-Q2"


@pytest.fixture
def workbook(sample_workbook, tmp_path):
    """A private copy: these tests change its settings."""
    root = tmp_path / "wb"
    shutil.copytree(
        sample_workbook.root,
        root,
        ignore=shutil.ignore_patterns("sample", "*.sqlite*", "packs", "reports"),
    )
    return Workbook.open(root)


def _edit_settings(wb: Workbook, old: str, new: str) -> Workbook:
    path = wb.root / "salescoach.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    packs._WORKBOOKS.clear()  # the batch reopens the workbook, as a new process would
    return Workbook.open(wb.root)


@pytest.mark.parametrize(
    "old, new",
    [
        ('name = "Northwind Widgets (sample)"', 'name = "Northwind Widgets Ltd"'),
        ("materiality = 0.01", "materiality = 0.02"),
        # A key of a sub-table and a key of one award rule count as much as a section's.
        ('delivery = "logistics"', 'delivery = "3PL partner"'),
        ("amount = 3000.0", "amount = 2500.0"),
    ],
)
def test_the_batch_key_changes_with_any_setting(workbook, old, new):
    period = packs.parse_period(workbook, PERIOD)
    before = packs.batch_key(workbook, period)
    assert packs.batch_key(Workbook.open(workbook.root), period) == before  # stable
    changed = _edit_settings(workbook, old, new)
    assert packs.batch_key(changed, period) != before
    assert packs._fingerprint(changed, period) != packs._fingerprint(workbook, period)


def test_the_batch_key_changes_with_the_code(workbook, monkeypatch):
    period = packs.parse_period(workbook, PERIOD)
    before = packs.batch_key(workbook, period)
    assert packs.code_version().startswith(__import__("salescoach").__version__ + "+")
    monkeypatch.setattr(pack_data, "code_version", lambda: "0.1.0+another")
    assert packs.batch_key(workbook, period) != before


def test_a_changed_setting_renders_the_pack_again(workbook, chromium_path, monkeypatch):
    # Pinned: other code changing during the run would change the key too (rightly).
    monkeypatch.setattr(pack_data, "code_version", lambda: "0.1.0+pinned")
    rep = sorted(workbook.facts()["reps"]["rep_id"])[0]
    the_plan = render.plan(workbook, reps=[rep], period=PERIOD)
    first = render.run(workbook, the_plan, formats=("html",), jobs=1, force=True)
    assert len(first.rendered) == 1, first
    again = render.run(workbook, the_plan, formats=("html",), jobs=1)
    assert len(again.skipped) == 1 and not again.rendered
    changed = _edit_settings(workbook, "materiality = 0.01", "materiality = 0.02")
    after = render.run(changed, render.plan(changed, reps=[rep], period=PERIOD), formats=("html",))
    assert len(after.rendered) == 1 and not after.skipped
    # The shared batch figures were computed afresh under a new key, not read from the old.
    period = packs.parse_period(workbook, PERIOD)
    old_key, new_key = packs.batch_key(workbook, period), packs.batch_key(changed, period)
    assert old_key != new_key
    cached = {p.name for p in (workbook.data_dir / "packs").glob("*-figures.parquet")}
    assert {f"{old_key}-figures.parquet", f"{new_key}-figures.parquet"} <= cached, cached


@pytest.mark.parametrize(
    "write",
    [
        lambda wb, rep: recognition.grant(wb, rep, "2026-Q2", "trip", 100, "beat it", "t"),
        lambda wb, rep: coaching.record_step(wb, rep, "coaching_plan", "gap", "t"),
        lambda wb, rep: training.assign(wb, rep, "CRS01", "2999-01-01", "price", "t"),
        lambda wb, rep: goals.acknowledge(wb, rep, "2026-Q2", "agreed", "t"),
    ],
    ids=["award", "coaching step", "training", "discussion"],
)
def test_a_reps_decision_changes_that_reps_pack_only(workbook, write):
    # (A goal changes every pack of the period: the peers' benchmarks read every goal.)
    mine, other = sorted(goals_of_sellers(workbook))[:2]
    the_plan = render.plan(workbook, reps=[mine, other], period=PERIOD)
    before = render.content_hashes(workbook, the_plan, ("html",))
    write(workbook, mine)
    after = render.content_hashes(workbook, the_plan, ("html",))
    by_rep = {spec.scope_id: spec for spec in the_plan.specs}
    assert after[by_rep[mine]] != before[by_rep[mine]]
    assert after[by_rep[other]] == before[by_rep[other]]


def goals_of_sellers(wb: Workbook) -> list[str]:
    reps = wb.facts()["reps"]
    return list(reps[(reps["role"] != "support") & reps["end_date"].isna()]["rep_id"])
