"""What users see, pinned: a rep pack's HTML, the packs index and `diagnose --format json` on a
small fixed organisation (the sample at scale 0.1, seed 7). A change to any of them shows up
here as a diff to review; accept it with `pytest tests/test_snapshots.py --snapshot-update`.

The HTML is reduced to what a reader sees (each output's markup, charts as a placeholder,
no styles, scripts or notebook wrappers), so a change of nbconvert's wrapping does not count
as a change of the pack.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from bs4 import BeautifulSoup

PERIOD = "2026-Q3"


def readable_html(markup: str) -> list[str]:
    """The pack's outputs, in order, as markup with images and volatile ids replaced."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["style", "script", "link", "meta"]):
        tag.decompose()
    outputs = soup.select(".jp-OutputArea-output") or [soup.body or soup]
    shown = []
    for output in outputs:
        for img in output.find_all("img"):
            img["src"] = "(image)"
        html = re.sub(r"\s*\n\s*", "\n", output.decode_contents()).strip()
        if html:
            shown.append(html)
    return shown


def rounded(value):
    """Floats to 6 significant digits, so a last-bit difference between machines is not a diff."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


@pytest.fixture(scope="module")
def rendered(small_workbook):
    """The pack of the first seller below goal (the most to say), rendered once as HTML."""
    from salescoach.packs import render
    from salescoach.services import packs

    figures, _trend = packs.batch_figures(small_workbook, PERIOD)
    below = figures[(figures["role"] == "seller") & (figures["attainment"] < 1)]
    rep_id = sorted(below["rep_id"].astype(str))[0]
    plan = render.plan(small_workbook, reps=[rep_id], period=PERIOD, kinds=("rep",))
    result = render.run(small_workbook, plan, formats=("html",), jobs=1)
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert not failed, failed[0].error
    return result


def test_rep_pack_html(rendered, snapshot):
    (path,) = [p for o in rendered.outcomes for p in o.paths]
    assert readable_html(path.read_text(encoding="utf-8")) == snapshot


def test_packs_index(rendered, snapshot):
    markup = rendered.index.read_text(encoding="utf-8")
    assert readable_html(markup) == snapshot


def test_findings_json(small_workbook, snapshot):
    from click.testing import CliRunner

    from salescoach.cli import main

    run = CliRunner().invoke(
        main,
        [
            "--workbook",
            str(small_workbook.root),
            "diagnose",
            "--period",
            PERIOD,
            "--format",
            "json",
        ],
    )
    assert run.exit_code == 0, run.output
    assert rounded(json.loads(run.output)) == snapshot


def test_readable_html_keeps_text_and_drops_the_volatile():
    markup = (
        "<html><head><style>.a{}</style></head><body><div class='jp-OutputArea-output'>"
        "<h2>Trend</h2>\n   <img src='data:image/png;base64,AAAA'/></div>"
        "<div class='jp-OutputArea-output'><script>x()</script></div></body></html>"
    )
    assert readable_html(markup) == ['<h2>Trend</h2>\n<img src="(image)"/>']
