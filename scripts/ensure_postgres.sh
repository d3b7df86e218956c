#!/bin/sh
# Makes sure PostgreSQL's server programs (initdb, pg_ctl, postgres) exist and prints their folder.
# Tests start a throwaway cluster from there; nothing here starts a server.
# Prints nothing and exits 0 when there are none and apt cannot install them: those tests skip.
set -u

find_bindir() {
    if p=$(command -v initdb 2>/dev/null); then
        # Follow symlinks (Debian's wrappers live in /usr/lib/postgresql/N/bin).
        dirname "$(readlink -f "$p")"; return 0
    fi
    # Debian keeps the server programs off PATH, one folder per major version; take the newest.
    p=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$p" ]; then dirname "$p"; return 0; fi
    return 1
}

if find_bindir; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "salescoach: installing Debian's postgresql (apt-get) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; } \
        || echo "salescoach: apt-get install postgresql failed" >&2
    if find_bindir; then exit 0; fi
fi

echo "salescoach: no PostgreSQL server programs found (initdb); PostgreSQL tests are skipped" >&2
exit 0
