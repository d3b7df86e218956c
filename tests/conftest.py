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


@pytest.fixture(scope="session")
def sample_workbook(tmp_path_factory):
    """A workbook holding the imported sample organisation (seed 7, scale 1), built once per run.

    Shared by the whole run: tests that write decisions use unique keys or their own store.
    """
    from salescoach.data.importer import validate_path
    from salescoach.data.sample import write_sample
    from salescoach.data.workbook import Workbook, init_workbook

    root = tmp_path_factory.mktemp("sample-workbook")
    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=1.0)
    result = validate_path(folder)
    assert result.rejects.empty, result.rejects.head()
    wb = Workbook.open(root)
    wb.save_import(result, str(folder), "tests")
    return wb


@pytest.fixture(scope="session")
def small_workbook(tmp_path_factory):
    """The sample organisation at scale 0.1 (seed 7), imported into a fresh workbook, once."""
    from salescoach.data.importer import validate_path
    from salescoach.data.sample import write_sample
    from salescoach.data.workbook import Workbook, init_workbook

    root = tmp_path_factory.mktemp("small-workbook")
    init_workbook(root, company="Northwind Widgets (sample)")
    folder = root / "salescoach-data" / "sample"
    write_sample(folder, seed=7, scale=0.1)
    result = validate_path(folder)
    assert result.rejects.empty, result.rejects.head()
    wb = Workbook.open(root)
    wb.save_import(result, str(folder), "tests")
    return wb


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
