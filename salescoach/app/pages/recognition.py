"""Recognition: who met or beat their goals, and approving an award."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.forms import Field, Form, chosen, non_negative_number, required_text
from salescoach.app.page import Page
from salescoach.app.widgets import Notice, TableView, set_choices
from salescoach.i18n import N_
from salescoach.recognition import award_label

# Suggestions for the award field, offered in the manager's language; the manager may type any.
AWARDS = (
    N_("cash bonus"),
    N_("extra leave"),
    N_("trip"),
    N_("bigger office"),
    N_("public recognition"),
)


class RecognitionPage(Page):
    key = "recognition"
    title = N_("Recognition")  # marked for the catalogue; Page.label translates it

    def build(self):
        _ = self._
        self.service_notice = Notice()
        self.table = TableView(css_class="sc-candidates")
        self.rep = Field(
            "award-rep",
            widgets.Dropdown(description=_("Rep"), layout=widgets.Layout(width="420px")),
            chosen(_("a rep"), _),
        )
        self.award = Field(
            "award",
            widgets.Combobox(options=[_(a) for a in AWARDS], description=_("Award")),
            required_text(_("The award"), _),
        )
        self.amount = Field(
            "amount",
            widgets.FloatText(description=_("Amount")),
            non_negative_number(_("An amount"), _),
        )
        self.reason = Field(
            "award-reason",
            widgets.Textarea(description=_("Reason"), layout=widgets.Layout(width="520px")),
            required_text(_("A reason"), _),
        )
        self.form = Form(
            [self.rep, self.award, self.amount, self.reason],
            action=self._save,
            label=_("Approve award"),
            title=_("Approve an award"),
            css_class="sc-award-form",
            clear_after=["award-reason"],
            _=_,
        )
        self.approved = TableView(css_class="sc-awards", max_rows=15)
        return [
            self.service_notice.widget,
            self.table.widget,
            self.form.widget,
            self.approved.widget,
        ]

    def draw(self, ctx: Context) -> None:
        _ = self._
        set_choices(self.rep.input, ctx.rep_choices(sellers=True))
        svc = decisions.service("recognition")
        candidates = getattr(svc, "candidates", None) if svc else None
        if candidates is None:
            self.service_notice.info(
                _("Award candidates appear here once the recognition service is installed.")
            )
            self.table.show(None)
        else:
            self.service_notice.clear()
            found = candidates(
                ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id
            )
            shown = getattr(svc, "candidates_shown", None)
            self.table.show(shown(found, ctx.fmt) if shown else found)
        members = set(ctx.members())
        rows = [
            {
                _("Rep"): e.data.get("rep_id"),
                _("Award"): award_label(e.data.get("award", ""), _),
                _("Amount"): ctx.fmt.money(e.data.get("amount")),
                _("Approved by"): e.who,
                _("Reason"): e.why or "",
            }
            for e in reversed(ctx.store().history("award"))
            if e.data.get("rep_id") in members
            and e.data.get("period") == str(ctx.period)
            and e.data.get("status", "approved") in ("approved", "communicated")
        ]
        self.approved.show(
            pd.DataFrame(rows), empty=_("No award approved in this scope and period.")
        )

    def _save(self, values) -> str:
        ctx = self.context
        saved = decisions.approve_award(
            ctx, values["award-rep"], values["award"], values["amount"], values["award-reason"]
        )
        told = self._("Saved: {award} for {rep}.", award=values["award"], rep=values["award-rep"])
        return told, saved.warnings
