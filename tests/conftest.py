"""Fixtures shared across the test suite. Keep each one small and say what needs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from salescoach.packs import browser

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def english_between_tests():
    """Entry points set the process's language (i18n.set_language); a test that opens a Greek
    workbook must not leave the next test's messages in Greek."""
    from salescoach import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top folder (pyproject.toml, Makefile, README.md)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium for Playwright; skips the test, saying why, when there is none."""
    path = browser.find_chromium()
    if path is None:
        pytest.skip(browser.MISSING)
    return path


def build_sample_workbook(root, scale: float):
    """The sample organisation (seed 7) at `scale`, imported into a fresh workbook at `root`."""
    from salescoach.data.importer import validate_path
    from salescoach.data.sample import write_sample
    from salescoach.data.workbook import Workbook, init_workbook

    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=scale)
    result = validate_path(folder)
    assert result.rejects.empty, result.rejects.head()
    wb = Workbook.open(root)
    wb.save_import(result, str(folder), "tests")
    return wb


def build_demo_workbook(root, scale: float):
    """What `salescoach demo --scale SCALE --no-packs` makes at `root` (the command is run)."""
    from click.testing import CliRunner

    from salescoach.cli import main

    result = CliRunner().invoke(
        main, ["--workbook", str(root), "demo", "--scale", str(scale), "--no-packs"]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, request) -> Path:
    """A folder every pytest-xdist worker of this run sees (the run's base temp folder); read
    from the config, not xdist's worker_id fixture, so `-p no:xdist` works too."""
    base = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # an xdist worker: its basetemp is popen-gwN/
        base = base.parent
    folder = base / "shared-builds"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def built_once(run_dir, tmp_path_factory):
    """`built_once(name, build)`: a private copy of a folder that `build(root)` makes, built once
    per run, not once per worker or per module.

    Building the sample workbook takes 15-35 s, `demo --no-packs` several; a copy takes a
    fraction of a second. The first worker to ask builds it into `run_dir` under a file lock
    (the other waits), then every caller gets its own copy, so a test that writes to its copy
    (decisions, reports, a renamed rep) reaches no other test: the same isolation as a build
    of its own, from the same code.
    """
    import fcntl
    import shutil

    def get(name: str, build) -> Path:
        source = run_dir / name / "root"
        with open(run_dir / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (run_dir / name / "done").exists():
                    shutil.rmtree(run_dir / name, ignore_errors=True)
                    (run_dir / name).mkdir()
                    build(source)
                    (run_dir / name / "done").write_text("")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        copy = tmp_path_factory.mktemp(name) / "wb"
        shutil.copytree(source, copy, symlinks=True)
        return copy

    return get


@pytest.fixture(scope="session")
def sample_workbook(built_once):
    """A workbook holding the imported sample organisation (seed 7, scale 1), built once per run
    (each worker has its own copy).

    Shared by the whole worker: tests that write decisions use unique keys or their own store.
    """
    from salescoach.data.workbook import Workbook

    return Workbook.open(built_once("sample-1", lambda root: build_sample_workbook(root, 1.0)))


@pytest.fixture(scope="session")
def small_workbook(built_once):
    """The sample organisation at scale 0.1 (seed 7), imported into a fresh workbook, once."""
    from salescoach.data.workbook import Workbook

    return Workbook.open(built_once("sample-0.1", lambda root: build_sample_workbook(root, 0.1)))


@pytest.fixture(scope="session")
def demo_workbook(built_once):
    """`demo_workbook()`: the root of a private copy of `salescoach demo --scale 0.2 --no-packs`,
    built once per run."""
    return lambda: built_once("demo-0.2", lambda root: build_demo_workbook(root, 0.2))


@pytest.fixture(scope="session")
def sample_tables(sample_workbook) -> dict:
    """The sample's tables as the import stores them (parsed and validated)."""
    return sample_workbook.facts().all()


@pytest.fixture(scope="session")
def ground_truth(sample_workbook) -> list[dict]:
    """The planted problems of the sample organisation."""
    import json

    path = sample_workbook.data_dir / "sample" / "ground_truth.json"
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- scheduling
#
# `make test` runs `pytest -n auto --dist loadgroup --no-loadscope-reorder`, and the scheduler below
# decides the groups: each test file is one group (one worker, in file order: the browser tests
# share a page across a file), except test_ablation.py, where each export shape is one group. A
# shape's tests share its workbook (the commands write goals to it, the renders write reports
# and caches: two renders of one workbook at once failed with "TypeError: '>' not supported
# between NoneType and int"), and different shapes share nothing but the base tables, so they
# spread over the workers; with --dist loadfile the whole matrix ran on one worker.
# Workers take the next group when they finish one, so the longest groups are sent first
# (pytest_collection_modifyitems orders them; --no-loadscope-reorder keeps that order).
#
# Why not xdist_group marks: pytest-xdist 3.8 names a marked test's group by assigning
# `item._nodeid`, which pytest 9 no longer reads, so every test ran as its own group.

# Groups known to take a minute or more, longest first, so that what is left for the end of the
# run is short groups that keep both workers busy. Seconds are the sums of the group's tests in
# a run with --durations on this 2-core machine while it was loaded (load average 5-13):
# relative, not CI times.
SLOW_FIRST = (
    "ablation-numeric-ids",  # 664 s: 18 render runs (pack batches, template checks, notebooks)
    "tests/test_privacy.py",  # 645 s: every rep's pack as HTML and PDF
    "tests/test_distribution.py",  # 459 s: build, a fresh venv, the installed commands
    "tests/test_render.py",  # 405 s: batches, a killed batch, Dask
    "ablation-required-only",  # the other render shapes: 14 render runs, ~380 s each
    "ablation-deals-only",
    "ablation-orders-no-status-dates",
    "tests/test_cli.py",  # 346 s: the demo renders every pack
    "tests/test_serve.py",  # 337 s: 10 browser tabs against a server
    "tests/test_two_servers.py",  # 161-183 s: two servers, Chromium and PostgreSQL
    "tests/test_render_privacy.py",  # 204 s
    "tests/test_templates.py",  # 180 s
    "tests/test_access_browser.py",  # 126 s
    "tests/test_app_browser.py",  # 109 s
)
ABLATION = "tests/test_ablation.py"


def group_of(nodeid: str) -> str:
    """The xdist group of a test: its file, or for test_ablation.py its shape (the render
    test's second parameter is named `run=...`, so the shape is what comes before it); the
    ablation's tests without a parameter use the "full" shape's workbook."""
    path = nodeid.split("::", 1)[0]
    if path != ABLATION:
        return path
    if not nodeid.endswith("]") or "[" not in nodeid:
        return "ablation-full"
    params = nodeid[nodeid.index("[") + 1 : -1]
    return f"ablation-{params.split('-run=', 1)[0]}"


def _rank(nodeid: str) -> int:
    """SLOW_FIRST's groups in its order, then the other ablation shapes (80-230 s each: every
    command and app page, or diagnose on a column-drop shape), then the rest."""
    group = group_of(nodeid)
    if group in SLOW_FIRST:
        return SLOW_FIRST.index(group)
    return len(SLOW_FIRST) + (not group.startswith("ablation-"))


def pytest_collection_modifyitems(config, items):
    """The slow groups first; sorted() is stable, so a file's tests keep their order."""
    items[:] = sorted(items, key=lambda item: _rank(item.nodeid))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadgroup with the groups of group_of (see above); other --dist modes as xdist has
    them."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)
