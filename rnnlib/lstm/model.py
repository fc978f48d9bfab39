"""The LSTM: parameters, forward pass and BPTT (chapter 8).

Row-vector, mini-batch convention, time-major arrays, steps t = 1..T
(GUIDE §3 and the LSTM issue), with σ the logistic sigmoid:

    f_t  = σ(X_t W_xf + h_{t−1} W_hf + b_f)        forget gate     (m, H)
    i_t  = σ(X_t W_xi + h_{t−1} W_hi + b_i)        input gate      (m, H)
    o_t  = σ(X_t W_xo + h_{t−1} W_ho + b_o)        output gate     (m, H)
    C̃_t  = tanh(X_t W_xc + h_{t−1} W_hc + b_c)     candidate       (m, H)
    C_t  = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t              cell state      (m, H)
    h_t  = o_t ⊙ tanh(C_t)                          hidden state    (m, H)
    s_t  = h_t W_yh + b_y                           logits          (m, n_out)

The losses are those of the vanilla RNN (:mod:`rnnlib.losses`): L = Σ_t L_t,
averaged over the batch, optionally weighted by ``loss_mask``.

Shapes of the parameters: ``W_x*`` (n_in, H), ``W_h*`` (H, H), ``b_*`` (H,),
``W_yh`` (H, n_out), ``b_y`` (n_out,).

In the cache, ``h[t]`` and ``c[t]`` are h_t and C_t for t = 0..T, while the
gates of step t sit at index t − 1 (``f[t-1]`` is f_t), like ``X[t-1]`` and the
logits ``o[t-1]``.  The output *gate* is ``cache.g_o``: ``cache.o`` keeps the
meaning it has for the vanilla RNN (the logits), so that loss code is shared.

Derivatives (chapter 8).  Write σ'_f = f_t ⊙ (1 − f_t) and likewise σ'_i,
σ'_o, and tanh'_c = 1 − C̃_t².  With h_{t−1} held fixed,

    ∂C_t/∂h_{t−1} = diag(C_{t−1} ⊙ σ'_f) W_hfᵀ + diag(C̃_t ⊙ σ'_i) W_hiᵀ
                    + diag(i_t ⊙ tanh'_c) W_hcᵀ                 =: A_t,

and the *full* one-step cell Jacobian, h_{t−1} = o_{t−1} ⊙ tanh(C_{t−1}) with
o_{t−1} held fixed, is

    ∂C_t/∂C_{t−1} = diag(f_t) + A_t diag(o_{t−1} ⊙ (1 − tanh²(C_{t−1}))).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..activations import phi
from ..bptt import output_grads
from ..gradcheck import check_gradients as _check_model_gradients
from ..initialisation import init_weights
from ..losses import checked_loss_and_dlogits
from ..rnn import CacheShape
from ..validation import (cache_array, cache_flag, cache_outputs, check_cache_core, check_finite_grads,
                          check_finite_steps, check_loss, check_real, check_sequence, check_state,
                          check_time_index, describe)
from ..validation import check_params as _check_param_dict

__all__ = ["PARAM_KEYS", "GATES", "LSTMCache", "init_params", "check_params", "check_cache",
           "forward", "bptt", "error_signals", "loss_from_state", "check_gradients"]

#: Gate names in the order used for the stacked weights: forget, input, output, candidate.
GATES = ("f", "i", "o", "c")
PARAM_KEYS = ("W_xf", "W_hf", "b_f", "W_xi", "W_hi", "b_i", "W_xo", "W_ho", "b_o",
              "W_xc", "W_hc", "b_c", "W_yh", "b_y")


@dataclass
class LSTMCache(CacheShape):
    """Everything the LSTM backward pass needs, produced by :func:`forward`.

    Attributes
    ----------
    X : (T, m, n_in) inputs.
    h, c : (T+1, m, H) hidden and cell states; ``h[0]``, ``c[0]`` are h_0, C_0.
    f, i, g_o, c_tilde : (T, m, H) forget, input, output gates and candidate;
        index t − 1 holds step t.
    o : (T, m, n_out) logits (or predictions, for mse).
    dO : (T, m, n_out) ∂L/∂o_t for every step (mask and 1/m included).
    loss : float, the value of L.
    loss_name : ``"softmax_ce"`` or ``"mse"``.
    """

    X: np.ndarray
    h: np.ndarray
    c: np.ndarray
    f: np.ndarray
    i: np.ndarray
    g_o: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    dO: np.ndarray
    loss: float
    loss_name: str
    h0_given: bool
    c0_given: bool
    loss_mask: np.ndarray | None = field(default=None, repr=False)


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed: int = 0,
                forget_bias: float = 0.0) -> dict:
    """Random LSTM parameters: weights ~ N(0, 1/fan_in), biases zero.

    Returns a dict with exactly the keys of :data:`PARAM_KEYS`, all float64:
    ``W_x*`` (n_in, H), ``W_h*`` (H, H), ``b_*`` (H,) for * in f, i, o, c, and
    ``W_yh`` (H, n_out), ``b_y`` (n_out,).

    ``forget_bias`` (default 0) fills b_f; a positive value (1 is a common
    choice) starts the forget gates open, f_t ≈ σ(forget_bias).
    """
    forget_bias = check_real("forget_bias", forget_bias)
    p = init_weights(PARAM_KEYS, n_in, n_hidden, n_out, seed=seed)
    p["b_f"] += forget_bias
    return p


def check_params(params) -> dict:
    """Check an LSTM parameter dict (exactly :data:`PARAM_KEYS`, shapes) and return float64 copies."""
    return _check_param_dict(params, PARAM_KEYS)


def _stacked(p):
    """Gate weights side by side in the order f, i, o, c: (n_in, 4H), (H, 4H), (4H,)."""
    Wx = np.concatenate([p[f"W_x{g}"] for g in GATES], axis=1)
    Wh = np.concatenate([p[f"W_h{g}"] for g in GATES], axis=1)
    b = np.concatenate([p[f"b_{g}"] for g in GATES])
    return Wx, Wh, b


def forward(params, X, Y, *, h0=None, c0=None, loss="softmax_ce", loss_mask=None):
    """Run the LSTM over a sequence and return ``(loss, cache)``.

    Parameters
    ----------
    params : dict from :func:`init_params`.
    X : (T, m, n_in) inputs, time-major, T >= 1.
    Y : (T, m) int labels (``loss="softmax_ce"``) or (T, m, n_out) targets (``"mse"``).
    h0, c0 : (m, H) initial hidden and cell states, or None for zeros.
    loss : ``"softmax_ce"`` or ``"mse"``.
    loss_mask : None or (T, m) weights; where it is 0 the step's loss is not counted.

    Returns
    -------
    loss : float.
    cache : :class:`LSTMCache`; ``cache.h`` and ``cache.c`` have shape (T+1, m, H).

    Raises ``ValueError`` for bad input, as :func:`rnnlib.forward` does (naming
    ``X``, ``Y``, ``h0``, ``c0``, ``loss``, ``loss_mask`` or the parameter key),
    and :class:`rnnlib.validation.NumericalOverflow` (a ``FloatingPointError``)
    naming the quantity (``C_t``, ``o_t``, ``L_t`` …) and the first step t at
    which it is not finite.
    """
    check_loss(loss)
    p = check_params(params)
    n_in, H = p["W_xf"].shape
    n_out = p["W_yh"].shape[1]
    X, Yc, mask = check_sequence(X, Y, loss, loss_mask, n_in, n_out)
    T, m, _ = X.shape
    states = [check_state("h0", h0, m, H), check_state("c0", c0, m, H)]

    Wx, Wh, b = _stacked(p)
    h = np.empty((T + 1, m, H))
    c = np.empty((T + 1, m, H))
    h[0], c[0] = states
    # Hoisted input projections: X_t W_x* + b_* for every step and gate in one matmul.
    Z = (X.reshape(T * m, n_in) @ Wx).reshape(T, m, 4 * H)
    Z += b
    gates = np.empty((T, m, 4 * H))
    with np.errstate(over="ignore", invalid="ignore"):     # overflow is reported below, by step
        for t in range(1, T + 1):
            z = Z[t - 1]
            z += h[t - 1] @ Wh
            g = gates[t - 1]
            phi(z[:, : 3 * H], "sigmoid", out=g[:, : 3 * H])    # f_t, i_t, o_t
            np.tanh(z[:, 3 * H:], out=g[:, 3 * H:])              # C̃_t
            f_t, i_t, o_t, cc_t = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            np.multiply(f_t, c[t - 1], out=c[t])
            c[t] += i_t * cc_t
            np.tanh(c[t], out=h[t])
            h[t] *= o_t
        check_finite_steps("gates", gates, first_step=1, where="forward pass",
                           hint=" (a gate pre-activation was not a number)")
        check_finite_steps("C_t", c, first_step=0, where="forward pass")
        o = (h[1:].reshape(T * m, H) @ p["W_yh"]).reshape(T, m, n_out)
        o += p["b_y"]
        L, dO = checked_loss_and_dlogits(o, Yc, loss, mask / m)
    return L, LSTMCache(
        X=X, h=h, c=c, f=gates[..., :H].copy(), i=gates[..., H:2 * H].copy(),
        g_o=gates[..., 2 * H:3 * H].copy(), c_tilde=gates[..., 3 * H:].copy(),
        o=o, dO=dO, loss=L, loss_name=loss, h0_given=h0 is not None,
        c0_given=c0 is not None, loss_mask=None if loss_mask is None else mask,
    )


def check_cache(cache, params: dict | None = None) -> LSTMCache:
    """``cache`` must be the :class:`LSTMCache` of :func:`forward`, for parameters of ``params``' sizes.

    Checked, cheaply (one vectorised reduction per array): the type and shape
    of every field — X (T, m, n_in); h, c (T+1, m, H); f, i, g_o, c_tilde
    (T, m, H); o, dO (T, m, n_out); loss, loss_name, the flags, loss_mask —
    the finiteness of everything the backward pass reads (X, h, c, the gates,
    dO), and, when ``params`` (already checked) is given, that n_in, H and
    n_out agree.  Every message names ``cache``.
    """
    if not isinstance(cache, LSTMCache):
        raise ValueError(f"cache: expected the LSTMCache returned by rnnlib.lstm.forward, "
                         f"got {describe(cache)}")
    sizes = None if params is None else params["W_xf"].shape
    T, m, H = check_cache_core(cache, sizes, network="an LSTM")
    cache_flag(cache, "c0_given")
    cache_array(cache, "c", (T + 1, m, H), "(T+1, m, H)")
    for gate in ("f", "i", "g_o", "c_tilde"):
        cache_array(cache, gate, (T, m, H), "(T, m, H)")
    cache_outputs(cache, T, m, None if params is None else params["W_yh"].shape[1])
    return cache


def _backward(p, cache):
    """The backward recursion.  Returns (dZ, dh, dc, dW_yh, db_y).

    dZ : (T, m, 4H) ∂L/∂(gate pre-activations) of step t at index t − 1.
    dh, dc : (T+1, m, H) total derivatives δ^h_t = ∂L/∂h_t (C_t fixed) and
        δ^C_t = ∂L/∂C_t (h_t recomputed as o_t ⊙ tanh C_t) for t = 0..T.
    """
    T, m, H = cache.T, cache.m, cache.H
    dW_yh, db_y, G = output_grads(p, cache)           # G_t = ∂L_t/∂h_t, as for the vanilla RNN
    _, Wh, _ = _stacked(p)
    Wh_T = Wh.T
    dZ = np.empty((T, m, 4 * H))
    dh = np.empty((T + 1, m, H))
    dc = np.empty((T + 1, m, H))
    dh_next = np.zeros((m, H))                        # from step t+1 through h_t
    dc_next = np.zeros((m, H))                        # from step t+1 through C_t (f_{t+1} ⊙ ·)
    for t in range(T, 0, -1):
        f, i, og, cc = cache.f[t - 1], cache.i[t - 1], cache.g_o[t - 1], cache.c_tilde[t - 1]
        tc = np.tanh(cache.c[t])
        dh[t] = G[t - 1] + dh_next
        dc[t] = dc_next + dh[t] * og * (1.0 - tc * tc)
        d = dZ[t - 1]
        d[:, :H] = dc[t] * cache.c[t - 1] * f * (1.0 - f)           # forget
        d[:, H:2 * H] = dc[t] * cc * i * (1.0 - i)                  # input
        d[:, 2 * H:3 * H] = dh[t] * tc * og * (1.0 - og)            # output
        d[:, 3 * H:] = dc[t] * i * (1.0 - cc * cc)                  # candidate
        dh_next = d @ Wh_T
        dc_next = dc[t] * f
    dh[0] = dh_next
    dc[0] = dc_next
    hint = " (the error signal explodes)"
    check_finite_steps("δ^h_t", dh, first_step=0, where="backward pass", backward=True, hint=hint)
    check_finite_steps("δ^C_t", dc, first_step=0, where="backward pass", backward=True, hint=hint)
    return dZ, dh, dc, dW_yh, db_y


def bptt(params, cache) -> dict:
    """Gradients of the LSTM loss by the O(T) backward recursion.

    Returns a dict with every key of :data:`PARAM_KEYS` (same shapes as the
    parameters) plus ``"h0"`` and ``"c0"`` (m, H).  The gate-weight gradients
    are sums over steps of immediate terms, X_tᵀ dZ_t and h_{t−1}ᵀ dZ_t, each
    computed for all steps at once as one matmul after the recursion.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    T, m, H = cache.T, cache.m, cache.H
    with np.errstate(over="ignore", invalid="ignore"):      # overflow is reported by step
        dZ, dh, dc, dW_yh, db_y = _backward(p, cache)
        dZ2 = dZ.reshape(T * m, 4 * H)
        dWx = cache.X.reshape(T * m, -1).T @ dZ2
        dWh = cache.h[:-1].reshape(T * m, H).T @ dZ2
        db = dZ2.sum(axis=0)
    grads = {}
    for n, g in enumerate(GATES):
        sl = slice(n * H, (n + 1) * H)
        grads[f"W_x{g}"] = dWx[:, sl].copy()
        grads[f"W_h{g}"] = dWh[:, sl].copy()
        grads[f"b_{g}"] = db[sl].copy()
    grads.update({"W_yh": dW_yh, "b_y": db_y, "h0": dh[0].copy(), "c0": dc[0].copy()})
    return check_finite_grads({key: grads[key] for key in PARAM_KEYS + ("h0", "c0")})


def error_signals(params, cache) -> dict:
    """The total error signals for every step, from the same backward recursion.

    Returns ``{"h": dh, "c": dc}``, each (T+1, m, H): ``dh[t]`` = ∂L/∂h_t and
    ``dc[t]`` = ∂L/∂C_t, both total derivatives in the computational graph (a
    change in C_t reaches h_t = o_t ⊙ tanh(C_t) and C_{t+1}; o_t does not move,
    since it is computed from h_{t−1}).  Index 0 gives the gradients for h_0, C_0.
    Chapter 8 plots their norms against t to show how far the gradient travels.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    with np.errstate(over="ignore", invalid="ignore"):
        _, dh, dc, _, _ = _backward(p, cache)
    return {"h": dh, "c": dc}


def loss_from_state(params, X, Y, t: int, h_t, c_t, *, loss="softmax_ce", loss_mask=None) -> float:
    """L_t + … + L_T when the state of step t is set by hand to (h_t, C_t), each (m, H).

    The LSTM is restarted at step t: L_t is computed through s_t = h_t W_yh + b_y
    (nothing for t = 0), and steps t+1..T run from (h_t, C_t) as independent
    inputs.  So the central difference in h_t with C_t fixed is δ^h_t = ∂L/∂h_t,
    and the difference in C_t with h_t = o_t ⊙ tanh(C_t) recomputed is δ^C_t:
    an independent check of :func:`error_signals` that does not use the backward
    pass.  ``params, X, Y, loss, loss_mask`` are as for :func:`forward`.
    """
    p = check_params(params)
    n_in, H = p["W_xf"].shape
    X, Yc, mask = check_sequence(X, Y, loss, loss_mask, n_in, p["W_yh"].shape[1])
    T, m = X.shape[:2]
    t = check_time_index("t", t, 0, T)
    h_t, c_t = check_state("h_t", h_t, m, H), check_state("c_t", c_t, m, H)
    total = 0.0
    if t >= 1:                                   # L_t, through s_t = h_t W_yh + b_y
        with np.errstate(over="ignore", invalid="ignore"):
            s_t = h_t @ p["W_yh"] + p["b_y"]
        total = checked_loss_and_dlogits(s_t[None], Yc[t - 1:t], loss, mask[t - 1:t] / m,
                                         first_step=t, total=total)[0]
    if t < T:                                    # L_{t+1} + … + L_T, restarted from (h_t, C_t)
        total += forward(p, X[t:], np.asarray(Y)[t:], h0=h_t, c0=c_t, loss=loss, loss_mask=mask[t:])[0]
    return float(total)


def check_gradients(params, X, Y, *, eps: float = 1e-5, h0=None, c0=None, **forward_kwargs) -> dict:
    """Compare :func:`bptt` with central differences (step ``eps``), key by key.

    ``params, X, Y, h0, c0, **forward_kwargs`` are as for :func:`forward`; this is
    :func:`rnnlib.gradcheck.check_gradients` for the LSTM.  Returns a dict mapping
    every parameter key (plus ``"h0"``/``"c0"`` when given) to the normwise
    :func:`rnnlib.rel_error`; the book asks for < 1e-7 in float64.
    """
    return _check_model_gradients(check_params(params), X, Y, bptt, eps=eps, forward_fn=forward,
                                  h0=h0, c0=c0, **forward_kwargs)
