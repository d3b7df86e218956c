"""The team deployment as README describes it: JupyterHub (`deploy/jupyterhub_config.py`) with
two logins of the workbook's access file; each logs in through the hub in Chromium, the hub
spawns their server, the app opens, and each sees their own team's roster only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salescoach.data.workbook import Workbook
from salescoach.packs import browser
from salescoach.services.access import ACCESS_FILE

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("psutil")
pytest.importorskip("jupyterhub", reason="JupyterHub is not installed: pip install '.[hub]'")

from test_app_browser import _free_port, _stop, _wait_until_answers  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub_config.py"
PEOPLE = {"anna": "North A", "bob": "South B"}
PASSWORD = "any"  # the dummy authenticator takes any password
SPAWN_TIMEOUT_MS = 180_000


def _proxy() -> str | None:
    bin_dir = str(Path(sys.executable).parent)
    return shutil.which(
        "configurable-http-proxy", path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    )


@pytest.fixture(scope="module")
def hub(sample_workbook, tmp_path_factory):
    if _proxy() is None:
        pytest.skip(
            "npm's configurable-http-proxy is not on PATH: npm install -g configurable-http-proxy"
        )
    base = tmp_path_factory.mktemp("hub")
    root = base / "wb"
    shutil.copytree(
        sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
    )
    entries = [f'[people.{login}]\nrole = "manager"\nteam = "{t}"\n' for login, t in PEOPLE.items()]
    (root / ACCESS_FILE).write_text("\n".join(entries), encoding="utf-8")
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SALESCOACH_WORKBOOK": str(root),
        "SALESCOACH_HUB_AUTH": "dummy",
        "SALESCOACH_HUB_PORT": str(port),
        "SALESCOACH_HUB_API_PORT": str(_free_port()),
        "SALESCOACH_HUB_PROXY_PORT": str(_free_port()),
        "SALESCOACH_HUB_STATE": str(base / "state"),
    }
    for name in ("SALESCOACH_USER", "JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN"):
        env.pop(name, None)
    log = base / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)],
            cwd=base, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_answers(f"http://127.0.0.1:{port}/hub/login", proc, log)
        yield {"url": f"http://127.0.0.1:{port}", "wb": Workbook.open(root), "log": log}
    finally:
        assert not _stop(proc), log.read_text()


# A hub, two spawned servers and two app renders on a busy machine: well past the default.
@pytest.mark.timeout(900)
def test_two_hub_users_see_their_own_scopes(hub, chromium_path):
    reps = hub["wb"].facts()["reps"]
    seen = {}
    with sync_api.sync_playwright() as p:
        chromium = browser.launch(p, timeout=60_000)
        try:
            for login, team in PEOPLE.items():
                context = chromium.new_context(viewport={"width": 1366, "height": 900})
                tab = context.new_page()
                tab.set_default_timeout(SPAWN_TIMEOUT_MS)
                tab.goto(f"{hub['url']}/hub/login")
                tab.fill("#username_input", login)
                tab.fill("#password_input", PASSWORD)
                tab.click("#login_submit")
                # The hub spawns the user's server and sends them to the app.
                tab.wait_for_url(f"**/user/{login}/voila/render/manager.ipynb*")
                tab.wait_for_selector(".sc-goal-chart img, img.sc-goal-chart")
                kinds = tab.locator(".sc-scope-kind select option").all_inner_texts()
                assert kinds == ["Team", "Rep"], hub["log"].read_text()[-3000:]
                tab.select_option(".sc-scope-kind select", label="Rep")
                options = tab.locator(".sc-scope-id select option")
                sync_api.expect(options.first).to_contain_text("(", timeout=60_000)
                seen[login] = {t.replace("\xa0", " ") for t in options.all_inner_texts()}
                other = next(t for t in PEOPLE.values() if t != team)
                assert other not in tab.locator("body").inner_text()
                context.close()
        finally:
            chromium.close()
    for login, team in PEOPLE.items():
        mine = reps[reps["team"] == team]
        assert seen[login] == {f"{n} ({r})" for n, r in zip(mine["name"], mine["rep_id"])}
    assert not seen["anna"] & seen["bob"]
