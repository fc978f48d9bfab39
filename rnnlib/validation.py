"""Every argument check of rnnlib, in one place and one message style.

Each check raises ``ValueError`` with a message of the form

    "<name>: expected <what was expected>, got <what was received>"

so that the offending argument is named as a whole word at the start of the
message.  Nothing in rnnlib fails silently or returns NaN quietly.

The contract (GUIDE §4, grown by issue 16):

* non-finite or complex input is a ``ValueError`` naming the argument (for a
  parameter, its key); so are wrong shapes, T = 0, m = 0, H = 0, a non-string
  or unknown ``activation``/``loss``, labels out of range and missing keys;
* an unknown parameter key is a ``ValueError`` naming that key;
* a loss mask must be finite and non-negative (:func:`check_mask`);
* a seed is an integer >= 0 or a ``numpy.random.Generator``, never a bool
  (:func:`check_seed`);
* every public function that takes a cache checks that it belongs to the
  params: the sizes, the type of every field and the finiteness of what the
  backward pass reads (:func:`check_cache_core`, :func:`cache_array`; the
  message names ``cache``);
* overflow in a forward or backward pass — the data were fine, the numbers
  exploded — raises :class:`NumericalOverflow`, a ``FloatingPointError`` whose
  message names the quantity and the step t (:func:`check_finite_steps`).

Checks on data are vectorised reductions, one per array and call.

Scalars: :func:`check_int`, :func:`check_real`, :func:`check_bool`,
:func:`check_choice`, :func:`check_time_index`, :func:`check_truncate`,
:func:`check_chunk`, :func:`check_seed`.  Arrays: :func:`as_float_array`,
:func:`check_shape`, :func:`check_square`, :func:`check_inputs_X`,
:func:`check_state`, :func:`check_mask`, :func:`check_targets`.  Models:
:func:`check_params` checks any parameter dict whose keys follow the book's
naming scheme (``W_x*`` (n_in, H), ``W_h*`` (H, H), ``b_*`` (H,), ``W_yh``
(H, n_out), ``b_y`` (n_out,)), which the vanilla RNN, the LSTM and the GRU all
use.  Caches: :func:`check_cache_core`, :func:`cache_array`, :func:`cache_flag`,
:func:`cache_outputs`.  Overflow:
:class:`NumericalOverflow`, :func:`all_finite`, :func:`check_finite_steps`,
:func:`check_finite_result`, :func:`check_finite_grads`.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "ACTIVATIONS", "LOSSES", "PARAM_KEYS",
    "describe", "check_int", "check_real", "check_bool", "check_choice", "check_time_index",
    "check_truncate", "check_chunk",
    "as_float_array", "check_shape", "check_square", "check_inputs_X", "check_state", "check_mask",
    "check_activation", "check_loss", "check_params", "param_sizes", "check_targets", "check_sequence",
    "check_seed", "check_callable", "NumericalOverflow", "all_finite", "first_nonfinite",
    "check_finite_steps", "check_finite_result", "check_finite_grads", "cache_array", "cache_flag", "cache_outputs", "check_cache_core",
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
def as_float_array(name: str, x, *, allow_nan_where=None, copy: bool = True) -> np.ndarray:
    """A float64 array of ``x``, refusing non-numeric, complex or non-finite data.

    ``allow_nan_where`` is an optional boolean mask (broadcastable to ``x``)
    of entries that are exempt from the finiteness check.  ``copy=True`` (the
    default) always returns a private copy, which is what a cache needs (it must
    never alias the caller's arrays); ``copy=False`` returns ``x`` itself when it
    already is a float64 array, for callers that only read it (the parameters in
    :func:`rnnlib.forward` and :func:`rnnlib.bptt`).  The checks are the same.
    """
    if x is None:
        raise ValueError(f"{name}: expected a numeric array, got None")
    if np.iscomplexobj(x):
        raise ValueError(f"{name}: expected a real array, got complex values "
                         f"({describe(np.asarray(x))})")
    try:
        # By default a private copy: a cache must never alias the caller's arrays.
        arr = np.array(x, dtype=np.float64, copy=True) if copy else np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a numeric array, got {describe(x)}") from None
    if allow_nan_where is None and all_finite(arr):
        return arr
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


def check_inputs_X(X, n_in: int, *, copy: bool = True) -> np.ndarray:
    """Inputs of shape (T, m, n_in) with T >= 1 and m >= 1, as a float64 copy
    (``copy=False``: the caller's float64 array itself, for a caller that copies it)."""
    X = as_float_array("X", X, copy=copy)
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


@functools.lru_cache(maxsize=32)
def _shape_plan(keys: tuple):
    """For each key of ``keys``, which of (n_in, H, n_out) its shape is made of."""
    dims = {"x": ("n_in", "H"), "h": ("H", "H"), "b": ("H",), "yh": ("H", "n_out"), "by": ("n_out",)}
    return tuple((key, dims[_role(key)]) for key in keys)


def _checked_fast(params, keys):
    """``params`` as a dict in the order of ``keys`` if it passes every check of
    :func:`check_params` at once, else None.

    The common case, a dict of finite float64 arrays of consistent shapes, costs
    a few attribute reads and one summed reduction per array (see
    :func:`all_finite`); anything else (a missing or unknown key, another type,
    a wrong shape, a non-finite or complex entry) returns None, and the exact
    checks then name the problem.
    """
    if type(params) is not dict or len(params) != len(keys) or type(keys) is not tuple:
        return None
    try:
        plan = _shape_plan(keys)
        arrays = [params[key] for key in keys]
    except (KeyError, ValueError, TypeError):
        return None
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != np.float64:
            return None
    sizes = {}
    for (key, dims), a in zip(plan, arrays):
        if a.ndim != len(dims):
            return None
        for dim, n in zip(dims, a.shape):
            if n == 0 or sizes.setdefault(dim, n) != n:
                return None
    with np.errstate(over="ignore", invalid="ignore"):
        total = 0.0
        for a in arrays:
            total += np.add.reduce(a, axis=None)
    if not np.isfinite(total):
        return None
    return dict(zip(keys, arrays))


def check_params(params, keys=PARAM_KEYS, *, copy: bool = True) -> dict:
    """Check a parameter dict with exactly ``keys`` and return float64 copies.

    ``copy=False`` returns the caller's float64 arrays themselves (the same
    checks, no copies), for the hot paths that only read them
    (:func:`rnnlib.forward`, :func:`rnnlib.bptt`).

    The keys follow the book's scheme (``W_x*`` (n_in, H), ``W_h*`` (H, H),
    ``b_*`` (H,), ``W_yh`` (H, n_out), ``b_y`` (n_out,)); H is read from the first
    recurrent matrix, n_in from the first input matrix, n_out from W_yh, and every
    other array must agree.  A missing key is named, and so is an unknown one.
    """
    fast = _checked_fast(params, keys)
    if fast is not None:
        return {key: np.array(a, copy=True) for key, a in fast.items()} if copy else fast
    # The exact checks, in order; they name the first problem.
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
    p = {key: as_float_array(key, params[key], copy=copy) for key in keys}
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
        if np.issubdtype(Yarr.dtype, np.signedinteger):
            # Fast path for integer labels: two reductions instead of a float copy;
            # any label out of range falls through to the exact check below.
            labels = Yarr.astype(np.intp)
            if not active.all():
                labels[~active] = 0
            if labels.size and 0 <= labels.min() and labels.max() < n_out:
                return labels
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


def check_sequence(X, Y, loss, loss_mask, n_in: int, n_out: int, *, copy_X: bool = True):
    """The data of one forward pass: ``(X, Y, mask)`` checked and converted.

    X (T, m, n_in) float64 (a copy unless ``copy_X=False``); Y as
    :func:`check_targets` returns it for ``loss``; mask (T, m) from
    :func:`check_mask`.  Every model's ``forward`` calls this.
    """
    check_loss(loss)
    X = check_inputs_X(X, n_in, copy=copy_X)
    T, m, _ = X.shape
    mask = check_mask(loss_mask, T, m)
    return X, check_targets(Y, loss, T, m, n_out, mask != 0), mask


# --------------------------------------------------------------------------- seeds and callables
def check_seed(seed, name: str = "seed"):
    """A seed: an integer >= 0 (not a bool) or a ``numpy.random.Generator``, returned as given.

    :func:`rnnlib.initialisation.rng_from` turns it into a generator; every
    function of rnnlib that takes a seed goes through it, so a bad seed is
    always named (``seed``, ``param_seed`` …).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, _INTEGERS) or seed < 0:
        raise ValueError(f"{name}: expected an integer >= 0 or a numpy Generator, got {describe(seed)}")
    return int(seed)


def check_callable(name: str, f):
    """``f`` must be callable (a function of the arguments the caller documents)."""
    if not callable(f):
        raise ValueError(f"{name}: expected a callable, got {describe(f)}")
    return f


# --------------------------------------------------------------------------- overflow
class NumericalOverflow(FloatingPointError):
    """A forward or backward pass overflowed: a computed quantity became inf or NaN.

    This is not bad input (that is a ``ValueError``): every input was finite,
    and the numbers exploded on the way, as the book's exploding-gradient
    chapters predict.  The message names the quantity and the step;
    the attributes say the same for code that expects divergence (the training
    loop catches ``FloatingPointError`` and records where the run diverged):

    quantity : str, e.g. ``"h_t"``, ``"δ_t"``, ``"L_t"`` or a gradient key.
    step : int or None, the step t (None when the quantity has no single step).
    where : str, e.g. ``"forward pass"``, ``"backward pass"``.
    """

    def __init__(self, message: str, *, quantity: str, step: int | None = None, where: str = ""):
        super().__init__(message)
        self.quantity = quantity
        self.step = step
        self.where = where


def all_finite(arr: np.ndarray) -> bool:
    """Whether every entry of the array ``arr`` is finite: one vectorised reduction.

    For float arrays the test is the sum: a sum of finite numbers is finite
    unless it overflows, and any inf or NaN makes it inf or NaN.  So a finite sum
    proves every entry finite, in one pass and without a boolean temporary; only
    when the sum is not finite is the exact (slower) elementwise test run.
    """
    if arr.dtype.kind == "f" and arr.size:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(arr, axis=None)):
                return True
    return bool(np.isfinite(arr).all())


def first_nonfinite(arr: np.ndarray, *, last: bool = False) -> int | None:
    """Index along axis 0 of the first (``last``: the last) slice of ``arr`` with an inf or NaN.

    None when every entry is finite.  ``arr`` has shape (n, ...).
    """
    bad = ~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1)
    idx = np.flatnonzero(bad)
    if idx.size == 0:
        return None
    return int(idx[-1] if last else idx[0])


def check_finite_steps(quantity: str, arr: np.ndarray, *, first_step: int, where: str,
                       backward: bool = False, hint: str = "") -> None:
    """Raise :class:`NumericalOverflow` unless every entry of ``arr`` is finite.

    ``arr`` has shape (n, ...); slice j holds ``quantity`` at step
    ``first_step + j``.  A forward recursion names its first non-finite step; a
    backward one (``backward=True``, running from t = T down) its last, which
    is where it overflowed first.  The message also gives the largest magnitude
    one step earlier in the recursion, so the reader sees the explosion.
    The happy path costs one ``isfinite`` reduction.
    """
    if all_finite(arr):
        return
    j = first_nonfinite(arr, last=backward)
    t = first_step + j
    bad = arr[j][~np.isfinite(arr[j])].flat[0]
    before = ""
    prev = j + 1 if backward else j - 1
    if 0 <= prev < arr.shape[0]:
        size = float(np.max(np.abs(arr[prev])))
        before = f"; max |{quantity}| at step {first_step + prev} was {size:.3g}"
    raise NumericalOverflow(f"{quantity}: the {where} overflowed at step t = {t}: expected finite "
                            f"values, got {float(bad)!r}{before}{hint}",
                            quantity=quantity, step=t, where=where)


def check_finite_result(quantity: str, arr: np.ndarray, *, where: str, step: int | None = None,
                        detail: str = "") -> np.ndarray:
    """Raise :class:`NumericalOverflow` unless the computed ``arr`` is finite; returns it.

    For results without a step axis (a gradient summed over steps, a Jacobian
    product); ``step`` and ``detail`` say where, when the caller knows.
    """
    if all_finite(arr):
        return arr
    idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
    at = f" at step {step}" if step is not None else ""
    raise NumericalOverflow(f"{quantity}: the {where} overflowed{at}: expected finite values, got "
                            f"{float(arr[idx])!r} at index {idx}{detail}",
                            quantity=quantity, step=step, where=where)


def check_finite_grads(grads: dict, *, where: str = "backward pass", step: int | None = None,
                       detail: str = "") -> dict:
    """Raise :class:`NumericalOverflow` naming the first key of ``grads`` whose array is not finite.

    One reduction per array (a summed check, as :func:`all_finite`); returns ``grads``.
    """
    if all(isinstance(g, np.ndarray) and g.dtype.kind == "f" for g in grads.values()):
        with np.errstate(over="ignore", invalid="ignore"):
            total = 0.0
            for g in grads.values():
                total += np.add.reduce(g, axis=None)
        if np.isfinite(total):
            return grads
    for key, g in grads.items():
        check_finite_result(str(key), g, where=where, step=step, detail=detail)
    return grads


# --------------------------------------------------------------------------- caches
def cache_array(cache, field: str, shape: tuple, meaning: str, *, optional: bool = False,
                finite: bool = True, allow_nan_where=None):
    """``cache.<field>``: a float64 array of exactly ``shape`` with finite entries.

    ``optional``: None is accepted (and returned).  ``allow_nan_where`` exempts
    entries from the finiteness check (masked targets).  Every message names
    ``cache``.
    """
    arr = getattr(cache, field, None)
    if arr is None and optional:
        return None
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float64:
        raise ValueError(f"cache: expected cache.{field} to be a float64 array of shape "
                         f"{tuple(shape)} {meaning}, got {describe(arr)}")
    if arr.shape != tuple(shape):
        raise ValueError(f"cache: expected cache.{field} of shape {tuple(shape)} {meaning}, "
                         f"got shape {arr.shape}")
    if finite and not (allow_nan_where is None and all_finite(arr)):
        ok = np.isfinite(arr)
        if allow_nan_where is not None:
            ok |= np.broadcast_to(allow_nan_where, arr.shape)
        if not ok.all():
            idx = tuple(int(i) for i in np.argwhere(~ok)[0])
            raise ValueError(f"cache: expected finite values in cache.{field}, got {arr[idx]!r} "
                             f"at index {idx} (was the cache changed after the forward pass?)")
    return arr


def cache_flag(cache, field: str) -> bool:
    """``cache.<field>`` must be True or False (the message names ``cache``)."""
    value = getattr(cache, field, None)
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"cache: expected cache.{field} to be True or False, got {describe(value)}")
    return bool(value)


def cache_outputs(cache, T: int, m: int, n_out: int | None = None) -> int:
    """``cache.o`` (logits) and ``cache.dO`` (∂L/∂o_t): float64 (T, m, n_out); returns n_out.

    ``dO``, which the backward pass reads, must be finite; ``o`` is only
    type- and shape-checked.  ``n_out`` comes from checked params; when it is
    None it is read from ``cache.dO``.  A wrong n_out (params of another
    network) names ``cache``.
    """
    if n_out is None:
        dO = getattr(cache, "dO", None)
        if not (isinstance(dO, np.ndarray) and dO.ndim == 3 and dO.shape[2] >= 1):
            raise ValueError(f"cache: expected cache.dO to be a float64 array of shape "
                             f"({T}, {m}, n_out) with n_out >= 1, got {describe(dO)}")
        n_out = dO.shape[2]
    cache_array(cache, "dO", (T, m, n_out), f"(T, m, n_out) for n_out = {n_out}")
    cache_array(cache, "o", (T, m, n_out), f"(T, m, n_out) for n_out = {n_out}", finite=False)
    return n_out


def check_cache_core(cache, sizes=None, *, network: str = "a network") -> tuple[int, int, int]:
    """Check the fields every model's cache shares and return ``(T, m, H)``.

    ``cache.X`` (T, m, n_in) and ``cache.h`` (T+1, m, H): float64, finite,
    T, m, n_in, H >= 1; ``cache.loss`` a finite float; ``cache.loss_name`` one
    of :data:`LOSSES`; ``cache.h0_given`` a bool; ``cache.loss_mask`` None or
    (T, m), finite and non-negative.  ``sizes`` = (n_in, H) of checked params
    (or None) must match X and h.  Every message names ``cache``.  The model's
    own fields (logits, gates …) are checked by its ``check_cache`` with
    :func:`cache_array`.
    """
    X = getattr(cache, "X", None)
    if (not isinstance(X, np.ndarray) or X.dtype != np.float64 or X.ndim != 3 or 0 in X.shape):
        raise ValueError(f"cache: expected cache.X to be a float64 array of shape (T, m, n_in) "
                         f"with T, m, n_in >= 1, got {describe(X)}")
    T, m, n_in = X.shape
    h = getattr(cache, "h", None)
    if (not isinstance(h, np.ndarray) or h.dtype != np.float64 or h.ndim != 3
            or h.shape[:2] != (T + 1, m) or h.shape[2] == 0):
        raise ValueError(f"cache: expected cache.h to be a float64 array of shape ({T + 1}, {m}, H) "
                         f"with H >= 1, got {describe(h)}")
    H = h.shape[2]
    if sizes is not None and (n_in, H) != tuple(sizes):
        raise ValueError(f"cache: expected a cache of {network} with n_in = {sizes[0]} and "
                         f"H = {sizes[1]} (X of shape (T, m, {sizes[0]}), h of shape "
                         f"(T+1, m, {sizes[1]})), got X of shape {X.shape} and h of shape {h.shape}")
    cache_array(cache, "X", X.shape, "(T, m, n_in)")
    cache_array(cache, "h", h.shape, "(T+1, m, H)")
    loss = getattr(cache, "loss", None)
    if isinstance(loss, (bool, np.bool_)) or not isinstance(loss, _REALS) or not np.isfinite(loss):
        raise ValueError(f"cache: expected cache.loss to be a finite number, got {describe(loss)}")
    name = getattr(cache, "loss_name", None)
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"cache: expected cache.loss_name to be one of "
                         f"{', '.join(map(repr, LOSSES))}, got {describe(name)}")
    cache_flag(cache, "h0_given")
    mask = cache_array(cache, "loss_mask", (T, m), "(T, m)", optional=True)
    if mask is not None and (mask < 0).any():
        raise ValueError(f"cache: expected non-negative weights in cache.loss_mask, "
                         f"got {float(mask.min())!r}")
    return T, m, H

