.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= auto

.PHONY: help install run test lint typecheck format migrate seed bench bench-cpu screenshots clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "==> Installing the service and its dev tools into $(VENV) (the first time takes a minute or two)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	set -o pipefail; $(BIN)/python -m pip install --progress-bar off -e ".[dev]" \
	  | { grep -E '^(Collecting|Successfully installed)' || true; }
	rm -f $(VENV)/.installed-* && touch $(STAMP)
	@echo "==> Installed"

install: $(STAMP) ## Create .venv and install the service with its dev tools

.env:
	@echo "==> No .env: copying .env.example to .env"
	cp .env.example .env

run: $(STAMP) .env ## Migrate and seed the database, then serve on HOST:PORT
	@echo "==> Migrating the database"
	$(BIN)/python -m app db upgrade
	@echo "==> Seeding the built-in roles and the first superuser"
	$(BIN)/python -m app seed
	$(BIN)/python -m app serve

test: $(STAMP) ## ruff, format check, mypy strict, then pytest (SQLite, plus services named by TEST_*_URL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy, the import rules and hadolint only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP) ## Apply migrations to DATABASE_URL
	$(BIN)/python -m app db upgrade

seed: $(STAMP) ## Seed roles and the first superuser
	$(BIN)/python -m app seed

screenshots: $(STAMP) ## Retake docs/admin_console/*.png: the console's browser tests, on SQLite
	TEST_DATABASE_URL= TEST_REDIS_URL= TEST_RABBITMQ_URL= CONSOLE_SCREENSHOTS=docs/admin_console \
		$(BIN)/pytest -q -n 0 tests/admin

clean: ## Remove the virtualenv, caches and the local SQLite database (audit cold storage in data/ stays)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	rm -f data/app.db data/app.db-wal data/app.db-shm data/app.db-journal
	@if [ -d data/audit-archive ]; then echo "==> Kept data/audit-archive (archived audit rows): delete it yourself if you mean to"; fi

bench: $(STAMP) ## Needs wrk (not installed for you). Benchmark against a bare FastAPI floor (BENCH_DATABASE_URL for PostgreSQL, SOAK=seconds for a soak)
	@command -v wrk >/dev/null || { $(BIN)/python -c 'from bench.wrk import WRK_MISSING; print(WRK_MISSING)'; exit 1; }
	$(BIN)/python -m bench.run $(if $(SOAK),--soak $(SOAK)) $(BENCH_ARGS)

bench-cpu: $(STAMP) ## CPU time per request, the app called in process (steadier than req/s for judging a change)
	$(BIN)/python -m bench.cpu $(BENCH_ARGS)
