"""Error signals: the per-step pieces from which BPTT assembles every gradient.

Notation (chapters 2 and 3).  For every step t = 1..T and every example:

* ∂L/∂o_t — the error at the output logits (``cache.dO``; mask and 1/m included);
* G_t = ∂L_t/∂h_t = (∂L/∂o_t) W_yhᵀ — step t's *own* output error;
* δ_t = ∂L/∂h_t — the *total* error signal, from the backward recursion

      δ_T = G_T,    δ_t = G_t + (δ_{t+1} ⊙ φ'(a_{t+1})) W_hhᵀ = G_t + δ_{t+1} J_{t+1}.

To check δ_t by finite differences, L must be seen as a function of h_t:
:func:`loss_from_state` restarts the network at step t from a given h_t and
returns Σ_{j ≥ t} L_j, the only part of L that depends on h_t.

Arrays are time-major: ``signals[t-1]`` holds the value for step t, shape (m, H).
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .bptt import _output_grads
from .jacobians import _check_cache
from .losses import loss_and_dlogits
from .rnn import forward
from .validation import as_float_array, check_params, check_shape, check_time_index

__all__ = ["output_errors", "error_signals", "backflow", "output_layer_contributions",
           "loss_from_state"]


def output_errors(params, cache) -> np.ndarray:
    """G_t = ∂L_t/∂h_t = (∂L/∂o_t) W_yhᵀ for t = 1..T, shape (T, m, H)."""
    p = check_params(params)
    cache = _check_cache(cache)
    return _output_grads(p, cache)[2]


def error_signals(params, cache) -> np.ndarray:
    """δ_t = ∂L/∂h_t (total derivative) for t = 1..T, shape (T, m, H).

    Backward recursion, O(T): δ_T = G_T, δ_t = G_t + (δ_{t+1} ⊙ φ'(a_{t+1})) W_hhᵀ.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    G = _output_grads(p, cache)[2]
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)          # φ'(a_t), (T, m, H)
    delta = np.empty_like(G)
    delta[-1] = G[-1]
    for t in range(cache.T - 1, 0, -1):                              # array index t ↔ step t+1
        delta[t - 1] = G[t - 1] + (delta[t] * dphi[t]) @ p["W_hh"].T
    return delta


def backflow(params, cache) -> np.ndarray:
    """δ_t − G_t = δ_{t+1} J_{t+1}: what flows back into h_t from later steps, (T, m, H).

    Zero at t = T (nothing comes after the last step).
    """
    return error_signals(params, cache) - output_errors(params, cache)


def output_layer_contributions(params, cache) -> np.ndarray:
    """Per-step terms of ∂L/∂W_yh: C_t = h_tᵀ (∂L/∂o_t), summed over the batch.

    Returns shape (T, H, n_out); ``C.sum(axis=0)`` is ∂L/∂W_yh.
    """
    check_params(params)
    cache = _check_cache(cache)
    return np.einsum("tia,tib->tab", cache.h[1:], cache.dO)


def loss_from_state(params, X, Y, t, h_t, *, activation="tanh", loss="softmax_ce",
                    loss_mask=None) -> float:
    """Σ_{j=t..T} L_j when the network is restarted at step t from the state ``h_t``.

    Parameters
    ----------
    params, X, Y, activation, loss, loss_mask : as for :func:`rnnlib.forward`
        (the full sequence: X (T, m, n_in), Y (T, m) or (T, m, n_out)).
    t : int in 0..T.  For t ≥ 1 the sum includes L_t = ℓ(h_t W_yh + b_y);
        for t = 0 there is no output at step 0 and the result is the whole L.
    h_t : (m, H) the hidden state at step t.

    Since L_1..L_{t−1} do not depend on h_t, the gradient of this function with
    respect to ``h_t`` is δ_t = ∂L/∂h_t (or ∂L/∂h_0 for t = 0).
    """
    p = check_params(params)
    Xa = as_float_array("X", X)
    if Xa.ndim != 3 or Xa.shape[0] == 0:
        raise ValueError(f"X: expected shape (T, m, n_in) with T >= 1, got shape {Xa.shape}")
    T, m = Xa.shape[:2]
    t = check_time_index("t", t, 0, T)
    ht = as_float_array("h_t", h_t)
    check_shape("h_t", ht, (m, p["W_hh"].shape[0]), "(m, H)")
    mask = np.ones((T, m)) if loss_mask is None else as_float_array("loss_mask", loss_mask)
    check_shape("loss_mask", mask, (T, m), "(T, m)")
    total = 0.0
    if t < T:       # steps t+1..T: the ordinary forward pass, started from h_t
        total += forward(p, Xa[t:], np.asarray(Y)[t:], h0=ht, activation=activation,
                         loss=loss, loss_mask=mask[t:])[0]
    if t >= 1:      # step t's own loss, through o_t = h_t W_yh + b_y
        # Validate Y and the mask for step t with forward() on a one-step sequence.
        forward(p, Xa[t - 1:t], np.asarray(Y)[t - 1:t], activation=activation, loss=loss,
                loss_mask=mask[t - 1:t])
        o_t = ht @ p["W_yh"] + p["b_y"]
        Yt = np.asarray(Y)[t - 1:t]
        if loss == "mse":
            Yt = np.asarray(Yt, dtype=np.float64)
        total += loss_and_dlogits(o_t[None], Yt, loss, mask[t - 1:t] / m)[0]
    return float(total)
