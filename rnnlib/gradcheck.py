"""Gradient checking: central differences and a normwise relative error.

The book's rule (chapter 1): in float64, check with eps = 1e-5 and require

    rel_error(analytic, numeric) = max|a − b| / max(1e-12, max|a|, max|b|) < 1e-7.

The error is *normwise* (∞-norm over the whole array), not element-wise:
an element-wise ratio blows up for entries that are legitimately near zero.

The contract of the checking tools: :func:`numerical_gradient` requires a
finite float64 array, a callable ``f`` returning a finite real number, and a
finite positive step of a sensible size, eps ≥ :data:`MIN_RELATIVE_EPS` ·
max(1, max|x|); :func:`rel_error` refuses non-finite or complex input, naming
``a`` or ``b``.  A check must never pass or fail because of a NaN.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .validation import as_float_array, check_callable, check_real, describe

__all__ = ["numerical_gradient", "rel_error", "elementwise_rel_error", "check_gradients",
           "central_difference_error", "MIN_RELATIVE_EPS"]

#: The smallest step :func:`numerical_gradient` accepts, relative to max(1, max|x|).
#: Below it the round-off error of a central difference, about u·|f|/eps with
#: u = 2⁻⁵³, exceeds 1e-4·|f| — the result is noise — and for eps far below it
#: (eps = 1e-300) x ± eps rounds to x and the "gradient" is exactly zero.
MIN_RELATIVE_EPS = 1e-12


def _value(f, x, name: str, where: str) -> float:
    """f(x) as a finite Python float, or a ValueError naming ``name``."""
    v = f(x)
    if isinstance(v, np.ndarray) and v.size == 1 and not np.iscomplexobj(v):
        v = v.reshape(())[()]
    if (isinstance(v, (bool, np.bool_)) or np.iscomplexobj(v)
            or not isinstance(v, (int, float, np.integer, np.floating))):
        raise ValueError(f"{name}: expected a real number {where}, got {describe(v)}")
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite number {where}, got {v!r}")
    return v


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f(x)`` with respect to ``x``.

    ``f`` is called as ``f(x)`` with ``x`` itself, perturbed in place one entry
    at a time: (f(x + eps e_i) − f(x − eps e_i)) / (2 eps).  ``x`` is restored
    exactly afterwards, even if ``f`` raises.  Returns a float64 array shaped like ``x``.

    Requirements (``ValueError`` naming the argument otherwise):

    x : a writable float64 numpy array with finite entries.  float32 and float16
        are refused: their unit round-off, 2⁻²⁴ ≈ 6e-8 and 2⁻¹¹ ≈ 5e-4, swamps
        the difference (with the default eps the float32 estimate of ∇Σx² at
        x = 1 is off by about 0.1).
    f : a callable returning a finite real number at every perturbed point.
    eps : a finite positive real number (not a bool), at least
        :data:`MIN_RELATIVE_EPS` · max(1, max|x|); the book uses 1e-5.
    """
    check_callable("f", f)
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else describe(x)
        raise ValueError(f"x: expected a float64 numpy array (perturbed in place), got {got}")
    if not x.flags.writeable:
        raise ValueError("x: expected a writable array (perturbed in place), got a read-only one")
    as_float_array("x", x)                                  # finite, or named
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    floor = MIN_RELATIVE_EPS * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    if eps < floor:
        raise ValueError(f"eps: expected a step of at least {MIN_RELATIVE_EPS:g} · max(1, max|x|) "
                         f"= {floor:.3g} (smaller steps give round-off noise or x ± eps == x), "
                         f"got {eps!r}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + eps
            f_plus = _value(f, x, "f", f"from f(x) with x[{i}] + eps")
            x[i] = old - eps
            f_minus = _value(f, x, "f", f"from f(x) with x[{i}] - eps")
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` as finite real float64 arrays of one shape (messages name ``a`` or ``b``)."""
    a = as_float_array("a", a)
    b = as_float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a, {a.shape}, got shape {b.shape}")
    return a, b


def rel_error(a, b) -> float:
    """Normwise relative error max|a − b| / max(1e-12, max|a|, max|b|).

    ``a`` and ``b`` are real arrays (or numbers) of the same shape with finite
    entries; NaN, inf, complex values and None are a ``ValueError`` naming the
    argument.  Empty arrays give 0.
    """
    a, b = _pair(a, b)
    if a.size == 0:
        return 0.0
    scale = max(1e-12, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.max(np.abs(a - b)) / scale)


def elementwise_rel_error(a, b) -> float:
    """The element-wise measure max_j |a_j − b_j| / max(|a_j|, |b_j|), for contrast only.

    Common in course notes; ill-conditioned for entries near zero (chapter 1),
    which is why the book uses :func:`rel_error` instead.  The same input
    checks as :func:`rel_error`.
    """
    a, b = _pair(a, b)
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

    The parameters and states must be real and finite (``ValueError`` naming
    the key); ``forward_fn`` checks the keys, so an unknown key is named too.
    """
    from .bptt import bptt
    from .rnn import forward

    grad_fn = check_callable("grad_fn", bptt if grad_fn is None else grad_fn)
    forward_fn = check_callable("forward_fn", forward if forward_fn is None else forward_fn)
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of parameter arrays, got {type(params).__name__}")
    params = {k: as_float_array(str(k), v) for k, v in params.items()}
    kwargs = dict(forward_kwargs)
    states = [k for k in ("h0", "c0") if kwargs.get(k) is not None]
    for k in states:
        kwargs[k] = as_float_array(k, kwargs[k])
    _, cache = forward_fn(params, X, Y, **kwargs)          # checks the keys: unknown ones are named
    analytic = grad_fn(params, cache)
    missing = [k for k in list(params) + states if not isinstance(analytic, dict) or k not in analytic]
    if missing:
        got = sorted(map(str, analytic)) if isinstance(analytic, dict) else describe(analytic)
        raise ValueError(f"grad_fn: expected a dict of gradients with the key {missing[0]!r}, "
                         f"got {got}")

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
    round-off error (∝ u/eps) on the left of a log-log plot.  The difference is
    the central one, (f(x0 + eps) − f(x0 − eps)) / (2 eps), whose truncation
    error is |f‴(x0)| eps²/6 + O(eps⁴).

    ``f`` and ``df`` are callables returning finite real numbers, ``x0`` is a
    finite real number and ``eps_values`` a non-empty 1-d array of finite
    positive steps (no lower bound here: showing round-off take over at tiny
    steps is the point).  Returns an array of the shape of ``eps_values``.
    """
    check_callable("f", f)
    check_callable("df", df)
    x0 = check_real("x0", x0)
    eps_values = as_float_array("eps_values", eps_values)
    if eps_values.ndim != 1 or eps_values.size == 0 or (eps_values <= 0).any():
        raise ValueError(f"eps_values: expected a non-empty 1-d array of positive steps, "
                         f"got {describe(eps_values)}")
    exact = _value(df, x0, "df", f"from df(x0) at x0 = {x0!r}")
    return np.array([abs((_value(f, x0 + e, "f", f"from f(x0 + eps), eps = {e!r}")
                          - _value(f, x0 - e, "f", f"from f(x0 - eps), eps = {e!r}")) / (2 * e) - exact)
                     for e in eps_values])
