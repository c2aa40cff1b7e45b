# The README's first two commands: `make run` (local runtime with a demo) and `make test` (everything).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# the template checkers (checkov pins an older boto3 than the app's: a virtualenv of their own)
CHECKS := .venv-checks
CHECKS_STAMP := $(CHECKS)/.installed-$(shell cksum infra/requirements-checks.txt | cut -d' ' -f1)
# Lambda-platform wheels of requirements.txt: the one download; `make package` then builds offline
WHEELHOUSE := var/wheelhouse
WHEELHOUSE_STAMP := $(WHEELHOUSE)/.complete-$(shell cksum requirements.txt | cut -d' ' -f1)
STAGE ?= prod

.PHONY: run test lint typecheck unit bench bench-smoke mariadb chromium db-sql clean wheelhouse package checks

run: $(STAMP)
	$(BIN)/tripline local --demo

test: $(STAMP) $(CHECKS_STAMP) $(WHEELHOUSE_STAMP) mariadb chromium lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .  # `ruff format .` writes what it asks for

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# every bench at its default size (many minutes); bench/README.md says what each measures
bench: $(STAMP) mariadb package
	$(BIN)/python -m bench.rule_eval
	$(BIN)/python -m bench.processor --backend both
	$(BIN)/python -m bench.csv_pipeline --rows 1000000 --memory-gib 1
	$(BIN)/python -m bench.rules_overhead --backend both
	$(BIN)/python -m bench.row_conform
	$(BIN)/python -m bench.local_concurrency
	$(BIN)/python -m bench.report_export --rows 1000000
	$(BIN)/python -m bench.console_pages
	$(BIN)/python -m bench.protocol_ingest
	$(BIN)/python -m bench.cold_start --zip dist/$(STAGE)/deployment.zip

# every bench at a tiny size, checks on, timings never asserted (`make test` runs them too)
bench-smoke: $(STAMP) $(CHECKS_STAMP) $(WHEELHOUSE_STAMP) mariadb
	$(BIN)/pytest -m bench

# dist/$(STAGE)/: deployment.zip, sam.json (sam.yaml with a YAML merge template), cloudformation.json
package: $(STAMP) $(CHECKS_STAMP) $(WHEELHOUSE_STAMP)
	$(BIN)/python -m scripts.package build --stage $(STAGE) --out dist/$(STAGE)

wheelhouse: $(WHEELHOUSE_STAMP)

checks: $(CHECKS_STAMP)

db-sql: $(STAMP)
	$(BIN)/tripline db sql

mariadb:
	bash scripts/ensure-mariadb

# Debian's Chromium, which the /docs browser test drives (tests/e2e/test_docs_browser.py)
chromium:
	bash scripts/ensure-chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'pip>=23,<26.3'  # chalice 1.34 requires pip<26.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

$(WHEELHOUSE_STAMP): requirements.txt | $(STAMP)
	$(BIN)/python -m scripts.package wheelhouse
	touch $@

$(CHECKS_STAMP): infra/requirements-checks.txt
	test -x $(CHECKS)/bin/python || $(PYTHON) -m venv $(CHECKS)
	$(CHECKS)/bin/python -m pip install --quiet -r infra/requirements-checks.txt
	rm -f $(CHECKS)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) $(CHECKS) var dist .pytest_cache .mypy_cache .ruff_cache
