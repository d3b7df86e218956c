"""Diagnosis: why a goal was missed, then coaching notes and the coaching ladder."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.forms import (
    Field,
    Form,
    chosen,
    date_example,
    date_not_in_past,
    lines,
    required_text,
)
from salescoach.app.page import Page
from salescoach.app.widgets import Notice, TableView
from salescoach.domain import decisions as registry
from salescoach.i18n import N_, label, separated

# Diagnoses kept per page: going back to a view seen is instant (each is a few small frames).
VIEWS_KEPT = 16
# The decisions a rep's own explanation is computed from.
EXPLANATION_READS = (registry.GOAL, registry.TRAINING, registry.STEP, registry.SESSION)


class DiagnosisPage(Page):
    key = "diagnosis"
    title = N_("Diagnosis and coaching")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        self.findings = TableView(css_class="sc-findings")
        self.findings_notice = Notice()
        self.checks = TableView(css_class="sc-diagnosis-checks")
        self.waterfall = widgets.HTML()
        self.waterfall.add_class("sc-gap-waterfall")
        self.own = widgets.HTML()
        self.own.add_class("sc-rep-explanation")
        self.rep = widgets.Dropdown(description=_("Rep"), layout=widgets.Layout(width="420px"))
        self.rep.add_class("sc-coach-rep")
        self.rep.observe(lambda _change: self._show_rep(self.context), names="value")
        self.note = Field(
            "coach-note",
            widgets.Textarea(
                description=_("Note"),
                placeholder=_("What you observed and discussed"),
                layout=widgets.Layout(width="520px"),
            ),
            required_text(_("A coaching note"), _),
        )
        self.actions = Field(
            "coach-actions",
            widgets.Textarea(
                description=_("Actions"),
                placeholder=_("One action per line"),
                layout=widgets.Layout(width="520px"),
            ),
            lines,
        )
        # A text box read in the locale's date format: the browser's date picker writes
        # mm/dd/yyyy whatever the page's language.
        locale = self.context.fmt.locale
        self.follow_up = Field(
            "follow-up",
            widgets.Text(
                description=_("Follow-up"),
                placeholder=date_example(locale),
                layout=widgets.Layout(width="300px"),
            ),
            date_not_in_past(
                _("A follow-up date"), lambda: self.context.today, _, required=False, locale=locale
            ),
            live=True,
        )
        self.coaching_form = Form(
            [self.note, self.actions, self.follow_up],
            action=self._save_coaching,
            label=_("Log coaching session"),
            title=_("Log a coaching session"),
            css_class="sc-coaching-form",
            clear_after=["coach-note", "coach-actions"],
            _=_,
        )
        self.step_now = widgets.HTML()
        self.step = Field(
            "step",
            widgets.Dropdown(
                options=[(label(s), s) for s in decisions.ladder_steps()],
                description=_("Move to"),
            ),
            chosen(_("a step"), _),
        )
        self.step_reason = Field(
            "step-reason",
            widgets.Textarea(description=_("Reason"), layout=widgets.Layout(width="520px")),
            required_text(_("A reason"), _),
        )
        self.ladder_form = Form(
            [self.step, self.step_reason],
            action=self._save_step,
            label=_("Move on the ladder"),
            title=_("Coaching ladder"),
            css_class="sc-ladder-form",
            clear_after=["step-reason"],
            _=_,
        )
        self.log = TableView(css_class="sc-coaching-log", max_rows=10)
        self._cached: dict = {}
        self._own_cached: dict = {}
        return [
            self.findings_notice.widget,
            self.checks.widget,
            self.findings.widget,
            self.waterfall,
            self.rep,
            self.own,
            self.coaching_form.widget,
            self.step_now,
            self.ladder_form.widget,
            self.log.widget,
        ]

    def draw(self, ctx: Context) -> None:
        if ctx.period_has_data():
            self._draw_findings(ctx)
        else:
            # A quarter the data does not reach yet: plans only, no rep judged on nothing.
            self._draw_no_data(ctx)
        # Findings are for trainers too; coaching notes and the ladder are not.
        why = ctx.refusal("coaching_notes.read")
        for part in (self.rep, self.coaching_form.widget, self.step_now, self.ladder_form.widget):
            part.layout.display = "none" if why else None
        self.log.widget.layout.display = "none" if why else None
        if why:
            self.rep.options = []
            self.log.show(None)
            self.findings_notice.info(why)
            return
        choices = ctx.rep_choices()
        current = self.rep.value
        self.rep.options = choices
        ids = [v for _label, v in choices]
        if current in ids:
            self.rep.value = current
        elif ids:
            self.rep.value = ids[0]
        self._show_rep(ctx)

    def _draw_no_data(self, ctx: Context) -> None:
        self.findings_notice.info(
            self._(
                "No data yet for {period}: nothing to diagnose and no rep is judged. Set the goals and plan the coaching.",
                period=ctx.period_label(),
            )
        )
        self.checks.show(None)
        self.findings.show(None)
        self.waterfall.value = ""

    def _overview(self, ctx: Context, svc) -> dict:
        """The diagnosis of the view, computed once per period, scope and goal or training
        write: a coaching note saved on this page does not recompute it. The writes are
        counted in the store, not in this kernel: a goal saved on another server sharing the
        database (or in a notebook) must not leave this page showing the gap to the old one."""
        key = (
            ctx.period,
            ctx.scope,
            ctx.scope_id,
            ctx.decisions_revision(registry.GOAL, registry.TRAINING),
        )
        if key not in self._cached:
            if len(self._cached) >= VIEWS_KEPT:  # the oldest view goes first
                self._cached.pop(next(iter(self._cached)))
            self._cached[key] = svc.overview(
                ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id
            )
        return self._cached[key]

    def _draw_findings(self, ctx: Context) -> None:
        _ = self._
        from salescoach.services import diagnosis as svc  # on first draw: a fast first view

        view = self._overview(ctx, svc)
        frame = view["findings"]
        self._draw_waterfall(ctx, view["waterfall"])
        self.findings_notice.clear()
        state = frame.attrs.get("state", "closed")
        if state != "closed":
            self.findings_notice.info(self._period_note(ctx, state, frame.attrs.get("pace")))
        checks = frame.attrs.get("checks")
        if checks is not None and len(checks):
            self.checks.show(
                pd.DataFrame(
                    {_("Check"): [label(c) for c in checks["cause"]], _("Result"): checks["detail"]}
                )
            )
        lang = ctx.settings.language
        if len(frame):
            frame = svc.readable(frame, ctx.fmt, lang, names=self._names(ctx))
        ran_all = checks is None or not checks["status"].isin(("not_assessed", "too_few")).any()
        empty = (
            _("No material problem found for this scope and period.")
            if ran_all
            else _(
                "No material problem found by the checks that ran; see above what could not be assessed."
            )
        )
        self.findings.show(frame, empty=empty)

    @staticmethod
    def _names(ctx: Context) -> dict:
        """Reps' and products' names by id, so a finding says where by name."""
        names = {"rep": ctx.reps.set_index("rep_id")["name"].astype(str).to_dict()}
        products = ctx.tables.get("products")
        if products is not None and "name" in products:
            names["product"] = (
                products.set_index("product_id")["name"].dropna().astype(str).to_dict()
            )
        return names

    def _period_note(self, ctx: Context, state: str, pace) -> str:
        _ = self._
        if pace is None or not len(pace):
            return _("The period is not over: no rep is judged before it ends.")
        company = pace[pace["scope"] == "company"].iloc[0]
        return _(
            "The period is not over: {actual} so far against {expected} expected by now ({target} for the period); open pipeline due in it {pipeline}. No rep is judged before it ends.",
            actual=ctx.fmt.money(company["actual"]),
            expected=ctx.fmt.money(company["expected"]),
            target=ctx.fmt.money(company["target"]),
            pipeline=ctx.fmt.money(company["pipeline"]),
        )

    def _draw_waterfall(self, ctx: Context, waterfall: pd.DataFrame) -> None:
        from salescoach.domain import charts

        if waterfall is None or waterfall.empty or waterfall["scope_id"].nunique() != 1:
            self.waterfall.value = ""
            return
        unit = waterfall["scope_id"].iloc[0]
        # The scope's name as the picker shows it (a rep by name, never a bare id).
        shown = ctx.scope_label() if str(unit) == str(ctx.scope_id) else label(unit)
        title = self._("Goal gap of {unit}, by cause", unit=shown)
        fig = charts.gap_waterfall(waterfall, title, ctx.fmt, lang=ctx.settings.language)
        self.waterfall.value = f'<img alt="{html.escape(title)}" src="{charts.to_data_uri(fig)}">'

    def _show_rep(self, ctx: Context) -> None:
        _ = self._
        rep = self.rep.value
        if rep is None:
            self.step_now.value = ""
            self.log.show(None)
            return
        step = label(decisions.current_step(ctx, rep))
        self.step_now.value = _("Current step: {step}", step=step)
        self._show_own(ctx, rep)
        events = ctx.store().history("coaching", key_prefix=f"{rep}|")
        rows = [
            {
                _("When"): ctx.fmt.date(e.at),
                _("Who"): e.who,
                _("Note"): e.data.get("note", ""),
                _("Actions"): separated(e.data.get("actions") or []),
                _("Follow-up"): ctx.fmt.date(e.data.get("follow_up")),
            }
            for e in reversed(events)
        ]
        self.log.show(pd.DataFrame(rows), empty=_("No coaching logged for this rep yet."))

    def _show_own(self, ctx: Context, rep: str) -> None:
        """The rep's own explanation: what touched their deals and orders, what remains."""
        _ = self._
        from salescoach.services import diagnosis as svc

        if not ctx.period_has_data():
            self.own.value = ""
            return
        # The explanation reads goals and training, and the coaching ladder and sessions for
        # its next step; any of them written here or on another server computes it again.
        key = (rep, ctx.period, ctx.decisions_revision(*EXPLANATION_READS))
        if key not in self._own_cached:
            if len(self._own_cached) >= VIEWS_KEPT:  # each write makes a new key: keep a few
                self._own_cached.pop(next(iter(self._own_cached)))
            self._own_cached[key] = svc.rep_explanation(ctx.workbook, rep, period=ctx.period)
        own = self._own_cached[key]
        if own.get("status") == "not_assessed":
            self.own.value = html.escape(
                _("No goal for this rep in the period: the gap is not assessed.")
            )
            return
        items = "".join(
            f"<li>{html.escape(label(r.cause))}: {html.escape(ctx.fmt.money(r.amount))}"
            f" ({html.escape(ctx.fmt.pct(r.share))}). {html.escape(r.evidence)}</li>"
            for r in own["parts"].itertuples()
        )
        peers, left = own["peers"], own.get("peers_unexplained") or {}
        lines = [
            _(
                "Gap to goal {gap} ({attainment}; peers' median {median}).",
                gap=ctx.fmt.money(own["gap"]),
                attainment=ctx.fmt.pct(own["attainment"]),
                median=ctx.fmt.pct(peers["median"]),
            ),
            _("Explained by nobody: {amount}.", amount=ctx.fmt.money(own["unexplained"])),
        ]
        if left.get("median") is not None and own.get("unexplained_share") is not None:
            lines.append(
                _(
                    "Unexplained: {own} of the goal; peers in the same role: median {median} (quartiles {q1} to {q3}).",
                    own=ctx.fmt.pct(max(own["unexplained_share"], 0.0)),
                    median=ctx.fmt.pct(max(left["median"], 0.0)),
                    q1=ctx.fmt.pct(max(left["q1"], 0.0)),
                    q3=ctx.fmt.pct(max(left["q3"], 0.0)),
                )
            )
        lines += [
            _(
                "Next step on the coaching ladder: {step} ({reason})",
                step=label(own["next_step"].proposed),
                reason=own["next_step"].reason,
            ),
        ]
        self.own.value = f"<p>{html.escape(lines[0])}</p><ul>{items}</ul>" + "".join(
            f"<p>{html.escape(x)}</p>" for x in lines[1:]
        )

    def _save_coaching(self, values) -> str:
        ctx, rep = self.context, self._chosen_rep()
        decisions.log_coaching(
            ctx, rep, values["coach-note"], values["coach-actions"], values["follow-up"]
        )
        return self._("Saved: coaching session with {rep}.", rep=self.rep.label)

    def _save_step(self, values) -> str:
        ctx, rep = self.context, self._chosen_rep()
        decisions.move_on_ladder(ctx, rep, values["step"], values["step-reason"])
        return self._(
            "Saved: {rep} is now at {step}.", rep=self.rep.label, step=label(values["step"])
        )

    def _chosen_rep(self) -> str:
        if self.rep.value is None:
            from salescoach.errors import InputError

            raise InputError(self._("Choose a rep."))
        return self.rep.value
