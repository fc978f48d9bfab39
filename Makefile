# Two commands for a new user (README): `make book` and `make test`.
# Each creates .venv if it is missing and installs the pinned requirements.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NBVAL_FLAGS := --nbval-lax --nbval-current-env \
               --nbval-sanitize-with tests/nbval_sanitize.cfg \
               -n 2 --dist loadfile --durations=0 -p no:cacheprovider

.PHONY: help venv book test test-lib test-notebooks test-build lab bench freeze clean

help:
	@echo "make book   build the website into _build/html"
	@echo "make test   library tests, notebook checks (nbval) and a strict book build"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make bench  run the benchmarks (not part of make test)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

book: venv
	$(BIN)/jupyter-book build . 
	@echo
	@echo "The book is built: open $(abspath _build/html/index.html)"

test: venv
	$(MAKE) test-lib
	$(MAKE) test-notebooks
	$(MAKE) test-build

test-lib: venv
	$(BIN)/python -m pytest tests/ -q -p no:cacheprovider --ignore=tests/site

test-notebooks: venv
	$(BIN)/python -m pytest $(NBVAL_FLAGS) notebooks/

# A strict build: every notebook executed afresh, every warning an error.
test-build: venv
	rm -rf _build/.jupyter_cache _build/jupyter_execute
	$(BIN)/jupyter-book build . -W -n --keep-going

lab: venv
	$(BIN)/jupyter lab notebooks/

freeze: venv
	$(BIN)/python -m pip freeze --exclude-editable

clean:
	rm -rf _build
