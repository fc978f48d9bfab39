"""Item 4: how long a live widget takes to react to a slider move.

Every live widget registers ``(draw, examples)`` in ``rnnlib.plots.style.WIDGETS``
when the notebook builds it (``rnnlib.plots.<chapter>.widget()`` calls ``rnnlib.plots.style.live``).  A widget keeps ONE figure: the
first display creates it, and every slider move calls ``draw(**values, fig=fig)``,
which updates that figure in place.  This script executes each chapter
notebook in a fresh kernel and then, in that kernel, times for each registered
widget and each example setting exactly that: ``draw(**example, fig=fig)``
followed by ``fig.canvas.draw()`` on the Agg backend, on the widget's
persistent figure.  One untimed call first creates the figure and warms caches,
as the first display of the widget does (with the last example, so that the
examples, distinct settings of the controls visited in turn, each redraw the
figure for values other than those it shows).

Target: median < 100 ms.  Writes results/widgets.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from nbrun import NOTEBOOKS, run_notebook  # noqa: E402

TARGET_S = 0.100
REPEATS = 3

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


def main():
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
    out = {"machine": common.machine_info(), "target_s": TARGET_S, "repeats": REPEATS,
           "widgets": widgets, "notebooks": notebooks}
    if not widgets:
        out["note"] = "no widget was registered by any notebook"
    print("wrote", common.write_json("widgets", out))


if __name__ == "__main__":
    main()
