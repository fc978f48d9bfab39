"""Output losses and their gradient with respect to the logits o_t.

Convention (GUIDE §3): the total loss sums over time and averages over the
batch,

    L = (1/m) Σ_t Σ_i w[t, i] ℓ(o_t[i], y_t[i]),

where w is the optional ``loss_mask`` (all ones by default).

* ``"softmax_ce"``: ℓ = −log softmax(o)[y], with integer labels y.
  ∂ℓ/∂o = softmax(o) − onehot(y)   (chapter 2 proves this symbolically).
* ``"mse"``: ŷ = o and ℓ = ½‖o − y‖².  ∂ℓ/∂o = o − y.
"""
from __future__ import annotations

import numpy as np

__all__ = ["softmax", "log_softmax", "loss_and_dlogits"]


def log_softmax(o: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis (log-sum-exp trick)."""
    z = o - o.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax(o: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; no overflow for logits of ±1000."""
    z = o - o.max(axis=-1, keepdims=True)
    e = np.exp(z)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def loss_and_dlogits(o: np.ndarray, Y: np.ndarray, loss: str, weights: np.ndarray):
    """Loss value and ∂L/∂o for all steps at once.

    Parameters
    ----------
    o : (T, m, n_out) logits.
    Y : (T, m) int labels for ``"softmax_ce"``, (T, m, n_out) targets for ``"mse"``.
        Entries where ``weights`` is 0 are ignored (they may hold anything).
    weights : (T, m) per-step, per-example weights, already divided by m.

    Returns
    -------
    L : float
    dO : (T, m, n_out) array, ∂L/∂o_t for every t.
    """
    active = weights != 0
    if loss == "softmax_ce":
        labels = np.where(active, Y, 0).astype(np.intp)
        logp = log_softmax(o)
        picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
        L = float(-(weights * np.where(active, picked, 0.0)).sum())
        dO = np.exp(logp)
        np.put_along_axis(
            dO, labels[..., None],
            np.take_along_axis(dO, labels[..., None], axis=-1) - 1.0, axis=-1,
        )
        dO *= weights[..., None]
        return L, dO
    diff = np.where(active[..., None], o - np.where(active[..., None], Y, 0.0), 0.0)
    L = float(0.5 * (weights[..., None] * diff * diff).sum())
    dO = diff * weights[..., None]
    return L, dO
