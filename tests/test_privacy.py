"""Peers only as anonymous statistics, and no other rep's name or id in any rep's pack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescoach.domain import peers
from salescoach.packs import privacy

REPS = pd.DataFrame({"rep_id": ["R1", "R2", "R10"], "name": ["Ann Lee", "Bo Ng", "Cy Dale"]})

# Numeric ids 1..20, as many CRM exports number their owners; 7 has a name in two scripts' worth
# of forms, 11 an accented one, 12 a name made of common words, 13 a one-word name.
NAMES = {
    "1": "Ann Lee",
    "7": "James Mitchell",
    "11": "Zoë Ångström",
    "12": "Will Price",
    "13": "Grace",
    "14": "Γιώργος Παπαδάκης",
}
NUMERIC = [
    privacy.Person(str(i), NAMES.get(str(i), f"Person{i} Surname{i}"), f"p{i}@example.com")
    for i in range(1, 21)
]


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
    got = peers.peer_benchmark(pd.Series(values, dtype=float), minimum)
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


def _pack(body: str, own: str = "1") -> str:
    """A rep pack's shape: cover with the rep's own name and id, tables full of figures."""
    me = next(p for p in NUMERIC if p.rep_id == own)
    rows = "".join(
        f"<tr><th>Measure {n}</th><td>{n}</td><td>{n * 3 % 20}</td><td>({n})</td><td>Q{n % 4 + 1} 2026</td></tr>"
        for n in range(1, 21)
    )
    return (
        f"<html><head><title>{me.name}</title></head><body>"
        f"<h1>Review pack: {me.name}</h1><p><strong>{own} · West B · West · Q3 2026</strong></p>"
        "<table><thead><tr><th>Measure</th><th>You</th><th>Peers: median</th><th>Orders</th>"
        f"<th>Period</th></tr></thead><tbody>{rows}</tbody></table>"
        "<table><thead><tr><th>Deal</th><th>Customer</th><th>Amount</th></tr></thead><tbody>"
        "<tr><td>8</td><td>11</td><td>1.234,56 €</td></tr></tbody></table>"
        '<img alt="Revenue per quarter" src="data:image/png;base64,AAAA">'
        "<p>Orders (8) · 11 units · page 1 of 2 · 20 % · rank 7 · 14 days</p>"
        "<p>We will price the renewal; grace period 13 days.</p>"
        f"{body}</body></html>"
    )


@pytest.mark.parametrize("own", [p.rep_id for p in NUMERIC])
def test_numeric_ids_pass_on_pages_full_of_numbers(own):
    assert privacy.Scanner(NUMERIC, own).html(_pack("", own)) == []


@pytest.mark.parametrize(
    "planted, leaked",
    [
        ("<p>Compared with James Mitchell</p>", "7"),
        ("<p>Top seller: Mitchell, James</p>", "7"),  # surname first
        ("<p>MITCHELL JAMES</p>", "7"),
        ("<p>Ahead of J. Mitchell</p>", "7"),  # initial and surname
        ("<td><b>James</b> Mitchell</td>", "7"),  # split by inline markup
        ("<p>Zoe Angstrom closed three deals</p>", "11"),  # accents stripped
        ("<p>ΠΑΠΑΔΑΚΗΣ ΓΙΩΡΓΟΣ</p>", "14"),  # Greek, capitals, no accents, surname first
        ('<span title="James Mitchell">*</span>', "7"),
        ('<img alt="Revenue: James Mitchell, Ann Lee" src="data:,">', "7"),
        ('<a href="mailto:james.mitchell@example.com">write</a>', "7"),
        ('<a href="mailto:p8@example.com">write</a>', "8"),  # the roster's email
        ('<a href="mailto:8@example.com">write</a>', "8"),
        ("<p>Will Price is ahead</p>", "12"),
        (
            "<table><thead><tr><th>Rep</th><th>Revenue</th></tr></thead>"
            "<tbody><tr><td>8</td><td>1</td></tr></tbody></table>",
            "8",
        ),
        (
            "<table><tr><th>rep_id</th><th>name</th></tr><tr><td>13</td><td>Grace</td></tr></table>",
            "13",
        ),
        ("<p>Rep 8 sold 11 units</p>", "8"),
        ("<p>Rep: 8</p>", "8"),
        ("<p>Ann Lee (8)</p>", "8"),  # an id in parentheses after a name
    ],
)
def test_a_planted_leak_is_found(planted, leaked):
    found = privacy.Scanner(NUMERIC, "1").html(_pack(planted))
    assert {leak.rep_id for leak in found} == {leaked}, found


@pytest.mark.parametrize(
    "text",
    [
        "Mitchell",  # one part of a name alone
        "James",
        "we will price the deal",  # a capitalised name's words in lower case
        "Grace",  # a one-word name outside a place that names a person
        "A. Price index rose 7 %",  # an initial of another given name
        "Orders 7 · quantity 8 · 11 · 20",
    ],
)
def test_no_false_positive_from_words_and_figures(text):
    assert privacy.Scanner(NUMERIC, "1").text(text) == []


SHORT = [
    privacy.Person(i, n)
    for i, n in [("1", "Ann Lee"), ("11", "Bo Ng"), ("S1", "Cy Dale"), ("S10", "Di Eve")]
]


@pytest.mark.parametrize("own", ["1", "11", "S1", "S10"])
def test_ids_that_contain_each_other_are_told_apart(own):
    me = next(p for p in SHORT if p.rep_id == own)
    markup = (
        f"<h1>Review pack: {me.name}</h1><p>{own} · West B · Q1 2026</p>"
        f"<table><thead><tr><th>Rep</th><th>Orders</th></tr></thead>"
        f"<tbody><tr><td>{own}</td><td>11</td></tr><tr><td>Total</td><td>1</td></tr></tbody></table>"
        f"<p>Rep {own}: 1 of 11 · S10x · S1-2 · 110 · 1.1</p>"
    )
    assert privacy.Scanner(SHORT, own).html(markup) == []
    others = [p for p in SHORT if p.rep_id != own]
    for other in others:
        planted = markup + f"<p>Rep {other.rep_id}</p>"
        assert {leak.rep_id for leak in privacy.Scanner(SHORT, own).html(planted)} == {other.rep_id}


def test_ids_differing_only_in_case_are_told_apart():
    roster = [privacy.Person("R5", "Ann Lee"), privacy.Person("r5", "Bo Ng")]
    assert privacy.Scanner(roster, "R5").text("Review pack: Ann Lee (R5), rep R5") == []
    assert [leak.rep_id for leak in privacy.Scanner(roster, "R5").text("rep r5")] == ["r5"]


def test_a_name_inside_the_own_name_is_not_a_leak():
    roster = [privacy.Person("A1X", "Ann Lee Smith"), privacy.Person("B2X", "Ann Lee")]
    assert privacy.Scanner(roster, "A1X").text("Review pack: Ann Lee Smith") == []
    assert privacy.Scanner(roster, "B2X").text("Review pack: Ann Lee Smith") != []


def test_pdf_text_needs_a_tool(monkeypatch, tmp_path):
    """Without pdftotext (and no pypdf) the scan refuses, saying what to install."""
    import shutil
    import sys

    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "pdftotext" else which(name))
    monkeypatch.setitem(sys.modules, "pypdf", None)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(privacy.ScanUnavailable, match="poppler-utils"):
        privacy.scan_files(privacy.Scanner(NUMERIC, "1"), {"pdf": pdf}, "<p>Ann Lee</p>")


def test_a_name_in_the_pdf_text_is_found(chromium_path, tmp_path):
    from salescoach.packs import render_worker

    pdf = tmp_path / "pack.pdf"
    try:
        render_worker.to_pdf("<p>Ann Lee</p><p>Ahead of Mitchell, James</p>", pdf, "A4")
    finally:
        render_worker.close()
    scanner = privacy.Scanner(NUMERIC, "1")
    assert [leak.rep_id for leak in privacy.scan_files(scanner, {"pdf": pdf})] == ["7"]


@pytest.mark.timeout(
    900
)  # 65 packs with PDFs: about 90 s on a quiet machine, minutes on a busy one
def test_every_rep_pack_is_private(sample_workbook, chromium_path):
    """Render every rep's pack of the sample (HTML and PDF) and scan each for the other reps."""
    from salescoach.packs import render

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


def test_a_namesake_is_told_apart_by_id():
    roster = [privacy.Person("A1X", "Ann Lee"), privacy.Person("B2X", "Ann Lee")]
    assert privacy.Scanner(roster, "A1X").text("Review pack: Ann Lee (A1X)") == []
    assert [leak.rep_id for leak in privacy.Scanner(roster, "A1X").text("B2X")] == ["B2X"]
