# salescoach: `make demo` and `make test` are the whole set-up; each builds what it needs first.
# Needs only Python >= 3.11. As root on Debian/Ubuntu it also apt-installs python3-venv,
# Chromium and PostgreSQL when they are missing; elsewhere it uses what is there and says what
# is not (the tests that need it then skip, giving the reason).

PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= dev,lab,hub
PYTEST_ARGS ?=

BIN := $(VENV)/bin
# Inside the venv, so a new venv always reinstalls.
STAMP := $(VENV)/.salescoach-install.stamp

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install demo test test-ablation lint format bench chromium postgres proxy clean distclean

help:
	@echo "make demo       build the sample organisation and run the whole coaching cycle on it"
	@echo "make test       the test suite and ruff (what CI runs)"
	@echo "make test-ablation  every export shape through every command and page (SALESCOACH_ABLATION=all)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     ruff fixes and formatting"
	@echo "make bench      run every benchmarks/*.py"
	@echo "make clean      remove caches and build output (distclean: the venv too)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "salescoach needs Python >= 3.11; '$(PYTHON)' is older or missing (try: make PYTHON=python3.11 ...)"; \
	  exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
	  rm -rf $(VENV); \
	  pkg="python$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing $$pkg (apt-get), then retrying ..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q "$$pkg" >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q "$$pkg" >/dev/null; } \
	      || { echo "make: apt-get install $$pkg failed"; exit 1; }; \
	    $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	  else \
	    echo "make: '$(PYTHON) -m venv $(VENV)' failed (see above); on Debian/Ubuntu: apt-get install $$pkg"; exit 1; \
	  fi; }
	@echo "make: created $(VENV) with $$($(BIN)/python --version)"

# Reinstall only when pyproject.toml changes (the package itself is an editable install).
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "make: installing salescoach and its dependencies into $(VENV) (the first time takes a few minutes) ..."
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	@touch $@

install: $(STAMP)

chromium:
	@sh scripts/ensure_chromium.sh | sed 's/^/chromium: /'

postgres:
	@sh scripts/ensure_postgres.sh | sed 's/^/postgresql: /'

proxy:
	@sh scripts/ensure_proxy.sh | sed 's/^/configurable-http-proxy: /'

demo: $(STAMP) chromium
	$(BIN)/salescoach demo

# Runs both pytest and ruff even when the first fails, then fails if either did.
# --dist loadgroup: tests/conftest.py makes each test file one group (one worker, in order; the
# browser tests share one page across a file, and splitting them made them depend on luck) but
# lets test_ablation.py's tests spread over the workers, and sends the slowest groups first;
# --no-loadscope-reorder keeps that order (xdist would otherwise sort groups by test count).
test: $(STAMP) chromium proxy
	@pg_bin="$$(sh scripts/ensure_postgres.sh)"; \
	[ -z "$$pg_bin" ] || echo "postgresql: $$pg_bin"; \
	rc=0; \
	SALESCOACH_PG_BIN="$${SALESCOACH_PG_BIN:-$$pg_bin}" $(BIN)/python -m pytest -q -n auto --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS) || rc=$$?; \
	echo "ruff check"; \
	$(BIN)/ruff check . || rc=$$((rc ? rc : 1)); \
	exit $$rc

# What `make test` runs of tests/test_ablation.py is a subset: the shapes that drop one optional
# column run `diagnose --format json` and the figures' checks only, and `render --notebook` on the
# four review notebooks runs on one render shape (the packs render them on every shape). This runs
# every shape through every command, app page and render (about a quarter of an hour on two
# cores): run it before a release
# and whenever the contract, capabilities or a command's handling of missing data changes.
test-ablation: $(STAMP) chromium
	SALESCOACH_ABLATION=all $(BIN)/python -m pytest -q -n auto --dist loadgroup --no-loadscope-reorder tests/test_ablation.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) chromium
	@set -e; found=0; \
	for f in benchmarks/*.py; do \
	  [ -e "$$f" ] || continue; found=1; \
	  echo "== $$f"; $(BIN)/python "$$f"; \
	done; \
	[ $$found = 1 ] || echo "bench: no benchmarks/*.py yet"

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
