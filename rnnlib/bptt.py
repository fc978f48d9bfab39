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

Speed and memory.  The recursion walks backward over blocks of steps (a single
block unless the sequence is long).  In each block, G for all its steps is one
matmul, the recursion turns it into Δ in place, and the block's immediate terms
are summed with one matmul per parameter.  φ'(a_t) is taken from the stored
h_t.  A lean cache (``forward(..., lean=True)``) has no ∂L/∂o_t; each block
recomputes it from h_t.

Overflow.  When the error signal explodes (a linear RNN with ‖W_hh‖₂ = 1000,
say) the recursion is not allowed to return inf or NaN: every function here
raises :class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``)
naming the quantity (Δ_t, or the gradient's key) and the step.  The check is
one ``isfinite`` reduction per block of steps and one per gradient array.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .jacobians import one_step_jacobians
from .rnn import check_cache, logit_errors, recycled, time_blocks
from .validation import check_finite_grads, check_finite_steps, check_params, check_truncate

__all__ = ["bptt", "bptt_sum_of_products", "output_grads", "param_grads", "GRAD_KEYS"]

GRAD_KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")

#: How an exploding δ recursion is described in the overflow message.
_DELTA_HINT = " (Δ_t = δ_t ⊙ φ'(a_t): the error signal δ_t = ∂L/∂h_t explodes)"

def output_grads(params: dict, cache):
    """``(∂L/∂W_yh, ∂L/∂b_y, G)`` with G[t-1] = G_t = ∂L_t/∂h_t, shape (T, m, H).

    Each is one matmul over all steps; works on default and lean caches, and on
    the caches of the LSTM and the GRU (it reads only ``h`` and ∂L/∂o_t).  A
    building block on *checked* arguments — ``params`` from
    :func:`rnnlib.validation.check_params`, ``cache`` from the model's
    ``check_cache`` — it does not check them again.
    """
    p = params
    T, m, H = cache.T, cache.m, cache.h.shape[2]
    dO = logit_errors(p, cache).reshape(T * m, -1)
    dW_yh = cache.h[1:].reshape(T * m, H).T @ dO
    db_y = dO.sum(axis=0)
    G = (dO @ p["W_yh"].T).reshape(T, m, H)
    return dW_yh, db_y, G


def param_grads(p: dict, cache, DA: np.ndarray) -> dict:
    """Sum the immediate terms h_{k−1}ᵀ Δ_k, X_kᵀ Δ_k, Δ_k over k in one matmul each.

    ``DA`` has shape (T, m, H); ``DA[k-1]`` holds the (possibly truncated) Δ_k.
    Returns ``{"W_xh": (n_in, H), "W_hh": (H, H), "b_h": (H,)}``.  A building
    block on checked arguments, like :func:`output_grads`.
    """
    T, m, H = DA.shape
    DA2 = DA.reshape(T * m, H)
    return {
        "W_xh": cache.X.reshape(T * m, -1).T @ DA2,
        "W_hh": cache.h[:-1].reshape(T * m, H).T @ DA2,
        "b_h": DA2.sum(axis=0),
    }


def _full_recursion(p, cache) -> dict:
    """The O(T) recursion Δ_t = (G_t + Δ_{t+1} W_hhᵀ) ⊙ φ'(a_t), block by block.

    This is :func:`rnnlib.signals.error_signals` (δ_t = G_t + δ_{t+1} J_{t+1}) in
    its fast, blocked form: G for a block of steps is one matmul, the recursion
    turns it into Δ in place, and the immediate terms of the block are summed with
    one matmul per parameter.
    """
    T, m, H = cache.T, cache.m, p["W_hh"].shape[0]
    n_in, n_out = p["W_xh"].shape[0], p["W_yh"].shape[1]
    X2 = cache.X.reshape(T * m, n_in)
    h2 = cache.h.reshape((T + 1) * m, H)               # row block t holds h_t
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)        # contiguous: the cheapest BLAS call per step
    g = {}

    def add(key, value):                               # sum over blocks (one block: no copy)
        if key in g:
            g[key] += value
        else:
            g[key] = value

    back = np.zeros((m, H))                            # Δ_{t+1} W_hhᵀ; zero after step T
    dot = np.dot
    blocks = time_blocks(T, m, max(H, n_out))
    longest = blocks[0][1] - blocks[0][0]
    work_D = recycled("bptt.D", (longest, m, H))      # work arrays, reused by every block
    work_dphi = recycled("bptt.dphi", (longest, m, H))
    for s, e in reversed(blocks):
        rows = slice(s * m, e * m)                     # steps s+1..e, flattened with m
        dO = logit_errors(p, cache, s, e).reshape(-1, n_out)
        add("W_yh", h2[rows.start + m:rows.stop + m].T @ dO)      # Σ h_tᵀ ∂L/∂o_t
        add("b_y", dO.sum(axis=0))
        D = work_D[:e - s]                             # G_t; overwritten by Δ_t below
        np.matmul(dO, p["W_yh"].T, out=D.reshape(-1, H))
        dphi = phi_prime_from_h(cache.h[s + 1:e + 1], cache.activation, out=work_dphi[:e - s])  # φ'(a_t)
        for d, f in zip(reversed(list(D)), reversed(list(dphi))):   # steps e..s+1, backward
            d += back                                  # δ_t = G_t + Δ_{t+1} W_hhᵀ
            d *= f                                     # Δ_t = δ_t ⊙ φ'(a_t)
            dot(d, W_hh_T, out=back)                   # what step t sends to h_{t−1}
        check_finite_steps("Δ_t", D, first_step=s + 1, where="backward pass", backward=True,
                           hint=_DELTA_HINT)
        D2 = D.reshape(-1, H)
        add("W_xh", X2[rows].T @ D2)                   # Σ X_tᵀ Δ_t
        add("W_hh", h2[rows].T @ D2)                   # Σ h_{t−1}ᵀ Δ_t
        add("b_h", D2.sum(axis=0))
    g["h0"] = back                                     # Δ_1 W_hhᵀ
    return g


def bptt(params, cache, *, truncate=None) -> dict:
    """Gradients of the loss by the backward δ recursion.

    Cost O(T) for ``truncate=None``; O(T·min(τ, T)) for ``truncate=τ``.
    Works on default and lean caches alike (see :func:`rnnlib.forward`).

    Returns a dict with the keys of ``params`` (same shapes) plus ``"h0"`` (m, H).
    Every array in it is freshly allocated.

    Raises ``ValueError`` for bad params (a missing or unknown key, a wrong
    shape, non-finite values) and for a cache that does not belong to them
    (:func:`rnnlib.rnn.check_cache`), and
    :class:`rnnlib.validation.NumericalOverflow` when the backward pass
    overflows: the message names Δ_t and the step t where the recursion first
    stopped being finite, or the gradient whose sum over steps overflowed.
    """
    return _checked(_bptt, params, cache, truncate)


def _checked(kernel, params, cache, truncate) -> dict:
    """Check the arguments, run ``kernel(p, cache, tau)`` and check its gradients for overflow."""
    p = check_params(params, copy=False)                     # read only: no copies needed
    cache = check_cache(cache, p)
    tau = check_truncate(truncate)
    with np.errstate(over="ignore", invalid="ignore"):      # overflow is reported by step
        grads = kernel(p, cache, tau)
    return check_finite_grads(grads)


def _bptt(p, cache, tau):
    """:func:`bptt` on checked arguments."""
    T = cache.T
    if tau is None or tau >= T:
        grads = _full_recursion(p, cache)
        return {key: grads[key] for key in GRAD_KEYS}

    # Truncated: propagate every loss at once, one lag s = t − k at a time.
    # Gs[k-1] = ∂L_{k+s}/∂h_k restricted to s factors, for k = 1..T−s.
    dW_yh, db_y, G = output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)        # φ'(a_t), (T, m, H)
    W_hh_T = p["W_hh"].T
    DA = np.zeros_like(G)
    dh0 = np.zeros_like(G[0])
    Gs = G
    for s in range(0, min(tau, T - 1) + 1):
        das = Gs * dphi[: T - s]                   # Δ contributions at steps 1..T−s
        DA[: T - s] += das
        if s + 1 <= tau:                           # L_{1+s} reaches h_0 with s+1 factors
            dh0 += das[0] @ W_hh_T
        Gs = das[1:] @ W_hh_T                      # one more factor: lag s+1
    check_finite_steps("Δ_t", DA, first_step=1, where="backward pass", backward=True,
                       hint=_DELTA_HINT)
    grads = param_grads(p, cache, DA)
    grads.update({"W_yh": dW_yh, "b_y": db_y, "h0": dh0})
    return {key: grads[key] for key in GRAD_KEYS}


def bptt_sum_of_products(params, cache, *, truncate=None) -> dict:
    """Gradients computed literally as the textbook double sum (O(T²), for teaching).

    ∂L/∂θ = Σ_{t=1..T} Σ_{k=max(1, t−τ)..t} (∂L_t/∂h_t) (∂h_t/∂h_k) (∂⁺h_k/∂θ),

    where ∂h_t/∂h_k = J_t ⋯ J_{k+1} is built from explicit one-step Jacobians and
    ∂⁺h_k/∂θ is the immediate partial (h_{k−1} held fixed).  Same return value
    and the same errors as :func:`bptt`; an overflow names the loss L_t whose
    terms first stopped being finite.
    """
    return _checked(_sum_of_products, params, cache, truncate)


def _sum_of_products(p, cache, tau):
    """:func:`bptt_sum_of_products` on checked arguments."""
    T, m, H = cache.T, cache.m, p["W_hh"].shape[0]
    dW_yh, db_y, G = output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)
    grads = {"W_xh": np.zeros_like(p["W_xh"]), "W_hh": np.zeros_like(p["W_hh"]),
             "b_h": np.zeros_like(p["b_h"]), "h0": np.zeros((m, H))}
    J = [None] + list(one_step_jacobians(p, cache))              # J[j] = ∂h_j/∂h_{j−1}
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
        check_finite_grads(grads, step=t, detail=f" (in the terms of the loss L_{t})")
    grads.update({"W_yh": dW_yh, "b_y": db_y})
    return {key: grads[key] for key in GRAD_KEYS}
