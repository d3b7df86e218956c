"""Who sees what: people, their roles and scopes, and whether an action on a subject is allowed.

A served workbook knows who is asking. Each login maps to a :class:`Person` with a role and a
scope (the workbook's access file, read by :mod:`salescoach.services.access`):

| role | sees | may write |
|---|---|---|
| ``sales_operations`` | everything | everything |
| ``manager`` | their department or team and below | every decision in that scope |
| ``trainer`` | courses, training records, goals, results, findings, what works | training assignments |
| ``rep`` | their own goals, pack and goal discussions | the acknowledgement of their own goal |

Everything here is pure: a person, the reps frame and a subject in, an answer out. A refusal
is a :class:`Refusal` holding the sentence to show (through the message catalogue).

Example::

    anna = Person("anna", MANAGER, "team", "North A")
    visible_reps(anna, reps)                       # the reps of North A
    refusal(anna, "coaching_notes.read", Subject("team", "South B"), reps)
    # Refusal: anna sees team North A and what is under it; team South B is outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from salescoach.errors import InputError
from salescoach.i18n import N_, _

SALES_OPERATIONS = "sales_operations"
MANAGER = "manager"
TRAINER = "trainer"
REP = "rep"
NOBODY = "nobody"  # a login the access file does not name: sees nothing
ROLES = (SALES_OPERATIONS, MANAGER, TRAINER, REP)

ROLE_LABELS = {
    SALES_OPERATIONS: N_("sales operations"),
    MANAGER: N_("a manager"),
    TRAINER: N_("a trainer"),
    REP: N_("a rep"),
    NOBODY: N_("someone not in the access file"),
}

# Each action a person may try, with the words a refusal uses ("may not read coaching notes").
ACTIONS: dict[str, str] = {
    "goal.read": N_("read goals"),
    "goal.write": N_("set goals"),
    "ack.read": N_("read goal acknowledgements"),
    "ack.write": N_("acknowledge a goal"),
    "discussion.read": N_("read goal discussions"),
    "discussion.write": N_("record a goal discussion"),
    "coaching_step.read": N_("read the coaching ladder"),
    "coaching_step.write": N_("move a rep on the coaching ladder"),
    "coaching_session.read": N_("read coaching sessions"),
    "coaching_session.write": N_("log a coaching session"),
    "coaching_notes.read": N_("read coaching notes"),
    "coaching_notes.write": N_("write coaching notes"),
    "training.read": N_("read training records"),
    "training.write": N_("assign training"),
    "award.read": N_("read awards"),
    "award.write": N_("decide awards"),
    "dismissal.read": N_("read dismissal reviews"),
    "dismissal.write": N_("open a dismissal review"),
    "results.read": N_("read results"),
    "findings.read": N_("read the diagnosis"),
    "insights.read": N_("read what works"),
    "pack.render": N_("render review packs"),
    "export": N_("export decisions"),
    "restore": N_("restore decisions from a backup"),
}

# What each role may do at all; where (which subjects) is the scope's business.
ALLOWED: dict[str, frozenset[str]] = {
    SALES_OPERATIONS: frozenset(ACTIONS),
    # Restoring writes decisions of every scope at once, with others' names as "who".
    MANAGER: frozenset(ACTIONS) - {"restore"},
    TRAINER: frozenset(
        {
            "goal.read",
            "training.read",
            "training.write",
            "results.read",
            "findings.read",
            "insights.read",
        }
    ),
    REP: frozenset({"goal.read", "ack.read", "ack.write", "discussion.read", "pack.render"}),
    NOBODY: frozenset(),
}

# What a rep's own review pack shows about them (coaching actions due, awards, training,
# results, findings): a rep may read these rows of their own, for their pack, and no page.
PACK_READS = frozenset(
    {
        "coaching_step.read",
        "coaching_session.read",
        "coaching_notes.read",
        "award.read",
        "training.read",
        "results.read",
        "findings.read",
    }
)

SCOPE_KINDS = ("company", "department", "team", "rep")
SCOPE_LABELS = {"department": N_("department"), "team": N_("team"), "rep": N_("rep")}

# The app's pages and the action each needs to open at all.
PAGE_ACTIONS = {
    "goals": "goal.read",
    "training": "training.read",
    "monitoring": "results.read",
    "diagnosis": "findings.read",
    "what_works": "insights.read",
    "recognition": "award.read",
    "packs": "pack.render",
}


class AccessRefused(InputError):
    """An action the person may not take: nothing was read or written; the message says why."""


class AccessFileError(InputError):
    """The access file cannot be used as written; the message names the login and the key."""


@dataclass(frozen=True)
class Subject:
    """What an action is about: the company, a department, a team or a rep."""

    scope: str = "company"
    scope_id: str | None = None

    @classmethod
    def rep(cls, rep_id) -> Subject:
        return cls("rep", str(rep_id))

    def label(self) -> str:
        if self.scope == "company":
            return _("the whole company")
        return _("{kind} {id}", kind=_(SCOPE_LABELS[self.scope]), id=self.scope_id)


@dataclass(frozen=True)
class Person:
    """A login, its role and the scope it sees (``company`` for sales operations)."""

    login: str
    role: str
    scope: str = "company"
    scope_id: str | None = None

    def __post_init__(self):
        if self.role not in (*ROLES, NOBODY):
            raise AccessFileError(
                _(
                    "{login}: unknown role '{role}'; use one of {roles}",
                    login=self.login,
                    role=self.role,
                    roles=", ".join(ROLES),
                )
            )
        if self.scope not in SCOPE_KINDS:
            raise AccessFileError(
                _("{login}: unknown scope '{scope}'", login=self.login, scope=self.scope)
            )

    @property
    def everything(self) -> bool:
        return self.role == SALES_OPERATIONS

    def scope_label(self) -> str:
        return Subject(self.scope, self.scope_id).label()


def sales_operations(login: str) -> Person:
    """The local user of a single-user workbook (no access file): sees and does everything."""
    return Person(login, SALES_OPERATIONS)


def nobody(login: str) -> Person:
    return Person(login, NOBODY, "rep", None)


_PERSON_KEYS = {"role", "department", "team", "rep"}


def people_from(table: Mapping) -> dict[str, Person]:
    """The people of an access file's ``[people]`` table, by login.

    Each entry holds ``role`` and at most one of ``department``, ``team`` or ``rep``: a manager
    needs a department or a team, a rep needs their rep id, a trainer may be limited to one.
    """
    people = {}
    for login, entry in table.items():
        if not isinstance(entry, Mapping):
            raise AccessFileError(_("{login}: expected a table with a role", login=login))
        unknown = sorted(set(entry) - _PERSON_KEYS)
        if unknown:
            raise AccessFileError(
                _(
                    "{login}: unknown key {key}; use role, department, team or rep",
                    login=login,
                    key=", ".join(unknown),
                )
            )
        role = str(entry.get("role", "")).strip()
        scopes = [(k, str(entry[k])) for k in ("department", "team", "rep") if k in entry]
        if len(scopes) > 1:
            raise AccessFileError(
                _("{login}: give one of department, team or rep, not several", login=login)
            )
        scope, scope_id = scopes[0] if scopes else ("company", None)
        if role == MANAGER and scope not in ("department", "team"):
            raise AccessFileError(_("{login}: a manager needs a department or a team", login=login))
        if role == REP and scope != "rep":
            raise AccessFileError(_("{login}: a rep needs their rep id (rep = ...)", login=login))
        if role == SALES_OPERATIONS and scopes:
            raise AccessFileError(_("{login}: sales operations see the whole company", login=login))
        if role == TRAINER and scope == "rep":
            raise AccessFileError(_("{login}: a trainer sees a department or a team", login=login))
        people[str(login)] = Person(str(login), role, scope, scope_id)
    return people


# --- what a person sees ------------------------------------------------------------------


def pages_of(person: Person) -> list[str]:
    """The app's pages the person may open, in the app's order."""
    return [page for page, action in PAGE_ACTIONS.items() if action in ALLOWED[person.role]]


def page_refusal(person: Person, page: str, subject: Subject, reps: pd.DataFrame) -> str | None:
    """None when the person may open an app page on the subject, else the sentence why not."""
    action = PAGE_ACTIONS[page]
    if person.role != NOBODY and action not in ALLOWED[person.role]:
        return _role_refusal(person, action)
    return refusal(person, action, subject, reps)


def _role_refusal(person: Person, action: str) -> str:
    return _(
        "{login} is {role}, who may not {action}.",
        login=person.login,
        role=_(ROLE_LABELS[person.role]),
        action=_(ACTIONS[action]),
    )


def visible_reps(person: Person, reps: pd.DataFrame) -> pd.DataFrame:
    """The rows of the reps frame the person may see."""
    if person.role == NOBODY:
        return reps.iloc[0:0]
    if person.scope == "company":
        return reps
    column = "rep_id" if person.scope == "rep" else person.scope
    return reps[reps[column].astype(str) == str(person.scope_id)]


def visible_ids(person: Person, reps: pd.DataFrame, scope: str) -> list[str]:
    """The ids of a scope kind (department, team, rep) the person may pick, sorted."""
    if scope == "company":
        return ["company"] if person.scope == "company" and person.role != NOBODY else []
    if scope not in scope_kinds(person):
        return []
    column = "rep_id" if scope == "rep" else scope
    return sorted(visible_reps(person, reps)[column].dropna().astype(str).unique())


def scope_kinds(person: Person) -> tuple[str, ...]:
    """The scope kinds the person's picker offers: their own level and below."""
    if person.role == NOBODY:
        return ()
    return SCOPE_KINDS[SCOPE_KINDS.index(person.scope) :]


def home(person: Person) -> Subject:
    """Where the person's view starts: their own scope."""
    return Subject(person.scope, person.scope_id)


def within(person: Person, subject: Subject, reps: pd.DataFrame) -> bool:
    """Whether the subject lies inside the person's scope (the reps frame says who is where)."""
    if person.role == NOBODY:
        return False
    if person.scope == "company":
        return True
    if subject.scope not in scope_kinds(person):
        return False
    if subject.scope == person.scope:
        return str(subject.scope_id) == str(person.scope_id)
    return str(subject.scope_id) in visible_units(person, reps)[subject.scope]


def visible_units(person: Person, reps: pd.DataFrame) -> dict[str, set[str]]:
    """Per scope kind, the ids wholly inside the person's scope: a team counts only when every
    rep of it is the person's (a team split across departments is not a department's)."""
    ids = reps["rep_id"].astype(str)
    mine = ids.isin(set(visible_reps(person, reps)["rep_id"].astype(str)))
    units = {"rep": set(ids[mine])}
    for column in ("team", "department"):
        inside = mine.groupby(reps[column].astype(str).to_numpy()).all()
        units[column] = set(inside[inside].index)
    units["company"] = {"company"} if person.scope == "company" else set()
    return units


def refusal(person: Person, action: str, subject: Subject, reps: pd.DataFrame) -> str | None:
    """None when the person may take the action on the subject, else the sentence why not."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    if person.role == NOBODY:
        return _(
            "{login} is not in this workbook's access file, so nothing is shown; ask sales operations to add you.",
            login=person.login,
        )
    own_pack = person.role == REP and action in PACK_READS
    if action not in ALLOWED[person.role] and not own_pack:
        return _role_refusal(person, action)
    if not within(person, subject, reps):
        return _(
            "{login} sees {scope} and what is under it; {subject} is outside it.",
            login=person.login,
            scope=person.scope_label(),
            subject=subject.label(),
        )
    return None


def allowed(person: Person, action: str, subject: Subject, reps: pd.DataFrame) -> bool:
    return refusal(person, action, subject, reps) is None


def check(person: Person, action: str, subject: Subject, reps: pd.DataFrame) -> None:
    """Raise :class:`AccessRefused` with the reason when the action is not allowed."""
    why = refusal(person, action, subject, reps)
    if why is not None:
        raise AccessRefused(why)


def rows_visible(person: Person, frame: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """The rows of a frame of decisions or figures the person may see: by ``rep_id`` when the
    frame has one, else by ``scope``/``scope_id`` (a goal of a team, a department)."""
    if person.everything:
        return frame
    if frame is None or not len(frame):
        return frame
    if "rep_id" in frame.columns:
        mine = set(visible_reps(person, reps)["rep_id"].astype(str))
        return frame[frame["rep_id"].astype(str).isin(mine)]
    # Goals are per scope: keep those of a unit wholly inside the person's scope.
    units = visible_units(person, reps)
    if {"scope", "scope_id"} <= set(frame.columns):
        pairs = zip(frame["scope"].astype(str), frame["scope_id"].astype(str))
    elif "key" in frame.columns:  # goal versions keyed `team|North A|2026-Q3|revenue`
        pairs = (tuple([*str(k).split("|"), ""][:2]) for k in frame["key"])
    else:
        return frame.iloc[0:0]
    keep = [
        scope in scope_kinds(person) and unit in units.get(scope, set()) for scope, unit in pairs
    ]
    return frame[keep]
