"""Every chapter in a real JupyterLab: it runs, its widgets react, its figures follow the style.

``make test-lab`` (part of ``make test``).  The harness (``labharness.py``) opens
each chapter of ``_toc.yml`` in JupyterLab in Chromium, runs all cells, then moves
every control of every live widget (the output of a cell that calls
``plots.<module>.widget()``) and records the figure image, the browser console and
the kernel's check of every figure it rendered.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import vendor_assets  # noqa: E402
MAX_FIGURE_PX = 684          # the text column of a 1280 px window (rnnlib.plots.style.MAX_WIDTH_IN)


def toc_notebooks() -> list[str]:
    """The file names of the notebooks of _toc.yml, in its order."""
    return [Path(f).name + ".ipynb" for f in vendor_assets.toc_files() if (ROOT / f"{f}.ipynb").exists()]


NOTEBOOKS = toc_notebooks()


def _has_widget_cell(name: str) -> bool:
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    return any(c.cell_type == "code" and re.search(r"\bplots\.\w+\.widget\(", c.source) for c in nb.cells)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_runs_all_cells_without_errors(runs, notebook):
    run = runs.get(notebook)
    assert run.error_outputs == []
    assert run.cells > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_widget_control_redraws_the_figure(runs, notebook):
    """The widget shows its figure as an image, its first control is a slider, every
    control shows an initial value, and every move changes the value and the image."""
    run = runs.get(notebook)
    if not _has_widget_cell(notebook):
        pytest.skip("no live widget in this chapter")
    if run.error_outputs:
        pytest.fail(f"the notebook stopped before its widget: {run.error_outputs[:2]}")
    assert run.widgets, "a cell calls plots.<module>.widget() but no widget was found in its output"
    for w in run.widgets:
        assert w["images"] >= 1, f"cell {w['cell']}: the widget shows no figure image"
        assert w["controls"], f"cell {w['cell']}: the widget has no slider or dropdown"
        assert w["controls"][0]["kind"] == "slider", f"cell {w['cell']}: the first control is not a slider"
        blank = [c["label"] for c in w["controls"] if not c["value"]]
        assert blank == [], f"cell {w['cell']}: controls without a visible initial value: {blank}"
    assert len(run.moves) == sum(len(w["controls"]) for w in run.widgets)
    for m in run.moves:
        assert m.value_after != m.value_before, f"{m.control}: the value did not change"
        assert m.redrawn, f"{m.control}: moving it did not redraw the figure"
        assert m.latency_s is not None and m.latency_s > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_browser_console_has_no_errors(runs, notebook):
    assert runs.get(notebook).console_errors == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_figures_follow_the_book_style(runs, notebook):
    """Every figure the chapter renders (inline, animation frames, widget redraws) has
    text of at least 13 pt (14.4 px at 80 dpi) with 4.5:1 contrast, and fits the
    text column without being scaled down."""
    figures = runs.get(notebook).figures
    errors = [f["error"] for f in figures if "error" in f]
    assert errors == [], "the kernel's figure check failed"
    problems = sorted({(p["text"][:40], p["size"], p["contrast"]) for f in figures for p in f.get("problems", [])})
    assert problems == [], "figure text too small or too faint: (text, points, contrast)"
    wide = sorted({f["width_px"] for f in figures if f.get("width_px", 0) > MAX_FIGURE_PX})
    assert wide == [], f"figures wider than the {MAX_FIGURE_PX} px text column"
