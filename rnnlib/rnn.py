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

import math
import sys
import threading
from dataclasses import dataclass, field

import numpy as np

from .activations import phi_in_place
from .initialisation import init_weights
from .losses import checked_loss_and_dlogits, loss_and_dlogits
from .validation import (
    ACTIVATIONS,
    PARAM_KEYS,
    cache_array,
    cache_flag,
    cache_outputs,
    check_activation,
    check_bool,
    check_cache_core,
    check_finite_steps,
    check_inputs_X,
    check_loss,
    check_params,
    check_sequence,
    check_state,
    describe,
)

__all__ = ["Cache", "CacheShape", "check_cache", "preactivations", "init_params", "forward", "output_layer", "time_blocks",
           "logit_errors", "per_step_losses", "BLOCK_FLOATS", "recycled", "RECYCLE_BYTES"]

#: Work on the output layer and the loss is done a block of steps at a time,
#: with about this many floats per (steps × m × width) block, so temporaries
#: stay small however long the sequence is.
BLOCK_FLOATS = 1 << 18


#: The largest result array (bytes) that :func:`recycled` takes from a cache that no
#: longer exists; larger arrays always get fresh memory (and are not kept afterwards).
RECYCLE_BYTES = 1 << 25

_recycle = threading.local()


def recycled(name: str, shape: tuple) -> np.ndarray:
    """An uninitialised float64 array of ``shape`` for a result (a cache field), like ``np.empty``.

    Memory of a cache that no longer exists is reused.  Each thread keeps, per
    ``name``, the last buffer of at most :data:`RECYCLE_BYTES` that it handed
    out; when no array refers to it any more (its reference count says so), the
    next call hands the same memory out again instead of asking the operating
    system for fresh pages, whose first touch (a page fault per 4 KB) can cost
    as much as a small forward pass.  A buffer that any array still uses is
    never handed out again, so two live caches never share memory; a training
    loop that drops each cache before the next forward pass reuses one.
    """
    size = math.prod(shape)
    if size * 8 > RECYCLE_BYTES:
        return np.empty(shape)
    buf = getattr(_recycle, name, None)
    # 3 references when nothing uses it: the thread's slot, ``buf`` and getrefcount's argument.
    if buf is None or buf.size < size or sys.getrefcount(buf) > 3:
        buf = np.empty(max(size, 1))
        setattr(_recycle, name, buf)
    return buf[:size].reshape(shape)


def time_blocks(T: int, m: int, width: int) -> list[tuple[int, int]]:
    """Split steps 1..T into consecutive blocks ``(s, e)`` (steps s+1..e).

    Each block holds about :data:`BLOCK_FLOATS` floats of an (steps, m, width)
    array; short sequences are a single block ``[(0, T)]``.
    """
    steps = max(1, BLOCK_FLOATS // max(1, m * width))
    return [(s, min(s + steps, T)) for s in range(0, T, steps)]


class CacheShape:
    """Sizes and loss weights shared by the caches of every model (vanilla RNN, LSTM, GRU).

    A subclass has the fields ``X`` (T, m, n_in), ``h`` (T+1, m, H) and ``loss_mask``.
    """

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def H(self) -> int:
        return self.h.shape[2]

    def weights(self) -> np.ndarray:
        """(T, m) loss weights w[t, i] / m (the mask, or ones, divided by m)."""
        mask = np.ones((self.T, self.m)) if self.loss_mask is None else self.loss_mask
        return mask / self.m


@dataclass
class Cache(CacheShape):
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


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed=0) -> dict:
    """Random parameters with weights ~ N(0, 1/fan_in) and zero biases.

    Returns a dict with exactly the keys ``W_xh`` (n_in, H), ``W_hh`` (H, H),
    ``b_h`` (H,), ``W_yh`` (H, n_out) and ``b_y`` (n_out,), all float64
    (:func:`rnnlib.initialisation.init_weights`).
    """
    return init_weights(PARAM_KEYS, n_in, n_hidden, n_out, seed=seed)


def check_cache(cache, params: dict | None = None) -> Cache:
    """``cache`` must be the :class:`Cache` of :func:`forward`, for parameters of ``params``' sizes.

    Checked, cheaply (one vectorised reduction per array, no loop over steps):
    the type and shape of every field (X (T, m, n_in), h (T+1, m, H), o and dO
    (T, m, n_out) or both None for a lean cache, Y, loss_mask (T, m)); the
    choices ``activation`` and ``loss_name``; the flags; the finiteness of what
    the backward pass reads (X, h, dO, and for a lean cache the labels' range
    and the counted targets);
    and, when ``params`` (already checked) is given, that n_in, H and n_out
    agree with the cache.  Every message names ``cache``.  A lean cache is
    accepted: every backward function recomputes what it lacks
    (:func:`logit_errors`).
    """
    if not isinstance(cache, Cache):
        raise ValueError(f"cache: expected the Cache returned by rnnlib.forward, got {describe(cache)}")
    sizes = None if params is None else params["W_xh"].shape
    T, m, H = check_cache_core(cache, sizes)
    if not isinstance(cache.activation, str) or cache.activation not in ACTIVATIONS:
        raise ValueError(f"cache: expected cache.activation to be one of "
                         f"{', '.join(map(repr, ACTIVATIONS))}, got {describe(cache.activation)}")
    lean = cache_flag(cache, "lean")
    if lean and (cache.o is not None or cache.dO is not None):
        raise ValueError(f"cache: expected cache.o and cache.dO to be None in a lean cache, "
                         f"got {describe(cache.o)} and {describe(cache.dO)}")
    n_out = None if params is None else params["W_yh"].shape[1]
    if not lean:
        n_out = cache_outputs(cache, T, m, n_out)
    _check_cache_targets(cache, T, m, n_out, required=lean)
    return cache


def _check_cache_targets(cache, T: int, m: int, n_out: int | None, *, required: bool) -> None:
    """``cache.Y``: labels (T, m) or targets (T, m, n_out).

    When ``required`` (a lean cache, whose backward pass reads Y) the labels
    must also lie in [0, n_out) and the counted targets be finite.
    """
    Y = cache.Y
    if Y is None and not required:
        return
    if cache.loss_name == "softmax_ce":
        if (not isinstance(Y, np.ndarray) or not np.issubdtype(Y.dtype, np.integer)
                or Y.shape != (T, m)):
            raise ValueError(f"cache: expected cache.Y to be integer labels of shape ({T}, {m}), "
                             f"got {describe(Y)}")
        if required and n_out is not None and (Y.min() < 0 or Y.max() >= n_out):
            raise ValueError(f"cache: expected labels in cache.Y in [0, {n_out - 1}], "
                             f"got labels from {Y.min()} to {Y.max()}")
        return
    if n_out is None:
        n_out = Y.shape[2] if isinstance(Y, np.ndarray) and Y.ndim == 3 else 1
    counted = (cache.weights() != 0)[..., None] if required else None
    cache_array(cache, "Y", (T, m, n_out), "(T, m, n_out)", finite=required,
                allow_nan_where=None if counted is None else ~counted)


def _check_inputs(params, X, Y, h0, activation, loss, loss_mask):
    """Validate and convert every argument of :func:`forward`."""
    check_activation(activation)
    check_loss(loss)
    p = check_params(params, PARAM_KEYS, copy=False)      # read only: no copies needed
    n_in, H = p["W_xh"].shape
    X, Yc, mask = check_sequence(X, Y, loss, loss_mask, n_in, p["W_yh"].shape[1], copy_X=False)
    h0a = check_state("h0", h0, X.shape[1], H)
    Xc = recycled("X", X.shape)                     # the cache's private copy of X
    np.copyto(Xc, X)
    return p, Xc, Yc, h0a, mask


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

    Raises
    ------
    ValueError
        Bad input, naming the argument (GUIDE §4): wrong shapes; T = 0 or
        m = 0 (``X``); H = 0 or n_out = 0 (the parameter); non-finite or complex
        X, Y, h0, loss_mask or parameters; a missing or unknown parameter key;
        an activation or loss that is not one of the strings above; labels out
        of range; a negative loss_mask.
    rnnlib.validation.NumericalOverflow
        A ``FloatingPointError``: the inputs were finite but the pass
        overflowed.  The message names the quantity (``h_t``, ``o_t``, ``L_t``,
        ``L``) and the first step t at which it is not finite, for example a
        linear RNN with W_hh = 1e3·I over 200 steps.
    """
    lean = check_bool("lean", lean)
    p, X, Y, h0a, mask = _check_inputs(params, X, Y, h0, activation, loss, loss_mask)
    T, m, n_in = X.shape
    H, n_out = p["W_yh"].shape

    # h[1:] first holds the hoisted input projection X_t W_xh + b_h for every t
    # (one matmul); step t then adds h_{t−1} W_hh and applies φ in place.
    h = recycled("h", (T + 1, m, H))
    h[0] = h0a
    with np.errstate(over="ignore", invalid="ignore"):     # overflow is reported below, by step
        np.matmul(X.reshape(T * m, n_in), p["W_xh"], out=h[1:].reshape(T * m, H))
        h[1:] += p["b_h"]
        _recur(h, p["W_hh"], phi_in_place(activation))
        check_finite_steps("h_t", h, first_step=0, where="forward pass",
                           hint=f" (the hidden state explodes; activation {activation!r})")

        # Output layer and loss: one matmul per block of steps (a single block
        # unless the sequence is long).
        weights = mask / m
        o = None if lean else recycled("o", (T, m, n_out))
        dO = None if lean else recycled("dO", (T, m, n_out))
        L = 0.0
        for s, e in time_blocks(T, m, max(H, n_out)):
            o_b = output_layer(p, h[s + 1:e + 1], out=None if lean else o[s:e])
            L, _ = checked_loss_and_dlogits(o_b, Y[s:e], loss, weights[s:e], first_step=s + 1,
                                            total=L, out=None if lean else dO[s:e])
    cache = Cache(
        X=X, h=h, o=o, dO=dO, loss=L, activation=activation, loss_name=loss,
        h0_given=h0 is not None, loss_mask=None if loss_mask is None else mask,
        Y=Y, lean=bool(lean),
    )
    return L, cache


def _recur(h: np.ndarray, W_hh: np.ndarray, act) -> None:
    """h_t = φ(a_t) in place for t = 1..T, where h[t] (T+1, m, H) holds the input part
    X_t W_xh + b_h on entry and ``act`` is :func:`rnnlib.activations.phi_in_place`.

    Per step: one product into a reused (m, H) buffer, one add, one φ; the rows
    of h are taken as views once, so the loop does no indexing.  ``np.dot``
    (one BLAS call) has less overhead per call than ``np.matmul`` for these
    small products.
    """
    rows = list(h)
    tmp = np.empty_like(rows[0])
    dot = np.dot
    for prev, row in zip(rows[:-1], rows[1:]):
        dot(prev, W_hh, out=tmp)                   # h_{t−1} W_hh
        row += tmp                                 # a_t
        if act is not None:
            act(row, row)                          # h_t = φ(a_t)


def output_layer(p: dict, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """o_t = h_t W_yh + b_y for a block of steps: h (n, m, H) -> o (n, m, n_out).

    ``out``, if given, is a C-contiguous (n, m, n_out) array that receives o.
    """
    n, m, H = h.shape
    if out is None:
        out = np.empty((n, m, p["W_yh"].shape[1]))
    np.matmul(h.reshape(n * m, H), p["W_yh"], out=out.reshape(n * m, -1))
    out += p["b_y"]
    return out


def preactivations(params, cache) -> np.ndarray:
    """a_t = X_t W_xh + h_{t−1} W_hh + b_h for t = 1..T, shape (T, m, H).

    The cache keeps only h_t = φ(a_t); this recomputes the pre-activations (for
    example to see how far ReLU units are from the kink).
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return cache.X @ p["W_xh"] + cache.h[:-1] @ p["W_hh"] + p["b_h"]


def logit_errors(params: dict, cache: Cache, s: int = 0, e: int | None = None) -> np.ndarray:
    """∂L/∂o_t for steps s+1..e (default: all), shape (e − s, m, n_out).

    Mask and 1/m included.  Read from a default cache, recomputed from h_t for a
    lean one (``forward(..., lean=True)``), so that every function built on it
    works on both kinds of cache.  A building block on *checked* arguments
    (``params`` from :func:`rnnlib.validation.check_params`, ``cache`` from
    :func:`check_cache`): :func:`rnnlib.bptt` calls it once per block of steps,
    so it does not check them again.
    """
    e = cache.T if e is None else e
    if cache.dO is not None:
        return cache.dO[s:e]
    o = output_layer(params, cache.h[s + 1:e + 1])
    return loss_and_dlogits(o, cache.Y[s:e], cache.loss_name, cache.weights()[s:e])[1]


def per_step_losses(params, X, Y, **forward_kwargs) -> np.ndarray:
    """The T per-step losses L_1..L_T (batch-averaged), shape (T,) (chapter 1).

    The total loss is a sum over time, L = Σ_t L_t: L_t is the loss with a
    ``loss_mask`` that keeps only step t, and the L_t add up to L exactly.
    ``forward_kwargs`` are passed to :func:`forward` (``h0``, ``activation``,
    ``loss``); a ``loss_mask`` is not allowed here because each L_t uses its own.
    """
    if "loss_mask" in forward_kwargs:
        raise ValueError("loss_mask: expected no loss_mask (each L_t uses its own), got one")
    p = check_params(params)
    X = check_inputs_X(X, p["W_xh"].shape[0])
    T, m = X.shape[:2]
    out = np.empty(T)
    for t in range(T):
        mask = np.zeros((T, m))
        mask[t] = 1.0
        out[t] = forward(p, X, Y, loss_mask=mask, **forward_kwargs)[0]
    return out
