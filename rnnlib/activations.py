"""Element-wise activations φ and their derivatives.

The derivative is computed from the *output* h = φ(a), never from a stored
pre-activation: for tanh φ'(a) = 1 − h², for the sigmoid φ'(a) = h(1 − h),
for ReLU φ'(a) = [h > 0] and for the identity φ'(a) = 1.  This is what lets
the backward pass keep only the hidden states.

``GAMMA`` holds γ_h = sup |φ'|, the constant in the bound
‖∂h_t/∂h_{t−1}‖₂ ≤ γ_W γ_h used in chapters 6 and 7.
"""
from __future__ import annotations

import numpy as np

from .validation import check_activation

__all__ = ["phi", "phi_in_place", "phi_prime_from_h", "GAMMA", "gamma_h"]

GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}


def gamma_h(activation: str) -> float:
    """γ_h = sup_a |φ'(a)|: 1 for tanh, ReLU and linear, 1/4 for the sigmoid."""
    return GAMMA[check_activation(activation)]


def _sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5 * (1 + tanh(a/2)) is exact and never overflows, unlike 1/(1+exp(-a)).
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def phi(a: np.ndarray, activation: str, out: np.ndarray | None = None) -> np.ndarray:
    """Apply φ element-wise.  ``a`` has any shape; the result has the same shape."""
    check_activation(activation)
    if activation == "tanh":
        return np.tanh(a, out=out)
    if activation == "sigmoid":
        return _sigmoid(a, out=out)
    if activation == "relu":
        return np.maximum(a, 0.0, out=out)
    if out is None:
        return np.array(a, dtype=np.float64, copy=True)
    out[...] = a
    return out


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


#: φ as a function ``f(a, out)`` (writing φ(a) into ``out``), None for the identity.
#: For tanh it is the ufunc itself, so that a loop pays no Python call around it.
_INTO = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": _relu, "linear": None}


def phi_in_place(activation: str):
    """The function ``f(a, out)`` that writes φ(a) into ``out`` (``f(a, a)``: in place).

    ``a`` and ``out`` are float64 arrays of one shape.  ``None`` for ``"linear"``
    (nothing to do).  A forward loop looks it up once and calls it every step,
    instead of dispatching on the name each time.
    """
    return _INTO[check_activation(activation)]


def phi_prime_from_h(h: np.ndarray, activation: str, out: np.ndarray | None = None) -> np.ndarray:
    """φ'(a) expressed through h = φ(a).  Same shape as ``h``.

    For ReLU the derivative at the kink a = 0 is taken to be 0.
    """
    check_activation(activation)
    if activation == "tanh":
        out = np.multiply(h, h, out=out)
        np.subtract(1.0, out, out=out)
        return out
    if activation == "sigmoid":
        out = np.subtract(1.0, h, out=out)
        out *= h
        return out
    if activation == "relu":
        if out is None:
            return (h > 0).astype(np.float64)
        np.greater(h, 0.0, out=out)  # writes 0.0 / 1.0 into a float buffer
        return out
    if out is None:
        return np.ones_like(h, dtype=np.float64)
    out.fill(1.0)
    return out
