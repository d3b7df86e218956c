"""A goal of 0 is no goal: said at import and at `goals set`, left out of peers' quartiles and
shown as "no goal", never as an infinite or zero attainment."""

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.importer import validate_path
from salescoach.data.workbook import Workbook, init_workbook
from salescoach.services import packs

REPS = [f"R{i}" for i in range(1, 9)]
# R1's goal is 0; the others' 2,000 .. 8,000.
GOALS = {rep: 0 if rep == "R1" else 1000 * i for i, rep in enumerate(REPS, start=1)}


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    root = tmp_path_factory.mktemp("goal-zero")
    data = root / "data"
    data.mkdir()
    (data / "reps.csv").write_text(
        "rep_id,name,team,department\n" + "".join(f"{r},Rep {r},A,North\n" for r in REPS)
    )
    (data / "products.csv").write_text("product_id,name\nP1,Widget\n")
    (data / "orders.csv").write_text(
        "order_id,rep_id,product_id,order_date,quantity,unit_price\n"
        + "".join(f"O{r},{r},P1,2026-08-01,1,500\n" for r in REPS)
    )
    (data / "targets.csv").write_text(
        "scope,scope_id,period,metric,target\n"
        + "".join(f"rep,{r},2026-Q3,revenue,{g}\n" for r, g in GOALS.items())
    )
    init_workbook(root / "wb")
    result = validate_path(data)
    workbook = Workbook.open(root / "wb")
    workbook.save_import(result, str(data), "tests")
    return root / "wb", result


def test_import_says_a_target_of_zero_counts_as_no_goal(wb):
    _root, result = wb
    notes = [n for n in result.notes if "targets.csv" in n]
    assert notes == [
        "targets.csv: 1 target of 0 (row 2) counts as no goal: left out of attainment,"
        " ranks and peer figures"
    ]
    # Stored all the same: the note warns, it does not reject.
    assert len(result.tables["targets"]) == len(REPS)


@pytest.mark.parametrize(
    "target, warned",
    [("0", True), ("0.0", True), ("1500", False)],
)
def test_goals_set_warns_on_zero(wb, target, warned):
    root, _result = wb
    out = CliRunner().invoke(
        main,
        ["--workbook", str(root), "goals", "set", "--scope", "rep", "--id", "R8"]
        + ["--period", "2026-Q4", "--target", target, "--reason", "test", "--force"],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    assert ("a goal of 0 counts as no goal" in out.output) is warned


@pytest.mark.parametrize(
    "rep, you_goal, you_attainment, peer_goal_median",
    [
        # The rep without a goal: said in words; peers' median over the seven real goals.
        ("R1", "no goal", "no goal", "€5,000"),
        # A rep with a goal: R1's 0 is not among the peers' goals (3,000 .. 8,000).
        ("R2", "€2,000", "25%", "€5,500"),
    ],
)
def test_pack_goal_table(wb, rep, you_goal, you_attainment, peer_goal_median):
    root, _result = wb
    table = packs.goal_attainment(root, rep, "2026-Q3")
    assert table.loc["Goal", "You"] == you_goal
    assert table.loc["Attainment", "You"] == you_attainment
    assert table.loc["Goal", "Peers: median"] == peer_goal_median
    assert "inf" not in table.to_string().lower()


def test_team_summary_says_no_goal(wb):
    root, _result = wb
    table = packs.group_summary(root, "team", "A", "2026-Q3")
    assert table.loc["Rep R1", "Attainment"] == "no goal"
    assert table.loc["Rep R1", "Goal"] == "–"
    assert table.loc["Rep R2", "Attainment"] == "25%"


@pytest.mark.parametrize("rep, attainment", [("R1", "no goal"), ("R2", "25.0%")])
def test_monitoring_results_say_no_goal(wb, rep, attainment):
    from salescoach.services import monitoring

    root, _result = wb
    table = monitoring.results(Workbook.open(root), "2026-Q3", "rep", rep).set_index("Measure")
    assert table.loc["Attainment to date: revenue", "Q3 2026"] == attainment


def test_periods_before_the_data_are_not_zero_sales(wb):
    from salescoach.services import monitoring

    root, _result = wb
    table = monitoring.results(Workbook.open(root), "2026-Q3", "rep", "R2").set_index("Measure")
    assert table.loc["Revenue", "Q3 2026"] == "€500"
    assert table.loc["Revenue", "Q2 2026"] == "before the data"
    assert table.loc["Revenue", "Q3 2025"] == "before the data"
    assert table.loc["Revenue", "vs last year"] == "–"
