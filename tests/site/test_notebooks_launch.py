"""Source-side checks that make every chapter launchable and kernel-free on the website.

These read the notebooks listed in ``_toc.yml``; they need neither a browser nor a build.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
MAX_FRAMES = 30


def toc_notebooks() -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("file", "root") and isinstance(value, str):
                    if (ROOT / f"{value}.ipynb").exists():
                        found.append(f"{value}.ipynb")
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    return found


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
    nb = _read(name)
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.lstrip().startswith("# "), "the first markdown cell must start with a '# ' title"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_live_widget_has_a_static_counterpart(name):
    """Live widget output is hidden on the site, announced as live, and followed by an
    animation (at most 30 frames) or a figure that works without a kernel."""
    nb = _read(name)
    cells = nb.cells
    live = [i for i, c in enumerate(cells) if c.cell_type == "code" and re.search(r"\blive\(", c.source)]
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
