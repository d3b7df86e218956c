from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from salescoach.packs import browser


def _fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize(
    ("on_path", "expected"),
    [
        (["google-chrome-stable", "google-chrome", "chromium-browser"], "chromium-browser"),
        (["google-chrome-stable", "google-chrome"], "google-chrome"),
        (["google-chrome-stable"], "google-chrome-stable"),
    ],
)
def test_find_chromium_prefers_names_in_order(tmp_path, monkeypatch, on_path, expected):
    for name in on_path:
        _fake_executable(tmp_path, name)
    monkeypatch.delenv(browser.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert browser.find_chromium() == str(tmp_path / expected)


def test_find_chromium_env_var_wins(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    chosen = _fake_executable(tmp_path / "elsewhere", "my-chrome")
    _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(browser.ENV_VAR, str(chosen))
    assert browser.find_chromium() == str(chosen)


def test_find_chromium_warns_on_a_bad_env_var(tmp_path, monkeypatch):
    _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(browser.ENV_VAR, str(tmp_path / "missing"))
    with pytest.warns(UserWarning, match=browser.ENV_VAR):
        assert browser.find_chromium() == str(tmp_path / "chromium")


@pytest.mark.parametrize(("is_root", "sandboxed"), [(True, False), (False, True)])
def test_chromium_args_drop_the_sandbox_only_for_root(is_root, sandboxed):
    args = browser.chromium_args(is_root=is_root)
    assert ("--no-sandbox" not in args) is sandboxed
    for flag in ("--headless", "--disable-background-networking", "--disable-quic"):
        assert flag in args


def test_shell_script_finds_the_same_browser(repo_root, tmp_path, monkeypatch):
    for name in ("google-chrome", "chromium-browser"):
        _fake_executable(tmp_path, name)
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop(browser.ENV_VAR, None)
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.delenv(browser.ENV_VAR, raising=False)
    script = repo_root / "scripts" / "ensure_chromium.sh"
    out = subprocess.run(
        ["/bin/sh", str(script), "--find"], env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == (browser.find_chromium() or "")


def test_launch_renders_a_pdf(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = browser.launch(p, timeout=60_000)
        try:
            page = chromium.new_page()
            page.set_content("<h1>Review pack</h1><p>Καλημέρα, 1.234,56 €</p>")
            pdf = page.pdf(format="A4")
        finally:
            chromium.close()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000
