#!/bin/sh
# Makes sure a Chromium exists for Playwright to drive (PDF packs, app tests) and prints its path;
# also installs the fonts with Greek glyphs and poppler-utils that PDF packs and their tests use.
#
#   scripts/ensure_chromium.sh           find one; install Debian's chromium if none and apt works
#   scripts/ensure_chromium.sh --find    find only; exit 1 if none
#
# Never runs `playwright install`: that downloads a browser build, which closed networks refuse.
# The search order matches salescoach.packs.browser.find_chromium().
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

# What a PDF pack needs besides the browser: a font with Greek glyphs (DejaVu Sans, named
# first in the packs' CSS and used by the charts) and poppler's pdftotext/pdffonts, which the
# privacy check and the Greek PDF test read packs with. Installed as root on Debian, like
# Chromium; elsewhere the tests that need them skip with the reason.
ensure_pdf_tools() {
    missing=""
    if ! command -v fc-list >/dev/null 2>&1 || ! fc-list :lang=el family 2>/dev/null | grep -q "DejaVu Sans"; then
        missing="$missing fonts-dejavu-core"
    fi
    command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "salescoach: installing$missing (apt-get) ..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q $missing >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; } \
            || echo "salescoach: apt-get install$missing failed" >&2
    else
        echo "salescoach: missing$missing (Greek glyphs in PDFs, pdftotext); install them" >&2
    fi
}

if [ "${1:-}" != "--find" ]; then ensure_pdf_tools; fi
if find_chromium; then exit 0; fi
if [ "${1:-}" = "--find" ]; then exit 1; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "salescoach: installing Debian's chromium (apt-get) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    pkgs="chromium"
    # Only refresh the package lists when the install fails without it.
    apt-get install -y -q $pkgs >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q $pkgs >/dev/null; } \
        || echo "salescoach: apt-get install chromium failed" >&2
    if find_chromium; then exit 0; fi
fi

echo "salescoach: no Chromium found; install chromium or set SALESCOACH_CHROMIUM=/path/to/chrome (PDF output and browser tests are skipped until then)" >&2
exit 0
