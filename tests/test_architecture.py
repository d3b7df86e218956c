"""The layers hold: import-linter's contracts in `.importlinter` are kept, and no module takes
part in an import cycle (a cycle is two layers pretending to be one)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    if not LINT.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_import_contracts_are_kept(repo_root):
    run = _lint(repo_root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_a_broken_contract_is_caught(repo_root, tmp_path):
    """The check can fail: a domain module that imports the store breaks the layers."""
    config = (repo_root / ".importlinter").read_text(encoding="utf-8")
    # Every module the contracts name exists, as an empty package; one domain module imports
    # the store.
    for dotted in {"salescoach", *re.findall(r"\b(salescoach\.[\w.]+)", config)}:
        folder = tmp_path.joinpath(*dotted.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        for parent in [folder, *folder.parents]:
            if parent == tmp_path:
                break
            (parent / "__init__.py").touch()
    (tmp_path / "salescoach" / "data" / "store.py").write_text("")
    (tmp_path / "salescoach" / "cli" / "serving.py").write_text("import voila\n")  # ignored
    (tmp_path / "salescoach" / "domain" / "goals.py").write_text(
        "from salescoach.data import store\n"
    )
    (tmp_path / ".importlinter").write_text(config)
    run = _lint(tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode != 0
    assert "salescoach.domain.goals -> salescoach.data.store" in run.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_cycle():
    grimp = pytest.importorskip("grimp")
    assert _cycles(grimp.build_graph("salescoach")) == []


def test_a_cycle_is_caught():
    class Graph:
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges.get(module, set())

    assert _cycles(Graph()) == [["a", "b", "c"]]


def test_old_flat_names_still_import_with_a_warning():
    """A notebook copied into a workbook before the layered layout keeps working."""
    import importlib
    import sys

    from salescoach.moved import MOVED

    for old, new in MOVED.items():
        sys.modules.pop(f"salescoach.{old}", None)
        with pytest.warns(FutureWarning, match=f"salescoach.{new}"):
            module = importlib.import_module(f"salescoach.{old}")
        assert module is importlib.import_module(f"salescoach.{new}")
        assert module.__spec__.name == f"salescoach.{new}"  # the real module is left as it was


def test_the_kit_itself_uses_the_new_names(repo_root):
    from salescoach.moved import MOVED

    old = re.compile(
        r"\bsalescoach\.("
        + "|".join(MOVED)
        + r")\b(?!\s*[:=])|from salescoach import [^\n]*\b("
        + "|".join(MOVED)
        + r")\b"
    )
    places = [repo_root / d for d in ("salescoach", "notebooks", "templates", "benchmarks")]
    found = [
        f"{path.relative_to(repo_root)}: {match.group(0)}"
        for folder in places
        for path in folder.rglob("*")
        if path.suffix in (".py", ".ipynb") and path.name != "moved.py"
        for match in old.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def _modules_after(repo_root: Path, module: str) -> set[str]:
    """The top-level packages loaded by importing `module` in a fresh interpreter."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))",
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {m.split(".")[0] for m in json.loads(run.stdout)}


def test_the_command_line_loads_pandera_only_to_import(repo_root):
    """Every command pays for what `salescoach.cli` imports: the importer's checks (pandera,
    0.5 s a command) load only when a command validates or imports data."""
    assert "pandera" in _modules_after(repo_root, "salescoach.data.importer")  # the probe sees it
    assert "pandera" not in _modules_after(repo_root, "salescoach.cli")


def test_a_mapping_error_is_still_a_user_error():
    """The CLI takes MappingError from its light module; the importer's name is the same class."""
    from salescoach.cli.common import USER_ERRORS
    from salescoach.data.importer import MappingError

    assert MappingError in USER_ERRORS
