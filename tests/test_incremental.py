"""Incremental import: a month of orders appended by key, idempotent, month files shared."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data import partitions
from salescoach.data.importer import validate_path
from salescoach.data.sample import write_sample
from salescoach.data.workbook import Workbook, init_workbook
from salescoach.domain import contract


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The sample (scale 0.2) as a base folder without its last month of orders, and a folder
    holding only that month's orders."""
    root = tmp_path_factory.mktemp("incremental")
    full = root / "full"
    write_sample(full, seed=3, scale=0.2)
    orders = pd.read_csv(full / "orders.csv", dtype=str, keep_default_na=False)
    last = orders["order_date"].str[:7].max()
    base, month = root / "base", root / "month"
    shutil.copytree(full, base)
    month.mkdir()
    in_month = orders["order_date"].str[:7] == last
    orders[~in_month].to_csv(base / "orders.csv", index=False)
    orders[in_month].to_csv(month / "orders.csv", index=False)
    return {"full": full, "base": base, "month": month, "last": last, "n": int(in_month.sum())}


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def stored_orders(wb: Path) -> pd.DataFrame:
    return Workbook.open(wb).facts()["orders"]


def test_a_snapshot_reads_back_what_was_imported(split, tmp_path):
    init_workbook(tmp_path)
    result = validate_path(split["full"])
    wb = Workbook.open(tmp_path)
    snapshot = wb.save_import(result, "test", "tests")
    assert (snapshot / "orders").is_dir() and (snapshot / "reps.parquet").is_file()
    assert (snapshot / "orders" / f"{split['last']}.parquet").is_file()
    facts = wb.facts()
    for name, frame in result.tables.items():
        pd.testing.assert_frame_equal(
            facts[name], contract.conform(name, frame).reset_index(drop=True)
        )


def test_append_adds_the_month_and_again_changes_nothing(split, tmp_path):
    wb = tmp_path / "wb"
    run("init", wb)
    run("--workbook", wb, "import", split["base"])
    before = stored_orders(wb)
    first = Workbook.open(wb).current_snapshot()

    out = run("--workbook", wb, "import", "--append", split["month"])
    assert f"orders: {split['n']:,} added, 0 updated, 0 already imported" in out
    after = stored_orders(wb)
    assert len(after) == len(before) + split["n"]
    pd.testing.assert_frame_equal(after.head(len(before)), before)
    expected = contract.conform("orders", validate_path(split["full"]).tables["orders"])
    pd.testing.assert_frame_equal(after, expected.reset_index(drop=True))
    second = Workbook.open(wb).current_snapshot()
    # Months the append left alone are the same files, linked; the new month is new.
    months = sorted(p.name for p in (first / "orders").glob("*.parquet"))
    assert all(
        (second / "orders" / m).stat().st_ino == (first / "orders" / m).stat().st_ino
        for m in months
    )
    assert not (first / "orders" / f"{split['last']}.parquet").exists()

    out = run("--workbook", wb, "import", "--append", split["month"])
    assert f"orders: 0 added, 0 updated, {split['n']:,} already imported" in out
    pd.testing.assert_frame_equal(stored_orders(wb), after)
    # Reps, products and the rest were not in the appended folder: they carry over.
    assert len(Workbook.open(wb).facts()["reps"]) == len(
        pd.read_csv(split["base"] / "reps.csv", dtype=str)
    )


def test_a_changed_row_replaces_the_stored_one_in_place(split, tmp_path):
    wb = tmp_path / "wb"
    run("init", wb)
    run("--workbook", wb, "import", split["base"])
    before = stored_orders(wb)
    orders = pd.read_csv(split["base"] / "orders.csv", dtype=str, keep_default_na=False)
    changed = orders.head(1).assign(quantity="999")
    folder = tmp_path / "fix"
    folder.mkdir()
    changed.to_csv(folder / "orders.csv", index=False)
    out = run("--workbook", wb, "import", "--append", folder)
    assert "orders: 0 added, 1 updated, 0 already imported" in out
    after = stored_orders(wb)
    assert len(after) == len(before)
    assert after.loc[0, "quantity"] == 999
    pd.testing.assert_frame_equal(after.iloc[1:], before.iloc[1:])


def test_a_bad_row_in_the_appended_file_is_rejected_with_where(split, tmp_path):
    wb = tmp_path / "wb"
    run("init", wb)
    run("--workbook", wb, "import", split["base"])
    month = pd.read_csv(split["month"] / "orders.csv", dtype=str, keep_default_na=False)
    month.loc[2, "quantity"] = "lots"
    folder = tmp_path / "bad"
    folder.mkdir()
    month.to_csv(folder / "orders.csv", index=False)
    out = run("--workbook", wb, "import", "--append", folder)
    assert f"orders: {split['n'] - 1:,} added, 0 updated, 0 already imported" in out
    snapshot = Workbook.open(wb).current_snapshot()
    rejects = pd.read_csv(snapshot / "rejects.csv", dtype=str)
    assert rejects[["table", "file", "row", "column", "value"]].values.tolist() == [
        ["orders", "orders.csv", "4", "quantity", "lots"]
    ]


def test_month_files_read_back_in_import_order_with_a_null_month_promoted(tmp_path):
    """Months read in name order come back in `__row` order; a month whose column held no
    value (stored as null) reads as the type the other months give it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "orders").mkdir()
    pq.write_table(
        pa.table({"order_id": ["b1"], "note": pa.nulls(1), "amount": pa.nulls(1), "__row": [3]}),
        tmp_path / "orders" / "2026-02.parquet",
    )
    pq.write_table(
        pa.table(
            {"order_id": ["a1", "a2"], "note": ["x", None], "amount": [1.5, None], "__row": [0, 1]}
        ),
        tmp_path / "orders" / "2026-01.parquet",
    )
    pq.write_table(
        pa.table({"order_id": ["c1"], "note": ["y"], "amount": [2.0], "__row": [2]}),
        tmp_path / "orders" / "none.parquet",
    )
    pool = pa.default_memory_pool().backend_name
    got = partitions.read(tmp_path, "orders")
    # Read with the system allocator, and Arrow's own is given back afterwards.
    assert pa.default_memory_pool().backend_name == pool
    assert got["order_id"].tolist() == ["a1", "a2", "c1", "b1"]
    assert got["amount"].dtype == "float64"
    assert got["note"].isna().tolist() == [False, True, False, True]


def test_periods_file_rows_without_a_date_apart():
    frame = pd.DataFrame(
        {
            "created_date": pd.to_datetime(["2026-07-03", None, None]),
            "close_date": pd.to_datetime([None, "2026-08-01", None]),
        }
    )
    assert partitions.periods("deals", frame).tolist() == ["2026-07", "2026-08", "none"]


def test_an_append_reads_only_the_months_it_changes_and_says_the_same_capabilities(
    split, tmp_path, monkeypatch
):
    """The appended month is merged without reading the other months' rows (only their keys),
    and the manifest's capabilities, taken from the files and the previous manifest, are those
    of the whole stored facts."""
    from salescoach.domain.capabilities import Capabilities

    wb = tmp_path / "wb"
    run("init", wb)
    run("--workbook", wb, "import", split["base"])
    read_whole = []
    real_read = partitions.read
    monkeypatch.setattr(
        partitions, "read", lambda *a, **k: read_whole.append(a[1]) or real_read(*a, **k)
    )
    run("--workbook", wb, "import", "--append", split["month"])
    # Only what the orders refer to is read whole (to check their ids); the stored orders are
    # read by month, and activities, service, feedback and the rest are not read at all.
    assert set(read_whole) <= {"reps", "products", "customers", "deals"}, read_whole
    monkeypatch.undo()
    facts = Workbook.open(wb).facts()
    assert facts.capabilities() == Capabilities.from_tables(facts.all())
    # Idempotent: the same month again changes no row and no capability.
    run("--workbook", wb, "import", "--append", split["month"])
    again = Workbook.open(wb).facts()
    assert again.capabilities() == facts.capabilities()
    pd.testing.assert_frame_equal(again["orders"], facts["orders"])
