"""Error signals: the per-step pieces from which BPTT assembles every gradient.

Notation (chapters 2, 3 and 7).  For every step t = 1..T and every example:

* ∂L/∂o_t — the error at the output logits (:func:`rnnlib.rnn.logit_errors`;
  mask and 1/m included);
* G_t = ∂L_t/∂h_t = (∂L/∂o_t) W_yhᵀ — step t's *own* output error;
* δ_t = ∂L/∂h_t — the *total* error signal, from the backward recursion

      δ_T = G_T,    δ_t = G_t + δ_{t+1} J_{t+1} = G_t + (δ_{t+1} ⊙ φ'(a_{t+1})) W_hhᵀ.

One step of that recursion, a row vector times a Jacobian, is
:func:`step_back`; it is the only place in the library where a vanilla RNN's
error is moved back one step, and everything else here is built on it:
:func:`error_signals` (δ_t for all t), :func:`loss_errors` (∂L_t/∂h_k for one
loss and every k) and :func:`gradient_flow` (their norms).
:func:`rnnlib.bptt` runs the same recursion in a blocked form, for speed.

A gradient term is lost in a float64 sum when it is below half a unit in the
last place of the sum, about u·|S| with the unit round-off u = 2⁻⁵³ ≈ 1.1e-16
(and at most ε·|S|/2 with machine epsilon ε = 2⁻⁵²): :func:`below_resolution`
and :func:`resolution_lag` mark such terms.  Many lost terms can still add up
to a change.

To check δ_t by finite differences, L must be seen as a function of h_t:
:func:`loss_from_state` restarts the network at step t from a given h_t.

Arrays are time-major: ``signals[t-1]`` holds the value for step t, shape (m, H).
Every function works on default and lean caches (``forward(..., lean=True)``).
A recursion that overflows raises :class:`rnnlib.validation.NumericalOverflow`
(a ``FloatingPointError``) naming the quantity and the step, as :func:`rnnlib.bptt` does.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .bptt import output_grads
from .losses import checked_loss_and_dlogits
from .rnn import check_cache, forward, logit_errors
from .validation import (
    as_float_array,
    check_finite_steps,
    check_inputs_X,
    check_mask,
    check_params,
    check_real,
    check_shape,
    check_time_index,
)

__all__ = ["step_back", "output_errors", "error_signals", "backflow", "loss_errors",
           "gradient_flow", "output_layer_contributions", "loss_from_state",
           "FLOAT64_EPS", "UNIT_ROUNDOFF", "below_resolution", "resolution_lag"]

#: Machine epsilon of float64, ε = 2⁻⁵² ≈ 2.22e-16: the gap between 1 and the next float.
FLOAT64_EPS = float(np.finfo(np.float64).eps)
#: Unit round-off u = ε/2 = 2⁻⁵³ ≈ 1.11e-16: the largest relative error of one rounding.
UNIT_ROUNDOFF = FLOAT64_EPS / 2


def step_back(g: np.ndarray, dphi: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """One step of the backward recursion: g J_k = (g ⊙ φ'(a_k)) W_hhᵀ.

    ``g`` (..., m, H) is a derivative of a loss with respect to h_k and ``dphi``
    (m, H) is φ'(a_k); the result, with g's shape, is that loss's derivative with
    respect to h_{k−1} along the path through step k.
    """
    return (g * dphi) @ W_hh.T


def output_errors(params, cache) -> np.ndarray:
    """G_t = ∂L_t/∂h_t = (∂L/∂o_t) W_yhᵀ for t = 1..T, shape (T, m, H)."""
    p = check_params(params)
    return output_grads(p, check_cache(cache, p))[2]


def error_signals(params, cache) -> np.ndarray:
    """δ_t = ∂L/∂h_t (total derivative) for t = 1..T, shape (T, m, H).

    Backward recursion, O(T): δ_T = G_T, δ_t = G_t + δ_{t+1} J_{t+1}.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    G = output_grads(p, cache)[2]
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)          # φ'(a_t), (T, m, H)
    delta = np.empty_like(G)
    delta[-1] = G[-1]
    with np.errstate(over="ignore", invalid="ignore"):               # overflow is reported by step
        for t in range(cache.T - 1, 0, -1):                          # array index t ↔ step t+1
            delta[t - 1] = G[t - 1] + step_back(delta[t], dphi[t], p["W_hh"])
    check_finite_steps("δ_t", delta, first_step=1, where="backward pass", backward=True,
                       hint=" (the error signal explodes)")
    return delta


def backflow(params, cache) -> np.ndarray:
    """δ_t − G_t = δ_{t+1} J_{t+1}: what flows back into h_t from later steps, (T, m, H).

    Zero at t = T (nothing comes after the last step).
    """
    return error_signals(params, cache) - output_errors(params, cache)


def loss_errors(params, cache, t: int) -> np.ndarray:
    """∂L_t/∂h_k for k = 0..t, shape (t + 1, m, H): what the loss of step t alone sends back.

    L_t is step t's own loss (with the mask and 1/m of the cache), so row t is
    G_t and row k − 1 is :func:`step_back` of row k: ∂L_t/∂h_{k−1} = (∂L_t/∂h_k) J_k.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 1, cache.T)
    out = np.empty((t + 1, cache.m, p["W_hh"].shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):               # overflow is reported by step
        out[t] = logit_errors(p, cache, t - 1, t)[0] @ p["W_yh"].T   # G_t
        for j in range(t, 0, -1):
            out[j - 1] = step_back(out[j], phi_prime_from_h(cache.h[j], cache.activation), p["W_hh"])
    check_finite_steps("∂L_t/∂h_k", out, first_step=0, where="backward pass", backward=True,
                       hint=f" (the error of L_{t} explodes on its way back)")
    return out


def gradient_flow(params, cache, t: int) -> np.ndarray:
    """‖∂L_t/∂h_k‖ for k = 0..t, shape (t + 1,): the norms of :func:`loss_errors`.

    The norm is the Frobenius norm of the (m, H) array (the whole mini-batch).
    """
    return np.linalg.norm(loss_errors(params, cache, t), axis=(1, 2))


def output_layer_contributions(params, cache) -> np.ndarray:
    """Per-step terms of ∂L/∂W_yh: C_t = h_tᵀ (∂L/∂o_t), summed over the batch.

    Returns shape (T, H, n_out); ``C.sum(axis=0)`` is ∂L/∂W_yh.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return np.einsum("tia,tib->tab", cache.h[1:], logit_errors(p, cache))


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
    Xa = check_inputs_X(X, p["W_xh"].shape[0])
    T, m = Xa.shape[:2]
    t = check_time_index("t", t, 0, T)
    ht = as_float_array("h_t", h_t)
    check_shape("h_t", ht, (m, p["W_hh"].shape[0]), "(m, H)")
    mask = check_mask(loss_mask, T, m)
    total = 0.0
    if t < T:       # steps t+1..T: the ordinary forward pass, started from h_t
        total += forward(p, Xa[t:], np.asarray(Y)[t:], h0=ht, activation=activation,
                         loss=loss, loss_mask=mask[t:])[0]
    if t >= 1:      # step t's own loss, through o_t = h_t W_yh + b_y
        # Validate Y and the mask for step t with forward() on a one-step sequence.
        _, c = forward(p, Xa[t - 1:t], np.asarray(Y)[t - 1:t], activation=activation, loss=loss,
                       loss_mask=mask[t - 1:t])
        with np.errstate(over="ignore", invalid="ignore"):
            o_t = ht @ p["W_yh"] + p["b_y"]
        total = checked_loss_and_dlogits(o_t[None], c.Y, loss, mask[t - 1:t] / m, first_step=t,
                                         total=total)[0]
    return float(total)


def below_resolution(flow, eps: float = FLOAT64_EPS) -> np.ndarray:
    """Boolean mask of the entries of ``flow`` strictly smaller than ``eps · max|flow|``.

    With the default ε = 2⁻⁵², a term below the line is at most half an ulp of a
    sum whose size is set by the largest (short-range) term, so adding it alone
    to that sum changes nothing in float64 (pass ``eps=UNIT_ROUNDOFF`` for the
    sharper line u·max).  Many such terms together can still move the sum.
    The comparison is strict: a term exactly at the line, and an all-zero
    ``flow``, are not below it.  ``flow`` is a non-empty 1-d array of finite values.
    """
    f = as_float_array("flow", flow)
    if f.ndim != 1 or f.size == 0:
        raise ValueError(f"flow: expected a non-empty 1-d array, got shape {f.shape}")
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    return np.abs(f) < eps * np.max(np.abs(f))


def resolution_lag(flow, eps: float = FLOAT64_EPS):
    """The smallest lag τ such that every term with lag t − k > τ is below resolution.

    ``flow`` is indexed by k = 0..t (as returned by :func:`gradient_flow`).
    Returns an int in 0..t, or None when even the k = 0 term is resolved.
    Truncating BPTT at τ (``rnnlib.bptt(..., truncate=τ)``) then drops only
    terms that float64 could not have added one at a time.  When every term is
    below the line (possible only for ``eps`` > 1) the result is 0, the
    smallest truncation there is.
    """
    lost = below_resolution(flow, eps)
    t = lost.size - 1
    if not lost[0]:
        return None
    if lost.all():
        return 0
    return t - int(np.argmin(lost))             # k = 0..n−1 are all lost, n = argmin
