"""Shared settings of the benchmarks: thread counts, problem sizes, data, machine.

Import this module *before* numpy, torch or jax: it fixes the thread count of
every BLAS and OpenMP runtime through environment variables, so that all
implementations run with the same number of threads.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

#: Threads for every library (numpy's OpenBLAS, torch's OpenMP/MKL, XLA's Eigen).
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def thread_env(threads: int = THREADS) -> dict:
    """Environment variables that pin every runtime to ``threads`` threads."""
    env = {var: str(threads) for var in THREAD_VARS}
    # XLA reads a value that does not start with "--" as a file name: always lead with a flag.
    eigen = "false" if threads == 1 else "true"
    env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={eigen} intra_op_parallelism_threads={threads}"
    env["JAX_PLATFORMS"] = "cpu"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


os.environ.update(thread_env())

#: Set on this workplace for old OpenBLAS builds that misdetect the CPU; they force
#: NumPy's current OpenBLAS onto an older, slower kernel (Haswell instead of the
#: CPU's own).  A reader's machine does not set them, so the benchmarks unset both
#: (in their own processes only) and record which kernel OpenBLAS then runs.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OPENBLAS_UNSET = {var: os.environ.pop(var) for var in OPENBLAS_OVERRIDES if var in os.environ}

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"

#: (m, T, n_in, H, n_out) of the peer comparison (issue 6, item 1).
SIZES = [
    (1, 25, 65, 100, 65),       # the classic min-char-rnn
    (32, 100, 64, 128, 64),
    (64, 200, 128, 256, 128),
    (8, 1000, 16, 64, 16),
]

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def make_problem(size, seed: int = 0):
    """The same model and data for every implementation: (params, X, Y), float64."""
    import numpy as np
    import rnnlib

    m, T, n_in, H, n_out = size
    params = rnnlib.init_params(n_in, H, n_out, seed=seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(T, m, n_in))
    Y = rng.integers(0, n_out, size=(T, m))
    return params, X, Y


def flops_forward_backward(size) -> float:
    """Floating-point operations of the matmuls in forward + BPTT (2 per multiply-add).

    forward: X W_xh, h W_hh, h W_yh; backward: dO W_yhᵀ, Δ W_hhᵀ, Xᵀ Δ, hᵀ Δ, hᵀ dO.
    """
    m, T, n_in, H, n_out = size
    return 2.0 * T * m * (2 * n_in * H + 3 * H * H + 3 * H * n_out)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """Machine, load and software description, stored with every result file."""
    import numpy as np

    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "load_average_1_5_15": list(os.getloadavg()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "threads": THREADS,
        "thread_env": {k: v for k, v in thread_env().items()},
    }
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["numpy_blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # pragma: no cover - old numpy
        info["numpy_blas"] = "unknown"
    info["openblas_overrides_unset"] = OPENBLAS_UNSET
    try:
        import threadpoolctl

        info["blas_runtime"] = [{k: v for k, v in pool.items() if k in
                                 ("internal_api", "version", "architecture", "num_threads")}
                                for pool in threadpoolctl.threadpool_info()]
    except ImportError:
        info["blas_runtime"] = "threadpoolctl not installed"
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0]
        info["memory"] = mem.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT.parent,
            capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        info["git_commit"] = "unknown"
    return info


def threads_suffix(threads: int = THREADS) -> str:
    """The result file's suffix for a thread count: "" for 1 thread, "_2threads" for 2."""
    return "" if threads == 1 else f"_{threads}threads"


def write_json(name: str, data: dict) -> Path:
    """Write ``results/<name>.json`` atomically (via a .tmp file)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def summary(times) -> dict:
    """Median, min, max (seconds) and the number of repeats."""
    import statistics

    times = sorted(times)
    return {"median": statistics.median(times), "min": times[0], "max": times[-1],
            "n": len(times)}
