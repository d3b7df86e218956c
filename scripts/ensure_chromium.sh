#!/bin/sh
# Makes sure a Chromium exists for Playwright to drive (PDF packs, app tests) and prints its path.
#
#   scripts/ensure_chromium.sh           find one; install Debian's chromium if none and apt works
#   scripts/ensure_chromium.sh --find    find only; exit 1 if none
#
# Never runs `playwright install`: that downloads a browser build, which closed networks refuse.
# The search order matches salescoach.browser.find_chromium().
set -u

find_chromium() {
    if [ -n "${SALESCOACH_CHROMIUM:-}" ]; then
        if p=$(command -v "$SALESCOACH_CHROMIUM" 2>/dev/null) && [ -x "$p" ]; then
            echo "$p"; return 0
        fi
        echo "salescoach: SALESCOACH_CHROMIUM=$SALESCOACH_CHROMIUM is not an executable; looking elsewhere" >&2
    fi
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if p=$(command -v "$name" 2>/dev/null); then echo "$p"; return 0; fi
    done
    if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; return 0; fi
    return 1
}

if find_chromium; then exit 0; fi
if [ "${1:-}" = "--find" ]; then exit 1; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "salescoach: installing Debian's chromium (apt-get) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    # fonts-dejavu-core: Greek and other scripts in rendered PDFs.
    pkgs="chromium fonts-dejavu-core"
    # Only refresh the package lists when the install fails without it.
    apt-get install -y -q $pkgs >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q $pkgs >/dev/null; } \
        || echo "salescoach: apt-get install chromium failed" >&2
    if find_chromium; then exit 0; fi
fi

echo "salescoach: no Chromium found; install chromium or set SALESCOACH_CHROMIUM=/path/to/chrome (PDF output and browser tests are skipped until then)" >&2
exit 0
