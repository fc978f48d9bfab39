"""The vanilla RNN: parameters and the forward pass (GUIDE §3).

Row-vector, mini-batch convention, time-major arrays, steps t = 1..T:

    a_t = X_t W_xh + h_{t−1} W_hh + b_h        (m, H)
    h_t = φ(a_t)                               (m, H)
    o_t = h_t W_yh + b_y                       (m, n_out)
    L   = Σ_t L_t                              (scalar)

Array index 0 of ``cache.h`` holds h_0, so ``cache.h[t]`` is h_t for
t = 0..T, while ``X[t-1]``, ``cache.o[t-1]`` hold X_t and o_t.
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
)

__all__ = ["Cache", "init_params", "forward"]


@dataclass
class Cache:
    """Everything the backward pass needs, produced by :func:`forward`.

    Attributes
    ----------
    X : (T, m, n_in) inputs.
    h : (T+1, m, H) hidden states; ``h[0]`` is h_0.
    o : (T, m, n_out) logits (or predictions, for mse).
    dO : (T, m, n_out) ∂L/∂o_t for every step (mask and 1/m included).
    loss : float, the value of L.
    activation, loss_name : the choices made in :func:`forward`.
    h0_given : whether h_0 was passed in (otherwise it is zero).
    """

    X: np.ndarray
    h: np.ndarray
    o: np.ndarray
    dO: np.ndarray
    loss: float
    activation: str
    loss_name: str
    h0_given: bool
    loss_mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def m(self) -> int:
        return self.X.shape[1]


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

    if loss == "softmax_ce":
        try:
            Yarr = np.asarray(Y)
        except Exception:  # pragma: no cover - exotic objects
            raise ValueError(f"Y: expected integer labels of shape ({T}, {m}), got {type(Y).__name__}") from None
        if Yarr.shape != (T, m):
            raise ValueError(f"Y: expected integer labels of shape ({T}, {m}), got shape {Yarr.shape}")
        if not (np.issubdtype(Yarr.dtype, np.integer) or np.issubdtype(Yarr.dtype, np.floating)):
            raise ValueError(f"Y: expected integer labels, got dtype {Yarr.dtype}")
        vals = Yarr[active].astype(np.float64)
        bad = ~np.isfinite(vals) | (vals != np.round(vals)) | (vals < 0) | (vals >= n_out)
        if bad.any():
            raise ValueError(
                f"Y: expected integer labels in [0, {n_out - 1}], got {vals[bad][0]!r}"
            )
        Yc = np.where(active, np.nan_to_num(Yarr.astype(np.float64)), 0).astype(np.intp)
    else:
        Yc = np.asarray(Y, dtype=np.float64) if Y is not None else None
        if Yc is None or Yc.shape != (T, m, n_out):
            got = "None" if Yc is None else f"shape {Yc.shape}"
            raise ValueError(f"Y: expected targets of shape ({T}, {m}, {n_out}), got {got}")
        Yc = as_float_array("Y", Yc, allow_nan_where=active[..., None])

    if h0 is None:
        h0a = np.zeros((m, H))
    else:
        h0a = as_float_array("h0", h0)
        check_shape("h0", h0a, (m, H), "(m, H)")
    return p, X, Yc, h0a, mask


def forward(params, X, Y, *, h0=None, activation="tanh", loss="softmax_ce", loss_mask=None):
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

    Returns
    -------
    loss : float, L = Σ_t (1/m) Σ_i mask[t, i] ℓ_t[i].
    cache : :class:`Cache` with ``cache.h`` of shape (T+1, m, H).
    """
    p, X, Y, h0a, mask = _check_inputs(params, X, Y, h0, activation, loss, loss_mask)
    T, m, _ = X.shape
    H = p["W_hh"].shape[0]

    h = np.empty((T + 1, m, H))
    h[0] = h0a
    # Hoisted input projection: X_t W_xh + b_h for every t in one matmul.
    A = (X.reshape(T * m, -1) @ p["W_xh"]).reshape(T, m, H)
    A += p["b_h"]
    for t in range(1, T + 1):
        a_t = A[t - 1]
        a_t += h[t - 1] @ p["W_hh"]
        phi(a_t, activation, out=h[t])
    # Output layer for all steps at once.
    o = (h[1:].reshape(T * m, H) @ p["W_yh"]).reshape(T, m, -1)
    o += p["b_y"]
    L, dO = loss_and_dlogits(o, Y, loss, mask / m)
    cache = Cache(
        X=X, h=h, o=o, dO=dO, loss=L, activation=activation, loss_name=loss,
        h0_given=h0 is not None, loss_mask=None if loss_mask is None else mask,
    )
    return L, cache
