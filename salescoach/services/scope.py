"""The subject a review pack's process is narrowed to, as the services see it: which subject
is active (:func:`active`), pack sections marked with theirs (:func:`section`: a section about
anyone else is refused, one that needs the whole organisation answers from what was prepared for
the subject), and peers only as anonymous aggregates (:func:`peer_table`).

Entering the scope (narrowing the facts and the store, dropping the batch's state) is the
packs layer's: :mod:`salescoach.packs.pack_scope`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import pandas as pd

from salescoach.domain.access import AccessRefused, Subject
from salescoach.domain.peers import peer_benchmark
from salescoach.i18n import _

# The active scope of this process: empty when none (the app, the command line, the worker).
_active: dict = {}


# The modules whose sections a pack may call: imported by `enter`, so all are prepared.
SECTION_MODULES = ("salescoach.services.packs", "salescoach.services.trainers")


# Sections registered by `section`: name -> (function, kind, precompute).
_SECTIONS: dict[str, tuple[Callable, str, bool]] = {}


def active() -> Subject | None:
    """The subject this process is narrowed to, or None."""
    return _active.get("subject")


def narrow_table(
    name: str, frame: pd.DataFrame, reps: set[str], units: dict[str, set[str]]
) -> pd.DataFrame:
    """The rows of a fact table that belong to the scope: by ``rep_id`` (a deal also when a
    rep in scope supported it, its seller then blanked), targets by their unit; tables that
    name no rep (products, customers, courses, market, campaigns) whole."""
    if name == "targets" and {"scope", "scope_id"} <= set(frame.columns):
        keep = [
            str(unit) in units.get(str(scope), set())
            for scope, unit in zip(frame["scope"], frame["scope_id"])
        ]
        return frame[keep]
    if "rep_id" not in frame.columns:
        return frame
    own = frame["rep_id"].astype(str).isin(reps) & frame["rep_id"].notna()
    if "support_rep_id" in frame.columns:
        supported = frame["support_rep_id"].astype(str).isin(reps) & frame["support_rep_id"].notna()
        out = frame[own | supported].copy()
        # Another seller's id on a deal the subject supported is another rep's: blanked.
        out.loc[~own[own | supported].to_numpy(), "rep_id"] = None
        outside = ~out["support_rep_id"].astype(str).isin(reps)
        out.loc[outside.to_numpy(), "support_rep_id"] = None
        return out
    return frame[own]


def event_in_scope(event, reps: set[str], units: dict[str, set[str]]) -> bool:
    """Whether a decision belongs to the scope: its ``rep_id``, else its unit (``scope`` and
    ``scope_id``, or a key ``team|North A|...``). A decision naming neither is not shown."""
    data = event.data or {}
    if data.get("rep_id") is not None:
        return str(data["rep_id"]) in reps
    scope, unit = data.get("scope"), data.get("scope_id")
    if scope is None:
        parts = str(event.key).split("|")
        if len(parts) < 2:
            return False
        scope, unit = parts[0], parts[1]
    return str(unit) in units.get(str(scope), set())


def peer_table(figures: pd.DataFrame, row: pd.Series, columns, minimum: int) -> pd.DataFrame:
    """Per figure, the count, quartiles and median of the rep's peers (same role, not the rep):
    anonymous aggregates, NaN when fewer than `minimum` peers have the figure."""
    peers = figures[(figures["role"] == row["role"]) & (figures["rep_id"] != row["rep_id"])]
    rows = {c: peer_benchmark(peers[c], minimum) for c in columns if c in peers}
    return pd.DataFrame.from_dict(rows, orient="index")[["n", "q1", "median", "q3"]]


_SUBJECT_ARGS = {"wb", "workbook", "rep_id", "scope", "scope_id", "period"}


def section(kind: str, prepare: list[dict] | None = None):
    """Mark a pack section of a rep (``kind="rep"``: its ``rep_id``), of a unit (``"group"``:
    its ``scope`` and ``scope_id``), of the whole roster (``"roster"``) or an anonymous
    aggregate of the organisation, what works shared with every seller (``"aggregate"``).

    Under an active scope a section about another subject is refused. One that needs the whole
    organisation names in `prepare` the other arguments to compute it with (``[{}]``: none):
    :func:`enter` computes those before narrowing, and the section answers from them."""

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            if not _active:
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = _key(kind, name, bound.arguments)
            if prepare is None:
                return fn(*args, **kwargs)
            if key not in _active["sections"]:
                raise AccessRefused(
                    _(
                        "A pack reads what was prepared for its own subject and period; {section} with these arguments was not.",
                        section=fn.__name__,
                    )
                )
            result = _active["sections"][key]
            if isinstance(result, _Failed):
                raise result.exc
            return result

        name = f"{fn.__module__}.{fn.__qualname__}"
        _SECTIONS[name] = (fn, kind, prepare)
        return guarded

    return decorate


def _asked(kind: str, arguments: dict) -> Subject:
    if kind == "rep":
        return Subject.rep(arguments.get("rep_id"))
    if kind == "group":
        return Subject(arguments.get("scope") or "company", arguments.get("scope_id"))
    return _active["subject"]


def _key(kind: str, name: str, arguments: dict) -> tuple:
    """The section's subject (refused when outside the scope), period and other arguments."""
    subject, asked = _active["subject"], _asked(kind, arguments)
    if asked != subject:
        raise AccessRefused(
            _(
                "This pack is about {subject}; {asked} is outside it.",
                subject=subject.label(),
                asked=asked.label(),
            )
        )
    extras = tuple(sorted((k, repr(v)) for k, v in arguments.items() if k not in _SUBJECT_ARGS))
    return (name, asked, period_text(arguments.get("period")), extras)


def period_text(period) -> str:
    """A period as the scope keeps it: the pack's own when none is given."""
    return str(period) if period else _active["period"]


def figures(period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The batch figures under the scope: the subject's rows of the pack's period only."""
    if period_text(period) != _active["period"]:
        raise AccessRefused(
            _(
                "A pack reads its own period ({period}) only.",
                period=_active["period"],
            )
        )
    return _active["figures"].copy(), _active["trend"].copy()


def check_rep(rep_id) -> None:
    """Refuse a rep other than the pack's subject."""
    _key("rep", "", {"rep_id": rep_id})


def peer_benchmarks(period=None) -> pd.DataFrame:
    """The peers' aggregates of a rep's pack (see :func:`peer_table`)."""
    figures(period)  # the same period check
    return _active["peers"].copy()


class _Failed:
    """A section that failed while being prepared: raised again when a notebook asks for it."""

    def __init__(self, exc: Exception):
        self.exc = exc
