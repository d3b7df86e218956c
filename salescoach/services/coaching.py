"""Coaching decisions in a workbook's store: ladder steps, sessions, actions done, overdue.

Kinds, keys and checks are the registry's (`salescoach.domain.decisions`): a ladder step is kind
`coaching_step` keyed by the rep id, a session kind `coaching` keyed `rep_id|<UTC time>`, an
action done kind `coaching_action_done` keyed `<session key>#<n>`. The CLI, the app and
notebooks write through these functions only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salescoach.domain import coaching, decisions
from salescoach.domain.fmt import Formatter
from salescoach.errors import InputError
from salescoach.i18n import _
from salescoach.services import access as guard, period_of, staff_and_now, using_store, writing


def _rep(wb, rep_id: str, period=None, tables=None) -> str:
    """The rep, known and (for a period) on staff during it; support staff can be coached."""
    reps, _now = staff_and_now(wb, tables)
    p = period_of(wb, period) if period else None
    decisions.check_rep(reps, rep_id, p, fmt=Formatter.for_settings(wb.settings))
    return rep_id


def steps(wb) -> pd.DataFrame:
    """Every recorded ladder step, oldest first (rep_id, step, at, who, why, ...)."""
    person = guard.require_role(wb, "coaching_step.read")
    frame = using_store(wb, lambda store: store.frame(coaching.STEP_KIND))
    if frame.empty:
        return pd.DataFrame(columns=["rep_id", "step", "at", "who", "why"])
    if "rep_id" not in frame:
        frame["rep_id"] = frame["key"]
    return guard.visible(wb, person, frame)


def sessions(wb, rep_id: str | None = None) -> pd.DataFrame:
    person = guard.require_role(wb, "coaching_notes.read")
    if rep_id is not None:
        guard.require(wb, person, "coaching_notes.read", guard.Subject.rep(rep_id))
    frame = using_store(wb, lambda store: store.frame(coaching.SESSION_KIND))
    if rep_id is not None and len(frame):
        frame = frame[frame["rep_id"] == rep_id]
    return guard.visible(wb, person, frame)


def record_step(
    wb,
    rep_id,
    step,
    reason,
    who,
    period=None,
    evidence="",
    outcome="",
    follow_up=None,
    today=None,
    store=None,
    tables=None,
):
    """A manager's decision to move a rep on the ladder; InputError and nothing written on a bad value."""
    reason = decisions.check_reason(reason)
    if step not in coaching.LADDER:
        raise InputError(
            _(
                "Unknown coaching step {step}; use one of {values}.",
                step=repr(step),
                values=", ".join(coaching.LADDER),
            )
        )
    guard.require_who(
        wb,
        who,
        "dismissal.write" if step == "dismissal_review" else "coaching_step.write",
        guard.Subject.rep(rep_id),
    )
    _rep(wb, rep_id, period, tables)
    if step == "dismissal_review":
        done = coaching.reached(steps(wb), rep_id)
        coached = "coaching_plan" in done or len(sessions(wb, rep_id)) > 0
        if not ("training_assigned" in done and coached):
            raise InputError(_("A dismissal review needs training and coaching recorded first."))
    data = {
        "rep_id": rep_id,
        "step": step,
        "period": str(period_of(wb, period)) if period else None,
        "evidence": evidence or "",
        "outcome": outcome or "",
        "follow_up": _follow_up(follow_up, today),
    }
    key = decisions.step_key(rep_id)
    return writing(
        wb, store, lambda s: s.append(coaching.STEP_KIND, key, data, who=who, why=reason)
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


def _follow_up(value, today=None):
    day = _date(value, "follow-up date")
    if day is not None and dt.date.fromisoformat(day) < (today or dt.date.today()):
        raise InputError(_("A follow-up date cannot be in the past."))
    return day


def record_session(
    wb,
    rep_id,
    notes,
    actions,
    who,
    period=None,
    follow_up=None,
    today=None,
    store=None,
    tables=None,
):
    """A coaching session: notes and agreed actions, each `text@YYYY-MM-DD`."""
    notes = decisions.check_reason(notes, _("{what} is required.", what=_("Notes of the session")))
    guard.require_who(wb, who, "coaching_session.write", guard.Subject.rep(rep_id))
    _rep(wb, rep_id, period, tables)
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
        "period": str(period_of(wb, period)) if period else None,
        "note": notes,
        "actions": clean,
        "follow_up": _follow_up(follow_up, today),
    }
    key = decisions.session_key(rep_id)
    return writing(
        wb, store, lambda s: s.append(coaching.SESSION_KIND, key, data, who=who, why=notes)
    )


def action_done(wb, action_id, who, reason="done", store=None):
    """Mark an agreed action (`<session key>#<n>`) done."""
    key, _sep, number = str(action_id).rpartition("#")
    guard.require_who(wb, who, "coaching_session.write", guard.Subject.rep(key.split("|")[0]))
    known = key and writing(wb, store, lambda s: s.history(coaching.SESSION_KIND, key=key))
    if not known or not number.isdigit():
        raise InputError(
            _("Unknown action {action_id}; see `salescoach coach list`.", action_id=repr(action_id))
        )
    data = {"rep_id": key.split("|")[0], "done_on": dt.date.today().isoformat()}
    done_key = decisions.action_key(key, int(number))
    return writing(
        wb,
        store,
        lambda s: s.append(coaching.ACTION_DONE_KIND, done_key, data, who=who, why=reason),
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
