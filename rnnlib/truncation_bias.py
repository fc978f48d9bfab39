"""How far a truncated or clipped gradient points from the true one (chapter 9).

The measure is the cosine similarity of two gradients, each flattened over the
chosen parameter arrays and concatenated:

    cos(g, g') = ⟨g, g'⟩ / (‖g‖₂ ‖g'‖₂)    in [−1, 1].

1 means the same direction (norm clipping always gives 1); a value below 1
means a descent step along g' is not a step along g (value clipping and
truncation do this).  :func:`truncation_cosine` sweeps the window τ of
``rnnlib.bptt(..., truncate=τ)``.
"""
from __future__ import annotations

import numpy as np

from .bptt import bptt, check_truncate
from .validation import check_params

__all__ = ["grad_cosine", "truncation_cosine", "masked_gradient", "RECURRENT_KEYS"]

#: The parameters that truncation affects (W_yh and b_y are never truncated).
RECURRENT_KEYS = ("W_xh", "W_hh", "b_h")


def _flatten(name, grads, keys):
    if not isinstance(grads, dict):
        raise ValueError(f"{name}: expected a dict of arrays, got {type(grads).__name__}")
    parts = []
    for k in keys:
        if k not in grads:
            raise ValueError(f"{name}: expected the key {k!r}, got only the keys {sorted(grads)}")
        arr = np.asarray(grads[k], dtype=np.float64).ravel()
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected finite values under {k!r}, got a non-finite entry")
        parts.append(arr)
    return np.concatenate(parts)


def grad_cosine(a: dict, b: dict, keys=None) -> float:
    """Cosine similarity of two gradient dicts over ``keys`` (default: the keys of ``a``).

    Raises ValueError if either gradient is zero over those keys (no direction).
    """
    keys = tuple(a) if keys is None and isinstance(a, dict) else keys
    u, v = _flatten("a", a, keys), _flatten("b", b, keys)
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0.0:
        raise ValueError("a: expected a nonzero gradient, got all zeros")
    if nv == 0.0:
        raise ValueError("b: expected a nonzero gradient, got all zeros")
    return float(np.clip(u @ v / (nu * nv), -1.0, 1.0))


def truncation_cosine(params: dict, cache, taus, keys=RECURRENT_KEYS) -> np.ndarray:
    """cos(full gradient, ``bptt(params, cache, truncate=τ)``) for every τ in ``taus``.

    Parameters
    ----------
    params, cache : a vanilla RNN and the cache of its forward pass.
    taus : iterable of integers τ ≥ 0.
    keys : which gradients to compare; by default the recurrent weights
        W_xh, W_hh, b_h (the output weights are never truncated and would
        only dilute the comparison).

    Returns
    -------
    (len(taus),) array of cosine similarities; it reaches 1 at τ ≥ T − 1.
    """
    check_params(params)
    taus = [check_truncate(t) for t in taus]
    if any(t is None for t in taus) or not taus:
        raise ValueError(f"taus: expected a non-empty list of integers >= 0, got {taus!r}")
    full = bptt(params, cache)
    return np.array([grad_cosine(full, bptt(params, cache, truncate=t), keys) for t in taus])


def masked_gradient(params: dict, cache, keep, keys=RECURRENT_KEYS) -> dict:
    """The gradient assembled from the (t, k) terms of the double sum where ``keep`` is True.

    ``keep`` is a boolean (T, T) mask, entry [t−1, k−1] for the term
    G_t (∂h_t/∂h_k) (∂⁺h_k/∂θ); for example
    ``rnnlib.contributions.kept_by_truncation(T, τ)`` or
    ``rnnlib.training.kept_by_chunks(T, K)``.  Returns a dict over ``keys``
    (a subset of W_xh, W_hh, b_h).  O(T²) memory: for teaching-sized T.
    """
    from .contributions import term_tensor

    keep = np.asarray(keep)
    T = cache.T
    if keep.shape != (T, T) or keep.dtype != bool:
        raise ValueError(f"keep: expected a boolean mask of shape ({T}, {T}), "
                         f"got shape {keep.shape} and dtype {keep.dtype}")
    return {key: term_tensor(params, cache, key)[keep].sum(axis=0) for key in keys}
