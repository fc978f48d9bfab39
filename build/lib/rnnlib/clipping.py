"""Gradient clipping: by global norm (Pascanu et al. 2013, Algorithm 1) and by value.

Norm clipping rescales the whole gradient, so its *direction* is unchanged;
value clipping (as in min-char-rnn) clips each entry to [−limit, limit] and in
general changes the direction.  Neither function modifies its input.
"""
from __future__ import annotations

import numpy as np

from .validation import check_real

__all__ = ["global_norm", "clip_by_norm", "clip_by_value"]


def _check_grads(grads) -> dict:
    if not isinstance(grads, dict) or not grads:
        raise ValueError(f"grads: expected a non-empty dict of arrays, got {type(grads).__name__}")
    out = {}
    for key, g in grads.items():
        arr = np.asarray(g, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{key}: expected finite gradient values, got a non-finite entry")
        out[key] = arr
    return out


def global_norm(grads) -> float:
    """‖g‖₂ over all arrays of ``grads`` taken together."""
    g = _check_grads(grads)
    return float(np.sqrt(sum(float(np.sum(v * v)) for v in g.values())))


def clip_by_norm(grads: dict, max_norm: float):
    """Rescale ``grads`` so that their global 2-norm is at most ``max_norm``.

    Returns ``(new_grads, norm_before_clipping)``.  If the norm exceeds
    ``max_norm`` every array is multiplied by ``max_norm / norm``.
    """
    g = _check_grads(grads)
    max_norm = check_real("max_norm", max_norm, lo=0.0, lo_open=True)
    norm = global_norm(g)
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: v * scale for k, v in g.items()}, norm


def clip_by_value(grads: dict, limit: float) -> dict:
    """Clip every entry of every array to [−limit, limit]; returns a new dict."""
    g = _check_grads(grads)
    limit = check_real("limit", limit, lo=0.0, lo_open=True)
    return {k: np.clip(v, -limit, limit) for k, v in g.items()}
