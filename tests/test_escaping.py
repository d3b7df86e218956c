"""Names and comments from data files render as text in packs, letters and the digest."""

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.workbook import Workbook
from salescoach.packs import render

HOSTILE = '<script>alert("x")</script> & <b>Bold</b>'


@pytest.fixture(scope="module")
def hostile_workbook(demo_workbook):
    """A copy of `demo --scale 0.2 --no-packs` (tests/conftest.py) with a seller renamed."""
    root = demo_workbook()
    runner = CliRunner()
    wb = Workbook.open(root)
    reps = wb.facts()["reps"].copy()
    rep_id = reps.loc[reps["role"] == "seller", "rep_id"].iloc[0]
    reps.loc[reps["rep_id"] == rep_id, "name"] = HOSTILE
    folder = root / "renamed"
    folder.mkdir()
    reps.to_csv(folder / "reps.csv", index=False)
    result = runner.invoke(main, ["--workbook", str(root), "import", str(folder)])
    assert result.exit_code == 0, result.output
    return Workbook.open(root), rep_id


def _assert_escaped(markup: str) -> None:
    assert '<script>alert("x")</script>' not in markup
    assert "<b>Bold</b>" not in markup
    assert "&lt;script&gt;" in markup


def test_pack_shows_hostile_name_as_text(hostile_workbook, chromium_path):
    wb, rep_id = hostile_workbook
    result = render.run(
        wb, render.plan(wb, reps=[rep_id], period="2026-Q3"), formats=("html",), jobs=1, force=True
    )
    assert [o.status for o in result.outcomes] == ["rendered"], result.outcomes
    _assert_escaped(result.outcomes[0].paths[0].read_text(encoding="utf-8"))


def test_goal_letter_and_digest_show_hostile_name_as_text(hostile_workbook):
    from salescoach.services import goals, training

    wb, rep_id = hostile_workbook
    _assert_escaped(goals.render_goal_letter(wb, rep_id, "2026-Q3"))
    digest = training.render_digest(wb, "2026-Q3")
    assert '<script>alert("x")</script>' not in digest
