"""A pack's process sees its subject only: a rep's own rows, a team's or a department's.

A review pack runs a notebook, the kit's or a trainer's, in a process of its own
(:mod:`salescoach.packs.render_worker`). Before the first cell runs, :func:`enter` narrows everything
the kit hands that process to the pack's subject:

- ``Workbook.facts()`` (every :class:`~salescoach.data.workbook.Facts`) holds only the subject's
  rows: the reps, deals, orders, activities, service cases, feedback and training records
  of the reps in scope, and the targets of the units wholly inside it;
- the decisions store (``Workbook.store()``) reads only the subject's goals, coaching, awards
  and training decisions, and writes nothing (a pack reads);
- the batch figures (``packs.batch_figures``) hold the subject's rows only; peers appear only
  as anonymous aggregates (:func:`peer_benchmarks`: count, quartiles, and NaN below the
  workbook's ``packs.min_peers``);
- the pack sections that need the whole organisation (the diagnosis, award standings,
  training status, the peers' quartiles) are computed for the subject *before* the narrowing
  and kept; asked about anyone else, they refuse (:class:`~salescoach.domain.access.AccessRefused`).

Then the organisation-wide state the worker prepared (the batch's figures and pickles, the
facts it read once, the privacy scan's name caches) is dropped from the process, so nothing a
notebook reaches through the kit holds another rep's row. A notebook is still Python run as
the workbook's owner: it could open the workbook's files itself. The text scan of every rep's
pack (:mod:`salescoach.packs.privacy`) stays as the second line against that.

A company pack needs no narrowing: it is sales operations' and covers everyone.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

import pandas as pd

from salescoach.domain import access
from salescoach.domain.access import AccessRefused, Subject
from salescoach.i18n import _
from salescoach.services.scope import (
    _SECTIONS,
    SECTION_MODULES,
    _active,
    _Failed,
    event_in_scope,
    narrow_table,
    peer_table,
)

# The kit's unscoped readers, kept to read a table or an event before narrowing it.
_originals: dict[str, Callable] = {}
# The snapshot's tables narrowed to the subject when the pack's process entered its scope:
# {"folder": the snapshot, "tables": {name: frame}}. Narrowed from the tables the worker read
# once, so a pack reads no Parquet (profiled: half a rep pack's process, 0.5 s at scale 1).
_narrowed: dict = {}


# --------------------------------------------------------------------------------------------
# Entering a scope
# --------------------------------------------------------------------------------------------


def enter(workbook, subject: Subject, period: str, lang: str = "") -> None:
    """Narrow this process to a pack's subject (see the module's docstring). Call it once, in
    the pack's own process, before the notebook's first cell."""
    import importlib

    from salescoach.services import packs

    for module in SECTION_MODULES:  # their sections register on import: before narrowing
        importlib.import_module(module)
    leave()
    if subject.scope == "company":
        return
    book = packs.open_workbook(workbook, lang)
    p = packs.parse_period(book, period or None)
    reps = book.facts()["reps"]
    person = access.Person(
        f"pack:{subject.scope_id}",
        access.REP if subject.scope == "rep" else access.MANAGER,
        subject.scope,
        subject.scope_id,
    )
    mine = set(access.visible_reps(person, reps)["rep_id"].astype(str))
    units = access.visible_units(person, reps)
    all_figures, all_trend = packs.batch_figures(book, p)
    state = {
        "subject": subject,
        "period": str(p),
        "reps": mine,
        "units": units,
        "figures": all_figures[all_figures["rep_id"].astype(str).isin(mine)].copy(),
        "trend": all_trend[all_trend["rep_id"].astype(str).isin(mine)].copy(),
        "peers": pd.DataFrame(columns=["n", "q1", "median", "q3"]),
        "sections": {},
    }
    minimum = int(book.settings["packs"]["min_peers"])
    if subject.scope == "rep":
        own = all_figures[all_figures["rep_id"].astype(str) == str(subject.scope_id)]
        if len(own):
            state["peers"] = peer_table(all_figures, own.iloc[0], packs.FIGURE_COLUMNS, minimum)
    for name, (fn, kind, prepare) in _SECTIONS.items():
        if prepare is None or (kind == "rep") != (subject.scope == "rep"):
            continue  # rep sections in a rep's pack; unit, roster and aggregates in a unit's
        for extra in prepare:
            arguments = {"period": str(p), **extra}
            if kind == "rep":
                arguments["rep_id"] = subject.scope_id
            elif kind == "group":
                arguments.update(scope=subject.scope, scope_id=subject.scope_id)
            try:
                result = fn(book, **arguments)
            except Exception as exc:  # noqa: BLE001 - the notebook that asks gets the error
                result = _Failed(exc)
            if kind == "roster" and isinstance(result, pd.DataFrame):
                result = result[result.index.astype(str).isin(mine)]
            extras = tuple(sorted((k, repr(v)) for k, v in extra.items()))
            state["sections"][(name, subject, str(p), extras)] = result
    del all_figures, all_trend, reps
    held = _held_tables(book)
    _narrowed.update(
        folder=held[0],
        tables={name: narrow_table(name, frame, mine, units) for name, frame in held[1].items()},
    )
    del held
    _forget(packs)
    _active.update(state)
    _install()  # after the state: the read-once store is narrowed to its reps
    gc.collect()


def _held_tables(book) -> tuple:
    """(snapshot, tables) the worker read once for every pack (`packs.batch.read_facts_once`),
    or (None, {}) when it read none (a kept kernel's pack, a notebook run on its own): the
    tables are then read from Parquet when first asked for, and narrowed then."""
    from salescoach.data.workbook import Workbook

    if getattr(Workbook.facts, "read", None) is None:
        return None, {}
    facts = book.facts()
    # Only what is in memory already: the read-once store reads every table on first use.
    return facts.folder, facts.held()


def leave() -> None:
    """Undo :func:`enter` (a kept kernel renders the next pack in the same process)."""
    _active.clear()
    _narrowed.clear()
    if _originals:
        from salescoach.data.store import Store
        from salescoach.data.workbook import Facts

        Facts.get = _originals["Facts.get"]
        for name in ("history", "current", "append", "append_many", "restore", "dump"):
            setattr(Store, name, _originals[f"Store.{name}"])
        from salescoach.data import store_snapshot

        store_snapshot.narrow(None)
        _originals.clear()


def _forget(packs) -> None:
    """Drop the organisation-wide state the worker prepared for every pack of the batch."""
    from salescoach.data.workbook import Workbook
    from salescoach.packs import privacy
    from salescoach.services import batch

    for cache in (
        packs._CACHE,
        packs._QUICK,
        packs._DEALS,
        packs._DIAGNOSES,
        packs._OVERVIEWS,
        packs._WORKBOOKS,
    ):
        cache.clear()
    os.environ.pop(batch.ENV, None)
    batch.activate(None)
    batch._state["env"] = None
    # The worker's read-once facts (`render_worker._read_facts_once`) hold every table.
    read = getattr(Workbook.facts, "read", None)
    if read is not None:
        Workbook.facts = read
    for value in vars(privacy).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


def _install() -> None:
    """Narrow the kit's readers of facts and decisions to the active scope."""
    from salescoach.data import store as store_module
    from salescoach.data.store import Store
    from salescoach.data.workbook import Facts

    _originals["Facts.get"] = Facts.get
    for name in ("history", "current", "append", "append_many", "restore", "dump"):
        _originals[f"Store.{name}"] = getattr(Store, name)

    def get(self, name):
        if name not in self._cache and self.folder is not None:
            held = _narrowed.get("tables", {}) if _narrowed.get("folder") == self.folder else {}
            if name in held:
                # A copy per Facts, as a read would be: one reader's change stays its own.
                self._cache[name] = held[name].copy(deep=False)
        if name not in self._cache:
            # Read on a throwaway Facts, so the unnarrowed frame is cached nowhere.
            frame = _originals["Facts.get"](type(self)(self.folder), name)
            if frame is None:
                return None
            self._cache[name] = narrow_table(name, frame, _active["reps"], _active["units"])
        return self._cache[name]

    def history(self, kind=None, key=None, key_prefix=None):
        events = _originals["Store.history"](self, kind, key, key_prefix)
        return [e for e in events if event_in_scope(e, _active["reps"], _active["units"])]

    def current(self, kind):
        latest = {}
        for event in history(self, kind):
            latest[event.key] = event
        events = [latest[k] for k in sorted(latest)]
        return store_module._frame(events, before=["key"], after=["at", "who", "why", "event_id"])

    def refused(self, *args, **kwargs):
        raise AccessRefused(_("A review pack reads decisions; it records none."))

    Facts.get = get
    Store.history, Store.current = history, current
    Store.append = Store.append_many = Store.restore = Store.dump = refused
    # The batch's read-once store (`data.store_snapshot`) answers `Workbook.store()` reads
    # without going through `Store`: its events are narrowed too, or every rep's coaching
    # notes would reach the pack. A write through it opens the real, refusing store.
    from salescoach.data import store_snapshot

    store_snapshot.narrow(lambda e: event_in_scope(e, _active["reps"], _active["units"]))
