"""Monitoring: the scope's results month by month, then the service's view of the process."""

from __future__ import annotations

import pandas as pd

from salescoach.app.context import Context
from salescoach.app.page import Page
from salescoach.app.widgets import ChartView, Notice, TableView
from salescoach.i18n import N_

MONTHS_SHOWN = 12


class MonitoringPage(Page):
    key = "monitoring"
    title = N_("Monitoring")  # marked for the catalogue; Page.label translates it

    def build(self):
        self.chart = ChartView(css_class="sc-monitoring-chart")
        self.service_notice = Notice()
        self.table = TableView(css_class="sc-monitoring-table")
        return [self.chart.widget, self.service_notice.widget, self.table.widget]

    def draw(self, ctx: Context) -> None:
        _ = self._
        end = min(ctx.period_obj.end, ctx.last_day)
        start = (end - pd.DateOffset(months=MONTHS_SHOWN)).replace(day=1) + pd.DateOffset(months=1)
        d = ctx.daily("revenue")
        d = d[(d["date"] >= start) & (d["date"] <= end) & d["rep_id"].isin(ctx.members())]
        monthly = d.groupby(d["date"].dt.strftime("%Y-%m"))["value"].sum()
        months = pd.period_range(start, end, freq="M").strftime("%Y-%m")
        monthly = monthly.reindex(months, fill_value=0.0)
        monthly.index = [ctx.fmt.month_short(m) for m in months]  # `Oct 2025`, `Οκτ 2025`
        from salescoach.app.figures import monthly_bars_figure  # matplotlib when drawn

        self.chart.show(
            monthly_bars_figure(
                monthly,
                _("Revenue by month: {scope}", scope=ctx.scope_label()),
                ctx.fmt,
                colour=ctx.settings.branding.primary_colour,
            )
        )
        from salescoach.services import monitoring as svc  # on first draw: a fast first view

        self.service_notice.clear()
        self.table.show(
            svc.scope_summary(
                ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id
            )
        )
