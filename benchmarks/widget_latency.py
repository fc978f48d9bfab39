"""Item 4: how long a live widget takes to react to a slider move, two ways.

**End to end** (what a reader feels; the target).  JupyterLab runs on
127.0.0.1 with the chapter notebooks, Chromium opens each one through
Playwright, runs all its cells, and moves every control of its live widget the
way a reader does (click a slider's handle, press an arrow key; choose another
dropdown option), each control MOVES_PER_CONTROL times: forward for the first
half of the moves, then back, so that half the moves draw a setting the widget
has not shown before (text layouts and mathtext are not yet cached).  A move is timed in the page's own clock, from the key press (or the
change event) to the new figure image loaded in the widget's output area: the
kernel round trip, the redraw, the PNG export and the front end's re-render
together.  The harness is the JupyterLab stage's (tests/lab/labharness.py),
with its figure audit switched off (it would draw every figure a second time,
which a reader's kernel does not).

**Agg only** (the redraw alone, for comparison).  Every live widget registers
``(draw, examples)`` in ``rnnlib.plots.style.WIDGETS`` when the notebook builds
it.  This script executes each chapter notebook in a fresh kernel and then, in
that kernel, times for each registered widget and each example setting
``draw(**example, fig=fig)`` followed by ``fig.canvas.draw()`` on the Agg
backend, on the widget's persistent figure (one untimed call first creates the
figure and warms caches, as the first display of the widget does).

Target: end-to-end median < 100 ms per widget.  Writes results/widgets.json.
``--agg-only`` / ``--lab-only`` run one half (the other is kept from the file).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from nbrun import NOTEBOOKS, run_notebook  # noqa: E402

TARGET_S = 0.100
REPEATS = 3
#: Moves of each control of each widget in JupyterLab, alternately forward and back
#: (the issue's "median of 8 presses").
MOVES_PER_CONTROL = 8
REPO = Path(__file__).resolve().parent.parent

PROBE = r'''
import json, time, statistics, importlib, pkgutil
import matplotlib
import matplotlib.pyplot as plt
import rnnlib, rnnlib.plots.style
_res = {}
for _name, (_draw, _examples) in list(rnnlib.plots.style.WIDGETS.items()):
    _times, _error = [], None
    try:
        _fig = None
        if _examples:
            _fig = _draw(**_examples[-1]) or plt.gcf()     # untimed: the widget's first display
            _fig.canvas.draw()
        for _rep in range(REPEATS):
            for _ex in _examples:
                _t0 = time.perf_counter()
                _fig = _draw(**_ex, fig=_fig) or _fig      # a slider move: redraw the same figure
                _fig.canvas.draw()
                _times.append(time.perf_counter() - _t0)
        if _fig is not None:
            plt.close(_fig)
    except Exception as _e:
        _error = f"{type(_e).__name__}: {_e}"[:300]
    _res[_name] = {"times": _times, "examples": len(_examples), "error": _error,
                   "backend": matplotlib.get_backend()}
print("@@WIDGETS" + json.dumps(_res))
'''.replace("REPEATS", str(REPEATS))


def end_to_end(names) -> dict:
    """Per notebook: the latencies (seconds) of every move of its live widget in JupyterLab."""
    sys.path.insert(0, str(REPO / "tests" / "lab"))
    import labharness

    out = {"load_average_before": list(os.getloadavg()), "notebooks": {}}
    t0 = time.perf_counter()
    with labharness.lab_server([NOTEBOOKS / n for n in names], audit=False) as server, \
            labharness.chromium() as browser:
        lab = labharness.Lab(server, browser)
        lab.sweep = True                    # forward, then back: half the settings are new
        for name in names:
            run = lab.run_notebook_shown(name, moves_per_control=MOVES_PER_CONTROL)
            if run.retried:
                print(f"{name:32s} widget not shown in the first run {run.retried}: ran it once more",
                      flush=True)
            per = {"run_s": run.run_s, "errors": run.error_outputs[:3],
                   "console_errors": run.console_errors[:3], "widgets": []}
            for w, info in enumerate(run.widgets):
                moves = [m for m in run.moves if m.widget == w]
                times = [m.latency_s for m in moves if m.latency_s is not None]
                entry = {"controls": [c["label"] for c in info["controls"]],
                         "moves": [{"control": m.control, "from": m.value_before, "to": m.value_after,
                                    "redrawn": m.redrawn, "latency_s": m.latency_s} for m in moves]}
                if times:
                    entry.update(common.summary(times))
                    entry["meets_target"] = entry["median"] < TARGET_S
                per["widgets"].append(entry)
            out["notebooks"][name] = per
            for entry in per["widgets"]:
                status = (f"median {entry['median'] * 1e3:6.1f} ms over {entry['n']} moves"
                          if "median" in entry else "no move timed")
                print(f"{name:32s} end to end: {status}", flush=True)
            if per["errors"]:
                print(f"{name:32s} stopped: {per['errors'][0]}", flush=True)
    out["seconds"] = time.perf_counter() - t0
    out["load_average_after"] = list(os.getloadavg())
    return out


def agg_only():
    widgets, notebooks = {}, {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        try:
            seconds, text = run_notebook(path, PROBE)
        except Exception as exc:                     # a broken notebook is reported, not fatal
            notebooks[path.name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            print(f"{path.name}: failed to execute ({type(exc).__name__})", flush=True)
            continue
        line = next((ln for ln in text.splitlines() if ln.startswith("@@WIDGETS")), None)
        found = json.loads(line[len("@@WIDGETS"):]) if line else {}
        notebooks[path.name] = {"seconds": seconds, "widgets": sorted(found)}
        for name, r in found.items():
            if name in widgets:                      # already timed from an earlier notebook
                continue
            if r["times"]:
                r.update(common.summary(r["times"]))
                r["meets_target"] = r["median"] < TARGET_S
            r["notebook"] = path.name
            del r["times"]
            widgets[name] = r
            status = (f"median {r['median'] * 1e3:7.1f} ms" if "median" in r
                      else f"not timed ({r['error'] or 'no examples'})")
            print(f"{path.name:32s} {name:28s} {status}", flush=True)
    return widgets, notebooks


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = common.RESULTS / "widgets.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    out = {"machine": common.machine_info(), "target_s": TARGET_S, "repeats": REPEATS,
           "moves_per_control": MOVES_PER_CONTROL}
    if "--lab-only" in argv:
        out.update({k: old[k] for k in ("widgets", "notebooks") if k in old})
    else:
        out["widgets"], out["notebooks"] = agg_only()
    if "--agg-only" in argv:
        if "end_to_end" in old:
            out["end_to_end"] = old["end_to_end"]
    else:
        names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
        out["end_to_end"] = end_to_end(names)
    if not out.get("widgets"):
        out["note"] = "no widget was registered by any notebook"
    print("wrote", common.write_json("widgets", out))


if __name__ == "__main__":
    main()
