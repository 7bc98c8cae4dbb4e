# `make demo` and `make test` are all the set-up a fresh machine needs: each one
# creates .venv if needed, installs into it what it runs (again when pyproject.toml
# changes), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of extras, so that `make test` after `make demo` adds the test
# extras, and `make demo` installs only what the demo needs.
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test soak lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,compare]"
	touch $@

demo: $(DEMO_STAMP)
	$(BIN)/kmeansx demo

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

soak: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m soak

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_lloyd.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
