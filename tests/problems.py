"""Small seeded problems for every activation × loss, shared by the library tests.

(A plain module rather than conftest.py, so that it never clashes with
tests/site/conftest.py when both directories are collected.)
"""
from __future__ import annotations

import numpy as np

import rnnlib

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
LOSSES = ("softmax_ce", "mse")


def make_problem(T=4, m=3, n_in=3, H=4, n_out=5, *, loss="softmax_ce", activation="tanh",
                 seed=0, with_h0=False, with_mask=False):
    """A seeded random problem: (params, X, Y, h0, loss_mask).

    For ReLU the biases are shifted so that pre-activations stay away from the
    kink at 0 (a finite difference across the kink is meaningless).
    """
    rng = np.random.default_rng(seed)
    params = rnnlib.init_params(n_in, H, n_out, seed=seed + 1)
    X = rng.normal(size=(T, m, n_in))
    if loss == "softmax_ce":
        Y = rng.integers(0, n_out, size=(T, m))
    else:
        Y = rng.normal(size=(T, m, n_out))
    h0 = rng.normal(scale=0.5, size=(m, H)) if with_h0 else None
    mask = None
    if with_mask:
        mask = (rng.random((T, m)) < 0.5).astype(float)
        mask[-1] = 1.0                       # at least the last step counts
    if activation == "relu":
        params = _away_from_kink(params, X, h0)
    return params, X, Y, h0, mask


def _away_from_kink(params, X, h0, margin=0.05):
    """Nudge b_h until every pre-activation is at least ``margin`` from 0."""
    p = {k: v.copy() for k, v in params.items()}
    for _ in range(50):
        _, cache = rnnlib.forward(p, X, np.zeros(X.shape[:2], dtype=int), h0=h0, activation="relu")
        a = (cache.X @ p["W_xh"]) + (cache.h[:-1] @ p["W_hh"]) + p["b_h"]
        close = np.abs(a) < margin
        if not close.any():
            return p
        p["b_h"] = p["b_h"] + 0.037
    raise RuntimeError("could not move ReLU pre-activations away from the kink")
