"""The LSTM's state Jacobians: one step, products, and the exact multi-step ∂C_t/∂C_k (chapter 8).

With σ'_f = f_t ⊙ (1 − f_t) (likewise σ'_i, σ'_o) and tanh'_c = 1 − C̃_t², and
h_{t−1} held fixed,

    A_t = ∂C_t/∂h_{t−1} = diag(C_{t−1} ⊙ σ'_f) W_hfᵀ + diag(C̃_t ⊙ σ'_i) W_hiᵀ
                          + diag(i_t ⊙ tanh'_c) W_hcᵀ.

* :func:`cell_state_jacobian` — the one-step ∂C_t/∂C_{t−1}, total through
  h_{t−1} = o_{t−1} ⊙ tanh(C_{t−1}) with o_{t−1} held fixed (``full=True``), or
  the forget-gate-only diag(f_t);
* :func:`state_jacobian` — the exact one-step Jacobian of the joint state
  (h_t, C_t); its products (:func:`state_jacobian_product`) give exact multi-step
  derivatives, and :func:`cell_state_derivative` reads ∂C_t/∂C_k off them;
* :func:`cell_state_jacobian_product` — the product of one-step cell Jacobians,
  which is *not* ∂C_t/∂C_k (it holds every o_{j−1} fixed);
* :func:`numerical_cell_state_derivative` — central differences, the independent check;
* :func:`cell_derivative_curves` — the three compared for a scalar LSTM.
"""
from __future__ import annotations

import numpy as np

from ..activations import phi
from ..validation import (check_bool, check_finite_result, check_inputs_X, check_real,
                          check_time_index)
from .model import _stacked, check_cache, check_params, forward

__all__ = ["cell_state_jacobian", "state_jacobian", "state_jacobian_product",
           "cell_state_derivative", "cell_state_jacobian_product",
           "numerical_cell_state_derivative", "cell_derivative_curves"]


def _gate_derivs(p, cache, t):
    """Per-step pieces for the Jacobians of step t (all (m, H))."""
    f, i, og, cc = cache.f[t - 1], cache.i[t - 1], cache.g_o[t - 1], cache.c_tilde[t - 1]
    return f, i, og, cc, f * (1.0 - f), i * (1.0 - i), og * (1.0 - og), 1.0 - cc * cc


def _dC_dhprev(p, cache, t):
    """A_t = ∂C_t/∂h_{t−1} with C_{t−1} fixed, shape (m, H, H) (the three gate paths)."""
    f, i, og, cc, sf, si, so, tcc = _gate_derivs(p, cache, t)
    c_prev = cache.c[t - 1]
    return ((c_prev * sf)[:, :, None] * p["W_hf"].T[None]
            + (cc * si)[:, :, None] * p["W_hi"].T[None]
            + (i * tcc)[:, :, None] * p["W_hc"].T[None])


def cell_state_jacobian(params, cache, t: int, *, full: bool = True) -> np.ndarray:
    """One-step cell-state Jacobian ∂C_t/∂C_{t−1}, shape (m, H, H), for t in 1..T.

    Layout ``[i, a, b] = ∂C_t[i, a] / ∂C_{t−1}[i, b]``.

    ``full=True``: the total derivative when h_{t−1} = o_{t−1} ⊙ tanh(C_{t−1}) is
    recomputed from C_{t−1} with the output gate o_{t−1} held fixed — the direct
    term diag(f_t) plus the paths into f_t, i_t and C̃_t:

        diag(f_t) + [diag(C_{t−1}⊙σ'_f) W_hfᵀ + diag(C̃_t⊙σ'_i) W_hiᵀ
                     + diag(i_t⊙tanh'_c) W_hcᵀ] diag(o_{t−1} ⊙ (1 − tanh² C_{t−1})).

    At t = 1 the state h_0 is given, not computed from C_0, so the result is
    diag(f_1).  ``full=False``: the forget-gate-only approximation diag(f_t).

    Products of these matrices are *not* the multi-step ∂C_t/∂C_k, because
    o_{t−1} itself depends on C_{t−2}; use :func:`state_jacobian` for that.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 1, cache.T)
    return _cell_state_jacobian(p, cache, t, check_bool("full", full))


def _cell_state_jacobian(p, cache, t, full):
    """:func:`cell_state_jacobian` on checked arguments."""
    m, H = cache.m, cache.H
    J = np.zeros((m, H, H))
    idx = np.arange(H)
    J[:, idx, idx] = cache.f[t - 1]
    if full and t > 1:
        tc = np.tanh(cache.c[t - 1])
        dh_dc = cache.g_o[t - 2] * (1.0 - tc * tc)           # ∂h_{t−1}/∂C_{t−1}, o_{t−1} fixed
        J += _dC_dhprev(p, cache, t) * dh_dc[:, None, :]
    return J


def state_jacobian(params, cache, t: int) -> np.ndarray:
    """Exact one-step Jacobian of the joint state s_t = (h_t, C_t), shape (m, 2H, 2H).

    Layout ``[i, a, b] = ∂s_t[i, a] / ∂s_{t−1}[i, b]`` with s = concat(h, C) along
    the last axis, so the four H×H blocks are

        [[∂h_t/∂h_{t−1}, ∂h_t/∂C_{t−1}],
         [∂C_t/∂h_{t−1}, ∂C_t/∂C_{t−1}]]
      = [[diag(tanh C_t ⊙ σ'_o) W_hoᵀ + D_t A_t,  D_t diag(f_t)],
         [A_t,                                    diag(f_t)   ]],

    with D_t = diag(o_t ⊙ (1 − tanh² C_t)) and A_t = ∂C_t/∂h_{t−1} (see the
    module docstring).  Here h_{t−1} and C_{t−1} are independent inputs, so
    products of these matrices give exact multi-step derivatives ∂s_t/∂s_k.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 1, cache.T)
    return _state_jacobian(p, cache, t)


def _state_jacobian(p, cache, t):
    """:func:`state_jacobian` on checked arguments."""
    m, H = cache.m, cache.H
    f, i, og, cc, sf, si, so, tcc = _gate_derivs(p, cache, t)
    tc = np.tanh(cache.c[t])
    D = og * (1.0 - tc * tc)                                   # ∂h_t/∂C_t (diagonal)
    A = _dC_dhprev(p, cache, t)
    J = np.zeros((m, 2 * H, 2 * H))
    idx = np.arange(H)
    J[:, :H, :H] = (tc * so)[:, :, None] * p["W_ho"].T[None] + D[:, :, None] * A
    J[:, :H, H + idx] = 0.0
    J[:, idx, H + idx] = D * f
    J[:, H:, :H] = A
    J[:, H + idx, H + idx] = f
    return J


def state_jacobian_product(params, cache, t: int, k: int) -> np.ndarray:
    """∂s_t/∂s_k = S_t S_{t−1} ⋯ S_{k+1} for 0 ≤ k ≤ t ≤ T, shape (m, 2H, 2H).

    ``S_j`` is :func:`state_jacobian` at step j; for k = t the result is the identity.
    A product that overflows raises :class:`rnnlib.validation.NumericalOverflow`
    naming the step of the factor after which it is no longer finite.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    return _product(p, cache, t, k, 2 * cache.H, _state_jacobian, "∂s_t/∂s_k")


def _product(p, cache, t, k, n, factor, quantity):
    """factor(p, cache, t) ⋯ factor(p, cache, k+1), each (m, n, n), checked for overflow."""
    P = np.broadcast_to(np.eye(n), (cache.m, n, n)).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(t, k, -1):
            P = P @ factor(p, cache, j)
            check_finite_result(quantity, P, where=f"product of the steps {t} .. {k + 1}", step=j,
                                detail=" (the product explodes)")
    return P


def cell_state_derivative(params, cache, t: int, k: int) -> np.ndarray:
    """Exact multi-step ∂C_t/∂C_k, shape (m, H, H), for 0 ≤ k ≤ t ≤ T.

    The same convention as ``cell_state_jacobian(full=True)``: a change in C_k
    also reaches h_k = o_k ⊙ tanh(C_k) with o_k held fixed (for k = 0, h_0 is
    given and does not move).  Every later gate is recomputed, so this is the
    lower-left block of the state-Jacobian product ∂s_t/∂s_k applied to
    ∂s_k/∂C_k = [diag(o_k ⊙ (1 − tanh² C_k)); I].  For t = k + 1 it equals
    :func:`cell_state_jacobian`; for t > k + 1 it generally differs from the
    product of one-step cell Jacobians.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    H = cache.H
    P = _product(p, cache, t, k, 2 * H, _state_jacobian, "∂s_t/∂s_k")
    out = P[:, H:, H:].copy()                                   # via C_k directly
    if k > 0:
        tc = np.tanh(cache.c[k])
        out += P[:, H:, :H] * (cache.g_o[k - 1] * (1.0 - tc * tc))[:, None, :]
    return out


def cell_state_jacobian_product(params, cache, t: int, k: int, *, full: bool = True) -> np.ndarray:
    """The product of one-step cell Jacobians C_t′ ⋯ C_{k+1}′, shape (m, H, H), 0 ≤ k ≤ t ≤ T.

    Each factor is :func:`cell_state_jacobian` (``full`` as there).  This is the
    "multiply the one-step derivative k times" recipe; it is *not* the exact
    ∂C_t/∂C_k (compare :func:`cell_state_derivative`) because each factor holds
    o_{j−1} fixed although o_{j−1} depends on C_{j−2}.  It exists to measure
    that gap.  For k = t the result is the identity.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    full = check_bool("full", full)
    return _product(p, cache, t, k, cache.H, lambda p, c, j: _cell_state_jacobian(p, c, j, full),
                    "∂C_t/∂C_k")


def numerical_cell_state_derivative(params, cache, t: int, k: int, *, eps: float = 1e-5) -> np.ndarray:
    """∂C_t/∂C_k by central differences, shape (m, H, H), for 0 ≤ k < t ≤ T.

    Each entry C_k[:, b] is moved by ±eps, h_k = o_k ⊙ tanh(C_k) is recomputed
    with o_k fixed (for k = 0, h_0 stays as given), and steps k+1..t are rerun
    from scratch.  This is the independent check of :func:`cell_state_jacobian`
    (t = k + 1) and :func:`cell_state_derivative`.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 1, cache.T)
    k = check_time_index("k", k, 0, t - 1)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    Wx, Wh, b = _stacked(p)
    H = cache.H

    def C_t(c_k):
        h = cache.h[0] if k == 0 else cache.g_o[k - 1] * np.tanh(c_k)
        c = c_k
        for j in range(k + 1, t + 1):
            z = cache.X[j - 1] @ Wx + h @ Wh + b
            s = phi(z[:, : 3 * H], "sigmoid")
            c = s[:, :H] * c + s[:, H:2 * H] * np.tanh(z[:, 3 * H:])
            h = s[:, 2 * H:] * np.tanh(c)
        return c

    c_k = cache.c[k]
    cols = []
    for col in range(H):
        e = np.zeros_like(c_k)
        e[:, col] = eps
        cols.append((C_t(c_k + e) - C_t(c_k - e)) / (2 * eps))
    return np.stack(cols, axis=-1)


def cell_derivative_curves(params, X, *, h0=None, c0=None) -> dict:
    """|∂C_T/∂C_k| three ways for a scalar LSTM (H = 1), k = 0..T.

    ``exact`` uses :func:`cell_state_derivative`; ``one_step`` the product of
    full one-step cell Jacobians; ``forget`` the product of forget gates ∏ f_j.
    Each is an array of shape (T + 1,), indexed by k.
    """
    p = check_params(params)
    if p["W_hf"].shape != (1, 1):
        raise ValueError(f"W_hf: expected shape (1, 1) (a scalar LSTM, H = 1), got shape "
                         f"{p['W_hf'].shape}")
    X = check_inputs_X(X, p["W_xf"].shape[0])
    T = X.shape[0]
    Y = np.zeros((T, X.shape[1], p["W_yh"].shape[1]))
    _, cache = forward(p, X, Y, h0=h0, c0=c0, loss="mse")
    ks = np.arange(T + 1)
    out = {"k": ks}
    out["exact"] = np.array([cell_state_derivative(p, cache, T, k)[0, 0, 0] for k in ks])
    out["one_step"] = np.array([cell_state_jacobian_product(p, cache, T, k)[0, 0, 0] for k in ks])
    out["forget"] = np.array([cell_state_jacobian_product(p, cache, T, k, full=False)[0, 0, 0]
                              for k in ks])
    return out
