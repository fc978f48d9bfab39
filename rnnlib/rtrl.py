"""Real-time recurrent learning: forward-mode derivatives of the hidden state.

RTRL carries the *total* derivative P_t^θ = dh_t/dθ forward in time,

    P_t^θ = diag(φ'(a_t)) [ ∂⁺a_t/∂θ + W_hhᵀ P_{t−1}^θ ],     P_0^θ = 0,

where ∂⁺a_t/∂θ is the immediate partial (h_{t−1} held fixed).  The gradient
is then a single forward sum, ∂L/∂θ = Σ_t (∂L_t/∂h_t) P_t^θ.  For h_0 the
recursion starts at P_0 = I and has no immediate term.

Per example the tensors are laid out as P[i, a, p, q] = dh_t[i, a]/dθ[p, q].
Memory is O(m H · |θ|) per step, time O(T m H² |θ|): RTRL is exact but costly;
it exists here to cross-check :func:`rnnlib.bptt`.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .bptt import output_grads
from .rnn import check_cache
from .validation import check_finite_grads, check_params

__all__ = ["rtrl"]


def rtrl(params, cache) -> dict:
    """Gradients by forward-mode recursion; same return value as :func:`rnnlib.bptt`.

    The same errors as :func:`rnnlib.bptt`: ``ValueError`` for bad params or a
    cache that does not belong to them, and
    :class:`rnnlib.validation.NumericalOverflow` naming the gradient and the
    step t at which the forward-mode sums stopped being finite.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    with np.errstate(over="ignore", invalid="ignore"):      # overflow is reported by step
        return _rtrl(p, cache)


def _rtrl(p, cache):
    """:func:`rtrl` on checked arguments."""
    T, m, H = cache.T, cache.m, p["W_hh"].shape[0]
    n_in = p["W_xh"].shape[0]
    W_hh = p["W_hh"]
    dW_yh, db_y, G = output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)
    eye = np.eye(H)

    P_xh = np.zeros((m, H, n_in, H))      # dh_t[i, a] / dW_xh[p, q]
    P_hh = np.zeros((m, H, H, H))         # dh_t[i, a] / dW_hh[p, q]
    P_b = np.zeros((m, H, H))             # dh_t[i, a] / db_h[q]
    P_h0 = np.broadcast_to(eye, (m, H, H)).copy()   # dh_t[i, a] / dh_0[i, b]
    grads = {"W_xh": np.zeros((n_in, H)), "W_hh": np.zeros((H, H)),
             "b_h": np.zeros(H), "h0": np.zeros((m, H))}
    for t in range(1, T + 1):
        d = dphi[t - 1][:, :, None]                   # φ'(a_t) as a column per example
        # Propagate the old sensitivities through W_hh: Σ_b W_hh[b, a] P[i, b, ...].
        P_xh = np.einsum("ba,ibpq->iapq", W_hh, P_xh)
        P_hh = np.einsum("ba,ibpq->iapq", W_hh, P_hh)
        P_b = np.einsum("ba,ibq->iaq", W_hh, P_b)
        P_h0 = np.einsum("ba,ibc->iac", W_hh, P_h0)
        # Add the immediate partials ∂⁺a_t[i, a]/∂θ[p, q] = δ_{aq} · (input)[i, p].
        P_xh += np.einsum("ip,aq->iapq", cache.X[t - 1], eye)
        P_hh += np.einsum("ip,aq->iapq", cache.h[t - 1], eye)
        P_b += eye
        # Through the activation.
        P_xh *= d[..., None]
        P_hh *= d[..., None]
        P_b *= d
        P_h0 *= d
        g = G[t - 1]                                   # ∂L_t/∂h_t, (m, H)
        grads["W_xh"] += np.einsum("ia,iapq->pq", g, P_xh)
        grads["W_hh"] += np.einsum("ia,iapq->pq", g, P_hh)
        grads["b_h"] += np.einsum("ia,iaq->q", g, P_b)
        grads["h0"] += np.einsum("ia,iab->ib", g, P_h0)
        check_finite_grads(grads, step=t, detail=" (the sensitivities dh_t/dθ explode)")
    grads.update({"W_yh": dW_yh, "b_y": db_y})
    return check_finite_grads({key: grads[key] for key in ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")})
