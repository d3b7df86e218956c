"""The kit as users get it: the wheel and sdist carry every notebook, template and catalogue,
and the installed commands work from an empty folder, never reading the checkout.

The second test installs the wheel into a fresh venv and runs the commands there; it takes a
couple of minutes, so it is marked `install` (skip it with `-m "not install"`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from salescoach import shipped
from salescoach.data.workbook import copy_notebooks, init_workbook

REPO = Path(__file__).resolve().parent.parent
# Folders of the checkout that the wheel carries under salescoach/_shipped/.
SHIPPED_FOLDERS = ("notebooks", "templates")
# Folders inside the package that the wheel carries as they are.
PACKAGE_DATA = ("salescoach/locale", "salescoach/resources")
LEFTOVERS = (".ipynb_checkpoints", "__pycache__")


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part in LEFTOVERS for part in p.parts) and p.suffix != ".pyc"
    )


def _shipped_files() -> list[str]:
    """What the wheel must hold, as its paths: notebooks/, templates/, catalogues, resources."""
    wanted = [
        f"salescoach/_shipped/{p.relative_to(REPO).as_posix()}"
        for folder in SHIPPED_FOLDERS
        for p in _files(REPO / folder)
    ]
    wanted += [p.relative_to(REPO).as_posix() for f in PACKAGE_DATA for p in _files(REPO / f)]
    return wanted


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel built from it, as `python -m build` makes them for a release."""
    pytest.importorskip("build", reason="`build` is in the dev extra: pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("dist")
    started = time.perf_counter()
    # --no-isolation: the environment's setuptools builds it, so no network is needed.
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"built sdist and wheel in {time.perf_counter() - started:.1f} s")
    (wheel,) = out.glob("salescoach-*.whl")
    (sdist,) = out.glob("salescoach-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_carries_every_notebook_template_and_catalogue(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    wanted = _shipped_files()
    print(f"wheel: {len(names)} files, {len(wanted)} of them notebooks, templates and data")
    assert [n for n in wanted if n not in names] == []
    for name in (
        *(f"salescoach/_shipped/notebooks/{n}" for n in shipped.EDITABLE_NOTEBOOKS),
        "salescoach/_shipped/notebooks/app/manager.ipynb",
        "salescoach/_shipped/templates/pack/conf.json",
        "salescoach/_shipped/templates/letters/goal_letter.html.j2",
        "salescoach/_shipped/templates/digest/digest.html.j2",
        "salescoach/_shipped/templates/notebooks/coaching_session.ipynb",
        "salescoach/locale/el/LC_MESSAGES/salescoach.po",
        "salescoach/resources/salescoach.toml",
        "salescoach/shipped.py",
    ):
        assert name in names
    assert not [n for n in names if any(f"/{x}/" in n for x in LEFTOVERS)]


def test_the_sdist_carries_what_the_wheel_is_built_from(dist):
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    wanted = [p.relative_to(REPO).as_posix() for f in SHIPPED_FOLDERS for p in _files(REPO / f)]
    assert [n for n in wanted if n not in names] == []
    assert {"setup.py", "MANIFEST.in", "pyproject.toml", "environment.yml"} <= names


def test_the_kit_finds_its_files_through_the_package():
    assert shipped.notebook("rep_review").is_file()
    assert shipped.notebook("app/manager.ipynb").is_file()
    assert (shipped.templates_dir() / "pack" / "conf.json").is_file()
    assert [n for n in shipped.EDITABLE_NOTEBOOKS if not shipped.notebook(n).is_file()] == []


def test_init_copies_the_editable_notebooks_and_keeps_a_trainers_edit(tmp_path):
    init_workbook(tmp_path / "wb")
    folder = tmp_path / "wb" / "notebooks"
    assert sorted(p.name for p in folder.iterdir()) == sorted(shipped.EDITABLE_NOTEBOOKS)
    for name in shipped.EDITABLE_NOTEBOOKS:
        assert (folder / name).read_bytes() == shipped.notebook(name).read_bytes()
    (folder / "rep_review.ipynb").write_text("{}  ", encoding="utf-8")
    init_workbook(tmp_path / "wb", force=True)
    assert (folder / "rep_review.ipynb").read_text(encoding="utf-8") == "{}  "


def test_a_workbook_at_the_checkout_root_copies_nothing(tmp_path, monkeypatch):
    # `make demo` makes the checkout a workbook: its notebooks/ are the kit's own.
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(shipped, "notebooks_dir", lambda: tmp_path / "notebooks")
    assert copy_notebooks(tmp_path) == []
    assert list((tmp_path / "notebooks").iterdir()) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_venv(root: Path, wheel: Path) -> Path:
    """A venv with the wheel installed and the kit's dependencies taken from this environment.

    A plain venv sees neither this environment nor the checkout; a .pth line lends it this
    environment's site-packages (the dependencies) without running that folder's own .pth files,
    so the editable install of the checkout stays invisible. Installing the dependencies from
    PyPI instead takes about 3 minutes and 1 GB, and needs the network.
    """
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_salescoach_test_deps.pth").write_text("\n".join(sorted(lent)) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
        + ["--ignore-installed", "--no-warn-script-location", str(wheel)],
        check=True,
    )
    return venv


@pytest.mark.install
@pytest.mark.timeout(900)
def test_the_installed_commands_work_from_an_empty_folder(dist, tmp_path):
    timings: dict[str, float] = {}
    started = time.perf_counter()
    venv = _fresh_venv(tmp_path, dist["wheel"])
    timings["venv and install"] = time.perf_counter() - started
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "SALESCOACH_WORKBOOK", "SALESCOACH_APP_NOTEBOOKS")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # nbconvert's and Voila's templates and the kernel spec live in share/jupyter of the
    # environment that lent the dependencies.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    salescoach = str(venv / "bin" / "salescoach")

    def run(name: str, *args: str, timeout: int = 300) -> str:
        began = time.perf_counter()
        done = subprocess.run(
            args, cwd=empty, env=env, capture_output=True, text=True, timeout=timeout
        )
        timings[name] = time.perf_counter() - began
        assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    where = run(
        "import",
        str(venv / "bin" / "python"),
        "-c",
        "import salescoach, salescoach.shipped as s; print(salescoach.__file__); print(s.root())",
    ).split()
    assert all(Path(w).is_relative_to(venv) for w in where), where
    assert where[1].endswith("_shipped")

    wb = ["--workbook", "wb"]
    run("init", salescoach, "init", "wb")
    assert sorted(p.name for p in (empty / "wb" / "notebooks").iterdir()) == sorted(
        shipped.EDITABLE_NOTEBOOKS
    )
    run("demo", salescoach, *wb, "demo", "--no-packs", "--scale", "0.2")
    from salescoach.packs.browser import find_chromium

    formats = "html,pdf" if find_chromium() else "html"
    run(
        f"render ({formats})",
        *(salescoach, *wb, "render", "--rep", "R001", "--period", "2026-Q3"),
        *("--format", formats, "--jobs", "1"),
    )
    assert "coaching_session" in run("template list", salescoach, *wb, "template", "list")
    run("template new", salescoach, *wb, "template", "new", "coaching_session", "one")
    run(
        "template check",
        salescoach,
        *wb,
        "template",
        "check",
        "wb/notebooks/one.ipynb",
        "--period",
        "2026-Q3",
    )
    run("digest", salescoach, *wb, "digest", "--period", "2026-Q3")
    reports = empty / "wb" / "reports" / "2026-Q3"
    packs = sorted(p.name for p in reports.rglob("R001.*"))
    assert packs == sorted(f"R001.{f}" for f in formats.split(",")), packs
    assert (reports / "digest.html").is_file()

    port = _free_port()
    began = time.perf_counter()
    server = subprocess.Popen(
        [salescoach, *wb, "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://localhost:{port}/voila/render/manager.ipynb"
    status = None
    try:
        while time.perf_counter() - began < 180 and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=60) as page:
                    status = page.status
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
    finally:
        server.terminate()
        try:
            log, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            log, _ = server.communicate()
    timings["serve (until the app answers)"] = time.perf_counter() - began
    print("\n".join(f"{name:<32} {seconds:6.1f} s" for name, seconds in timings.items()))
    assert status == 200, log[-3000:]
    shutil.rmtree(venv, ignore_errors=True)
