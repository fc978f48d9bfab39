"""The unrolled network, one step at a time (chapter 1).

The total loss is a sum over time, L = Σ_t L_t.  :func:`per_step_losses`
makes that concrete: L_t is the loss with a ``loss_mask`` that keeps only
step t, and the L_t add up to L exactly.
"""
from __future__ import annotations

import numpy as np

from .rnn import forward

__all__ = ["per_step_losses"]


def per_step_losses(params, X, Y, **forward_kwargs) -> np.ndarray:
    """The T per-step losses L_1..L_T (batch-averaged), shape (T,).

    ``forward_kwargs`` are passed to :func:`rnnlib.forward` (``h0``,
    ``activation``, ``loss``); a ``loss_mask`` is not allowed here because
    each L_t is computed with the mask that selects step t.
    """
    if "loss_mask" in forward_kwargs:
        raise ValueError("loss_mask: expected no loss_mask (each L_t uses its own), got one")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[0] == 0:
        raise ValueError(f"X: expected shape (T, m, n_in) with T >= 1, got shape {X.shape}")
    T, m = X.shape[:2]
    out = np.empty(T)
    for t in range(T):
        mask = np.zeros((T, m))
        mask[t] = 1.0
        out[t] = forward(params, X, Y, loss_mask=mask, **forward_kwargs)[0]
    return out
