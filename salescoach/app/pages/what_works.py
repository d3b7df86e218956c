"""What works: products that sell, techniques that win, what customers say."""

from __future__ import annotations

from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.page import Page
from salescoach.app.widgets import Notice, TableView
from salescoach.i18n import N_


class WhatWorksPage(Page):
    key = "what_works"
    title = N_("What works")  # marked for the catalogue; Page.label translates it

    def build(self):
        self.service_notice = Notice()
        self.table = TableView(css_class="sc-insights")
        return [self.service_notice.widget, self.table.widget]

    def draw(self, ctx: Context) -> None:
        svc = decisions.service("training")
        what_works = getattr(svc, "what_works", None) if svc else None
        if what_works is None:
            self.service_notice.info(
                self._("What works appears here once the insights service is installed.")
            )
            self.table.show(None)
            return
        self.service_notice.clear()
        table = what_works(ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id)
        shown = getattr(svc, "what_works_shown", None)
        self.table.show(shown(table, ctx.fmt) if shown else table)
