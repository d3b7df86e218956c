"""What `salescoach serve` adds to Voila: a kernel lives as long as its page, and the app is the
one way in.

Imported only by `salescoach serve` (it needs jupyter_server and Voila). Voila wraps
`PageKernelManager` into its preheating kernel manager, so kernels waiting in the pool are never
touched here; everything below is about kernels already handed to a page.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from jupyter_server._tz import utcnow
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Float, Unicode
from voila.app import Voila
from voila.handler import BaseVoilaHandler

from salescoach.i18n import _

# A page that drops its connection (a reload, a network blip) gets this long to reconnect
# before its kernel is shut down.
RELEASE_AFTER_S = 10.0
# A kernel handed to a page that never connects (a closed tab while loading, a bare GET)
# is shut down after this long without activity.
HANDOUT_GRACE_S = 60.0


class PageKernelManager(AsyncMappingKernelManager):
    """Shut a page's kernel down seconds after its page closed, not after the idle cull.

    A kernel holding a large workbook costs hundreds of MB; Voila keeps it until the idle
    culler runs. Here the last websocket closing schedules the shutdown, and a kernel that was
    handed to a page but never connected is shut down after `handout_grace` seconds idle.
    """

    release_after = Float(RELEASE_AFTER_S, config=True, help="Seconds a page may reconnect.")
    handout_grace = Float(
        HANDOUT_GRACE_S, config=True, help="Seconds a page may take to connect to its kernel."
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._first_culled: dict[str, datetime] = {}

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self._ever_connected.add(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id) == 0:
            IOLoop.current().call_later(self.release_after, self._release_if_unused, kernel_id)

    async def _release_if_unused(self, kernel_id: str) -> None:
        if kernel_id in self and not self._kernel_connections.get(kernel_id, 0):
            self.log.info(_("Kernel {kernel} shut down: its page closed", kernel=kernel_id))
            await self.shutdown_kernel(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self._ever_connected.discard(kernel_id)
        self._first_culled.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        kernel = self._kernels.get(kernel_id)
        if kernel is None or kernel_id in self._ever_connected:
            return await super().cull_kernel_if_idle(kernel_id)
        if getattr(kernel, "execution_state", None) in ("busy", "starting"):
            return None
        # Out of the pool, never connected: its last activity may be the preheat hours ago,
        # so the page is timed from the moment the culler first saw it out of the pool.
        seen = self._first_culled.setdefault(kernel_id, utcnow())
        since = max(seen, getattr(kernel, "last_activity", seen))
        if utcnow() - since > timedelta(seconds=self.handout_grace):
            self.log.info(_("Kernel {kernel} shut down: no page connected to it", kernel=kernel_id))
            await self.shutdown_kernel(kernel_id)
        return None


class ReportsHandler(JupyterHandler):
    """The rendered packs (``reports/``), read-only over HTTP: a browser refuses ``file://``
    links from an http page. Each file is handed out only to whom may see its pack (a rep
    their own, a manager their unit's), as the person the app's kernels act for."""

    @web.authenticated
    def get(self, path: str) -> None:
        import mimetypes

        from salescoach.data.store import default_author
        from salescoach.data.workbook import ENV_VAR, Workbook
        from salescoach.domain import access
        from salescoach.packs import render
        from salescoach.services.access import person_for

        wb = Workbook.open(os.environ[ENV_VAR])
        root = wb.reports_dir.resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise web.HTTPError(404)
        reps = wb.facts()["reps"]
        scope = render.pack_subject(target.relative_to(root).as_posix(), reps)
        if scope is None:
            raise web.HTTPError(404)
        person = person_for(wb, default_author(), served=True)
        why = access.refusal(person, "pack.render", access.Subject(*scope), reps)
        if why is not None:
            raise web.HTTPError(403, reason="Forbidden")
        kind, _encoding = mimetypes.guess_type(target.name)
        self.set_header("Content-Type", kind or "application/octet-stream")
        # A pack is a document, not an app: no script of its own runs on the app's origin.
        self.set_header("Content-Security-Policy", "script-src 'none'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.write(target.read_bytes())


class ToTheApp(BaseVoilaHandler):
    """Any other notebook or the folder listing leads to the app (keeping ?token=...)."""

    def initialize(self, app_path: str, **kwargs) -> None:
        super().initialize(**kwargs)
        self.app_path = app_path

    @web.authenticated
    def get(self, *_args) -> None:
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(url_path_join(self.base_url, self.app_path) + query)


class AppVoila(Voila):
    """Voila serving one notebook of a folder: the tree and the other notebooks redirect to it.

    Each page notebook opened alone would start a kernel of its own (12-28 s, hundreds of MB)
    for what the app shows in a tab.
    """

    app_notebook = Unicode("manager.ipynb", config=True, help="The one notebook served.")

    def init_handlers(self) -> list:
        app_path = url_path_join("voila/render", self.app_notebook)
        others = rf"/voila/render/(?!{self.app_notebook.replace('.', '[.]')}$).*"
        redirects = [
            (
                url_path_join(self.server_url, pattern),
                ToTheApp,
                {"app_path": app_path, "voila_configuration": self.voila_configuration},
            )
            for pattern in ("/", r"/voila/tree.*", others)
        ]
        from salescoach.packs.render import REPORTS_ROUTE

        reports = (url_path_join(self.server_url, REPORTS_ROUTE, "(.+)"), ReportsHandler)
        return [*redirects, reports, *(_cached(h) for h in super().init_handlers())]


def _cached(handler):
    """Voila serves the widget extensions' scripts with `Cache-Control: no-cache`, so every page
    load asks again for about thirty of them, one after another as each loads the next. Those
    asked for with `?v=` carry their content's hash there (webpack's contenthash): a changed
    file is another URL, so the browser may keep them (Tornado's long cache for `?v=`)."""
    if len(handler) == 3 and isinstance(handler[2], dict) and "no_cache_paths" in handler[2]:
        if str(handler[0]).endswith("/voila/labextensions/(.*)"):
            return (handler[0], handler[1], {**handler[2], "no_cache_paths": []})
    return handler
