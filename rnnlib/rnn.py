"""The vanilla RNN: parameters and the forward pass (GUIDE §3).

Row-vector, mini-batch convention, time-major arrays, steps t = 1..T:

    a_t = X_t W_xh + h_{t−1} W_hh + b_h        (m, H)
    h_t = φ(a_t)                               (m, H)
    o_t = h_t W_yh + b_y                       (m, n_out)
    L   = Σ_t L_t                              (scalar)

Array index 0 of ``cache.h`` holds h_0, so ``cache.h[t]`` is h_t for
t = 0..T, while ``X[t-1]``, ``cache.o[t-1]`` hold X_t and o_t.

Memory.  By default the cache keeps h, the logits o and ∂L/∂o (about
(H + 2·n_out)·m·T floats besides X).  With ``forward(..., lean=True)`` it keeps
only h: the backward pass recomputes o_t and ∂L/∂o_t from h_t, a few steps at
a time, which costs one extra output matmul and gives identical gradients.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import phi
from .losses import loss_and_dlogits
from .validation import (
    PARAM_KEYS,
    as_float_array,
    check_activation,
    check_loss,
    check_params,
    check_shape,
    check_targets,
)

__all__ = ["Cache", "init_params", "forward"]

#: Work on the output layer and the loss is done a block of steps at a time,
#: with about this many floats per (steps × m × width) block, so temporaries
#: stay small however long the sequence is.
BLOCK_FLOATS = 1 << 18


def _time_blocks(T: int, m: int, width: int) -> list[tuple[int, int]]:
    """Split steps 1..T into consecutive blocks ``(s, e)`` (steps s+1..e).

    Each block holds about :data:`BLOCK_FLOATS` floats of an (steps, m, width)
    array; short sequences are a single block ``[(0, T)]``.
    """
    steps = max(1, BLOCK_FLOATS // max(1, m * width))
    return [(s, min(s + steps, T)) for s in range(0, T, steps)]


@dataclass
class Cache:
    """Everything the backward pass needs, produced by :func:`forward`.

    Attributes
    ----------
    X : (T, m, n_in) inputs.
    h : (T+1, m, H) hidden states; ``h[0]`` is h_0.
    o : (T, m, n_out) logits (or predictions, for mse); None if ``lean``.
    dO : (T, m, n_out) ∂L/∂o_t for every step (mask and 1/m included); None if ``lean``.
    loss : float, the value of L.
    activation, loss_name : the choices made in :func:`forward`.
    h0_given : whether h_0 was passed in (otherwise it is zero).
    Y : the checked targets, kept so that a lean cache can recompute ∂L/∂o_t.
    lean : whether o and dO were dropped (see :func:`forward`).
    """

    X: np.ndarray
    h: np.ndarray
    o: np.ndarray | None
    dO: np.ndarray | None
    loss: float
    activation: str
    loss_name: str
    h0_given: bool
    loss_mask: np.ndarray | None = field(default=None, repr=False)
    Y: np.ndarray | None = field(default=None, repr=False)
    lean: bool = False

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def m(self) -> int:
        return self.X.shape[1]

    def weights(self) -> np.ndarray:
        """(T, m) loss weights w[t, i] / m (the mask, or ones, divided by m)."""
        mask = np.ones((self.T, self.m)) if self.loss_mask is None else self.loss_mask
        return mask / self.m


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed: int = 0) -> dict:
    """Random parameters with weights ~ N(0, 1/fan_in) and zero biases.

    Returns a dict with exactly the keys ``W_xh`` (n_in, H), ``W_hh`` (H, H),
    ``b_h`` (H,), ``W_yh`` (H, n_out) and ``b_y`` (n_out,), all float64.
    """
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    return {
        "W_xh": rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_hidden)),
        "W_hh": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, n_hidden)),
        "b_h": np.zeros(n_hidden),
        "W_yh": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, n_out)),
        "b_y": np.zeros(n_out),
    }


def _check_inputs(params, X, Y, h0, activation, loss, loss_mask):
    """Validate and convert every argument of :func:`forward`."""
    check_activation(activation)
    check_loss(loss)
    p = check_params(params, PARAM_KEYS)
    n_in, H = p["W_xh"].shape
    n_out = p["W_yh"].shape[1]

    X = as_float_array("X", X)
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0 or X.shape[2] != n_in:
        raise ValueError(
            f"X: expected shape (T, m, {n_in}) with T >= 1 and m >= 1, got shape {X.shape}"
        )
    T, m, _ = X.shape

    if loss_mask is None:
        mask = np.ones((T, m))
    else:
        mask = as_float_array("loss_mask", loss_mask)
        check_shape("loss_mask", mask, (T, m), "(T, m)")
    active = mask != 0

    Yc = check_targets(Y, loss, T, m, n_out, active)

    if h0 is None:
        h0a = np.zeros((m, H))
    else:
        h0a = as_float_array("h0", h0)
        check_shape("h0", h0a, (m, H), "(m, H)")
    return p, X, Yc, h0a, mask


def forward(params, X, Y, *, h0=None, activation="tanh", loss="softmax_ce", loss_mask=None,
            lean=False):
    """Run the RNN over a sequence and return ``(loss, cache)``.

    Parameters
    ----------
    params : dict from :func:`init_params`.
    X : (T, m, n_in) inputs, time-major.
    Y : (T, m) int labels (``loss="softmax_ce"``) or (T, m, n_out) targets (``"mse"``).
    h0 : (m, H) initial state, or None for zeros.
    activation : "tanh", "sigmoid", "relu" or "linear".
    loss : "softmax_ce" or "mse".
    loss_mask : None or (T, m) weights; where it is 0 the step's loss is not counted.
    lean : if True, keep only the hidden states: ``cache.o`` and ``cache.dO`` are
        None and :func:`rnnlib.bptt` recomputes them block by block.  The peak
        memory of forward + bptt is then about that of h alone; the gradients
        are identical.

    Returns
    -------
    loss : float, L = Σ_t (1/m) Σ_i mask[t, i] ℓ_t[i].
    cache : :class:`Cache` with ``cache.h`` of shape (T+1, m, H).
    """
    if not isinstance(lean, (bool, np.bool_)):
        raise ValueError(f"lean: expected True or False, got {lean!r}")
    p, X, Y, h0a, mask = _check_inputs(params, X, Y, h0, activation, loss, loss_mask)
    T, m, n_in = X.shape
    H, n_out = p["W_yh"].shape

    # h[1:] first holds the hoisted input projection X_t W_xh + b_h for every t
    # (one matmul); step t then adds h_{t−1} W_hh and applies φ in place.
    h = np.empty((T + 1, m, H))
    h[0] = h0a
    np.matmul(X.reshape(T * m, n_in), p["W_xh"], out=h[1:].reshape(T * m, H))
    h[1:] += p["b_h"]
    for t in range(1, T + 1):
        h[t] += h[t - 1] @ p["W_hh"]                   # a_t
        phi(h[t], activation, out=h[t])                # h_t = φ(a_t)

    # Output layer and loss: one matmul per block of steps (a single block
    # unless the sequence is long).
    weights = mask / m
    o = None if lean else np.empty((T, m, n_out))
    dO = None if lean else np.empty((T, m, n_out))
    L = 0.0
    for s, e in _time_blocks(T, m, max(H, n_out)):
        o_b = _output_layer(p, h[s + 1:e + 1], out=None if lean else o[s:e])
        L_b, dO_b = loss_and_dlogits(o_b, Y[s:e], loss, weights[s:e])
        L += L_b
        if not lean:
            dO[s:e] = dO_b
    cache = Cache(
        X=X, h=h, o=o, dO=dO, loss=L, activation=activation, loss_name=loss,
        h0_given=h0 is not None, loss_mask=None if loss_mask is None else mask,
        Y=Y, lean=bool(lean),
    )
    return L, cache


def _output_layer(p: dict, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """o_t = h_t W_yh + b_y for a block of steps: h (n, m, H) -> o (n, m, n_out).

    ``out``, if given, is a C-contiguous (n, m, n_out) array that receives o.
    """
    n, m, H = h.shape
    if out is None:
        out = np.empty((n, m, p["W_yh"].shape[1]))
    np.matmul(h.reshape(n * m, H), p["W_yh"], out=out.reshape(n * m, -1))
    out += p["b_y"]
    return out
