"""Peers only as anonymous statistics, and no other rep's name or id in any rep's pack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescoach import privacy

REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R10"], "name": ["Ann Lee", "Bo Ng", "Cy Dale"]})


@pytest.mark.parametrize(
    "values, minimum, expected",
    [
        ([1, 2, 3, 4, 5], 5, (2.0, 3.0, 4.0)),
        ([10, 20, 30, 40], 4, (17.5, 25.0, 32.5)),
        ([1, 2, 3, 4], 5, (np.nan, np.nan, np.nan)),  # too few peers: nothing shown
        ([1, None, 3, 5, 7, 9], 5, (3.0, 5.0, 7.0)),  # missing values are not peers
    ],
)
def test_peer_benchmark(values, minimum, expected):
    got = privacy.peer_benchmark(pd.Series(values, dtype=float), minimum)
    np.testing.assert_allclose([got["q1"], got["median"], got["q3"]], expected)


@pytest.mark.parametrize(
    "text, own, leaked",
    [
        ("Review pack: Ann Lee (R1)", "R1", []),
        ("Review pack: Ann Lee, compared with Bo Ng", "R1", ["R2"]),
        ("deal D-R10x for R1", "R1", []),  # R10 only inside another word
        ("ranked after R10", "R1", ["R10"]),
        ("ANN   LEE was here", "R2", ["R1"]),  # case and spacing do not hide a name
    ],
)
def test_leaks(text, own, leaked):
    assert sorted({leak.rep_id for leak in privacy.leaks(text, REPS, own)}) == leaked


def test_html_text_ignores_markup():
    markup = "<style>.R2{}</style><p>Ann&nbsp;Lee</p><script>var x='Bo Ng'</script>"
    assert privacy.leaks(privacy.html_text(markup), REPS, "R1") == []


def test_every_rep_pack_is_private(sample_workbook, chromium_path):
    """Render every rep's pack of the sample (HTML and PDF) and scan each for the other reps."""
    from salescoach import render

    plan = render.plan(sample_workbook, everything=True, period="2026-Q3", kinds=("rep",))
    result = render.run(sample_workbook, plan, formats=("html", "pdf"), jobs=2)
    assert not result.failed, [(o.spec.scope_id, o.error) for o in result.failed]
    reps = sample_workbook.facts()["reps"]
    assert len(result.outcomes) == len(reps)
    found = []
    for outcome in result.outcomes:
        assert len(outcome.paths) == 2
        found += privacy.scan_pack(outcome.paths, reps, outcome.spec.scope_id)
        own = reps.set_index("rep_id").at[outcome.spec.scope_id, "name"]
        assert own in privacy.pdf_text(next(p for p in outcome.paths if p.suffix == ".pdf"))
    assert found == []
