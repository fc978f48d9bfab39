"""The terms of the BPTT double sum, one (t, k) pair at a time (chapters 4 and 5).

For a weight θ of the recurrence (``W_hh``, ``W_xh`` or ``b_h``) the gradient
is the double sum

    ∂L/∂θ = Σ_{t=1..T} Σ_{k=1..t} (∂L_t/∂h_t) (∂h_t/∂h_k) (∂⁺h_k/∂θ),

where G_t = ∂L_t/∂h_t is step t's own output error, ∂h_t/∂h_k = J_t ⋯ J_{k+1}
is the product of t − k one-step Jacobians and ∂⁺h_k/∂θ is the *immediate*
partial (h_{k−1} held fixed).  In tensor form the (t, k) term is

    W_hh:  h_{k−1}ᵀ (g_{t,k} ⊙ φ'(a_k))       (H, H)
    W_xh:  X_kᵀ     (g_{t,k} ⊙ φ'(a_k))       (n_in, H)
    b_h:   1ᵀ       (g_{t,k} ⊙ φ'(a_k))       (H,)

with g_{t,k} = G_t ∂h_t/∂h_k = ∂L_t/∂h_k, shape (m, H): the error that L_t
alone sends back to h_k (:func:`rnnlib.signals.loss_errors`).  This module
returns single terms, all terms, and their Frobenius norms, so that a chapter
can show *which* terms of the double sum carry the gradient.  Numbers only; the
figures are in :mod:`rnnlib.plots.terms`.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .jacobians import jacobian_product
from .rnn import check_cache, logit_errors
from .signals import loss_errors
from .validation import as_float_array, check_choice, check_finite_result, check_params, check_time_index

__all__ = ["TERM_KEYS", "term_matrix", "path_errors", "term_tensor", "term_contributions",
           "step_contributions", "lag_norms"]

#: The parameters whose gradient is a double sum over (t, k).
TERM_KEYS = ("W_hh", "W_xh", "b_h")


def _check_key(key) -> str:
    return check_choice("key", key, TERM_KEYS)


def _immediate_input(p, cache, key, k):
    """The row-vector input that multiplies Δ at step k: h_{k−1}, X_k or None (b_h)."""
    if key == "W_hh":
        return cache.h[k - 1]
    if key == "W_xh":
        return cache.X[k - 1]
    return None


def _contract(inp, da):
    """h_{k−1}ᵀ da, X_kᵀ da (batch summed) or 1ᵀ da for b_h (inp None).

    Works for ``da`` of shape (m, H) or (..., m, H) with ``inp`` (m, n).
    """
    if inp is None:
        return da.sum(axis=-2)
    return np.einsum("ip,...iq->...pq", inp, da)


def term_matrix(params, cache, key: str, t: int, k: int) -> np.ndarray:
    """The (t, k) term (∂L_t/∂h_t)(∂h_t/∂h_k)(∂⁺h_k/∂θ) of the double sum.

    Parameters
    ----------
    params, cache : as returned by :func:`rnnlib.init_params` / :func:`rnnlib.forward`.
    key : ``"W_hh"``, ``"W_xh"`` or ``"b_h"``.
    t : the loss L_t, an integer in 1..T.
    k : the step whose immediate partial is taken, an integer in 1..t.

    Returns an array shaped like ``params[key]``: (H, H), (n_in, H) or (H,).
    The product ∂h_t/∂h_k is built explicitly with :func:`rnnlib.jacobian_product`.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    key = _check_key(key)
    t = check_time_index("t", t, 1, cache.T)
    k = check_time_index("k", k, 1, t)
    G_t = logit_errors(p, cache, t - 1, t)[0] @ p["W_yh"].T          # G_t, (m, H)
    P = jacobian_product(p, cache, t, k)                           # (m, H, H)
    with np.errstate(over="ignore", invalid="ignore"):
        g = np.einsum("ia,iab->ib", G_t, P)                        # ∂L_t/∂h_k
        da = g * phi_prime_from_h(cache.h[k], cache.activation)    # ⊙ φ'(a_k)
        term = _contract(_immediate_input(p, cache, key, k), da)
    return check_finite_result(f"term ({t}, {k})", term, where="double sum", step=k)


def path_errors(params, cache) -> np.ndarray:
    """All the errors g_{t,k} ⊙ φ'(a_k) = ∂L_t/∂a_k at once, shape (T, T, m, H).

    Entry ``[t-1, k-1]`` is ∂L_t/∂a_k (the error that the loss of step t alone
    sends to the pre-activation of step k); it is 0 for k > t.  Each L_t is
    walked back one Jacobian at a time by :func:`rnnlib.signals.loss_errors`, the
    same product as :func:`rnnlib.jacobian_product` applied to a vector: O(T² m H²).
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    T = cache.T
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)        # φ'(a_k), (T, m, H)
    out = np.zeros((T, T, cache.m, p["W_hh"].shape[0]))
    for t in range(1, T + 1):
        out[t - 1, :t] = loss_errors(p, cache, t)[1:] * dphi[:t]    # ∂L_t/∂h_k ⊙ φ'(a_k)
    return out


def term_tensor(params, cache, key: str = "W_hh") -> np.ndarray:
    """Every (t, k) term at once, shape (T, T) + ``params[key].shape``; zero for k > t.

    ``term_tensor(...).sum(axis=(0, 1))`` is the full gradient ∂L/∂θ.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    key = _check_key(key)
    DA = path_errors(p, cache)                                      # (T, T, m, H)
    if key == "b_h":
        return DA.sum(axis=2)
    inputs = cache.h[:-1] if key == "W_hh" else cache.X            # (T, m, n): step k at [k-1]
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.einsum("kip,tkiq->tkpq", inputs, DA)
    return check_finite_result("term (t, k)", terms, where="double sum",
                               detail=" (index [t − 1, k − 1, ...])")


def term_contributions(params, cache, key: str = "W_hh") -> np.ndarray:
    """Frobenius norm of every (t, k) term, shape (T, T); entry [t−1, k−1], 0 for k > t."""
    terms = term_tensor(params, cache, key)
    T = terms.shape[0]
    return np.sqrt((terms.reshape(T, T, -1) ** 2).sum(axis=-1))


def step_contributions(params, cache, key: str = "W_xh") -> np.ndarray:
    """Norm of the immediate term of each step k, summed over all losses, shape (T,).

    Entry [k−1] is ‖Σ_{t≥k} term(t, k)‖_F = ‖inp_kᵀ Δ_k‖_F with Δ_k = δ_k ⊙ φ'(a_k):
    how much of ∂L/∂θ arrives through step k's immediate partial (for W_xh,
    through the input X_k).
    """
    terms = term_tensor(params, cache, key).sum(axis=0)             # sum over t
    T = terms.shape[0]
    return np.sqrt((terms.reshape(T, -1) ** 2).sum(axis=-1))


def lag_norms(C: np.ndarray) -> np.ndarray:
    """The norm carried by each lag s = t − k: ‖(C[t−1, t−1−s])_t‖₂ for s = 0..T−1, shape (T,).

    ``C`` is a (T, T) matrix of term norms (:func:`term_contributions`); entry s
    is the 2-norm of its s-th subdiagonal, the terms that cross s Jacobian factors.
    """
    C = as_float_array("C", C)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"C: expected a square (T, T) array, got shape {C.shape}")
    return np.array([np.sqrt((np.diagonal(C, -s) ** 2).sum()) for s in range(C.shape[0])])

