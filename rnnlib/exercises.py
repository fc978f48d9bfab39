"""Checkers for the exercises: the reader writes a function, rnnlib says if it is right.

Each checker runs the reader's implementation and the library's reference on a
few seeded random problems and reports the normwise relative error
(:func:`rnnlib.rel_error`).  It returns True/False and prints a short verdict,
so a notebook cell can simply call it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .gradcheck import rel_error

__all__ = ["compare_implementations", "check_forward", "check_output_layer_grads",
           "check_delta_recursion", "check_recurrent_double_sum", "check_input_gradients",
           "check_cell_state_jacobian", "check_lstm_bptt", "check_chunked_tbptt", "check_gru_bptt"]


def compare_implementations(candidate: Callable, reference: Callable, cases, *,
                            tol: float = 1e-10, name: str = "your function") -> bool:
    """Call ``candidate(*args)`` and ``reference(*args)`` for every ``args`` in ``cases``.

    Outputs may be arrays or dicts of arrays (compared key by key).  Prints one
    line per failing case and a final verdict; returns True if all agree to ``tol``.
    """
    ok = True
    for i, args in enumerate(cases):
        try:
            got = candidate(*args)
        except Exception as exc:  # the reader's code may raise anything
            print(f"case {i}: {name} raised {type(exc).__name__}: {exc}")
            ok = False
            continue
        want = reference(*args)
        pairs = [(k, got.get(k) if isinstance(got, dict) else None, want[k]) for k in want] \
            if isinstance(want, dict) else [("result", got, want)]
        for key, g, w in pairs:
            g = None if g is None else np.asarray(g, dtype=np.float64)
            if g is None or g.shape != np.shape(w):
                print(f"case {i}: {key}: expected shape {np.shape(w)}, got "
                      f"{'nothing' if g is None else g.shape}")
                ok = False
            elif not rel_error(g, w) < tol:
                print(f"case {i}: {key}: relative error {rel_error(g, w):.2e} exceeds {tol:g}")
                ok = False
    print(f"{name}: {'correct' if ok else 'not yet correct'}")
    return ok


def check_forward(candidate: Callable) -> bool:
    """Chapter 1: check a hand-written forward pass.

    ``candidate(params, X, h0)`` must return the hidden states h of shape
    (T+1, m, H) with ``h[0] = h0``, for the tanh RNN of the book.  It is run on
    three seeded problems (including T = 1 and a non-zero h0) against
    :func:`rnnlib.forward`.
    """
    from .rnn import forward, init_params

    cases = []
    for seed, (T, m, n_in, H) in enumerate([(1, 1, 2, 3), (4, 2, 3, 5), (6, 3, 1, 2)]):
        rng = np.random.default_rng(seed)
        params = init_params(n_in, H, 2, seed=seed)
        X = rng.normal(size=(T, m, n_in))
        h0 = rng.normal(size=(m, H)) if seed else np.zeros((m, H))
        cases.append((params, X, h0))

    def reference(params, X, h0):
        Y = np.zeros(X.shape[:2], dtype=int)
        return forward(params, X, Y, h0=h0)[1].h

    return compare_implementations(candidate, reference, cases, name="your forward pass")


def _recurrent_cases():
    """Seeded (params, cache) problems for chapters 4 and 5: T = 1, h_0 = 0 and h_0 ≠ 0, several activations."""
    from .problems import random_problem

    specs = [(1, 1, 2, 3, "tanh", False), (4, 2, 3, 4, "tanh", True),
             (5, 3, 2, 3, "sigmoid", True), (6, 2, 1, 2, "linear", False)]
    cases = []
    for seed, (T, m, n_in, H, activation, with_h0) in enumerate(specs):
        prob = random_problem(T, m, n_in, H, 3, seed=100 + seed, activation=activation,
                              h0_scale=0.5 if with_h0 else 0.0)
        cases.append((prob.params, prob.forward()[1]))
    return cases


def check_recurrent_double_sum(candidate: Callable) -> bool:
    """Chapter 4: check a hand-written double sum for ∂L/∂W_hh.

    ``candidate(params, cache)`` must return ∂L/∂W_hh, shape (H, H), computed as
    Σ_t Σ_{k=1..t} h_{k−1}ᵀ ((∂L_t/∂h_k) ⊙ φ'(a_k)).  It is compared with
    :func:`rnnlib.bptt` on four seeded problems (T = 1, non-zero h_0, sigmoid, linear).
    """
    from .bptt import bptt

    return compare_implementations(candidate, lambda p, c: bptt(p, c)["W_hh"], _recurrent_cases(),
                                   name="your double sum for dL/dW_hh")


def check_input_gradients(candidate: Callable) -> bool:
    """Chapter 5: check ∂L/∂W_xh and ∂L/∂b_h written as single matrix products.

    ``candidate(params, cache, DA)`` receives Δ of shape (T, m, H) (``DA[k-1]`` is
    Δ_k = δ_k ⊙ φ'(a_k)) and must return ``{"W_xh": (n_in, H), "b_h": (H,)}``.
    It is compared with :func:`rnnlib.bptt` on four seeded problems.
    """
    from .bptt import bptt
    from .terms import path_errors

    cases = [(p, c, path_errors(p, c).sum(axis=0)) for p, c in _recurrent_cases()]

    def reference(p, c, DA):
        g = bptt(p, c)
        return {"W_xh": g["W_xh"], "b_h": g["b_h"]}

    return compare_implementations(candidate, reference, cases,
                                   name="your single-matmul dL/dW_xh and dL/db_h")


def _lstm_cases():
    """Seeded LSTM problems (params, cache, t): t = 1, a middle step, m > 1, H = 1."""
    from . import lstm

    cases = []
    for seed, (T, m, n_in, H, t) in enumerate([(4, 3, 2, 3, 1), (4, 3, 2, 3, 3), (5, 2, 3, 4, 5),
                                                 (3, 1, 1, 1, 2)]):
        rng = np.random.default_rng(100 + seed)
        p = lstm.init_params(n_in, H, 2, seed=100 + seed)
        for key in p:
            if key.startswith("b_"):
                p[key] = rng.normal(scale=0.5, size=p[key].shape)
        X = rng.normal(size=(T, m, n_in))
        _, cache = lstm.forward(p, X, rng.integers(0, 2, size=(T, m)),
                                h0=rng.normal(size=(m, H)), c0=rng.normal(size=(m, H)))
        cases.append((p, cache, t))
    return cases


def check_cell_state_jacobian(candidate: Callable) -> bool:
    """Chapter 8: check a hand-written full one-step cell Jacobian ∂C_t/∂C_{t−1}.

    ``candidate(params, cache, t)`` receives an LSTM parameter dict, the
    :class:`rnnlib.lstm.LSTMCache` and a step t, and must return an array of
    shape (m, H, H) laid out as [i, a, b] = ∂C_t[i, a]/∂C_{t−1}[i, b], with
    h_{t−1} = o_{t−1} ⊙ tanh(C_{t−1}) and o_{t−1} held fixed (diag(f_1) at t = 1).
    It is compared with :func:`rnnlib.lstm.cell_state_jacobian` on four seeded
    problems (t = 1, m > 1, H = 1).
    """
    from . import lstm

    return compare_implementations(candidate, lstm.cell_state_jacobian, _lstm_cases(),
                                   name="your dC_t/dC_{t-1}")


def _chunk_cases():
    """Seeded vanilla problems (params, X, Y, chunk) with mse targets at every step."""
    from .problems import random_problem

    cases = []
    for seed, (T, m, n_in, H, K) in enumerate([(7, 3, 2, 4, 3), (6, 2, 3, 3, 1), (5, 2, 2, 3, 5),
                                                 (9, 1, 1, 2, 4)]):
        prob = random_problem(T, m, n_in, H, 2, seed=300 + seed, loss="mse")
        cases.append((prob.params, prob.X, prob.Y, K))
    return cases


def check_chunked_tbptt(candidate: Callable) -> bool:
    """Chapter 9: check a hand-written chunked truncated BPTT.

    ``candidate(params, X, Y, chunk)`` receives a vanilla tanh RNN, inputs X
    (T, m, n_in), mse targets Y (T, m, n_out) and the chunk length K, and must
    return the gradient dict (keys W_xh, W_hh, b_h, W_yh, b_y) obtained by running
    the chunks in order, carrying the hidden state forward, and backpropagating
    each chunk on its own (``loss="mse"``, every step counted).  It is compared
    with :func:`rnnlib.training.chunked_gradients` on four seeded problems
    (K = 1, K = T, a last chunk shorter than K).
    """
    from .training import chunked_gradients, vanilla_model

    def reference(p, X, Y, K):
        return chunked_gradients(vanilla_model(), p, X, Y, chunk=K, loss="mse")[1]

    return compare_implementations(candidate, reference, _chunk_cases(),
                                   name="your chunked truncated BPTT")


def _signal_cases():
    """Seeded (params, cache) problems for chapters 2 and 3: both losses, a loss
    mask, T = 1, a non-zero h_0, several activations, and a non-zero b_y."""
    from .problems import random_problem

    specs = [(1, 1, 2, 3, 2, "tanh", "softmax_ce", False, False),
             (4, 3, 3, 4, 5, "tanh", "softmax_ce", True, True),
             (5, 2, 2, 3, 2, "sigmoid", "mse", True, False),
             (3, 2, 1, 2, 3, "linear", "mse", False, True)]
    cases = []
    for seed, (T, m, n_in, H, n_out, activation, loss, with_h0, with_mask) in enumerate(specs):
        prob = random_problem(T, m, n_in, H, n_out, seed=200 + seed, activation=activation, loss=loss,
                              h0_scale=0.5 if with_h0 else 0.0, mask=0.6 if with_mask else None)
        prob.params["b_y"] = np.random.default_rng(250 + seed).normal(scale=0.3, size=n_out)
        cases.append((prob.params, prob.forward()[1]))
    return cases


def check_output_layer_grads(candidate: Callable) -> bool:
    """Chapter 2: check ∂L/∂W_yh and ∂L/∂b_y.

    ``candidate(params, cache)`` must return ``{"W_yh": (H, n_out), "b_y": (n_out,)}``
    built from ``cache.h`` and ``cache.dO`` (∂L/∂o_t, mask and 1/m included).  It is
    compared with :func:`rnnlib.bptt` on four seeded problems (both losses, with
    and without a loss mask, T = 1).
    """
    from .bptt import bptt

    def reference(p, c):
        g = bptt(p, c)
        return {"W_yh": g["W_yh"], "b_y": g["b_y"]}

    return compare_implementations(candidate, reference, _signal_cases(),
                                   name="your dL/dW_yh and dL/db_y")


def check_delta_recursion(candidate: Callable) -> bool:
    """Chapter 3: check the backward recursion for δ_t = ∂L/∂h_t.

    ``candidate(params, cache)`` must return δ for all steps, shape (T, m, H),
    with ``delta[t-1]`` = δ_t.  It is compared with
    :func:`rnnlib.signals.error_signals` on four seeded problems.
    """
    from .signals import error_signals

    return compare_implementations(candidate, error_signals, _signal_cases(),
                                   name="your delta recursion")


def _lstm_bptt_cases():
    """Seeded LSTM problems (params, cache) for the backward-pass exercise of chapter 8.

    T = 1, m > 1, H = 1, both losses, with and without h_0 / C_0 (either or both)
    and with and without a loss_mask; every bias non-zero so that no term vanishes.
    """
    from . import lstm

    cases = []
    #        T  m  n_in H  n_out loss          h0     c0     mask
    specs = [(1, 3, 2, 3, 2, "softmax_ce", True, True, False),
             (4, 2, 3, 4, 3, "softmax_ce", False, False, False),
             (5, 3, 2, 2, 2, "mse", True, True, True),
             (3, 1, 1, 1, 1, "mse", False, False, True),
             (6, 2, 2, 3, 2, "softmax_ce", True, False, True),
             (2, 4, 3, 2, 2, "mse", False, True, False)]
    for seed, (T, m, n_in, H, n_out, loss, with_h0, with_c0, with_mask) in enumerate(specs):
        rng = np.random.default_rng(400 + seed)
        p = lstm.init_params(n_in, H, n_out, seed=400 + seed)
        for key in p:
            if key.startswith("b_"):
                p[key] = rng.normal(scale=0.5, size=p[key].shape)
        X = rng.normal(size=(T, m, n_in))
        Y = (rng.integers(0, n_out, size=(T, m)) if loss == "softmax_ce"
             else rng.normal(size=(T, m, n_out)))
        h0 = rng.normal(scale=0.5, size=(m, H)) if with_h0 else None
        c0 = rng.normal(scale=0.5, size=(m, H)) if with_c0 else None
        mask = None
        if with_mask:
            mask = (rng.random((T, m)) < 0.5).astype(float)
            mask[-1] = 1.0
        _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0, loss=loss, loss_mask=mask)
        cases.append((p, cache))
    return cases


def check_lstm_bptt(candidate: Callable) -> bool:
    """Chapter 8: check a hand-written LSTM backward pass.

    ``candidate(params, cache)`` receives an LSTM parameter dict and the
    :class:`rnnlib.lstm.LSTMCache` of :func:`rnnlib.lstm.forward`, and must return
    the gradient dict of :func:`rnnlib.lstm.bptt`: every key of
    :data:`rnnlib.lstm.PARAM_KEYS` with the parameter's shape, plus ``"h0"`` and
    ``"c0"`` of shape (m, H) (returned even when h_0, C_0 were not given).  The
    cache fields it needs are ``X`` (T, m, n_in), ``h`` and ``c`` (T+1, m, H),
    the gates ``f``, ``i``, ``g_o`` and the candidate ``c_tilde`` (T, m, H; index
    t − 1 is step t) and ``dO`` (T, m, n_out), ∂L/∂s_t with the mask and 1/m
    included.  It is compared with :func:`rnnlib.lstm.bptt` on six seeded
    problems (T = 1, m > 1, H = 1, both losses, with and without h_0, C_0 and a
    loss_mask) to a normwise relative error of 1e-10.
    """
    from . import lstm

    return compare_implementations(candidate, lstm.bptt, _lstm_bptt_cases(),
                                   name="your LSTM backward pass")


def _gru_bptt_cases():
    """Seeded GRU problems (params, cache) for the backward-pass exercise of chapter 10.

    The data (X, Y, h_0, loss_mask) come from :func:`rnnlib.problems.random_problem`;
    the GRU from :func:`rnnlib.gru.init_params` with every bias drawn non-zero, so
    that no term vanishes.  T = 1, m = 1 and m > 1, H = 1, both losses, with and
    without h_0 and a loss_mask.
    """
    from . import gru
    from .problems import random_problem

    def case(seed, T, m, n_in, H, n_out, loss, with_h0, with_mask):
        prob = random_problem(T, m, n_in, H, n_out, seed=seed, loss=loss,
                              h0_scale=0.5 if with_h0 else 0.0, mask=0.5 if with_mask else None)
        rng = np.random.default_rng(seed + 50)
        p = {key: rng.normal(scale=0.5, size=value.shape) if key.startswith("b_") else value
             for key, value in gru.init_params(n_in, H, n_out, seed=seed).items()}
        return p, gru.forward(p, prob.X, prob.Y, h0=prob.h0, loss=loss, loss_mask=prob.loss_mask)[1]

    #     T  m  n_in H  n_out loss          h0     mask
    return [case(500 + n, *spec) for n, spec in enumerate([
        (1, 3, 2, 3, 2, "softmax_ce", True, False),
        (4, 2, 3, 4, 3, "softmax_ce", False, False),
        (5, 3, 2, 2, 2, "mse", True, True),
        (3, 1, 1, 1, 1, "mse", False, True),
        (6, 2, 2, 3, 2, "softmax_ce", True, True),
        (2, 4, 3, 2, 2, "mse", False, False)])]


def check_gru_bptt(candidate: Callable) -> bool:
    """Chapter 10: check a hand-written GRU backward pass.

    ``candidate(params, cache)`` receives a GRU parameter dict and the
    :class:`rnnlib.gru.GRUCache` of :func:`rnnlib.gru.forward`, and must return
    the gradient dict of :func:`rnnlib.gru.bptt`: every key of
    :data:`rnnlib.gru.PARAM_KEYS` with the parameter's shape, plus ``"h0"`` of
    shape (m, H) (returned even when h_0 was not given).  The cache fields it
    needs are ``X`` (T, m, n_in), ``h`` (T+1, m, H), the gates ``z``, ``r`` and the
    candidate ``h_tilde`` (T, m, H; index t − 1 is step t) and ``dO`` (T, m, n_out),
    ∂L/∂o_t with the mask and 1/m included.  It is compared with
    :func:`rnnlib.gru.bptt` on six seeded problems (T = 1, m = 1 and m > 1, H = 1,
    both losses, with and without h_0 and a loss_mask) to a normwise relative
    error of 1e-10.
    """
    from . import gru

    return compare_implementations(candidate, gru.bptt, _gru_bptt_cases(),
                                   name="your GRU backward pass")
