"""Scalar examples with closed forms: the Pascanu unit and the linear scalar RNN (chapter 7).

**The single-unit example of Pascanu, Mikolov & Bengio (2013), Figure 6.**
One recurrent unit with no input, run for T steps from x_0:

    x_t = w σ(x_{t−1}) + b,   t = 1..T,        E = (σ(x_T) − target)².

(This is the paper's notation: here x_t is the *pre-activation* of the unit.)
The gradient is computed exactly by a reverse-mode recursion, the scalar
version of BPTT.  With e_t = ∂E/∂x_t,

    e_T = 2 (σ(x_T) − target) σ'(x_T),
    ∂E/∂w = Σ_t e_t σ(x_{t−1}),   ∂E/∂b = Σ_t e_t,   e_{t−1} = e_t w σ'(x_{t−1}).

:func:`pascanu_unit` is the scalar API; :func:`pascanu_surface` evaluates the
same recursion element-wise on arrays of (w, b), for the error surface;
:func:`pascanu_cliff_b` locates the cliff and :func:`pascanu_steps` compares a
plain and a norm-clipped gradient step across it.

**The linear scalar RNN** h_t = w h_{t−1} + x_t driven by an impulse, whose
gradient (T − 1) w^(T−2) is known in closed form: :func:`linear_scalar_gradient`
(by :func:`rnnlib.bptt`) against :func:`linear_scalar_closed_form`.
"""
from __future__ import annotations

import numpy as np

from .bptt import bptt
from .clipping import clip_by_norm
from .rnn import forward
from .validation import NumericalOverflow, as_float_array, check_int, check_real

__all__ = ["pascanu_unit", "pascanu_surface", "pascanu_cliff_b", "pascanu_steps",
           "linear_scalar_params", "linear_scalar_impulse", "linear_scalar_h_T",
           "linear_scalar_gradient", "linear_scalar_closed_form"]


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))          # exact, never overflows


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
    w = check_real("w", w)
    b = check_real("b", b)
    T = check_int("T", T, 1)
    x0 = check_real("x0", x0)
    target = check_real("target", target)
    E, dw, db = _recursion(w, b, T, x0, target)
    return float(E), float(dw), float(db)


def pascanu_surface(w, b, *, T=50, x0=0.5, target=0.7):
    """Element-wise :func:`pascanu_unit` over arrays: returns arrays ``(E, dE_dw, dE_db)``.

    ``w`` and ``b`` are broadcast together (e.g. the two outputs of
    ``np.meshgrid``); the results have the broadcast shape.
    """
    w, b = as_float_array("w", w), as_float_array("b", b)          # real and finite, or named
    try:
        np.broadcast_shapes(np.shape(w), np.shape(b))
    except ValueError:
        raise ValueError(f"b: expected a shape that broadcasts with w's {np.shape(w)}, "
                         f"got {np.shape(b)}") from None
    return _recursion(w, b, check_int("T", T, 1), check_real("x0", x0), check_real("target", target))


def pascanu_cliff_b(w, *, x0=0.5):
    """The b at which x_0 is a fixed point of x ↦ w σ(x) + b: b = x_0 − w σ(x_0).

    For w σ'(x_0) > 1 that fixed point is unstable; x_t runs off to one side or
    the other of it, and E jumps across this line — the cliff.  ``w`` is a
    finite real number or array (the result has its shape), ``x0`` a finite real number.
    """
    w = as_float_array("w", w)
    x0 = check_real("x0", x0)
    return x0 - w * _sigmoid(x0)


def pascanu_steps(w0, b0, *, lr=0.5, max_norm=1.0, **kw):
    """One plain and one norm-clipped gradient step from (w0, b0).

    Returns ``(grad, plain, clipped, norm)``: the gradient (dE/dw, dE/db), the
    two new points and the gradient norm before clipping
    (:func:`rnnlib.clip_by_norm`).  ``kw`` go to :func:`pascanu_unit`.
    """
    _, dw, db = pascanu_unit(w0, b0, **kw)
    g = {"w": np.array(dw), "b": np.array(db)}
    gc, norm = clip_by_norm(g, max_norm)
    plain = (w0 - lr * dw, b0 - lr * db)
    clipped = (w0 - lr * float(gc["w"]), b0 - lr * float(gc["b"]))
    return (dw, db), plain, clipped, norm


def linear_scalar_params(w: float) -> dict:
    """Parameters of h_t = w h_{t−1} + x_t, o_t = h_t: H = n_in = n_out = 1, no biases."""
    w = check_real("w", w)
    return {"W_xh": np.ones((1, 1)), "W_hh": np.full((1, 1), w), "b_h": np.zeros(1),
            "W_yh": np.ones((1, 1)), "b_y": np.zeros(1)}


def linear_scalar_impulse(T: int) -> np.ndarray:
    """Inputs of shape (T, 1, 1): x_1 = 1 and x_t = 0 for t > 1."""
    T = check_int("T", T, 1)
    X = np.zeros((T, 1, 1))
    X[0] = 1.0
    return X


def linear_scalar_h_T(w: float, T: int) -> float:
    """h_T of the linear scalar network driven by the impulse (equals w^(T−1))."""
    X = linear_scalar_impulse(T)
    _, c = forward(linear_scalar_params(w), X, np.zeros((T, 1), dtype=int), activation="linear")
    return float(c.h[T, 0, 0])


def linear_scalar_gradient(w: float, T: int) -> float:
    """dL/dw for L = h_T, computed by :func:`rnnlib.bptt`.

    BPTT needs ∂L/∂h_T = 1.  We get it from rnnlib's mse loss restricted to
    the last step, ½(o_T − y)², with the target y = h_T − 1 frozen at the
    current w: then ∂L/∂o_T = o_T − y = 1, and bptt's W_hh gradient is dh_T/dw.
    """
    T = check_int("T", T, 1)
    p = linear_scalar_params(w)
    X = linear_scalar_impulse(T)
    Y = np.zeros((T, 1, 1))
    Y[-1] = linear_scalar_h_T(w, T) - 1.0
    mask = np.zeros((T, 1))
    mask[-1] = 1.0
    _, c = forward(p, X, Y, activation="linear", loss="mse", loss_mask=mask)
    return float(bptt(p, c)["W_hh"][0, 0])


def linear_scalar_closed_form(w: float, T: int) -> float:
    """dh_T/dw = (T − 1) w^(T−2) for h_T = w^(T−1) (T ≥ 2; 0 for T = 1).

    A value beyond the float64 range raises
    :class:`rnnlib.validation.NumericalOverflow` (as :func:`linear_scalar_gradient`
    does through :func:`rnnlib.forward`), never inf.
    """
    w = check_real("w", w)
    T = check_int("T", T, 1)
    if T == 1:
        return 0.0
    try:
        value = float((T - 1) * w ** (T - 2))
    except OverflowError:
        value = np.inf
    if not np.isfinite(value):
        raise NumericalOverflow(f"dh_T/dw: the closed form (T − 1) w^(T−2) overflowed for w = {w!r} "
                                f"and T = {T}: expected a finite value, got inf",
                                quantity="dh_T/dw", step=T, where="closed form")
    return value
