"""The app's writes: each one a call into ``salescoach.services`` when the service offers it.

Where a service function does not exist (yet), the write goes straight to the store's
append-only path with the conventions below, so the decision is kept with who, when and why
and reads back from the CLI (`salescoach goals list`) and on reload:

| decision | kind | key | data |
|---|---|---|---|
| goal version | ``goal`` | ``attainment.goal_key(scope, id, period, metric)`` | target, reason |
| goal discussion | ``goal_ack`` | ``rep:<rep_id>|<period>`` | rep_id, period, discussed_on, manager, outcome, comment |
| training assignment | ``training_assignment`` | ``rep:<rep_id>|<course_id>`` | rep_id, course_id, due_on, reason |
| coaching session | ``coaching`` | ``rep_id|<UTC time>`` | period, note, actions, follow_up |
| coaching ladder step | ``coaching_step`` | ``rep_id`` | step, period |
| award | ``award`` | ``rep:<rep_id>|<period>`` | award, amount, reason |

Every function checks its input first and raises :class:`InputError` (one sentence, nothing
written) on a bad value; the forms show that sentence.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Sequence

from salescoach.attainment import GOAL_KIND
from salescoach.contract import METRICS
from salescoach.errors import InputError
from salescoach.i18n import _

# Steps of the coaching ladder when `salescoach.coaching` does not define them.
FALLBACK_LADDER = ("none", "coaching", "training plan", "improvement plan", "dismissal review")


def service(name: str):
    """``salescoach.services.<name>``, or None when that module does not exist yet."""
    try:
        return importlib.import_module(f"salescoach.services.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("salescoach"):
            return None
        raise


def _reason(why: str | None) -> str:
    text = (why or "").strip()
    if not text:
        raise InputError(_("A reason is required."))
    return text


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def set_goal(ctx, metric: str, target: float, reason: str, scope: str | None = None, scope_id=None):
    """A new version of the goal of the context's scope and period (or the given scope)."""
    if metric not in METRICS:
        raise InputError(
            _(
                "Unknown metric {metric}; use one of {values}.",
                metric=repr(metric),
                values=", ".join(METRICS),
            )
        )
    if target is None or not math.isfinite(float(target)) or float(target) < 0:
        raise InputError(_("A target cannot be negative."))
    reason = _reason(reason)
    scope = scope or ctx.scope
    scope_id = scope_id if scope_id is not None else ctx.scope_id
    from salescoach import goals

    # Same record as `salescoach goals set`: the app's form gives free text, so the driver is "other".
    key, data = goals.goal_record(scope, scope_id, ctx.period, metric, float(target), "other")
    event = ctx.store().append(GOAL_KIND, key, data, who=ctx.who, why=reason)
    ctx.decisions_changed()
    return event


def record_goal_discussion(ctx, rep_id: str, metric: str, note: str, acknowledged: bool):
    """What was said when a rep's goal was discussed: agreed (acknowledged) or disputed.

    Same record as `salescoach goals ack` (kind ``goal_ack``), so the CLI lists it.
    """
    from salescoach import goals

    note = (note or "").strip()
    if not note:
        raise InputError(_("A note of the discussion is required."))
    data = {
        "rep_id": rep_id,
        "period": str(ctx.period),
        "discussed_on": ctx.today.isoformat(),
        "manager": ctx.who,
        "outcome": "agreed" if acknowledged else "disputed",
        "comment": note,
        "metric": metric,
    }
    event = ctx.store().append(
        goals.ACK_KIND, goals.ack_key(rep_id, str(ctx.period)), data, who=ctx.who, why=note
    )
    ctx.decisions_changed()
    return event


def assign_training(ctx, rep_id: str, course_id: str, due: dt.date, reason: str):
    """Same record as `salescoach training assign` (kind ``training_assignment``)."""
    from salescoach.services import training

    reason = _reason(reason)
    if due is None:
        raise InputError(_("A due date is required."))
    event = training.assign(
        ctx.workbook, rep_id, course_id, due, reason, ctx.who, today=ctx.today, store=ctx.store()
    )
    ctx.decisions_changed()
    return event


def log_coaching(ctx, rep_id: str, note: str, actions: Sequence[str], follow_up: dt.date | None):
    note = (note or "").strip()
    if not note:
        raise InputError(_("A coaching note is required."))
    if follow_up is not None and follow_up < ctx.today:
        raise InputError(_("A follow-up date cannot be in the past."))
    event = ctx.store().append(
        "coaching",
        f"{rep_id}|{_now()}",
        {
            "rep_id": rep_id,
            "period": ctx.period,
            "note": note,
            "actions": list(actions),
            "follow_up": follow_up,
        },
        who=ctx.who,
        why=note,
    )
    ctx.decisions_changed()
    return event


def ladder_steps() -> tuple[str, ...]:
    try:
        from salescoach import coaching  # noqa: PLC0415 - written by another engineer
    except ImportError:
        return FALLBACK_LADDER
    steps = getattr(coaching, "LADDER", None) or getattr(coaching, "STEPS", None)
    if not steps:
        return FALLBACK_LADDER
    return tuple(getattr(s, "key", getattr(s, "name", s)) for s in steps)


def current_step(ctx, rep_id: str) -> str:
    events = ctx.store().history("coaching_step", rep_id)
    return events[-1].data.get("step", ladder_steps()[0]) if events else ladder_steps()[0]


def move_on_ladder(ctx, rep_id: str, step: str, reason: str):
    """Through the coaching service, so the app keeps its rules (a dismissal review only after
    recorded training and coaching) exactly as the CLI does."""
    from salescoach.services import coaching

    reason = _reason(reason)
    if step not in ladder_steps():
        raise InputError(_("Unknown coaching step {step}.", step=repr(step)))
    event = coaching.record_step(ctx.workbook, rep_id, step, reason, ctx.who, period=ctx.period)
    ctx.decisions_changed()
    return event


def approve_award(ctx, rep_id: str, award: str, amount: float, reason: str):
    reason = _reason(reason)
    award = (award or "").strip()
    if not award:
        raise InputError(_("Name the award."))
    if amount is None or float(amount) < 0:
        raise InputError(_("An award amount cannot be negative."))
    from salescoach.recognition import AWARD_KIND, award_key

    # Same record as `salescoach awards approve`: an award the manager grants by hand.
    data = {
        "rep_id": rep_id,
        "period": str(ctx.period),
        "rule": "manual",
        "reward": "manual",
        "award": award,
        "amount": float(amount),
        "status": "approved",
        "sentence": reason,
    }
    event = ctx.store().append(
        AWARD_KIND,
        award_key(period=str(ctx.period), rule="manual", rep_id=rep_id),
        data,
        who=ctx.who,
        why=reason,
    )
    ctx.decisions_changed()
    return event
