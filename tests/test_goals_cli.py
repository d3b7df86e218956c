"""`salescoach goals ...` end to end on a small sample workbook."""

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.workbook import Workbook


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    root = tmp_path_factory.mktemp("goals-wb")
    result = CliRunner().invoke(
        main, ["--workbook", str(root), "demo", "--scale", "0.2", "--no-packs"]
    )
    assert result.exit_code == 0, result.output
    return root


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
    lines = [line for line in out.splitlines() if line.startswith(f"rep|{rep}|")]
    assert [line.split()[1] for line in lines] == ["v0", "v1", "v2"]
    assert "market up" in lines[-1] and "[economy]" in lines[-1]
    current = run(wb, "goals", "list", "--period", "2026-Q4", "--scope", "rep").output
    assert f"rep|{rep}|2026-Q4|revenue 1,200.00 v2 (set)" in current


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
