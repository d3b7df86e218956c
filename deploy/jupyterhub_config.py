"""JupyterHub for a sales organisation: each login gets its own server running the kit's app.

Run it from the environment the kit is installed in (the hub and the users' servers share it):

    SALESCOACH_WORKBOOK=/srv/coaching jupyterhub -f deploy/jupyterhub_config.py

Each person logs in at http://<host>:8000/ and lands on the app (`notebooks/app/manager.ipynb`
of the installed kit, through Voila's server extension). The hub sets `JUPYTERHUB_USER` in their
server and its kernels, so the app and every decision know who is asking; the workbook's
`access.toml` says what each login sees.

Settings from the environment (``tests/test_hub.py`` runs this file with them):

    SALESCOACH_WORKBOOK       the workbook folder (required)
    SALESCOACH_HUB_AUTH       the authenticator: pam (the machine's logins, the default) or
                              dummy (any password: for trying it out and tests only)
    SALESCOACH_HUB_PROXY      the configurable-http-proxy to run (default: npm's when on
                              PATH, else the one from PyPI)
    SALESCOACH_HUB_IP, _PORT  where the hub listens (127.0.0.1, 8000)
    SALESCOACH_HUB_API_PORT, SALESCOACH_HUB_PROXY_PORT
                              the hub's and the proxy's internal APIs (8081, 8001)
    SALESCOACH_HUB_STATE      folder for the hub's database, cookie secret and users' homes
                              (the current folder)
"""

import os
import shutil
import sys
from pathlib import Path

from salescoach import shipped

c = get_config()  # noqa: F821 - JupyterHub's config loader provides it

workbook = Path(os.environ["SALESCOACH_WORKBOOK"]).resolve()
state = Path(os.environ.get("SALESCOACH_HUB_STATE", ".")).resolve()
state.mkdir(parents=True, exist_ok=True)
app = shipped.notebooks_dir() / "app"

c.JupyterHub.ip = os.environ.get("SALESCOACH_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("SALESCOACH_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
# The hub's internal API and the proxy's: their usual ports unless told (a test picks free ones).
c.JupyterHub.hub_port = int(os.environ.get("SALESCOACH_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{os.environ.get('SALESCOACH_HUB_PROXY_PORT', '8001')}"
)
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
# The proxy: $SALESCOACH_HUB_PROXY, else npm's configurable-http-proxy (the reference one,
# which streams the spawn page's progress), else the one from PyPI (the `hub` extra).
found = [
    shutil.which("configurable-http-proxy", path=folder)
    for folder in [*os.environ.get("PATH", "").split(os.pathsep), str(Path(sys.executable).parent)]
]
found = [f for f in dict.fromkeys(found) if f]
node = [f for f in found if "node" in Path(f).read_bytes()[:100].decode("latin-1")]
proxy = os.environ.get("SALESCOACH_HUB_PROXY") or next(iter(node + found), None)
if proxy:
    c.ConfigurableHTTPProxy.command = [proxy]

auth = os.environ.get("SALESCOACH_HUB_AUTH", "pam")
if auth == "dummy":
    c.JupyterHub.authenticator_class = "dummy"  # any password: for trying and tests only
else:
    c.JupyterHub.authenticator_class = "pam"
# Who may log in at all is the workbook's access file; a login it does not name sees nothing.
c.Authenticator.allow_all = True

# Each user's server runs as the hub's own account (SimpleLocalProcessSpawner); with PAM and
# root, LocalProcessSpawner runs it as the user instead.
c.JupyterHub.spawner_class = "simple" if auth == "dummy" else "localprocess"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
c.Spawner.args = [f"--ServerApp.root_dir={app}", "--ServerApp.open_browser=False"]
if os.geteuid() == 0:  # a container or CI running all as root: the servers run as root too
    c.Spawner.args.append("--allow-root")
c.Spawner.default_url = "/voila/render/manager.ipynb"
c.Spawner.environment = {"SALESCOACH_WORKBOOK": str(workbook)}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
