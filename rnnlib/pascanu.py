"""The single-unit example of Pascanu, Mikolov & Bengio (2013), Figure 6.

One recurrent unit with no input, run for T steps from x_0:

    x_t = w σ(x_{t−1}) + b,   t = 1..T,        E = (σ(x_T) − target)².

(This is the paper's notation: here x_t is the *pre-activation* of the unit.)
The gradient is computed exactly by a reverse-mode recursion, the scalar
version of BPTT.  With e_t = ∂E/∂x_t,

    e_T = 2 (σ(x_T) − target) σ'(x_T),
    ∂E/∂w = Σ_t e_t σ(x_{t−1}),   ∂E/∂b = Σ_t e_t,   e_{t−1} = e_t w σ'(x_{t−1}).

:func:`pascanu_unit` is the scalar API; :func:`pascanu_surface` evaluates the
same recursion element-wise on arrays of (w, b), for the error surface.
"""
from __future__ import annotations

import numpy as np

__all__ = ["pascanu_unit", "pascanu_surface"]


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))          # exact, never overflows


def _scalar(name: str, x) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a finite real number, got {type(x).__name__} {x!r}"[:160])
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name}: expected a finite real number, got {x!r}")
    return x


def _steps(T) -> int:
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T: expected an integer >= 1, got {T!r}")
    return int(T)


def _recursion(w, b, T, x0, target):
    """Forward and reverse passes, element-wise over broadcast arrays w and b."""
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    s = np.empty((T + 1,) + w.shape)               # s[t] = σ(x_t)
    x = np.full(w.shape, x0)
    s[0] = _sigmoid(x)
    for t in range(1, T + 1):
        x = w * s[t - 1] + b
        s[t] = _sigmoid(x)
    r = s[T] - target
    E = r * r
    e = 2.0 * r * s[T] * (1.0 - s[T])               # e_T = ∂E/∂x_T
    dw = np.zeros(w.shape)
    db = np.zeros(w.shape)
    for t in range(T, 0, -1):
        dw += e * s[t - 1]                          # immediate effect of w at step t
        db += e
        e = e * w * s[t - 1] * (1.0 - s[t - 1])     # e_{t−1} = e_t · ∂x_t/∂x_{t−1}
    return E, dw, db


def pascanu_unit(w, b, *, T=50, x0=0.5, target=0.7):
    """Return ``(E, dE_dw, dE_db)`` for the unit x_t = w σ(x_{t−1}) + b.

    Parameters
    ----------
    w, b : finite real scalars, the recurrent weight and the bias.
    T : number of steps (integer ≥ 1).
    x0 : the initial pre-activation x_0.
    target : the target for σ(x_T).

    Returns three Python floats, exact to float64 round-off.
    """
    w = _scalar("w", w)
    b = _scalar("b", b)
    T = _steps(T)
    x0 = _scalar("x0", x0)
    target = _scalar("target", target)
    E, dw, db = _recursion(w, b, T, x0, target)
    return float(E), float(dw), float(db)


def pascanu_surface(w, b, *, T=50, x0=0.5, target=0.7):
    """Element-wise :func:`pascanu_unit` over arrays: returns arrays ``(E, dE_dw, dE_db)``.

    ``w`` and ``b`` are broadcast together (e.g. the two outputs of
    ``np.meshgrid``); the results have the broadcast shape.
    """
    for name, v in (("w", w), ("b", b)):
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a real array, got {type(v).__name__}") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected finite values, got a non-finite entry")
    try:
        np.broadcast_shapes(np.shape(w), np.shape(b))
    except ValueError:
        raise ValueError(f"b: expected a shape that broadcasts with w's {np.shape(w)}, "
                         f"got {np.shape(b)}") from None
    return _recursion(w, b, _steps(T), _scalar("x0", x0), _scalar("target", target))
