"""A pack's PDF never ends on a near-empty page when printing it slightly smaller saves it."""

from __future__ import annotations

import pytest

from salescoach.packs import export, render_worker


def _markup(lines: int) -> str:
    body = "".join(f"<p>Line {i} of the pack's text.</p>" for i in range(lines))
    return (
        "<html><head><style>@page { size: A4; margin: 14mm 12mm; }"
        "p { margin: 0; font: 10pt/12pt sans-serif; }</style></head>"
        f"<body>{body}</body></html>"
    )


@pytest.mark.parametrize(
    ("lines", "pages"),
    [
        (66, 1),  # three lines over a page: printed at 90%, one page
        (120, 2),  # a second page well filled: left as it is
    ],
)
def test_a_near_empty_last_page_is_saved(chromium_path, tmp_path, lines, pages):
    path = tmp_path / "pack.pdf"
    try:
        render_worker.to_pdf(_markup(lines), path, "A4")
    finally:
        render_worker.close()
    assert render_worker.pdf_pages(path.read_bytes()) == pages


def test_without_the_fit_the_same_text_takes_two_pages(chromium_path, tmp_path, monkeypatch):
    """The case above is a real one: printed at full size, the 66 lines need a second page."""
    monkeypatch.setattr(export, "NEAR_EMPTY_LINES", 0)  # where to_pdf reads it
    path = tmp_path / "pack.pdf"
    try:
        render_worker.to_pdf(_markup(66), path, "A4")
    finally:
        render_worker.close()
    assert render_worker.pdf_pages(path.read_bytes()) == 2
