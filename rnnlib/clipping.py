"""Gradient clipping: by global norm (Pascanu et al. 2013, Algorithm 1) and by value.

Norm clipping rescales the whole gradient, so its *direction* is unchanged;
value clipping (as in min-char-rnn) clips each entry to [−limit, limit] and in
general changes the direction.  Neither function modifies its input.

The global norm is computed so that it neither underflows nor overflows on
the way: when the plain sum of squares would leave the safe range of float64
(gradients of 1e-200, whose squares are 0, or of 1e200, whose squares are inf),
every entry is first divided by the largest |entry| s, and ‖g‖₂ = s · ‖g/s‖₂,
as LAPACK's ``dnrm2`` does.  So clipping a gradient whose norm is beyond the
float64 range still gives the right direction with norm ``max_norm``.

Every gradient array must be real and finite (a ``ValueError`` naming its key).
"""
from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_real

__all__ = ["global_norm", "clip_by_norm", "clip_by_value"]

#: Sums of squares inside (_SAFE_LO, _SAFE_HI) are computed directly: no square in
#: them can have overflowed, and the squares lost to underflow (each < 1e-308)
#: change the sum by less than one part in 1e15.
_SAFE_LO, _SAFE_HI = 1e-290, 1e290


def _check_grads(grads) -> dict:
    """float64 copies of the arrays of ``grads``, each real and finite (messages name the key)."""
    if not isinstance(grads, dict) or not grads:
        raise ValueError(f"grads: expected a non-empty dict of arrays, got {type(grads).__name__}")
    return {key: as_float_array(str(key), g) for key, g in grads.items()}


def _scale_and_norm(g: dict) -> tuple[float, float]:
    """``(s, r)`` with ‖g‖₂ = s · r: s = 1 when the plain sum of squares is safe,
    else s = max|entry| and r = ‖g/s‖₂ in [1, √n]."""
    with np.errstate(over="ignore", under="ignore"):
        squares = sum(float(np.sum(v * v)) for v in g.values())
    if _SAFE_LO < squares < _SAFE_HI or (squares == 0.0 and not any(v.any() for v in g.values())):
        return 1.0, float(np.sqrt(squares))
    s = max(float(np.max(np.abs(v))) if v.size else 0.0 for v in g.values())
    r = float(np.sqrt(sum(float(np.sum((v / s) ** 2)) for v in g.values())))
    return s, r


def global_norm(grads) -> float:
    """‖g‖₂ over all arrays of ``grads`` taken together, without underflow or overflow.

    The result is inf only when the norm itself exceeds the float64 range
    (about 1.8e308), although every entry is finite.
    """
    s, r = _scale_and_norm(_check_grads(grads))
    return s * r                                        # a Python float: inf on overflow


def clip_by_norm(grads: dict, max_norm: float):
    """Rescale ``grads`` so that their global 2-norm is at most ``max_norm``.

    Returns ``(new_grads, norm_before_clipping)``.  If the norm exceeds
    ``max_norm`` every array is multiplied by ``max_norm / norm``.  The norm is
    computed scaled (:func:`global_norm`): gradients of 1e-200 have their true
    norm, and gradients whose norm is beyond the float64 range are rescaled to
    norm ``max_norm`` along their true direction (the returned norm is then inf).
    """
    g = _check_grads(grads)
    max_norm = check_real("max_norm", max_norm, lo=0.0, lo_open=True)
    s, r = _scale_and_norm(g)
    norm = s * r                                        # a Python float: inf on overflow
    if not norm > max_norm:
        return g, norm                                  # g holds fresh copies already
    if s == 1.0:
        scale = max_norm / norm
        return {k: v * scale for k, v in g.items()}, norm
    factor = max_norm / r                               # g/s has norm r; scale it to max_norm
    return {k: (v / s) * factor for k, v in g.items()}, norm


def clip_by_value(grads: dict, limit: float) -> dict:
    """Clip every entry of every array to [−limit, limit]; returns a new dict."""
    g = _check_grads(grads)
    limit = check_real("limit", limit, lo=0.0, lo_open=True)
    return {k: np.clip(v, -limit, limit) for k, v in g.items()}
