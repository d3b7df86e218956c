"""Goals: the scope's goals in force with progress, set or revise one, record a discussion."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from salescoach import attainment
from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.figures import goal_progress_figure
from salescoach.app.forms import Field, Form, non_negative_number, required_text
from salescoach.app.page import Page
from salescoach.app.widgets import ChartView, TableView
from salescoach.contract import METRICS
from salescoach.i18n import N_, label


class GoalsPage(Page):
    key = "goals"
    title = N_("Goals")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        self.chart = ChartView(css_class="sc-goal-chart")
        self.table = TableView(css_class="sc-goal-table")
        self.versions = TableView(css_class="sc-goal-versions", max_rows=10)
        self.metric = widgets.Dropdown(
            options=[(label(m), m) for m in METRICS], value="revenue", description=_("Metric")
        )
        self.metric.add_class("sc-goal-metric")
        self.metric.observe(lambda _change: self._show_metric(self.context), names="value")
        self.target = Field(
            "target",
            widgets.FloatText(description=_("Target"), layout=widgets.Layout(width="300px")),
            non_negative_number(_("A target"), _),
        )
        self.reason = Field(
            "reason",
            widgets.Textarea(
                placeholder=_("Why this goal (market, competition, last periods)"),
                description=_("Reason"),
                layout=widgets.Layout(width="520px"),
            ),
            required_text(_("A reason"), _),
        )
        # A closed period's goal changes only on purpose: the box shows for a closed period,
        # and the version records the override.
        self.override = Field(
            "override",
            widgets.Checkbox(
                value=False,
                description=_("Override: this period has closed"),
                layout=widgets.Layout(width="520px"),
            ),
            bool,
        )
        self.goal_form = Form(
            [self.target, self.reason, self.override],
            action=self._save_goal,
            label=_("Save goal"),
            title=_("Set or revise the goal"),
            css_class="sc-goal-form",
            clear_after=["reason"],
            _=_,
        )
        self.note = Field(
            "note",
            widgets.Textarea(
                placeholder=_("What was agreed with the rep"),
                description=_("Note"),
                layout=widgets.Layout(width="520px"),
            ),
            required_text(_("A note of the discussion"), _),
        )
        self.acknowledged = Field(
            "acknowledged",
            widgets.Checkbox(value=False, description=_("The rep acknowledged the goal")),
            bool,
        )
        self.discussion_form = Form(
            [self.note, self.acknowledged],
            action=self._save_discussion,
            label=_("Record discussion"),
            title=_("Record a goal discussion"),
            css_class="sc-discussion-form",
            clear_after=["note"],
            _=_,
        )
        self.discussion_hint = widgets.HTML()
        return [
            self.metric,
            self.chart.widget,
            self.table.widget,
            self.goal_form.widget,
            self.versions.widget,
            self.discussion_hint,
            self.discussion_form.widget,
        ]

    # -- data

    def goals(self, ctx: Context) -> pd.DataFrame:
        """Goals in force for the context's scope and period (imported targets + the store)."""
        events = ctx.store().frame(attainment.GOAL_KIND)
        goals = attainment.goals_in_force(ctx.tables.get("targets"), events)
        return goals[
            (goals["period"] == ctx.period)
            & (goals["scope"] == ctx.scope)
            & (goals["scope_id"].astype(str) == str(ctx.scope_id))
        ]

    def target_of(self, ctx: Context, metric: str) -> float | None:
        rows = self.goals(ctx)
        rows = rows[rows["metric"] == metric]
        return float(rows["target"].iloc[-1]) if len(rows) else None

    # -- drawing

    def draw(self, ctx: Context) -> None:
        _, f = self._, ctx.fmt
        goals = self.goals(ctx)
        rows = []
        for g in goals.itertuples():
            try:
                actual = float(ctx.per_rep(g.metric).sum())
            except Exception:  # noqa: BLE001 - a metric without its table
                actual = float("nan")
            money = g.metric == "revenue"
            rows.append(
                {
                    _("Metric"): label(g.metric),
                    _("Target"): f.money(g.target) if money else f.number(g.target),
                    _("Actual"): f.money(actual) if money else f.number(actual),
                    _("Attainment"): f.pct(actual / g.target) if g.target else "",
                    _("Version"): g.version,
                    _("Reason"): g.reason or "",
                }
            )
        self.table.show(pd.DataFrame(rows), empty=_("No goal set for this scope and period."))
        self._show_metric(ctx, goals)
        closed = decisions.period_state(ctx) == "closed"
        self.override.widget.layout.display = None if closed else "none"
        if not closed:
            self.override.input.value = False
        # A trainer or a rep reads goals; only those who may set one see the form.
        self.goal_form.widget.layout.display = "none" if ctx.refusal("goal.write") else None
        is_rep = ctx.scope == "rep" and ctx.refusal("ack.write") is None
        self.discussion_form.widget.layout.display = None if is_rep else "none"
        self.discussion_hint.value = (
            "" if is_rep else _("Pick a rep in the scope to record a goal discussion.")
        )

    def _show_metric(self, ctx: Context, goals: pd.DataFrame | None = None) -> None:
        _ = self._
        metric = self.metric.value
        goals = self.goals(ctx) if goals is None else goals
        chosen = goals[goals["metric"] == metric]
        target = float(chosen["target"].iloc[-1]) if len(chosen) else None
        if target is not None:
            self.target.input.value = target
        try:
            daily = ctx.scope_series(metric)
        except Exception as exc:  # noqa: BLE001
            self.chart.unavailable(_("Not assessed: {why}", why=str(exc)))
            return
        figure = goal_progress_figure(
            daily,
            target,
            ctx.last_day,
            _(
                "{metric}: {scope}, {period}",
                metric=label(metric),
                scope=ctx.scope_label(),
                period=ctx.period_label(),
            ),
            ctx.fmt,
            {"actual": _("Actual to date"), "path": _("Path to target")},
        )
        self.chart.show(figure)
        key = attainment.goal_key(ctx.scope, ctx.scope_id, ctx.period, metric)
        versions = [
            {
                _("When"): ctx.fmt.date(e.at),
                _("Who"): e.who,
                _("Target"): ctx.fmt.number(e.data.get("target")),
                _("Driver"): e.data.get("reason") or "",
                _("Reason"): e.why or "",
            }
            for e in ctx.store().history(attainment.GOAL_KIND, key)
        ]
        self.versions.show(pd.DataFrame(versions))

    # -- writes

    def _save_goal(self, values) -> str:
        ctx = self.context
        event = decisions.set_goal(
            ctx, self.metric.value, values["target"], values["reason"], override=values["override"]
        )
        saved = self._(
            "Saved: {metric} goal of {scope} for {period} is {target}.",
            metric=label(self.metric.value),
            scope=ctx.scope_label(),
            period=ctx.period_label(),
            target=ctx.fmt.number(values["target"]),
        )
        if event.data.get("override"):
            saved += " " + self._("Recorded as an override of a closed period.")
        return saved

    def _save_discussion(self, values) -> str:
        ctx = self.context
        if ctx.scope != "rep":
            from salescoach.errors import InputError

            raise InputError(self._("Pick a rep in the scope first."))
        decisions.record_goal_discussion(ctx, ctx.scope_id, values["note"], values["acknowledged"])
        return self._("Saved: discussion with {rep}.", rep=ctx.scope_label())
