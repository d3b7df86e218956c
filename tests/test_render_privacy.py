"""Rep packs with the ids real exports use: numbers, ids that differ by a slash, a space or
case. Each pack is scanned for other reps before it reaches reports/, and files never collide."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import nbformat
import pandas as pd
import pytest

from salescoach.packs import privacy, render

PERIOD = "2026-Q3"
COLLIDING = ["R/5", "R 5", "r 5", "R5"]


@pytest.fixture(scope="module")
def odd_ids_workbook(tmp_path_factory):
    """The sample (half scale) with its first reps renamed R/5, R 5, r 5, R5 and the others
    numbered 1, 2, 3..., as a CRM export might number them."""
    from salescoach.data.importer import validate_path
    from salescoach.data.sample import write_sample
    from salescoach.data.workbook import Workbook, init_workbook

    root = tmp_path_factory.mktemp("odd-ids")
    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=0.5)
    ids = pd.read_csv(folder / "reps.csv", dtype=str)["rep_id"]
    new = COLLIDING + [str(n) for n in range(1, len(ids) - len(COLLIDING) + 1)]
    mapping = dict(zip(ids, new))
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in ("rep_id", "support_rep_id") + (
            ("scope_id",) if path.stem == "targets" else ()
        ):
            if column in frame:
                frame[column] = frame[column].map(lambda v: mapping.get(v, v))
        frame.to_csv(path, index=False)
    result = validate_path(folder)
    assert result.rejects.empty, result.rejects.head()
    wb = Workbook.open(root)
    wb.save_import(result, str(folder), "tests")
    return wb


def _formats():
    from salescoach.packs import browser

    return ("html", "pdf") if browser.find_chromium() else ("html",)


def test_file_names_never_collide():
    names = render.file_names([*COLLIDING, "R-5", "1", "11"])
    assert len({n.casefold() for n in names.values()}) == len(names)
    assert names["R5"] == "R5" and names["1"] == "1"  # a safe, unique id is its own name
    assert all(re.fullmatch(r"R-5-[0-9a-f]{8}", names[i]) for i in ("R/5", "R 5", "R-5"))


def test_numeric_and_colliding_ids_render_private_packs(odd_ids_workbook):
    wb = odd_ids_workbook
    reps = wb.facts()["reps"]
    chosen = ["1", "2", "11", *COLLIDING]
    the_plan = render.plan(wb, reps=chosen, period=PERIOD)
    result = render.run(wb, the_plan, formats=_formats(), jobs=2, force=True)
    assert not result.failed, [(o.spec.scope_id, o.error) for o in result.failed]
    assert len(result.rendered) == len(chosen)
    files = [p for o in result.outcomes for p in o.paths]
    assert len({str(p).casefold() for p in files}) == len(files) == len(chosen) * len(_formats())
    for outcome in result.outcomes:
        assert privacy.scan_pack(outcome.paths, reps, outcome.spec.scope_id) == []

    # The index links each rep's name to that rep's own pack.
    name = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str)))
    index = result.index.read_text(encoding="utf-8")
    # One dashboard row per rep: the label in the first cell, the HTML link in the last.
    links = re.findall(
        r'<tr class="rep"[^>]*>\s*<td>([^<]*) <span class="kind">.*?<a href="([^"]+)\.html">',
        index,
        flags=re.S,
    )
    linked = {html.unescape(label): href for label, href in links}
    for rep_id in chosen:
        href = linked[f"{name[rep_id]} ({rep_id})"]
        pack = (result.index.parent / f"{html.unescape(href)}.html").read_text(encoding="utf-8")
        assert html.escape(name[rep_id]) in pack, rep_id


def _leaky_notebook(tmp_path):
    """The rep pack with one more section: another rep's name and revenue. Through the kit the
    pack's process sees its own rep only (`pack_scope`), so this notebook opens the imported
    file itself: what the text scan, the second line, is there for."""
    nb = nbformat.read(render.notebook_for("rep"), as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import pandas as _pd\n"
            "assert len(book.facts()['reps']) == 1  # the kit gives this pack its rep only\n"
            "_reps = _pd.read_csv(book.data_dir / 'sample' / 'reps.csv', dtype=str)\n"
            "_other = _reps.query('rep_id != @rep_id').iloc[0]\n"
            "packs.show('Leaderboard', _other['name'] + ': 12,345')"
        )
    )
    path = tmp_path / "leaky.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_pack_naming_another_rep_is_refused_and_removed(odd_ids_workbook, tmp_path):
    wb = odd_ids_workbook
    notebook = _leaky_notebook(tmp_path)
    specs = [replace(s, notebook="leaky") for s in render.plan(wb, reps=["3"], period=PERIOD).specs]
    result = render.run(
        wb, render.Plan(specs[0].period, specs, notebook), formats=_formats(), jobs=1, force=True
    )
    [outcome] = result.outcomes
    other = wb.facts()["reps"].query("rep_id != '3'").iloc[0]["name"]
    assert outcome.status == "failed" and outcome.paths == []
    assert "names other reps" in outcome.error and other in outcome.error, outcome.error
    assert not list(render.period_dir(wb, PERIOD).glob("leaky/reps/**/*.*"))
    assert not list(render.state_dir(wb, PERIOD).glob("leaky/**/*.sha256"))
    assert not list(render.tmp_dir(wb).glob("*.part"))


def test_without_pdftotext_no_unscanned_pack_is_kept(odd_ids_workbook, chromium_path, monkeypatch):
    import shutil
    import sys

    wb = odd_ids_workbook
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "pdftotext" else which(name))
    monkeypatch.setitem(sys.modules, "pypdf", None)
    the_plan = render.plan(wb, reps=["4"], period="2026-Q2")
    result = render.run(wb, the_plan, formats=("html", "pdf"), jobs=1, force=True)
    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert outcome.error == privacy.unavailable_message()
    assert "poppler-utils" in outcome.error
    assert not [
        p
        for p in render.period_dir(wb, "2026-Q2").rglob("*")
        if p.suffix in (".html", ".pdf") and p.name != "index.html"
    ]
    assert not list(render.tmp_dir(wb).glob("*.part"))
