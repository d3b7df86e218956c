"""The decisions store read once, for the review packs of one render batch.

A pack reads decisions about ten times (goals, coaching steps and sessions, awards, training
assignments), and each read opened the SQLite file and checked its schema. Within a batch the
decisions cannot change unseen: the batch's key covers every decision recorded
(:func:`salescoach.packs.batch.folder_for`). So a render worker reads every event once
(:func:`install`), and each pack process it forks answers the same reads from memory
(:class:`StoreSnapshot`), through the same `Store` methods and the same frame shapes.

A pack that writes a decision gets the real store for that call, and every later read in its
process goes to the real store again: a write is never lost and never read stale.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from salescoach.data.store import Event, Store, _frame, _require_text

# "every": all the events read, kept while `events` is narrowed to a pack's subject.
_state: dict = {"ident": None, "events": None, "url": None, "every": None}


class StoreSnapshot:
    """The read methods of :class:`salescoach.data.store.Store` over events read once."""

    def __init__(self, events: list[Event], url: str, opener):
        self._events = events
        self._url = url
        self._open = opener
        self._real: Store | None = None

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"StoreSnapshot({self._url!r})"

    def __enter__(self) -> StoreSnapshot:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._real is not None:
            self._real.close()

    def history(
        self, kind: str | None = None, key: str | None = None, key_prefix: str | None = None
    ) -> list[Event]:
        """As `Store.history`: oldest first, optionally one kind, one key or a key prefix."""
        if key is not None and key_prefix is not None:
            raise ValueError("Give either key or key_prefix, not both.")
        return [
            e
            for e in self._events
            if (kind is None or e.kind == kind)
            and (key is None or e.key == key)
            and (not key_prefix or e.key[: len(key_prefix)] == key_prefix)
        ]

    def current(self, kind: str) -> pd.DataFrame:
        """As `Store.current`: the latest event of each key of `kind`, sorted by key."""
        _require_text("kind", kind)
        latest: dict[str, Event] = {}
        for event in self._events:
            if event.kind == kind and (event.key not in latest or event.id > latest[event.key].id):
                latest[event.key] = event
        events = [latest[k] for k in sorted(latest)]
        return _frame(events, before=["key"], after=["at", "who", "why", "event_id"])

    def revision(self, kinds=None) -> tuple[int, int]:
        """As `Store.revision`: (how many events, the newest id) of `kinds`."""
        wanted = None if kinds is None else set(kinds)
        ids = [e.id for e in self._events if wanted is None or e.kind in wanted]
        return len(ids), max(ids, default=0)

    def frame(self, kind: str | None = None) -> pd.DataFrame:
        """As `Store.frame`: all events (or those of `kind`) oldest first."""
        return _frame(
            self.history(kind=kind),
            before=["event_id", "at", "who", "kind", "key"],
            after=["why", "supersedes"],
        )

    def __getattr__(self, name: str):
        # Anything but a read (append, dump, the engine): the real store, and no snapshot
        # from here on in this process, so what is written is what is read next.
        _state.update(ident=None, events=None, url=None, every=None)
        if self._real is None:
            self._real = self._open()
        return getattr(self._real, name)


def _ident(wb) -> tuple[str, str]:
    return str(Path(wb.data_dir).resolve()), str(wb.settings["store"]["url"] or "")


def install(wb) -> bool:
    """Read every event of `wb`'s store once and serve `Workbook.store()` reads of that
    workbook from them in this process and the processes it forks; False when the store
    cannot be read (a pack then opens it and says what is wrong)."""
    from salescoach.data.workbook import Workbook

    original = getattr(Workbook.store, "original", Workbook.store)
    try:
        with original(wb) as store:
            events, url = store.history(), store.url
    except Exception:  # noqa: BLE001 - no store yet: each read says so itself
        uninstall()
        return False
    _state.update(ident=_ident(wb), events=events, url=url, every=None)

    def store(self):
        if _state["events"] is not None and _ident(self) == _state["ident"]:
            return StoreSnapshot(_state["events"], _state["url"], lambda: original(self))
        return original(self)

    store.original = original
    Workbook.store = store
    return True


def narrow(keep: Callable[[Event], bool] | None) -> None:
    """Serve only the events `keep` accepts (a pack's subject: `packs.pack_scope`), or, with
    None, every event read again. Nothing to narrow when no snapshot is installed."""
    if _state["events"] is None:
        return
    every = _state["every"] if _state["every"] is not None else _state["events"]
    if keep is None:
        _state.update(events=every, every=None)
    else:
        _state.update(events=[e for e in every if keep(e)], every=every)


def uninstall() -> None:
    """Every `Workbook.store()` opens the real store again."""
    from salescoach.data.workbook import Workbook

    _state.update(ident=None, events=None, url=None, every=None)
    Workbook.store = getattr(Workbook.store, "original", Workbook.store)
