"""The period and scope picker: picked once at the top of the app, every page follows."""

from __future__ import annotations

import ipywidgets as widgets

from salescoach.app.context import SCOPES, Context
from salescoach.domain.access import scope_kinds


class ScopePicker:
    """Period, scope kind (company / department / team / rep) and which one.

    Changing a dropdown updates the :class:`Context` once; the context's observers redraw.
    A change made to the context elsewhere (a test, another widget) moves the dropdowns too.
    """

    def __init__(self, context: Context):
        self.context = context
        _ = context._
        labels = {
            "company": _("Company"),
            "department": _("Department"),
            "team": _("Team"),
            "rep": _("Rep"),
        }
        # Someone the access file does not name still gets a picker; every page says why empty.
        kinds = scope_kinds(context.person) or ("rep",)
        self.period = widgets.Dropdown(
            # Each period marked for what it is: closed, current (no data yet), not started.
            options=[(context.period_title(p), p) for p in context.period_choices()],
            value=context.period,
            description=_("Period"),
            layout=widgets.Layout(width="340px"),
        )
        self.period.add_class("sc-period")
        self.scope = widgets.Dropdown(
            # Only the levels the person sees: a team lead's picker has no company or department.
            options=[(labels[s], s) for s in SCOPES if s in kinds],
            value=context.scope,
            description=_("Scope"),
            layout=widgets.Layout(width="220px"),
        )
        self.scope.add_class("sc-scope-kind")
        self.which = widgets.Dropdown(
            options=context.scope_choices(context.scope),
            value=context.scope_id,
            layout=widgets.Layout(width="320px"),
        )
        self.which.add_class("sc-scope-id")
        # Narrows the list above: case and accents aside, so `σοφια` finds `Σοφία`.
        self.find = widgets.Text(
            placeholder=_("Find by name"),
            continuous_update=True,
            layout=widgets.Layout(width="180px"),
        )
        self.find.add_class("sc-scope-find")
        self._syncing = False
        self.period.observe(self._on_period, names="value")
        self.scope.observe(self._on_scope, names="value")
        self.which.observe(self._on_which, names="value")
        self.find.observe(self._on_find, names="value")
        context.observe(self._on_context)
        self.widget = widgets.HBox([self.period, self.scope, self.which, self.find])
        self.widget.add_class("sc-picker")
        self._sync()

    def _on_period(self, change) -> None:
        if not self._syncing:
            self.context.update(period=change["new"])

    def _on_scope(self, change) -> None:
        if self._syncing:
            return
        choices = self.context.scope_choices(change["new"], self.find.value)
        if not choices:  # nothing of this kind matches the search: offer them all
            choices = self.context.scope_choices(change["new"])
        self._syncing = True
        try:
            self.which.options = choices
            self.which.value = choices[0][1] if choices else None
        finally:
            self._syncing = False
        self.context.update(scope=change["new"], scope_id=self.which.value)

    def _on_find(self, change) -> None:
        """Offer only what matches; the first match becomes the scope when the one shown is
        not among them. No match leaves the list as it is."""
        ctx = self.context
        choices = ctx.scope_choices(ctx.scope, change["new"])
        if not choices or ctx.scope == "company":
            return
        self._syncing = True
        try:
            self.which.options = choices
            values = [value for _label, value in choices]
            self.which.value = ctx.scope_id if ctx.scope_id in values else values[0]
        finally:
            self._syncing = False
        if self.which.value != ctx.scope_id:
            ctx.update(scope_id=self.which.value)

    def _on_which(self, change) -> None:
        if not self._syncing and change["new"] is not None:
            self.context.update(scope_id=change["new"])

    def _on_context(self, context: Context, changed: frozenset[str]) -> None:
        if changed & {"period", "scope", "scope_id"}:
            self._sync()

    def _sync(self) -> None:
        """Make the dropdowns show the context without echoing the change back."""
        ctx = self.context
        self._syncing = True
        try:
            if ctx.period not in [value for _label, value in self.period.options]:
                self.period.options = [
                    (ctx.period_title(ctx.period), ctx.period),
                    *self.period.options,
                ]
            if self.period.value != ctx.period:
                self.period.value = ctx.period
            if self.scope.value != ctx.scope:
                self.scope.value = ctx.scope
                self.which.options = ctx.scope_choices(ctx.scope)
            if ctx.scope_id not in [value for _label, value in self.which.options]:
                self.which.options = ctx.scope_choices(ctx.scope)  # moved outside the search
            if self.which.value != ctx.scope_id:
                self.which.value = ctx.scope_id
            self.which.disabled = ctx.scope == "company"
        finally:
            self._syncing = False
