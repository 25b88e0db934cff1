# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
TOOLS := .tools
PY := $(VENV)/bin/python
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

# A Python 3.12+ interpreter: an explicit PYTHON=..., python3.13, python3.12, python3, or the
# newest 3.12+ that pyenv manages. scripts/find-python prints it or says what to install.
PYTHON ?= $(shell scripts/find-python)

# `make run` serves the product as people meet it: DEBUG off (`DEBUG=true make run` for
# development). LOCAL_RUN=true lets it generate a secret key once into var/, allow the local host
# names and serve plain HTTP; a deployment never sets it (see "Configuration" in the README).
RUN_ENV = DEBUG=$(or $(DEBUG),false) LOCAL_RUN=true

.PHONY: help lock install run test lint typecheck bench drill screenshots clean migrate seed serve worker beat messages

help:
	@echo "make run    install, migrate, load the demo community, serve web + worker + scheduler"
	@echo "make test   install and run the whole suite (lint and types included)"
	@echo "make bench  run the benchmarks (needs DATABASE_URL=postgres://...)"
	@echo "make drill  fault drills on private PostgreSQL and Redis (DRILL_ARGS=--quick)"
	@echo "make screenshots  every main page per role at 1280 and 390 px into docs/screenshots/"

$(UV):
	@test -n "$(PYTHON)" || { echo "No Python 3.12+ found: install python3.12 or newer (Django 6 needs it)." >&2; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Dependencies are pinned with hashes in requirements/*.lock (`make lock` refreshes them).
$(STAMP): requirements/dev.lock | $(UV)
	@test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip sync --quiet --require-hashes requirements/dev.lock
	@touch $(STAMP)

lock: | $(UV)
	$(UV) pip compile pyproject.toml --python $(PYTHON) --generate-hashes --quiet --no-header -o requirements/prod.lock
	$(UV) pip compile pyproject.toml --group dev --python $(PYTHON) --generate-hashes --quiet --no-header -o requirements/dev.lock

install: $(STAMP)

# The translation catalogues (locale/*/LC_MESSAGES/*.po) compiled to .mo (not committed).
messages: install
	$(PY) manage.py compilemessages --ignore='.*' --ignore=staticfiles --verbosity 0

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

# Web, worker and scheduler start together and stop together on Ctrl-C.
run: seed messages
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  Community SRE is at http://$(HOST):$(PORT)/  (demo logins are in the README)"
	@echo ""
	$(RUN_ENV) $(PY) scripts/run_all.py $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

typecheck: install
	$(VENV)/bin/mypy .

# The suite runs its files in parallel (pytest-xdist), each process on its own test database
# and Redis database (tests/conftest.py); TEST_PROCESSES=0 runs it in this process alone.
TEST_PROCESSES ?= auto

test: lint typecheck messages
	$(PY) manage.py catalogue
	$(PY) -m playwright --version >/dev/null
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist loadfile

# Benchmarks need PostgreSQL: DATABASE_URL=postgres://... make bench [BENCH="budgets ingest"]
bench: install
	$(PY) -m bench $(BENCH)

# Fault drills against a private PostgreSQL and Redis it starts and stops itself (Debian's
# postgresql and redis-server packages; no running server needed): make drill [DRILL_ARGS=--quick]
drill: install
	$(PY) -m drill $(DRILL_ARGS)

# A fresh demo in a throwaway SQLite database, served on a free port and photographed in
# headless Chromium: docs/screenshots/*.png and its README.md (the configured database is not used).
screenshots: messages
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) $(TOOLS) var staticfiles .pytest_cache .mypy_cache .ruff_cache
