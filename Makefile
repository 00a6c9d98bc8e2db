# Two entry points for a fresh machine: `make demo` and `make test`; CI (.ci/run) runs `make test` and `make lint`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint results gpu-wheels clean

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

# Wheels of the packages the lent GPU machine's image lacks (it reaches no registry), for benchmarks/gpu_check.sh.
gpu-wheels: $(STAMP)
	$(PY) -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --no-deps \
	  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
	  -d runs/gpu_wheels zuko uproot awkward awkward-cpp pyhepmc hist boost-histogram particle hepunits \
	  cramjam xxhash uhi

clean:
	rm -rf $(VENV) runs build *.egg-info
