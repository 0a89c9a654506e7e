# The two commands of the README are the contract: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast lint up down clean chromium

setup: $(STAMP)

# Re-installs only when pyproject.toml changes; a no-op otherwise.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/grants demo $(if $(KEEP),--keep)

test: setup lint chromium
	$(BIN)/pytest

# The Web UI test drives headless Chromium; Debian's package (and a CJK font, so screenshots read) when missing.
chromium:
	command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium fonts-wqy-zenhei; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

up: setup
	$(BIN)/grants up

down: setup
	$(BIN)/grants down

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
