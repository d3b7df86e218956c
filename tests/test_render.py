"""The pack batch: one pack end to end, failures isolated, incremental, atomic, on Dask."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from salescoach.domain.fmt import Formatter
from salescoach.packs import privacy, render, render_worker
from salescoach.services import packs


def _first_rep(wb, n=1, team=None):
    reps = wb.facts()["reps"].sort_values("rep_id")
    if team:
        reps = reps[reps["team"] == team]
    return list(reps["rep_id"].head(n))


@pytest.mark.parametrize(
    "selection, kinds",
    [
        ({"reps": ["R001"]}, {"rep": 1}),
        ({"teams": ["West B"]}, {"team": 1, "rep": None}),
        ({"departments": ["West"]}, {"department": 1, "team": None, "rep": None}),
        ({"everything": True}, {"company": 1, "department": None, "team": None, "rep": None}),
    ],
)
def test_plan_follows_the_selection(sample_workbook, selection, kinds):
    the_plan = render.plan(sample_workbook, period="2026-Q3", **selection)
    reps = sample_workbook.facts()["reps"]
    counted = {k: sum(s.kind == k for s in the_plan.specs) for k in render.KINDS}
    expected_reps = {
        "reps": lambda v: len(v),
        "teams": lambda v: int(reps["team"].isin(v).sum()),
        "departments": lambda v: int(reps["department"].isin(v).sum()),
        "everything": lambda v: len(reps),
    }
    key, value = next(iter(selection.items()))
    assert counted["rep"] == expected_reps[key](value)
    for kind, n in kinds.items():
        if n is not None:
            assert counted[kind] == n
    assert len({s.stem for s in the_plan.specs}) == len(the_plan.specs)


@pytest.mark.parametrize("selection", [{"reps": ["NOPE"]}, {"teams": ["Nowhere"]}, {}])
def test_plan_refuses_unknown_scopes(sample_workbook, selection):
    from salescoach.errors import InputError

    with pytest.raises(InputError):
        render.plan(sample_workbook, period="2026-Q3", **selection)


def test_one_rep_pack_end_to_end(sample_workbook, chromium_path, tmp_path):
    rep_id = _first_rep(sample_workbook)[0]
    the_plan = render.plan(sample_workbook, reps=[rep_id], period="2026-Q3")
    result = render.run(sample_workbook, the_plan, formats=("html", "pdf"), jobs=1, force=True)
    assert [o.status for o in result.outcomes] == ["rendered"], result.outcomes
    html_path, pdf_path = sorted(result.outcomes[0].paths)  # .html < .pdf
    markup = html_path.read_text(encoding="utf-8")
    # Self-contained: no script, stylesheet or image fetched from anywhere.
    for needle in ('src="http', "src='http", 'href="http', "<script src"):
        assert needle not in markup
    assert 'src="data:image/png;base64,' in markup
    figures, _trend = packs.batch_figures(sample_workbook, "2026-Q3")
    row = figures.set_index("rep_id").loc[rep_id]
    text = privacy.pdf_text(pdf_path)
    f = Formatter.for_settings(sample_workbook.settings)
    for expected in (
        row["name"],
        rep_id,
        f.money(row["revenue"]),
        f.money(row["goal"]),
        f.pct(row["attainment"]),
    ):
        assert expected in text, expected
    assert sample_workbook.settings["branding"]["footer"] in text
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf_path), str(png)], check=True
    )
    assert list(tmp_path.glob("page*.png"))
    index = result.index.read_text(encoding="utf-8")
    assert f"{html_path.relative_to(result.index.parent)}" in index


def test_a_failing_pack_does_not_stop_the_batch(sample_workbook, chromium_path):
    good = _first_rep(sample_workbook)[0]
    the_plan = render.plan(sample_workbook, reps=[good], period="2026-Q3")
    # A rep the data does not know makes the notebook raise inside the kernel.
    the_plan.specs.insert(
        0, render.PackSpec("rep", "R-GONE", "2026-Q3", "Gone", "Nowhere", "Nobody")
    )
    result = render.run(sample_workbook, the_plan, formats=("html",), jobs=1, force=True)
    status = {o.spec.scope_id: o for o in result.outcomes}
    assert status["R-GONE"].status == "failed"
    assert "R-GONE" in status["R-GONE"].error
    assert status[good].status == "rendered"
    assert not (render.period_dir(sample_workbook, "2026-Q3") / "reps/Nowhere").exists()


def test_unchanged_packs_are_skipped(sample_workbook, chromium_path):
    reps = _first_rep(sample_workbook, 2)
    the_plan = render.plan(sample_workbook, reps=reps, period="2026-Q2")
    first = render.run(sample_workbook, the_plan, formats=("html",), jobs=1, force=True)
    assert len(first.rendered) == 2
    again = render.run(sample_workbook, the_plan, formats=("html",), jobs=1)
    assert len(again.skipped) == 2 and not again.rendered
    # A change to what a pack is made of (here its formats) renders it again.
    more = render.run(
        sample_workbook,
        render.plan(sample_workbook, reps=reps[:1], period="2026-Q2"),
        formats=("html", "pdf"),
        jobs=1,
    )
    assert len(more.rendered) == 1


def test_kept_kernel_carries_no_state_between_packs(tmp_path):
    """A rep's variables, figures and imports-by-name never reach the next notebook."""
    first = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import matplotlib.pyplot as plt\nsecret = 'R001 revenue'\nplt.figure()"
            )
        ]
    )
    second = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import matplotlib.pyplot as mpl\nassert 'secret' not in globals() and 'plt' not in globals()\n"
                "assert mpl.get_fignums() == []"
            )
        ]
    )
    paths = []
    for i, nb in enumerate((first, second)):
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        paths.append(tmp_path / f"n{i}.ipynb")
        nbformat.write(nb, paths[-1])
    try:
        render_worker.execute(str(paths[0]), {}, str(tmp_path), 60)
        pid = render_worker._local.km.provisioner.pid
        render_worker.execute(str(paths[1]), {}, str(tmp_path), 60)
        assert render_worker._local.km.provisioner.pid == pid  # the same kernel ran both
    finally:
        render_worker.close()


def test_every_pack_starts_from_fresh_state(tmp_path):
    """Packs run in processes forked from the worker: what one pack leaves behind (a variable,
    a module's attribute, a pyplot figure, an environment variable) is gone in the next, while
    the imports the worker made are already there."""
    first = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os\nimport matplotlib.pyplot as plt\nfrom salescoach.services import packs\n"
                "secret = 'R001 revenue'\npacks._planted = secret\nos.environ['SC_PLANTED'] = secret\n"
                "plt.figure()\nprint(os.getpid())"
            )
        ]
    )
    second = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os, sys\nimport matplotlib.pyplot as mpl\nfrom salescoach.services import packs\n"
                "assert 'secret' not in globals() and 'plt' not in globals()\n"
                "assert not hasattr(packs, '_planted') and 'SC_PLANTED' not in os.environ\n"
                "assert mpl.get_fignums() == []\nprint(os.getpid())"
            )
        ]
    )
    markups = []
    for i, nb in enumerate((first, second)):
        path = tmp_path / f"n{i}.ipynb"
        nbformat.write(nb, path)
        task = {
            "notebook": str(path),
            "parameters": {},
            "cwd": str(tmp_path),
            "timeout": 60,
            "title": f"n{i}",
            "branding": {"language": "en"},
        }
        markups.append(render_worker.run_forked(task))
    pids = [int(re.search(r"<pre>(\d+)", m).group(1)) for m in markups]
    assert len(set(pids + [os.getpid()])) == 3  # each pack its own process
    assert "secret" not in dir(packs) and "_planted" not in vars(packs)


def test_a_failing_cell_fails_its_pack_only(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise KeyError('R-GONE')")])
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    task = {"notebook": str(path), "parameters": {}, "cwd": str(tmp_path), "timeout": 60}
    task.update(title="bad", branding={})
    with pytest.raises(Exception) as caught:
        render_worker.run_forked(task)
    assert render_worker._short_error(caught.value) == "KeyError: 'R-GONE'"


def _complete(path: Path) -> bool:
    data = path.read_bytes()
    if path.suffix == ".pdf":
        return data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    return data.rstrip().endswith(b"</html>")


def _batch_script(reps, period, **options) -> str:
    """A render batch as a script for its own process (argv[1]: the workbook)."""
    return (
        "import sys\nfrom salescoach.data.workbook import Workbook\nfrom salescoach.packs import render\n"
        "wb = Workbook.open(sys.argv[1])\n"
        f"p = render.plan(wb, reps={reps!r}, period={period!r})\n"
        f"r = render.run(wb, p, **{options!r})\n"
        "print(len(r.rendered), 'rendered')\n"
    )


def test_a_killed_batch_leaves_whole_files_and_resumes(sample_workbook, chromium_path):
    reps = _first_rep(sample_workbook, 6)
    period = "2026-Q1"
    script = _batch_script(reps, period, formats=("html", "pdf"), jobs=1)
    out = render.period_dir(sample_workbook, period)
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(sample_workbook.root)], start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.rglob("*.pdf"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written, "the batch wrote nothing before it was killed"
    assert all(_complete(p) for p in written), [p for p in written if not _complete(p)]
    assert all(p.suffix in (".html", ".pdf") for p in written)
    resumed = render.run(
        sample_workbook,
        render.plan(sample_workbook, reps=reps, period=period),
        formats=("html", "pdf"),
        jobs=2,
    )
    assert not resumed.failed
    assert len(resumed.skipped) >= 1 and len(resumed.rendered) >= 1
    assert len(resumed.skipped) + len(resumed.rendered) == len(reps)


def test_a_batch_stops_its_workers_kernels(sample_workbook):
    """Each pool worker shuts its kernel down as the pool ends: no kernel outlives the batch
    (one that does notices its parent gone and prints a warning after the summary)."""
    reps = _first_rep(sample_workbook, 2)
    script = _batch_script(reps, "2025-Q3", formats=("html",), jobs=2, force=True)
    # communicate() reads until every holder of the pipes has closed them, kernels included.
    done = subprocess.run(
        [sys.executable, "-c", script, str(sample_workbook.root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "2 rendered" in done.stdout
    assert "Parent appears to have exited" not in done.stderr, done.stderr


def test_dask_executor_runs_the_same_task(sample_workbook, chromium_path):
    """A Dask cluster of two worker processes renders the packs the local run renders, byte
    for byte (issue 23): the same task, the same figures, the same markup."""
    distributed = pytest.importorskip("distributed")
    reps = _first_rep(sample_workbook, 2)
    the_plan = render.plan(sample_workbook, reps=reps, period="2025-Q4")
    local = render.run(sample_workbook, the_plan, formats=("html",), jobs=1, force=True)
    assert not local.failed, [o.error for o in local.failed]
    markup = {o.spec.scope_id: o.paths[0].read_bytes() for o in local.outcomes}
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        result = render.run(
            sample_workbook,
            the_plan,
            formats=("html",),
            executor=f"dask://tcp://{address}",
            force=True,
        )
    assert [o.status for o in result.outcomes] == ["rendered", "rendered"], [
        o.error for o in result.outcomes
    ]
    assert {o.spec.scope_id: o.paths[0].read_bytes() for o in result.outcomes} == markup
    for outcome in result.outcomes:
        assert (
            privacy.scan_pack(outcome.paths, sample_workbook.facts()["reps"], outcome.spec.scope_id)
            == []
        )
    state = render.state_dir(sample_workbook, "2025-Q4")
    assert len(list(state.rglob("*.sha256"))) == 2
    assert json.dumps(sorted(p.name for p in state.rglob("*.sha256")))
