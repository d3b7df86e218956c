"""Review packs: the naive loop against the batch pipeline, side by side in one run.

Naive, per rep: papermill in a fresh kernel, nbconvert to HTML, then a freshly launched Chromium
to print the PDF. That is what `papermill` + `jupyter nbconvert --to webpdf` costs: webpdf
launches a Chromium through Playwright for every notebook; it is not called itself because it
wants Playwright's own downloaded Chromium, and this kit prints with the system one.

Pipeline: `salescoach.packs.render.run` on the reps (HTML + PDF, forced): the batch's shared figures
first (timed apart: "batch figures ready"), then the packs, each in a process forked from a
warmed worker. Then the same batch again, unchanged: every pack skipped. Prints seconds per
pack, the ratio, the peak memory of a worker and of one pack's process, and the load average
(the machine may be shared: figures are comparable only at the same load).

    python benchmarks/render_bench.py [--naive-reps 4] [--jobs 2] [--scale 1] [--reps N]
        [--workbook DIR]

`--reps N` renders the first N reps only and extrapolates the whole roster from them
(batch figures + all reps x the measured seconds per pack); the output says which lines are
measured and which extrapolated. `--workbook DIR` reuses a workbook built before (the sample
at that scale) instead of building one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def build(root: Path, scale: float):
    from salescoach.data.importer import validate_path
    from salescoach.data.sample import write_sample
    from salescoach.data.workbook import Workbook, init_workbook

    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=scale)
    wb = Workbook.open(root)
    wb.save_import(validate_path(folder), str(folder), "bench")
    return wb


def naive(wb, rep_ids, period, out: Path) -> float:
    """Seconds per pack of the naive loop."""
    import papermill as pm
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    from salescoach.packs import browser, render

    started = time.perf_counter()
    for rep in rep_ids:
        nb = pm.execute_notebook(
            str(render.notebook_for("rep")),
            None,
            parameters={"workbook": str(wb.root), "rep_id": rep, "period": period},
            progress_bar=False,
        )
        body, _ = HTMLExporter(template_name="lab", exclude_input=True).from_notebook_node(nb)
        (out / f"{rep}.html").write_text(body, encoding="utf-8")
        with sync_playwright() as p:
            chromium = browser.launch(p)
            page = chromium.new_page()
            page.set_content(body)
            page.pdf(path=str(out / f"{rep}.pdf"))
            chromium.close()
    return (time.perf_counter() - started) / len(rep_ids)


def shared_figures(wb, period) -> tuple[float, float]:
    """Seconds until the batch's shared figures are ready, from cold (no cache on disk), and
    the CPU seconds they took (this process: on a loaded machine, the steadier figure)."""
    from salescoach.packs import batch
    from salescoach.services import packs

    shutil.rmtree(wb.data_dir / "packs", ignore_errors=True)
    packs._CACHE.clear()
    packs._QUICK.clear()
    started, cpu = time.perf_counter(), time.process_time()
    batch.compute_shared(wb, period)
    return time.perf_counter() - started, time.process_time() - cpu


def pinned(tmp: Path) -> Path:
    """Copies of the pack template and notebooks for this run: a checkout being edited while
    the benchmark runs would change the packs' hashes between the two batches."""
    from salescoach.packs import pack_template, render

    shutil.copytree(pack_template.TEMPLATES, tmp / "templates")
    shutil.copytree(render.NOTEBOOKS, tmp / "notebooks")
    pack_template.TEMPLATES = tmp / "templates"
    return tmp / "notebooks"


def pipeline(wb, period, jobs, reps, notebooks):
    from salescoach.packs import render

    the_plan = render.plan(wb, reps=reps, period=period, kinds=("rep",))
    result = render.run(
        wb, the_plan, formats=("html", "pdf"), jobs=jobs, force=True, notebooks=notebooks
    )
    assert not result.failed, [(o.spec.scope_id, o.error) for o in result.failed[:3]]
    again = render.run(wb, the_plan, formats=("html", "pdf"), jobs=jobs, notebooks=notebooks)
    return result, again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive-reps", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=0, help="first N reps only (0: all)")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--workbook", type=Path, default=None)
    args = parser.parse_args()
    from salescoach.data.workbook import Workbook

    with tempfile.TemporaryDirectory() as tmp:
        wb = Workbook.open(args.workbook) if args.workbook else build(Path(tmp) / "wb", args.scale)
        roster = sorted(wb.facts()["reps"]["rep_id"].astype(str))
        reps = roster[: args.reps] if args.reps else roster
        load = os.getloadavg()
        print(f"load average : {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs)")
        naive_each = float("nan")
        if args.naive_reps:
            out = Path(tmp) / "naive"
            out.mkdir()
            naive_each = naive(wb, roster[: args.naive_reps], args.period, out)
            print(f"naive loop   : {naive_each:.2f} s per pack ({args.naive_reps} reps, measured)")
        ready, cpu = shared_figures(wb, args.period)
        print(f"batch figures: ready in {ready:.1f} s, {cpu:.1f} s of CPU (measured, from cold)")
        result, again = pipeline(wb, args.period, args.jobs, reps, pinned(Path(tmp)))
        total = ready + result.seconds
        each = total / len(reps)
        print(
            f"pipeline     : {each:.2f} s per pack ({len(reps)} reps, {args.jobs} jobs, "
            f"{total:.1f} s with the batch figures, measured)"
        )
        if args.naive_reps:
            print(f"ratio        : {naive_each / each:.1f}x")
        print(
            f"unchanged    : {again.seconds:.2f} s for {len(reps)} packs "
            f"({len(again.skipped)} skipped, {len(again.rendered)} rendered again)"
        )
        worker = max(o.memory.get("worker_mb", 0) for o in result.outcomes)
        pack = max(o.memory.get("pack_mb", 0) for o in result.outcomes)
        print(f"memory       : {worker:.0f} MB per worker, {pack:.0f} MB per pack process (peak)")
        if len(reps) < len(roster):
            per_pack = result.seconds / len(reps)
            whole = ready + per_pack * len(roster)
            print(
                f"all {len(roster)} reps: {whole / 60:.1f} min (extrapolated: batch figures + "
                f"{len(roster)} x {per_pack:.2f} s)"
            )
        load = os.getloadavg()
        print(f"load average : {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (after)")


if __name__ == "__main__":
    main()
