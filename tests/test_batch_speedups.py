"""The batch's faster paths give what the plain ones give: the leave-one-out median, the
scopes' totals and the decisions read once (a pack's reads served from memory)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescoach.data import store_snapshot
from salescoach.data.store import Store
from salescoach.domain import actuals, attainment
from salescoach.domain.diagnosis_evidence import loo_median


def leave_one_out_median(values: pd.Series, keys: pd.Index) -> np.ndarray:
    """The median of the others' values for each key, through the one implementation the
    diagnosis uses (`loo_median`: keys that are not units see every unit)."""
    units = values.index.union(pd.Index(keys)).unique()
    eligible = pd.Series(units.isin(values.index), index=units) & values.reindex(units).notna()
    return loo_median(values.reindex(units), eligible).reindex(pd.Index(keys)).to_numpy()


@pytest.mark.parametrize("seed", range(40))
def test_leave_one_out_median_is_the_median_without_each_label(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 10))
    labels = pd.Index([f"r{i}" for i in range(m + 3)])
    values = pd.Series(rng.integers(0, 4, m).astype(float), index=labels[:m])
    if m and seed % 3 == 0:
        values.iloc[int(rng.integers(0, m))] = np.nan
    index = labels[rng.permutation(len(labels))]
    expected = [values.drop(k, errors="ignore").median() for k in index]
    got = leave_one_out_median(values, index)
    np.testing.assert_allclose(got, expected, equal_nan=True)


def test_scope_actuals_sum_each_scopes_members():
    reps = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "d"],
            "team": ["t1", "t1", "t2", None],
            "department": ["d1", "d1", "d1", "d2"],
        }
    )
    # "x" sold but is not in the reps table: no scope counts it, as `actuals.members` says.
    per_rep = pd.Series({"a": 10.0, "c": 5.5, "d": 1.0, "x": 99.0})
    scopes = ["company", "team", "team", "department", "department", "rep", "rep", "team"]
    ids = [None, "t1", "t2", "d1", "d2", "b", "x", "nowhere"]
    expected = [
        float(per_rep.reindex(actuals.members(reps, s, i)).fillna(0).sum())
        for s, i in zip(scopes, ids)
    ]
    assert attainment.scope_actuals(per_rep, reps, scopes, ids) == pytest.approx(expected)
    with pytest.raises(ValueError):
        attainment.scope_actuals(per_rep, reps, ["region"], ["r1"])


class _Book:
    """The two things the snapshot needs of a workbook: its data folder and settings."""

    def __init__(self, folder):
        self.data_dir = folder
        self.settings = {"store": {"url": ""}}

    def store(self):
        return Store.for_workbook(self.data_dir)


def test_a_store_read_once_answers_as_the_store(tmp_path, monkeypatch):
    from salescoach.data import workbook

    monkeypatch.setattr(workbook.Workbook, "store", _Book.store)
    book = _Book(tmp_path)
    with book.store() as store:
        store.append("award", "rep:R1|2026-Q1", {"award": "trip"}, who="m", why="first")
        store.append("award", "rep:R1|2026-Q1", {"award": "leave"}, who="m", why="changed")
        store.append("award", "rep:R2|2026-Q1", {"award": "cash"}, who="m", why="beat it")
        store.append("coaching", "rep:R1", {"step": "coach"}, who="m", why="slow quarter")
        real = (store.current("award"), store.frame(), store.frame("award"))
        keyed = store.history(key_prefix="rep:R1")
    try:
        assert store_snapshot.install(book)
        snap = workbook.Workbook.store(book)
        assert isinstance(snap, store_snapshot.StoreSnapshot)
        pd.testing.assert_frame_equal(snap.current("award"), real[0])
        pd.testing.assert_frame_equal(snap.frame(), real[1])
        pd.testing.assert_frame_equal(snap.frame("award"), real[2])
        assert snap.history(key_prefix="rep:R1") == keyed
        # A write goes to the real store, and from then on reads are the store's again.
        with workbook.Workbook.store(book) as writer:
            writer.append("award", "rep:R3|2026-Q1", {"award": "office"}, who="m", why="new")
        after = workbook.Workbook.store(book)
        assert not isinstance(after, store_snapshot.StoreSnapshot)
        with after:
            assert "rep:R3|2026-Q1" in set(after.current("award")["key"])
    finally:
        store_snapshot.uninstall()
