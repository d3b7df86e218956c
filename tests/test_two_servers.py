"""Two app servers, one PostgreSQL decisions store: the team deployment of README's "Several
servers, one set of decisions" (under Installation), run as two machines would run it.

Each server has its own copy of the workbook folder (facts, settings) whose `[store] url` names
the same fresh PostgreSQL database, and its own manager (`SALESCOACH_USER`, the "who" of a local
server's decisions). Two managers in Chromium save a goal for the same rep and quarter at nearly
the same moment, one logs a coaching session while the other records the goal discussion. Every
write must be in the store with its own who, when and why (no lost write; the later goal
version is the one in force), and each server, redrawn, must show what the other one wrote.

Skips, saying why, only when PostgreSQL or Chromium cannot be started here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from salescoach.app.context import Context
from salescoach.app.pages.goals import target_text
from salescoach.data.store import Store
from salescoach.data.workbook import Workbook
from salescoach.domain.attainment import goal_key
from salescoach.domain.decisions import ACK, SESSION, ack_key
from salescoach.domain.fmt import Formatter
from salescoach.packs import browser

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("psutil")

try:
    from tests.pg import new_database, pg_url  # noqa: F401
except ModuleNotFoundError:  # the checkout is not on sys.path; tests/ itself is (rootdir mode)
    from pg import new_database, pg_url  # noqa: F401
from test_app_browser import (  # noqa: E402
    APP_PATH,
    UI_TIMEOUT_MS,
    _free_port,
    _option,
    _stop,
    _wait_drawn,
    _wait_until_answers,
)

MANAGERS = ("anna", "bob")  # server A's manager, server B's manager
PERIOD = "2026-Q4"  # not started: a goal for it needs no override, as next quarter's plan
TARGETS = {"anna": 111_111, "bob": 222_222}


def _with_store_url(root: Path, url: str) -> None:
    """Point the workbook's `[store] url` at `url` (the line `salescoach init` writes)."""
    settings = root / "salescoach.toml"
    text = settings.read_text(encoding="utf-8")
    new, count = re.subn(
        r'(\[store\][^\[]*?)^url = ""', rf'\g<1>url = "{url}"', text, count=1, flags=re.M
    )
    assert count == 1, 'salescoach.toml has no `url = ""` under [store]'
    settings.write_text(new, encoding="utf-8")


@pytest.fixture(scope="module")
def shared_url(pg_url) -> str:
    return new_database(pg_url, prefix="two_servers")


@pytest.fixture(scope="module")
def servers(sample_workbook, shared_url, chromium_path, tmp_path_factory):
    """Two `salescoach serve` processes, each on its own copy of the workbook and its own port,
    both storing decisions in `shared_url`; stopped by PID, and nothing of them may be left."""
    base = tmp_path_factory.mktemp("two-servers")
    started = {}
    try:
        for login in MANAGERS:
            root = base / login / "wb"  # one folder per "machine"
            shutil.copytree(
                sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
            )
            _with_store_url(root, shared_url)
            assert Workbook.open(root).settings.store.url == shared_url
            env = {**os.environ, "SALESCOACH_USER": login}
            for name in ("SALESCOACH_WORKBOOK", "JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN"):
                env.pop(name, None)
            port, log = _free_port(), base / f"{login}.log"
            with open(log, "w") as out:
                proc = subprocess.Popen(
                    # --pool 0: one kernel per server, started by the page; a preheated one
                    # and its refill would be two more on the machine for nothing here.
                    [sys.executable, "-m", "salescoach.cli", "--workbook", str(root), "serve",
                     "--port", str(port), "--pool", "0"],
                    stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                )  # fmt: skip
            started[login] = {
                "root": root,
                "proc": proc,
                "log": log,
                "url": f"http://localhost:{port}{APP_PATH}",
                "static": f"http://localhost:{port}/voila/static/voila.js",
            }
        for server in started.values():  # both start at once; wait for each in turn
            _wait_until_answers(server["static"], server["proc"], server["log"])
        yield started
    finally:
        # Both at once: each stop waits for its server's kernels to shut down.
        with ThreadPoolExecutor(max_workers=2) as pool:
            stops = {login: pool.submit(_stop, s["proc"]) for login, s in started.items()}
        survivors = {login: stop.result() for login, stop in stops.items()}
        assert not any(survivors.values()), f"processes left after stopping: {survivors}"


def _launch(p):
    try:
        return browser.launch(p, timeout=60_000)
    except Exception as error:  # noqa: BLE001 - any reason Chromium does not start
        pytest.skip(f"Chromium cannot start: {error}")


def _open(chromium, url: str):
    tab = chromium.new_context(viewport={"width": 1366, "height": 900}).new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    tab.goto(url)
    return tab


def _show(tab, rep_label: str, rep_id: str, period_label: str) -> None:
    """Pick the rep and the period in the app's picker and wait until the goals page shows them."""
    tab.wait_for_selector(".sc-goal-chart img, img.sc-goal-chart", timeout=120_000)
    tab.select_option(".sc-scope-kind select", label="Rep")
    tab.select_option(".sc-scope-id select", label=rep_label)
    tab.select_option(".sc-period select", label=_option(tab, ".sc-period select", period_label))
    title = tab.locator(".sc-page-goals .sc-title").first
    sync_api.expect(title).to_contain_text(rep_id)
    sync_api.expect(title).to_contain_text(period_label)


def _redraw(tab, period_label: str) -> None:
    """Another period and back: the pages draw again in the same kernel (no reload)."""
    other = _option(tab, ".sc-period select", "Q3 2026")
    tab.select_option(".sc-period select", label=other)
    sync_api.expect(tab.locator(".sc-page-goals .sc-title").first).to_contain_text("Q3 2026")
    tab.select_option(".sc-period select", label=_option(tab, ".sc-period select", period_label))
    sync_api.expect(tab.locator(".sc-page-goals .sc-title").first).to_contain_text(period_label)
    tab.wait_for_selector(".sc-page-goals .sc-busy", state="hidden")


# Two servers starting, two kernels and a diagnosis page on a busy 2-core machine.
@pytest.mark.timeout(600)
def test_two_servers_share_the_decisions_without_a_lost_write(servers, shared_url):
    a, b = (servers[login] for login in MANAGERS)
    wb = Workbook.open(a["root"])
    ctx = Context(wb, period=PERIOD, who="test")
    rep_label, rep_id = ctx.rep_choices(sellers=True)[0]  # a seller on staff in the quarter
    period_label = ctx.period_label()
    key = goal_key("rep", rep_id, PERIOD, "revenue")
    locale = Formatter.for_settings(wb.settings).locale
    ctx.close()

    with sync_api.sync_playwright() as p:
        chromium = _launch(p)
        try:
            tabs = {login: _open(chromium, s["url"]) for login, s in servers.items()}
            for tab in tabs.values():
                _show(tab, rep_label, rep_id, period_label)
            ta, tb = tabs["anna"], tabs["bob"]
            # Not yet acknowledged: what B's discussion must change on A.
            sync_api.expect(ta.locator(".sc-pending-acks")).to_contain_text("Not yet")

            # The same goal from both servers, the two Saves clicked back to back.
            for login, tab in tabs.items():
                tab.fill(".sc-field-target input", str(TARGETS[login]))
                tab.press(".sc-field-target input", "Tab")
                tab.fill(".sc-field-reason textarea", f"{login}'s plan for the quarter")
            for tab in tabs.values():
                sync_api.expect(tab.locator(".sc-goal-form-save")).to_be_enabled()
            ta.click(".sc-goal-form-save")
            tb.click(".sc-goal-form-save")
            for tab in tabs.values():
                sync_api.expect(tab.locator(".sc-goal-form-status")).to_contain_text("Saved")

            # Different decisions at once: a coaching session on A, the goal discussion on B.
            ta.click(".sc-tabs .lm-TabBar-tab:has-text('Diagnosis')")
            _wait_drawn(ta, "diagnosis")
            coached = ta.locator(".sc-coach-rep select")  # a Dropdown's value is its label
            sync_api.expect(coached).to_have_value(re.compile(re.escape(f"({rep_id})")))
            ta.fill(".sc-field-coach-note textarea", "anna: walked through the pipeline")
            ta.fill(".sc-field-coach-actions textarea", "Shadow two demos@2099-01-15")
            tb.fill(".sc-field-note textarea", "bob: the rep agreed the quarter's goal")
            tb.check(".sc-field-acknowledged input")
            ta.click(".sc-coaching-form-save")
            tb.click(".sc-discussion-form-save")
            sync_api.expect(ta.locator(".sc-coaching-form-status")).to_contain_text("Saved")
            sync_api.expect(tb.locator(".sc-discussion-form-status")).to_contain_text("Saved")

            # Every write is in the shared store, each with its own who, when and why.
            with Store(shared_url) as store:
                versions = store.history("goal", key)
                current = store.current("goal").set_index("key").loc[key]
                coaching = store.history(SESSION, key_prefix=f"{rep_id}|")
                acks = store.history(ACK, ack_key(rep_id, PERIOD))
            assert sorted((e.who, e.data["target"], e.why) for e in versions) == [
                (login, TARGETS[login], f"{login}'s plan for the quarter") for login in MANAGERS
            ]
            earlier, later = sorted(versions, key=lambda e: e.id)
            # The later version is the one in force, and "later" is one order: by id and by time.
            assert later.at >= earlier.at, (earlier, later)
            gap_ms = (later.at - earlier.at).total_seconds() * 1000
            print(f"\nthe two goal saves were stored {gap_ms:.0f} ms apart")
            assert (current["event_id"], current["who"]) == (later.id, later.who)
            assert [(e.who, e.data["note"]) for e in coaching] == [
                ("anna", "anna: walked through the pipeline")
            ]
            assert [(e.who, e.data.get("outcome")) for e in acks] == [("bob", "agreed")], acks

            # What is saved is what is shown: each server, redrawn, shows the other's writes.
            ta.click(".sc-tabs .lm-TabBar-tab:has-text('Goals')")
            for tab in tabs.values():
                _redraw(tab, period_label)
                # The goal in force is the later version, whichever server saved it.
                sync_api.expect(tab.locator(".sc-field-target input")).to_have_value(
                    target_text(later.data["target"], locale)
                )
                shown = tab.locator(".sc-goal-versions")
                for login in MANAGERS:
                    sync_api.expect(shown).to_contain_text(f"{login}'s plan for the quarter")
            sync_api.expect(ta.locator(".sc-pending-acks")).to_have_text(
                "Every rep has acknowledged their goal."
            )
            tb.click(".sc-tabs .lm-TabBar-tab:has-text('Diagnosis')")
            _wait_drawn(tb, "diagnosis")
            sync_api.expect(tb.locator(".sc-coaching-log")).to_contain_text(
                "anna: walked through the pipeline"
            )
        finally:
            chromium.close()
