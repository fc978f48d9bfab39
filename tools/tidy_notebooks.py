"""Apply the book's notebook-level conventions to chapter notebooks (and check them).

    python tools/tidy_notebooks.py notebooks/04_recurrent_weights.ipynb ...   # fix in place
    python tools/tidy_notebooks.py --check notebooks/*.ipynb                  # report, exit 1

Run it after every ``jupyter nbconvert --execute --inplace`` (nbconvert saves the
widget state again).  What it does to each notebook:

1. **Title.**  The ``#`` title loses a hand-typed chapter number ("4. ", Sphinx
   numbers the chapters) and its math becomes plain Unicode text
   (``$\\partial L/\\partial W_{hh}$`` -> ``∂L/∂W_hh``), so that the browser tab,
   bookmarks and search results read well.
2. **Tags.**  A cell that calls ``plots.<module>.widget(...)`` is tagged
   ``remove-output``, ``nbval-ignore-output`` and ``hide-input``; a cell that calls
   ``plots.<module>.animation(...)`` is tagged ``nbval-ignore-output`` and
   ``hide-input``: the page shows the widget's result, not its plumbing.
3. **Widget state.**  When every widget view is in a cell whose output the website
   removes, the saved widget state (``metadata.widgets``, megabytes of JSON that make
   every page load the widget manager) is dropped, and so are those widget views
   (without the state they can only show "model not found").
4. **Timestamps.**  The per-cell ``execution`` metadata that nbconvert records
   (times that change on every run) is dropped.
5. **Repository.**  The Colab install cell (the first cell, which calls
   ``find_spec("rnnlib")``) becomes :data:`INSTALL_CELL`: it installs
   ``rnnlib[book] @ git+<url>`` with the URL of ``repository.url`` in
   ``_config.yml`` (the one place it is set), in lines that fit the page.

It also reports, without changing them, code lines longer than 79 characters.
Cell ids, outputs and execution counts are otherwise left alone.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bptt_site import tex_to_text  # noqa: E402

MAX_LINE = 79
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_CALL = re.compile(r"\bplots\.\w+\.widget\(")
ANIMATION_CALL = re.compile(r"\bplots\.\w+\.animation\(")
WIDGET_TAGS = ("remove-output", "nbval-ignore-output", "hide-input")
ANIMATION_TAGS = ("nbval-ignore-output", "hide-input")
INSTALL_URL = re.compile(r'(rnnlib\[book\] @ git\+)([^"\'\s]+)')
TITLE_NUMBER = re.compile(r"^#\s+\d+(\.\d+)*\.?\s+")
#: The Colab install cell of every chapter ({url}: repository.url of _config.yml).
INSTALL_CELL = """\
# Colab has no rnnlib: install it from the book's repository when it is
# missing (a no-op in Binder, in local Jupyter and on the website).
import importlib.util, subprocess, sys
if importlib.util.find_spec("rnnlib") is None:
    package = "rnnlib[book] @ git+{url}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package],
                   check=True)"""


def repository_url(config: Path = ROOT / "_config.yml") -> str:
    """The book's repository, from ``repository.url`` in ``_config.yml``."""
    return yaml.safe_load(config.read_text())["repository"]["url"].rstrip("/")


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def plain_heading(line: str) -> str:
    """``# 4. The weights: $\\partial L$`` -> ``# The weights: ∂L``."""
    line = TITLE_NUMBER.sub("# ", line)
    return re.sub(r"\$([^$]+)\$", lambda m: tex_to_text(m.group(1)), line)


def _add_tags(cell, tags) -> list[str]:
    have = cell.setdefault("metadata", {}).setdefault("tags", [])
    added = [t for t in tags if t not in have]
    have.extend(added)
    return added


def tidy(nb: dict, url: str) -> list[str]:
    """Apply the conventions to ``nb`` (a notebook as JSON) in place; return what changed."""
    changes = []
    cells = nb["cells"]
    # 1. the title
    first_md = next((c for c in cells if c["cell_type"] == "markdown"), None)
    if first_md is not None:
        lines = _source(first_md).split("\n")
        for i, line in enumerate(lines):
            if line.startswith("# "):
                new = plain_heading(line)
                if new != line:
                    lines[i] = new
                    _set_source(first_md, "\n".join(lines))
                    changes.append(f"title: {line!r} -> {new!r}")
                break
    # 2. tags
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        src = _source(cell)
        tags = WIDGET_TAGS if WIDGET_CALL.search(src) else ANIMATION_TAGS if ANIMATION_CALL.search(src) else ()
        added = _add_tags(cell, tags) if tags else []
        if added:
            changes.append(f"cell {i}: tags + {added}")
    # 3. the widget state
    def removed(cell):
        tags = cell.get("metadata", {}).get("tags", [])
        return "remove-output" in tags or "remove-cell" in tags

    views = [(i, c) for i, c in enumerate(cells) if c["cell_type"] == "code"
             and any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))]
    if all(removed(c) for _, c in views):
        for i, cell in views:
            cell["outputs"] = [o for o in cell["outputs"] if WIDGET_VIEW not in o.get("data", {})]
            changes.append(f"cell {i}: widget view dropped (its output is removed on the website)")
        if "widgets" in nb.get("metadata", {}):
            del nb["metadata"]["widgets"]
            changes.append("metadata.widgets (saved widget state) dropped")
    # 4. no execution timestamps (nbconvert records them per cell; they change on every run)
    stamped = [i for i, c in enumerate(cells) if "execution" in c.get("metadata", {})]
    for i in stamped:
        del cells[i]["metadata"]["execution"]
    if stamped:
        changes.append(f"execution timestamps dropped from {len(stamped)} cells")
    # 5. the install cell, on the repository URL
    install = INSTALL_CELL.format(url=url)
    for i, cell in enumerate(cells):
        src = _source(cell)
        if cell["cell_type"] == "code" and 'find_spec("rnnlib")' in src and src != install:
            _set_source(cell, install)
            found = INSTALL_URL.search(src)
            changes.append(f"cell {i}: install cell -> the book's, installing from {url}"
                           + ("" if found and found.group(2) == url else " (new URL)"))
    return changes


def long_lines(nb: dict, limit: int = MAX_LINE) -> list[tuple[int, int, str]]:
    """``(cell, length, line)`` for every code line longer than ``limit`` characters."""
    return [(i, len(line), line) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            for line in _source(c).split("\n") if len(line) > limit]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report what would change; exit 1 if anything")
    args = parser.parse_args(argv)
    url, status = repository_url(), 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        changes = tidy(nb, url)
        for cell, n, line in long_lines(nb):
            print(f"{path}: cell {cell}: {n} characters: {line.strip()[:60]}…")
        for change in changes:
            print(f"{path}: {change}")
        if changes and args.check:
            status = 1
        elif changes:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
