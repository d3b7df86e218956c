"""Recognition: who met or beat their goals, and approving an award."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from salescoach.app import decisions
from salescoach.app.context import Context
from salescoach.app.forms import Field, Form, chosen, non_negative_amount, required_text
from salescoach.app.page import Page
from salescoach.app.widgets import Notice, TableView, set_choices
from salescoach.domain.recognition import award_label
from salescoach.i18n import N_

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
            widgets.Text(description=_("Amount"), placeholder=self.context.fmt.currency),
            non_negative_amount(_("An amount"), self.context.fmt.locale, _),
            live=True,
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
        # Proposed awards, each with its own Approve button: decided where they are listed.
        self.proposals = widgets.VBox()
        self.proposals.add_class("sc-proposals")
        self.proposals_status = Notice(css_class="sc-proposals-status")
        return [
            self.service_notice.widget,
            self.table.widget,
            self.proposals,
            self.proposals_status.widget,
            self.form.widget,
            self.approved.widget,
        ]

    def draw(self, ctx: Context) -> None:
        _ = self._
        set_choices(self.rep.input, ctx.rep_choices(sellers=True))
        from salescoach.services import recognition as svc  # on first draw: a fast first view

        self.service_notice.clear()
        found = svc.candidates(
            ctx.workbook, period=ctx.period, scope=ctx.scope, scope_id=ctx.scope_id
        )
        self.table.show(svc.candidates_shown(found, ctx.fmt))
        self._draw_proposals(ctx)
        members = set(ctx.members())
        names = ctx.reps.set_index("rep_id")["name"].astype(str)
        rows = [
            {
                _("Rep"): names.get(e.data.get("rep_id"), e.data.get("rep_id")),
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

    def _draw_proposals(self, ctx: Context) -> None:
        _ = self._
        try:
            waiting = decisions.proposed_awards(ctx)
        except Exception:  # noqa: BLE001 - no proposal run or not allowed: nothing to approve
            self.proposals.children = ()
            return
        if waiting.empty:
            self.proposals.children = ()
            return
        names = ctx.reps.set_index("rep_id")["name"].astype(str)
        heading = html.escape(_("Proposed awards"))
        rows: list[widgets.Widget] = [widgets.HTML(f"<div class='sc-section'>{heading}</div>")]
        may = ctx.refusal("award.write") is None
        for p in waiting.itertuples():
            name = names.get(p.rep_id, p.rep_id)
            text = widgets.HTML(
                html.escape(f"{name}: {award_label(getattr(p, 'award', p.rule) or p.rule, _)}")
            )
            button = widgets.Button(
                description=_("Approve"),
                button_style="success",
                layout=widgets.Layout(width="auto"),
            )
            button.add_class("sc-proposal-approve")
            button.disabled = not may
            button.on_click(
                lambda _b, key=p.key, rep=p.rep_id, who=name: self.approve(key, rep, who)
            )
            rows.append(widgets.HBox([button, text]))
        self.proposals.children = rows

    def approve(self, key: str, rep_id: str, name: str) -> None:
        """Approve one proposed award where it is listed (the same service as the CLI)."""
        _, ctx = self._, self.context
        from salescoach.errors import InputError

        with ctx.held():
            try:
                decisions.approve_proposed(
                    ctx, key, rep_id, _("Approved in the app by {who}", who=ctx.who)
                )
            except InputError as exc:
                self.proposals_status.error(_("Nothing saved: {why}", why=str(exc)))
                return
            self.proposals_status.ok(_("Saved: award approved for {rep}.", rep=name))

    def _save(self, values) -> str:
        ctx = self.context
        saved = decisions.approve_award(
            ctx, values["award-rep"], values["award"], values["amount"], values["award-reason"]
        )
        # The rep by name and the amount as stored, with its currency.
        told = self._(
            "Saved: {award} of {amount} for {rep}.",
            award=values["award"],
            amount=ctx.fmt.money(values["amount"]),
            rep=self.rep.input.label or values["award-rep"],
        )
        return told, saved.warnings
