# TPWallet — the two commands a user needs are `make demo` and `make test`; everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# ape-vyper finds the pip-installed vyper on PATH; the devnet finds anvil in node_modules/.bin.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# ape-vyper's settings model warns on every start (harmless, upstream): keep the output readable.
export PYTHONWARNINGS := ignore:Field 'import_remapping' has an incomplete definition

PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
BUILD_STAMP := .build/__local__.json
CONTRACTS := $(shell find contracts -name '*.vy' 2>/dev/null)

.PHONY: help install demo devnet test lint pytest compile clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(PY_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python >= 3.11" >&2; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python >= 3.11 is required ($(PYTHON) is older)" >&2; exit 2; }
	@echo "==> creating $(VENV) and installing Python dependencies (a few minutes the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
	@set -o pipefail; $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored" || { echo "error: pip install failed (see above)" >&2; exit 2; }
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js >= 18 with npm (anvil comes from npm)" >&2; exit 2; }
	@echo "==> installing npm dependencies (anvil; Safe, OpenZeppelin and Uniswap V2 artifacts)"
	@# `npm install` honours package-lock.json; `npm ci` refuses it because the lock (made on Linux) does not list
	@# anvil's binaries for other platforms, which npm never fetches here anyway.
	@npm install --no-audit --no-fund --loglevel=error
	@test -x node_modules/.bin/anvil || { echo "error: node_modules/.bin/anvil missing after npm ci" >&2; exit 2; }
	@touch $@

# The matching engine compiled with mypyc, beside the tree (never over it: the pure-Python engine stays the
# one that is imported and tested; `benchmarks/matching.py --compiled` loads this copy and refuses a stale
# one). Optional: without a C compiler or Python headers it says so and `make install` goes on.
MYPYC_DIR := .mypyc
MYPYC_STAMP := $(MYPYC_DIR)/.built
MATCHING_ENGINE := $(filter-out %/__init__.py,$(wildcard matching/engine/*.py))
MATCHING_SOURCES := $(shell find matching -name '*.py' 2>/dev/null)

$(MYPYC_STAMP): $(PY_STAMP) $(MATCHING_SOURCES)
	@echo "==> compiling the matching engine with mypyc (for benchmarks/matching.py --compiled)"
	@rm -rf $(MYPYC_DIR) && mkdir -p $(MYPYC_DIR) && cp -r matching $(MYPYC_DIR)/ && find $(MYPYC_DIR) -name __pycache__ -prune -exec rm -rf {} +
	@cd $(MYPYC_DIR) && $(BIN)/mypyc $(MATCHING_ENGINE) > build.log 2>&1 && echo ok > status || { echo failed > status; echo "warning: mypyc could not compile the matching engine ($(MYPYC_DIR)/build.log); nothing else is affected" >&2; }
	@touch $@

install: $(PY_STAMP) $(NPM_STAMP) $(MYPYC_STAMP)  ## create .venv and node_modules (skips what is installed), compile the matching engine

$(BUILD_STAMP): $(PY_STAMP) $(CONTRACTS) ape-config.yaml
	@echo "==> compiling contracts (Vyper 0.4.3)"
	@ape compile --force
	@touch $@

compile: $(BUILD_STAMP)  ## compile the contracts with Ape

demo: install compile  ## start both chains and the services, run the main flow, shut down
	@ape run demo

devnet: install compile  ## start the stack and keep it running until Ctrl-C
	@ape run devnet

lint: $(PY_STAMP)  ## ruff, mypy and the import contracts (lint-imports)
	ruff check .
	ruff format --check .
	mypy
	lint-imports

# pytest-xdist: one worker per core (at most 4: each worker starts its own session devnets and node groups).
# --dist loadfile keeps a module on one worker, so module-scoped fixtures (a custody node group, a devnet
# deployment) start once, not once per worker. TEST_WORKERS=0 runs in one process. The contract tests on
# Ape's py-evm chain run afterwards in one process of their own, in file order: interleaved with other files
# on a worker, a module-scoped deployment was once found gone after Ape's snapshot restore.
TEST_WORKERS ?= auto
pytest: install compile
	pytest -n $(TEST_WORKERS) --maxprocesses=4 --dist loadfile --durations=30 --ignore=tests/contracts
	pytest tests/contracts --durations=10

test: lint pytest  ## lint, then the whole test suite (py-evm, anvil, SQLite and PostgreSQL)

clean:  ## remove build output and runtime state (keeps .venv and node_modules)
	rm -rf .build .mypyc var deployments/*.json .pytest_cache .mypy_cache .ruff_cache .hypothesis
