"""The papermill path of a render worker (when processes cannot fork): one kernel per worker,
reused pack after pack with its state reset between them, started over IPC (no TCP warnings)
and retried when parallel launches race for their ports (papermill issues 239 and 511)."""

from __future__ import annotations

import os
import tempfile
import time

from salescoach.packs.export import (
    _local,
)

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


def execute(notebook: str, parameters: dict, cwd: str, timeout: int, scope: str = ""):
    """Run a pack notebook in the worker's kernel with papermill; returns the executed notebook.

    `scope` (:func:`_scope_call`) runs first, so the kernel sees the pack's subject only."""
    import nbformat
    import papermill as pm

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, _reset_cell())
    if scope:
        cell = nbformat.v4.new_code_cell(scope)
        cell.metadata["tags"] = ["salescoach-scope", "remove_cell"]
        nb.cells.insert(1, cell)
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
