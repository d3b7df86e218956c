"""The per-pack task and the state one worker keeps for a whole batch.

:func:`render_pack` takes a plain dict (see :func:`salescoach.render.tasks_for`) and returns a
plain dict, so a local process pool and a Dask worker run it alike. Each worker thread keeps:

- one Jupyter kernel (IPC transport), started with retries and reset before every pack; the
  reset fails the pack unless the user namespace is then empty, so no rep's data can reach the
  next rep's pack. A pack that fails or times out restarts the kernel.
- one nbconvert HTMLExporter on ``templates/pack``;
- one Playwright Chromium (the system executable), offline: every request is refused.

Kernels and browsers are shut down when the worker exits (and a kernel whose parent dies stops
by itself: ipykernel polls its parent).
"""

from __future__ import annotations

import atexit
import os
import re
import tempfile
import threading
import time
import traceback
from pathlib import Path

KERNEL_NAME = "python3"
LAUNCH_ATTEMPTS = 4
START_TIMEOUT = 60

RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import sys as _sc_sys
if "matplotlib.pyplot" in _sc_sys.modules:
    _sc_sys.modules["matplotlib.pyplot"].close("all")
_sc_ip = get_ipython()
_sc_left = [k for k in _sc_ip.user_ns if not k.startswith("_") and k not in _sc_ip.user_ns_hidden]
assert not _sc_left, f"kernel state survived the reset: {_sc_left}"
del _sc_sys, _sc_ip, _sc_left
"""

_local = threading.local()


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


def _start_kernel(cwd: str):
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    last = None
    for attempt in range(LAUNCH_ATTEMPTS):
        sockets = tempfile.mkdtemp(prefix="sc-kernel-")
        km = AsyncKernelManager(
            kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(sockets, "k")
        )
        try:
            run_sync(km.start_kernel)(cwd=cwd, extra_arguments=["--HistoryManager.enabled=False"])
            return km
        except Exception as exc:  # noqa: BLE001 - ZMQ races and slow starts: try again
            last = exc
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001
                pass
            time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"kernel did not start after {LAUNCH_ATTEMPTS} attempts: {last}")


def _kernel(cwd: str):
    km = getattr(_local, "km", None)
    if km is None or not km.has_kernel:
        km = _start_kernel(cwd)
        _local.km = km
    return km


def drop_kernel() -> None:
    """Shut the worker's kernel down (after a failure, a timeout, or at exit)."""
    from jupyter_core.utils import run_sync

    km = getattr(_local, "km", None)
    _local.km = None
    if km is not None:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001
            pass


def _reset_cell():
    import nbformat

    cell = nbformat.v4.new_code_cell(RESET_CODE)
    cell.metadata["tags"] = ["salescoach-reset", "remove_cell"]
    return cell


def execute(notebook: str, parameters: dict, cwd: str, timeout: int):
    """Run a pack notebook in the worker's kernel with papermill; returns the executed notebook."""
    import nbformat
    import papermill as pm

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, _reset_cell())
    km = _kernel(cwd)
    ok = False
    try:
        out = pm.execute_notebook(
            nb,
            None,
            parameters=parameters,
            engine_name="salescoach",
            kernel_name=KERNEL_NAME,
            km=km,
            progress_bar=False,
            log_output=False,
            start_timeout=START_TIMEOUT,
            execution_timeout=timeout,
            report_mode=True,
        )
        ok = True
        return out
    finally:
        if not ok:
            drop_kernel()


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class KeptKernelEngine(NBClientEngine):
        """nbclient on a kernel the worker keeps; closes its client's channels after each pack."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            client = PapermillNotebookClient(
                nb_man,
                km=kwargs["km"],
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=False,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register("salescoach", KeptKernelEngine)


_register_engine()


# --------------------------------------------------------------------------------------------
# HTML and PDF
# --------------------------------------------------------------------------------------------

_REMOTE = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//[^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//[^>]*>""",
    re.IGNORECASE,
)


def _exporter():
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        from salescoach.render import TEMPLATE, TEMPLATES

        exporter = HTMLExporter(
            template_name=TEMPLATE,
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        exporter.register_preprocessor(_remove_tagged, enabled=True)
        _local.exporter = exporter
    return exporter


def _remove_tagged(nb, resources):
    nb.cells = [c for c in nb.cells if "remove_cell" not in c.get("metadata", {}).get("tags", [])]
    return nb, resources


def offline(markup: str) -> str:
    """Drop every script or stylesheet that would be fetched from the network."""
    return _REMOTE.sub("", markup)


def to_html(nb, title: str, branding: dict) -> str:
    nb.metadata["title"] = title
    body, _resources = _exporter().from_notebook_node(
        nb, resources={"pack": branding, "language_code": branding.get("language", "en")}
    )
    return offline(body)


def _browser():
    browser = getattr(_local, "browser", None)
    if browser is None or not browser.is_connected():
        from playwright.sync_api import sync_playwright

        from salescoach import browser as system_browser

        pw = getattr(_local, "playwright", None)
        if pw is None:
            pw = sync_playwright().start()
            _local.playwright = pw
        browser = system_browser.launch(pw, timeout=60_000)
        _local.browser = browser
    return browser


def to_pdf(markup: str, path: Path, paper: str) -> None:
    """Print HTML to a PDF file through the worker's Chromium, refusing every network request."""
    page = getattr(_local, "page", None)
    if page is None or page.is_closed() or not _browser().is_connected():
        context = _browser().new_context(offline=True)
        context.route("**/*", lambda route: route.abort())
        page = context.new_page()
        _local.page = page
    try:
        page.set_content(markup, wait_until="load")
        page.pdf(path=str(path), format=paper, print_background=True, prefer_css_page_size=True)
    except Exception:
        _local.page = None
        page.context.close()
        raise


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
    from salescoach import privacy

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
        nb = execute(task["notebook"], task["parameters"], task["cwd"], task["timeout"])
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
        }


def _short_error(exc: Exception) -> str:
    """One line: papermill's cell errors carry the notebook's exception name and message."""
    ename = getattr(exc, "ename", None)
    if ename:
        return f"{ename}: {getattr(exc, 'evalue', '')}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
