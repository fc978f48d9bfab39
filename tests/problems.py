"""Small seeded problems for every activation × loss, shared by the library tests.

(A plain module rather than conftest.py, so that it never clashes with
tests/site/conftest.py when both directories are collected.)
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import rnnlib
from rnnlib import jacobians, lstm, rnn, signals, terms, truncation
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


def expect(name, fn, *args, anywhere=False, **kwargs):
    """fn(...) raises a ValueError whose message names ``name`` and says expected/got.

    The message must start with ``name`` (the contract's "name: expected …, got …"),
    or, with ``anywhere=True``, contain it as a word.
    """
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    pattern = rf"\b{re.escape(name)}\b" if anywhere else rf"{re.escape(name)}\b"
    assert (re.search if anywhere else re.match)(pattern, msg), msg
    assert "expected" in msg and "got" in msg, msg
    return msg


def vanilla_cache_calls(T: int, m: int, H: int) -> dict:
    """Every public function of the vanilla RNN that takes a cache, as ``call(params, cache)``,
    for a cache of T >= 3 steps, m examples and H hidden units (tests/test_contract.py
    checks that the list is complete)."""
    hk = np.zeros((m, H))
    return {
        "rnn.check_cache": lambda p, c: rnn.check_cache(c, p),
        "rnn.preactivations": rnn.preactivations,
        "bptt.bptt": rnnlib.bptt,
        "bptt.bptt(truncate)": lambda p, c: rnnlib.bptt(p, c, truncate=1),
        "bptt.bptt_sum_of_products": rnnlib.bptt_sum_of_products,
        "rtrl.rtrl": rnnlib.rtrl,
        "jacobians.jacobian": lambda p, c: rnnlib.jacobian(p, c, 1),
        "jacobians.one_step_jacobians": jacobians.one_step_jacobians,
        "jacobians.jacobian_product": lambda p, c: rnnlib.jacobian_product(p, c, 2, 0),
        "jacobians.jacobian_product_singular_values": lambda p, c: jacobians.jacobian_product_singular_values(p, c, 2),
        "jacobians.jacobian_norms_from": jacobians.jacobian_norms_from,
        "jacobians.run_from": lambda p, c: jacobians.run_from(p, c, 0, hk, 2),
        "jacobians.numerical_jacobian_product": lambda p, c: jacobians.numerical_jacobian_product(p, c, 2, 1),
        "signals.output_errors": signals.output_errors,
        "signals.error_signals": signals.error_signals,
        "signals.backflow": signals.backflow,
        "signals.loss_errors": lambda p, c: signals.loss_errors(p, c, 2),
        "signals.gradient_flow": lambda p, c: signals.gradient_flow(p, c, 2),
        "signals.output_layer_contributions": signals.output_layer_contributions,
        "terms.term_matrix": lambda p, c: terms.term_matrix(p, c, "W_hh", 2, 1),
        "terms.path_errors": terms.path_errors,
        "terms.term_tensor": terms.term_tensor,
        "terms.term_contributions": terms.term_contributions,
        "terms.step_contributions": terms.step_contributions,
        "truncation.masked_gradient": lambda p, c: truncation.masked_gradient(p, c, np.ones((T, T), bool)),
        "truncation.truncation_cosine": lambda p, c: truncation.truncation_cosine(p, c, [1]),
        "truncation.window_cosines": lambda p, c: truncation.window_cosines(p, c, 1, 2),
    }


def lstm_cache_calls() -> dict:
    """Every public function of rnnlib.lstm that takes a cache, as ``call(params, cache)``
    (T >= 3)."""
    return {
        "lstm.model.check_cache": lambda p, c: lstm.check_cache(c, p),
        "lstm.model.bptt": lstm.bptt,
        "lstm.model.error_signals": lstm.error_signals,
        "lstm.jacobians.cell_state_jacobian": lambda p, c: lstm.cell_state_jacobian(p, c, 2),
        "lstm.jacobians.state_jacobian": lambda p, c: lstm.state_jacobian(p, c, 2),
        "lstm.jacobians.state_jacobian_product": lambda p, c: lstm.state_jacobian_product(p, c, 2, 0),
        "lstm.jacobians.cell_state_derivative": lambda p, c: lstm.cell_state_derivative(p, c, 2, 0),
        "lstm.jacobians.cell_state_jacobian_product": lambda p, c: lstm.cell_state_jacobian_product(p, c, 2, 0),
        "lstm.jacobians.numerical_cell_state_derivative":
            lambda p, c: lstm.numerical_cell_state_derivative(p, c, 2, 1),
    }
