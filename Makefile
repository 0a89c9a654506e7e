# The two commands of the README are the contract: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-reliability soak lint up down clean chromium bench

setup: $(STAMP)

# Re-installs only when pyproject.toml changes; a no-op otherwise.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# KEEP=1 leaves the stack up; KEEP=0 (or no KEEP) stops it.
demo: setup
	$(BIN)/grants demo $(if $(filter-out 0,$(KEEP)),--keep)

test: setup lint chromium
	$(BIN)/pytest

# The full-size reliability runs (1,000 grants, 20 s outages, ...): `make test` runs their quick versions.
test-reliability: setup
	$(BIN)/pytest -m full tests/reliability

# A steady stream of grants for MINUTES (default 10) against a dev server on a file and one worker process:
# throughput each minute, the worker's memory at start and end, and the ledger reconciled (not in CI).
soak: setup
	$(BIN)/python -m tests.reliability.soak --minutes $(or $(MINUTES),10)

# The Web UI test drives headless Chromium; Debian's package (and a CJK font, so screenshots read) when missing.
chromium:
	command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium fonts-wqy-zenhei; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Benchmarks (not part of `make test`): each prints ours against its baseline, measured in the same run.
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/persistence_modules.py
	$(BIN)/python bench/append_overhead.py
	$(BIN)/python bench/verify_speed.py $(if $(FULL),,--quick)
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/audit_scale.py $(if $(FULL),--years 10,)
	$(BIN)/python bench/as_of.py
	$(BIN)/python bench/bulk_registration.py
	$(BIN)/python bench/summary.py

up: setup
	$(BIN)/grants up

down: setup
	$(BIN)/grants down

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
