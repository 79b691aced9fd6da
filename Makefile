# The two commands of the README: `make demo` and `make test`. Each sets everything up first.
.DEFAULT_GOAL := help
.PHONY: help setup lint typecheck pytest unit integration test demo dev bench

VENV := .venv/bin
PYTEST_ARGS ?=

help:
	@echo "make test   setup + ruff + mypy + the layers contract + every test (unit and integration)"
	@echo "make demo   setup + the local stack + a scripted scenario, printed as tables"
	@echo "make dev    setup + the local stack until Ctrl-C (env in .devstack/env)"
	@echo "make unit   setup + unit tests only (no stack)"
	@echo "make bench  setup + the benchmarks (bench/README.md): one table of ratios vs targets"

setup:
	@bash scripts/setup.sh

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports

typecheck: setup
	$(VENV)/mypy

pytest: setup
	@bash scripts/run-tests.sh $(PYTEST_ARGS)

unit: setup
	@bash scripts/run-tests.sh -m "not integration" $(PYTEST_ARGS)

integration: setup
	@bash scripts/run-tests.sh -m integration $(PYTEST_ARGS)

test: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports
	@bash scripts/run-tests.sh $(PYTEST_ARGS)

demo: setup
	$(VENV)/python -m devstack.demo

dev: setup
	$(VENV)/python -m devstack.stack up

bench: setup
	$(VENV)/python -m bench
