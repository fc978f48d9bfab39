"""Item 3: peak memory of forward + BPTT against the stored hidden states.

At (m, T, n_in, H, n_out) = (64, 1000, 128, 256, 128) the hidden states h take
m·T·H floats (131 MB).  Each mode runs in a fresh process that builds the data,
then measures forward + bptt twice:

* tracemalloc: the peak of numpy's traced allocations during the call, above
  what was allocated before it (params, X, Y);
* the process's peak resident set size (ru_maxrss) above its size just before.

The default cache keeps h, o and ∂L/∂o; the lean cache keeps only h.  Both
keep a private copy of X (the contract forbids aliasing the caller's arrays):
it is reported separately, since it is an input, not a product of BPTT.

"No regression" is judged in the same run: the same measurement is repeated on
the library as it was before the speed work (``git archive`` of BASELINE_COMMIT
into a temporary folder, imported instead of the working tree), with every
reusable work array of either version released before the traced call, so that
both are counted alike.

Writes results/memory.json.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import common

#: The library before the speed work of issue 14 (the layered layout of issue 11).
BASELINE_COMMIT = "01f3ca0"
SIZE = (16, 250, 128, 256, 128) if common.QUICK else (64, 1000, 128, 256, 128)


def _release_work_arrays():
    """Forget the reusable buffers of either library version, so that the traced call
    allocates (and counts) them: rnnlib.rnn._recycle now, rnnlib.bptt._scratch before."""
    for module, attr in (("rnnlib.rnn", "_recycle"), ("rnnlib.bptt", "_scratch")):
        store = getattr(sys.modules.get(module), attr, None)
        if store is not None:
            store.__dict__.clear()


def child(mode: str, library: str | None = None):
    import tracemalloc

    if library:                                    # the baseline's tree comes first on the path
        sys.path.insert(0, library)
    import rnnlib

    lean = mode == "lean"
    params, X, Y = common.make_problem(SIZE)
    L, cache = rnnlib.forward(params, X, Y, lean=lean)      # warm-up (imports, page cache)
    g = rnnlib.bptt(params, cache)
    del L, cache, g
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cur_rss = _current_rss()
    t0 = time.perf_counter()
    _, cache = rnnlib.forward(params, X, Y, lean=lean)
    grads = rnnlib.bptt(params, cache)
    seconds = time.perf_counter() - t0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    del cache, grads
    _release_work_arrays()                         # count the recycled arrays and work arrays
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    _, cache = rnnlib.forward(params, X, Y, lean=lean)
    after_forward = tracemalloc.get_traced_memory()[0] - base
    grads = rnnlib.bptt(params, cache)   # noqa: F841 (alive at the peak, as a caller's would be)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(json.dumps({
        "mode": mode, "seconds": seconds, "library": rnnlib.__file__,
        "tracemalloc_peak_bytes": peak, "cache_bytes": after_forward,
        "x_copy_bytes": cache.X.nbytes,
        "rss_current_before": cur_rss, "rss_peak_before": rss_before, "rss_peak_after": rss_peak,
    }))


def _current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _baseline_tree(tmp: str) -> str | None:
    """BASELINE_COMMIT's rnnlib/ extracted into ``tmp``; None outside a git checkout."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(["git", "-C", repo, "archive", BASELINE_COMMIT, "rnnlib"],
                             capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    return tmp


def _measure(mode: str, library: str | None = None) -> dict:
    args = [sys.executable, __file__, "--child", mode] + ([library] if library else [])
    res = subprocess.run(args, capture_output=True, text=True, check=True,
                         env={**os.environ, **common.thread_env()})
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    m, T, n_in, H, n_out = SIZE
    h_bytes = m * T * H * 8
    out = {"machine": common.machine_info(),
           "size": dict(zip(("m", "T", "n_in", "H", "n_out"), SIZE)),
           "h_bytes": h_bytes, "targets": {"default": 2.5, "lean": 1.1},
           # Issue 14: must not regress from these (peak ÷ h, including the cache's copy of X).
           "baseline_with_x_copy": {"default": 2.57, "lean": 1.56}, "modes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tree = _baseline_tree(tmp)
        if tree is not None:
            out["baseline_commit"] = BASELINE_COMMIT
            out["baseline_measured"] = {}
            for mode in ("default", "lean"):
                r = _measure(mode, tree)
                out["baseline_measured"][mode] = r["tracemalloc_peak_bytes"] / h_bytes
                print(f"{mode:8s} at {BASELINE_COMMIT}: peak {r['tracemalloc_peak_bytes'] / 1e6:8.1f} MB = "
                      f"{out['baseline_measured'][mode]:.2f} × h", flush=True)
    for mode in ("default", "lean"):
        r = _measure(mode)
        r["ratio_tracemalloc"] = r["tracemalloc_peak_bytes"] / h_bytes
        r["ratio_tracemalloc_without_x_copy"] = (r["tracemalloc_peak_bytes"] - r["x_copy_bytes"]) / h_bytes
        # RSS can only grow: the peak above the larger of the earlier peak and the current size
        grow = r["rss_peak_after"] - r["rss_current_before"]
        r["ratio_rss"] = grow / h_bytes
        out["modes"][mode] = r
        print(f"{mode:8s} peak {r['tracemalloc_peak_bytes'] / 1e6:8.1f} MB = "
              f"{r['ratio_tracemalloc']:.2f} × h ({r['ratio_tracemalloc_without_x_copy']:.2f} × h "
              f"without the copy of X); RSS growth {r['ratio_rss']:.2f} × h; {r['seconds']:.2f} s",
              flush=True)
    print("wrote", common.write_json("memory", out))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main()
