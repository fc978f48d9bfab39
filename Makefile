# Two commands for a new user (README): `make book` and `make test`.
# Each creates .venv if it is missing and installs the pinned requirements: the readers'
# environment (requirements.txt, also Binder's) and the build and test tools on top
# (requirements-dev.txt, which includes requirements.txt: one resolution, one lock).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NBVAL_FLAGS := --nbval-lax --nbval-current-env \
               --nbval-sanitize-with tests/nbval_sanitize.cfg \
               -n 2 --dist loadfile --durations=0 -p no:cacheprovider

.PHONY: help venv book test test-lib test-notebooks test-build lab bench freeze clean
.PHONY: assets browser test-site test-workflows test-lab test-latex pdf tidy-notebooks screenshots

NPM      ?= npm
CHROMIUM ?= /usr/bin/chromium
NODE_STAMP := node_modules/.package-lock.json
WORKFLOWS  := .github/workflows/ci.yml .github/workflows/publish.yml

help:
	@echo "make book   build the website into _build/html"
	@echo "make test   library tests, notebook checks (nbval), a strict book build,"
	@echo "            browser tests of the site and every chapter in a real JupyterLab"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make bench  run the benchmarks (not part of make test)"
	@echo "make pdf    the whole book as one PDF (needs TeX Live; not part of make test)"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# The site serves MathJax, require.js and the widget manager itself: npm installs the
# exact versions in package-lock.json, tools/vendor_assets.py copies what pages need
# into book/assets/vendor/ (not committed).
$(NODE_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "make: npm is missing; install Node.js and npm (Debian: apt-get install npm)" >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	@touch $@

assets: venv $(NODE_STAMP)
	$(BIN)/python tools/vendor_assets.py

# The browser tests drive Debian's Chromium.  As root on Debian, install it; otherwise say what is missing.
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "browser: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: installing Debian's chromium package"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "make: the browser tests need Chromium at $(CHROMIUM), which is missing." >&2; \
	  echo "      Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium." >&2; \
	  exit 1; fi

book: venv assets
	$(BIN)/jupyter-book build .
	@echo
	@echo "The book is built: open $(abspath _build/html/index.html)"

test: venv
	$(MAKE) test-lib
	$(MAKE) test-notebooks
	$(MAKE) test-build
	$(MAKE) test-workflows
	$(MAKE) test-latex
	$(MAKE) test-site
	$(MAKE) test-lab

test-lib: venv
	$(BIN)/python -m pytest tests/ -q -p no:cacheprovider --ignore=tests/site --ignore=tests/lab --ignore=tests/latex -n 2 --durations=10

test-notebooks: venv
	$(BIN)/python -m pytest $(NBVAL_FLAGS) notebooks/

# A strict build: every notebook executed afresh, every warning an error.
test-build: venv assets
	rm -rf _build/.jupyter_cache _build/jupyter_execute
	$(BIN)/jupyter-book build . -W -n --keep-going

# The PDF's LaTeX source (not the PDF: that needs TeX Live, see `make pdf`), from the
# execution cache of test-build, checked by tests/latex.
test-latex: venv assets
	$(BIN)/jupyter-book build . --builder latex -W -n --keep-going
	$(BIN)/python -m pytest tests/latex -q -p no:cacheprovider

# The GitHub workflows, against GitHub's schema (shipped with check-jsonschema: offline).
test-workflows: venv
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)

# Every page of the built _build/html in Chromium (light and dark), with axe-core;
# page weights, axe counts and timings go to _build/site-report.txt.
test-site: venv browser
	@test -f _build/html/index.html || { echo "make: no built site in _build/html; run make book (or make test-build) first" >&2; exit 1; }
	BPTT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/site -q -p no:cacheprovider -n 2 --dist loadgroup

# The same run, also saving screenshots to look at (_build/screenshots/: every page in
# full at 1280 px, light; its first screen in the dark theme and at 390 px).
screenshots: venv browser
	BPTT_SHOTS=1 $(MAKE) test-site

# Every chapter in a real JupyterLab (127.0.0.1, a token) driven by Chromium: run all
# cells, move every control of every live widget, check the figure is redrawn, the
# console is clean and every figure follows the book's style (tests/lab/labharness.py).
test-lab: venv browser
	BPTT_LAB=1 BPTT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/lab -q -p no:cacheprovider --durations=5

# After `jupyter nbconvert --execute --inplace`: titles, tags, widget state, install URL.
tidy-notebooks: venv
	$(BIN)/python tools/tidy_notebooks.py notebooks/*.ipynb

# The whole book as one PDF (xelatex through latexmk; Debian's TeX Live, offline).
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                texlive-xetex latexmk fonts-freefont-otf
pdf: venv assets
	@if ! command -v xelatex >/dev/null 2>&1 || ! command -v latexmk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	  else echo "make: make pdf needs xelatex and latexmk (Debian: apt-get install $(TEX_PACKAGES))" >&2; exit 1; fi; fi
	$(BIN)/jupyter-book build . --builder pdflatex
	@echo "The PDF is built: $(abspath _build/latex/bptt-book.pdf)"

lab: venv
	$(BIN)/jupyter lab notebooks/

# Rewrite requirements.txt (readers, Binder) and requirements-dev.txt (tools) from .venv.
freeze: venv
	$(BIN)/python tools/lock.py

clean:
	rm -rf _build

# --- benchmarks (issue 6): `make bench`, never part of `make test` -----------
# The peers (PyTorch, JAX) live in their own environment, .venv-bench.
BENCH_VENV  := .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): benchmarks/requirements.txt pyproject.toml
	@test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt -e .
	@touch $(BENCH_STAMP)

bench: venv $(BENCH_STAMP)
	BENCH_THREADS=1 $(BENCH_PY) benchmarks/peers.py
	BENCH_THREADS=2 $(BENCH_PY) benchmarks/peers.py
	$(BENCH_PY) benchmarks/speed_checks.py
	$(BENCH_PY) benchmarks/scaling.py
	$(BENCH_PY) benchmarks/memory.py
	$(BIN)/python benchmarks/widget_latency.py
	$(BIN)/python benchmarks/book_cost.py --reuse-widget-run --build
	$(BIN)/python benchmarks/report.py
	@echo "Results in benchmarks/results/; appendix page book/performance.md"
