"""The element-wise costs behind the peer ratios: NumPy's float64 tanh against exp.

Issue 14 diagnosed, on the machine of the time, that NumPy's float64 ``tanh`` was
not vectorised (about 14 ns per element against 5 ns for ``exp``).  Whether it
is depends on the CPU: NumPy dispatches ``tanh`` to a SIMD kernel only when the
CPU has AVX-512 (``AVX512_SKX``).  This script measures, on the machine of the
run, the time per element of ``np.tanh``, ``np.exp`` and ``np.multiply`` on
409,600 float64 numbers (the hidden states of the (32, 100, 64, 128, 64) case),
one thread, median of 15 repeats, and records which SIMD extensions NumPy found.

It also breaks one forward + backward pass at the smallest peer size,
(1, 25, 65, 100, 65), into the argument checks and the rest: the checks of
``forward`` (``rnn._check_inputs``) and of ``bptt`` (``check_params``,
``check_cache`` and the overflow check of the gradients), each timed alone on
the same arguments, median of 15 repeats of 200 calls.

Writes results/elementwise.json.
"""
from __future__ import annotations

import statistics
import time

import common
import numpy as np

N = 409_600
REPEATS = 15
SMALLEST = (1, 25, 65, 100, 65)
CALLS = 200


def per_element_ns(f, x, out) -> float:
    f(x, out=out)                                       # warm-up
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        f(x, out=out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / x.size * 1e9


def per_call_us(f) -> float:
    f()                                                 # warm-up
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(CALLS):
            f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / CALLS * 1e6


def overhead_breakdown() -> dict:
    """Microseconds per call at SMALLEST: the whole gradient and its argument checks."""
    import sys

    import rnnlib
    from rnnlib import rnn, validation

    bptt_module = sys.modules["rnnlib.bptt"]
    params, X, Y = common.make_problem(SMALLEST)
    _, cache = rnnlib.forward(params, X, Y)
    p = validation.check_params(params, copy=False)
    grads = bptt_module._full_recursion(p, cache)
    res = {
        "size": dict(zip(("m", "T", "n_in", "H", "n_out"), SMALLEST)),
        "us": {
            "forward_and_bptt": per_call_us(lambda: rnnlib.bptt(params, rnnlib.forward(params, X, Y)[1])),
            "forward_checks": per_call_us(
                lambda: rnn._check_inputs(params, X, Y, None, "tanh", "softmax_ce", None)),
            "bptt_checks": (per_call_us(lambda: validation.check_params(params, copy=False))
                            + per_call_us(lambda: rnn.check_cache(cache, p))
                            + per_call_us(lambda: validation.check_finite_grads(dict(grads)))),
        },
    }
    u = res["us"]
    u["checks"] = u["forward_checks"] + u["bptt_checks"]
    u["checks_share"] = u["checks"] / u["forward_and_bptt"]
    return res


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(scale=2.0, size=N)
    out = np.empty_like(x)
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:                                 # pragma: no cover - old numpy
        features = {}
    res = {
        "machine": common.machine_info(),
        "n": N,
        "ns_per_element": {
            "tanh": per_element_ns(np.tanh, x, out),
            "exp": per_element_ns(np.exp, x, out),
            "multiply": per_element_ns(lambda a, out: np.multiply(a, a, out=out), x, out),
        },
        "simd": {k: bool(features.get(k)) for k in ("AVX2", "FMA3", "AVX512F", "AVX512_SKX")},
        "overhead": overhead_breakdown(),
    }
    r = res["ns_per_element"]
    print(f"tanh {r['tanh']:.2f} ns, exp {r['exp']:.2f} ns, multiply {r['multiply']:.2f} ns per element; "
          f"AVX512_SKX: {res['simd']['AVX512_SKX']}")
    u = res["overhead"]["us"]
    print(f"at {SMALLEST}: forward + bptt {u['forward_and_bptt']:.0f} us, of which argument checks "
          f"{u['checks']:.0f} us ({u['checks_share'] * 100:.0f}%)")
    print("wrote", common.write_json("elementwise", res))


if __name__ == "__main__":
    main()
