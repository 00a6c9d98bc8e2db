# Two entry points for a fresh machine: `make demo` and `make test`; CI (.ci/run) runs `make test` and `make lint`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint results clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/nugan demo --out runs/demo

test: $(STAMP)
	$(PY) -m pytest -q

# ruff check + ruff format --check + mypy (config in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

# Regenerate the committed results in benchmarks/results/, each stamped with commit, command, date and machine
# (benchmarks/run_all.py; hours in full). ARGS passes options: ARGS="--quick", "--only NAME", "--dry-run", "--list".
results: $(STAMP)
	$(PY) benchmarks/run_all.py $(ARGS)

clean:
	rm -rf $(VENV) runs build *.egg-info
