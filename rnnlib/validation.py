"""Input checking shared by every public function.

Every check raises ``ValueError`` with a message of the form

    "<name>: expected <what was expected>, got <what was received>"

so that the offending argument is named as a whole word at the start of the
message.  Nothing in rnnlib fails silently or returns NaN quietly.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "PARAM_KEYS",
    "as_float_array",
    "check_activation",
    "check_loss",
    "check_params",
    "check_targets",
    "check_time_index",
]

PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
LOSSES = ("softmax_ce", "mse")


def _describe(x) -> str:
    """A short description of what was received, for error messages."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None"
    return f"{type(x).__name__} {x!r}"[:120]


def as_float_array(name: str, x, *, allow_nan_where=None) -> np.ndarray:
    """Convert ``x`` to a float64 array, refusing non-numeric or non-finite data.

    ``allow_nan_where`` is an optional boolean mask (broadcastable to ``x``)
    of entries that are exempt from the finiteness check.
    """
    if x is None:
        raise ValueError(f"{name}: expected a numeric array, got None")
    try:
        # Always a private copy: a cache must never alias the caller's arrays.
        arr = np.array(x, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a numeric array, got {_describe(x)}") from None
    bad = ~np.isfinite(arr)
    if allow_nan_where is not None:
        bad &= np.broadcast_to(allow_nan_where, arr.shape)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name}: expected finite values, got {arr[idx]!r} at index {idx}"
        )
    return arr


def check_shape(name: str, arr: np.ndarray, expected: tuple, meaning: str) -> None:
    """Raise unless ``arr.shape == expected``; ``meaning`` spells out the dims."""
    if arr.shape != tuple(expected):
        raise ValueError(
            f"{name}: expected shape {tuple(expected)} {meaning}, got shape {arr.shape}"
        )


def check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, "
            f"got {activation!r}"
        )
    return activation


def check_loss(loss) -> str:
    if loss not in LOSSES:
        raise ValueError(
            f"loss: expected one of {', '.join(map(repr, LOSSES))}, got {loss!r}"
        )
    return loss


def check_params(params, keys=PARAM_KEYS) -> dict:
    """Check a vanilla-RNN parameter dict and return float64 copies.

    Shapes (GUIDE §3): W_xh (n_in, H), W_hh (H, H), b_h (H,), W_yh (H, n_out),
    b_y (n_out,).
    """
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict with keys {list(keys)}, got {_describe(params)}")
    for key in keys:
        if key not in params:
            raise ValueError(
                f"{key}: expected params to contain the key {key!r}, "
                f"got only the keys {sorted(params)}"
            )
    p = {key: as_float_array(key, params[key]) for key in keys}
    W_hh = p["W_hh"]
    if W_hh.ndim != 2 or W_hh.shape[0] != W_hh.shape[1] or W_hh.shape[0] == 0:
        raise ValueError(f"W_hh: expected a square matrix of shape (H, H) with H >= 1, got shape {W_hh.shape}")
    H = W_hh.shape[0]
    if p["W_xh"].ndim != 2 or p["W_xh"].shape[1] != H or p["W_xh"].shape[0] == 0:
        raise ValueError(f"W_xh: expected shape (n_in, {H}) with n_in >= 1, got shape {p['W_xh'].shape}")
    check_shape("b_h", p["b_h"], (H,), "(H,)")
    if p["W_yh"].ndim != 2 or p["W_yh"].shape[0] != H or p["W_yh"].shape[1] == 0:
        raise ValueError(f"W_yh: expected shape ({H}, n_out) with n_out >= 1, got shape {p['W_yh'].shape}")
    check_shape("b_y", p["b_y"], (p["W_yh"].shape[1],), "(n_out,)")
    return p


def check_time_index(name: str, t, lo: int, hi: int) -> int:
    """Check that ``t`` is an integer in ``[lo, hi]``."""
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {_describe(t)}")
    if not lo <= t <= hi:
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {t}")
    return int(t)


def check_targets(Y, loss: str, T: int, m: int, n_out: int, active: np.ndarray) -> np.ndarray:
    """Check ``Y`` for ``loss`` and return it ready for :func:`rnnlib.losses.loss_and_dlogits`.

    softmax_ce: int labels (T, m) in [0, n_out), returned as intp; mse: targets
    (T, m, n_out), returned as float64.  Entries where ``active`` (T, m) is False
    are not checked (masked steps accept anything, even NaN).
    """
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
            raise ValueError(f"Y: expected integer labels in [0, {n_out - 1}], got {vals[bad][0]!r}")
        return np.where(active, np.nan_to_num(Yarr.astype(np.float64)), 0).astype(np.intp)
    try:
        Yc = None if Y is None else np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Y: expected numeric targets of shape ({T}, {m}, {n_out}), "
                         f"got {type(Y).__name__}") from None
    if Yc is None or Yc.shape != (T, m, n_out):
        got = "None" if Yc is None else f"shape {Yc.shape}"
        raise ValueError(f"Y: expected targets of shape ({T}, {m}, {n_out}), got {got}")
    return as_float_array("Y", Yc, allow_nan_where=active[..., None])
