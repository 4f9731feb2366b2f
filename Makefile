# The two commands of the README. Everything they need is installed into .venv by these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Both cores: storage tests run on SQLite and PostgreSQL, and many start real servers.
PYTEST_ARGS ?= -n 2

.PHONY: run test test-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## run: install authshift and serve it on the embedded SQLite default (http://127.0.0.1:8000)
run: $(VENV)/.installed
	$(BIN)/authshift serve

## test-deps: what the tests drive besides Python (Chromium, the legacy systems' npm packages)
test-deps: $(VENV)/.installed-test
	bash scripts/install-test-deps.sh $(BIN)/python

## test: install everything and run the whole suite (SQLite always, PostgreSQL when reachable)
test: test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
