"""Drive the chapter notebooks in a real JupyterLab, as a reader in Binder does.

The harness starts JupyterLab on 127.0.0.1 (a free port, a random token, root
``--allow-root``) on a *copy* of the notebooks, so that nothing it runs is saved
into the repository, and opens it in Chromium through Playwright.  For one
notebook it

1. opens it, runs all cells (``notebook:run-all-cells``, what Run > Run All Cells
   does) and waits for the kernel;
2. finds every live widget generically: the output of each cell that calls
   ``plots.<module>.widget(...)``; its controls are the ipywidgets sliders and
   dropdowns above the figure, which is an ``<img>`` in the widget's output area;
3. moves every control the way a reader does (a slider: click its handle, press
   an arrow key; a dropdown: choose another option) and measures, in the page's
   own clock, the time from the key press (or the change) to the new figure
   image, the latency a reader feels;
4. records the browser console and, in the kernel, every figure matplotlib
   renders: an IPython startup file checks each one with
   :func:`rnnlib.plots.style.text_problems` (text size and contrast) just before
   it is printed.

:func:`widget_latencies` returns the per-move latencies, so that the widget
speed issue can time the widgets with the same harness.  ``tests/lab/test_lab.py``
turns the results into tests (``make test-lab``).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BPTT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDGET_CALL = re.compile(r"\bplots\.\w+\.widget\(")
RUN_TIMEOUT_S = float(os.environ.get("BPTT_LAB_RUN_TIMEOUT", "240"))
MOVE_TIMEOUT_S = float(os.environ.get("BPTT_LAB_MOVE_TIMEOUT", "30"))

# The kernel side of the figure check: every figure that matplotlib prints (inline
# images, animation frames, widget redraws) is checked first.  One JSON line per figure.
FIGURE_AUDIT = r'''
import json as _json, os as _os
def _bptt_install_figure_audit():
    import matplotlib.backend_bases as _bb
    _print_figure = _bb.FigureCanvasBase.print_figure
    _path = _os.environ.get("BPTT_FIGURE_AUDIT")
    if not _path:
        return
    def print_figure(self, *args, **kwargs):
        record = {"pid": _os.getpid()}
        try:
            from rnnlib.plots.style import text_problems
            fig = self.figure
            record["width_px"] = round(fig.get_figwidth() * fig.dpi, 1)
            record["problems"] = text_problems(fig)[:20]
        except Exception as exc:          # the audit must never break a notebook
            record["error"] = f"{type(exc).__name__}: {exc}"[:300]
        with open(_path, "a") as out:
            out.write(_json.dumps(record) + "\n")
        return _print_figure(self, *args, **kwargs)
    _bb.FigureCanvasBase.print_figure = print_figure
_bptt_install_figure_audit()
del _bptt_install_figure_audit
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token, working copy and log."""
    url: str
    token: str
    root: Path
    audit: Path
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every session's kernel (between notebooks)."""
        for session in self.api("GET", "api/sessions") or []:
            self.api("DELETE", f"api/sessions/{session['id']}")


@contextmanager
def lab_server(notebooks=None, *, startup_timeout: float = 120.0, audit: bool = True):
    """Start JupyterLab on a temporary copy of ``notebooks/`` (or the given files); yield a :class:`LabServer`.

    ``audit=False`` leaves out the kernel's figure check (it draws every figure a
    second time), for timing the widgets as a reader's kernel runs them.
    """
    tmp = Path(tempfile.mkdtemp(prefix="bptt-lab-"))
    root = tmp / "work"
    (root / "notebooks").mkdir(parents=True)
    for nb in notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(ROOT / nb if not Path(nb).is_absolute() else nb, root / "notebooks" / Path(nb).name)
    ipython = tmp / "ipython"
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "00-bptt-figure-audit.py").write_text(FIGURE_AUDIT)
    audit_file = tmp / "figures.jsonl"
    audit_file.touch()
    token, port = secrets.token_hex(16), _free_port()
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ,
               PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",   # the kernel's python
               IPYTHONDIR=str(ipython), BPTT_FIGURE_AUDIT=str(audit_file) if audit else "",
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    log = tmp / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--MappingKernelManager.cull_idle_timeout=0"]
    with open(log, "w") as out:
        process = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, audit_file, process, log)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("GET", "api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start in {startup_timeout:.0f} s:\n"
                                       f"{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)       # the server and its kernels
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def chromium():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is missing at {CHROMIUM}: run `make browser` "
                           "(as root on Debian it installs the `chromium` package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Move:
    """One move of one control: which, what it became, how long the figure took."""
    widget: int
    control: str
    kind: str                 # "slider" or "dropdown"
    value_before: str
    value_after: str
    redrawn: bool
    latency_s: float | None   # key press (or change) to the new figure image, page clock


@dataclass
class NotebookRun:
    """What one notebook did in JupyterLab."""
    notebook: str
    run_s: float = 0.0
    cells: int = 0
    error_outputs: list = field(default_factory=list)     # (cell, ename: evalue)
    widgets: list = field(default_factory=list)           # per widget: {"cell", "controls", "image"}
    moves: list = field(default_factory=list)             # Move
    console_errors: list = field(default_factory=list)
    figures: list = field(default_factory=list)           # kernel audit records
    retried: list | None = None                           # the first run's (cell, controls, images)


# In-page helpers (JupyterLab exposes its application as window.jupyterapp).
_JS_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  return !!(panel && panel.content && panel.content.widgets && panel.content.widgets.length
            && panel.sessionContext && panel.sessionContext.session
            && panel.sessionContext.session.kernel);
}"""

_JS_RUN_ALL = """async () => {
  const app = window.jupyterapp, panel = app.shell.currentWidget;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
}"""

_JS_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets;
  const code = cells.filter(c => c.model.type === 'code');
  const pending = code.filter(c => c.model.executionState === 'running'
                                  || (c.promptNode && /\\*/.test(c.promptNode.textContent))).length;
  const errors = [];
  cells.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    c.model.outputs.toJSON().forEach(o => {
      if (o.output_type === 'error') errors.push([i, `${o.ename}: ${o.evalue}`.slice(0, 300)]);
    });
  });
  return {status: panel.sessionContext.session.kernel.status, pending, cells: cells.length,
          unexecuted: code.filter(c => c.model.executionCount === null
                                       && c.model.sharedModel.getSource().trim()).length,
          errors};
}"""

_JS_WIDGET_CELLS = """(pattern) => {
  const re = new RegExp(pattern);
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((c, i) => [i, c]).filter(([i, c]) =>
      c.model.type === 'code' && re.test(c.model.sharedModel.getSource())).map(([i]) => i);
}"""

# Controls and figure image of the widget in cell i; marks them with data attributes
# so that Playwright can address them.
_JS_DESCRIBE = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cell = panel.content.widgets[i];
  const node = cell.outputArea ? cell.outputArea.node : cell.node;
  const controls = [];
  node.querySelectorAll('.widget-slider, .widget-dropdown').forEach((el, j) => {
    const slider = el.classList.contains('widget-slider');
    el.setAttribute('data-bptt-control', `${i}-${j}`);
    const label = el.querySelector('.widget-label');
    const readout = el.querySelector('.widget-readout');
    const select = el.querySelector('select');
    const shown = slider ? (readout ? (readout.value || readout.textContent || '').trim() : '')
                         : (select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text.trim() : '');
    controls.push({id: `${i}-${j}`, kind: slider ? 'slider' : 'dropdown',
                   label: label ? label.textContent.trim() : '', value: shown,
                   options: select ? select.options.length : 0});
  });
  const imgs = Array.from(node.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img'));
  return {controls, images: imgs.length,
          src: imgs.length ? imgs[imgs.length - 1].src.slice(-200) : ''};
}"""

# Start watching the widget's output for a new figure image; the key press or change
# time is taken by capture listeners.  Resolved by _JS_WAIT.
_JS_ARM = """(i) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const node = panel.content.widgets[i].outputArea.node;
  const imgs = node.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img');
  const before = imgs.length ? imgs[imgs.length - 1].src : '';
  window.__bptt = {t0: null, t1: null, before};
  const start = () => { if (window.__bptt.t0 === null) window.__bptt.t0 = performance.now(); };
  window.__bptt.start = start;
  document.addEventListener('keydown', start, {capture: true});
  document.addEventListener('change', start, {capture: true});
  const check = () => {
    const now = node.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img');
    const img = now.length ? now[now.length - 1] : null;
    if (img && img.src !== before && img.src.startsWith('data:image') && window.__bptt.t1 === null) {
      const done = () => { if (window.__bptt.t1 === null) window.__bptt.t1 = performance.now(); };
      if (img.complete) done(); else img.addEventListener('load', done, {once: true});
    }
  };
  window.__bptt.observer = new MutationObserver(check);
  window.__bptt.observer.observe(node, {subtree: true, childList: true, attributes: true,
                                         attributeFilter: ['src']});
}"""

_JS_WAIT = """() => window.__bptt && window.__bptt.t1 !== null"""

_JS_SCROLL_TO = """async (i) => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  if (notebook.scrollToItem) { await notebook.scrollToItem(i, 'start'); }
  const cell = notebook.widgets[i];
  if (cell && cell.node) { cell.node.scrollIntoView({block: 'start'}); }
}"""

_JS_RESULT = """() => { const b = window.__bptt; if (b.observer) b.observer.disconnect();
  document.removeEventListener('keydown', b.start, {capture: true});
  document.removeEventListener('change', b.start, {capture: true});
  return {latency_ms: (b.t0 !== null && b.t1 !== null) ? b.t1 - b.t0 : null}; }"""


class Lab:
    """A Playwright page on a :class:`LabServer`, one notebook at a time."""

    def __init__(self, server: LabServer, browser, *, viewport=(1280, 900)):
        self.server, self.browser, self.viewport = server, browser, viewport

    def _audit_records(self) -> list:
        lines = self.server.audit.read_text().splitlines()
        self.server.audit.write_text("")
        return [json.loads(line) for line in lines if line.strip()]

    def run_notebook(self, notebook: str, *, move_widgets: bool = True, moves_per_control: int = 1) -> NotebookRun:
        """Open ``notebooks/<name>``, run all cells, move every widget control; return what happened."""
        name = Path(notebook).name
        result = NotebookRun(name)
        self._audit_records()                                  # start this notebook's audit afresh
        context = self.browser.new_context(viewport={"width": self.viewport[0], "height": self.viewport[1]})

        def route(r):   # the lab asks nothing of the internet; anything else is refused
            host = re.match(r"https?://([^/:]+)", r.request.url)
            if host and host.group(1) != "127.0.0.1":
                r.abort()
            else:
                r.continue_()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and result.console_errors.append(
            f"{m.text[:400]} @ {m.location.get('url', '')}"))
        page.on("pageerror", lambda e: result.console_errors.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: d.dismiss())
        try:
            page.goto(f"{self.server.url}lab/tree/notebooks/{name}?token={self.server.token}",
                      wait_until="domcontentloaded")
            page.wait_for_function(_JS_READY, timeout=120_000, polling=250)
            start = time.perf_counter()
            page.evaluate(_JS_RUN_ALL)
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while True:
                state = page.evaluate(_JS_STATE)
                if state["status"] == "idle" and state["pending"] == 0 and state["unexecuted"] == 0:
                    break
                if state["errors"] or time.monotonic() > deadline:
                    break
                page.wait_for_timeout(250)
            result.run_s = round(time.perf_counter() - start, 2)
            result.cells = state["cells"]
            result.error_outputs = state["errors"]
            finished = state["status"] == "idle" and not state["pending"] and not state["unexecuted"]
            if not finished and not state["errors"]:
                result.error_outputs.append((-1, f"not finished after {RUN_TIMEOUT_S:.0f} s: {state}"))
            if not result.error_outputs:
                page.wait_for_timeout(500)                       # the last widget views render
                for i in page.evaluate(_JS_WIDGET_CELLS, WIDGET_CALL.pattern):
                    info = self._wait_for_widget(page, i)
                    result.widgets.append({"cell": i, **info})
                    if move_widgets:
                        result.moves += self._move_all(page, i, info, len(result.widgets) - 1,
                                                       moves_per_control)
        finally:
            context.close()
            self.server.shutdown_kernels()
            time.sleep(0.5)
            result.figures = self._audit_records()
        return result

    def run_notebook_shown(self, notebook: str, **kwargs) -> NotebookRun:
        """:meth:`run_notebook`, run once more when a live widget was not shown (no control
        or no figure image) although every cell ran: JupyterLab's lazy rendering of cells
        far from the viewport has, rarely, left a widget's output area empty.  A widget
        that is missing twice is reported as missing; ``run.retried`` says whether the
        second run was needed."""
        run = self.run_notebook(notebook, **kwargs)
        has_widget = WIDGET_CALL.search((ROOT / "notebooks" / Path(notebook).name).read_text()) is not None
        shown = run.widgets and all(w["controls"] and w["images"] for w in run.widgets)
        if has_widget and not run.error_outputs and not shown:
            first = [(w["cell"], len(w["controls"]), w["images"]) for w in run.widgets]
            run = self.run_notebook(notebook, **kwargs)
            run.retried = first
        return run

    def _wait_for_widget(self, page, i, timeout_s: float = 60.0) -> dict:
        # JupyterLab renders only the cells near the viewport: scroll to the widget, as a
        # reader does, before looking for its controls and its figure.  Scroll again on
        # every look: outputs above it that render late (figures, MathJax) move it out of
        # the viewport, and JupyterLab then detaches its output area (seen once in a fresh
        # clone: controls found, the figure image never attached within 60 s).
        deadline = time.monotonic() + timeout_s
        while True:
            page.evaluate(_JS_SCROLL_TO, i)
            info = page.evaluate(_JS_DESCRIBE, i)
            if (info["controls"] and info["images"]) or time.monotonic() > deadline:
                return info
            page.wait_for_timeout(250)

    #: How a control is moved n times: False alternates forward and back (two values);
    #: True sweeps, forward for the first half of the moves and back for the second,
    #: so that half the moves reach a setting the widget has not drawn yet.
    sweep = False

    def _move_all(self, page, i, info, widget_index, moves_per_control) -> list:
        moves = []
        for control in info["controls"]:
            for n in range(moves_per_control):
                forward = n < (moves_per_control + 1) // 2 if self.sweep else n % 2 == 0
                moves.append(self._move(page, i, control, widget_index, forward=forward))
        return moves

    def _current(self, page, i, control_id) -> str:
        for c in page.evaluate(_JS_DESCRIBE, i)["controls"]:
            if c["id"] == control_id:
                return c["value"]
        return ""

    def _move(self, page, i, control, widget_index, *, forward=True) -> Move:
        box = page.locator(f'[data-bptt-control="{control["id"]}"]')
        box.scroll_into_view_if_needed()
        before = self._current(page, i, control["id"])
        page.evaluate(_JS_ARM, i)
        if control["kind"] == "slider":
            handle = box.locator(".noUi-handle").first
            handle.click()                                      # focus, as a reader's click does
            page.evaluate("() => { window.__bptt.t0 = null; }")  # the click itself is not the move
            key = "ArrowRight" if forward else "ArrowLeft"
            handle.press(key)
            page.wait_for_timeout(50)
            if self._current(page, i, control["id"]) == before:  # at the end of its range
                page.evaluate("() => { window.__bptt.t0 = null; }")
                handle.press("ArrowLeft" if forward else "ArrowRight")
        else:
            select = box.locator("select")
            n = control["options"]
            current = select.evaluate("s => s.selectedIndex")
            select.select_option(index=(current + 1) % n if n > 1 else current)
        try:
            page.wait_for_function(_JS_WAIT, timeout=MOVE_TIMEOUT_S * 1000, polling=20)
            redrawn = True
        except Exception:                                       # noqa: BLE001 (a timeout)
            redrawn = False
        latency = page.evaluate(_JS_RESULT)["latency_ms"]
        after = self._current(page, i, control["id"])
        return Move(widget_index, control["label"] or control["id"], control["kind"], before, after,
                    redrawn, None if latency is None else latency / 1000.0)


def widget_latencies(notebooks=None, *, moves_per_control: int = 5, audit: bool = False) -> dict[str, list[Move]]:
    """Per-move latencies of every live widget of ``notebooks`` (default: every chapter).

    Each control of each widget is moved ``moves_per_control`` times (alternately
    forward and back); each :class:`Move` carries the time from the key press (or
    dropdown change) to the new figure image in the page.  For the widget speed
    benchmark: ``{notebook: [Move, ...]}``.  The kernel's figure audit is off by
    default (``audit``): it would draw every figure twice, which a reader's kernel
    does not.
    """
    names = notebooks or [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    out = {}
    with lab_server([ROOT / "notebooks" / n for n in names], audit=audit) as server, chromium() as browser:
        lab = Lab(server, browser)
        for name in names:
            out[name] = lab.run_notebook(name, moves_per_control=moves_per_control).moves
    return out


if __name__ == "__main__":       # python tests/lab/labharness.py [notebook ...]: print latencies
    for nb, moves in widget_latencies(sys.argv[1:] or None, moves_per_control=3).items():
        for m in moves:
            ms = "—" if m.latency_s is None else f"{m.latency_s * 1000:7.1f} ms"
            print(f"{nb:32s} widget {m.widget} {m.control:18s} {m.value_before!s:>8} -> {m.value_after!s:<8} {ms}")
