# The two commands of the README: `make tour` (the main job) and `make test`.
# Both create .venv and install the package into it first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: tour test lint unit witnesses docs readme schemas bench bench-fds clean

tour: $(STAMP)
	$(BIN)/iochannels tour

test: $(STAMP) witnesses lint unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts examples
	$(BIN)/mypy
	$(BIN)/lint-imports

# The live tests twice: on the C part of the scan (if built), then on pure Python.
unit: $(STAMP)
	$(BIN)/pytest -n 2
	IOCHANNELS_PURE=1 $(BIN)/pytest -n 2 -q tests/live

witnesses:
	@scripts/install-system-deps.sh

docs: $(STAMP)
	$(BIN)/python scripts/make_docs.py
	$(BIN)/python scripts/build_readme.py

schemas:
	$(PYTHON) scripts/bundle_schemas.py

readme:
	$(PYTHON) scripts/build_readme.py

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-enable -p no:xdist

# fds next to lsof +E, lsfd and ss, both scan paths (BENCH_ROUNDS=N: runs per command).
bench-fds: $(STAMP)
	$(BIN)/python benchmarks/bench_fds.py

$(STAMP): pyproject.toml setup.py src/iochannels/live/_scan.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "iochannels needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || \
		{ scripts/install-system-deps.sh venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	@PYTHON=$(BIN)/python scripts/install-system-deps.sh compiler
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info tour-report
