# The two entry points the README opens with: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/migrate demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/migrate render --check
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist worksteal --durations=25

bench: install
	$(BIN)/python bench/bench_table.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_apply.py
	$(BIN)/python bench/bench_deploy_artifacts.py
	$(BIN)/python bench/bench_gateway.py
	$(BIN)/python bench/bench_stats.py
	$(BIN)/python bench/bench_scale.py
	$(BIN)/python bench/bench_manifest_limits.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
