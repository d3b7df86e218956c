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

import contextlib
import datetime as dt
import html
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import babel.dates
import babel.numbers
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


def locale_number(text: Any, locale: str) -> float:
    """A number as typed in the locale (`1.234,56` in el_GR, `1,234.56` in en_IE), finite.

    Raises ValueError for anything else: text that is not a number, `1e400` (infinite),
    `NaN`. A number already (from a number widget or a test) passes through, checked alike.
    """
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, (int, float, Decimal)):
        number = float(text)
    else:
        cleaned = str(text or "").strip().replace("\u00a0", "").replace("\u202f", "")
        if not cleaned:
            raise ValueError(text)
        try:
            number = float(babel.numbers.parse_decimal(cleaned, locale=locale, strict=True))
        except (babel.numbers.NumberFormatError, ArithmeticError) as exc:
            raise ValueError(text) from exc
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def non_negative_amount(what: str, locale: str, _=_active_language) -> Parser:
    """A text field's number in the workbook's locale: finite, not negative."""

    def parse(value: Any) -> float:
        try:
            number = locale_number(value, locale)
        except ValueError:
            example = babel.numbers.format_decimal(1234.56, locale=locale)
            raise InputError(
                _("{what} must be a number, such as {example}.", what=what, example=example)
            ) from None
        if number < 0:
            raise InputError(_("{what} cannot be negative.", what=what))
        return number

    return parse


def locale_date(text: Any, locale: str) -> dt.date:
    """A date as the locale writes it (`15/1/2027` in el_GR, `15/01/2027` in en_IE), or ISO.

    Raises ValueError for anything else."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    cleaned = str(text or "").strip()
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        day = babel.dates.parse_date(cleaned, locale=locale, format="short")
    except Exception as exc:  # noqa: BLE001 - babel's ParseError, IndexError, ValueError
        raise ValueError(text) from exc
    if day.year < 100:  # a two-digit year (`15/1/27`) means this century
        day = day.replace(year=2000 + day.year)
    return day


def date_example(locale: str) -> str:
    """How the locale writes a date, for a placeholder (`15/1/27` in el_GR)."""
    return babel.dates.format_date(dt.date(2027, 1, 15), "short", locale=locale)


def date_not_in_past(
    what: str,
    today: Callable[[], dt.date],
    _=_active_language,
    required: bool = True,
    locale: str = "en_IE",
) -> Parser:
    def parse(value: Any) -> dt.date | None:
        if value is None or not str(value).strip():
            if required:
                raise InputError(_("{what} is required.", what=what))
            return None
        try:
            day = locale_date(value, locale)
        except ValueError:
            example = date_example(locale)
            raise InputError(
                _("{what} must be a date, such as {example}.", what=what, example=example)
            ) from None
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

    def __init__(
        self,
        name: str,
        widget: widgets.Widget,
        parse: Parser = optional_text,
        live: bool = False,
    ):
        """`live`: checked as it is typed; a wrong value disables the form's button."""
        self.name = name
        self.live = live
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

    def check(self) -> bool:
        """Parse without raising: True when the value is good (its message cleared)."""
        try:
            self.read()
        except InputError:
            return False
        return True

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
        # What holds the pages' redraw until the status line says what was saved (a page sets
        # it to its context's `held`); by default nothing is held.
        self.hold: Callable[[], Any] = contextlib.nullcontext
        self._resetting = False
        for field in fields:
            if field.live:
                field.input.observe(lambda _change, f=field: self._on_live(f), names="value")

    def _on_live(self, field: Field) -> None:
        if self._resetting:
            return
        field.check()
        self.button.disabled = any(f.error for f in self.fields.values() if f.live)

    def clear(self) -> None:
        """Forget the last status and field messages (the scope or period changed)."""
        self._status("", "")
        for field in self.fields.values():
            field.show_error("")
        self.button.disabled = False

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
        # The pages redraw after the status line says what happened, not before.
        with self.hold():
            self._status("info", self._("Saving…"))
            try:
                result = self.action(values)
            except InputError as exc:
                self._status("error", self._("Nothing saved: {why}", why=str(exc)))
                return False
            message, warnings = (result, ()) if isinstance(result, str) else result
            self._resetting = True
            try:
                for name in self.clear_after:
                    self.fields[name].reset()
            finally:
                self._resetting = False
            self.saved += 1
            shown = [self._("Warning: {text}", text=w) for w in warnings]
            self._status("warn" if warnings else "ok", " ".join([message, *shown]))
        return True

    def _status(self, level: str, text: str) -> None:
        self.last_error = text if level == "error" else ""
        self.status.value = f"<span class='sc-{level}'>{html.escape(text)}</span>" if text else ""

    @property
    def status_text(self) -> str:
        return html.unescape(self.status.value.split(">", 1)[-1].rsplit("<", 1)[0])
