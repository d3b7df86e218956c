"""The manager's app in a real browser: `salescoach serve` on a free port, Chromium through
Playwright, writes read back through the CLI.

The server is started once for the module on a copy of the sample workbook and stopped by PID
(SIGTERM lets Voila shut its kernels down; any kernel still alive after that is killed by PID).
A failing test leaves a screenshot in reports/test-screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from salescoach.cli import main
from salescoach.data.store import Store
from salescoach.domain.attainment import goal_key
from salescoach.packs import browser

sync_api = pytest.importorskip("playwright.sync_api")
psutil = pytest.importorskip("psutil")

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "reports" / "test-screenshots"
APP_PATH = "/voila/render/manager.ipynb"
START_TIMEOUT_S = 90
UI_TIMEOUT_MS = 30_000
# expect() waits 5 s by default; a busy 2-core machine computing diagnosis needs longer.
sync_api.expect.set_options(timeout=UI_TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answers(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"salescoach serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"salescoach serve did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> list[int]:
    """SIGTERM the server, then kill by PID anything of its tree still alive; returns survivors."""
    try:
        tree = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
    except psutil.NoSuchProcess:
        tree = [proc.pid]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    alive = [p for p in tree if psutil.pid_exists(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if _running(p)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def app_workbook(sample_workbook, tmp_path_factory) -> Path:
    """A private copy of the sample workbook: these tests write decisions into it."""
    root = tmp_path_factory.mktemp("app-workbook") / "wb"
    shutil.copytree(
        sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
    )
    return root


@pytest.fixture(scope="module")
def server(app_workbook, chromium_path, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "SALESCOACH_USER": "browser-test"}
    env.pop("SALESCOACH_WORKBOOK", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salescoach.cli", "--workbook", str(app_workbook), "serve",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        # A static file: "/" leads to the app, and each load of the app takes a kernel.
        _wait_until_answers(f"http://localhost:{port}/voila/static/voila.js", proc, log)
        yield {"url": f"http://localhost:{port}{APP_PATH}", "proc": proc, "log": log}
    finally:
        survivors = _stop(proc)
        assert not survivors, f"processes left after stopping the server: {survivors}"


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        chromium = browser.launch(p, timeout=60_000)
        try:
            tab = chromium.new_page(viewport={"width": 1366, "height": 900})
            tab.set_default_timeout(UI_TIMEOUT_MS)
            tab.goto(server["url"])
            tab.wait_for_selector(".sc-goal-chart img, img.sc-goal-chart", timeout=60_000)
            yield tab
        finally:
            chromium.close()


@pytest.fixture
def shot_on_failure(page, request):
    """Save a screenshot when the test fails (reports/ is git-ignored)."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)


def _chart_src(page) -> str:
    return page.locator("img.sc-goal-chart").first.get_attribute("src") or ""


def _wait_drawn(page, key: str) -> None:
    """Wait until a page has drawn (its busy line hidden); Diagnosis takes long on a busy box."""
    page.wait_for_selector(f".sc-page-{key} .sc-busy", state="hidden", timeout=180_000)


def _option(page, css: str, contains: str) -> str:
    """The full label of the dropdown option that contains `contains`."""
    for text in _options(page, css):
        if contains in text:
            return text
    raise AssertionError(f"no option with {contains!r} in {css}")


def _options(page, css: str) -> list[str]:
    """A dropdown's labels (ipywidgets writes their spaces as no-break spaces)."""
    return [t.replace("\xa0", " ") for t in page.locator(f"{css} option").all_text_contents()]


def _status(page, css: str) -> str:
    return page.locator(f"{css} .sc-ok, {css} .sc-error").first.inner_text()


def test_picking_a_rep_redraws_the_chart(page, shot_on_failure, sample_tables):
    before = _chart_src(page)
    assert before, "the goals chart has no image"
    page.select_option(".sc-scope-kind select", label="Rep")
    rep = sample_tables["reps"].sort_values(["name", "rep_id"]).iloc[1]
    page.select_option(".sc-scope-id select", label=f"{rep['name']} ({rep['rep_id']})")
    page.wait_for_function(
        "old => { const i = document.querySelector('img.sc-goal-chart'); return i && i.src !== old; }",
        arg=before,
    )
    page.wait_for_selector(f".sc-title:has-text('{rep['rep_id']}')")
    assert _chart_src(page) != before


def test_a_negative_target_shows_a_message_and_saves_nothing(page, shot_on_failure, app_workbook):
    page.fill(".sc-field-target input", "-5")
    page.press(".sc-field-target input", "Tab")
    page.fill(".sc-field-reason textarea", "testing a bad target")
    message = page.locator(".sc-error-target")
    sync_api.expect(message).to_contain_text("negative")
    # Checked as typed: Save cannot be pressed while a field is wrong.
    sync_api.expect(page.locator(".sc-goal-form-save")).to_be_disabled()
    with Store.for_workbook(app_workbook / "salescoach-data") as store:
        assert store.history("goal") == []


def test_goal_and_coaching_note_saved_and_read_back(page, shot_on_failure, app_workbook):
    # The app opens on the last complete quarter, which is closed: the goal is set for the
    # next one, through the normal path (no override).
    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q4 2026"))
    sync_api.expect(page.locator(".sc-page-goals .sc-title").first).to_contain_text("Q4 2026")
    title = page.locator(".sc-page-goals .sc-title").inner_text()
    # "Goals: Name (R007), Q4 2026 (not started)": the id in the first brackets.
    rep_id = title.split("(")[1].split(")")[0]
    page.fill(".sc-field-target input", "123456")
    page.press(".sc-field-target input", "Tab")
    page.fill(".sc-field-reason textarea", "Stretch agreed in the browser test")
    page.click(".sc-goal-form-save")
    sync_api.expect(page.locator(".sc-goal-form-status")).to_contain_text("Saved")
    assert page.locator(".sc-error-target").inner_text() == ""

    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q3 2026"))
    page.click(".sc-tabs .lm-TabBar-tab:has-text('Diagnosis')")
    # The page says it is working while it computes, then the form is there to fill.
    _wait_drawn(page, "diagnosis")
    page.fill(".sc-field-coach-note textarea", "Walked through the lost deals together")
    # Each action with its due date, as `salescoach coach session` takes it (the same service).
    page.fill(
        ".sc-field-coach-actions textarea",
        "Shadow two demos@2099-01-15\nCall back lapsed customers@2099-01-31",
    )
    page.click(".sc-coaching-form-save")
    sync_api.expect(page.locator(".sc-coaching-form-status")).to_contain_text("Saved")
    sync_api.expect(page.locator(".sc-coaching-log")).to_contain_text("Walked through")

    runner = CliRunner()
    goals = main.commands.get("goals")
    if goals is not None and "list" in getattr(goals, "commands", {}):
        result = runner.invoke(main, ["--workbook", str(app_workbook), "goals", "list"])
        assert result.exit_code == 0, result.output
        assert rep_id in result.output
    with Store.for_workbook(app_workbook / "salescoach-data") as store:
        period = store.history("goal")[-1].key.split("|")[2]
        (goal,) = store.history("goal", goal_key("rep", rep_id, period, "revenue"))
        assert goal.data["target"] == 123456
        assert goal.who == "browser-test" and goal.why == "Stretch agreed in the browser test"
        (note,) = store.history("coaching", key_prefix=f"{rep_id}|")
        assert note.data["actions"] == [
            "Shadow two demos@2099-01-15",
            "Call back lapsed customers@2099-01-31",
        ]
    result = runner.invoke(
        main, ["--workbook", str(app_workbook), "backup", str(app_workbook / "b.jsonl")]
    )
    assert result.exit_code == 0, result.output
    dumped = (app_workbook / "b.jsonl").read_text(encoding="utf-8")
    assert "Walked through the lost deals together" in dumped and "123456" in dumped


PAGE_KEYS = ("goals", "training", "monitoring", "diagnosis", "what_works", "recognition", "packs")


def _goals_tab(page) -> None:
    page.click(".sc-tabs .lm-TabBar-tab:has-text('Goals')")
    _wait_drawn(page, "goals")


@pytest.mark.parametrize("typed", ["1e400", "abc"])
def test_a_target_that_is_not_a_number_disables_save_and_writes_nothing(
    page, shot_on_failure, app_workbook, typed
):
    _goals_tab(page)
    with Store.for_workbook(app_workbook / "salescoach-data") as store:
        before = len(store.history("goal"))
    page.fill(".sc-field-target input", typed)
    page.press(".sc-field-target input", "Tab")
    sync_api.expect(page.locator(".sc-error-target")).to_contain_text("must be a number")
    sync_api.expect(page.locator(".sc-goal-form-save")).to_be_disabled()
    with Store.for_workbook(app_workbook / "salescoach-data") as store:
        assert len(store.history("goal")) == before


def test_a_saved_goal_is_echoed_with_its_currency_and_the_status_clears_on_a_new_period(
    page, shot_on_failure
):
    _goals_tab(page)
    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q1 2027"))
    sync_api.expect(page.locator(".sc-page-goals .sc-title").first).to_contain_text("Q1 2027")
    page.fill(".sc-field-target input", "1,234,567")
    page.press(".sc-field-target input", "Tab")
    page.fill(".sc-field-reason textarea", "Next year's plan")
    page.click(".sc-goal-form-save")
    sync_api.expect(page.locator(".sc-goal-form-status")).to_contain_text("€1,234,567")
    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q2 2027"))
    sync_api.expect(page.locator(".sc-page-goals .sc-title").first).to_contain_text("Q2 2027")
    sync_api.expect(page.locator(".sc-goal-form-status")).to_have_text("")


def test_periods_are_marked_closed_current_or_not_started(page, shot_on_failure):
    options = _options(page, ".sc-period select")
    assert any("Q2 2026 (closed)" == o for o in options), options
    assert any("Q1 2027 (not started)" == o for o in options), options
    _goals_tab(page)
    page.select_option(".sc-period select", label="Q2 2026 (closed)")
    sync_api.expect(page.locator(".sc-page-goals .sc-title").first).to_contain_text(
        "Q2 2026 (closed)"
    )


def test_a_quarter_without_data_diagnoses_nobody(page, shot_on_failure):
    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q4 2026"))
    page.click(".sc-tabs .lm-TabBar-tab:has-text('Diagnosis')")
    _wait_drawn(page, "diagnosis")
    sync_api.expect(page.locator(".sc-page-diagnosis .sc-title").first).to_contain_text("Q4 2026")
    sync_api.expect(page.locator(".sc-page-diagnosis")).to_contain_text("No data yet for Q4 2026")
    assert page.locator(".sc-rep-explanation").inner_text().strip() == ""
    assert "coach" not in page.locator(".sc-findings").inner_text().lower()


def test_screenshots_of_every_page_in_english_and_greek(page, shot_on_failure, sample_tables):
    """Each page drawn in both languages, for a person to look at (reports/test-screenshots)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.select_option(".sc-period select", label=_option(page, ".sc-period select", "Q3 2026"))
    page.select_option(".sc-scope-kind select", label="Team")
    team = sorted(sample_tables["reps"]["team"].astype(str).unique())[0]  # the first offered
    for lang, goals in (("en", "Goals"), ("el", "Στόχοι")):
        if lang == "el":
            page.select_option(".sc-language select", label="Ελληνικά")
            sync_api.expect(page.locator(".sc-tabs .lm-TabBar-tab").first).to_have_text(goals)
        tabs = page.locator(".sc-tabs .lm-TabBar-tab")
        for i, key in enumerate(PAGE_KEYS):
            title = tabs.nth(i).inner_text()
            tabs.nth(i).click()
            current = page.locator(".sc-tabs .lm-TabBar-tab.lm-mod-current")
            sync_api.expect(current).to_have_text(title)
            # Drawn for the team picked (its heading names it), and no longer working.
            sync_api.expect(page.locator(f".sc-page-{key} .sc-title").first).to_contain_text(
                team, timeout=180_000
            )
            page.wait_for_selector(f".sc-page-{key} .sc-busy", state="hidden", timeout=180_000)
            page.screenshot(path=str(SHOTS / f"app-{lang}-{i}.png"), full_page=True)
