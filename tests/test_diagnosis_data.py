"""Diagnosis's prepared frames: ids as text whatever way they were read."""

import pandas as pd
import pytest

from salescoach.domain.diagnosis_data import _text_keys, prepare


def _one_at_a_time(values: pd.Series) -> pd.Series:
    return values.astype("string").astype(object).where(values.notna(), None)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["R2", None, "R1", "R2"] * 3000, dtype="str"),  # few ids: shared
        pd.Series([f"O{i}" for i in range(5000)] + [None], dtype="str"),  # mostly distinct
        pd.Series([101, 102, None]),  # ids read as numbers
        pd.Series(["R1", None, "R1"], dtype="string[pyarrow]"),
        pd.Series(["R1", None, 7], dtype=object),
        pd.Series([], dtype="str"),
        pd.Series([None, None], dtype="str"),
    ],
)
def test_ids_are_the_text_a_value_by_value_conversion_gives(values):
    got = _text_keys(values)
    expected = _one_at_a_time(values)
    pd.testing.assert_series_equal(got, expected)
    assert [type(v) for v in got] == [type(v) for v in expected]


def test_a_repeated_id_is_one_shared_text():
    got = _text_keys(pd.Series(["R1", "R2"] * 10, dtype="str"))
    assert got.iloc[0] is got.iloc[2]


def test_mostly_distinct_ids_read_as_text_are_shared_too():
    # Order ids of the order lines: one string per order, not per line.
    got = _text_keys(pd.Series([f"O{i // 2}" for i in range(6000)], dtype="str"))
    assert got.iloc[0] is got.iloc[1] and got.iloc[0] == "O0"


def test_prepared_dates_and_amounts_read_typed_are_the_same_values(sample_tables):
    prepared = prepare(sample_tables)
    for c in ("order_date", "promised_date", "delivered_date", "amount", "quantity"):
        pd.testing.assert_series_equal(prepared["orders"][c], sample_tables["orders"][c])


def test_prepared_sample_ids_equal_the_value_by_value_conversion(sample_tables):
    from salescoach.domain import diagnosis_data

    prepared = prepare(sample_tables)
    for name, keys in diagnosis_data._KEYS.items():
        if name not in sample_tables:
            continue
        for c in keys:
            if c in sample_tables[name]:
                expected = _one_at_a_time(sample_tables[name][c])
                pd.testing.assert_series_equal(prepared[name][c], expected, check_names=False)


def _family_one_at_a_time(frame, products):
    fam = frame["product_id"].map(
        products.drop_duplicates("product_id").set_index("product_id")["family"]
    )
    return frame.assign(family=fam.fillna(frame["product_id"]))


def test_families_equal_a_row_by_row_lookup(sample_tables):
    from salescoach.domain.diagnosis_data import with_family

    t = prepare({k: sample_tables[k] for k in ("orders", "deals", "products")})
    products = t["products"]
    odd = pd.DataFrame({"product_id": ["P-none", None, products["product_id"].iloc[0]]})
    for frame in (t["orders"], t["deals"], t["orders"].iloc[:0], odd):
        pd.testing.assert_frame_equal(
            with_family(frame, products), _family_one_at_a_time(frame, products)
        )


@pytest.mark.parametrize(
    "keys",
    [
        pd.Series(["R2", None, "R1", "R9", "R2"], name="rep_id", dtype=object),
        pd.Series([], name="rep_id", dtype=object),
        pd.Series([None, None], name="rep_id", dtype=object, index=[7, 3]),
    ],
)
def test_mapped_keys_equal_a_row_by_row_map(keys):
    from salescoach.domain.diagnosis_data import map_keys

    lookup = pd.Series({"R1": "North", "R2": "South", "R3": None})
    pd.testing.assert_series_equal(map_keys(keys, lookup), keys.map(lookup))


def test_first_per_group_equals_groupby_first():
    """Each order's first line that has a unit, as groupby's first gives it, orders numbered
    once: lines of one order apart, orders whose lines have no unit, lines with no order."""
    import numpy as np

    from salescoach.domain.diagnosis_data import first_per_group

    rng = np.random.default_rng(3)
    n = 5000
    order = pd.Series(rng.choice([f"O{i}" for i in range(900)] + [None], n), dtype=object)
    units = pd.Series(
        rng.choice(np.array(["West", "East", "North", None, np.nan], dtype=object), n),
        name="rep_id",
        dtype=object,
    )
    codes, ids = pd.factorize(order)
    got = first_per_group(units, codes, len(ids)).set_axis(pd.Index(ids))
    expected = units.groupby(order).first().reindex(pd.Index(ids))
    assert got.isna().any() and got.notna().any()
    pd.testing.assert_series_equal(got, expected, check_index_type=False)
    # Nothing but missing units: every order's unit is missing.
    blank = pd.Series([None] * n, dtype=object, name="rep_id")
    assert first_per_group(blank, codes, len(ids)).isna().all()
