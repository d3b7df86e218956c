#!/bin/sh
# Makes sure npm's configurable-http-proxy (JupyterHub's proxy) is on PATH, for tests/test_hub.py.
# Installs it with npm when npm is there; prints why not otherwise, and that test skips.
set -u

if command -v configurable-http-proxy >/dev/null 2>&1; then
    command -v configurable-http-proxy; exit 0
fi
if command -v npm >/dev/null 2>&1; then
    echo "installing configurable-http-proxy (npm install -g) ..." >&2
    npm install -g --silent configurable-http-proxy >/dev/null 2>&1 \
        || echo "npm install -g configurable-http-proxy failed; the JupyterHub test is skipped" >&2
    command -v configurable-http-proxy && exit 0
else
    echo "no npm, so no configurable-http-proxy; the JupyterHub test is skipped" >&2
fi
exit 0
