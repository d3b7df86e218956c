"""Small widgets every page uses: a chart shown as a static image, a table, a notice.

A chart is a matplotlib figure rendered to PNG and shown in an ``ipywidgets.Image``; a redraw
replaces the image's bytes in place, so the page does not jump and what the manager sees is
what a printed pack shows.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import pandas as pd

from salescoach.domain.fmt import Formatter
from salescoach.i18n import _n

CHART_DPI = 96


def png_bytes(figure) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed (pyplot keeps no reference)."""
    buffer = io.BytesIO()
    # The app's figures lay themselves out (`app.figures.MARGINS`): one drawing, no measuring.
    # zlib's fastest level: a chart is mostly flat colour, so the PNG is about as small (34.9
    # against 34.1 KB) and encoding it takes a fifth of the time (about 26 ms at level 6).
    figure.savefig(buffer, format="png", dpi=CHART_DPI, pil_kwargs={"compress_level": 1})
    try:
        import matplotlib.pyplot as plt

        plt.close(figure)
    except Exception:  # noqa: BLE001 - a Figure made without pyplot has nothing to close
        pass
    return buffer.getvalue()


class ChartView:
    """A static chart that updates in place: ``show(figure)`` swaps the PNG, or a one-line notice."""

    def __init__(self, css_class: str = "sc-chart", width: str = "760px"):
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width=width))
        self.image.add_class(css_class)
        self.notice = Notice()
        self.widget = widgets.VBox([self.image, self.notice.widget])
        self.draws = 0

    def show(self, figure) -> None:
        self.show_png(png_bytes(figure))

    def show_png(self, data: bytes) -> None:
        self.image.value = data
        self.image.layout.display = None
        self.notice.clear()
        self.draws += 1

    def unavailable(self, message: str) -> None:
        self.image.layout.display = "none"
        self.notice.info(message)


class TableView:
    """A DataFrame as a plain HTML table; every cell escaped (names come from data files)."""

    def __init__(self, css_class: str = "sc-table", max_rows: int = 30):
        self.widget = widgets.HTML()
        self.widget.add_class(css_class)
        self.max_rows = max_rows

    def show(self, frame: pd.DataFrame | None, empty: str = "") -> None:
        if frame is None or frame.empty:
            self.widget.value = f"<p class='sc-empty'>{html.escape(empty)}</p>" if empty else ""
            return
        shown = frame.head(self.max_rows)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in shown.itertuples(index=False)
        )
        more = ""
        if len(frame) > self.max_rows:
            n = len(frame) - self.max_rows
            words = _n(
                "… {n} more row", "… {n} more rows", n, n=Formatter.for_active_language().number(n)
            )
            more = f"<p class='sc-more'>{html.escape(words)}</p>"
        self.widget.value = f"<table class='sc-grid'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


class Notice:
    """One line of text for the manager: information, success or a problem."""

    def __init__(self, css_class: str = "sc-notice"):
        self.widget = widgets.HTML()
        self.widget.add_class(css_class)
        self.text = ""
        self.level = ""

    def _set(self, level: str, text: str) -> None:
        self.text, self.level = text, level
        self.widget.value = f"<span class='sc-{level}'>{html.escape(text)}</span>" if text else ""

    def info(self, text: str) -> None:
        self._set("info", text)

    def ok(self, text: str) -> None:
        self._set("ok", text)

    def error(self, text: str) -> None:
        self._set("error", text)

    def clear(self) -> None:
        self._set("", "")


STYLE = """
<style>
.sc-app { max-width: 1200px; }
/* Tabs as wide as their label: a fixed width cut longer words (Greek: 'Διάγνωση και καθοδ'). */
.sc-app .widget-tab > .lm-TabBar .lm-TabBar-tab { flex: 0 0 auto; max-width: none; }
.sc-app .sc-title { font-size: 1.4em; font-weight: 600; margin: 0.2em 0 0.4em 0; }
.sc-error { color: #b00020; }
.sc-ok { color: #1b5e20; }
.sc-warn { color: #8a5a00; }
.sc-info { color: #555; }
.sc-field-error { color: #b00020; font-size: 0.9em; padding-left: 0.5em; }
table.sc-grid { border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0; }
table.sc-grid th { text-align: left; border-bottom: 1px solid #999; padding: 2px 8px; }
table.sc-grid td { border-bottom: 1px solid #e3e3e3; padding: 2px 8px; line-height: 1.35; }
table.sc-grid th { line-height: 1.35; }
.sc-section { font-weight: 600; margin-top: 0.8em; }
/* Labels as long as their words: English and Greek alike, never cut ('Καταγραφή συζήτ…'). */
.sc-app .widget-inline-hbox .widget-label { width: auto; min-width: 90px; max-width: none; }
.sc-app .widget-button { width: auto; min-width: 120px; }
.sc-app .widget-button .widget-label, .sc-app button { text-overflow: clip; overflow: visible; }
.sc-app .widget-vbox > .widget-button { align-self: flex-start; }
.sc-head { align-items: center; justify-content: space-between; }
/* The lab theme draws links as plain text; a pack link must look like one. */
.sc-app a { color: #1565c0; text-decoration: underline; }
.sc-busy { color: #555; font-style: italic; }
.sc-busy-spin { display: inline-block; width: 0.9em; height: 0.9em; border: 2px solid #bbb;
  border-top-color: #1565c0; border-radius: 50%; animation: sc-spin 0.8s linear infinite;
  vertical-align: middle; }
@keyframes sc-spin { to { transform: rotate(360deg); } }
.sc-suggestion { max-width: 520px; font-size: 0.9em; line-height: 1.35; border-left: 3px solid #1565c0;
  padding: 0 0.6em; margin: 0.3em 0; }
.sc-suggestion p, .sc-suggestion ul { margin: 0.2em 0; }
</style>
"""


def set_choices(dropdown, choices) -> None:
    """New options for a dropdown, keeping its value when still offered, else the first."""
    current = dropdown.value
    dropdown.options = choices
    values = [c[1] if isinstance(c, tuple) else c for c in choices]
    if current in values:
        dropdown.value = current
    elif values:
        dropdown.value = values[0]
