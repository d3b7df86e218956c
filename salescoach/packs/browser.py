"""The system Chromium that Playwright drives for PDF packs and app tests.

Playwright's own browser download (`playwright install`) is never used: closed networks refuse
it. A Chromium comes from the system instead (Debian: `apt-get install chromium`), or from
``SALESCOACH_CHROMIUM``. ``scripts/ensure_chromium.sh`` searches in the same order.

Example::

    from playwright.sync_api import sync_playwright
    from salescoach.packs import browser

    with sync_playwright() as p:
        chromium = browser.launch(p)
        page = chromium.new_page()
        page.set_content("<p>Καλημέρα</p>")
        pdf = page.pdf()
        chromium.close()
"""

from __future__ import annotations

import os
import shutil
import warnings
from typing import Any

ENV_VAR = "SALESCOACH_CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FALLBACK = "/usr/bin/chromium"
MISSING = (
    "no Chromium found: install chromium (Debian: apt-get install chromium) "
    f"or set {ENV_VAR}=/path/to/chrome"
)


def find_chromium() -> str | None:
    """Path of the Chromium to use, or None when there is none."""
    wanted = os.environ.get(ENV_VAR)
    if wanted:
        found = shutil.which(wanted)
        if found:
            return found
        warnings.warn(f"{ENV_VAR}={wanted} is not an executable; looking elsewhere", stacklevel=2)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.access(FALLBACK, os.X_OK):
        return FALLBACK
    return None


def chromium_args(is_root: bool | None = None) -> list[str]:
    """Flags that let Chromium start as root and stay quiet on a closed network."""
    if is_root is None:
        is_root = getattr(os, "geteuid", lambda: -1)() == 0
    # Without the networking flags Chromium keeps dialling Google's hosts, which a closed
    # network refuses, many connections at a time.
    args = [
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    if is_root:
        # Chromium refuses to run as root with its sandbox on.
        args.insert(0, "--no-sandbox")
    return args


CHROMIUM_ARGS: tuple[str, ...] = tuple(chromium_args())


def launch(playwright: Any, **options: Any) -> Any:
    """Launch the system Chromium through a started Playwright (sync or async API).

    ``options`` go to ``playwright.chromium.launch`` (for example ``timeout``). Raises
    RuntimeError with an install hint when there is no Chromium.
    """
    path = find_chromium()
    if path is None:
        raise RuntimeError(MISSING)
    args = [*CHROMIUM_ARGS, *options.pop("args", [])]
    return playwright.chromium.launch(executable_path=path, args=args, headless=True, **options)


if __name__ == "__main__":
    import sys

    found = find_chromium()
    print(found or MISSING, file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
