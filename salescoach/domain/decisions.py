"""The kinds of decision a manager records: their fields, their checks and their store keys.

Every decision is an event in the append-only store (:mod:`salescoach.data.store`) with a kind and a
key; the latest event of a key is the decision in force. This registry is the one place that
says, per kind, which fields the event holds, which checks guard it, how its key is built and
which service function writes it. The services write through it, the CLI and the app call the
services, and backup, restore and the app read the registry to name what they hold.

The checks here are pure (frames in, an :class:`~salescoach.errors.InputError` with one
sentence out) so that a goal refused in the app is refused in the CLI with the same words.

Keys keep the formats already stored in workbooks (a store is never rewritten):

| decision | store kind | key |
|---|---|---|
| goal version | ``goal`` | ``rep|R001|2026-Q3|revenue`` |
| goal discussion | ``goal_ack`` | ``rep:R001|2026-Q3`` |
| training assignment | ``training_assignment`` | ``rep:R001|CRS01`` |
| coaching step | ``coaching_step`` | ``R001`` |
| coaching session | ``coaching`` | ``R001|2026-10-01T09:00:00.000000Z`` |
| coaching action done | ``coaching_action_done`` | ``<session key>#1`` |
| award approval, communication | ``award`` | ``award:2026-Q3|goal_met|R001`` |

Example::

    kind = KINDS["goal"]
    kind.key(scope="rep", scope_id="R001", period="2026-Q3", metric="revenue")
    check_rep(reps, "R055", Period.parse("2026-Q3"), seller=True)   # InputError: left on ...
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

# Where a period stands against the workbook's newest data: one definition, in periods.
from salescoach.domain.periods import CLOSED, CURRENT, NOT_STARTED, Period, period_state  # noqa: F401
from salescoach.errors import InputError
from salescoach.i18n import N_, _

GOAL = "goal"
ACK = "goal_ack"
TRAINING = "training_assignment"
STEP = "coaching_step"
SESSION = "coaching"
ACTION_DONE = "coaching_action_done"
AWARD = "award"
COMPANY_ID = "company"


# --- keys: one builder per kind -----------------------------------------------------------


def goal_key(scope: str, scope_id: str | None, period: str, metric: str) -> str:
    """The store key of one goal: `team|North A|2026-Q3|revenue`."""
    return f"{scope}|{scope_id if scope != 'company' else COMPANY_ID}|{period}|{metric}"


def ack_key(rep_id: str, period: str) -> str:
    """The store key of a rep's goal discussion for a period: `rep:R001|2026-Q3`."""
    return f"rep:{rep_id}|{period}"


def assignment_key(rep_id: str, course_id: str) -> str:
    """The store key of a course assigned to a rep: `rep:R001|CRS01`."""
    return f"rep:{rep_id}|{course_id}"


def step_key(rep_id: str) -> str:
    """The store key of a rep's place on the coaching ladder: the rep id itself."""
    return str(rep_id)


def session_key(rep_id: str, at: dt.datetime | None = None) -> str:
    """The store key of one coaching session: `R001|<UTC time to the microsecond>`."""
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{rep_id}|{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def action_key(session: str, number: int) -> str:
    """The store key of an agreed action of a session, numbered from 1: `<session>#2`."""
    return f"{session}#{int(number)}"


def award_key(*, period: str, rule: str, rep_id: str) -> str:
    """The store key of one award: `award:2026-Q3|goal_met|R001` (keywords only: the first
    version of this function took rep_id first)."""
    return f"award:{period}|{rule}|{rep_id}"


def unit_of_key(store_kind: str, key: str) -> str | None:
    """The rep (or, for a goal, the team, department or company) a stored key concerns,
    read back through the key formats above; None for a key of another shape."""
    key = str(key)
    if store_kind == GOAL:
        parts = key.split("|")
        return parts[1] if len(parts) == 4 else None
    if store_kind in (ACK, TRAINING):
        return key[len("rep:") :].split("|")[0] if key.startswith("rep:") else None
    if store_kind == AWARD:
        if key.startswith("award:"):
            return key.rsplit("|", 1)[-1]
        # The app's first manual awards: rep:<rep_id>|<period>.
        return key[len("rep:") :].split("|")[0] if key.startswith("rep:") else None
    if store_kind in (STEP, SESSION, ACTION_DONE):
        return key.split("|")[0]
    return None


# --- the registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of decision: what it is called, where it is stored and how it is checked.

    ``fields`` are the data fields of its events in the order stored; ``checks`` the rules
    its service applies (message ids, shown translated); ``service`` the function that writes
    it (``module:function``), the only way in for the CLI, the app and notebooks.
    """

    name: str
    label: str
    store_kind: str
    fields: tuple[str, ...]
    key: Callable[..., str]
    key_fields: tuple[str, ...]
    checks: tuple[str, ...]
    service: str
    status: str | None = None

    def key_of(self, data: Mapping) -> str:
        """The key of an event holding ``data`` (the key builder fed from the fields)."""
        if self.key is award_key:
            return award_key(period=data["period"], rule=data["rule"], rep_id=data["rep_id"])
        return self.key(*(data[f] for f in self.key_fields))


CHECK_REP = N_("the rep is in the workbook")
CHECK_ON_STAFF = N_("the rep is on staff during the period")
CHECK_SELLER = N_("a seller, not support staff")
CHECK_REASON = N_("a reason is given")
CHECK_TARGET = N_("the target is a number, not negative")
CHECK_CLOSED = N_("a closed period needs an explicit override, recorded with the decision")
CHECK_NOT_STARTED = N_("a period not started yet is allowed with a warning")
CHECK_DATE = N_("dates are dates, follow-ups not in the past")
CHECK_LADDER = N_("a dismissal review only after recorded training and coaching")
CHECK_STATUS = N_("an award moves forward: proposed, approved, communicated (or rejected)")
CHECK_AMOUNT = N_("the amount is a number, not negative")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "goal",
            N_("goal version"),
            GOAL,
            ("scope", "scope_id", "period", "metric", "target", "reason", "basis", "override"),
            goal_key,
            ("scope", "scope_id", "period", "metric"),
            (CHECK_REP, CHECK_ON_STAFF, CHECK_SELLER, CHECK_TARGET, CHECK_REASON, CHECK_CLOSED),
            "salescoach.services.goals:set_goal",
        ),
        Kind(
            "goal_ack",
            N_("goal discussion"),
            ACK,
            ("rep_id", "period", "discussed_on", "manager", "outcome", "comment"),
            ack_key,
            ("rep_id", "period"),
            (CHECK_REP, CHECK_ON_STAFF, CHECK_SELLER, CHECK_DATE),
            "salescoach.services.goals:acknowledge",
        ),
        Kind(
            "training_assignment",
            N_("training assignment"),
            TRAINING,
            ("rep_id", "course_id", "due_on", "reason"),
            assignment_key,
            ("rep_id", "course_id"),
            (CHECK_REP, CHECK_ON_STAFF, CHECK_REASON, CHECK_DATE),
            "salescoach.services.training:assign",
        ),
        Kind(
            "coaching_step",
            N_("coaching step"),
            STEP,
            ("rep_id", "step", "period", "evidence", "outcome", "follow_up"),
            step_key,
            ("rep_id",),
            (CHECK_REP, CHECK_ON_STAFF, CHECK_REASON, CHECK_LADDER, CHECK_DATE),
            "salescoach.services.coaching:record_step",
        ),
        Kind(
            "coaching",
            N_("coaching session"),
            SESSION,
            ("rep_id", "period", "note", "actions", "follow_up"),
            session_key,
            ("rep_id",),
            (CHECK_REP, CHECK_ON_STAFF, CHECK_REASON, CHECK_DATE),
            "salescoach.services.coaching:record_session",
        ),
        Kind(
            "coaching_action_done",
            N_("coaching action done"),
            ACTION_DONE,
            ("rep_id", "done_on"),
            action_key,
            ("session", "number"),
            (),
            "salescoach.services.coaching:action_done",
        ),
        Kind(
            "award_approval",
            N_("award approval"),
            AWARD,
            (
                "rep_id",
                "period",
                "rule",
                "reward",
                "award",
                "amount",
                "cost",
                "status",
                "sentence",
            ),
            award_key,
            ("period", "rule", "rep_id"),
            (
                CHECK_REP,
                CHECK_ON_STAFF,
                CHECK_SELLER,
                CHECK_REASON,
                CHECK_AMOUNT,
                CHECK_STATUS,
                CHECK_NOT_STARTED,
            ),
            "salescoach.services.recognition:grant",
            status="approved",
        ),
        Kind(
            "award_communication",
            N_("award communication"),
            AWARD,
            ("rep_id", "period", "rule", "reward", "award", "amount", "cost", "status"),
            award_key,
            ("period", "rule", "rep_id"),
            (CHECK_REASON, CHECK_STATUS),
            "salescoach.services.recognition:decide",
            status="communicated",
        ),
    )
}

# The store kinds, each with the decisions recorded under it (awards share one kind: their
# status tells approval from communication).
STORE_KINDS: dict[str, tuple[Kind, ...]] = {}
for _kind in KINDS.values():
    STORE_KINDS[_kind.store_kind] = STORE_KINDS.get(_kind.store_kind, ()) + (_kind,)
del _kind


def kind_of_event(store_kind: str, data: Mapping | None = None) -> Kind | None:
    """The registry's kind of a stored event (None for a kind this version does not know)."""
    kinds = STORE_KINDS.get(store_kind, ())
    if len(kinds) > 1 and data is not None:
        for k in kinds:
            if k.status == data.get("status"):
                return k
    return kinds[0] if kinds else None


def count_by_kind(store_kinds: Iterable[str]) -> dict[str, int]:
    """How many events of each store kind, in the registry's order, unknown kinds last."""
    counts: dict[str, int] = {}
    for k in store_kinds:
        counts[k] = counts.get(k, 0) + 1
    order = list(STORE_KINDS)
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] not in order, _index(order, kv[0]))))


def _index(order: list[str], item: str) -> int:
    return order.index(item) if item in order else len(order)


def store_kind_label(store_kind: str, gettext=None) -> str:
    """The words for a store kind (`award` reads "award approval / award communication");
    a kind this version does not know is shown as stored."""
    kinds = STORE_KINDS.get(store_kind)
    if not kinds:
        return store_kind
    tr = gettext or _
    return " / ".join(tr(k.label) for k in kinds)


# --- checks shared by every writer --------------------------------------------------------


def _day(value, fmt) -> str:
    stamp = pd.Timestamp(value)
    return fmt.date(stamp) if fmt is not None else stamp.date().isoformat()


def check_rep(
    reps: pd.DataFrame,
    rep_id: str,
    period: Period | None = None,
    *,
    seller: bool = False,
    fmt=None,
    selling=(),
) -> pd.Series:
    """The rep's row; InputError when the rep is unknown, not on staff at any time during
    `period` (left before it began, or joined after it ended), or support staff where a
    `seller` decision (a seller goal, an award on sales) is asked. Support staff named in
    `selling` (`roles.selling(tables)`: they are `rep_id` on deals or orders) also sell, so a
    seller decision on their own sales is theirs too. Returns the rep's row."""
    rows = reps[reps["rep_id"].astype(str) == str(rep_id)] if len(reps) else reps
    if rep_id in (None, "") or rows.empty:
        raise InputError(_("unknown rep {rep_id}: not in the workbook's reps", rep_id=rep_id))
    row = rows.iloc[0]
    if period is not None:
        left = row.get("end_date")
        joined = row.get("hire_date")
        if left is not None and pd.notna(left) and pd.Timestamp(left) < period.start:
            raise InputError(
                _(
                    "{rep_id} left on {day}, before {period} began: not on staff during {period}",
                    rep_id=rep_id,
                    day=_day(left, fmt),
                    period=str(period),
                )
            )
        if joined is not None and pd.notna(joined) and pd.Timestamp(joined) > period.end:
            raise InputError(
                _(
                    "{rep_id} joins on {day}, after {period} ends: not on staff during {period}",
                    rep_id=rep_id,
                    day=_day(joined, fmt),
                    period=str(period),
                )
            )
    role = row.get("role")
    if seller and isinstance(role, str) and role == "support" and rep_id not in set(selling):
        raise InputError(
            _(
                "{rep_id} is support staff, measured on the deals they assist: no seller goal or award applies",
                rep_id=rep_id,
            )
        )
    return row


def check_reason(text: str | None, message: str | None = None) -> str:
    """The reason without surrounding spaces; InputError when there is none."""
    reason = str(text or "").strip()
    if not reason:
        raise InputError(message or _("A reason is required."))
    return reason


def check_amount(value, what: str = "target") -> float:
    """A finite, non-negative number; InputError otherwise (the same words for a target in the
    CLI, the app and a notebook)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        if what == "target":
            raise InputError(_("the target {target} is not a number", target=value)) from None
        raise InputError(_("the amount {amount} is not a number", amount=value)) from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        if what == "target":
            raise InputError(_("a target cannot be negative ({target})", target=value))
        raise InputError(_("An award amount cannot be negative."))
    return number


def check_open_period(period: Period, now: pd.Timestamp | None, override: bool) -> bool:
    """True when a closed period is changed by explicit override; InputError without one."""
    if period_state(period, now) != CLOSED:
        return False
    if not override:
        raise InputError(
            _(
                "{period} has already closed; changing it needs an explicit override (--force, or the app's override box) with a reason",
                period=str(period),
            )
        )
    return True


def not_started_warning(period: Period, now: pd.Timestamp | None) -> str | None:
    """The warning for a decision on results of a period that has not started, or None."""
    if period_state(period, now) != NOT_STARTED:
        return None
    return _(
        "{period} has not started yet: this award is decided before any result of the period is known.",
        period=str(period),
    )
