"""Every argument check of rnnlib, in one place and one message style.

Each check raises ``ValueError`` with a message of the form

    "<name>: expected <what was expected>, got <what was received>"

so that the offending argument is named as a whole word at the start of the
message.  Nothing in rnnlib fails silently or returns NaN quietly.

Scalars: :func:`check_int`, :func:`check_real`, :func:`check_bool`,
:func:`check_choice`, :func:`check_time_index`, :func:`check_truncate`,
:func:`check_chunk`.  Arrays: :func:`as_float_array`, :func:`check_shape`,
:func:`check_square`, :func:`check_inputs_X`, :func:`check_state`,
:func:`check_mask`, :func:`check_targets`.  Models: :func:`check_params`
checks any parameter dict whose keys follow the book's naming scheme
(``W_x*`` (n_in, H), ``W_h*`` (H, H), ``b_*`` (H,), ``W_yh`` (H, n_out),
``b_y`` (n_out,)), which the vanilla RNN, the LSTM and the GRU all use.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATIONS", "LOSSES", "PARAM_KEYS",
    "describe", "check_int", "check_real", "check_bool", "check_choice", "check_time_index",
    "check_truncate", "check_chunk",
    "as_float_array", "check_shape", "check_square", "check_inputs_X", "check_state", "check_mask",
    "check_activation", "check_loss", "check_params", "param_sizes", "check_targets", "check_sequence",
]

#: The vanilla RNN's parameter keys (GUIDE §4), in the order init_params draws them.
PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
LOSSES = ("softmax_ce", "mse")

_INTEGERS = (int, np.integer)
_REALS = (int, float, np.integer, np.floating)


def describe(x) -> str:
    """A short description of what was received, for error messages."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None"
    return f"{type(x).__name__} {x!r}"[:120]


# --------------------------------------------------------------------------- scalars
def check_int(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (not a bool) in [lo, hi]; either bound may be None."""
    if lo is not None and hi is not None:
        expected = f"an integer in [{lo}, {hi}]"
    elif lo is not None:
        expected = f"an integer >= {lo}"
    elif hi is not None:
        expected = f"an integer <= {hi}"
    else:
        expected = "an integer"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _INTEGERS):
        raise ValueError(f"{name}: expected {expected}, got {describe(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return int(value)


def check_real(name: str, value, *, lo: float = -np.inf, hi: float = np.inf,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real number (not a bool) in the interval from ``lo`` to ``hi``.

    The ends are closed unless ``lo_open`` / ``hi_open``; the defaults accept
    every finite number.
    """
    if lo == -np.inf and hi == np.inf:
        expected = "a finite real number"
    elif hi == np.inf and lo == 0 and lo_open:
        expected = "a positive finite number"
    elif hi == np.inf:
        expected = f"a finite number {'>' if lo_open else '>='} {lo:g}"
    else:
        expected = (f"a finite number in {'(' if lo_open else '['}{lo:g}, "
                    f"{hi:g}{')' if hi_open else ']'}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _REALS):
        raise ValueError(f"{name}: expected {expected}, got {describe(value)}")
    v = float(value)
    if (not np.isfinite(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi)):
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return v


def check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: expected True or False, got {describe(value)}")
    return bool(value)


def check_choice(name: str, value, options) -> str:
    """One of ``options`` (strings); a non-string is rejected with the same message."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, options))}, "
                         f"got {describe(value)}")
    return value


def check_time_index(name: str, t, lo: int, hi: int) -> int:
    """An integer step index in ``[lo, hi]``."""
    return check_int(name, t, lo, hi)


def check_truncate(truncate) -> int | None:
    """``truncate`` is None (full BPTT) or an integer τ >= 0."""
    if truncate is None:
        return None
    if isinstance(truncate, (bool, np.bool_)) or not isinstance(truncate, _INTEGERS) or truncate < 0:
        raise ValueError(f"truncate: expected None or an integer >= 0, got {describe(truncate)}")
    return int(truncate)


def check_chunk(chunk, name: str = "chunk") -> int | None:
    """A chunk length K: None (one chunk, full BPTT) or an integer >= 1."""
    if chunk is None:
        return None
    if isinstance(chunk, (bool, np.bool_)) or not isinstance(chunk, _INTEGERS) or chunk < 1:
        raise ValueError(f"{name}: expected None or an integer >= 1, got {describe(chunk)}")
    return int(chunk)


def check_activation(activation) -> str:
    return check_choice("activation", activation, ACTIVATIONS)


def check_loss(loss) -> str:
    return check_choice("loss", loss, LOSSES)


# --------------------------------------------------------------------------- arrays
def as_float_array(name: str, x, *, allow_nan_where=None) -> np.ndarray:
    """A private float64 copy of ``x``, refusing non-numeric, complex or non-finite data.

    ``allow_nan_where`` is an optional boolean mask (broadcastable to ``x``)
    of entries that are exempt from the finiteness check.
    """
    if x is None:
        raise ValueError(f"{name}: expected a numeric array, got None")
    if np.iscomplexobj(x):
        raise ValueError(f"{name}: expected a real array, got complex values "
                         f"({describe(np.asarray(x))})")
    try:
        # Always a private copy: a cache must never alias the caller's arrays.
        arr = np.array(x, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a numeric array, got {describe(x)}") from None
    bad = ~np.isfinite(arr)
    if allow_nan_where is not None:
        bad &= np.broadcast_to(allow_nan_where, arr.shape)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}: expected finite values, got {arr[idx]!r} at index {idx}")
    return arr


def check_shape(name: str, arr: np.ndarray, expected: tuple, meaning: str) -> None:
    """Raise unless ``arr.shape == expected``; ``meaning`` spells out the dims."""
    if arr.shape != tuple(expected):
        raise ValueError(f"{name}: expected shape {tuple(expected)} {meaning}, got shape {arr.shape}")


def check_square(name: str, W) -> np.ndarray:
    """A float64 copy of a square (H, H) matrix with H >= 1."""
    W = as_float_array(name, W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name}: expected a square matrix of shape (H, H) with H >= 1, "
                         f"got shape {W.shape}")
    return W


def check_inputs_X(X, n_in: int) -> np.ndarray:
    """Inputs of shape (T, m, n_in) with T >= 1 and m >= 1, as a float64 copy."""
    X = as_float_array("X", X)
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0 or X.shape[2] != n_in:
        raise ValueError(f"X: expected shape (T, m, {n_in}) with T >= 1 and m >= 1, "
                         f"got shape {X.shape}")
    return X


def check_state(name: str, state, m: int, H: int) -> np.ndarray:
    """An initial state (m, H), or zeros when ``state`` is None."""
    if state is None:
        return np.zeros((m, H))
    s = as_float_array(name, state)
    check_shape(name, s, (m, H), "(m, H)")
    return s


def check_mask(loss_mask, T: int, m: int) -> np.ndarray:
    """The (T, m) loss weights: all ones for None, else finite and non-negative."""
    if loss_mask is None:
        return np.ones((T, m))
    mask = as_float_array("loss_mask", loss_mask)
    check_shape("loss_mask", mask, (T, m), "(T, m)")
    if (mask < 0).any():
        idx = tuple(int(i) for i in np.argwhere(mask < 0)[0])
        raise ValueError(f"loss_mask: expected non-negative weights, got {mask[idx]!r} at index {idx}")
    return mask


# --------------------------------------------------------------------------- parameter dicts
def _role(key: str) -> str:
    """What a key's shape is made of: 'x' (n_in, H), 'h' (H, H), 'b' (H,), 'yh', 'by'."""
    if key == "W_yh":
        return "yh"
    if key == "b_y":
        return "by"
    if key.startswith("W_x"):
        return "x"
    if key.startswith("W_h"):
        return "h"
    if key.startswith("b_"):
        return "b"
    raise ValueError(f"keys: expected parameter names W_x*, W_h*, b_*, W_yh, b_y, got {key!r}")


def param_sizes(p: dict, keys) -> tuple[int, int, int]:
    """(n_in, H, n_out) of a checked parameter dict."""
    first_h = next(k for k in keys if _role(k) == "h")
    first_x = next(k for k in keys if _role(k) == "x")
    return p[first_x].shape[0], p[first_h].shape[0], p["W_yh"].shape[1]


def check_params(params, keys=PARAM_KEYS) -> dict:
    """Check a parameter dict with exactly ``keys`` and return float64 copies.

    The keys follow the book's scheme (``W_x*`` (n_in, H), ``W_h*`` (H, H),
    ``b_*`` (H,), ``W_yh`` (H, n_out), ``b_y`` (n_out,)); H is read from the first
    recurrent matrix, n_in from the first input matrix, n_out from W_yh, and every
    other array must agree.  A missing key is named, and so is an unknown one.
    """
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict with keys {list(keys)}, got {describe(params)}")
    for key in keys:
        if key not in params:
            raise ValueError(f"{key}: expected params to contain the key {key!r}, "
                             f"got only the keys {sorted(map(str, params))}")
    extra = [k for k in params if k not in keys]
    if extra:
        raise ValueError(f"{extra[0]}: expected only the parameter keys {list(keys)}, "
                         f"got the unknown key(s) {sorted(map(repr, extra))}")
    p = {key: as_float_array(key, params[key]) for key in keys}
    first_h = next(k for k in keys if _role(k) == "h")
    H = check_square(first_h, p[first_h]).shape[0]
    first_x = next(k for k in keys if _role(k) == "x")
    if p[first_x].ndim != 2 or p[first_x].shape[1] != H or p[first_x].shape[0] == 0:
        raise ValueError(f"{first_x}: expected shape (n_in, {H}) with n_in >= 1, "
                         f"got shape {p[first_x].shape}")
    n_in = p[first_x].shape[0]
    W_yh = p["W_yh"]
    if W_yh.ndim != 2 or W_yh.shape[0] != H or W_yh.shape[1] == 0:
        raise ValueError(f"W_yh: expected shape ({H}, n_out) with n_out >= 1, got shape {W_yh.shape}")
    n_out = W_yh.shape[1]
    expected = {"x": ((n_in, H), "(n_in, H)"), "h": ((H, H), "(H, H)"), "b": ((H,), "(H,)"),
                "yh": ((H, n_out), "(H, n_out)"), "by": ((n_out,), "(n_out,)")}
    for key in keys:
        shape, meaning = expected[_role(key)]
        check_shape(key, p[key], shape, meaning)
    return p


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
    if Y is not None and np.iscomplexobj(Y):
        raise ValueError(f"Y: expected real targets of shape ({T}, {m}, {n_out}), got complex values")
    try:
        Yc = None if Y is None else np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Y: expected numeric targets of shape ({T}, {m}, {n_out}), "
                         f"got {type(Y).__name__}") from None
    if Yc is None or Yc.shape != (T, m, n_out):
        got = "None" if Yc is None else f"shape {Yc.shape}"
        raise ValueError(f"Y: expected targets of shape ({T}, {m}, {n_out}), got {got}")
    return as_float_array("Y", Yc, allow_nan_where=active[..., None])


def check_sequence(X, Y, loss, loss_mask, n_in: int, n_out: int):
    """The data of one forward pass: ``(X, Y, mask)`` checked and converted.

    X (T, m, n_in) float64; Y as :func:`check_targets` returns it for ``loss``;
    mask (T, m) from :func:`check_mask`.  Every model's ``forward`` calls this.
    """
    check_loss(loss)
    X = check_inputs_X(X, n_in)
    T, m, _ = X.shape
    mask = check_mask(loss_mask, T, m)
    return X, check_targets(Y, loss, T, m, n_out, mask != 0), mask
