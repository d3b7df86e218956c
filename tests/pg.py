"""A throwaway PostgreSQL cluster for tests, on 127.0.0.1 and a free port.

``pg_url`` is a session-scoped pytest fixture yielding the URL of a fresh database on a cluster
that lives in a temporary folder and is stopped and deleted at the end of the session. It skips,
with the reason, when no PostgreSQL server can be started (binaries missing, root without a
``postgres`` user, ...). ``new_database(pg_url)`` makes a further empty database, so each test
can start clean.

Use it from a test module with ``from tests.pg import pg_url  # noqa: F401``, or register it
once with ``pytest_plugins = ["tests.pg"]`` in the top-level conftest.py.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_SEARCH = [
    "/usr/lib/postgresql/*/bin",  # Debian, Ubuntu
    "/usr/pgsql-*/bin",  # RHEL, Fedora (PGDG)
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
]
_START_TIMEOUT_S = 30


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why."""


def _version_key(folder: str) -> tuple:
    digits = "".join(c if c.isdigit() else " " for c in folder).split()
    return tuple(int(d) for d in digits)


def find_pg_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then the usual places."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates = [folder for pattern in _SEARCH for folder in glob.glob(pattern)]
    for folder in sorted(candidates, key=_version_key, reverse=True):  # newest first
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise PostgresUnavailable(
        "initdb and pg_ctl were found neither on PATH nor in " + ", ".join(_SEARCH)
    )


def _server_user() -> str | None:
    """The OS user to run the server as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        useradd = shutil.which("useradd")
        if not useradd:
            raise PostgresUnavailable(
                "running as root, there is no 'postgres' user and no useradd to create one"
            ) from None
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "postgres"], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"running as root and could not create a 'postgres' user: {result.stderr.strip()}"
            ) from None
    return "postgres"


def _as_user(user: str | None, command: list[str]) -> list[str]:
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(command)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], cwd: Path, timeout: float = 60) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{shlex.join(command)} failed: {(result.stderr or result.stdout).strip()[-2000:]}"
        )


def _stop(bin_dir: Path, data: Path, user: str | None, root: Path) -> None:
    pid_file = data / "postmaster.pid"
    pid = None
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
    try:
        # "immediate": the cluster is thrown away, so there is nothing to checkpoint.
        subprocess.run(
            _as_user(
                user,
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "20",
                    "stop",
                ],
            ),
            cwd=root,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        pass
    if pid is not None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)  # the postmaster; its children exit when it dies
        except (ProcessLookupError, PermissionError):
            pass


@contextmanager
def postgres_cluster(database: str = "salescoach_test") -> Iterator[str]:
    """Start a throwaway cluster, yield the URL of ``database`` on it, stop and delete it."""
    bin_dir = find_pg_bin()
    user = _server_user()
    # /tmp, not a TMPDIR under /root: the postgres user must be able to reach the folder.
    base = tempfile.gettempdir() if user is None else "/tmp"
    root = Path(tempfile.mkdtemp(prefix="salescoach-pg-", dir=base))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    started = False
    try:
        if user is not None:
            info = pwd.getpwnam(user)
            for path in (root, sockets):
                os.chown(path, info.pw_uid, info.pw_gid)
        _run(
            _as_user(
                user,
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
            ),
            cwd=root,
        )
        for attempt in range(3):  # the free port may be taken between probe and start
            port = _free_port()
            options = (
                f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
                # A test cluster needs no durability; this makes it start and run fast.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run(
                    _as_user(
                        user,
                        [
                            str(bin_dir / "pg_ctl"),
                            "-D",
                            str(data),
                            "-l",
                            str(log),
                            "-w",
                            "-t",
                            str(_START_TIMEOUT_S),
                            "-o",
                            options,
                            "start",
                        ],
                    ),
                    cwd=root,
                    timeout=_START_TIMEOUT_S + 10,
                )
                started = True
                break
            except PostgresUnavailable as error:
                _stop(bin_dir, data, user, root)
                if attempt == 2:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise PostgresUnavailable(f"{error}\n{tail}") from None
        createdb = [
            str(bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            database,
        ]
        _run(createdb, cwd=root)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        if started:
            _stop(bin_dir, data, user, root)
        shutil.rmtree(root, ignore_errors=True)


def new_database(url: str, prefix: str = "t") -> str:
    """Create an empty database on the server of ``url`` and return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        dbname=parsed.database,
        autocommit=True,
    ) as conn:
        # FILE_COPY (PostgreSQL 15+) is faster than the default WAL_LOG for a tiny template.
        fast = conn.info.server_version >= 150000
        conn.execute(f'CREATE DATABASE "{name}"' + (" STRATEGY FILE_COPY" if fast else ""))
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database on a throwaway PostgreSQL server; skips if none can be started."""
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    try:
        cluster = postgres_cluster()
        url = cluster.__enter__()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL unavailable: {error}")
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)
