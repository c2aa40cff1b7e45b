# The README's first two commands: `make run` (local runtime with a demo) and `make test` (everything).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck unit bench mariadb db-sql clean

run: $(STAMP)
	$(BIN)/tripline local --demo

test: $(STAMP) mariadb lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(BENCH_STAMP) mariadb
	$(BIN)/python -m bench.rule_eval
	$(BIN)/python -m bench.processor --backend both
	$(BIN)/python -m bench.csv_pipeline --rows 1000000 --memory-gib 1
	$(BIN)/python -m bench.rules_overhead --backend both

db-sql: $(STAMP)
	$(BIN)/tripline db sql

mariadb:
	bash scripts/ensure-mariadb

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'pip>=23,<26.3'  # chalice 1.34 requires pip<26.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# bench-only dependencies (simpleeval), kept out of the `test` environment's stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	rm -f $(VENV)/.bench-installed-*
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
