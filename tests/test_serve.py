"""`salescoach serve`: who may connect, what a page load asks for, how long a kernel lives.

The first tests read the configuration and the template without a server. The served tests
start one server for the module (a pool of one preheated kernel) on a copy of the sample
workbook, drive the system Chromium through Playwright, and stop the server by PID.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.cli.common import UserError
from salescoach.cli.serve import (
    APP_NOTEBOOK,
    MIN_TOKEN_CHARS,
    RESOURCES,
    TEMPLATE,
    check_access,
    voila_config,
)

APP_PATH = f"/voila/render/{APP_NOTEBOOK}"
LOCAL = {"localhost", "127.0.0.1", "[::1]", "::1"}
POOL = 1
TABS = 10
# A closed page's kernel goes 10 s after its websocket closed; a refill of the pool may be
# starting meanwhile.
RELEASED_WITHIN_S = 40
START_TIMEOUT_S = 90
LOAD_TIMEOUT_MS = 120_000
LONG_TOKEN = "0123456789abcdef"

# -- without a server


@pytest.mark.parametrize(
    ("ip", "token", "password", "refused"),
    [
        ("localhost", None, None, None),
        ("127.0.0.1", None, None, None),
        ("0.0.0.0", None, None, "--token"),
        ("0.0.0.0", "s3cret", None, "at least 16"),
        ("0.0.0.0", LONG_TOKEN[:-1], None, "at least 16"),
        ("0.0.0.0", LONG_TOKEN, None, None),
        ("192.0.2.10", None, "argon2:...", None),
    ],
)
def test_beyond_localhost_needs_a_long_token_or_a_password(ip, token, password, refused):
    if refused:
        with pytest.raises(UserError, match=refused):
            check_access(ip, token, password)
    else:
        check_access(ip, token, password)


def test_a_short_token_beyond_localhost_is_one_sentence_and_exit_2(tmp_path):
    result = CliRunner().invoke(
        main, ["--workbook", str(tmp_path), "serve", "--ip", "0.0.0.0", "--token", "short"]
    )
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert f"at least {MIN_TOKEN_CHARS}" in message


def test_voila_config_checks_the_host_on_localhost_only():
    local = voila_config(9999)
    assert local.Voila.tornado_settings["allow_remote_access"] is False
    assert local.Voila.tornado_settings["local_hostnames"] == ["localhost"]
    remote = voila_config(9999, ip="0.0.0.0", token=LONG_TOKEN)
    assert remote.Voila.tornado_settings["allow_remote_access"] is True
    assert remote.Voila.token == LONG_TOKEN


def test_voila_config_serves_the_app_offline_and_frees_closed_pages_kernels():
    c = voila_config(9999, token=LONG_TOKEN, pool=2, cull_idle=120)
    assert c.Voila.port == 9999 and c.Voila.token == LONG_TOKEN
    assert c.VoilaConfiguration.strip_sources is True
    # Kernels talk to the server over IPC: nothing listens on the network for them.
    assert c.KernelManager.transport == "ipc"
    assert c.VoilaKernelManager.kernel_pools_config["default"]["pool_size"] == 0
    assert c.VoilaConfiguration.template == TEMPLATE
    assert c.VoilaConfiguration.allow_template_override == "NO"
    assert c.VoilaConfiguration.multi_kernel_manager_class.endswith("PageKernelManager")
    assert c.AppVoila.app_notebook == APP_NOTEBOOK
    assert c.VoilaConfiguration.preheat_kernel is True
    assert c.VoilaKernelManager.kernel_pools_config[APP_NOTEBOOK]["pool_size"] == 2
    assert c.MappingKernelManager.cull_idle_timeout == 120
    assert c.MappingKernelManager.cull_connected is False


def _voila_template(name: str, file: str) -> Path:
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("voila", "templates", name):
        if (Path(folder) / file).is_file():
            return Path(folder) / file
    pytest.skip(f"Voila's {name}/{file} is not installed")


def test_the_template_drops_every_cdn_link_of_voilas_lab_template():
    """Voila's own links are removed by exact text: an upgrade that changes them fails here."""
    ours = RESOURCES / "voila" / "templates" / TEMPLATE
    index = (ours / "index.html.j2").read_text(encoding="utf-8")
    voila_links = re.findall(
        r"<link [^>]*https?://[^>]*>", _voila_template("lab", "index.html.j2").read_text()
    )
    assert voila_links, "Voila's lab template links no CDN any more: simplify index.html.j2"
    for link in voila_links:
        assert f"replace('{link}' | safe, '')" in index, link
    assert "https://" not in (ours / "page.html").read_text(encoding="utf-8")
    assert "cdn." in _voila_template("base", "page.html").read_text()


# -- served


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, host: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": host or f"localhost:{port}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _kernels(pid: int) -> list:
    """The server's kernel processes."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
    return found


@pytest.fixture(scope="module")
def server(sample_workbook, chromium_path, tmp_path_factory):
    pytest.importorskip("psutil")
    pytest.importorskip("playwright.sync_api")
    root = tmp_path_factory.mktemp("serve-workbook") / "wb"
    shutil.copytree(
        sample_workbook.root,
        root,
        # Packs another test rendered into the shared workbook are not this server's.
        ignore=shutil.ignore_patterns("sample", "*.sqlite*", "reports"),
    )
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "SALESCOACH_USER": "serve-test"}
    env.pop("SALESCOACH_WORKBOOK", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salescoach.cli", "--workbook", str(root), "serve",
             "--port", str(port), "--pool", str(POOL)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "is filled with" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"salescoach serve did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield {"port": port, "proc": proc, "log": log, "root": root}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_a_request_for_another_host_is_refused(server):
    port = server["port"]
    for path in ("/", APP_PATH, "/api/kernels/00000000-0000-0000-0000-000000000000"):
        assert _get(port, path, host="evil.example").status == 403, path
        assert _get(port, path, host=f"evil.example:{port}").status == 403, path
    assert _get(port, "/", host=f"127.0.0.1:{port}").status == 302
    assert _get(port, "/", host=f"localhost:{port}").status == 302


def test_the_folder_and_the_page_notebooks_lead_to_the_app(server):
    port = server["port"]
    for path in ("/", "/voila/tree", "/voila/render/goals.ipynb", "/voila/render/x/y.ipynb"):
        response = _get(port, path)
        assert response.status == 302, path
        assert response.getheader("Location") == APP_PATH, path
    with_token = _get(port, "/voila/render/goals.ipynb?token=abc")
    assert with_token.getheader("Location") == f"{APP_PATH}?token=abc"


def _open_app(browser_, port: int, seen: list[str]):
    page = browser_.new_page(viewport={"width": 1366, "height": 900})
    page.on("request", lambda request: seen.append(request.url))
    page.on("websocket", lambda ws: seen.append(ws.url))
    page.goto(f"http://localhost:{port}{APP_PATH}", timeout=LOAD_TIMEOUT_MS)
    # The chart is drawn by the widgets, which need the page's websocket to its kernel.
    page.wait_for_selector("img.sc-goal-chart", timeout=LOAD_TIMEOUT_MS)
    return page


def _launched(playwright):
    from salescoach.packs import browser

    return browser.launch(playwright, timeout=60_000)


def _page_load_requests(port: int) -> list[str]:
    """Every URL one load of the app asks for, in Chromium."""
    sync_api = pytest.importorskip("playwright.sync_api")
    seen: list[str] = []
    with sync_api.sync_playwright() as p:
        chromium = _launched(p)
        try:
            _open_app(chromium, port, seen).close()
        finally:
            chromium.close()
    return seen


def test_a_page_load_asks_no_other_host(server):
    seen = _page_load_requests(server["port"])
    network = [u for u in seen if urlsplit(u).scheme in ("http", "https", "ws", "wss")]
    assert network, "no request recorded"
    outside = sorted({u for u in network if urlsplit(u).hostname not in LOCAL})
    assert outside == []
    # The widget manager loads; code highlighting for the stripped sources does not.
    assert any("/jupyterlab-manager/" in u for u in network)
    assert not [u for u in network if "jupyterlab_pygments" in u]


def test_the_widget_scripts_a_page_loads_may_be_kept_by_the_browser(server):
    """The extensions' scripts asked for with their content hash (`?v=`) are cacheable, so a
    reload does not ask the server again for each; Voila sends them all with no-cache."""
    seen = _page_load_requests(server["port"])
    hashed = sorted({u for u in seen if "/voila/labextensions/" in u and "?v=" in u})
    assert len(hashed) >= 5, hashed
    for url in hashed:
        parts = urlsplit(url)
        response = _get(server["port"], f"{parts.path}?{parts.query}")
        assert response.status == 200, url
        cache = response.getheader("Cache-Control") or ""
        assert "max-age" in cache and "no-cache" not in cache, (url, cache)
    # Without the hash a script may change under the same name: asked again every time.
    entry = next(u for u in seen if "/voila/labextensions/" in u and "?v=" not in u)
    assert "no-cache" in (
        _get(server["port"], urlsplit(entry).path).getheader("Cache-Control") or ""
    )


def test_closed_tabs_free_their_kernels_within_seconds(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    port, pid = server["port"], server["proc"].pid
    kernel_ids: set[str] = set()
    with sync_api.sync_playwright() as p:
        chromium = _launched(p)
        try:
            for _tab in range(TABS):
                seen: list[str] = []
                page = _open_app(chromium, port, seen)
                kernel_ids |= {m for u in seen for m in re.findall(r"/api/kernels/([\w-]+)", u)}
                page.close()
                print(f"tab closed: {len(_kernels(pid))} kernel processes")
        finally:
            chromium.close()
    assert len(kernel_ids) == TABS, kernel_ids
    deadline = time.monotonic() + RELEASED_WITHIN_S
    while True:
        kernels = _kernels(pid)
        gone = all(_get(port, f"/api/kernels/{k}").status == 404 for k in kernel_ids)
        if (gone and len(kernels) <= POOL) or time.monotonic() > deadline:
            break
        time.sleep(1)
    rss = [round(k.memory_info().rss / 2**20) for k in kernels]
    print(f"after closing {TABS} tabs: {len(kernels)} kernel processes, RSS MB {rss}")
    assert gone, "a closed tab's kernel is still running"
    assert len(kernels) <= POOL, f"{len(kernels)} kernels for a pool of {POOL}"


def test_a_rendered_pack_opens_over_http_from_the_packs_page(server):
    """The packs page links each rep's pack to `serve`'s reports route (a browser refuses
    file:// links from an http page); a path that climbs out of reports/ or names no pack is
    not served. The pack here is a file where `salescoach render` puts R001's: what is under
    test is the serving, not the rendering (tests/test_render.py renders real packs)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from salescoach.app.pages.packs import pack_link
    from salescoach.data.workbook import Workbook
    from salescoach.packs import render

    root, port = Path(server["root"]), server["port"]
    reps = Workbook.open(root).facts()["reps"]
    rep = reps.set_index("rep_id").loc["R001"]
    stem = f"reps/{render.slug(rep['department'])}/{render.slug(rep['team'])}/R001"
    folder = root / "reports" / "2026-Q3"
    (folder / stem).parent.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.html").write_text("<h1>Pack of R001</h1>", encoding="utf-8")
    assert render.pack_subject(f"2026-Q3/{stem}.html", reps) == ("rep", "R001")
    assert _get(port, f"/salescoach/reports/2026-Q3/{stem}.html").status == 200
    assert _get(port, "/salescoach/reports/2026-Q3/../../salescoach.toml").status == 404
    assert _get(port, "/salescoach/reports/README.md").status == 404
    with sync_api.sync_playwright() as p:
        chromium = _launched(p)
        try:
            page = _open_app(chromium, port, [])
            page.get_by_role("tab", name="Review packs").click()
            page.select_option(".sc-packs-team select", label=str(rep["team"]))
            # R001's own link: the list names every rendered pack of the team, by name.
            href = pack_link("2026-Q3", f"{stem}.html")
            link = page.locator(f'.sc-packs-rendered a[href="{href}"]')
            link.wait_for(timeout=LOAD_TIMEOUT_MS)
            assert link.get_attribute("href").startswith("../../salescoach/reports/2026-Q3/")
            with page.context.expect_page() as opened:
                link.click()
            pack = opened.value
            pack.wait_for_load_state()
            assert pack.url.startswith(f"http://localhost:{port}/salescoach/reports/")
            assert pack.locator("h1").inner_text() == "Pack of R001"
        finally:
            chromium.close()
