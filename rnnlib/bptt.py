"""Backpropagation through time: the δ recursion and the literal double sum.

Notation (book chapters 2–5).  G_t = ∂L_t/∂h_t = (∂L/∂o_t) W_yhᵀ is the error
that step t's *own* output sends into h_t.  The total error signal
δ_t = ∂L/∂h_t obeys the backward recursion

    δ_T = G_T,     δ_t = G_t + (δ_{t+1} ⊙ φ'(a_{t+1})) W_hhᵀ ,

and with Δ_t = δ_t ⊙ φ'(a_t) (the error at the pre-activation) every
parameter gradient is a single sum over steps of *immediate* terms:

    ∂L/∂W_hh = Σ_t h_{t−1}ᵀ Δ_t,   ∂L/∂W_xh = Σ_t X_tᵀ Δ_t,   ∂L/∂b_h = Σ_t Δ_t,
    ∂L/∂h_0  = Δ_1 W_hhᵀ,
    ∂L/∂W_yh = Σ_t h_tᵀ (∂L/∂o_t),   ∂L/∂b_y = Σ_t ∂L/∂o_t.

Truncation (``truncate=τ``): the loss L_t sends gradient back through at most
τ Jacobian factors, so the term of step k is kept only when t − k ≤ τ, and
L_t reaches h_0 (t factors) only when t ≤ τ.  W_yh and b_y are never truncated.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .jacobians import _check_cache, jacobian
from .validation import check_params

__all__ = ["bptt", "bptt_sum_of_products", "check_truncate"]


def check_truncate(truncate) -> int | None:
    """``truncate`` must be None or a non-negative integer."""
    if truncate is None:
        return None
    if isinstance(truncate, (bool, np.bool_)) or not isinstance(truncate, (int, np.integer)) or truncate < 0:
        raise ValueError(f"truncate: expected None or an integer >= 0, got {truncate!r}")
    return int(truncate)


def _output_grads(p, cache):
    """∂L/∂W_yh, ∂L/∂b_y and G_t = ∂L_t/∂h_t for all t, each as one matmul."""
    T, m, H = cache.T, cache.m, p["W_hh"].shape[0]
    dO = cache.dO.reshape(T * m, -1)
    dW_yh = cache.h[1:].reshape(T * m, H).T @ dO
    db_y = dO.sum(axis=0)
    G = (dO @ p["W_yh"].T).reshape(T, m, H)
    return dW_yh, db_y, G


def _param_grads(p, cache, DA):
    """Sum the immediate terms h_{k−1}ᵀ Δ_k, X_kᵀ Δ_k, Δ_k over k in one matmul each.

    ``DA`` has shape (T, m, H); ``DA[k-1]`` holds the (possibly truncated) Δ_k.
    """
    T, m, H = DA.shape
    DA2 = DA.reshape(T * m, H)
    return {
        "W_xh": cache.X.reshape(T * m, -1).T @ DA2,
        "W_hh": cache.h[:-1].reshape(T * m, H).T @ DA2,
        "b_h": DA2.sum(axis=0),
    }


def bptt(params, cache, *, truncate=None) -> dict:
    """Gradients of the loss by the backward δ recursion.

    Cost O(T) for ``truncate=None``; O(T·min(τ, T)) for ``truncate=τ``.

    Returns a dict with the keys of ``params`` (same shapes) plus ``"h0"`` (m, H).
    """
    p = check_params(params)
    cache = _check_cache(cache)
    tau = check_truncate(truncate)
    T = cache.T
    dW_yh, db_y, G = _output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)        # φ'(a_t), (T, m, H)
    W_hh_T = p["W_hh"].T

    if tau is None or tau >= T:
        # The O(T) recursion: Δ_t = (G_t + Δ_{t+1} W_hhᵀ) ⊙ φ'(a_t).
        DA = np.empty_like(G)
        DA[T - 1] = G[T - 1] * dphi[T - 1]
        for t in range(T - 1, 0, -1):                  # array index t ↔ step t
            np.multiply(G[t - 1] + DA[t] @ W_hh_T, dphi[t - 1], out=DA[t - 1])
        dh0 = DA[0] @ W_hh_T
    else:
        # Propagate every loss at once, one lag s = t − k at a time.
        # Gs[k-1] = ∂L_{k+s}/∂h_k restricted to s factors, for k = 1..T−s.
        DA = np.zeros_like(G)
        dh0 = np.zeros_like(G[0])
        Gs = G
        for s in range(0, min(tau, T - 1) + 1):
            das = Gs * dphi[: T - s]                   # Δ contributions at steps 1..T−s
            DA[: T - s] += das
            if s + 1 <= tau:                           # L_{1+s} reaches h_0 with s+1 factors
                dh0 += das[0] @ W_hh_T
            Gs = das[1:] @ W_hh_T                      # one more factor: lag s+1
    grads = _param_grads(p, cache, DA)
    grads.update({"W_yh": dW_yh, "b_y": db_y, "h0": dh0})
    return {key: grads[key] for key in ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")}


def bptt_sum_of_products(params, cache, *, truncate=None) -> dict:
    """Gradients computed literally as the textbook double sum (O(T²), for teaching).

    ∂L/∂θ = Σ_{t=1..T} Σ_{k=max(1, t−τ)..t} (∂L_t/∂h_t) (∂h_t/∂h_k) (∂⁺h_k/∂θ),

    where ∂h_t/∂h_k = J_t ⋯ J_{k+1} is built from explicit one-step Jacobians and
    ∂⁺h_k/∂θ is the immediate partial (h_{k−1} held fixed).  Same return value
    as :func:`bptt`.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    tau = check_truncate(truncate)
    T, m, H = cache.T, cache.m, p["W_hh"].shape[0]
    dW_yh, db_y, G = _output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)
    grads = {"W_xh": np.zeros_like(p["W_xh"]), "W_hh": np.zeros_like(p["W_hh"]),
             "b_h": np.zeros_like(p["b_h"]), "h0": np.zeros((m, H))}
    J = [None] + [jacobian(p, cache, j) for j in range(1, T + 1)]   # J[j] = ∂h_j/∂h_{j−1}
    for t in range(1, T + 1):
        g = G[t - 1]                                          # ∂L_t/∂h_t, (m, H)
        P = np.broadcast_to(np.eye(H), (m, H, H)).copy()      # ∂h_t/∂h_t = I
        k_min = 1 if tau is None else max(1, t - tau)
        for k in range(t, k_min - 1, -1):
            if k < t:
                P = P @ J[k + 1]                              # ∂h_t/∂h_k
            v = np.einsum("ia,iab->ib", g, P)                 # ∂L_t/∂h_k (through the path)
            da = v * dphi[k - 1]                              # ... ⊙ φ'(a_k)
            grads["W_hh"] += cache.h[k - 1].T @ da            # immediate partial ∂⁺h_k/∂W_hh
            grads["W_xh"] += cache.X[k - 1].T @ da
            grads["b_h"] += da.sum(axis=0)
        if tau is None or t <= tau:                           # ∂L_t/∂h_0 needs t factors
            P0 = P @ J[1]                                     # here k_min = 1, so P = ∂h_t/∂h_1
            grads["h0"] += np.einsum("ia,iab->ib", g, P0)
    grads.update({"W_yh": dW_yh, "b_y": db_y})
    return {key: grads[key] for key in ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")}
