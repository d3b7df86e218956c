"""Served to two people: `salescoach serve` as two logins of one workbook's access file, each
opened in Chromium, shows each person their own team's roster and nothing of the other's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from salescoach.data.workbook import Workbook
from salescoach.packs import browser
from salescoach.services.access import ACCESS_FILE

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("psutil")

from test_app_browser import APP_PATH, _free_port, _stop, _wait_until_answers  # noqa: E402

PEOPLE = {"anna": "North A", "bob": "South B"}


@pytest.fixture(scope="module")
def workbook(sample_workbook, tmp_path_factory):
    root = tmp_path_factory.mktemp("access-browser") / "wb"
    shutil.copytree(
        sample_workbook.root, root, ignore=shutil.ignore_patterns("sample", "*.sqlite*")
    )
    entries = [f'[people.{login}]\nrole = "manager"\nteam = "{t}"\n' for login, t in PEOPLE.items()]
    (root / ACCESS_FILE).write_text("\n".join(entries), encoding="utf-8")
    return Workbook.open(root)


def _serve(root, login, log):
    env = {**os.environ, "SALESCOACH_USER": login}
    env.pop("SALESCOACH_WORKBOOK", None)
    env.pop("JUPYTERHUB_USER", None)
    port = _free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salescoach.cli", "--workbook", str(root), "serve",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    _wait_until_answers(f"http://localhost:{port}/voila/static/voila.js", proc, log)
    return proc, f"http://localhost:{port}{APP_PATH}"


def test_two_people_see_their_own_rosters(workbook, chromium_path, tmp_path):
    reps = workbook.facts()["reps"]
    seen = {}
    with sync_api.sync_playwright() as p:
        chromium = browser.launch(p, timeout=60_000)
        try:
            for login, team in PEOPLE.items():
                proc, url = _serve(workbook.root, login, tmp_path / f"{login}.log")
                try:
                    tab = chromium.new_page(viewport={"width": 1366, "height": 900})
                    tab.set_default_timeout(60_000)
                    tab.goto(url)
                    tab.wait_for_selector(".sc-goal-chart img, img.sc-goal-chart")
                    kinds = tab.locator(".sc-scope-kind select option").all_inner_texts()
                    assert kinds == ["Team", "Rep"]
                    tab.select_option(".sc-scope-kind select", label="Rep")
                    options = tab.locator(".sc-scope-id select option")
                    sync_api.expect(options.first).to_contain_text("(")
                    seen[login] = {t.replace("\xa0", " ") for t in options.all_inner_texts()}
                    text = tab.locator("body").inner_text()
                    other = next(t for t in PEOPLE.values() if t != team)
                    assert other not in text
                    tab.close()
                finally:
                    assert not _stop(proc)
        finally:
            chromium.close()
    for login, team in PEOPLE.items():
        mine = reps[reps["team"] == team]
        expected = {f"{n} ({r})" for n, r in zip(mine["name"], mine["rep_id"])}
        assert seen[login] == expected
    assert not seen["anna"] & seen["bob"]


PASSWORDS = {"anna": "anna-secret-pw", "bob": "bob-secret-pw"}


def test_password_logins_are_the_person_and_the_who(workbook, chromium_path, tmp_path):
    """`serve --password-hash LOGIN=HASH` per person: each password logs its own person in, a
    header a browser forges names nobody, and a decision records the login as "who"."""
    from jupyter_server.auth import passwd

    reps = workbook.facts()["reps"]
    hashes = [f"{login}={passwd(pw)}" for login, pw in PASSWORDS.items()]
    env = {**os.environ, "SALESCOACH_USER": "someone-else"}
    for name in ("SALESCOACH_WORKBOOK", "JUPYTERHUB_USER", "SALESCOACH_PASSWORD_HASH"):
        env.pop(name, None)
    port = _free_port()
    log = tmp_path / "logins.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "salescoach.cli", "--workbook", str(workbook.root), "serve",
             "--port", str(port), *(a for h in hashes for a in ("--password-hash", h))],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    seen = {}
    try:
        _wait_until_answers(f"http://localhost:{port}/voila/static/voila.js", proc, log)
        with sync_api.sync_playwright() as p:
            chromium = browser.launch(p, timeout=60_000)
            try:
                for login in PEOPLE:
                    other = next(o for o in PEOPLE if o != login)
                    # A header the browser sends under the server's name is overwritten.
                    context = chromium.new_context(
                        viewport={"width": 1366, "height": 900},
                        extra_http_headers={"X-Salescoach-Login": other},
                    )
                    tab = context.new_page()
                    tab.set_default_timeout(120_000)
                    tab.goto(f"http://localhost:{port}{APP_PATH}")
                    tab.fill("#password_input", PASSWORDS[login])
                    tab.keyboard.press("Enter")
                    tab.wait_for_selector(".sc-goal-chart img, img.sc-goal-chart")
                    tab.select_option(".sc-scope-kind select", label="Rep")
                    options = tab.locator(".sc-scope-id select option")
                    sync_api.expect(options.first).to_contain_text("(", timeout=60_000)
                    seen[login] = {t.replace("\xa0", " ") for t in options.all_inner_texts()}
                    assert PEOPLE[other] not in tab.locator("body").inner_text()
                    context.close()
                # A wrong password logs nobody in.
                tab = chromium.new_page()
                tab.goto(f"http://localhost:{port}{APP_PATH}")
                tab.fill("#password_input", "not-a-password")
                tab.keyboard.press("Enter")
                tab.wait_for_selector("#password_input")
                assert "/login" in tab.url
            finally:
                chromium.close()
    finally:
        assert not _stop(proc)
    for login, team in PEOPLE.items():
        mine = reps[reps["team"] == team]
        assert seen[login] == {f"{n} ({r})" for n, r in zip(mine["name"], mine["rep_id"])}


def test_a_served_login_is_the_who_and_maps_through_the_access_file(workbook, monkeypatch):
    from salescoach.data.store import SERVED_LOGIN, default_author
    from salescoach.services import access as guard, coaching

    reps = workbook.facts()["reps"]
    mine = reps[reps["team"] == PEOPLE["anna"]]["rep_id"].iloc[0]
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("SALESCOACH_USER", "someone-else")
    monkeypatch.setenv(SERVED_LOGIN, "anna")
    assert default_author() == "anna"
    person = guard.person_for(workbook)
    assert (person.login, person.scope, person.scope_id) == ("anna", "team", "North A")
    event = coaching.record_session(workbook, mine, "served login test", [], default_author())
    assert event.who == "anna"
    monkeypatch.setenv(SERVED_LOGIN, "mallory")  # a login the file does not name
    assert guard.person_for(workbook).role == "nobody"
