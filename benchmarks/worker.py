"""One implementation of forward + gradient, driven over stdin/stdout by peers.py.

Run as ``python worker.py IMPL`` with IMPL in rnnlib, torch, jax, matmul.  Each
implementation lives in its own process, so that the thread pools of OpenBLAS,
PyTorch and XLA never compete for the cores.  Commands (one JSON object per
line on stdin; each answer is one line on stdout starting with ``@@``):

    {"op": "setup", "size": [m, T, n_in, H, n_out], "grads": "/path.npz"}
        builds the problem, computes the gradients once, saves them to the
        .npz file (for the agreement check) and reports the setup/compile time;
    {"op": "time", "n": k}   runs forward + gradient k times, reports the seconds;
    {"op": "quit"}.

The peers are written for speed: the input projection, the output layer and
the loss are applied to all steps at once, and the recurrence iterates with
``unbind(0)`` (torch) or ``lax.scan`` (jax).  The model is the book's:
tanh, softmax cross-entropy summed over time and averaged over the batch.
"""
from __future__ import annotations

import json
import sys
import time

import common  # noqa: F401  (sets the thread environment first)
import numpy as np

KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")


def setup_rnnlib(size):
    import rnnlib

    params, X, Y = common.make_problem(size)

    def run():
        _, cache = rnnlib.forward(params, X, Y)
        return rnnlib.bptt(params, cache)

    t0 = time.perf_counter()
    grads = run()
    return run, grads, time.perf_counter() - t0


def setup_torch(size):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(common.THREADS)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set by an earlier size
        pass
    m, T, n_in, H, n_out = size
    params, X, Y = common.make_problem(size)
    W = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    W["h0"] = torch.zeros((m, H), dtype=torch.float64, requires_grad=True)
    X2 = torch.tensor(X.reshape(T * m, n_in))
    labels = torch.tensor(Y.reshape(T * m), dtype=torch.long)
    leaves = [W[k] for k in KEYS]

    def run():
        for leaf in leaves:
            leaf.grad = None
        A = torch.addmm(W["b_h"], X2, W["W_xh"]).reshape(T, m, H)   # all X_t W_xh + b_h
        h, hs = W["h0"], []
        for a in A.unbind(0):
            h = torch.tanh(torch.addmm(a, h, W["W_hh"]))
            hs.append(h)
        o = torch.addmm(W["b_y"], torch.stack(hs).reshape(T * m, H), W["W_yh"])
        loss = F.cross_entropy(o, labels, reduction="sum") / m
        loss.backward()
        return {k: W[k].grad for k in KEYS}

    t0 = time.perf_counter()
    grads = {k: v.numpy().copy() for k, v in run().items()}
    return run, grads, time.perf_counter() - t0


def setup_jax(size):
    import jax

    jax.config.update("jax_enable_x64", True)       # otherwise everything is float32
    import jax.numpy as jnp
    from jax import lax

    m, T, n_in, H, n_out = size
    params, X, Y = common.make_problem(size)

    def loss_fn(p, h0, X, Y):
        A = X @ p["W_xh"] + p["b_h"]                   # all steps at once

        def step(h, a):
            h = jnp.tanh(a + h @ p["W_hh"])
            return h, h

        _, hs = lax.scan(step, h0, A)
        o = hs @ p["W_yh"] + p["b_y"]
        logp = jax.nn.log_softmax(o, axis=-1)
        return -jnp.take_along_axis(logp, Y[..., None], axis=-1).sum() / m

    grad_fn = jax.jit(jax.value_and_grad(loss_fn, argnums=(0, 1)))
    args = ({k: jnp.asarray(v) for k, v in params.items()}, jnp.zeros((m, H)),
            jnp.asarray(X), jnp.asarray(Y))
    assert args[0]["W_hh"].dtype == jnp.float64
    t0 = time.perf_counter()
    compiled = grad_fn.lower(*args).compile()
    compile_s = time.perf_counter() - t0

    def run():
        out = compiled(*args)
        jax.block_until_ready(out)
        return out

    _, (gp, gh0) = run()
    grads = {k: np.asarray(gp[k]) for k in params}
    grads["h0"] = np.asarray(gh0)
    return run, grads, compile_s


def setup_matmul(size):
    """The machine's float64 matmul throughput: a square product of order 1024."""
    n = 1024
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    c = np.empty((n, n))

    def run():
        np.matmul(a, b, out=c)

    run()
    return run, {"flops": np.array(2.0 * n**3)}, 0.0


SETUPS = {"rnnlib": setup_rnnlib, "torch": setup_torch, "jax": setup_jax, "matmul": setup_matmul}


def reply(obj):
    sys.stdout.write("@@" + json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    impl = sys.argv[1]
    run = None
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "setup":
            run, grads, setup_s = SETUPS[impl](tuple(cmd["size"]))
            np.savez(cmd["grads"], **{k: np.asarray(v, dtype=np.float64) for k, v in grads.items()})
            reply({"setup_s": setup_s})
        elif cmd["op"] == "time":
            times = []
            for _ in range(cmd["n"]):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
            reply({"times": times})
        elif cmd["op"] == "quit":
            break


if __name__ == "__main__":
    main()
