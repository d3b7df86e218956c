"""A page of the app: a class that builds its widgets once and redraws on ``refresh(context)``.

Pages never load data themselves at import time and never hold a period or a scope of their
own: they read both from the :class:`~salescoach.app.context.Context` on every refresh.
"""

from __future__ import annotations

import html
import time
import traceback

import ipywidgets as widgets

from salescoach.app.context import Context
from salescoach.app.forms import Form
from salescoach.app.widgets import Notice
from salescoach.data.workbook import MissingTable
from salescoach.domain.access import PAGE_ACTIONS, AccessRefused
from salescoach.domain.actuals import MissingData


class Page:
    """Subclasses set ``key`` and ``title`` and implement ``build()`` and ``draw(context)``."""

    key = "page"
    title = "Page"

    def __init__(self, context: Context):
        self.context = context
        self._ = context._
        # Only the frame a tab needs; the heading, notices and the page's own widgets are
        # made when it is first drawn (its tab opened), so the first view of the app sends the
        # browser one page's widgets, not seven (each widget is a model the browser builds).
        self.widget = widgets.VBox()
        self.widget.add_class(f"sc-page-{self.key}")
        self.forms: list[Form] = []
        self.statuses: list[Notice] = []
        self.built = False
        self._drawn_for = None
        self.stale = True
        self.refreshes = 0
        self.last_refresh_s = 0.0
        self.last_error = ""

    def ensure_built(self) -> None:
        """Build the page's widgets once."""
        if self.built:
            return
        self.built = True
        self.heading = widgets.HTML()
        self.heading.add_class("sc-title")
        self.notice = Notice(css_class="sc-page-notice")
        # Shown while the page computes, so a slow redraw never looks like a dead app.
        working = html.escape(self._("Working…"))
        self.busy = widgets.HTML(
            f"<span class='sc-busy-spin'></span> {working}",
            layout=widgets.Layout(display="none"),
        )
        self.busy.add_class("sc-busy")
        self.body = widgets.VBox(self.build())
        self.widget.children = [self.heading, self.busy, self.notice.widget, self.body]
        # Every form of the page: its "Saved" shows before the redraw, and it is cleared when
        # the period or scope changes (a status line speaks of the view it was written in).
        self.forms = [v for v in vars(self).values() if isinstance(v, Form)]
        self.statuses = [
            v for v in vars(self).values() if isinstance(v, Notice) and v is not self.notice
        ]
        for form in self.forms:
            form.hold = self.context.held

    def __getattr__(self, name: str):
        # A widget of a page not drawn yet (a test, a notebook reaching in): build it first.
        if name.startswith("_") or self.__dict__.get("built", True):
            raise AttributeError(name)
        self.ensure_built()
        return getattr(self, name)

    def label(self) -> str:
        """The page's name in the navigation, in the workbook's language."""
        return self._(self.title)

    def build(self) -> list[widgets.Widget]:
        return []

    def draw(self, context: Context) -> None:
        raise NotImplementedError

    def refresh(self, context: Context | None = None) -> None:
        """Redraw for the context's period and scope; a page that cannot says why in one line."""
        context = context or self.context
        started = time.perf_counter()
        self.ensure_built()
        self.busy.layout.display = None
        self.notice.clear()
        self.last_error = ""
        view = (context.period, context.scope, context.scope_id)
        if view != self._drawn_for:
            for form in self.forms:
                form.clear()
            for status in self.statuses:
                status.clear()
            self._drawn_for = view
        try:
            # A page the person may not open says why and shows nothing of the scope.
            why = context.page_refusal(self.key) if self.key in PAGE_ACTIONS else None
            self.body.layout.display = "none" if why else None
            if why:
                self.notice.info(why)
            else:
                self.draw(context)
        except AccessRefused as exc:
            self.body.layout.display = "none"
            self.notice.info(str(exc))
        except (MissingData, MissingTable) as exc:
            self.notice.info(self._("Not assessed: {why}", why=str(exc)))
        except Exception as exc:  # noqa: BLE001 - one broken view must not take the app down
            self.last_error = traceback.format_exc()
            error = f"{type(exc).__name__}: {exc}"
            self.notice.error(self._("This page could not be drawn: {error}", error=error))
        # The heading changes last: when it names the new scope, the page below (charts,
        # tables, form fields reset to the new scope's values) already shows it.
        self.heading.value = html.escape(
            self._(
                "{page}: {scope}, {period}",
                page=self.label(),
                scope=context.scope_label(),
                period=context.period_title(),
            )
        )
        self.busy.layout.display = "none"
        self.stale = False
        self.refreshes += 1
        self.last_refresh_s = time.perf_counter() - started
