"""A render batch prepared: what every pack reads about the whole organisation (each rep's
figures and trend, the diagnosis, award standings, training status, what works) computed once,
on facts read once, into the batch's folder, before the first pack. The folder's key covers the
facts, the goals, the whole settings, the code version, every decision recorded and the day.

The cache itself (the folder, :func:`salescoach.services.batch.shared`) is a service: the
services read through it. This module, which runs them, sits above them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from salescoach.domain import actuals
from salescoach.services.batch import MANIFEST, activate


def _decisions_digest(wb) -> str:
    """Identity of every decision recorded: the number of events and the last event's id."""
    try:
        with wb.store() as store:
            frame = store.frame()
    except Exception:  # noqa: BLE001 - a new workbook has no store yet
        return "none"
    if frame.empty:
        return "0"
    return f"{len(frame)}-{frame['event_id'].astype(str).iloc[-1]}"


def folder_for(wb, period) -> Path:
    """The batch folder of a workbook and period (not created)."""
    from salescoach.services import packs

    p = packs.parse_period(wb, period)
    h = hashlib.sha256()
    for part in (packs.batch_key(wb, p), _decisions_digest(wb), dt.date.today().isoformat()):
        h.update(part.encode())
        h.update(b"\0")
    return wb.data_dir / "packs" / "batch" / f"{p}-{h.hexdigest()[:16]}"


def period_text(wb, period) -> str:
    """A period argument as the text it names (None: the services' default period)."""
    from salescoach.services import packs

    return str(packs.parse_period(wb, period))


def prepare(wb, period, steps: dict[str, Callable] | None = None) -> Path:
    """Compute the organisation-wide figures of a batch into its folder; returns the folder.

    A step that fails (its data missing) is left out: the pack that needs it computes it and
    says what is missing, as it would without a batch."""
    folder = folder_for(wb, period)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    if not manifest.exists():
        part = folder / f".{MANIFEST}.{os.getpid()}.part"
        part.write_text(json.dumps({"root": str(Path(wb.root).resolve())}), encoding="utf-8")
        os.replace(part, manifest)
    activate(folder, writable=True)
    # Every step reads the whole facts: from Parquet once here, not once per step (profiled:
    # a fifth of the batch's time at scale 1 was the same files read again).
    undo = read_facts_once(wb)
    try:
        with actuals.reusing_events():
            for step in (steps if steps is not None else default_steps()).values():
                try:
                    step(wb, period_text(wb, period))
                except Exception:  # noqa: BLE001 - each pack says what it lacks
                    continue
    finally:
        undo()
        activate(None)
    return folder


def compute_shared(wb, period) -> Path:
    """Everything a render batch shares, before its first pack: every rep's figures and trend
    (`packs.batch_figures`) and the organisation-wide figures (:func:`prepare`), on facts read
    once. Returns the batch folder."""
    from salescoach.services import packs

    undo = read_facts_once(wb)
    try:
        with actuals.reusing_events():
            packs.batch_figures(wb, period)
            return prepare(wb, period)
    finally:
        undo()


def read_facts_once(book) -> Callable[[], None]:
    """Read the workbook's facts once and hand every `Workbook.facts()` of the same snapshot
    shallow copies of them instead of a read from Parquet per call; returns the undo.

    A copy per call keeps one reader's change to a frame out of the next, as a fresh read
    would (pandas copies on write). Another snapshot (a new import) is read as usual."""
    from salescoach.data.workbook import Facts, Workbook

    previous = Workbook.facts
    read = getattr(previous, "read", previous)  # the original, not an earlier batch's

    def undo() -> None:
        Workbook.facts = previous

    snapshot = book.current_snapshot()
    if snapshot is None or getattr(previous, "snapshot", None) == snapshot:
        return undo  # nothing to read, or read already by the caller
    tables: dict = {}  # read on the first call: a batch whose figures are all cached reads none

    def facts(self) -> Facts:
        if self.current_snapshot() != snapshot:
            return read(self)
        if not tables:
            tables.update(read(book).all())
        fresh = Facts(snapshot)
        fresh._cache = {name: frame.copy(deep=False) for name, frame in tables.items()}
        return fresh

    facts.read = read
    facts.snapshot = snapshot
    Workbook.facts = facts
    return undo


def default_steps() -> dict[str, Callable]:
    """What every pack of a batch reads about the whole organisation."""
    from salescoach.services import diagnosis, recognition, training

    return {
        "diagnosis": lambda wb, p: diagnosis.run(wb, p),
        "awards": lambda wb, p: recognition.inputs(wb, p),
        "training": lambda wb, p: training.status(wb, p),
        "what_works": lambda wb, p: training.what_works(wb, p),
        "insights": lambda wb, p: training.insight_tables(wb, p),
    }
