"""Item 1: rnnlib's forward + bptt against PyTorch autograd and JAX, in one run.

Every implementation runs in its own worker process (worker.py) with the same
thread settings.  For each size: all workers build the same model and data and
save their gradients, which must agree with rnnlib's before anything is timed;
then the workers take turns, A B C A B C …, each timing a few repeats per turn.
JAX's compile time is reported separately and never enters the medians.
At the largest size a fourth worker times a plain 1024 × 1024 float64 matmul
in the same rounds, giving the machine's matmul throughput under the same load.

Writes results/peers.json (one thread per implementation, the default) or
results/peers_2threads.json (BENCH_THREADS=2); `make bench` runs both.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
import numpy as np

IMPLS = ("rnnlib", "torch", "jax")
#: (repeats per turn, turns) by size; BENCH_QUICK=1 divides the turns.
PLAN = {
    (1, 25, 65, 100, 65): (40, 12),
    (32, 100, 64, 128, 64): (6, 12),
    (64, 200, 128, 256, 128): (2, 12),
    (8, 1000, 16, 64, 16): (3, 12),
}
THROUGHPUT_SIZE = (64, 200, 128, 256, 128)
AGREE_TOL = 1e-10


class Worker:
    def __init__(self, impl: str):
        self.impl = impl
        self.proc = subprocess.Popen(
            [sys.executable, str(common.ROOT / "worker.py"), impl],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=common.ROOT,
            env={**os.environ, **common.thread_env()},
        )

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.impl} died (exit code {self.proc.wait()})")
            if line.startswith("@@"):
                return json.loads(line[2:])

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
        finally:
            self.proc.wait(timeout=60)


def rel_error(a, b) -> float:
    return float(np.abs(a - b).max() / max(1e-12, np.abs(a).max(), np.abs(b).max()))


def bench_size(size, workers, tmp: Path) -> dict:
    reps, turns = PLAN[size]
    if common.QUICK:
        turns = max(2, turns // 4)
    names = list(IMPLS) + (["matmul"] if size == THROUGHPUT_SIZE else [])
    setup, grads = {}, {}
    for name in names:
        path = tmp / f"{name}.npz"
        setup[name] = workers[name].ask(op="setup", size=list(size), grads=str(path))["setup_s"]
        grads[name] = dict(np.load(path))
    agreement = {}
    for name in IMPLS[1:]:
        errs = {k: rel_error(grads["rnnlib"][k], grads[name][k]) for k in grads["rnnlib"]}
        agreement[name] = {"max_rel_error": max(errs.values()), "per_key": errs,
                           "agree": max(errs.values()) < AGREE_TOL}
        if not agreement[name]["agree"]:
            raise SystemExit(f"{name} disagrees with rnnlib at {size}: {errs}")
    for name in names:                                   # warm-up turn, not recorded
        workers[name].ask(op="time", n=max(1, reps // 2))
    times = {name: [] for name in names}
    for _ in range(turns):
        for name in names:                               # A B C A B C …
            times[name] += workers[name].ask(op="time", n=reps)["times"]
    out = {"size": dict(zip(("m", "T", "n_in", "H", "n_out"), size)),
           "repeats_per_turn": reps, "turns": turns, "agreement": agreement,
           "time_s": {name: common.summary(times[name]) for name in IMPLS},
           "jax_compile_s": setup["jax"],
           "ratio": {f"rnnlib/{name}": times_ratio(times["rnnlib"], times[name])
                     for name in IMPLS[1:]}}
    flops = common.flops_forward_backward(size)
    out["rnnlib_gflops"] = flops / out["time_s"]["rnnlib"]["median"] / 1e9
    if "matmul" in names:
        mm = common.summary(times["matmul"])
        peak = float(grads["matmul"]["flops"]) / mm["median"] / 1e9
        out["matmul_gflops"] = peak
        out["matmul_time_s"] = mm
        out["fraction_of_matmul_throughput"] = out["rnnlib_gflops"] / peak
    return out


def times_ratio(a, b) -> float:
    return float(np.median(a) / np.median(b))


def main():
    results = {"machine": common.machine_info(), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
               "sizes": []}
    workers = {name: Worker(name) for name in (*IMPLS, "matmul")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in common.SIZES:
                r = bench_size(size, workers, Path(tmp))
                print(f"{size}: " + ", ".join(f"{k} {v:.3g}" for k, v in r["ratio"].items())
                      + f"  (rnnlib {r['time_s']['rnnlib']['median'] * 1e3:.3g} ms)", flush=True)
                results["sizes"].append(r)
    finally:
        for w in workers.values():
            w.close()
    import torch  # noqa: F401  (versions only; the timings ran in the workers)
    import jax
    results["machine"]["torch"] = torch.__version__
    results["machine"]["jax"] = jax.__version__
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    results["float32"] = "not measured: rnnlib computes in float64 only"
    print("wrote", common.write_json("peers" + common.threads_suffix(), results))


if __name__ == "__main__":
    main()
