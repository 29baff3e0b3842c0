# Two commands set up a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,dask]"
	touch $(STAMP)

.PHONY: install demo test lint bench browser
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/anchor demo

lint: $(STAMP)
	$(BIN)/ruff check anchor_core anchor_app tests bench notebooks
	$(BIN)/mypy anchor_core
	$(BIN)/marimo check notebooks/

browser:
	scripts/ensure-chromium

test: lint browser
	$(BIN)/python -m pytest -n 2 -q -rs

bench: $(STAMP)
	$(BIN)/python -m bench
