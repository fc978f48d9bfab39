"""Execute a chapter notebook in a fresh kernel (a temporary copy; the stored
notebook is never rewritten) and optionally run extra code at its end.

Used by widget_latency.py (to time every registered widget in the state the
notebook leaves it) and by book_cost.py (to time each notebook's execution).
Runs in the book's own environment (.venv), not in .venv-bench.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run_notebook(path: Path, extra_code: str | None = None, timeout: int = 600):
    """Return (seconds for the notebook's own cells, stdout of ``extra_code``)."""
    nb = nbformat.read(path, as_version=4)
    n_own = len(nb.cells)
    if extra_code:
        nb.cells.append(nbformat.v4.new_code_cell(extra_code))
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    own_seconds = None
    with client.setup_kernel():
        t0 = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if index == n_own:
                own_seconds = time.perf_counter() - t0
            client.execute_cell(cell, index)
        if own_seconds is None:
            own_seconds = time.perf_counter() - t0
    text = ""
    if extra_code:
        for output in nb.cells[-1].get("outputs", []):
            if output.get("name") == "stdout":
                text += output.get("text", "")
    return own_seconds, text
