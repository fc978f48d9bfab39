"""Output losses and their gradient with respect to the logits o_t.

Convention (GUIDE §3): the total loss sums over time and averages over the
batch,

    L = (1/m) Σ_t Σ_i w[t, i] ℓ(o_t[i], y_t[i]),

where w is the optional ``loss_mask`` (all ones by default).

* ``"softmax_ce"``: ℓ = −log softmax(o)[y], with integer labels y.
  ∂ℓ/∂o = softmax(o) − onehot(y)   (chapter 2 proves this symbolically).
* ``"mse"``: ŷ = o and ℓ = ½‖o − y‖².  ∂ℓ/∂o = o − y.

Every model's forward pass calls :func:`checked_loss_and_dlogits`, which raises
:class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``) naming
the step when the logits, a loss L_t, their running sum or ∂L/∂o_t overflow
(for example mse targets of 1e200: ½‖o − y‖² is then beyond float64).
"""
from __future__ import annotations

import numpy as np

from .validation import all_finite, check_finite_result, check_finite_steps

__all__ = ["softmax", "log_softmax", "loss_and_dlogits", "step_losses", "checked_loss_and_dlogits"]


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


def loss_and_dlogits(o: np.ndarray, Y: np.ndarray, loss: str, weights: np.ndarray, *, out=None):
    """Loss value and ∂L/∂o for all steps at once.

    Parameters
    ----------
    o : (T, m, n_out) logits.
    Y : (T, m) int labels for ``"softmax_ce"``, (T, m, n_out) targets for ``"mse"``.
        Entries where ``weights`` is 0 are ignored (they may hold anything).
    weights : (T, m) per-step, per-example weights, already divided by m.
    out : optional (T, m, n_out) float64 array that receives ∂L/∂o (it may be ``o`` itself).

    Returns
    -------
    L : float
    dO : (T, m, n_out) array, ∂L/∂o_t for every t (``out`` if given).

    Speed: ∂L/∂o is built in its own (returned) array, with no other temporary of
    the size of o.  For the softmax it first holds z = o − max_j o_j (so exp never
    overflows), then exp(z), then softmax(o) ⊙ w, from which w is subtracted at the
    labels; the loss is Σ w (log Σ_j exp(z_j) − z_y).
    """
    active = weights != 0
    if loss == "softmax_ce":
        n = o.shape[-1]
        labels = np.where(active, Y, 0).astype(np.intp).reshape(-1)
        dO = np.subtract(o, o.max(axis=-1, keepdims=True), out=out)   # z, (T, m, n_out)
        flat = dO.reshape(-1)
        at_label = np.arange(labels.size) * n + labels             # flat index of z_y
        z_label = flat[at_label]                                     # a copy
        np.exp(dO, out=dO)
        total = dO.sum(axis=-1).reshape(-1)                          # Σ_j exp(z_j), (T·m,)
        w = weights.reshape(-1)
        per = np.log(total)
        per -= z_label                                               # ℓ = −log softmax(o)_y
        L = float(np.dot(np.where(active.reshape(-1), w, 0.0), per))
        dO *= (w / total).reshape(weights.shape)[..., None]          # softmax(o) ⊙ w
        flat[at_label] -= w                                          # − onehot(y) ⊙ w
        return L, dO
    w = weights[..., None]
    diff = o - Y if active.all() else np.where(active[..., None], o - np.where(active[..., None], Y, 0.0), 0.0)
    dO = np.multiply(diff, w, out=out)
    L = float(0.5 * np.vdot(diff, dO))
    return L, dO


def step_losses(o: np.ndarray, Y: np.ndarray, loss: str, weights: np.ndarray) -> np.ndarray:
    """The per-step losses L_t of a block of steps, shape (n,), for o (n, m, n_out).

    ``Y`` and ``weights`` as for :func:`loss_and_dlogits`; one call of it per step.
    """
    return np.array([loss_and_dlogits(o[j:j + 1], Y[j:j + 1], loss, weights[j:j + 1])[0]
                     for j in range(o.shape[0])])


def checked_loss_and_dlogits(o: np.ndarray, Y: np.ndarray, loss: str, weights: np.ndarray, *,
                             first_step: int = 1, total: float = 0.0, out=None):
    """``(total + L, dO)`` for a block of steps, as :func:`loss_and_dlogits`, checked for overflow.

    ``o`` (n, m, n_out) holds the logits of steps ``first_step`` .. ``first_step + n − 1``;
    ``total`` is the loss of the steps before them.  Raises
    :class:`rnnlib.validation.NumericalOverflow` naming the quantity (``o_t``,
    ``L_t``, the running sum ``L`` or ``∂L/∂o_t``) and the first step at which it
    is not finite.  The happy path adds one ``isfinite`` reduction over o and dO.
    ``out`` as for :func:`loss_and_dlogits` (not ``o`` itself: o is read again on overflow).
    """
    check_finite_steps("o_t", o, first_step=first_step, where="forward pass",
                       hint=" (the logits o_t = h_t W_yh + b_y)")
    with np.errstate(over="ignore", invalid="ignore"):
        L, dO = loss_and_dlogits(o, Y, loss, weights, out=out)
        new_total = total + L
        if np.isfinite(new_total) and all_finite(dO):
            return new_total, dO
        per = step_losses(o, Y, loss, weights)
    check_finite_steps("L_t", per, first_step=first_step, where="forward pass",
                       hint=f" (the {loss} loss of one step)")
    check_finite_steps("L", total + np.cumsum(per), first_step=first_step, where="forward pass",
                       hint=" (the sum L = Σ_t L_t; every L_t is finite)")
    check_finite_steps("∂L/∂o_t", dO, first_step=first_step, where="forward pass")
    check_finite_result("L", np.asarray(new_total), where="forward pass",
                        detail=" (the sum over a block of steps)")
    return new_total, dO
