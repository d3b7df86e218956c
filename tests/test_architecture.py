"""The layers hold: import-linter's contracts in `.importlinter` are kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


def test_import_contracts_are_kept(repo_root):
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    run = subprocess.run(
        [str(exe), "--no-cache"], cwd=repo_root, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_a_broken_contract_is_caught(repo_root, tmp_path):
    """The check can fail: a domain module that imports the store breaks the first contract."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    config = (repo_root / ".importlinter").read_text(encoding="utf-8")
    package = tmp_path / "salescoach"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # Every module the contracts name exists, empty; then one domain module imports the store.
    for name in set(re.findall(r"^\s+salescoach\.(\w+)$", config, re.M)):
        (package / f"{name}.py").write_text("")
    (package / "goals.py").write_text("from salescoach import store\n")
    (tmp_path / ".importlinter").write_text(config)
    run = subprocess.run(
        [str(exe), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode != 0
    assert "salescoach.goals -> salescoach.store" in run.stdout
