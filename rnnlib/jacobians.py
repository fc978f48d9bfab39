"""Hidden-to-hidden Jacobians, their products, and the norms that bound them (chapters 3, 6, 7).

In the row convention a_t = X_t W_xh + h_{t−1} W_hh + b_h, so for one example

    ∂h_t[a] / ∂h_{t−1}[b] = φ'(a_t)[a] · W_hh[b, a],

that is J_t = diag(φ'(a_t)) W_hhᵀ — note the transpose (Arat (2019) writes it
without).  Arrays are laid out per example as ``J[i, a, b] = ∂h_t[i, a] / ∂h_{t−1}[i, b]``,
and products run in descending order, ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}.

* one step and products — :func:`jacobian`, :func:`one_step_jacobians`,
  :func:`jacobian_product`, :func:`jacobian_product_singular_values`,
  :func:`jacobian_norms_from`;
* an independent check — :func:`run_from` (the network restarted from a given
  h_k) and :func:`numerical_jacobian_product` (central differences of it);
* norms and the bound — :func:`spectral_norm` (γ_W = ‖W_hh‖₂),
  :func:`spectral_radius`, :func:`jacobian_bound` ((γ_W γ_h)^(t−k)),
  :func:`power_norms` (‖W^k‖₂).

A product of many large Jacobians can overflow (that is the exploding-gradient
problem, made literal): the products raise
:class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``) naming
the step of the factor at which the product stopped being finite, instead of
returning inf or NaN.
"""
from __future__ import annotations

import numpy as np

from .activations import gamma_h, phi_prime_from_h
from .rnn import check_cache, forward
from .validation import (
    as_float_array,
    check_finite_result,
    check_int,
    check_params,
    check_real,
    check_shape,
    check_square,
    check_time_index,
)

__all__ = [
    "jacobian", "one_step_jacobians", "jacobian_product", "jacobian_product_singular_values", "jacobian_norms_from",
    "run_from", "numerical_jacobian_product",
    "spectral_norm", "spectral_radius", "jacobian_bound", "power_norms",
]


def jacobian(params, cache, t: int) -> np.ndarray:
    """One-step Jacobian J_t = ∂h_t/∂h_{t−1}, shape (m, H, H), for t in 1..T."""
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 1, cache.T)
    return _jacobian(p, cache, t)


def _jacobian(p, cache, t):
    """:func:`jacobian` on checked arguments."""
    dphi = phi_prime_from_h(cache.h[t], cache.activation)          # (m, H)
    return dphi[:, :, None] * p["W_hh"].T[None, :, :]


def one_step_jacobians(params, cache) -> np.ndarray:
    """Every one-step Jacobian at once: J_t = ∂h_t/∂h_{t−1} at index t − 1, shape (T, m, H, H).

    The same layout as :func:`jacobian`, [t−1, i, a, b] = ∂h_t[i, a] / ∂h_{t−1}[i, b].
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)         # (T, m, H)
    return dphi[..., None] * p["W_hh"].T


def _check_product(P, t, k, j):
    """Raise NumericalOverflow if the partial product J_t ⋯ J_j stopped being finite."""
    check_finite_result("∂h_t/∂h_k", P, where=f"Jacobian product J_{t} ⋯ J_{k + 1}", step=j,
                        detail=f" after the factor J_{j} (the product explodes)")


def jacobian_product(params, cache, t: int, k: int) -> np.ndarray:
    """∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}, shape (m, H, H), for 0 ≤ k ≤ t ≤ T.

    The product has t − k factors; for k = t it is the identity.  If it
    overflows, :class:`rnnlib.validation.NumericalOverflow` names the step j of
    the factor J_j after which it is no longer finite.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    m, H = cache.m, p["W_hh"].shape[0]
    P = np.broadcast_to(np.eye(H), (m, H, H)).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(t, k, -1):          # multiply on the right: P ← P · J_j
            P = P @ _jacobian(p, cache, j)
            _check_product(P, t, k, j)
    return P


def jacobian_product_singular_values(params, cache, t: int, *, example: int = 0) -> np.ndarray:
    """Singular values of ∂h_t/∂h_k for k = 0..t, for one example; shape (t + 1, H).

    Row k holds the singular values of J_t ⋯ J_{k+1} in decreasing order, so
    column 0 is ‖∂h_t/∂h_k‖₂.  Row t is all ones (the identity).  The products
    are accumulated from k = t downwards, one matrix product per step.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    i = check_time_index("example", example, 0, cache.m - 1)
    W_T = p["W_hh"].T
    H = W_T.shape[0]
    out = np.empty((t + 1, H))
    P = np.eye(H)
    out[t] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(t, 0, -1):
            dphi = phi_prime_from_h(cache.h[j, i], cache.activation)
            P = P @ (dphi[:, None] * W_T)           # P ← P · J_j, now ∂h_t/∂h_{j−1}
            _check_product(P, t, 0, j)
            out[j - 1] = np.linalg.svd(P, compute_uv=False)
    return out


def jacobian_norms_from(params, cache, k: int = 0, *, example: int = 0) -> np.ndarray:
    """‖∂h_t/∂h_k‖₂ for t = k..T, for one example; shape (T − k + 1,), entry 0 is 1.

    The product grows at the left, ∂h_t/∂h_k = J_t · ∂h_{t−1}/∂h_k, one matrix
    product per step (chapter 7 compares initialisations with it).
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    k = check_time_index("k", k, 0, cache.T)
    i = check_time_index("example", example, 0, cache.m - 1)
    W_T = p["W_hh"].T
    P = np.eye(W_T.shape[0])
    out = np.empty(cache.T - k + 1)
    out[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(k + 1, cache.T + 1):
            P = (phi_prime_from_h(cache.h[t, i], cache.activation)[:, None] * W_T) @ P
            _check_product(P, t, k, t)
            out[t - k] = np.linalg.norm(P, 2)
    return out


def run_from(params, cache, k: int, h_k, t: int) -> np.ndarray:
    """h_t of the network restarted at step k from the state ``h_k``, shape (m, H).

    Uses the inputs X_{k+1}, …, X_t and the activation stored in ``cache`` and
    runs :func:`rnnlib.forward` on them, so that finite differences of
    ``run_from`` with respect to ``h_k`` give ∂h_t/∂h_k independently of the
    Jacobian formula.  For t = k it returns a copy of ``h_k``.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    h_k = as_float_array("h_k", h_k)
    check_shape("h_k", h_k, (cache.m, p["W_hh"].shape[0]), "(m, H)")
    if t == k:
        return h_k.copy()
    X = cache.X[k:t]
    labels = np.zeros(X.shape[:2], dtype=int)
    _, c = forward(p, X, labels, h0=h_k, activation=cache.activation)
    return c.h[-1].copy()


def numerical_jacobian_product(params, cache, t: int, k: int, eps: float = 1e-5) -> np.ndarray:
    """∂h_t/∂h_k by central differences of :func:`run_from`, shape (m, H, H).

    Entry [i, a, b] is (h_t[i, a](h_k + eps e_ib) − h_t[i, a](h_k − eps e_ib)) / (2 eps),
    the same layout as :func:`jacobian_product`.  Costs 2·m·H runs of t − k steps.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    h_k = cache.h[k].copy()
    m, H = h_k.shape
    out = np.empty((m, H, H))
    for i in range(m):
        for b in range(H):
            old = h_k[i, b]
            h_k[i, b] = old + eps
            plus = run_from(p, cache, k, h_k, t)[i]
            h_k[i, b] = old - eps
            minus = run_from(p, cache, k, h_k, t)[i]
            h_k[i, b] = old
            out[i, :, b] = (plus - minus) / (2.0 * eps)
    return out


# --------------------------------------------------------------------------- norms and bounds
def spectral_norm(W) -> float:
    """‖W‖₂, the largest singular value of the (H, H) matrix ``W``.

    For W = W_hh this is γ_W of Pascanu et al. (2013).
    """
    return float(np.linalg.norm(check_square("W", W), 2))


def spectral_radius(W) -> float:
    """ρ(W) = max |λ_i(W)|, the largest eigenvalue modulus of the (H, H) matrix ``W``."""
    return float(np.max(np.abs(np.linalg.eigvals(check_square("W", W)))))


def jacobian_bound(W_hh, activation: str, lags) -> np.ndarray:
    """The bound (γ_W γ_h)^(t−k) on ‖∂h_t/∂h_k‖₂, for each lag t − k in ``lags``.

    γ_W = ‖W_hh‖₂ (:func:`spectral_norm`) and γ_h = sup|φ'|
    (:func:`rnnlib.activations.gamma_h`).  ``lags`` is an integer or an array of
    non-negative integers; the result has its shape.  A bound beyond the float64
    range is inf (it then says nothing), never NaN.
    """
    g = spectral_norm(check_square("W_hh", W_hh)) * gamma_h(activation)
    n = np.asarray(lags)
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):
        raise ValueError(f"lags: expected non-negative integers, got {lags!r}"[:160])
    with np.errstate(over="ignore"):
        return np.power(g, n.astype(np.float64))


def power_norms(W, K: int) -> np.ndarray:
    """‖W^k‖₂ for k = 0..K, shape (K + 1,).

    For a normal matrix this is ρ(W)^k exactly; for a non-normal one it can
    grow for a while before it decays like ρ(W)^k.
    """
    W = check_square("W", W)
    K = check_int("K", K, 0)
    out = np.empty(K + 1)
    P = np.eye(W.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(K + 1):
            check_finite_result("W^k", P, where="matrix power", step=k)
            out[k] = np.linalg.norm(P, 2)
            P = P @ W
    return out
