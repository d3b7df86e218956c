"""The app's writes: each one a call into the service that the CLI and notebooks call too.

Kinds, keys, fields and checks are the registry's (:mod:`salescoach.domain.decisions`); the service
of each kind applies them, so a goal for a closed period, for a rep who left or for support
staff is refused here with the same sentence as in `salescoach goals set`. These functions
only add what the app knows: the period and scope picked, who is at the keyboard, today, the
open store and the facts already read. Each raises :class:`InputError` (one sentence, nothing
written) on a bad value; the forms show that sentence. A write the service accepts with a
warning (an award for a period not started) returns the warning for the form to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from salescoach.domain import coaching as ladder, decisions as registry
from salescoach.domain.access import Subject
from salescoach.services import Saved


def _done(ctx, result, kind: str | None = None):
    ctx.decisions_changed(kind)
    return result


def period_state(ctx) -> str:
    """closed, current or not_started: the context's period against the data's newest date,
    judged as the services judge it (`salescoach.domain.periods.period_state`)."""
    return ctx.period_state()


def set_goal(
    ctx,
    metric: str,
    target: float,
    reason: str,
    scope: str | None = None,
    scope_id=None,
    override: bool = False,
    because: str = "other",
):
    """A new version of the goal of the context's scope and period (or the given scope).

    A closed period needs `override` (the app's override box, the CLI's --force); the version
    then records ``override: true``."""
    from salescoach.services import goals

    ctx.require(
        "goal.write",
        Subject(scope or ctx.scope, scope_id if scope_id is not None else ctx.scope_id),
    )
    event = goals.set_goal(
        ctx.workbook,
        scope or ctx.scope,
        scope_id if scope_id is not None else ctx.scope_id,
        ctx.period,
        target,
        reason,
        ctx.who,
        because=because,
        metric=metric,
        force=override,
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, event, registry.GOAL)


def record_goal_discussion(ctx, rep_id: str, note: str, acknowledged: bool):
    """What was said when a rep's goal was discussed: agreed (acknowledged) or disputed.

    Same service as `salescoach goals ack`: a seller on staff during the period."""
    from salescoach.services import goals

    ctx.require("ack.write", Subject.rep(rep_id))
    event = goals.acknowledge(
        ctx.workbook,
        rep_id,
        ctx.period,
        "agreed" if acknowledged else "disputed",
        ctx.who,
        comment=note,
        discussed_on=ctx.today.isoformat(),
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, event)


def assign_training(ctx, rep_id: str, course_id: str, due: dt.date, reason: str):
    """Same service as `salescoach training assign`."""
    from salescoach.services import training

    ctx.require("training.write", Subject.rep(rep_id))
    event = training.assign(
        ctx.workbook,
        rep_id,
        course_id,
        due,
        reason,
        ctx.who,
        today=ctx.today,
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, event, "training")


def log_coaching(ctx, rep_id: str, note: str, actions: Sequence[str], follow_up: dt.date | None):
    """Same service as `salescoach coach session`. An action typed without its due date
    (`text@YYYY-MM-DD`) is due on the follow-up date, so the overdue list can track it."""
    from salescoach.services import coaching

    ctx.require("coaching_session.write", Subject.rep(rep_id))
    due = f"@{follow_up.isoformat()}" if follow_up is not None else ""
    dated = [a if "@" in a or not due else f"{a}{due}" for a in actions]
    event = coaching.record_session(
        ctx.workbook,
        rep_id,
        note,
        dated,
        ctx.who,
        period=ctx.period,
        follow_up=follow_up,
        today=ctx.today,
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, event)


def ladder_steps() -> tuple[str, ...]:
    return ladder.LADDER


def current_step(ctx, rep_id: str) -> str:
    ctx.require("coaching_step.read", Subject.rep(rep_id))
    events = ctx.store().history(registry.STEP, registry.step_key(rep_id))
    return events[-1].data.get("step", ladder.LADDER[0]) if events else ladder.LADDER[0]


def move_on_ladder(ctx, rep_id: str, step: str, reason: str):
    """Same service as `salescoach coach step` (a dismissal review only after recorded training
    and coaching)."""
    from salescoach.services import coaching

    ctx.require(
        "dismissal.write" if step == ladder.LADDER[-1] else "coaching_step.write",
        Subject.rep(rep_id),
    )
    event = coaching.record_step(
        ctx.workbook,
        rep_id,
        step,
        reason,
        ctx.who,
        period=ctx.period,
        today=ctx.today,
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, event)


def approve_award(ctx, rep_id: str, award: str, amount: float, reason: str) -> Saved:
    """Same service as `salescoach awards grant`: a seller on staff in the period; a period
    not started yet is accepted with a warning in the result."""
    from salescoach.services import recognition

    ctx.require("award.write", Subject.rep(rep_id))
    saved = recognition.grant(
        ctx.workbook,
        rep_id,
        ctx.period,
        award,
        amount,
        reason,
        ctx.who,
        store=ctx.store(),
        tables=ctx.tables,
    )
    return _done(ctx, saved)


def proposed_awards(ctx):
    """The awards of the context's period proposed and waiting for a decision, in its scope."""
    from salescoach.services import recognition

    ctx.require("award.read")
    waiting = recognition.current(ctx.workbook, ctx.period, status="proposed")
    return waiting[waiting["rep_id"].isin(set(ctx.members()))]


def approve_proposed(ctx, key: str, rep_id: str, why: str):
    """Same service as `salescoach awards approve KEY`: a proposed award moves to approved."""
    from salescoach.services import recognition

    ctx.require("award.write", Subject.rep(rep_id))
    events = recognition.decide(ctx.workbook, ctx.period, "approved", ctx.who, why, keys=(key,))
    return _done(ctx, events, "award")
