"""Review packs: the naive loop against the batch pipeline, on the sample organisation.

Naive: per rep, papermill in a fresh kernel, then nbconvert to HTML, then a freshly launched
Chromium to print the PDF (what `papermill` + `jupyter nbconvert --to webpdf` costs), on a few
reps. Pipeline: `salescoach.render.run` on every rep (HTML + PDF), forced. Prints packs per
second for each and the ratio.

    python benchmarks/render_bench.py [--naive-reps 4] [--jobs 2] [--scale 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def build(root: Path, scale: float):
    from salescoach.importer import validate_path
    from salescoach.sample import write_sample
    from salescoach.workbook import Workbook, init_workbook

    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=scale)
    wb = Workbook.open(root)
    wb.save_import(validate_path(folder), str(folder), "bench")
    return wb


def naive(wb, rep_ids, period, out: Path) -> float:
    import papermill as pm
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    from salescoach import browser, render

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
    return len(rep_ids) / (time.perf_counter() - started)


def pipeline(wb, period, jobs) -> tuple[float, int]:
    from salescoach import render

    the_plan = render.plan(wb, everything=True, period=period, kinds=("rep",))
    result = render.run(wb, the_plan, formats=("html", "pdf"), jobs=jobs, force=True)
    assert not result.failed, result.failed[:3]
    return len(result.rendered) / result.seconds, len(result.rendered)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive-reps", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--period", default="2026-Q3")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wb = build(Path(tmp) / "wb", args.scale)
        reps = list(wb.facts()["reps"]["rep_id"].head(args.naive_reps))
        out = Path(tmp) / "naive"
        out.mkdir()
        naive_rate = naive(wb, reps, args.period, out)
        print(
            f"naive loop   : {naive_rate:.3f} packs/s ({1 / naive_rate:.2f} s per pack, {len(reps)} reps)"
        )
        rate, n = pipeline(wb, args.period, args.jobs)
        print(
            f"pipeline     : {rate:.3f} packs/s ({1 / rate:.2f} s per pack, {n} reps, {args.jobs} jobs)"
        )
        print(f"ratio        : {rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
