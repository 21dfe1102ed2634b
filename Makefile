# Pitstop: `make run` and `make test` set up everything on a fresh machine with Python 3.11+ and
# Node.js 20+: the virtual environment, Python and npm packages, front-end assets, the database.
# Nothing here needs root.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STATIC := pitstop/web/static
ASSET_SOURCES := $(shell find frontend -type f 2>/dev/null) package-lock.json

.DEFAULT_GOAL := help
.PHONY: help install assets run demo test test-fast lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Pitstop needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || { echo "Pitstop needs Node.js 20+ and npm to build its front-end assets"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

$(STATIC)/pitstop.css: node_modules/.package-lock.json $(ASSET_SOURCES)
	npm run --silent build

install: $(VENV)/.installed ## create the virtual environment and install Python packages

assets: $(STATIC)/pitstop.css ## install npm packages and build the front-end assets

# Every demo user gets this password (demo data is refused in production).
DEMO_PASSWORD ?= northfield-demo

demo: install ## load the fictional demo data (embedded database unless PITSTOP_DATABASE_URL is set)
	$(BIN)/pitstop demo --password "$(DEMO_PASSWORD)"

run: install assets demo ## set everything up, load demo data and serve on http://localhost:8000
	$(BIN)/pitstop serve

test: install assets ## set everything up and run every test (browser tests need Debian's chromium)
	$(BIN)/pytest -W error::DeprecationWarning

test-fast: install assets ## the tests without the browser and process tests
	$(BIN)/pytest -W error::DeprecationWarning -m "not browser and not slow"

lint: install ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install assets ## run the benchmarks (ratios against a baseline in the same run)
	$(BIN)/python -m bench

clean: ## remove the virtual environment, npm packages and built assets (not your data)
	rm -rf $(VENV) node_modules $(STATIC) .pytest_cache .ruff_cache
