"""Trainer templates: shipped ones check and render; broken ones get one clear line each."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.workbook import Workbook
from salescoach.packs import notebook_templates as nt, privacy, render

TEMPLATES = nt.available()


def test_every_topic_and_meeting_has_a_template():
    assert {
        "coaching_session",
        "training_product_knowledge",
        "training_target_audience",
        "training_sales_strategy",
        "team_meeting",
        "quarterly_business_review",
    } <= set(TEMPLATES)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_shipped_templates_pass_the_reading_checks(name):
    assert [str(p) for p in nt.static_problems(TEMPLATES[name])] == []


def test_every_shipped_template_renders_on_the_sample(sample_workbook, tmp_path):
    """A real run of each template, for the first rep, team or department it is for."""
    outcomes = []
    for path in TEMPLATES.values():
        scope = nt.scope_of(nt.parameters(path))
        chosen = {"reps": "reps", "team": "teams", "department": "departments"}
        key = chosen.get(scope if scope != "rep" else "reps")
        selection = {key: [nt.first_scope_id(sample_workbook, scope)]} if key else {}
        the_plan = render.plan_notebook(sample_workbook, path, period="2026-Q3", **selection)
        assert len(the_plan.specs) == 1 and the_plan.specs[0].kind == scope
        result = render.run(sample_workbook, the_plan, formats=("html",), jobs=2, force=True)
        outcomes += result.outcomes
    assert [o.status for o in outcomes] == ["rendered"] * len(TEMPLATES), [
        (o.spec.notebook, o.error) for o in outcomes if o.status != "rendered"
    ]
    for outcome in outcomes:
        text = privacy.html_text(outcome.paths[0].read_text(encoding="utf-8"))
        heading = nbformat.read(TEMPLATES[outcome.spec.notebook], as_version=4).cells[0].source
        assert heading.splitlines()[0].lstrip("# ") in text and "Traceback" not in text
        # Each lands under its own folder, never over the built-in packs.
        assert f"/{outcome.spec.notebook}/" in outcome.paths[0].as_posix()


def _broken(tmp_path: Path, change) -> Path:
    nb = nbformat.read(TEMPLATES["team_meeting"], as_version=4)
    change(nb)
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    return path


def _param_cell(nb):
    return next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))


def _set(nb, index, source):
    nb.cells[index].source = source


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda nb: _param_cell(nb).metadata.update(tags=[]),
            "no cell tagged `parameters`",
        ),
        (lambda nb: _set(nb, 3, "packs.show(_('x'), "), "cell 4: syntax error on line 1"),
        (
            lambda nb: _param_cell(nb).update(source=_param_cell(nb).source + "\nweeks = 4"),
            "cell 2: parameter weeks is not one render passes",
        ),
        (
            lambda nb: _param_cell(nb).update(source=_param_cell(nb).source + '\nrep_id = ""'),
            "cell 2: declares team, rep_id: a notebook is for one scope",
        ),
        (
            lambda nb: _param_cell(nb).update(
                source=_param_cell(nb).source.replace('workbook = "."', "")
            ),
            "cell 2: parameter workbook is missing",
        ),
        (
            lambda nb: nb.cells[3].update(
                outputs=[nbformat.v4.new_output("stream", text="hi")], execution_count=3
            ),
            "cell 4: outputs left in",
        ),
        (
            lambda nb: _set(nb, 3, "def share(a, b):\n    return a / b"),
            "cell 4: defines share: logic belongs in the salescoach package",
        ),
    ],
    ids=["no-parameters", "syntax", "unknown-parameter", "two-scopes", "missing", "outputs", "def"],
)
def test_check_names_each_problem_with_its_cell(tmp_path, change, expected):
    problems = [str(p) for p in nt.static_problems(_broken(tmp_path, change))]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_check_runs_the_notebook_and_names_the_failing_cell(sample_workbook, tmp_path):
    path = _broken(tmp_path, lambda nb: _set(nb, 4, "packs.group_summary(book, 'x', team, period)"))
    problems = [str(p) for p in nt.check(path, sample_workbook, "2026-Q3")]
    assert problems == ["cell 5: fails: KeyError: 'x'"]
    assert nt.check(TEMPLATES["coaching_session"], sample_workbook, "2026-Q3") == []


def test_template_commands(sample_workbook, tmp_path):
    root = tmp_path / "wb"
    shutil.copytree(sample_workbook.root, root)
    runner = CliRunner()
    made = runner.invoke(
        main, ["--workbook", str(root), "template", "new", "coaching_session", "my-1to1"]
    )
    assert made.exit_code == 0, made.output
    target = root / "notebooks" / "my-1to1.ipynb"
    assert target.read_bytes() == TEMPLATES["coaching_session"].read_bytes()
    again = runner.invoke(
        main, ["--workbook", str(root), "template", "new", "coaching_session", "my-1to1"]
    )
    assert again.exit_code == 2 and "already exists; use --force" in again.output
    unknown = runner.invoke(main, ["--workbook", str(root), "template", "new", "pep_talk", "x"])
    assert unknown.exit_code == 2 and "no template called pep_talk; templates: " in unknown.output
    listed = runner.invoke(main, ["template", "list"])
    assert "team_meeting" in listed.output and "for each team" in listed.output
    ok = runner.invoke(
        main, ["--workbook", str(root), "template", "check", str(target), "--no-run"]
    )
    assert ok.exit_code == 0 and "ok (read only" in ok.output
    bad = _broken(tmp_path, lambda nb: _param_cell(nb).metadata.update(tags=[]))
    failed = runner.invoke(main, ["template", "check", str(bad), "--no-run"])
    assert failed.exit_code == 2
    lines = failed.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{bad}: no cell tagged `parameters`")


def test_render_notebook_is_branded_incremental_and_private(
    sample_workbook, tmp_path, chromium_path
):
    root = tmp_path / "wb"
    shutil.copytree(sample_workbook.root, root)
    settings = root / "salescoach.toml"
    text = settings.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^name = ".*"', 'name = "Acme Trainers Ltd"', text, count=1)
    text = re.sub(r'(?m)^primary_colour = ".*"', 'primary_colour = "#7a1f5c"', text, count=1)
    settings.write_text(text, encoding="utf-8")
    wb = Workbook.open(root)
    assert wb.settings.company_name == "Acme Trainers Ltd"
    notebook = nt.new(root, "coaching_session", "one-to-one")
    rep_id = nt.first_scope_id(wb, "rep")
    the_plan = render.plan_notebook(wb, notebook, reps=[rep_id], period="2026-Q3")
    first = render.run(wb, the_plan, formats=("html", "pdf"), jobs=1)
    assert [o.status for o in first.outcomes] == ["rendered"], first.outcomes
    html_path = next(p for p in first.outcomes[0].paths if p.suffix == ".html")
    markup = html_path.read_text(encoding="utf-8")
    assert "Acme Trainers Ltd" in markup and "#7a1f5c" in markup
    assert "Coaching session" in markup and "To adapt" not in markup  # trainer's note removed
    assert html_path.is_relative_to(wb.reports_dir / "2026-Q3" / "one-to-one")
    assert (wb.reports_dir / "2026-Q3" / "one-to-one" / "index.html").exists()
    again = render.run(wb, the_plan, formats=("html", "pdf"), jobs=1)
    assert [o.status for o in again.outcomes] == ["skipped"]

    # A rep's notebook that lists the whole team: its process holds the rep alone
    # (pack_scope), so "everyone" is the rep.
    reps = wb.facts()["reps"]
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("packs.show(_('Everyone'), list(book.facts()['reps']['name']))")
    )
    nbformat.write(nb, notebook)
    scoped = render.run(
        wb,
        render.plan_notebook(wb, notebook, reps=[rep_id], period="2026-Q3"),
        formats=("html",),
        jobs=1,
    )
    assert [o.status for o in scoped.outcomes] == ["rendered"], scoped.outcomes
    markup = html_path.read_text(encoding="utf-8")
    own = reps.loc[reps["rep_id"] == rep_id, "name"].iloc[0]
    assert html.escape(own) in markup
    assert not [n for n in reps["name"] if n != own and html.escape(n) in markup]
    # One that opens the imported file itself gets past the kit; the scan then refuses it.
    nb.cells[-1] = nbformat.v4.new_code_cell(
        "import pandas as _pd\n"
        "packs.show(_('Everyone'), list(_pd.read_parquet("
        "book.current_snapshot() / 'reps.parquet')['name']))"
    )
    nbformat.write(nb, notebook)
    leaked = render.run(
        wb,
        render.plan_notebook(wb, notebook, reps=[rep_id], period="2026-Q3"),
        formats=("html",),
        jobs=1,
    )
    assert [o.status for o in leaked.outcomes] == ["failed"], leaked.outcomes
    assert "names other reps" in leaked.outcomes[0].error
    assert not html_path.exists()
