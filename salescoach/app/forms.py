"""Forms that save a decision: every field checked first, the message next to the field.

A :class:`Form` reads each :class:`Field` through its parser; a parser raises
:class:`~salescoach.errors.InputError` with one sentence for bad input (a negative target, an
empty reason, a follow-up date in the past). When any field is wrong, every wrong field shows
its message and *nothing is saved*. The action (a service call that appends to the store) may
still refuse with an InputError; that message shows under the form, and again nothing is saved.

Example::

    target = Field("target", widgets.FloatText(), non_negative_number(_("A target")))
    reason = Field("reason", widgets.Textarea(), required_text(_("A reason")))
    form = Form([target, reason], action=lambda v: save(v["target"], v["reason"]), label="Save")
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from salescoach.errors import InputError
from salescoach.i18n import _ as _active_language

Parser = Callable[[Any], Any]


# -- parsers: value of a widget -> value to save, or InputError with one sentence


def required_text(what: str, _=_active_language) -> Parser:
    def parse(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            raise InputError(_("{what} is required.", what=what))
        return text

    return parse


def optional_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def non_negative_number(what: str, _=_active_language) -> Parser:
    def parse(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(_("{what} must be a number.", what=what)) from None
        if math.isnan(number) or math.isinf(number):
            raise InputError(_("{what} must be a number.", what=what))
        if number < 0:
            raise InputError(_("{what} cannot be negative.", what=what))
        return number

    return parse


def date_not_in_past(
    what: str, today: Callable[[], dt.date], _=_active_language, required: bool = True
) -> Parser:
    def parse(value: Any) -> dt.date | None:
        if value in (None, ""):
            if required:
                raise InputError(_("{what} is required.", what=what))
            return None
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        if isinstance(day, dt.datetime):
            day = day.date()
        if day < today():
            raise InputError(_("{what} cannot be in the past.", what=what))
        return day

    return parse


def chosen(what: str, _=_active_language) -> Parser:
    def parse(value: Any) -> Any:
        if value in (None, ""):
            raise InputError(_("Choose {what}.", what=what))
        return value

    return parse


def lines(value: Any) -> list[str]:
    """A textarea's non-empty lines (one action per line)."""
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


# -- fields and forms


class Field:
    """A widget, its parser, and the place next to it where its message shows."""

    def __init__(self, name: str, widget: widgets.Widget, parse: Parser = optional_text):
        self.name = name
        self.input = widget
        self.input.add_class(f"sc-field-{name}")
        self.parse = parse
        self.message = widgets.HTML()
        self.message.add_class("sc-field-error")
        self.message.add_class(f"sc-error-{name}")
        self.widget = widgets.HBox([self.input, self.message])
        self.error = ""

    def read(self) -> Any:
        """The parsed value; shows the message next to the field and re-raises on bad input."""
        try:
            value = self.parse(self.input.value)
        except InputError as exc:
            self.show_error(str(exc))
            raise
        self.show_error("")
        return value

    def show_error(self, text: str) -> None:
        self.error = text
        self.message.value = html.escape(text)

    def reset(self) -> None:
        if isinstance(self.input, (widgets.Text, widgets.Textarea)):
            self.input.value = ""
        self.show_error("")


class Form:
    """Fields, a button and a status line; ``submit()`` saves only when every field is good.

    ``action(values)`` does the write and returns the sentence to show on success, or
    (sentence, warnings) when the service accepted the write with warnings to show.
    ``clear_after`` names the fields emptied after a save (reasons and notes, not targets).
    """

    def __init__(
        self,
        fields: Sequence[Field],
        action: Callable[[dict[str, Any]], str],
        label: str,
        title: str = "",
        css_class: str = "sc-form",
        clear_after: Sequence[str] = (),
        _=_active_language,
    ):
        self.fields = {f.name: f for f in fields}
        self.action = action
        self._ = _
        self.button = widgets.Button(description=label, button_style="primary")
        self.button.add_class(f"{css_class}-save")
        self.button.on_click(lambda _button: self.submit())
        self.status = widgets.HTML()
        self.status.add_class(f"{css_class}-status")
        self.clear_after = tuple(clear_after)
        parts: list[widgets.Widget] = []
        if title:
            parts.append(widgets.HTML(f"<div class='sc-section'>{html.escape(title)}</div>"))
        parts += [f.widget for f in fields] + [widgets.HBox([self.button, self.status])]
        self.widget = widgets.VBox(parts)
        self.widget.add_class(css_class)
        self.saved = 0
        self.last_error = ""

    def values(self) -> dict[str, Any] | None:
        """Every field parsed, or None when any is wrong (each wrong field shows why)."""
        values, bad = {}, False
        for name, field in self.fields.items():
            try:
                values[name] = field.read()
            except InputError:
                bad = True
        return None if bad else values

    def submit(self) -> bool:
        """Check, then save; True when the action ran and succeeded."""
        values = self.values()
        if values is None:
            self._status("error", self._("Nothing saved: correct the fields marked in red."))
            return False
        try:
            result = self.action(values)
        except InputError as exc:
            self._status("error", self._("Nothing saved: {why}", why=str(exc)))
            return False
        message, warnings = (result, ()) if isinstance(result, str) else result
        for name in self.clear_after:
            self.fields[name].reset()
        self.saved += 1
        shown = [self._("Warning: {text}", text=w) for w in warnings]
        self._status("warn" if warnings else "ok", " ".join([message, *shown]))
        return True

    def _status(self, level: str, text: str) -> None:
        self.last_error = text if level == "error" else ""
        self.status.value = f"<span class='sc-{level}'>{html.escape(text)}</span>"

    @property
    def status_text(self) -> str:
        return html.unescape(self.status.value.split(">", 1)[-1].rsplit("<", 1)[0])
