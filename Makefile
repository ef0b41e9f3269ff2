# The two commands of the README: `make tour` (the main job) and `make test`.
# Both create .venv and install the package into it first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: tour test lint unit witnesses docs readme schemas bench clean

tour: $(STAMP)
	$(BIN)/iochannels tour

test: $(STAMP) witnesses lint unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts examples
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -n 2

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

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "iochannels needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || \
		{ scripts/install-system-deps.sh venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info tour-report
