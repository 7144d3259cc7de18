# QI Hub: the few commands people need. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
WORKERS ?= auto
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.DEFAULT_GOAL := help
.PHONY: help install run test unit lint typecheck format bench web clock upgrade clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"QI Hub needs Python 3.11 or newer; {sys.executable} is {v.major}.{v.minor}")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing QI Hub and its dependencies into $(VENV) (first run only)..."
	@$(PIP) install -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## install into .venv (done automatically by the other commands)

run: $(STAMP) ## chat with QI Hub in the local console (SQLite, no credentials)
	@$(BIN)/qihub console $(ARGS)

test: $(STAMP) lint typecheck unit ## the whole suite: ruff, mypy, pytest (PostgreSQL too if TEST_DATABASE_URL is set)

unit: $(STAMP) ## pytest only, on every CPU (pytest-xdist; WORKERS=0 runs them in this process)
	@$(BIN)/pytest -n $(WORKERS) $(ARGS)

lint: $(STAMP) ## ruff lint and format check
	@$(BIN)/ruff check bot handlers messages store tests bench
	@$(BIN)/ruff format --check --quiet bot handlers messages store tests bench

typecheck: $(STAMP) ## mypy --strict on the app packages
	@$(BIN)/mypy

format: $(STAMP) ## apply ruff's formatting and safe fixes
	@$(BIN)/ruff format bot handlers messages store tests bench
	@$(BIN)/ruff check --fix bot handlers messages store tests bench

bench: $(STAMP) ## run the benchmarks; results land in bench/results/
	@$(BIN)/python -m bench

web: $(STAMP) ## the HTTP server on $PORT (default 3000)
	@$(BIN)/qihub web

clock: $(STAMP) ## the scheduler and outbox sender
	@$(BIN)/qihub clock

upgrade: $(STAMP) ## apply database migrations to $DATABASE_URL
	@$(BIN)/qihub db upgrade

clean: ## remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
	rm -f qihub.db qihub.db-wal qihub.db-shm
