# PoseStream developer commands. Every target installs what it needs first, and is quiet when
# everything is already there.
#
#   make run     the backend as local processes (ingest on http://localhost:8000); Ctrl-C stops it
#   make test    lint + the whole test suite (what CI runs)
#   make bench   the benchmarks; results in bench/results/latest.json
#   make lint | fmt | clean
#
# docs/running.md describes `make run` and the environment variables it honours.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# uv from PATH, else the one pip installs into python3 (run as a module, so PATH does not matter).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --no-sync
PROMTOOL := .tools/bin/promtool
PYTEST_ARGS ?=

.PHONY: help run test bench lint fmt clean uv sync frontend system-packages tools

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

## --- installs -----------------------------------------------------------------------------------
uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| { echo "installing uv (pip)"; python3 -m pip install --quiet --disable-pip-version-check uv; }

sync: uv
	@$(UV) sync --frozen --quiet

# Debian packages that later parts of the suite need (browser, ffmpeg): see the script.
system-packages:
	@scripts/ensure_system_packages.sh

$(PROMTOOL):
	@scripts/install_promtool.sh

tools: $(PROMTOOL)

# The browser app (frontend/): npm ci when the lock file changed, a build when a source did.
FRONTEND_MODULES := frontend/node_modules/.package-lock.json
FRONTEND_DIST := frontend/dist/index.html
FRONTEND_SOURCES := $(shell find frontend/src frontend/scripts -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/vite.config.ts frontend/tsconfig.json frontend/package.json)

$(FRONTEND_MODULES): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(FRONTEND_DIST): $(FRONTEND_MODULES) $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent
	@touch $@

frontend: $(FRONTEND_DIST)

## --- commands -----------------------------------------------------------------------------------
run: sync frontend
	@$(RUN) python scripts/run_stack.py

test: sync system-packages tools frontend
	$(RUN) ruff check .
	cd frontend && npm test --silent
	$(RUN) pytest $(PYTEST_ARGS)

bench: sync system-packages frontend
	$(RUN) python bench/run.py

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

fmt: sync
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

# Run state of `make run` only (logs, heartbeats, private Redis/PostgreSQL data, dumps).
clean:
	rm -rf var
