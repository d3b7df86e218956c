"""The whole app: the picker on top, one tab per page; only the page in view redraws.

A change of period or scope marks every page stale and redraws the visible one at once; the
others redraw when their tab is opened. That keeps a change of scope as fast as one page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets

from salescoach.app.context import Context
from salescoach.app.page import Page
from salescoach.app.picker import ScopePicker
from salescoach.app.widgets import STYLE
from salescoach.domain.access import PAGE_ACTIONS, pages_of


class App:
    """The manager's app over one context. ``app.widget`` is what a notebook displays."""

    def __init__(self, context: Context, pages: Sequence[type[Page]] | None = None):
        self._page_classes = pages
        self.widget = widgets.VBox()
        self.widget.add_class("sc-app")
        self._build(context)

    def _build(self, context: Context, open_key: str | None = None) -> None:
        """Every widget for one context; a change of language builds them again, opened on the
        page `open_key` when it is one of them (else the first)."""
        from salescoach.app.pages import PAGES

        pages = self._page_classes
        self.context = context
        self.picker = ScopePicker(context)
        # Only the pages the person may open; someone with none gets them all, each saying why.
        opens = pages_of(context.person)
        allowed = [c for c in (pages or PAGES) if c.key not in PAGE_ACTIONS or c.key in opens]
        self.pages = [cls(context) for cls in (allowed or pages or PAGES)]
        self.tabs = widgets.Tab(children=[p.widget for p in self.pages])
        for i, page in enumerate(self.pages):
            self.tabs.set_title(i, page.label())
        self.tabs.add_class("sc-tabs")
        keys = [p.key for p in self.pages]
        if open_key in keys:
            self.tabs.selected_index = keys.index(open_key)
        self.tabs.observe(self._on_tab, names="selected_index")
        context.observe(self._on_change)
        title = widgets.HTML(
            f"<div class='sc-title'>{html.escape(context.settings.company_name)}</div>"
        )
        self.language = language_switch(context)
        self.language.observe(self._on_language, names="value")
        head = widgets.HBox([title, self.language])
        head.add_class("sc-head")
        self.widget.children = [widgets.HTML(STYLE), head, self.picker.widget, self.tabs]
        # Only the page in view is drawn; the others when their tab is first opened.
        self.current.refresh(context)

    def _on_language(self, change) -> None:
        """Redraw the whole app in the language picked; the facts read are kept."""
        from salescoach.i18n import set_language

        old, open_key = self.context, self.current.key
        old.unobserve(self._on_change)
        set_language(change["new"])
        # The rebuilt app stays on the page in view (a manager reading Monitoring reads it on
        # in Greek): only that one is drawn again at once, the others when their tab opens.
        self._build(old.in_language(change["new"]), open_key)

    @property
    def current(self) -> Page:
        return self.pages[self.tabs.selected_index or 0]

    def page(self, key: str) -> Page:
        for page in self.pages:
            if page.key == key:
                return page
        raise KeyError(f"no page {key!r}; pages: {', '.join(p.key for p in self.pages)}")

    def show(self, key: str) -> Page:
        """Open a page's tab (it redraws if stale) and return it."""
        page = self.page(key)
        self.tabs.selected_index = self.pages.index(page)
        return page

    def _on_change(self, context: Context, changed: frozenset[str]) -> None:
        for page in self.pages:
            page.stale = True
        self.current.refresh(context)

    def _on_tab(self, change) -> None:
        page = self.current
        if page.stale:
            page.refresh(self.context)


def language_switch(context: Context) -> widgets.Dropdown:
    """English or Greek (every language with a catalogue), each named in its own words."""
    from salescoach.i18n import languages

    names = {"en": "English", "el": "Ελληνικά"}
    switch = widgets.Dropdown(
        options=[(names.get(c, c), c) for c in ["en", *sorted(set(languages()) - {"en"})]],
        value=context.settings.language,
        layout=widgets.Layout(width="140px"),
    )
    switch.add_class("sc-language")
    return switch


class SinglePage:
    """One page with its own picker, for a notebook that shows only that page."""

    def __init__(self, context: Context, page: type[Page]):
        self.context = context
        self.picker = ScopePicker(context)
        self.page = page(context)
        context.observe(lambda ctx, changed: self.page.refresh(ctx))
        self.widget = widgets.VBox([widgets.HTML(STYLE), self.picker.widget, self.page.widget])
        self.widget.add_class("sc-app")
        self.page.refresh(context)


def build_app(workbook=None, page: str | None = None, **view) -> App | SinglePage:
    """The app for a workbook (a path, a Workbook, or None for ``$SALESCOACH_WORKBOOK``).

    ``page`` names one page (``goals``, ``training``, ``monitoring``, ``diagnosis``,
    ``what_works``, ``recognition``, ``packs``) to show alone; ``view`` sets the starting
    ``period``, ``scope`` and ``scope_id``.
    """
    from salescoach.app.pages import PAGES
    from salescoach.data.workbook import Workbook
    from salescoach.i18n import set_language

    wb = workbook if isinstance(workbook, Workbook) else Workbook.open(workbook)
    set_language(wb.settings.language)  # this kernel serves one workbook: its words follow it
    context = Context(wb, **{k: v for k, v in view.items() if v})
    if page is None:
        app = App(context)
    else:
        by_key = {p.key: p for p in PAGES}
        if page not in by_key:
            raise ValueError(f"no page {page!r}; pages: {', '.join(by_key)}")
        app = SinglePage(context, by_key[page])
    if _in_kernel():
        _settle_heap()
    return app


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def _settle_heap() -> None:
    """Leave what the app holds for its life (facts, widgets, caches) out of Python's full
    garbage collections: at scale 7 one such pass took 99 ms, a third of a redraw, whenever it
    fell into one; after `gc.freeze` it takes microseconds. Only in a kernel, which serves one
    app until its tab closes; a test process builds many apps and must let them go."""
    import gc

    gc.collect()
    gc.freeze()
