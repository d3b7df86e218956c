"""The set-up files agree with each other and with what the README promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib import metadata

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _normalised(spec: str) -> tuple[str, tuple[str, ...], str]:
    """A requirement as (name, extras, specifier), the same however it is spelled."""
    req = Requirement(spec)
    return (
        canonicalize_name(req.name),
        tuple(sorted(canonicalize_name(e) for e in req.extras)),
        str(req.specifier),
    )


@pytest.fixture(scope="module")
def pyproject(repo_root) -> dict:
    return tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def conda_env(repo_root) -> dict:
    return yaml.safe_load((repo_root / "environment.yml").read_text(encoding="utf-8"))


def _pyproject_requirements(pyproject: dict) -> list[str]:
    project = pyproject["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return specs


def _conda_pip_requirements(conda_env: dict) -> list[str]:
    pip_sections = [d["pip"] for d in conda_env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1, "environment.yml should have exactly one pip: section"
    # `-e .` installs salescoach itself; it is not a dependency.
    return [s for s in pip_sections[0] if not s.startswith("-")]


def test_environment_yml_matches_pyproject(pyproject, conda_env):
    ours = sorted(_normalised(s) for s in _pyproject_requirements(pyproject))
    theirs = sorted(_normalised(s) for s in _conda_pip_requirements(conda_env))
    missing = sorted(set(ours) - set(theirs))
    extra = sorted(set(theirs) - set(ours))
    assert not missing and not extra, (
        f"environment.yml differs from pyproject.toml:\n"
        f"  only in pyproject.toml: {missing}\n  only in environment.yml: {extra}"
    )
    assert len(theirs) == len(set(theirs)), "environment.yml lists a requirement twice"


def test_environment_yml_python_satisfies_requires_python(pyproject, conda_env):
    from packaging.specifiers import SpecifierSet

    pythons = [
        d for d in conda_env["dependencies"] if isinstance(d, str) and d.startswith("python")
    ]
    assert len(pythons) == 1
    version = pythons[0].split("=", 1)[1].lstrip("=")
    assert version in SpecifierSet(pyproject["project"]["requires-python"])
    assert conda_env["name"] == "salescoach"


def test_ruff_is_pinned_once_and_installed_at_the_pin(pyproject):
    pins = [s for s in _pyproject_requirements(pyproject) if _normalised(s)[0] == "ruff"]
    assert len(pins) == 1 and pins[0].startswith("ruff=="), pins
    try:
        installed = metadata.version("ruff")
    except metadata.PackageNotFoundError:
        pytest.skip("ruff is not installed in this environment")
    assert installed == pins[0].removeprefix("ruff=="), "run `make test` to reinstall"


def test_console_script_is_declared(pyproject):
    assert pyproject["project"]["scripts"] == {"salescoach": "salescoach.cli:main"}


def _make_targets(makefile: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.M)}


def test_makefile_has_the_documented_targets(repo_root):
    targets = _make_targets((repo_root / "Makefile").read_text(encoding="utf-8"))
    assert {"demo", "test", "lint", "bench", "clean"} <= targets


def _quick_start_commands(readme: str) -> list[str] | None:
    """Commands in the first code block after a 'Quick start' heading; None if no such block."""
    heading = re.search(r"^#+\s*quick[\s-]*start\b.*$", readme, re.I | re.M)
    if heading is None:
        return None
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme[heading.end() :], re.M | re.S)
    if block is None:
        return None
    commands = []
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip().removeprefix("$").strip()
        # Getting the code is not part of the set-up.
        if line and not line.startswith(("git clone", "cd ")):
            commands.append(line)
    return commands


@pytest.mark.parametrize(
    ("readme", "commands"),
    [
        ("# x\n## Quick start\n\n```sh\nmake demo\nmake test\n```\n", ["make demo", "make test"]),
        (
            "## Quick start\n```console\n$ git clone URL\n$ cd salescoach\n$ make demo  # 2 min\n"
            "$ make test\n```\n",
            ["make demo", "make test"],
        ),
        (
            "## Quick-start\n```\npip install -e .\nmake demo\n```\n",
            ["pip install -e .", "make demo"],
        ),
        ("## Usage\n```\nmake demo\n```\n", None),
    ],
)
def test_quick_start_parser(readme, commands):
    assert _quick_start_commands(readme) == commands


def test_readme_quick_start_is_make_demo_then_make_test(repo_root):
    readme = repo_root / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    commands = _quick_start_commands(readme.read_text(encoding="utf-8"))
    assert commands is not None, "README.md needs a 'Quick start' heading followed by a code block"
    assert commands == ["make demo", "make test"]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("reports/README.md", False),
        ("reports/pack-r1.pdf", True),
        ("reports/index.html", True),
        (".venv/bin/python", True),
        ("salescoach-data/decisions.sqlite", True),
        ("salescoach.toml", True),
        ("salescoach/__pycache__/x.pyc", True),
        ("salescoach.egg-info/PKG-INFO", True),
        ("pyproject.toml", False),
        ("salescoach/templates/salescoach.toml", False),
    ],
)
def test_gitignore(repo_root, path, ignored):
    git = shutil.which("git")
    if git is None or not (repo_root / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        [git, "check-ignore", "--no-index", "-q", path], cwd=repo_root, check=False
    )
    assert result.returncode in (0, 1), "git check-ignore failed"
    assert (result.returncode == 0) is ignored
