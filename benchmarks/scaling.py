"""Item 2: the cost of the three exact gradient methods as T grows.

Times ``bptt`` (the δ recursion), ``rtrl`` (forward mode) and
``bptt_sum_of_products`` (the literal double sum) for T in {10, 20, 40, 80, 160}
at H = 32, in interleaved rounds; fits the slope of log(min time) against
log(T) (the minimum is the least load-sensitive statistic), and records the peak
memory each method allocates beyond the cache (tracemalloc, in a separate pass
so that tracing does not slow the timed runs).

Theory (m examples, H hidden units, n_in ≈ n_out ≪ H):
  bptt                 time O(T m H²),        extra memory O(m H) per block
  rtrl                 time O(T m H⁴),        extra memory O(m H³), independent of T
  bptt_sum_of_products time O(T² m H³),       extra memory O(T m H²) (all J_t)

Writes results/scaling.json.
"""
from __future__ import annotations

import os
import sys
import time
import tracemalloc

import common
import numpy as np
import rnnlib

TS = (10, 20, 40, 80, 160)
M, N_IN, H, N_OUT = 4, 8, 32, 8
METHODS = {"bptt": rnnlib.bptt, "rtrl": rnnlib.rtrl,
           "bptt_sum_of_products": rnnlib.bptt_sum_of_products}
THEORY = {
    "bptt": {"time": "O(T m H^2)", "memory": "O(m H) per block of steps", "slope": 1},
    "rtrl": {"time": "O(T m H^4)", "memory": "O(m H^3), independent of T", "slope": 1},
    "bptt_sum_of_products": {"time": "O(T^2 m H^3)", "memory": "O(T m H^2)", "slope": 2},
}
ROUNDS = 2 if common.QUICK else 3         # every (method, T) is timed once per round
ROUND_S = 0.15                             # ... for at least this long


def time_all(params, caches) -> dict:
    """Times of every (method, T), measured in interleaved rounds.

    Each round visits every method and every T once, so that a change of the
    machine's load during the run affects all of them alike.
    """
    times = {(name, T): [] for name in METHODS for T in caches}
    reps = {}
    for name, fn in METHODS.items():                # warm-up and repeats per visit
        for T, cache in caches.items():
            t0 = time.perf_counter()
            fn(params, cache)
            reps[name, T] = max(1, int(ROUND_S / max(time.perf_counter() - t0, 1e-6)))
    for _ in range(ROUNDS):
        for name, fn in METHODS.items():
            for T, cache in caches.items():
                for _ in range(reps[name, T]):
                    t0 = time.perf_counter()
                    fn(params, cache)
                    times[name, T].append(time.perf_counter() - t0)
    return times


def peak_bytes(fn, params, cache) -> int:
    """Peak bytes allocated during one call, work arrays kept between calls included."""
    sys.modules["rnnlib.rnn"]._recycle.__dict__.clear()   # recycled work arrays count too
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    grads = fn(params, cache)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del grads
    return int(peak)


def fit_slope(Ts, ys) -> float:
    return float(np.polyfit(np.log(Ts), np.log(ys), 1)[0])


def main():
    out = {"machine": common.machine_info(), "m": M, "n_in": N_IN, "H": H, "n_out": N_OUT,
           "T": list(TS), "theory": THEORY, "methods": {}}
    params = rnnlib.init_params(N_IN, H, N_OUT, seed=0)
    rng = np.random.default_rng(1)
    problems = {}
    for T in TS:
        X = rng.normal(size=(T, M, N_IN))
        Y = rng.integers(0, N_OUT, size=(T, M))
        problems[T] = rnnlib.forward(params, X, Y)[1]
    # agreement of the three methods at the largest T
    ref = rnnlib.bptt(params, problems[TS[-1]])
    agree = {name: max(rnnlib.rel_error(fn(params, problems[TS[-1]])[k], ref[k]) for k in ref)
             for name, fn in METHODS.items()}
    out["max_rel_error_vs_bptt_at_T_max"] = agree
    times = time_all(params, problems)
    for name, fn in METHODS.items():
        rows = []
        for T in TS:
            rows.append({"T": T, **common.summary(times[name, T]),
                         "peak_bytes": peak_bytes(fn, params, problems[T])})
            print(f"{name:22s} T={T:4d} median {rows[-1]['median'] * 1e3:9.3f} ms "
                  f"min {rows[-1]['min'] * 1e3:9.3f} ms peak {rows[-1]['peak_bytes'] / 1e6:8.3f} MB",
                  flush=True)
        Ts = [r["T"] for r in rows]
        best = [r["min"] for r in rows]
        out["methods"][name] = {
            "rows": rows,
            "slope": fit_slope(Ts, best),
            "slope_last3": fit_slope(Ts[-3:], best[-3:]),
            "slope_of_medians": fit_slope(Ts, [r["median"] for r in rows]),
            "memory_slope": fit_slope(Ts, [max(r["peak_bytes"], 1) for r in rows]),
        }
        print(f"  slope {out['methods'][name]['slope']:.2f} "
              f"(largest three T: {out['methods'][name]['slope_last3']:.2f})", flush=True)
    out["machine"]["load_average_at_end"] = list(os.getloadavg())
    print("wrote", common.write_json("scaling", out))


if __name__ == "__main__":
    main()
