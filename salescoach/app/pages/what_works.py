"""What works: products that sell, techniques that win, what customers say."""

from __future__ import annotations

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
        from salescoach.services import training as svc  # on first draw: a fast first view

        self.service_notice.clear()
        table = svc.what_works(
            ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id
        )
        self.table.show(svc.what_works_shown(table, ctx.fmt))
        if "note" not in table:
            self.service_notice.info(svc.what_works_window(ctx.workbook, ctx.period, ctx.fmt))
