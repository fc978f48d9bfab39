"""Gradient checking: central differences and a normwise relative error.

The book's rule (chapter 1): in float64, check with eps = 1e-5 and require

    rel_error(analytic, numeric) = max|a − b| / max(1e-12, max|a|, max|b|) < 1e-7.

The error is *normwise* (∞-norm over the whole array), not element-wise:
an element-wise ratio blows up for entries that are legitimately near zero.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "elementwise_rel_error", "check_gradients",
           "central_difference_error"]


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f(x)`` with respect to ``x``.

    ``f`` is called as ``f(x)`` with ``x`` itself, perturbed in place one entry
    at a time: (f(x + eps e_i) − f(x − eps e_i)) / (2 eps).  ``x`` is restored
    exactly afterwards, even if ``f`` raises.  Returns an array shaped like ``x``.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"x: expected a floating-point numpy array (perturbed in place), got {got}")
    if not (isinstance(eps, (int, float, np.floating)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps: expected a positive finite number, got {eps!r}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + eps
            f_plus = float(f(x))
            x[i] = old - eps
            f_minus = float(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def rel_error(a, b) -> float:
    """Normwise relative error max|a − b| / max(1e-12, max|a|, max|b|)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a, {a.shape}, got shape {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(1e-12, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.max(np.abs(a - b)) / scale)


def elementwise_rel_error(a, b) -> float:
    """The element-wise measure max_j |a_j − b_j| / max(|a_j|, |b_j|), for contrast only.

    Common in course notes; ill-conditioned for entries near zero (chapter 1),
    which is why the book uses :func:`rel_error` instead.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a, {a.shape}, got shape {b.shape}")
    denom = np.maximum(np.abs(a), np.abs(b))
    ratio = np.divide(np.abs(a - b), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(ratio.max()) if ratio.size else 0.0


def check_gradients(params, X, Y, grad_fn=None, *, eps=1e-5, forward_fn=None,
                    **forward_kwargs) -> dict:
    """Compare an analytic gradient with central differences, key by key, for any model.

    Parameters
    ----------
    params, X, Y, **forward_kwargs : as for ``forward_fn`` (``h0``, ``activation``,
        ``loss``, ``loss_mask`` …; ``c0`` for the LSTM).
    grad_fn : ``(params, cache) -> dict`` (default :func:`rnnlib.bptt`).
    forward_fn : ``(params, X, Y, **forward_kwargs) -> (loss, cache)`` (default
        :func:`rnnlib.forward`; :func:`rnnlib.lstm.forward` and
        :func:`rnnlib.gru.forward` work the same way).
    eps : finite-difference step (the book uses 1e-5).

    Returns
    -------
    dict mapping every parameter key, and every initial state passed as a keyword
    (``h0``, ``c0``) that is not None, to the normwise :func:`rel_error` between the
    analytic and the numerical gradient.
    """
    from .bptt import bptt
    from .rnn import forward

    grad_fn = bptt if grad_fn is None else grad_fn
    forward_fn = forward if forward_fn is None else forward_fn
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of parameter arrays, got {type(params).__name__}")
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    kwargs = dict(forward_kwargs)
    states = [k for k in ("h0", "c0") if kwargs.get(k) is not None]
    for k in states:
        kwargs[k] = np.array(kwargs[k], dtype=np.float64)
    _, cache = forward_fn(params, X, Y, **kwargs)
    analytic = grad_fn(params, cache)

    def loss_of(_):
        return forward_fn(params, X, Y, **kwargs)[0]

    errors = {key: rel_error(analytic[key], numerical_gradient(loss_of, params[key], eps))
              for key in params}
    for key in states:
        errors[key] = rel_error(analytic[key], numerical_gradient(loss_of, kwargs[key], eps))
    return errors


def central_difference_error(f, df, x0: float, eps_values) -> np.ndarray:
    """|central difference − exact derivative| of a scalar function for several eps.

    Used in chapter 1 to show truncation error (∝ eps²) on the right and
    round-off error (∝ u/eps) on the left of a log-log plot.
    """
    eps_values = np.asarray(eps_values, dtype=np.float64)
    exact = df(x0)
    return np.array([abs((f(x0 + e) - f(x0 - e)) / (2 * e) - exact) for e in eps_values])
