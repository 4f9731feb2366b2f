# The two commands of the README. Everything they need is installed into .venv by these targets,
# and each says what it is doing (the first install takes a minute or two).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Both cores: storage tests run on SQLite and PostgreSQL, and many start real servers.
PYTEST_ARGS ?= -n 2
ACTIVATE_HINT = @echo "make: authshift is installed in $(VENV); to run the authshift command of the guides, first: . $(VENV)/bin/activate"

.PHONY: run test test-deps lint clean

$(BIN)/python:
	@echo "make: creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "make: updating pip in $(VENV)"
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "make: installing authshift and its dependencies into $(VENV) (a minute or two the first time)"
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "make: installing authshift with its test dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## run: install authshift and serve it on the embedded SQLite default (http://127.0.0.1:8000)
run: $(VENV)/.installed
	$(ACTIVATE_HINT)
	@echo "make: starting authshift serve in $(CURDIR) (the instance: authshift.db, authshift.secrets.json, authshift-data/); Ctrl-C stops it"
	$(BIN)/authshift serve

## test-deps: what the tests drive besides Python (Chromium, the legacy systems' npm packages)
test-deps: $(VENV)/.installed-test
	@echo "make: installing what the tests drive besides Python (Chromium, the legacy systems' npm packages)"
	bash scripts/install-test-deps.sh $(BIN)/python

## test: install everything and run the whole suite (SQLite always, PostgreSQL when reachable)
test: test-deps
	$(ACTIVATE_HINT)
	@echo "make: running the test suite: $(BIN)/python -m pytest $(PYTEST_ARGS)"
	@# pytest exits 5 when it collected no test: a run that checked nothing is not a pass
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make: pytest collected no tests (exit 5): nothing was checked" >&2; fi; \
	  exit $$status

## lint: the linter (ruff) and the type checker (mypy, strict on the pure packages), as CI runs them
lint: $(VENV)/.installed
	@echo "make: ruff (lint) and mypy (types, strict on passwords/, records/ and jobs/)"
	$(BIN)/python -m ruff check src tests bench
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) .pytest_cache
