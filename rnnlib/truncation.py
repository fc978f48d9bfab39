"""Truncation and clipping: which terms they keep, and how far the result points from the truth.

Masks over the (t, k) terms of the double sum (chapters 4 and 9):

* :func:`kept_by_truncation` — ``bptt(..., truncate=τ)``: term (t, k) is kept
  when t − k ≤ τ, a window that slides with every loss;
* :func:`kept_by_chunks` — chunked truncated BPTT (Williams & Peng 1990): the
  sequence is cut into chunks of K steps and a term is kept when t and k lie in
  the same chunk, windows aligned to the chunk grid;
* :func:`masked_gradient` — the gradient assembled from the kept terms.

Measures (chapter 9): the cosine similarity of two gradients, each flattened
over the chosen parameter arrays and concatenated,

    cos(g, g') = ⟨g, g'⟩ / (‖g‖₂ ‖g'‖₂)    in [−1, 1].

1 means the same direction (norm clipping always gives 1); a value below 1
means a descent step along g' is not a step along g (value clipping and
truncation do this): :func:`grad_cosine`, :func:`truncation_cosine`,
:func:`window_cosines`, :func:`norm_clipping_cosines`, :func:`value_clipping_cosines`.
"""
from __future__ import annotations

import numpy as np

from .bptt import bptt
from .clipping import clip_by_norm, clip_by_value, global_norm
from .rnn import check_cache
from .terms import term_tensor
from .validation import check_chunk, check_int, check_params, check_truncate

__all__ = ["RECURRENT_KEYS", "kept_by_truncation", "kept_by_chunks", "masked_gradient",
           "grad_cosine", "truncation_cosine", "window_cosines", "norm_clipping_cosines",
           "value_clipping_cosines"]

#: The parameters that truncation affects (W_yh and b_y are never truncated).
RECURRENT_KEYS = ("W_xh", "W_hh", "b_h")


def kept_by_truncation(T: int, truncate) -> np.ndarray:
    """Boolean (T, T) mask of the (t, k) terms that ``bptt(..., truncate=τ)`` keeps.

    Entry [t−1, k−1] is True when k ≤ t and t − k ≤ τ (all k ≤ t for τ = None).
    """
    T = check_int("T", T, 1)
    tau = check_truncate(truncate)
    t = np.arange(1, T + 1)[:, None]
    k = np.arange(1, T + 1)[None, :]
    keep = k <= t
    if tau is not None:
        keep &= (t - k) <= tau
    return keep


def kept_by_chunks(T: int, chunk) -> np.ndarray:
    """Boolean (T, T) mask of the (t, k) terms that chunked truncated BPTT keeps.

    Entry [t−1, k−1] is True when k ≤ t and steps t and k lie in the same chunk,
    ⌊(t−1)/K⌋ = ⌊(k−1)/K⌋ (one chunk for K = None).
    """
    T = check_int("T", T, 1)
    K = check_chunk(chunk)
    K = T if K is None else K
    t = np.arange(1, T + 1)[:, None]
    k = np.arange(1, T + 1)[None, :]
    return (k <= t) & ((t - 1) // K == (k - 1) // K)


def _all_terms(params, cache, keys):
    return {key: term_tensor(params, cache, key) for key in keys}


def masked_gradient(params: dict, cache, keep, keys=RECURRENT_KEYS, *, terms=None) -> dict:
    """The gradient assembled from the (t, k) terms of the double sum where ``keep`` is True.

    ``keep`` is a boolean (T, T) mask, entry [t−1, k−1] for the term
    G_t (∂h_t/∂h_k) (∂⁺h_k/∂θ); for example :func:`kept_by_truncation` or
    :func:`kept_by_chunks`.  Returns a dict over ``keys`` (a subset of W_xh,
    W_hh, b_h).  ``terms`` may pass the term tensors in precomputed (a dict over
    ``keys`` from :func:`rnnlib.terms.term_tensor`).  O(T²) memory: for
    teaching-sized T.
    """
    T = check_cache(cache, check_params(params)).T
    keep = np.asarray(keep)
    if keep.shape != (T, T) or keep.dtype != bool:
        raise ValueError(f"keep: expected a boolean mask of shape ({T}, {T}), "
                         f"got shape {keep.shape} and dtype {keep.dtype}")
    terms = _all_terms(params, cache, keys) if terms is None else terms
    return {key: terms[key][keep].sum(axis=0) for key in keys}


def _flatten(name, grads, keys):
    if not isinstance(grads, dict):
        raise ValueError(f"{name}: expected a dict of arrays, got {type(grads).__name__}")
    parts = []
    for k in keys:
        if k not in grads:
            raise ValueError(f"{name}: expected the key {k!r}, got only the keys {sorted(grads)}")
        if np.iscomplexobj(grads[k]):
            raise ValueError(f"{name}: expected real values under {k!r}, got complex values")
        try:
            arr = np.asarray(grads[k], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a numeric array under {k!r}, "
                             f"got {type(grads[k]).__name__}") from None
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


def window_cosines(params, cache, tau: int, chunk: int, *, terms=None) -> tuple:
    """(cos for ``truncate=τ``, cos for chunks of ``chunk`` steps), both against full BPTT.

    Assembled from the (t, k) terms of the double sum over W_xh, W_hh and b_h;
    ``terms`` may pass them in precomputed (a dict over those keys).
    """
    T = check_cache(cache, check_params(params)).T
    terms = _all_terms(params, cache, RECURRENT_KEYS) if terms is None else terms
    full = {k: v.sum(axis=(0, 1)) for k, v in terms.items()}
    return tuple(grad_cosine(full, masked_gradient(params, cache, keep, tuple(terms), terms=terms))
                 for keep in (kept_by_truncation(T, tau), kept_by_chunks(T, chunk)))


def norm_clipping_cosines(grads: dict, fractions) -> np.ndarray:
    """cos(g, clip_by_norm(g, c)) for c = fraction × ‖g‖₂ (all 1: the direction is kept)."""
    norm = global_norm(grads)
    return np.array([grad_cosine(grads, clip_by_norm(grads, f * norm)[0]) for f in fractions])


def value_clipping_cosines(grads: dict, fractions) -> np.ndarray:
    """cos(g, clip_by_value(g, c)) for c = fraction × max|g| (one value per fraction)."""
    top = max(float(np.max(np.abs(v))) for v in grads.values())
    return np.array([grad_cosine(grads, clip_by_value(grads, f * top)) for f in fractions])
