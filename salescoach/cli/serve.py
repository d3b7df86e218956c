"""`salescoach serve`: the manager's app (notebooks/app/) in Voila.

Kernels are preheated (the app notebook runs before anyone asks, so the first view comes at
once), a closed page's kernel is shut down seconds later (each page load takes a kernel, and a
kernel holding a million order lines is not free), the code is hidden, the app is the one
notebook served (the folder and the page notebooks lead to it), and no page asks another host
for anything. The server listens on localhost unless told otherwise and answers only requests
addressed to localhost (a web page using DNS rebinding gets 403); listening on any other
interface needs a token of at least 16 characters or a password.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from salescoach.cli.common import UserError, user_errors
from salescoach.data.workbook import ENV_VAR, Workbook, resolve_root
from salescoach.i18n import _

APP_NOTEBOOK = "manager.ipynb"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORT = 8866
# A short token can be guessed by anyone who reaches the port.
MIN_TOKEN_CHARS = 16
# The backstop for a kernel whose page left without a word: idle this long with no page
# connected, it is shut down. A closed page's kernel goes within seconds (serving.py); the
# culler's round also finds kernels handed to a page that never connected.
CULL_IDLE_S = 900
CULL_INTERVAL_S = 10
FILL_DELAY_S = 5
# Voila template (salescoach/resources/voila/templates/salescoach): the lab template without
# links to a CDN.
TEMPLATE = "salescoach"
RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def notebooks_dir() -> Path:
    """The app notebooks: ``notebooks/app`` of the installed kit (or ``$SALESCOACH_APP_NOTEBOOKS``)."""
    wanted = os.environ.get("SALESCOACH_APP_NOTEBOOKS")
    if wanted:
        return Path(wanted).resolve()
    from salescoach import shipped

    return shipped.notebooks_dir() / "app"


def is_local(ip: str) -> bool:
    """Whether the server listens on this machine only."""
    return ip in LOCAL_HOSTS


def check_access(ip: str, token: str | None, password_hash) -> None:
    """Refuse to listen beyond this machine without a token or a password, or with a short token."""
    if is_local(ip):
        return
    if not (token or password_hash):
        raise UserError(
            _(
                "Listening on {ip} lets anyone who can reach this machine read and change the decisions: give --token or --password-hash, or serve behind JupyterHub.",
                ip=ip,
            )
        )
    if token and len(token) < MIN_TOKEN_CHARS:
        raise UserError(
            _(
                "A token of {count} characters can be guessed by anyone who reaches {ip}: give one of at least {minimum} (openssl rand -hex 16 makes one).",
                count=len(token),
                ip=ip,
                minimum=MIN_TOKEN_CHARS,
            )
        )


def voila_config(
    port: int,
    ip: str = "localhost",
    token: str | None = None,
    password_hash: str | tuple[str, ...] | None = None,
    pool: int = 1,
    cull_idle: int = CULL_IDLE_S,
):
    """The traitlets Config that `serve` starts Voila with (a function, so tests can read it)."""
    from traitlets.config import Config

    c = Config()
    c.Voila.port = port
    c.Voila.ip = ip
    c.Voila.port_retries = 0  # the port asked for, or fail: a test or a proxy expects it there
    c.Voila.open_browser = False
    c.Voila.token = token or None
    from salescoach.cli.logins import split_hashes

    shared, logins = split_hashes(
        [password_hash] if isinstance(password_hash, str) else password_hash
    )
    if shared:
        c.PasswordIdentityProvider.hashed_password = shared
    if logins:
        from salescoach.cli.logins import LOGIN_HEADER, LoginsIdentityProvider

        c.Voila.identity_provider_class = LoginsIdentityProvider
        c.LoginsIdentityProvider.hashed_passwords = logins
        c.VoilaConfiguration.http_header_envs = [LOGIN_HEADER]
    # Voila answers any Host header; on localhost only names of this machine are accepted, so
    # a web page that rebinds its own name to 127.0.0.1 cannot drive the app. Beyond localhost
    # the token or the password keeps such a page out, and visitors use the server's names.
    c.Voila.tornado_settings = {
        "allow_remote_access": not is_local(ip),
        "local_hostnames": ["localhost"],
    }
    c.AppVoila.app_notebook = APP_NOTEBOOK
    c.VoilaConfiguration.template = TEMPLATE
    # ?template=lab would bring the CDN links back.
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    # A preheated kernel runs before anyone logs in: with logins, each page's kernel starts
    # with its login instead.
    c.VoilaConfiguration.preheat_kernel = not logins
    c.VoilaConfiguration.default_pool_size = 0
    # Only the whole app is preheated; a page notebook opened alone starts its own kernel.
    c.VoilaKernelManager.kernel_pools_config = {
        "default": {"pool_size": 0},
        APP_NOTEBOOK: {"pool_size": max(pool, 0)},
    }
    # Refill the pool a little after a page took the preheated kernel: starting a kernel
    # (and reading the facts) at once would compete with that page for the CPU.
    c.VoilaKernelManager.fill_delay = FILL_DELAY_S
    c.VoilaConfiguration.multi_kernel_manager_class = "salescoach.cli.serving.PageKernelManager"
    c.MappingKernelManager.cull_idle_timeout = cull_idle
    c.MappingKernelManager.cull_interval = CULL_INTERVAL_S
    c.MappingKernelManager.cull_connected = False
    # IPC sockets instead of TCP: nothing listens on the network for kernels, and ipykernel
    # stops warning about unencrypted TCP at every start.
    c.KernelManager.transport = "ipc"
    # Code highlighting for cells the app never shows (its sources are stripped): three scripts
    # fewer for each page load to fetch and run (first view, 6 cold loads each at load 0.7-1.1:
    # median 1.60 s against 1.78 s, noisy).
    c.VoilaConfiguration.extension_denylist = ["jupyterlab_pygments"]
    return c


@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to listen on.")
@click.option(
    "--workbook",
    "workbook",
    type=click.Path(file_okay=False, path_type=Path),
    help="Workbook folder (default: the global --workbook, $SALESCOACH_WORKBOOK, the current folder).",
)
@click.option(
    "--ip",
    default="localhost",
    show_default=True,
    help="Interface to listen on; anything but localhost needs --token (16 characters or more) or --password-hash.",
)
@click.option(
    "--token",
    envvar="SALESCOACH_TOKEN",
    help="Token every visitor must give (?token=...); default $SALESCOACH_TOKEN.",
)
@click.option(
    "--password-hash",
    "password_hash",
    multiple=True,
    envvar="SALESCOACH_PASSWORD_HASH",
    help="A Jupyter password hash (jupyter_server.auth.passwd): visitors log in with the password. LOGIN=HASH, given once per person: each logs in with their own password and is that login (access.toml, the 'who' of decisions).",
)
@click.option("--pool", default=1, show_default=True, help="Kernels kept preheated for the app.")
@click.option(
    "--cull-idle",
    default=CULL_IDLE_S,
    show_default=True,
    help="Seconds after which an idle kernel no page is connected to is shut down (a closed page's kernel goes within seconds).",
)
@click.pass_context
@user_errors
def serve(
    ctx: click.Context,
    port: int,
    workbook: Path | None,
    ip: str,
    token: str | None,
    password_hash: tuple[str, ...],
    pool: int,
    cull_idle: int,
) -> None:
    """Start the manager's app in Voila (code hidden, preheated kernels, a closed page's kernel shut down)."""
    check_access(ip, token, password_hash)
    wb = Workbook.open(resolve_root(workbook or ctx.find_root().obj["workbook"]))
    folder = notebooks_dir()
    if not (folder / APP_NOTEBOOK).is_file():
        raise UserError(_("The app notebooks are missing: no {path}", path=folder / APP_NOTEBOOK))
    # Kernels inherit the environment: this is how the notebooks find the workbook.
    os.environ[ENV_VAR] = str(wb.root)
    # Voila looks for templates in the Jupyter data folders; the kit's come first.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(RESOURCES), os.environ.get("JUPYTER_PATH")) if p
    )
    host = f"[{ip}]" if ":" in ip else ip
    click.echo(
        _(
            "Serving {workbook} at http://{host}:{port}/voila/render/{notebook} (Ctrl-C stops)",
            workbook=wb.root,
            host=host,
            port=port,
            notebook=APP_NOTEBOOK,
        )
    )
    from salescoach.cli.serving import AppVoila

    AppVoila.launch_instance(
        argv=[str(folder)],
        config=voila_config(port, ip, token, password_hash, pool, cull_idle),
    )
