"""Hidden-to-hidden Jacobians ∂h_t/∂h_{t−1} and their products ∂h_t/∂h_k.

In the row convention a_t = X_t W_xh + h_{t−1} W_hh + b_h, so for one example

    ∂h_t[a] / ∂h_{t−1}[b] = φ'(a_t)[a] · W_hh[b, a],

that is J_t = diag(φ'(a_t)) W_hhᵀ — note the transpose (seed 004 drops it).
Arrays are laid out per example as ``J[i, a, b] = ∂h_t[i, a] / ∂h_{t−1}[i, b]``.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .rnn import Cache
from .validation import check_params, check_time_index

__all__ = ["jacobian", "jacobian_product"]


def _check_cache(cache) -> Cache:
    if not isinstance(cache, Cache):
        raise ValueError(f"cache: expected the Cache returned by rnnlib.forward, got {type(cache).__name__}")
    return cache


def jacobian(params, cache, t: int) -> np.ndarray:
    """One-step Jacobian J_t = ∂h_t/∂h_{t−1}, shape (m, H, H), for t in 1..T."""
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 1, cache.T)
    dphi = phi_prime_from_h(cache.h[t], cache.activation)          # (m, H)
    return dphi[:, :, None] * p["W_hh"].T[None, :, :]


def jacobian_product(params, cache, t: int, k: int) -> np.ndarray:
    """∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}, shape (m, H, H), for 0 ≤ k ≤ t ≤ T.

    The product has t − k factors; for k = t it is the identity.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    m, H = cache.m, p["W_hh"].shape[0]
    P = np.broadcast_to(np.eye(H), (m, H, H)).copy()
    for j in range(t, k, -1):              # multiply on the right: P ← P · J_j
        P = P @ jacobian(p, cache, j)
    return P
