"""Organisation-wide figures computed once per render batch and read by every pack.

A rep's pack needs the whole organisation's diagnosis (to explain the rep's gap), the award
standings, the training status and what works; each is the same for every pack of a batch. The
render parent computes them once (:func:`prepare`) into a folder of pickles under
``salescoach-data/packs/batch/<key>/``, and the pack kernels read them (:func:`activate`, or
the ``SALESCOACH_BATCH_CACHE`` variable the worker sets) instead of computing them again.

The folder's key covers what the figures are made of: the facts snapshot, the goals in force,
the whole settings and the code version (:func:`salescoach.services.packs.batch_key`), every
decision recorded (award decisions change standings) and the day (a period still under way is
judged as of today). Within the folder an entry is named after the function, its arguments and
the active language. A function given another workbook than the folder's computes as usual.

The cached functions are marked with :func:`shared`; without an active folder they run
unchanged, so a notebook or the app sees the same figures with or without a batch.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

ENV = "SALESCOACH_BATCH_CACHE"

MANIFEST = "manifest.json"


# The active folder and its entries (pickled bytes), read once per process: a pack process
# forked from a warmed worker inherits them and unpickles a fresh copy per call.
_state: dict = {"folder": None, "root": None, "entries": {}, "writable": False, "env": None}


def activate(folder: str | Path | None, writable: bool = False) -> None:
    """Read cached figures from `folder` (None: stop); `writable`: store what is computed."""
    _state.update(folder=None, root=None, entries={}, writable=False)
    if folder is None:
        return
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if not writable:
            return
        manifest = None
    entries = {p.stem: p.read_bytes() for p in folder.glob("*.pickle")}
    _state.update(
        folder=folder,
        root=manifest["root"] if manifest else None,
        entries=entries,
        writable=writable,
    )


def active() -> Path | None:
    """The folder read from, after the environment's (``SALESCOACH_BATCH_CACHE``) is taken up."""
    from salescoach.services import scope as pack_scope

    if pack_scope.active() is not None:
        return None  # a pack's process reads the organisation's figures through its scope only
    env = os.environ.get(ENV)
    if env and _state["folder"] is None and _state["env"] != env:
        activate(env)
        _state["env"] = env  # tried once: a folder without a manifest is not read again
    return _state["folder"]


def _identity(value) -> str:
    """A stable text for an argument: periods and dates by their text, frames refused."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _entry_name(name: str, arguments: dict) -> str:
    from salescoach.i18n import active_language
    from salescoach.services.access import login

    # Words follow the language, and what a service returns follows who asks (access.toml).
    text = json.dumps(
        {k: _identity(v) for k, v in arguments.items()}
        | {"lang": active_language(), "login": login()},
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _same_workbook(wb) -> bool:
    root = getattr(wb, "root", None)
    return root is not None and str(Path(root).resolve()) == _state["root"]


def _store(entry: str, data: bytes) -> None:
    folder = _state["folder"]
    part = folder / f".{entry}.{os.getpid()}.part"
    part.write_bytes(data)
    os.replace(part, folder / f"{entry}.pickle")


def shared(name: str, normalise: Callable[..., dict] | None = None):
    """Mark an organisation-wide function of `(wb, ...)`: within an active batch folder its
    result is read from the folder (computed and stored once when the folder is writable).

    `normalise(wb, **arguments)` returns the arguments that identify the result (a period as
    text, `today` resolved to a date); by default every argument but the workbook."""

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            if active() is None or not _same_workbook(args[0] if args else kwargs.get("wb")):
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            wb = arguments.pop(next(iter(signature.parameters)))
            key = normalise(wb, **arguments) if normalise else arguments
            entry = _entry_name(name, key)
            data = _state["entries"].get(entry)
            if data is None:
                result = fn(*args, **kwargs)
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                _state["entries"][entry] = data
                if _state["writable"]:
                    _store(entry, data)
            # A fresh copy each call: a caller that changes what it got changes only its copy.
            return pickle.loads(data)

        cached.uncached = fn
        return cached

    return decorate
