"""Coaching decisions in a workbook's store: ladder steps, sessions, actions done, overdue.

Store conventions (shared with `salescoach/app/decisions.py`):

| decision | kind | key | data |
|---|---|---|---|
| ladder step | `coaching_step` | `rep_id` | rep_id, step, period, evidence, outcome, follow_up |
| session | `coaching` | `rep_id|<UTC time>` | rep_id, period, note, actions ("text@YYYY-MM-DD"), follow_up |
| action done | `coaching_action_done` | `<session key>#<n>` | rep_id, done_on |
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salescoach import coaching
from salescoach.errors import InputError
from salescoach.i18n import _
from salescoach.services import using_store


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(_("{what} is required.", what=what))
    return text


def _rep(wb, rep_id: str) -> str:
    reps = wb.facts().get("reps")
    if reps is not None and rep_id not in set(reps["rep_id"]):
        raise InputError(_("Unknown rep {rep_id}.", rep_id=repr(rep_id)))
    return rep_id


def steps(wb) -> pd.DataFrame:
    """Every recorded ladder step, oldest first (rep_id, step, at, who, why, ...)."""
    frame = using_store(wb, lambda store: store.frame(coaching.STEP_KIND))
    if frame.empty:
        return pd.DataFrame(columns=["rep_id", "step", "at", "who", "why"])
    if "rep_id" not in frame:
        frame["rep_id"] = frame["key"]
    return frame


def sessions(wb, rep_id: str | None = None) -> pd.DataFrame:
    frame = using_store(wb, lambda store: store.frame(coaching.SESSION_KIND))
    if rep_id is not None and len(frame):
        frame = frame[frame["rep_id"] == rep_id]
    return frame


def record_step(
    wb, rep_id, step, reason, who, period=None, evidence="", outcome="", follow_up=None
):
    """A manager's decision to move a rep on the ladder; InputError and nothing written on a bad value."""
    reason = _text(reason, "A reason")
    if step not in coaching.LADDER:
        raise InputError(
            _(
                "Unknown coaching step {step}; use one of {values}.",
                step=repr(step),
                values=", ".join(coaching.LADDER),
            )
        )
    _rep(wb, rep_id)
    if step == "dismissal_review":
        done = coaching.reached(steps(wb), rep_id)
        coached = "coaching_plan" in done or len(sessions(wb, rep_id)) > 0
        if not ("training_assigned" in done and coached):
            raise InputError(_("A dismissal review needs training and coaching recorded first."))
    data = {
        "rep_id": rep_id,
        "step": step,
        "period": str(period) if period else None,
        "evidence": evidence or "",
        "outcome": outcome or "",
        "follow_up": _date(follow_up, "follow-up date"),
    }
    return using_store(
        wb, lambda store: store.append(coaching.STEP_KIND, rep_id, data, who=who, why=reason)
    )


def _date(value, what: str):
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(value).date().isoformat()
    except (ValueError, TypeError) as exc:
        raise InputError(
            _("The {what} {value} is not a date (YYYY-MM-DD).", what=what, value=repr(value))
        ) from exc


def record_session(wb, rep_id, notes, actions, who, period=None, follow_up=None):
    """A coaching session: notes and agreed actions, each `text@YYYY-MM-DD`."""
    notes = _text(notes, "Notes of the session")
    _rep(wb, rep_id)
    clean = []
    for a in actions or ():
        try:
            text, due = coaching.parse_action(a)
        except ValueError as exc:
            raise InputError(
                _("An action is written text@YYYY-MM-DD, got {a}.", a=repr(a))
            ) from exc
        clean.append(f"{text}@{due.date().isoformat()}")
    data = {
        "rep_id": rep_id,
        "period": str(period) if period else None,
        "note": notes,
        "actions": clean,
        "follow_up": _date(follow_up, "follow-up date"),
    }
    return using_store(
        wb,
        lambda store: store.append(
            coaching.SESSION_KIND, f"{rep_id}|{_now()}", data, who=who, why=notes
        ),
    )


def action_done(wb, action_id, who, reason="done"):
    """Mark an agreed action (`<session key>#<n>`) done."""
    key, _sep, _n = str(action_id).rpartition("#")
    if not key or not using_store(wb, lambda store: store.history(coaching.SESSION_KIND, key=key)):
        raise InputError(
            _("Unknown action {action_id}; see `salescoach coach list`.", action_id=repr(action_id))
        )
    data = {"rep_id": key.split("|")[0], "done_on": dt.date.today().isoformat()}
    return using_store(
        wb,
        lambda store: store.append(coaching.ACTION_DONE_KIND, action_id, data, who=who, why=reason),
    )


def overdue(wb, today=None) -> pd.DataFrame:
    """Agreed actions past due and not done."""
    done = {e.key for e in using_store(wb, lambda store: store.history(coaching.ACTION_DONE_KIND))}
    return coaching.overdue_actions(sessions(wb), done, pd.Timestamp(today or dt.date.today()))


def actions_due(
    wb, scope: str = "rep", scope_id: str | None = None, period=None, today=None
) -> pd.DataFrame | str:
    """A rep's open coaching actions (agreed, not done), soonest first, for the review pack;
    with the rep's current step on the coaching ladder."""
    from salescoach.i18n import label, translator

    _ = translator(wb.settings.language)
    if scope != "rep" or not scope_id:
        raise InputError(_("coaching actions are per rep"))
    now = pd.Timestamp(today or dt.date.today())
    done = {e.key for e in using_store(wb, lambda store: store.history(coaching.ACTION_DONE_KIND))}
    mine = sessions(wb, scope_id)
    rows = []
    for _i, s in mine.iterrows():
        for n, a in enumerate(s.get("actions") if isinstance(s.get("actions"), list) else []):
            try:
                text, due = coaching.parse_action(a)
            except ValueError:
                continue
            if f"{s['key']}#{n + 1}" not in done:
                rows.append(
                    {
                        _("Action"): text,
                        _("Due"): due.date().isoformat(),
                        _("Overdue"): _("yes") if due < now else "",
                    }
                )
    all_steps = steps(wb)
    step = None
    if len(all_steps) and "rep_id" in all_steps:
        own = all_steps[all_steps["rep_id"] == scope_id]
        step = own["step"].iloc[-1] if len(own) else None
    if not rows:
        return _(
            "No open coaching actions. Coaching ladder: {step}.",
            step=label(step or "none", wb.settings.language),
        )
    frame = pd.DataFrame(rows).sort_values(_("Due")).reset_index(drop=True)
    frame.attrs["step"] = step
    return frame
