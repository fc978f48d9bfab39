"""Small seeded problems for every activation × loss, shared by the library tests.

(A plain module rather than conftest.py, so that it never clashes with
tests/site/conftest.py when both directories are collected.)
"""
from __future__ import annotations

import numpy as np

import rnnlib
from rnnlib.problems import random_problem
from rnnlib.rnn import preactivations

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
LOSSES = ("softmax_ce", "mse")


def make_problem(T=4, m=3, n_in=3, H=4, n_out=5, *, loss="softmax_ce", activation="tanh",
                 seed=0, with_h0=False, with_mask=False):
    """A seeded random problem: (params, X, Y, h0, loss_mask), from rnnlib.problems.random_problem.

    For ReLU the biases are shifted so that pre-activations stay away from the
    kink at 0 (a finite difference across the kink is meaningless).
    """
    prob = random_problem(T, m, n_in, H, n_out, seed=seed, param_seed=seed + 1, loss=loss,
                          h0_scale=0.5 if with_h0 else 0.0, mask=0.5 if with_mask else None)
    params = prob.params
    if activation == "relu":
        params = _away_from_kink(params, prob.X, prob.h0)
    return params, prob.X, prob.Y, prob.h0, prob.loss_mask


def _away_from_kink(params, X, h0, margin=0.05):
    """Nudge b_h until every pre-activation is at least ``margin`` from 0."""
    p = {k: v.copy() for k, v in params.items()}
    for _ in range(50):
        _, cache = rnnlib.forward(p, X, np.zeros(X.shape[:2], dtype=int), h0=h0, activation="relu")
        if not (np.abs(preactivations(p, cache)) < margin).any():
            return p
        p["b_h"] = p["b_h"] + 0.037
    raise RuntimeError("could not move ReLU pre-activations away from the kink")
