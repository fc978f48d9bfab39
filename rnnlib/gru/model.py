"""The GRU: parameters, forward pass and BPTT (chapter 10).

Row-vector, mini-batch convention, time-major arrays, steps t = 1..T, in the
form of Cho et al. (2014) and d2l, where the reset gate acts on h_{t−1}
*before* the recurrent product (σ the logistic sigmoid):

    z_t = σ(X_t W_xz + h_{t−1} W_hz + b_z)               update gate   (m, H)
    r_t = σ(X_t W_xr + h_{t−1} W_hr + b_r)               reset gate    (m, H)
    h̃_t = tanh(X_t W_xh + (r_t ⊙ h_{t−1}) W_hh + b_h)    candidate     (m, H)
    h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t                hidden state  (m, H)
    o_t = h_t W_yh + b_y                                  logits        (m, n_out)

z_t close to 1 keeps the old state ("remember"); close to 0 it takes the
candidate.  The losses are those of the vanilla RNN (:mod:`rnnlib.losses`):
L = Σ_t L_t, averaged over the batch, optionally weighted by ``loss_mask``.

Shapes of the parameters: ``W_x*`` (n_in, H), ``W_h*`` and ``W_hh`` (H, H),
``b_*`` (H,), ``W_yh`` (H, n_out), ``b_y`` (n_out,).

In the cache, ``h[t]`` is h_t for t = 0..T, while the gates of step t sit at
index t − 1 (``z[t-1]`` is z_t), like ``X[t-1]`` and the logits ``o[t-1]``.

The backward pass (chapter 10, "The backward pass in full").  With
δ_t = ∂L/∂h_t (total) and the errors at the three pre-activations

    Δ^z_t = δ_t ⊙ (h_{t−1} − h̃_t) ⊙ σ'_z,    Δ^h_t = δ_t ⊙ (1 − z_t) ⊙ (1 − h̃_t²),
    Δ^r_t = (Δ^h_t W_hhᵀ) ⊙ h_{t−1} ⊙ σ'_r,   (σ'_z = z_t ⊙ (1 − z_t), likewise σ'_r)

the recursion is δ_T = G_T and

    δ_{t−1} = G_{t−1} + δ_t ⊙ z_t + Δ^z_t W_hzᵀ + Δ^r_t W_hrᵀ + (Δ^h_t W_hhᵀ) ⊙ r_t,

and every weight gradient is a sum of immediate terms: X_tᵀ Δ^g_t for W_xg,
h_{t−1}ᵀ Δ^g_t for W_hz and W_hr, (r_t ⊙ h_{t−1})ᵀ Δ^h_t for W_hh, 1ᵀ Δ^g_t
for b_g.

Overflow.  In exact arithmetic |h_t| ≤ max(1, max|h_0|) (h_t is a convex
combination of h_{t−1} and h̃_t), but float64 can still overflow in the
products with very large weights, in the loss (mse targets of 1e200), or in
the backward pass.  Then :func:`forward`, :func:`bptt` and :func:`error_signals`
raise :class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``)
naming the quantity (``h_t``, ``o_t``, ``L_t``, ``δ_t`` or a gradient key) and
the step t, instead of returning inf or NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..activations import phi
from ..bptt import output_grads
from ..gradcheck import check_gradients as _check_model_gradients
from ..initialisation import init_weights
from ..losses import checked_loss_and_dlogits
from ..rnn import CacheShape, output_layer
from ..validation import (cache_array, check_cache_core, check_finite_grads, check_finite_steps,
                          check_real, check_sequence, check_state, check_time_index, describe,
                          param_sizes)
from ..validation import check_params as _check_param_dict

__all__ = ["PARAM_KEYS", "GATES", "GRUCache", "init_params", "check_params", "check_cache",
           "forward", "bptt", "error_signals", "loss_from_state", "check_gradients"]

#: The three pre-activations side by side in the stacked arrays: update gate, reset gate, candidate.
GATES = ("z", "r", "h")
PARAM_KEYS = ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h", "W_yh", "b_y")


@dataclass
class GRUCache(CacheShape):
    """What the GRU's backward pass reads, produced by :func:`forward`.

    Arrays: ``X`` (T, m, n_in) the inputs; ``h`` (T+1, m, H) the states, with
    ``h[0]`` = h_0; ``z``, ``r``, ``h_tilde`` (T, m, H) the update gate, the reset
    gate and the candidate, index t − 1 holding step t; ``o`` (T, m, n_out) the
    logits (the predictions, for mse); ``dO`` (T, m, n_out) ∂L/∂o_t, with the
    mask and 1/m included.  Also ``loss`` (the value of L), ``loss_name``,
    ``h0_given`` (whether h_0 was passed in) and ``loss_mask``.
    """

    X: np.ndarray
    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    o: np.ndarray
    dO: np.ndarray
    loss: float
    loss_name: str
    h0_given: bool
    loss_mask: np.ndarray | None = field(default=None, repr=False)


def check_params(params) -> dict:
    """Check a GRU parameter dict (exactly :data:`PARAM_KEYS`, shapes) and return float64 copies."""
    return _check_param_dict(params, PARAM_KEYS)


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed=0, update_bias: float = 0.0) -> dict:
    """Random GRU parameters: weights ~ N(0, 1/fan_in), biases zero.

    Returns a dict with exactly the keys of :data:`PARAM_KEYS`, all float64:
    ``W_xz``, ``W_xr``, ``W_xh`` (n_in, H); ``W_hz``, ``W_hr``, ``W_hh`` (H, H);
    ``b_z``, ``b_r``, ``b_h`` (H,); ``W_yh`` (H, n_out) and ``b_y`` (n_out,)
    (:func:`rnnlib.initialisation.init_weights`).

    ``update_bias`` (default 0) fills b_z; a positive value starts the update
    gates near 1, z_t ≈ σ(update_bias): the cell then mostly keeps its state.
    """
    b_z = check_real("update_bias", update_bias)
    return {**init_weights(PARAM_KEYS, n_in, n_hidden, n_out, seed=seed), "b_z": np.full(n_hidden, b_z)}


def _stacked(p):
    """The weights of the three pre-activations side by side, in the order z, r, h̃.

    Returns ``(Wx, b, W_hzr)``: (n_in, 3H), (3H,) and the recurrent weights of
    the two gates (H, 2H); the candidate's W_hh acts on r_t ⊙ h_{t−1} and stays apart.
    """
    Wx = np.concatenate([p["W_xz"], p["W_xr"], p["W_xh"]], axis=1)
    b = np.concatenate([p["b_z"], p["b_r"], p["b_h"]])
    return Wx, b, np.concatenate([p["W_hz"], p["W_hr"]], axis=1)


def _checked(params, X, Y, loss, loss_mask):
    """``(p, X, Y, mask, (n_in, H, n_out))``: the parameters and data of one run, checked."""
    p = check_params(params)
    sizes = param_sizes(p, PARAM_KEYS)
    X, Yc, mask = check_sequence(X, Y, loss, loss_mask, sizes[0], sizes[2])
    return p, X, Yc, mask, sizes


def forward(params, X, Y, *, h0=None, loss="softmax_ce", loss_mask=None):
    """Run the GRU over a sequence and return ``(loss, cache)``.

    Parameters
    ----------
    params : dict from :func:`init_params` (exactly :data:`PARAM_KEYS`).
    X : (T, m, n_in) inputs, time-major, T >= 1.
    Y : (T, m) int labels (``loss="softmax_ce"``) or (T, m, n_out) targets (``"mse"``).
    h0 : (m, H) initial state, or None for zeros.
    loss : ``"softmax_ce"`` or ``"mse"``.
    loss_mask : None or (T, m) weights; where it is 0 the step's loss is not counted
        (and any Y value is accepted there).

    Returns
    -------
    loss : float.
    cache : :class:`GRUCache`; ``cache.h`` has shape (T+1, m, H), ``cache.h[0]`` = h0.
        No array in it aliases an argument or another call's cache.

    Raises ``ValueError`` naming the argument for bad input (GUIDE §4: wrong
    shapes, T = 0 or m = 0, non-finite or complex data, a missing or unknown
    parameter key, labels out of range, an unknown loss, a negative mask), and
    :class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``)
    naming the quantity (``h_t``, ``o_t``, ``L_t``, ``L``) and the first step at
    which it is not finite.
    """
    p, X, Yc, mask, (n_in, H, n_out) = _checked(params, X, Y, loss, loss_mask)
    T, m, _ = X.shape
    h = np.empty((T + 1, m, H))
    h[0] = check_state("h0", h0, m, H)
    Wx, b, W_hzr = _stacked(p)
    gates = np.empty((T, m, 3 * H))                         # z_t | r_t | h̃_t side by side
    with np.errstate(over="ignore", invalid="ignore"):      # overflow is reported below, by step
        # Hoisted input projections X_t W_x* + b_* for every step: one matmul.
        A = (X.reshape(T * m, n_in) @ Wx).reshape(T, m, 3 * H)
        A += b
        for t in range(1, T + 1):
            a, g, h_prev = A[t - 1], gates[t - 1], h[t - 1]
            a[:, :2 * H] += h_prev @ W_hzr                  # gate pre-activations
            phi(a[:, :2 * H], "sigmoid", out=g[:, :2 * H])  # z_t, r_t
            a[:, 2 * H:] += (g[:, H:2 * H] * h_prev) @ p["W_hh"]   # (r_t ⊙ h_{t−1}) W_hh
            h_tilde = np.tanh(a[:, 2 * H:], out=g[:, 2 * H:])
            np.subtract(h_prev, h_tilde, out=h[t])          # h_t = h̃_t + z_t ⊙ (h_{t−1} − h̃_t)
            h[t] *= g[:, :H]
            h[t] += h_tilde
        check_finite_steps("h_t", h, first_step=0, where="forward pass",
                           hint=" (a gate or candidate pre-activation was not a number)")
        o = output_layer(p, h[1:])
        L, dO = checked_loss_and_dlogits(o, Yc, loss, mask / m)
    return L, GRUCache(X=X, h=h, z=gates[..., :H].copy(), r=gates[..., H:2 * H].copy(),
                       h_tilde=gates[..., 2 * H:].copy(), o=o, dO=dO, loss=L, loss_name=loss,
                       h0_given=h0 is not None, loss_mask=None if loss_mask is None else mask)


def check_cache(cache, params: dict | None = None) -> GRUCache:
    """``cache`` must be the :class:`GRUCache` of :func:`forward`, for parameters of ``params``' sizes.

    Checked, cheaply (one vectorised reduction per array): the type and shape
    of every field — X (T, m, n_in); h (T+1, m, H); z, r, h_tilde (T, m, H);
    o, dO (T, m, n_out); loss, loss_name, h0_given, loss_mask — the finiteness
    of everything the backward pass reads, and, when ``params`` (already
    checked) is given, that n_in, H and n_out agree.  Every message names ``cache``.
    """
    if not isinstance(cache, GRUCache):
        raise ValueError(f"cache: expected the GRUCache returned by rnnlib.gru.forward, "
                         f"got {describe(cache)}")
    sizes = None if params is None else param_sizes(params, PARAM_KEYS)
    T, m, H = check_cache_core(cache, None if sizes is None else sizes[:2], network="a GRU")
    if sizes is not None:
        n_out = sizes[2]
    else:                                   # read n_out off dO; cache_array below names a bad dO
        n_out = cache.dO.shape[-1] if isinstance(cache.dO, np.ndarray) and cache.dO.ndim == 3 else 1
    for name, shape in (("z", (T, m, H)), ("r", (T, m, H)), ("h_tilde", (T, m, H)),
                        ("o", (T, m, n_out)), ("dO", (T, m, n_out))):
        cache_array(cache, name, shape, "(T, m, n_out)" if name in ("o", "dO") else "(T, m, H)")
    return cache


def _backward(p, cache):
    """The backward recursion.  Returns ``(dA, dh, dW_yh, db_y)``.

    dA : (T, m, 3H) the pre-activation errors Δ^z_t | Δ^r_t | Δ^h_t of step t at index t − 1.
    dh : (T+1, m, H) δ_t = ∂L/∂h_t (total) for t = 0..T; ``dh[0]`` is ∂L/∂h_0.

    Raises :class:`rnnlib.validation.NumericalOverflow` naming the step if some δ_t overflows.
    """
    T, m, H = cache.T, cache.m, cache.H
    _, _, W_hzr = _stacked(p)
    W_hzr_T, W_hh_T = W_hzr.T, p["W_hh"].T
    dA = np.empty((T, m, 3 * H))
    dh = np.empty((T + 1, m, H))
    with np.errstate(over="ignore", invalid="ignore"):      # overflow is reported below, by step
        dW_yh, db_y, G = output_grads(p, cache)             # G_t = ∂L_t/∂h_t, as for the vanilla RNN
        back = np.zeros((m, H))                             # what step t+1 sends to h_t
        for t in range(T, 0, -1):
            z, r, c, h_prev = cache.z[t - 1], cache.r[t - 1], cache.h_tilde[t - 1], cache.h[t - 1]
            d = dh[t] = G[t - 1] + back                     # δ_t
            D = dA[t - 1]
            D[:, :H] = d * (h_prev - c) * z * (1.0 - z)                 # Δ^z_t
            D[:, 2 * H:] = d * (1.0 - z) * (1.0 - c * c)                # Δ^h_t
            du = D[:, 2 * H:] @ W_hh_T                                  # ∂L/∂(r_t ⊙ h_{t−1})
            D[:, H:2 * H] = du * h_prev * r * (1.0 - r)                 # Δ^r_t
            back = d * z + du * r + D[:, :2 * H] @ W_hzr_T
        dh[0] = back
        check_finite_steps("δ_t", dh, first_step=0, where="backward pass", backward=True,
                           hint=" (the error signal δ_t = ∂L/∂h_t explodes)")
    return dA, dh, dW_yh, db_y


def bptt(params, cache) -> dict:
    """Gradients of the GRU loss by the O(T) backward recursion.

    Returns a dict with every key of :data:`PARAM_KEYS` (same shapes as the
    parameters) plus ``"h0"`` (m, H), freshly allocated.  The weight gradients
    are sums over steps of immediate terms (see the module docstring), each
    computed for all steps at once as one matmul after the recursion.

    Raises :class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``)
    naming the step if δ_t overflows, or the key if a summed gradient does.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    T, m, H = cache.T, cache.m, cache.H
    dA, dh, dW_yh, db_y = _backward(p, cache)
    with np.errstate(over="ignore", invalid="ignore"):
        dA2 = dA.reshape(T * m, 3 * H)
        dWx = cache.X.reshape(T * m, -1).T @ dA2
        db = dA2.sum(axis=0)
        dWh = cache.h[:-1].reshape(T * m, H).T @ dA2[:, :2 * H]
        rh = (cache.r * cache.h[:-1]).reshape(T * m, H)                # r_t ⊙ h_{t−1}
        grads = {"W_hh": rh.T @ dA2[:, 2 * H:], "W_yh": dW_yh, "b_y": db_y, "h0": dh[0].copy()}
    for n, g in enumerate(GATES):
        cols = slice(n * H, (n + 1) * H)
        grads[f"W_x{g}"], grads[f"b_{g}"] = dWx[:, cols].copy(), db[cols].copy()
    grads["W_hz"], grads["W_hr"] = dWh[:, :H].copy(), dWh[:, H:].copy()
    return check_finite_grads({key: grads[key] for key in PARAM_KEYS + ("h0",)},
                              detail=" (in the sum of its immediate terms over steps)")


def error_signals(params, cache) -> np.ndarray:
    """δ_t = ∂L/∂h_t (total) for t = 0..T, shape (T+1, m, H), from the backward recursion.

    ``[0]`` is ∂L/∂h_0 (the ``"h0"`` gradient of :func:`bptt`), ``[T]`` is
    G_T.  Chapter 10 plots their norms against t to show how far the gradient travels.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return _backward(p, cache)[1]


def loss_from_state(params, X, Y, t: int, h_t, *, loss="softmax_ce", loss_mask=None) -> float:
    """L_t + … + L_T when the GRU is restarted at step t from the state ``h_t`` (m, H).

    L_t is computed through o_t = h_t W_yh + b_y (nothing for t = 0), and steps
    t+1..T run from h_t as their h_0.  L_1..L_{t−1} do not depend on h_t, so the
    central difference of this function in ``h_t`` is δ_t = ∂L/∂h_t: a check of
    :func:`error_signals` that does not use the backward pass.  ``params, X, Y,
    loss, loss_mask`` are as for :func:`forward` (the whole sequence); t in 0..T.
    """
    p, X, Yc, mask, (_, H, _) = _checked(params, X, Y, loss, loss_mask)
    T, m = X.shape[:2]
    t = check_time_index("t", t, 0, T)
    h_t = check_state("h_t", h_t, m, H)
    later = 0.0 if t == T else forward(p, X[t:], np.asarray(Y)[t:], h0=h_t, loss=loss,
                                       loss_mask=mask[t:])[0]
    if t == 0:
        return float(later)
    with np.errstate(over="ignore", invalid="ignore"):
        o_t = output_layer(p, h_t[None])
    return float(checked_loss_and_dlogits(o_t, Yc[t - 1:t], loss, mask[t - 1:t] / m, first_step=t,
                                          total=later)[0])


def check_gradients(params, X, Y, *, eps: float = 1e-5, h0=None, **forward_kwargs) -> dict:
    """Compare :func:`bptt` with central differences (step ``eps``), key by key.

    ``params, X, Y, h0, **forward_kwargs`` (``loss``, ``loss_mask``) are as for
    :func:`forward`; this is :func:`rnnlib.gradcheck.check_gradients` for the GRU.
    Returns a dict mapping every parameter key (plus ``"h0"`` when given) to the
    normwise :func:`rnnlib.rel_error`; the book asks for < 1e-7 in float64.
    """
    return _check_model_gradients(check_params(params), X, Y, bptt, eps=eps, forward_fn=forward,
                                  h0=h0, **forward_kwargs)
