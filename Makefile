# Intacct Hub: two commands for a fresh clone.
#   make run   the whole product on SQLite with the bundled Intacct sandbox
#   make test  the whole test suite
# DATABASE_URL=postgres://... switches both to PostgreSQL.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

var:
	mkdir -p var

# The web server and a django-q2 cluster side by side; Ctrl-C stops both.
run: $(VENV)/.runtime | var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py ensure_schedules
	$(BIN)/python manage.py demo_setup --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py demo_data --orders 200 --seed 1 2>&1 | tail -n 1
	@$(BIN)/python manage.py qcluster & qpid=$$!; \
	trap 'kill $$qpid 2>/dev/null; wait $$qpid 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev | var
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark, repeated within a 20-minute budget; writes bench/RESULTS.md.
# BENCH_QUICK=1 for small sizes (checks the runner in a minute or two).
bench: $(VENV)/.dev | var
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
