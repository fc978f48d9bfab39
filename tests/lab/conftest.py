"""The JupyterLab stage (``make test-lab``): one JupyterLab, one Chromium, every chapter.

Each notebook is opened and run once per session (:class:`Runs`); the tests in
``test_lab.py`` read what that run recorded.  The stage runs only when asked for
(``BPTT_LAB=1``, which ``make test-lab`` sets), so that ``pytest tests/`` stays a
library test run.
"""
from __future__ import annotations

import os

import pytest

ENABLED = os.environ.get("BPTT_LAB") == "1"


def pytest_collection_modifyitems(config, items):
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="the JupyterLab stage runs with BPTT_LAB=1 (make test-lab)")
    for item in items:
        if "tests/lab/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("test_lab"):
            item.add_marker(skip)


class Runs:
    """Runs each notebook in the shared JupyterLab on first request and remembers the result
    (:meth:`labharness.Lab.run_notebook_shown`: once more if a widget was not shown)."""

    def __init__(self, lab):
        self.lab, self.done = lab, {}

    def get(self, notebook: str):
        if notebook not in self.done:
            self.done[notebook] = self.lab.run_notebook_shown(notebook)
        return self.done[notebook]


@pytest.fixture(scope="session")
def runs():
    if not ENABLED:
        pytest.skip("the JupyterLab stage runs with BPTT_LAB=1 (make test-lab)")
    from labharness import Lab, chromium, lab_server

    with lab_server() as server, chromium() as browser:
        yield Runs(Lab(server, browser))
