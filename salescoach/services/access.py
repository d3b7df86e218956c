"""The guard every service, page and pack render passes: who is asking, and may they.

The workbook's ``access.toml`` maps logins to people (:mod:`salescoach.domain.access`). Without it the
workbook is a single-user one and its user is sales operations, as before. The login is the
JupyterHub user, else ``$SALESCOACH_USER``, else the OS login name (the same name every
decision records as "who": :func:`salescoach.data.store.default_author`).

A login the file does not name sees nothing when served (JupyterHub, the app). The command
line of the workbook's own machine, outside a hub, stays sales operations unless
``$SALESCOACH_USER`` names a person of the file.

Example::

    person = person_for(wb)                       # who is at the keyboard
    require(wb, person, "coaching_notes.read", Subject.rep("R007"))   # AccessRefused: why
    reps = visible(wb, person, wb.facts()["reps"])
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pandas as pd

from salescoach.domain import access
from salescoach.domain.access import AccessFileError, AccessRefused, Person, Subject
from salescoach.i18n import _

ACCESS_FILE = "access.toml"

__all__ = [
    "ACCESS_FILE",
    "AccessFileError",
    "AccessRefused",
    "Person",
    "Subject",
    "login",
    "people",
    "person_for",
    "require",
    "require_who",
    "visible",
]

_cache: dict[Path, tuple[float, dict[str, Person]]] = {}


def login() -> str:
    """Who is at the keyboard (the hub user, ``$SALESCOACH_USER`` or the OS login)."""
    from salescoach.data.store import default_author

    return default_author()


def people(wb) -> dict[str, Person] | None:
    """The people of the workbook's access file by login; None when there is no file."""
    path = Path(wb.root) / ACCESS_FILE
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(_("{file}: {error}", file=path, error=str(exc))) from None
    unknown = sorted(set(data) - {"people"})
    if unknown:
        raise AccessFileError(
            _("{file}: unknown table {key}; use [people]", file=path, key=", ".join(unknown))
        )
    found = access.people_from(data.get("people", {}))
    _cache[path] = (mtime, found)
    return found


def _served() -> bool:
    # Under a hub every kernel and terminal has the hub's user, and a page of a server with
    # password logins has its login: no one there is "local".
    from salescoach.data.store import SERVED_LOGIN

    return any(os.environ.get(v, "").strip() for v in ("JUPYTERHUB_USER", SERVED_LOGIN))


def person_for(wb, who: str | None = None, *, served: bool | None = None) -> Person:
    """The person behind a login (the current one by default).

    ``served`` (the app, a hub) makes a login the access file does not name see nothing; the
    command line on the workbook's own machine keeps it sales operations."""
    who = who or login()
    listed = people(wb)
    if listed is None:
        return access.sales_operations(who)
    if who in listed:
        return listed[who]
    if served is None:
        served = _served()
    return access.nobody(who) if served else access.sales_operations(who)


def require(wb, person: Person | None, action: str, subject: Subject, reps=None) -> Person:
    """Raise :class:`AccessRefused` (one sentence why) unless the person may act on the subject.

    Returns the person, so a service can go on with it. Reads the reps only when needed."""
    person = person or person_for(wb)
    if person.everything:
        return person
    if reps is None:
        reps = wb.facts()["reps"] if person.scope != "company" else pd.DataFrame()
    access.check(person, action, subject, reps)
    return person


def require_who(wb, who: str | None, action: str, subject: Subject, reps=None) -> Person:
    """:func:`require` for the login a service write records as "who"."""
    return require(wb, person_for(wb, who), action, subject, reps)


def visible(wb, person: Person | None, frame: pd.DataFrame, reps=None) -> pd.DataFrame:
    """The rows of a frame (reps, decisions, figures per rep or per scope) the person may see."""
    person = person or person_for(wb)
    if person.everything or frame is None:
        return frame
    if reps is None:
        reps = wb.facts()["reps"]
    return access.rows_visible(person, frame, reps)


def require_role(wb, action: str, person: Person | None = None) -> Person:
    """Raise :class:`AccessRefused` unless the person's role may take the action at all (a
    list of decisions, before :func:`visible` keeps the rows of their scope)."""
    person = person or person_for(wb)
    if not person.everything:
        access.check(person, action, access.home(person), pd.DataFrame())
    return person
