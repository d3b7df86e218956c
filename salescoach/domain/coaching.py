"""The coaching ladder: the kit proposes the next step with its evidence; the manager decides.

Steps, in order: none, training_assigned, coaching_plan, improvement_plan, dismissal_review.
A dismissal review is offered only when training and coaching were both recorded and the gap
did not close; the kit never decides it. Every function here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salescoach.domain.decisions import ACTION_DONE, SESSION, STEP
from salescoach.i18n import _

LADDER = ("none", "training_assigned", "coaching_plan", "improvement_plan", "dismissal_review")
STEP_KIND = STEP
SESSION_KIND = SESSION
ACTION_DONE_KIND = ACTION_DONE


@dataclass(frozen=True)
class Proposal:
    """The step the kit proposes for a rep, why, and the evidence it read."""

    rep_id: str
    current: str
    proposed: str
    reason: str
    evidence: str


def step_index(step: str) -> int:
    """Position of a step on the ladder (ValueError for an unknown step)."""
    return LADDER.index(step)


def current_step(steps: pd.DataFrame, rep_id: str) -> str:
    """The rep's latest recorded step (`none` when nothing was recorded); rows in time order."""
    if steps is None or steps.empty:
        return LADDER[0]
    mine = steps[steps["rep_id"] == rep_id]
    return str(mine["step"].iloc[-1]) if len(mine) else LADDER[0]


def reached(steps: pd.DataFrame, rep_id: str) -> set[str]:
    """Every step ever recorded for the rep."""
    if steps is None or steps.empty:
        return set()
    return set(steps.loc[steps["rep_id"] == rep_id, "step"])


def gap_closed(attainment_before: float | None, attainment_now: float | None) -> bool:
    """The goal is met now, or the shortfall has at least halved since the step was taken."""
    if attainment_now is None or pd.isna(attainment_now):
        return False
    if attainment_now >= 1:
        return True
    if attainment_before is None or pd.isna(attainment_before) or attainment_before >= 1:
        return False
    return (1 - attainment_now) <= (1 - attainment_before) / 2


def propose(
    rep_id: str,
    rep_findings: pd.DataFrame,
    steps: pd.DataFrame,
    sessions: int,
    attainment_before: float | None,
    attainment_now: float | None,
) -> Proposal:
    """The next step for a rep from their material findings and their ladder so far.

    A training finding proposes training; a `rep` finding climbs one step at a time; the
    dismissal review needs training and coaching on record (a coaching plan or a session) and a
    gap that did not close. No finding and a closed gap proposes staying put.
    """
    now = current_step(steps, rep_id)
    done = reached(steps, rep_id)
    causes = set(rep_findings["cause"]) if rep_findings is not None and len(rep_findings) else set()
    evidence = (
        " ".join(rep_findings["evidence"]) if causes else _("No material finding on this rep.")
    )
    closed = gap_closed(attainment_before, attainment_now)
    if not causes or closed:
        return Proposal(
            rep_id, now, now, _("Nothing to escalate: keep the current step."), evidence
        )
    if "training" in causes and "training_assigned" not in done:
        return Proposal(
            rep_id, now, "training_assigned", _("A training gap explains the miss."), evidence
        )
    nxt = LADDER[min(step_index(now) + 1, len(LADDER) - 1)]
    if nxt == "training_assigned":
        nxt = "coaching_plan" if "rep" in causes else "training_assigned"
    if nxt == "dismissal_review":
        coached = "coaching_plan" in done or sessions > 0
        if not ("training_assigned" in done and coached):
            return Proposal(
                rep_id,
                now,
                now,
                _("A dismissal review needs training and coaching on record first."),
                evidence,
            )
        return Proposal(
            rep_id,
            now,
            nxt,
            _(
                "Training and coaching were recorded and the gap did not close; the manager decides."
            ),
            evidence,
        )
    return Proposal(rep_id, now, nxt, _("The gap did not close at the current step."), evidence)


def parse_action(text: str) -> tuple[str, pd.Timestamp]:
    """`"call three lapsed accounts@2026-10-15"` -> (text, due date); ValueError when malformed."""
    what, sep, due = str(text).rpartition("@")
    if not sep or not what.strip():
        raise ValueError(f"An action is written text@YYYY-MM-DD, got {text!r}.")
    return what.strip(), pd.Timestamp(due.strip())


def overdue_actions(sessions: pd.DataFrame, done: set[str], today: pd.Timestamp) -> pd.DataFrame:
    """Agreed actions past their due date and not marked done (columns rep_id, action_id, text, due)."""
    rows = []
    for _i, s in (sessions if sessions is not None else pd.DataFrame()).iterrows():
        actions = s.get("actions")
        for n, a in enumerate(actions if isinstance(actions, list) else []):
            # Stored as "text@YYYY-MM-DD" (the app's free-text actions have no due date).
            try:
                text, due = parse_action(a)
            except ValueError:
                continue
            action_id = f"{s['key']}#{n + 1}"
            if due < today and action_id not in done:
                rows.append(
                    {"rep_id": s["rep_id"], "action_id": action_id, "text": text, "due": due}
                )
    return pd.DataFrame(rows, columns=["rep_id", "action_id", "text", "due"])
