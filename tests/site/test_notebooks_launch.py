"""Source-side checks that make every chapter launchable and kernel-free on the website.

These read the notebooks listed in ``_toc.yml``; they need neither a browser nor a build.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import lock  # noqa: E402
import tidy_notebooks  # noqa: E402
import vendor_assets  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
MAX_FRAMES = 30


def toc_notebooks() -> list[str]:
    """The notebooks of _toc.yml, in its order, as paths relative to the repository."""
    return [f"{f}.ipynb" for f in vendor_assets.toc_files() if (ROOT / f"{f}.ipynb").exists()]


NOTEBOOKS = toc_notebooks() or ["<no notebook yet>"]


def _read(name):
    if name == "<no notebook yet>":
        pytest.skip("no chapter notebook in _toc.yml yet")
    return nbformat.read(ROOT / name, as_version=4)


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def _html(cell):
    """All text/html output of a code cell (nbformat joins multi-line strings)."""
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []))


def test_repository_url_is_consistent():
    """The launch buttons and the notebooks' install cell name the same repository."""
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO_URL), REPO_URL
    assert CONFIG["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert CONFIG["launch_buttons"]["binderhub_url"] and CONFIG["launch_buttons"]["colab_url"]
    assert CONFIG["html"]["use_download_button"] is True


def test_binder_environment_files_exist():
    """repo2docker needs only the root requirements.txt and runtime.txt."""
    assert (ROOT / "requirements.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[1-9]\s*", (ROOT / "runtime.txt").read_text())


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_first_cell_installs_rnnlib_only_when_missing(name, monkeypatch):
    nb = _read(name)
    cell = nb.cells[0]
    assert cell.cell_type == "code", "the first cell must be the Colab install cell"
    assert "remove-cell" in _tags(cell)
    assert 'find_spec("rnnlib")' in cell.source
    assert f"git+{REPO_URL}" in cell.source, f"install cell must use git+{REPO_URL}"
    # Where rnnlib imports (Binder, local, nbval) the cell must not run anything.
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(compile(cell.source, f"{name}[0]", "exec"), {})
    assert calls == [], "the install cell ran pip although rnnlib is importable"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_title(name):
    """A '# ' title in plain text (Unicode, no TeX, no $), without a hand-typed
    chapter number: Sphinx numbers the chapters."""
    nb = _read(name)
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.lstrip().startswith("# "), "the first markdown cell must start with a '# ' title"
    title = first_md.source.lstrip().splitlines()[0][2:]
    assert not re.match(r"\d+(\.\d+)*\.?\s", title), f"hand-typed chapter number in {title!r}"
    assert "$" not in title and "\\" not in title, f"TeX in the title {title!r}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_live_widget_has_a_static_counterpart(name):
    """Live widget output is hidden on the site, announced as live, and followed by an
    animation (at most 30 frames) or a figure that works without a kernel."""
    nb = _read(name)
    cells = nb.cells
    live = [i for i, c in enumerate(cells) if c.cell_type == "code"
            and re.search(r"\blive\(|\bplots\.\w+\.widget\(", c.source)]
    for n, i in enumerate(live):
        cell = cells[i]
        assert {"remove-output", "nbval-ignore-output"} <= _tags(cell), f"cell {i}: live widget tags"
        before = " ".join(c.source for c in cells[max(0, i - 2):i] if c.cell_type == "markdown")
        assert re.search(r"live in Binder", before, re.I), f"cell {i}: say that the widget is live in Binder"
        end = live[n + 1] if n + 1 < len(live) else len(cells)
        after = [c for c in cells[i + 1:end] if c.cell_type == "code"]
        static = [c for c in after if "_anim_img" in _html(c)
                  or any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
        assert static, f"cell {i}: no animation or figure after the live widget"
    for i, c in enumerate(cells):
        html = _html(c) if c.cell_type == "code" else ""
        if "_anim_img" in html:
            frames = re.search(r"new Array\((\d+)\)", html)
            assert frames and int(frames.group(1)) <= MAX_FRAMES, f"cell {i}: more than {MAX_FRAMES} frames"
            assert "nbval-ignore-output" in _tags(c), f"cell {i}: animation cell needs nbval-ignore-output"


# --------------------------------------------------------------------------- issue 15


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_tidy(name):
    """tools/tidy_notebooks.py has nothing left to do: plain title, widget and animation
    cells tagged (hide-input: the page shows the result, not the plumbing), no saved
    widget state where the widget's output is removed, the install cell on repository.url.
    Run `make tidy-notebooks` after executing a notebook."""
    import json

    nb = json.loads((ROOT / name).read_text())
    assert tidy_notebooks.tidy(nb, REPO_URL) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_code_lines_fit_the_column(name):
    """Code lines of at most 79 characters fit the text column of a 1280 px window."""
    import json

    nb = json.loads((ROOT / name).read_text())
    assert [(cell, n) for cell, n, _ in tidy_notebooks.long_lines(nb)] == []


def test_readers_and_tools_are_one_lock():
    """requirements.txt (readers, Binder) and requirements-dev.txt (tools on top) are
    pinned with ==, pinned once, and resolve together (tools/lock.py --check)."""
    assert lock.problems() == []


def test_binder_installs_what_readers_need_not_the_test_tools():
    readers = lock.read_pins(ROOT / "requirements.txt")
    tools = lock.read_pins(ROOT / "requirements-dev.txt")
    for needed in ("numpy", "sympy", "matplotlib", "ipywidgets", "tqdm", "myst-nb", "jupyterlab", "ipykernel"):
        assert needed in readers, f"{needed} must be in requirements.txt (the notebooks need it)"
    for tool in ("playwright", "axe-playwright-python", "coverage", "hypothesis", "check-jsonschema",
                 "pytest", "pytest-xdist", "nbval", "jupyter-book"):
        assert tool not in readers, f"{tool} is a test or build tool: requirements-dev.txt"
        assert tool in tools, f"{tool} must be pinned in requirements-dev.txt"
    assert (ROOT / "requirements.txt").read_text().strip().splitlines()[-1] == "-e ."


def test_repository_url_is_set_in_one_place():
    """_config.yml's repository.url is the one source: the notebooks' install cells
    follow it (make tidy-notebooks) and the README says how to change it."""
    readme = (ROOT / "README.md").read_text()
    assert "repository.url" in readme and "tidy-notebooks" in readme
    others = set()
    for name in NOTEBOOKS:
        nb = _read(name)
        others |= set(re.findall(r"git\+(https://github\.com/[\w.-]+/[\w.-]+)", nb.cells[0].source))
    assert others <= {REPO_URL}, others
