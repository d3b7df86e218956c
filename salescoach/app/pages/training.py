"""Support and training: who has done which course, and assigning a course to a rep."""

from __future__ import annotations

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
    required_text,
)
from salescoach.app.page import Page
from salescoach.app.widgets import TableView, set_choices
from salescoach.domain import capabilities
from salescoach.i18n import N_, label


class TrainingPage(Page):
    key = "training"
    title = N_("Training")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        self.table = TableView(css_class="sc-training-table")
        self.rep = Field(
            "training-rep",
            widgets.Dropdown(description=_("Rep"), layout=widgets.Layout(width="420px")),
            chosen(_("a rep"), _),
        )
        self.course = Field(
            "course",
            widgets.Dropdown(description=_("Course"), layout=widgets.Layout(width="420px")),
            chosen(_("a course"), _),
        )
        self.due = Field(
            "due",
            # Typed as the locale writes dates (the browser's picker says mm/dd/yyyy).
            widgets.Text(
                description=_("Due by"),
                placeholder=date_example(self.context.fmt.locale),
                layout=widgets.Layout(width="300px"),
            ),
            date_not_in_past(
                _("A due date"), lambda: self.context.today, _, locale=self.context.fmt.locale
            ),
            live=True,
        )
        self.reason = Field(
            "training-reason",
            widgets.Textarea(description=_("Reason"), layout=widgets.Layout(width="520px")),
            required_text(_("A reason"), _),
        )
        self.form = Form(
            [self.rep, self.course, self.due, self.reason],
            action=self._save,
            label=_("Assign training"),
            title=_("Assign a course"),
            css_class="sc-training-form",
            clear_after=["training-reason"],
            _=_,
        )
        self.assigned = TableView(css_class="sc-training-assigned", max_rows=15)
        return [self.table.widget, self.form.widget, self.assigned.widget]

    def draw(self, ctx: Context) -> None:
        _ = self._
        courses = ctx.tables.get("courses")
        set_choices(self.rep.input, ctx.rep_choices())
        # Without completions on record, "0 of 12 reps trained" would be invented.
        gone = capabilities.of(ctx.tables).feature("training_status")
        if courses is None:
            self.course.input.options = []
        else:
            set_choices(
                self.course.input,
                [(f"{t} ({c})", c) for c, t in zip(courses["course_id"], courses["title"])],
            )
        if gone is not None:
            self.table.show(None, empty=gone.text(ctx.settings.language))
        else:
            self.table.show(self._completion(ctx, courses))
        members = set(ctx.members())
        rows = [
            {
                _("Rep"): e.data.get("rep_id"),
                _("Course"): e.data.get("course_id"),
                _("Due by"): ctx.fmt.date(e.data.get("due_on", e.data.get("due"))),
                _("Who"): e.who,
                _("Reason"): e.why or "",
            }
            for e in reversed(ctx.store().history("training_assignment"))
            if e.data.get("rep_id") in members
        ]
        self.assigned.show(pd.DataFrame(rows), empty=_("No course assigned in this scope yet."))

    def _completion(self, ctx: Context, courses: pd.DataFrame) -> pd.DataFrame:
        """Per course: how many reps of the scope completed it, and the latest completion."""
        _ = self._
        done = ctx.tables.get("training")
        members = ctx.members()
        if done is None:
            done = pd.DataFrame(columns=["rep_id", "course_id", "completed_date"])
        done = done[done["rep_id"].isin(members)]
        per = done.groupby("course_id").agg(
            reps=("rep_id", "nunique"), last=("completed_date", "max")
        )
        out = courses.set_index("course_id")[["title", "topic"]].join(per)
        return pd.DataFrame(
            {
                _("Course"): out["title"],
                _("Topic"): [label(t) for t in out["topic"]],
                _("Reps trained"): [
                    f"{ctx.fmt.number(0 if pd.isna(n) else n)} / {ctx.fmt.number(len(members))}"
                    for n in out["reps"]
                ],
                _("Last completed"): [ctx.fmt.date(d) for d in out["last"]],
            }
        )

    def _save(self, values) -> str:
        ctx = self.context
        decisions.assign_training(
            ctx, values["training-rep"], values["course"], values["due"], values["training-reason"]
        )
        return self._(
            "Saved: course {course} assigned to {rep}.",
            course=values["course"],
            rep=values["training-rep"],
        )
