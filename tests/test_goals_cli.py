"""`salescoach goals ...` end to end on a small sample workbook."""

import re

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.workbook import Workbook
from salescoach.services import goals as service


@pytest.fixture(scope="module")
def wb(demo_workbook):
    """This module's copy of `demo --scale 0.2 --no-packs` (tests/conftest.py): it writes goals."""
    return demo_workbook()


def run(wb, *args):
    return CliRunner().invoke(
        main, ["--workbook", str(wb), *map(str, args)], catch_exceptions=False
    )


def _rep(wb):
    reps = Workbook.open(wb).facts()["reps"]
    return reps[reps["role"] == "seller"]["rep_id"].iloc[0]


def test_set_list_history_never_overwrites(wb):
    rep = _rep(wb)
    assert (
        run(
            wb,
            "goals",
            "set",
            "--scope",
            "rep",
            "--id",
            rep,
            "--period",
            "2026-Q4",
            "--target",
            1000,
            "--reason",
            "first",
        ).exit_code
        == 0
    )
    assert (
        run(
            wb,
            "goals",
            "set",
            "--scope",
            "rep",
            "--id",
            rep,
            "--period",
            "2026-Q4",
            "--target",
            1200,
            "--reason",
            "market up",
            "--because",
            "economy",
        ).exit_code
        == 0
    )
    out = run(wb, "goals", "list", "--history", "--period", "2026-Q4", "--scope", "rep").output
    # As people say it: the rep's name and id, the quarter, the metric's word, money.
    lines = [line for line in out.splitlines() if f"({rep}), Q4 2026, revenue:" in line]
    assert [line.split("version ")[1].split(",")[0] for line in lines] == ["0", "1", "2"]
    assert "market up" in lines[-1] and "(economy)" in lines[-1]
    assert "|" not in out
    current = run(wb, "goals", "list", "--period", "2026-Q4", "--scope", "rep").output
    assert f"({rep}), Q4 2026, revenue: €1,200 (version 2, set in the workbook)" in current


@pytest.mark.parametrize(
    "args, message",
    [
        (["--target", "-5", "--reason", "x"], "cannot be negative"),
        (["--target", "5", "--reason", " "], "needs a reason"),
    ],
)
def test_bad_input_writes_nothing(wb, args, message):
    rep = _rep(wb)
    with Workbook.open(wb).store() as store:
        before = len(store.frame())
    result = run(wb, "goals", "set", "--scope", "rep", "--id", rep, "--period", "2026-Q4", *args)
    assert result.exit_code == 2 and message in result.output
    with Workbook.open(wb).store() as store:
        assert len(store.frame()) == before


def test_closed_period_needs_force(wb):
    rep = _rep(wb)
    result = run(
        wb,
        "goals",
        "set",
        "--scope",
        "rep",
        "--id",
        rep,
        "--period",
        "2026-Q1",
        "--target",
        5,
        "--reason",
        "x",
    )
    assert result.exit_code == 2 and "has already closed" in result.output
    forced = run(
        wb,
        "goals",
        "set",
        "--scope",
        "rep",
        "--id",
        rep,
        "--period",
        "2026-Q1",
        "--target",
        5,
        "--reason",
        "x",
        "--force",
    )
    assert forced.exit_code == 0


def test_suggest_apply_and_ack(wb):
    result = run(
        wb,
        "goals",
        "suggest",
        "--period",
        "2027-Q1",
        "--scope",
        "team",
        "--apply",
        "--reason",
        "plan",
    )
    assert result.exit_code == 0, result.output
    assert "seasonality" in result.output and "Stored" in result.output
    rep = _rep(wb)
    ack = run(wb, "goals", "ack", rep, "--period", "2026-Q4", "--disputed", "--comment", "too high")
    assert ack.exit_code == 0 and "have not yet discussed" in ack.output
    assert run(wb, "goals", "ack", rep, "--period", "2026-Q4").exit_code == 2


def test_letters_are_escaped_and_state_the_change(wb):
    rep = _rep(wb)
    run(
        wb,
        "goals",
        "set",
        "--scope",
        "rep",
        "--id",
        rep,
        "--period",
        "2026-Q4",
        "--target",
        1500,
        "--reason",
        "<script>alert(1)</script>",
    )
    result = run(wb, "goals", "letters", "--period", "2026-Q4", "--rep", rep)
    assert result.exit_code == 0, result.output
    html = (wb / "reports" / "2026-Q4" / "letters" / f"{rep}.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "€1,500" in html and "This replaces the previous goal" in html


def _store_size(wb):
    with Workbook.open(wb).store() as store:
        return len(store.frame())


def test_apply_without_reason_writes_nothing(wb):
    before = _store_size(wb)
    result = run(wb, "goals", "suggest", "--period", "2027-Q2", "--apply")
    assert result.exit_code == 2 and "--apply needs --reason" in result.output
    assert _store_size(wb) == before


def test_top_down_split_sums_to_the_parent_and_says_how(wb):
    result = run(
        wb,
        "goals",
        "set",
        "--scope",
        "company",
        "--period",
        "2027-Q3",
        "--target",
        1_000_000,
        "--reason",
        "board plan",
    )
    assert result.exit_code == 0, result.output
    result = run(
        wb,
        "goals",
        "suggest",
        "--period",
        "2027-Q3",
        "--scope",
        "department",
        "--from",
        "company",
        "--allocation",
        "even",
        "--apply",
        "--reason",
        "even split",
    )
    assert result.exit_code == 0, result.output
    assert "split evenly" in result.output and "Stored" in result.output
    goals_now = service.in_force(Workbook.open(wb))
    depts = goals_now[(goals_now["scope"] == "department") & (goals_now["period"] == "2027-Q3")]
    assert depts["target"].sum() == pytest.approx(1_000_000)
    assert depts["target"].nunique() == 1
    listing = run(wb, "goals", "list", "--period", "2027-Q3").output
    # The company's goal equals its departments'; each department's reps have no goal yet.
    assert "gap for Northwind" not in listing
    assert len(
        re.findall(
            r"gap for department .+ \(revenue\): goal €[\d,.]+, its \d+ reps add up to €0\b",
            listing,
        )
    ) == len(depts)


def test_list_shows_rollup_gaps_and_pending(wb):
    run(
        wb,
        "goals",
        "set",
        "--scope",
        "company",
        "--period",
        "2027-Q4",
        "--target",
        500,
        "--reason",
        "plan",
    )
    listing = run(wb, "goals", "list", "--period", "2027-Q4").output
    assert "gap for Northwind Widgets (sample) (revenue): goal €500," in listing
    rep = _rep(wb)
    run(wb, "goals", "ack", rep, "--period", "2027-Q4", "--agreed", "--on", "2027-09-20")
    pending = run(wb, "goals", "list", "--period", "2027-Q4", "--pending").output
    assert f"{rep} " not in pending and "have not yet discussed" in pending
    assert run(wb, "goals", "list", "--pending").exit_code == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--agreed", "--on", "someday"], "is not a date"),
        (["--agreed", "--period", "2026-Q9"], "is not a period"),
    ],
)
def test_bad_ack_writes_nothing(wb, args, message):
    before = _store_size(wb)
    rep = _rep(wb)
    period = [] if "--period" in args else ["--period", "2026-Q4"]
    result = run(wb, "goals", "ack", rep, *period, *args)
    assert result.exit_code == 2 and message in result.output
    assert _store_size(wb) == before


def test_letters_for_an_unknown_rep_write_nothing(wb):
    folder = wb / "reports" / "2027-Q1" / "letters"
    result = run(wb, "goals", "letters", "--period", "2027-Q1", "--rep", "NOBODY")
    assert result.exit_code == 2 and "unknown rep NOBODY" in result.output
    assert not folder.exists() or not any(folder.iterdir())


def test_render_goal_letter_states_how_it_was_set(wb):
    w = Workbook.open(wb)
    rep = _rep(wb)
    run(
        wb,
        "goals",
        "suggest",
        "--period",
        "2027-Q2",
        "--scope",
        "rep",
        "--apply",
        "--reason",
        "plan",
    )
    html = service.render_goal_letter(w, rep, "2027-Q2")
    assert "seasonality" in html and "It was set from your own results" in html
    assert "This is the first goal set for this period." in html


def test_letters_print_to_pdf_through_the_packs_browser(wb, chromium_path):
    rep = _rep(wb)
    result = run(
        wb, "goals", "letters", "--period", "2026-Q3", "--rep", rep, "--format", "html,pdf"
    )
    assert result.exit_code == 0, result.output
    pdf = wb / "reports" / "2026-Q3" / "letters" / f"{rep}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not list(pdf.parent.glob(".*tmp*"))


def test_suggestions_for_a_closed_period_say_so_and_store_only_when_forced(wb):
    """A closed quarter's suggestions are a comparison with what was set: the listing says so
    first, and --apply without --force stops before listing or storing anything."""
    listed = run(wb, "goals", "suggest", "--period", "2026-Q2", "--scope", "team")
    assert listed.exit_code == 0, listed.output
    first, *rest = listed.output.splitlines()
    assert "2026-Q2 has closed" in first and "--force" in first and rest
    before = _store_size(wb)
    refused = run(
        wb, "goals", "suggest", "--period", "2026-Q2", "--scope", "team", "--apply", "--reason", "x"
    )
    assert refused.exit_code == 2 and "has already closed" in refused.output
    assert "seasonality" not in refused.output and _store_size(wb) == before
    forced = run(
        wb, "goals", "suggest", "--period", "2026-Q2", "--scope", "team", "--apply", "--reason",
        "x", "--force",
    )  # fmt: skip
    assert forced.exit_code == 0 and "Stored" in forced.output
    assert _store_size(wb) > before
    planned = run(wb, "goals", "suggest", "--period", "2027-Q1", "--scope", "team")
    assert "has closed" not in planned.output
