"""Goals: the team's grid, the goal in force with its suggestion, set or revise it, the
top-down split with roll-up gaps, and goal discussions."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.forms import Field, Form, chosen, non_negative_amount, required_text
from salescoach.app.page import Page
from salescoach.app.widgets import ChartView, TableView
from salescoach.domain import attainment, goals as goal_rules
from salescoach.domain.contract import METRICS
from salescoach.errors import InputError
from salescoach.i18n import N_, label, separated

# Goal charts kept per page (a PNG of some 30 KB each): going back to a view seen is instant.
CHARTS_KEPT = 64
# The level below each scope, for the top-down split.
CHILD_LEVEL = {"company": "department", "department": "team", "team": "rep"}


def heading(words: str) -> str:
    """A label as a picker shows it: first letter capital (`Revenue`, `Έσοδα`), the rest kept."""
    return words[:1].upper() + words[1:]


def target_text(value: float | None, locale: str) -> str:
    """A target as the manager types it in the locale (`95.424.400` in el_GR), every digit
    kept, so the box shows exactly what Save would store."""
    import babel.numbers

    if value is None or pd.isna(value):
        return ""
    return babel.numbers.format_decimal(value, format="#,##0.##", locale=locale)


def team_grid(
    members: pd.DataFrame,
    rep_goals: pd.Series,
    actual: pd.Series,
    acks: pd.DataFrame | None,
    elapsed: float,
    has_data: bool,
    fmt,
    _,
    money: bool = True,
) -> pd.DataFrame:
    """One row per rep: name, goal, actual, attainment, pace and whether they acknowledged.

    `members` holds rep_id and name; `rep_goals` and `actual` are indexed by rep_id; `acks`
    is the acknowledgement status (rep_id, outcome). Pace is attainment against the share of
    the period gone; a period the data does not reach says "no data yet", not 0%."""
    show = fmt.money if money else fmt.number
    outcome = acks.set_index("rep_id")["outcome"] if acks is not None and len(acks) else pd.Series()
    rows = []
    for rep_id, name in zip(members["rep_id"], members["name"]):
        goal = rep_goals.get(rep_id)
        done = float(actual.get(rep_id, 0.0))
        has_goal = goal is not None and pd.notna(goal) and goal > 0
        said = outcome.get(rep_id)
        rows.append(
            {
                _("Rep"): name,
                _("Goal"): show(goal) if has_goal else _("no goal"),
                _("Actual"): show(done) if has_data else _("no data yet"),
                _("Attainment"): fmt.pct(done / goal) if has_goal and has_data else "",
                _("Pace"): fmt.pct(done / (goal * elapsed))
                if has_goal and has_data and elapsed > 0
                else "",
                _("Acknowledged"): label(said) if isinstance(said, str) and said else _("not yet"),
            }
        )
    return pd.DataFrame(rows)


class GoalsPage(Page):
    key = "goals"
    title = N_("Goals")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        locale = self.context.fmt.locale
        wide = widgets.Layout(width="560px")
        fit = {"description_width": "initial"}
        self.grid = TableView(css_class="sc-team-grid", max_rows=80)
        self.pending = widgets.HTML()
        self.pending.add_class("sc-pending-acks")
        self.chart = ChartView(css_class="sc-goal-chart")
        self.table = TableView(css_class="sc-goal-table")
        self.versions = TableView(css_class="sc-goal-versions", max_rows=20)
        self.metric = widgets.Dropdown(
            options=[(heading(label(m)), m) for m in METRICS],
            value="revenue",
            description=_("Metric"),
        )
        self.metric.add_class("sc-goal-metric")
        self.metric.observe(lambda _change: self._show_metric(self.context), names="value")
        # A text box read in the workbook's locale: what it shows is what Save stores.
        self.target = Field(
            "target",
            widgets.Text(description=_("Target"), layout=widgets.Layout(width="300px")),
            non_negative_amount(_("A target"), locale, _),
            live=True,
        )
        self.suggestion = widgets.HTML()
        self.suggestion.add_class("sc-goal-suggestion")
        self.accept = widgets.Button(
            description=_("Accept suggestion"), layout=widgets.Layout(width="auto")
        )
        self.accept.add_class("sc-goal-accept")
        self.accept.on_click(lambda _b: self.accept_suggestion())
        self._suggested = None
        self.driver = Field(
            "driver",
            widgets.Dropdown(
                options=[(label(r), r) for r in goal_rules.REASONS],
                value="performance",
                description=_("Driver"),
                style=fit,
            ),
            chosen(_("a driver"), _),
        )
        self.reason = Field(
            "reason",
            widgets.Textarea(
                placeholder=_("Why this goal (market, competition, last periods)"),
                description=_("Reason"),
                layout=wide,
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
                indent=False,
                layout=widgets.Layout(width="auto"),
            ),
            bool,
        )
        self.goal_form = Form(
            [self.target, self.driver, self.reason, self.override],
            action=self._save_goal,
            label=_("Save goal"),
            title=_("Set or revise the goal"),
            css_class="sc-goal-form",
            clear_after=["reason"],
            _=_,
        )
        self.split_button = widgets.Button(
            description=_("Show the top-down split"), layout=widgets.Layout(width="auto")
        )
        self.split_button.add_class("sc-goal-split-show")
        self.split_button.on_click(lambda _b: self.show_split(self.context))
        self.split = TableView(css_class="sc-goal-split", max_rows=40)
        self.gaps = TableView(css_class="sc-goal-gaps", max_rows=20)
        self.note = Field(
            "note",
            widgets.Textarea(
                placeholder=_("What was agreed with the rep"),
                description=_("Note"),
                layout=wide,
            ),
            required_text(_("A note of the discussion"), _),
        )
        self.acknowledged = Field(
            "acknowledged",
            widgets.Checkbox(
                value=False,
                description=_("The rep acknowledged the goal"),
                indent=False,
                layout=widgets.Layout(width="auto"),
            ),
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
        self._inputs: dict = {}
        self._charts: dict = {}
        self._chart_figure = None  # the goals chart's figure, kept between redraws
        self._goals_read: tuple | None = None
        return [
            self.grid.widget,
            self.pending,
            self.metric,
            self.chart.widget,
            self.table.widget,
            widgets.HBox([self.suggestion, self.accept]),
            self.goal_form.widget,
            self.versions.widget,
            self.split_button,
            self.split.widget,
            self.gaps.widget,
            self.discussion_hint,
            self.discussion_form.widget,
        ]

    # -- data

    def goals(self, ctx: Context) -> pd.DataFrame:
        """Goals in force for the context's scope and period (imported targets + the store)."""
        goals = self._in_force(ctx)
        return goals[
            (goals["period"] == ctx.period)
            & (goals["scope"] == ctx.scope)
            & (goals["scope_id"].astype(str) == str(ctx.scope_id))
        ]

    def _in_force(self, ctx: Context) -> pd.DataFrame:
        return self._goal_state(ctx)[1]

    def _goal_state(self, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(goal events, goals in force, every version of every goal), read again only when a
        goal was written, here, by the CLI or by another server on the same database: the
        store's revision of the goal events says so in one small query, where reading and
        arranging them was about a quarter of a redraw."""
        store = ctx.store()
        revision = store.revision([attainment.GOAL_KIND])
        if self._goals_read is None or self._goals_read[0] != revision:
            events = store.frame(attainment.GOAL_KIND)
            targets = ctx.tables.get("targets")
            self._goals_read = (
                revision,
                events,
                attainment.goals_in_force(targets, events),
                goal_rules.goal_history(events, targets),
            )
        return self._goals_read[1:]

    def target_of(self, ctx: Context, metric: str) -> float | None:
        rows = self.goals(ctx)
        rows = rows[rows["metric"] == metric]
        return float(rows["target"].iloc[-1]) if len(rows) else None

    # -- drawing

    def draw(self, ctx: Context) -> None:
        _, f = self._, ctx.fmt
        in_force = self._in_force(ctx)
        goals = in_force[
            (in_force["period"] == ctx.period)
            & (in_force["scope"] == ctx.scope)
            & (in_force["scope_id"].astype(str) == str(ctx.scope_id))
        ]
        has_data = ctx.period_has_data()
        rows = []
        for g in goals.itertuples():
            try:
                actual = float(ctx.per_rep(g.metric).sum())
            except Exception:  # noqa: BLE001 - a metric without its table
                actual = float("nan")
            money = g.metric == "revenue"
            rows.append(
                {
                    _("Metric"): heading(label(g.metric)),
                    _("Target"): f.money(g.target) if money else f.number(g.target),
                    _("Actual"): (f.money(actual) if money else f.number(actual))
                    if has_data
                    else _("no data yet"),
                    _("Attainment"): f.pct(actual / g.target) if g.target and has_data else "",
                    _("Version"): g.version,
                    _("Driver"): label(g.reason) if isinstance(g.reason, str) else _("imported"),
                    _("Reason"): g.why if isinstance(g.why, str) else "",
                }
            )
        self.table.show(pd.DataFrame(rows), empty=_("No goal set for this scope and period."))
        self._draw_grid(ctx, in_force)
        self._show_metric(ctx, goals)
        closed = decisions.period_state(ctx) == "closed"
        self.override.widget.layout.display = None if closed else "none"
        if not closed:
            self.override.input.value = False
        # A trainer or a rep reads goals; only those who may set one see the form.
        may_set = ctx.refusal("goal.write") is None
        self.goal_form.widget.layout.display = None if may_set else "none"
        self.split_button.layout.display = None if ctx.scope in CHILD_LEVEL and may_set else "none"
        self.split.show(None)
        self.gaps.show(None)
        is_rep = ctx.scope == "rep" and ctx.refusal("ack.write") is None
        self.discussion_form.widget.layout.display = None if is_rep else "none"
        self.discussion_hint.value = html.escape(
            "" if is_rep else _("Pick a rep in the scope to record a goal discussion.")
        )

    def _draw_grid(self, ctx: Context, in_force: pd.DataFrame) -> None:
        """Every seller of the scope on staff in the period, by name; who has not yet
        acknowledged their goal listed under it."""
        _ = self._
        on_staff = dict(ctx.rep_choices(sellers=True))
        ids = list(on_staff.values())
        names = ctx.reps.set_index("rep_id")["name"].astype(str)
        members = pd.DataFrame({"rep_id": ids, "name": [names.get(r, r) for r in ids]})
        rep_goals = in_force[
            (in_force["period"] == ctx.period)
            & (in_force["scope"] == "rep")
            & (in_force["metric"] == "revenue")
        ]
        rep_goals = rep_goals.drop_duplicates("scope_id", keep="last").set_index("scope_id")
        try:
            actual = ctx.per_rep("revenue")
        except Exception:  # noqa: BLE001 - no revenue table: the grid says no data
            actual = pd.Series(dtype=float)
        acks = ctx.store().current(goal_rules.ACK_KIND)
        if acks is not None and len(acks):
            acks = acks[acks["period"].astype(str) == ctx.period]
        elapsed = attainment.elapsed_share(ctx.period_obj, ctx.last_day)
        grid = team_grid(
            members,
            rep_goals["target"],
            actual,
            acks,
            elapsed,
            ctx.period_has_data(),
            ctx.fmt,
            _,
        )
        self.grid.show(grid, empty=_("No seller on staff in this scope and period."))
        waiting = [
            n
            for n, r in zip(members["name"], members["rep_id"])
            if acks is None or not len(acks) or r not in set(acks["rep_id"])
        ]
        self.pending.value = (
            html.escape(
                _("Not yet acknowledged: {names}", names=separated(waiting))
                if waiting
                else _("Every rep has acknowledged their goal.")
            )
            if ids
            else ""
        )

    def _show_metric(self, ctx: Context, goals: pd.DataFrame | None = None) -> None:
        _ = self._
        metric = self.metric.value
        goals = self.goals(ctx) if goals is None else goals
        chosen_rows = goals[goals["metric"] == metric]
        target = float(chosen_rows["target"].iloc[-1]) if len(chosen_rows) else None
        self.target.input.value = target_text(target, ctx.fmt.locale)
        self.target.show_error("")
        self.goal_form.button.disabled = False
        self._show_suggestion(ctx, metric)
        key = attainment.goal_key(ctx.scope, ctx.scope_id, ctx.period, metric)
        self._show_versions(ctx, key, metric)
        try:
            daily = ctx.scope_series(metric)
        except Exception as exc:  # noqa: BLE001
            self.chart.unavailable(_("Not assessed: {why}", why=str(exc)))
            return
        title = _(
            "{metric}: {scope}, {period}",
            metric=heading(label(metric)),
            scope=ctx.scope_label(),
            period=ctx.period_label(),
        )
        # The facts do not change while a kernel runs: a chart seen before (same view, same
        # target, same words) is shown again without drawing it (drawing is most of a redraw).
        key = (title, ctx.period, target, ctx.scope, ctx.scope_id)
        png = self._charts.pop(key, None)
        if png is None:
            from salescoach.app.figures import GoalProgressChart
            from salescoach.app.widgets import png_bytes

            if self._chart_figure is None:
                self._chart_figure = GoalProgressChart()
            figure = self._chart_figure.figure(
                daily,
                target,
                ctx.last_day,
                title,
                ctx.fmt,
                {"actual": _("Actual to date"), "path": _("Path to target")},
            )
            png = png_bytes(figure)
        self._charts[key] = png  # the newest last; the oldest goes first
        while len(self._charts) > CHARTS_KEPT:
            self._charts.pop(next(iter(self._charts)))
        self.chart.show_png(png)

    def _show_versions(self, ctx: Context, key: str, metric: str) -> None:
        """Every version, the imported first one included; the reason as written."""
        _, f = self._, ctx.fmt
        history = self._goal_state(ctx)[2]
        history = history[history["key"] == key]
        show = f.money if metric == "revenue" else f.number
        rows = [
            {
                _("Version"): v.version,
                _("When"): f.date(v.set_at) if pd.notna(v.set_at) else _("imported"),
                _("Who"): v.set_by if isinstance(v.set_by, str) else "",
                _("Target"): show(v.target),
                _("Driver"): label(v.reason) if isinstance(v.reason, str) else "",
                _("Reason"): v.why if isinstance(v.why, str) else "",
            }
            for v in history.iloc[::-1].itertuples()
        ]
        self.versions.show(pd.DataFrame(rows), empty=_("No version of this goal yet."))

    def _show_suggestion(self, ctx: Context, metric: str) -> None:
        """The suggested goal and its arithmetic beside the goal box."""
        _ = self._
        self._suggested = None
        if ctx.refusal("goal.write"):
            self.suggestion.value, self.accept.layout.display = "", "none"
            return
        if decisions.period_state(ctx) == "closed":
            # A suggestion plans a period ahead; a closed one is changed only by an override
            # with its reason, never by accepting a forecast of what already happened.
            self.suggestion.value = html.escape(
                _("No suggestion: the period is closed; a goal suggested is for a period to come.")
            )
            self.accept.layout.display = "none"
            return
        config = goal_rules.SuggestionSettings.from_settings(ctx.settings)
        try:
            # What every suggestion of a period reads, worked out once per period and metric.
            if (ctx.period, metric) not in self._inputs:
                p = ctx.period_obj
                self._inputs[ctx.period, metric] = goal_rules.suggestion_inputs(
                    ctx.tables,
                    p,
                    metric,
                    config,
                    per_period=ctx.per_rep_period(metric, p.kind),
                    family_sales_between=ctx.family_sales,
                    share_of=ctx.active_share,
                )
            s = goal_rules.suggest(
                ctx.tables,
                ctx.scope,
                None if ctx.scope == "company" else ctx.scope_id,
                ctx.period_obj,
                metric,
                config,
                inputs=self._inputs[ctx.period, metric],
            )
        except Exception as exc:  # noqa: BLE001 - no history, a support rep: say why
            self.suggestion.value = html.escape(_("No suggestion: {why}", why=str(exc)))
            self.accept.layout.display = "none"
            return
        self._suggested = s
        show = ctx.fmt.money if metric == "revenue" else ctx.fmt.number
        lang = ctx.settings.language
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in s.note_texts(lang))
        head = html.escape(_("Suggested: {value}", value=show(s.value)))
        arithmetic = html.escape(s.sentence(ctx.fmt, lang))
        self.suggestion.value = (
            f"<div class='sc-suggestion'><b>{head}</b><p>{arithmetic}</p><ul>{notes}</ul></div>"
        )
        self.accept.layout.display = None

    def accept_suggestion(self) -> None:
        """Put the suggestion in the goal box with its arithmetic as the reason; Save stores it."""
        s = self._suggested
        if s is None:
            return
        ctx = self.context
        self.target.input.value = target_text(round(s.value, 2), ctx.fmt.locale)
        self.driver.input.value = "performance"
        self.reason.input.value = s.sentence(ctx.fmt, ctx.settings.language)

    def show_split(self, ctx: Context) -> None:
        """The scope's goal split to the level below, and the roll-up gaps of the period."""
        from salescoach.services import goals as goal_service

        _ = self._
        child = CHILD_LEVEL.get(ctx.scope)
        if child is None:
            return
        self.busy.layout.display = None
        try:
            split = goal_service.split(ctx.workbook, ctx.period, ctx.scope, child)
            parent = "company" if ctx.scope == "company" else ctx.scope_id
            split = split[split["parent_id"].astype(str) == str(parent)]
            names = ctx.reps.set_index("rep_id")["name"].astype(str)
            f = ctx.fmt
            self.split.show(
                pd.DataFrame(
                    {
                        _("Part"): [
                            names.get(i, i) if child == "rep" else i for i in split["scope_id"]
                        ],
                        _("Share"): [f.pct(x) for x in split["share"]],
                        _("Goal"): [f.money(x) for x in split["target"]],
                        _("How"): split["basis"],
                    }
                ),
                empty=_("Nothing to split in this scope."),
            )
            gaps = goal_service.gaps(ctx.workbook, ctx.period)
            self.gaps.show(gaps.rename(columns=lambda c: label(c)), empty=_("No roll-up gap."))
        except Exception as exc:  # noqa: BLE001 - shown to the manager, the page stays up
            self.split.show(None)
            self.notice.error(_("The split could not be computed: {error}", error=str(exc)))
        finally:
            self.busy.layout.display = "none"

    # -- writes

    def _save_goal(self, values) -> str:
        ctx = self.context
        metric = self.metric.value
        event = decisions.set_goal(
            ctx,
            metric,
            values["target"],
            values["reason"],
            override=values["override"],
            because=values["driver"],
        )
        show = ctx.fmt.money if metric == "revenue" else ctx.fmt.number
        # The stored value read back, with its currency: what the manager sees is what is saved.
        saved = self._(
            "Saved: {metric} goal of {scope} for {period} is {target}.",
            metric=label(metric),
            scope=ctx.scope_label(),
            period=ctx.period_label(),
            target=show(event.data.get("target", values["target"])),
        )
        if event.data.get("override"):
            saved += " " + self._("Recorded as an override of a closed period.")
        return saved

    def _save_discussion(self, values) -> str:
        ctx = self.context
        if ctx.scope != "rep":
            raise InputError(self._("Pick a rep in the scope first."))
        decisions.record_goal_discussion(ctx, ctx.scope_id, values["note"], values["acknowledged"])
        return self._("Saved: discussion with {rep}.", rep=ctx.scope_label())
