"""Review packs: how a pack notebook shows a section (escaped HTML, figures as embedded
images), and the app's entry point. Part of :mod:`salescoach.services.packs`."""

from __future__ import annotations

import html
import io
from typing import Any

import pandas as pd

from salescoach.i18n import _


def show(title: str, content: Any) -> None:
    """Display a section: its heading, then a frame, a figure, a list of lines or a sentence.

    Text is escaped and shown as HTML, never passed through Markdown: names and comments come
    from data files, and Markdown would let `<script>` in a rep's name through as markup.
    """
    import base64

    from IPython.display import HTML, display

    # Heading and body in one output, so print keeps them together and a long table may
    # still run on to the next page (a heading alone at a page's foot is what breaks avoid).
    if hasattr(content, "savefig"):
        buffer = io.BytesIO()
        content.savefig(buffer, format="png", dpi=110)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        body = f'<img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
    elif content is None or isinstance(content, (str, list, tuple, pd.DataFrame)):
        body = _body_html(content)
    else:
        display(HTML(f"<h2>{html.escape(title)}</h2>"))
        display(content)
        return
    kind = "sc-section sc-figure" if hasattr(content, "savefig") else "sc-section"
    display(HTML(f'<section class="{kind}"><h2>{html.escape(title)}</h2>{body}</section>'))


def show_columns(*sections: tuple[str, Any]) -> None:
    """Short sections (a sentence or a small table each) side by side, so that a line of text
    does not take a printed page of its own."""
    from IPython.display import HTML, display

    columns = "".join(
        f'<div class="sc-column"><h2>{html.escape(title)}</h2>{_body_html(content)}</div>'
        for title, content in sections
    )
    display(HTML(f'<div class="sc-columns">{columns}</div>'))


def _body_html(content: Any) -> str:
    """A sentence, a list of lines or a frame as escaped HTML."""
    esc = html.escape
    nothing = "<p>" + esc(_("nothing to show")) + "</p>"
    if content is None:
        return nothing
    if isinstance(content, str):
        return f"<p>{esc(content)}</p>"
    if isinstance(content, (list, tuple)):
        items = "".join(f"<li>{esc(str(line))}</li>" for line in content)
        return f"<ul>{items}</ul>" if items else nothing
    if isinstance(content, pd.DataFrame) and content.empty:
        return nothing
    if isinstance(content, pd.DataFrame):
        if content.index.name is not None and content.columns.name is None:
            # The index's name in the header row's corner, not on a row of its own.
            content = content.rename_axis(index=None, columns=content.index.name)
        return content.to_html(
            index=not isinstance(content.index, pd.RangeIndex), classes="dataframe", escape=True
        )
    return esc(str(content))


def show_cover(cover_lines: dict[str, str]) -> None:
    from IPython.display import HTML, display

    headline = cover_lines.get("headline")
    display(
        HTML(
            f"<h1>{html.escape(cover_lines['title'])}</h1>"
            f"<p><strong>{html.escape(cover_lines['subtitle'])}</strong></p>"
            + (f'<p class="sc-headline">{html.escape(headline)}</p>' if headline else "")
        )
    )


def new_page() -> None:
    """Start the next section on a new printed page."""
    from IPython.display import HTML, display

    display(HTML('<div class="sc-page-break"></div>'))
