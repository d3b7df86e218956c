"""The per-pack task and the state one worker keeps for a whole batch.

:func:`render_pack` takes a plain dict (see :func:`salescoach.packs.render.tasks_for`) and returns a
plain dict, so a local process pool and a Dask worker run it alike.

Each pack runs in a process of its own, forked from the worker (:func:`run_forked`): the worker
has imported pandas, matplotlib, IPython, nbconvert and the kit once, opened the workbook and
read the batch's shared figures (:mod:`salescoach.services.batch`); the fork starts with all of
that and a fresh IPython shell, runs the notebook's cells, exports the HTML and exits. No
kernel is started and nothing is imported per pack, and nothing a pack leaves behind (a
variable, a module attribute, a pyplot figure) can reach the next one: the process that held it
is gone. Where ``os.fork`` is missing, a kept Jupyter kernel reset before every pack does the
work (:func:`execute`).

The worker keeps one nbconvert HTMLExporter on ``templates/pack`` and one Playwright Chromium
(the system executable), offline: every request is refused. Kernels and browsers are shut down
when the worker exits (and a kernel whose parent dies stops by itself: ipykernel polls its
parent).
"""

from __future__ import annotations

import atexit
import gc
import io
import os
import pickle
import select
import signal
import threading
import time
import traceback
from pathlib import Path

from salescoach.packs.export import (
    FIT_SCALE as FIT_SCALE,
    NEAR_EMPTY_LINES as NEAR_EMPTY_LINES,
    _local,
    offline as offline,
    pdf_pages as pdf_pages,
    to_html as to_html,
    to_pdf as to_pdf,
)
from salescoach.packs.kernel import (
    KERNEL_NAME as KERNEL_NAME,
    LAUNCH_ATTEMPTS as LAUNCH_ATTEMPTS,
    RESET_CODE as RESET_CODE,
    START_TIMEOUT as START_TIMEOUT,
    _register_engine,
    drop_kernel as drop_kernel,
    execute as execute,
)


def init_worker() -> None:
    """Process-pool initializer: quiet warnings that would only clutter the batch's output, and
    stop this worker's kernel and browser when the pool ends."""
    import warnings
    from multiprocessing import util

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # A pool worker leaves through os._exit, so atexit never runs there, and a forked child
    # starts with multiprocessing's finalizers cleared: registered here, in the worker, this
    # runs. Without it each worker's kernel outlived it and printed "Parent appears to have
    # exited" after the batch.
    util.Finalize(None, close, exitpriority=100)


# --------------------------------------------------------------------------------------------
# Kernel
# --------------------------------------------------------------------------------------------


_register_engine()


# --------------------------------------------------------------------------------------------
# A fresh process per pack, forked from a warmed worker
# --------------------------------------------------------------------------------------------

FORK = hasattr(os, "fork")
# What a worker prepared its forks with: (workbook, language, batch folder).
_warmed: dict = {}


def warm(task: dict) -> None:
    """Import and read, once per worker, what every pack of the batch needs, so each forked
    pack starts with it: the kit, pandas, matplotlib, IPython, the exporter, the workbook and
    the batch's shared figures. No user code runs here: the forks start clean."""
    params = task["parameters"]
    ident = (
        params.get("workbook"),
        params.get("lang", ""),
        params.get("period"),
        task.get("batch_cache"),
    )
    if _warmed.get("ident") == ident:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401 - a trainer's notebook may draw through pyplot
    import matplotlib_inline.backend_inline  # noqa: F401
    import papermill.parameterize  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    from salescoach import i18n
    from salescoach.data import store_snapshot
    from salescoach.domain import charts
    from salescoach.packs import batch as batch_prep
    from salescoach.services import batch, packs

    for module in ("diagnosis", "recognition", "training", "coaching", "monitoring"):
        __import__(f"salescoach.services.{module}")
    if task.get("batch_cache"):
        os.environ[batch.ENV] = task["batch_cache"]
        batch.activate(task["batch_cache"])
    else:
        os.environ.pop(batch.ENV, None)
        batch.activate(None)
    import nbformat

    # The pack template is compiled on its first use: here, once, not in every pack's process.
    to_html(nbformat.v4.new_notebook(), "warm", {})
    from papermill.iorw import load_notebook_node

    _notebook(task["notebook"], load_notebook_node, copy=False)
    _shell()
    packs.code_version()  # hashes the package's files: once per worker, not per pack
    # Fonts and the Agg canvas load on the first text drawn: once here, not in every pack.
    fig, _ax = charts.figure(title="warm")
    charts.to_png(fig)
    store_snapshot.uninstall()
    if params.get("workbook") and params.get("period"):
        try:
            language = i18n.active_language()
            book = packs.open_workbook(params["workbook"], params.get("lang", ""))
            batch_prep.read_facts_once(book)
            book.facts()  # read here, once: every pack's process starts with the tables
            store_snapshot.install(book)
            packs.batch_figures(book, params["period"])
            # The organisation's diagnosis, unpickled here once rather than in every pack.
            packs._diagnosis(book, packs.parse_period(book, params["period"]))
            _warm_formats(book)
            i18n.set_language(language)
        except Exception:  # noqa: BLE001 - the pack itself reports what is wrong
            pass
    _warmed["ident"] = ident


def _warm_formats(book) -> None:
    """Format an amount, a share, a date in the workbook's locale and the language's: Babel
    reads its locale data on first use (profiled: 0.29 s of every rep pack's process)."""
    import datetime as dt

    from salescoach.domain.fmt import Formatter

    try:
        currency = book.settings.currency
        for f in (Formatter.for_settings(book.settings), Formatter.for_active_language(currency)):
            f.money(1234.5), f.money(12.5), f.money_compact(1.5e6), f.pct(0.25), f.number(1234)
            f.date(dt.date(2026, 1, 31))
    except Exception:  # noqa: BLE001 - only a head start: a pack formats, and fails, itself
        pass


class PackFailed(Exception):
    """A pack's process ended without a notebook: its error, or how it ended."""


def run_forked(task: dict) -> str:
    """Run a pack's notebook and export its HTML in a process forked for it; returns the HTML.

    The fork runs the cells in a fresh IPython shell (:func:`_execute_in_shell`), so a cell's
    error is papermill's ``PapermillExecutionError``, as with a kernel. A pack running longer
    than ``task["timeout"]`` seconds is killed."""
    from salescoach.i18n import _

    warm(task)
    read_end, write_end = os.pipe()
    # The worker's objects go to the collector's permanent generation for the fork: the pack's
    # process then collects only what it made itself (`pack_scope.enter` collects; over the
    # whole worker heap that cost 0.2 s a pack, profiled, and copied every page it touched).
    # Garbage the pack makes of the worker's objects is freed by reference counting, and what
    # only a cycle holds stays out of `gc.get_objects()`. The worker collects as before.
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        raise
    if pid != 0:
        gc.unfreeze()
    if pid == 0:  # the pack's process: never returns, never runs the worker's exit handlers
        status = 1
        try:
            os.close(read_end)
            payload = _child(task)
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + max(1, int(task.get("timeout") or 600))
    try:
        while True:
            left = deadline - time.monotonic()
            ready, _w, _x = select.select([read_end], [], [], max(0.0, left))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise PackFailed(
                    _("the pack took longer than {seconds} s", seconds=task.get("timeout"))
                )
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _pid, status, usage = os.wait4(pid, 0)
        _local.pack_rss = usage.ru_maxrss
    if not chunks:
        raise PackFailed(_("the pack's process ended with status {status}", status=status))
    payload = pickle.loads(b"".join(chunks))
    if "error" in payload:
        raise payload["error"]
    return payload["markup"]


def _child(task: dict) -> dict:
    """In the pack's process: run the notebook, export it; an error is sent back, not raised."""
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # input() in a cell fails instead of waiting for ever
        os.chdir(task["cwd"])
        _enter_scope(task)
        nb = _execute_in_shell(task["notebook"], task["parameters"])
        return {"markup": to_html(nb, task["title"], task["branding"])}
    except BaseException as exc:  # noqa: BLE001 - the worker reports it
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an exception that cannot travel goes as text
            exc = PackFailed(f"{type(exc).__name__}: {exc}")
        return {"error": exc}


_NOTEBOOKS: dict[tuple, object] = {}


def _notebook(path: str, load, copy: bool = True):
    """A copy of the notebook at `path`, read and validated once per worker (its size and time
    in the key: an edited notebook is read again). `copy=False` in a pack's own process: what
    it changes in the notebook dies with it, and the worker's stays as read."""
    import copy as copying

    stat = os.stat(path)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _NOTEBOOKS:
        _NOTEBOOKS[key] = load(path)
    return copying.deepcopy(_NOTEBOOKS[key]) if copy else _NOTEBOOKS[key]


_OUTPUTS: list = []  # the running cell's outputs, filled by the shell's hooks


def _scope_call(task: dict) -> str:
    """The call that narrows a pack's process to its subject (`pack_scope.enter`)."""
    spec, params = task["spec"], task["parameters"]
    return (
        "from salescoach.packs import pack_scope as _sc_scope\n"
        "from salescoach.domain.access import Subject as _sc_subject\n"
        f"_sc_scope.enter({params.get('workbook', '.')!r}, "
        f"_sc_subject({spec['kind']!r}, {spec.get('scope_id')!r}), "
        f"{params.get('period', '')!r}, {params.get('lang', '')!r})\n"
        "del _sc_scope, _sc_subject\n"
    )


def _enter_scope(task: dict) -> None:
    """Before the notebook's first cell: its process sees the pack's subject only. A task
    without a subject (a notebook run on its own, not one of a batch's packs) is not narrowed."""
    from salescoach.domain.access import Subject
    from salescoach.packs import pack_scope

    if "spec" not in task:
        return
    spec, params = task["spec"], task["parameters"]
    pack_scope.enter(
        params.get("workbook", "."),
        Subject(spec["kind"], spec.get("scope_id")),
        params.get("period", ""),
        params.get("lang", ""),
    )


def _shell():
    """The IPython shell packs run in, built once per worker (a third of a pack's set-up,
    profiled) and never used by the worker itself: each pack's process starts with the pristine
    copy its fork gives it, so no pack sees another's variables."""
    import nbformat
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type
    from traitlets.config import Config

    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    outputs = _OUTPUTS

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            outputs.append(
                nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})
            )

        def clear_output(self, wait=False):
            outputs.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            outputs.append(
                nbformat.v4.new_output(
                    "execute_result",
                    data=format_dict,
                    metadata=md_dict or {},
                    execution_count=self.shell.execution_count,
                )
            )

        def finish_displayhook(self):
            self._is_active = False

    class PackShell(InteractiveShell):
        displayhook_class = Type(Hook)
        display_pub_class = Type(Publisher)

    config = Config()
    config.HistoryManager.enabled = False
    shell = PackShell.instance(config=config)
    try:
        # As in a kernel: a pyplot figure left open shows under its cell.
        shell.enable_matplotlib("inline")
    except Exception:  # noqa: BLE001 - no matplotlib-inline: figures are shown explicitly
        pass
    return shell


class _Stream(io.TextIOBase):
    """A cell's stdout or stderr, collected as the notebook's stream output."""

    def __init__(self, name):
        self.name = name

    def writable(self):
        return True

    def write(self, text):
        import nbformat

        if _OUTPUTS and _OUTPUTS[-1].get("name") == self.name:
            _OUTPUTS[-1]["text"] += text
        else:
            _OUTPUTS.append(nbformat.v4.new_output("stream", name=self.name, text=text))
        return len(text)


def _execute_in_shell(notebook: str, parameters: dict):
    """Run a notebook's code cells in order in the pack's IPython shell, collecting their
    outputs as a kernel would (streams, display data, the last expression's value); returns
    the notebook. Only ever called in a pack's own process."""
    import sys

    import nbformat
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = _notebook(notebook, load_notebook_node, copy=False)  # a pack's process: its own
    if parameters:
        nb = parameterize_notebook(
            nb, parameters, report_mode=True, kernel_name=KERNEL_NAME, language="python"
        )
        for cell in nb.cells:
            # papermill gives the cell it adds a random id, which the HTML carries: the same
            # pack rendered twice (locally, on a Dask worker) must be the same bytes.
            if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                cell["id"] = "injected-parameters"
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
    shell = _shell()
    outputs = _OUTPUTS
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs.clear()
        result = shell.run_cell(cell.source, store_history=True, silent=False)
        cell.execution_count = shell.execution_count - 1
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            ename, evalue = type(error).__name__, str(error)
            outputs.append(
                nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
            )
            cell.outputs = list(outputs)
            raise PapermillExecutionError(
                index, cell.execution_count, cell.source, ename, evalue, []
            )
        cell.outputs = list(outputs)
    return nb


# --------------------------------------------------------------------------------------------
# HTML and PDF
# --------------------------------------------------------------------------------------------


def close() -> None:
    """Stop the worker's kernel and browser."""
    drop_kernel()
    browser = getattr(_local, "browser", None)
    pw = getattr(_local, "playwright", None)
    _local.browser = _local.playwright = _local.page = None
    for thing in (browser, pw):
        if thing is not None:
            try:
                thing.close() if thing is browser else thing.stop()
            except Exception:  # noqa: BLE001
                pass


atexit.register(close)


# --------------------------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------------------------


def private(check: dict, markup: str, parts: dict[str, Path]) -> dict | None:
    """None when a rep's pack names no other rep; else why it must not be kept: the names
    and ids found, or that its PDF's text could not be read (no pdftotext)."""
    from salescoach.packs import privacy

    scanner = privacy.Scanner(check["people"], check["own"])
    try:
        found = privacy.scan_files(scanner, parts, markup)
    except privacy.ScanUnavailable:
        return {"unavailable": privacy.ScanUnavailable.tool}
    if not found:
        return None
    return {"found": sorted({leak.found for leak in found})}


def render_pack(task: dict) -> dict:
    """Render one pack; never raises: the result says rendered or failed, with the error.

    A rep's pack is scanned for other reps (`task["privacy"]`) before its files are moved into
    place, so a refused or unscanned pack never reaches ``reports/``."""
    started = time.perf_counter()
    tmp = Path(task["tmp"])
    tmp.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    try:
        if FORK:
            markup = run_forked(task)
        else:
            nb = execute(
                task["notebook"],
                task["parameters"],
                task["cwd"],
                task["timeout"],
                _scope_call(task),
            )
            markup = to_html(nb, task["title"], task["branding"])
        finals = []
        for fmt, final in task["outputs"].items():
            part = tmp / f"{os.getpid()}-{threading.get_ident()}-{Path(final).name}.part"
            parts.append(part)
            if fmt == "html":
                part.write_text(markup, encoding="utf-8")
            else:
                to_pdf(markup, part, task["branding"].get("paper", "A4"))
            finals.append((part, Path(final)))
        refused = (
            private(task["privacy"], markup, {f: p for f, p in zip(task["outputs"], parts)})
            if task.get("privacy")
            else None
        )
        if refused:
            # An older pack of this rep is removed too: the batch says this pack is not to go out.
            for path in [*parts, *(final for _p, final in finals), Path(task["state"])]:
                path.unlink(missing_ok=True)
            return {
                "spec": task["spec"],
                "status": "failed",
                "paths": [],
                "privacy": refused,
                "seconds": time.perf_counter() - started,
                "memory": memory(),
            }
        for part, final in finals:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)
        state = Path(task["state"])
        state.parent.mkdir(parents=True, exist_ok=True)
        state_part = tmp / f"{os.getpid()}-{threading.get_ident()}-{state.name}.part"
        state_part.write_text(task["hash"], encoding="utf-8")
        os.replace(state_part, state)
        return {
            "spec": task["spec"],
            "status": "rendered",
            "paths": [str(f) for _p, f in finals],
            "seconds": time.perf_counter() - started,
            "memory": memory(),
        }
    except Exception as exc:  # noqa: BLE001 - one pack's failure never stops the batch
        for part in parts:
            part.unlink(missing_ok=True)
        return {
            "spec": task["spec"],
            "status": "failed",
            "paths": [],
            "error": _short_error(exc),
            "trace": traceback.format_exc(limit=5),
            "seconds": time.perf_counter() - started,
            "memory": memory(),
        }


def memory() -> dict:
    """Peak resident memory in MB of this worker and of its last pack's process."""
    import resource

    return {
        "worker_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pack_mb": getattr(_local, "pack_rss", 0) / 1024,
    }


def _short_error(exc: Exception) -> str:
    """One line: papermill's cell errors carry the notebook's exception name and message."""
    ename = getattr(exc, "ename", None)
    if ename:
        return f"{ename}: {getattr(exc, 'evalue', '')}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
