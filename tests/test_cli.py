"""The command line through click's runner, as a user would type it."""

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.workbook import Workbook

CRM = Path(__file__).parent / "data" / "crm_export" / "mapping.yaml"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, **kw):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)

    return invoke


@pytest.fixture
def workbook(tmp_path, run):
    assert run("init", tmp_path / "wb", "--company", "Acme").exit_code == 0
    return tmp_path / "wb"


@pytest.mark.parametrize("command", [[], ["init"], ["demo"], ["import"], ["validate"]])
def test_help(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_init_twice_is_one_clear_error(run, workbook):
    result = run("init", workbook)
    assert result.exit_code == 2
    assert "already exists; use --force" in result.output
    assert "Traceback" not in result.output


def test_import_mapping_stores_good_rows_and_lists_rejects(run, workbook):
    result = run("--workbook", workbook, "import", CRM)
    assert result.exit_code == 0, result.output
    assert "did you mean 'Widget Pro'" in result.output
    assert "owners.csv (cp1252)" in result.output
    facts = Workbook.open(workbook).facts()
    assert len(facts["deals"]) == 2 and len(facts["reps"]) == 3
    rejects = pd.read_csv(facts.folder / "rejects.csv")
    assert list(rejects.columns) == ["table", "file", "row", "column", "value", "reason"]
    assert len(rejects) == 8
    manifest = facts.manifest()
    for c in manifest["counts"]:
        assert c["read"] == c["stored"] + c["merged"] + c["rejected"]


def test_second_import_carries_over_tables_it_does_not_bring(run, workbook, tmp_path):
    run("--workbook", workbook, "import", CRM)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "reps.csv").write_text(
        "rep_id,name,team,department\nana@example.com,Ana,Iberia,South\nbjorn@example.com,Björn,Nordics,North\n"
        "chloe@example.com,Chloé,Benelux,West\n",
        encoding="utf-8",
    )
    result = run("--workbook", workbook, "import", extra)
    assert result.exit_code == 0, result.output
    facts = Workbook.open(workbook).facts()
    assert len(facts["deals"]) == 2
    assert facts.manifest()["carried_over"] == ["deals", "orders", "products"]


def test_validate_stores_nothing(run, workbook, tmp_path):
    out = tmp_path / "rejects.csv"
    result = run("--workbook", workbook, "validate", CRM, "--rejects", out)
    assert result.exit_code == 0
    assert Workbook.open(workbook).facts().folder is None
    assert len(pd.read_csv(out)) == 8


def test_import_outside_a_workbook(run, tmp_path):
    result = run("--workbook", tmp_path, "import", CRM)
    assert result.exit_code == 2
    assert "is not a workbook" in result.output


def test_wrong_mapping_is_one_sentence(run, workbook, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables:\n  reps: {file: nowhere.csv}\n")
    result = run("--workbook", workbook, "import", bad)
    assert result.exit_code == 2
    assert "nowhere.csv: no such file" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_nothing_usable_exits_non_zero(run, workbook, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "reps.csv").write_text("rep_id,name,team,department\nR1,,A,N\n")
    (folder / "deals.csv").write_text("deal_id,rep_id,stage\nD1,R1,open\n")
    result = run("--workbook", workbook, "import", folder)
    assert result.exit_code != 0
    assert "nothing usable remains" in result.output
    assert Workbook.open(workbook).facts().folder is None


# Every pack of the demo as HTML and PDF: 336 s, past the default 300 s, on a loaded machine.
@pytest.mark.timeout(900)
def test_demo_builds_and_summarises(run, tmp_path):
    result = run("--workbook", tmp_path / "demo", "demo", "--scale", "0.2")
    assert result.exit_code == 0, result.output
    assert "Revenue by department" in result.output
    assert "ground_truth.json" in result.output
    facts = Workbook.open(tmp_path / "demo").facts()
    assert {"reps", "deals", "orders"} <= set(facts.tables)
    assert (tmp_path / "demo" / "salescoach-data" / "sample" / "ground_truth.json").exists()
    # Every pack kind, and the index's path printed.
    reports = tmp_path / "demo" / "reports" / "2026-Q3"
    assert f"Index: {reports / 'index.html'}" in result.output
    for kind in ("company.html", "departments/*.html", "teams/*/*.html", "reps/*/*/*.html"):
        assert list(reports.glob(kind)), kind


def test_backup_and_restore_round_trip(run, workbook, tmp_path):
    with Workbook.open(workbook).store() as store:
        store.append("goal", "rep|R1|2026-Q3|revenue", {"target": 1000.0}, "ann", "first goal")
        store.append("goal", "rep|R1|2026-Q3|revenue", {"target": 1200.0}, "ann", "market grew")
        before = store.frame()
    out = tmp_path / "decisions.jsonl"
    result = run("--workbook", workbook, "backup", out)
    assert result.exit_code == 0, result.output
    assert "Backed up 2 decisions" in result.output
    other = tmp_path / "other"
    run("init", other)
    result = run("--workbook", other, "restore", out)
    assert result.exit_code == 0, result.output
    with Workbook.open(other).store() as store:
        after = store.frame()
    pd.testing.assert_frame_equal(before, after)
    # A second restore into a database that holds decisions must be asked for explicitly.
    again = run("--workbook", other, "restore", out)
    assert again.exit_code == 2
    assert run("--workbook", other, "restore", out, "--merge").exit_code == 0
