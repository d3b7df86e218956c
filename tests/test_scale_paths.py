"""The fast paths of issue 23 give the figures the plain pandas paths give.

diagnose, goals suggest and awards propose compute per level and per batch what they used to
compute per rep (a leave-one-out median from one sort, goal actuals summed per level, a rep's
row looked up once per batch) and read the facts through `Facts.view()` (tables read on first
use, derived frames kept). Each is held here against the per-rep definition it replaces, on the
sample organisation and on the ablation shapes of the real-exports issue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_ablation import SHAPES, _sample_tables

from salescoach.domain import actuals, attainment, diagnosis, goals, recognition
from salescoach.domain.diagnosis_evidence import loo_median
from salescoach.domain.fmt import Formatter
from salescoach.domain.periods import Period


def others_median(values: pd.Series, keys: pd.Index) -> np.ndarray:
    """The median of the others' values for each key, through the one implementation the
    diagnosis uses (`loo_median`: keys that are not units see every unit)."""
    units = values.index.union(pd.Index(keys)).unique()
    eligible = pd.Series(units.isin(values.index), index=units) & values.reindex(units).notna()
    return loo_median(values.reindex(units), eligible).reindex(pd.Index(keys)).to_numpy()


PERIOD = Period.parse("2026-Q3")
# The minimal shapes real exports have, and the column drops that touch what these paths read.
CHECKED_SHAPES = [
    "full",
    "required-only",
    "deals-only",
    "orders-only",
    "orders-no-status-dates",
    "numeric-ids",
    "substring-ids",
    "greek-names",
    "one-rep",
    "reps-no-hire_date",
    "reps-no-end_date",
    "reps-no-role",
    "orders-no-status",
]


@pytest.fixture(scope="module")
def base():
    return _sample_tables()


def shaped(base, name: str) -> dict[str, pd.DataFrame]:
    return SHAPES[name]({k: v.copy() for k, v in base.items()})


# --------------------------------------------------------------------------- peer medians


def _naive_others(values: pd.Series, keys) -> list[float]:
    return [values.drop(k, errors="ignore").median() for k in keys]


@pytest.mark.parametrize(
    "values, keys",
    [
        ([3.0, 1.0, 2.0, 5.0], list("abcd")),  # even: the others are three
        ([3.0, 1.0, 2.0], list("abc")),  # odd: the others are two, averaged
        ([2.0, 2.0, 2.0, 7.0, 1.0], list("abcde")),  # ties
        ([4.0, np.nan, 1.0, 9.0], list("abcd")),  # a missing mean is no peer
        ([5.0], ["a", "b"]),  # one unit: nothing left for it; the outsider sees it
        ([], ["a"]),  # nobody eligible
        ([1.0, 8.0, 3.0], ["a", "x", "c", "y"]),  # keys not among the values
    ],
    ids=["even", "odd", "ties", "missing", "single", "empty", "outsiders"],
)
def test_others_median_is_the_median_of_the_others(values, keys):
    series = pd.Series(values, index=list("abcde")[: len(values)], dtype=float)
    got = others_median(series, pd.Index(keys))
    np.testing.assert_allclose(got, _naive_others(series, keys), rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("seed", range(5))
def test_others_median_on_random_means(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    values = pd.Series(
        rng.choice([1.0, 2.5, 3.0], n) if seed % 2 else rng.lognormal(0, 1, n),
        index=[f"r{i}" for i in range(n)],
    )
    values[rng.random(n) < 0.1] = np.nan
    keys = pd.Index([*values.index, "outsider"])
    got = others_median(values, keys)
    np.testing.assert_allclose(got, _naive_others(values, keys), rtol=0, atol=0, equal_nan=True)


# --------------------------------------------------------------------------- goal actuals


@pytest.mark.parametrize("shape", CHECKED_SHAPES)
def test_scope_totals_equal_the_members_sums(base, shape):
    tables = shaped(base, shape)
    reps = tables["reps"]
    try:
        values = actuals.per_rep(tables, "revenue", PERIOD.start, PERIOD.end)
    except actuals.MissingData:
        values = actuals.per_rep(tables, "deals_won", PERIOD.start, PERIOD.end)
    pairs = [("company", "company")]
    for level, column in (("department", "department"), ("team", "team"), ("rep", "rep_id")):
        pairs += [(level, v) for v in reps[column].dropna().unique()]
        pairs.append((level, "nobody of that name"))
    scopes, ids = pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs])
    got = actuals.scope_totals(values, reps, scopes, ids)
    expected = [
        float(values.reindex(actuals.members(reps, s, i)).fillna(0).sum()) for s, i in pairs
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# --------------------------------------------------------------------------- suggestions


def _naive_baseline(inputs, rep_id):
    """`goals._rep_baseline` as it was: one reindex per rep."""
    values = (
        inputs.per_period.reindex([rep_id]).fillna(0.0).iloc[0]
        if len(inputs.per_period.columns)
        else pd.Series(dtype=float)
    )
    share = (
        inputs.shares.loc[rep_id]
        if rep_id in inputs.shares.index
        else pd.Series(1.0, index=values.index)
    )
    share = share.reindex(values.index).fillna(1.0)
    counted = share >= inputs.config.min_active_share
    return values[counted] / share[counted], int(((share > 0) & ~counted).sum())


@pytest.mark.parametrize("shape", CHECKED_SHAPES)
def test_batched_suggestion_lookups_equal_the_per_rep_ones(base, shape):
    tables = shaped(base, shape)
    reps = tables["reps"]
    try:
        inputs = goals.suggestion_inputs(tables, Period.parse("2026-Q4"))
    except Exception as exc:  # noqa: BLE001 - a shape without revenue has no suggestion at all
        pytest.skip(f"no suggestion on this shape: {exc}")
    for level, column in (("department", "department"), ("team", "team"), ("rep", "rep_id")):
        for unit in [*reps[column].dropna().unique(), "nobody of that name"]:
            assert list(inputs.members(level, unit)) == list(actuals.members(reps, level, unit))
    on_staff = goals._on_staff(inputs, reps)
    for rep in reps["rep_id"]:
        history, partial = goals._rep_baseline(inputs, rep)
        n_history, n_partial = _naive_baseline(inputs, rep)
        pd.testing.assert_series_equal(history, n_history, check_names=False)
        assert partial == n_partial
        members = inputs.members("rep", rep)
        pd.testing.assert_series_equal(
            goals._mix_of(inputs, members),
            goals._mix(inputs.by_rep_family, actuals.members(reps, "rep", rep)),
            check_names=False,
            check_index_type=False,
        )
        expected = float(goals.active_share(reps[reps["rep_id"] == rep], inputs.period).iloc[0])
        assert on_staff[rep] == expected


# --------------------------------------------------------------------------- through the view


def test_commands_read_the_same_through_the_view(sample_workbook):
    """`Facts.view()` (tables read on first use, events kept) against every table read up front."""
    from salescoach.domain.attainment import goals_in_force

    facts = sample_workbook.facts()
    view, tables = facts.view(), dict(facts.all())
    assert sorted(view) == sorted(tables) and "activities" in view and "nothing" not in view
    in_force = goals_in_force(tables.get("targets"), None)
    pd.testing.assert_frame_equal(
        attainment.attainment_table(view, in_force, PERIOD),
        attainment.attainment_table(tables, in_force, PERIOD),
    )
    history = recognition.attainment_history(view, in_force, PERIOD, 4, "revenue")
    pd.testing.assert_frame_equal(
        history, recognition.attainment_history(tables, in_force, PERIOD, 4, "revenue")
    )
    a = goals.suggest_all(view, "rep", Period.parse("2026-Q4"))
    b = goals.suggest_all(tables, "rep", Period.parse("2026-Q4"))
    assert a == b and len(a) > 10
    found = diagnosis.diagnose(view, PERIOD.start, PERIOD.end, None, {}, Formatter())
    again = diagnosis.diagnose(tables, PERIOD.start, PERIOD.end, None, {}, Formatter())
    pd.testing.assert_frame_equal(found.findings, again.findings)
    # The events of a metric are built once per view and handed out again.
    assert actuals.events(view, "revenue") is actuals.events(view, "revenue")
