"""The LSTM: parameters, forward pass, BPTT and its state Jacobians (chapter 8).

Row-vector, mini-batch convention, time-major arrays, steps t = 1..T
(GUIDE §3 and the LSTM issue), with σ the logistic sigmoid:

    f_t  = σ(X_t W_xf + h_{t−1} W_hf + b_f)        forget gate     (m, H)
    i_t  = σ(X_t W_xi + h_{t−1} W_hi + b_i)        input gate      (m, H)
    o_t  = σ(X_t W_xo + h_{t−1} W_ho + b_o)        output gate     (m, H)
    C̃_t  = tanh(X_t W_xc + h_{t−1} W_hc + b_c)     candidate       (m, H)
    C_t  = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t              cell state      (m, H)
    h_t  = o_t ⊙ tanh(C_t)                          hidden state    (m, H)
    y_t  = h_t W_yh + b_y                           logits          (m, n_out)

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

from .activations import phi
from .losses import loss_and_dlogits
from .validation import as_float_array, check_loss, check_shape, check_targets, check_time_index

__all__ = [
    "PARAM_KEYS", "GATES", "LSTMCache", "init_params", "forward", "bptt",
    "error_signals", "cell_state_jacobian", "state_jacobian", "state_jacobian_product",
    "cell_state_derivative", "cell_state_jacobian_product", "check_gradients",
    "numerical_cell_state_derivative",
]

#: Gate names in the order used for the stacked weights: forget, input, output, candidate.
GATES = ("f", "i", "o", "c")
PARAM_KEYS = ("W_xf", "W_hf", "b_f", "W_xi", "W_hi", "b_i", "W_xo", "W_ho", "b_o",
              "W_xc", "W_hc", "b_c", "W_yh", "b_y")


@dataclass
class LSTMCache:
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

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def H(self) -> int:
        return self.h.shape[2]


def init_params(n_in: int, n_hidden: int, n_out: int, *, seed: int = 0,
                forget_bias: float = 0.0) -> dict:
    """Random LSTM parameters: weights ~ N(0, 1/fan_in), biases zero.

    Returns a dict with exactly the keys of :data:`PARAM_KEYS`, all float64:
    ``W_x*`` (n_in, H), ``W_h*`` (H, H), ``b_*`` (H,) for * in f, i, o, c, and
    ``W_yh`` (H, n_out), ``b_y`` (n_out,).

    ``forget_bias`` (default 0) fills b_f; a positive value (1 is a common
    choice) starts the forget gates open, f_t ≈ σ(forget_bias).
    """
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.floating, np.integer)) \
            or not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias: expected a finite number, got {forget_bias!r}")
    rng = np.random.default_rng(seed)
    H = n_hidden
    p = {}
    for g in GATES:
        p[f"W_x{g}"] = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, H))
        p[f"W_h{g}"] = rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, H))
        p[f"b_{g}"] = np.zeros(H)
    p["b_f"] += float(forget_bias)
    p["W_yh"] = rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, n_out))
    p["b_y"] = np.zeros(n_out)
    return {key: p[key] for key in PARAM_KEYS}


def check_params(params) -> dict:
    """Check an LSTM parameter dict (keys and shapes) and return float64 copies."""
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict with keys {list(PARAM_KEYS)}, "
                         f"got {type(params).__name__}")
    for key in PARAM_KEYS:
        if key not in params:
            raise ValueError(f"{key}: expected params to contain the key {key!r}, "
                             f"got only the keys {sorted(params)}")
    p = {key: as_float_array(key, params[key]) for key in PARAM_KEYS}
    W_hf = p["W_hf"]
    if W_hf.ndim != 2 or W_hf.shape[0] != W_hf.shape[1] or W_hf.shape[0] == 0:
        raise ValueError(f"W_hf: expected a square matrix of shape (H, H) with H >= 1, "
                         f"got shape {W_hf.shape}")
    H = W_hf.shape[0]
    W_xf = p["W_xf"]
    if W_xf.ndim != 2 or W_xf.shape[1] != H or W_xf.shape[0] == 0:
        raise ValueError(f"W_xf: expected shape (n_in, {H}) with n_in >= 1, got shape {W_xf.shape}")
    n_in = W_xf.shape[0]
    for g in GATES:
        check_shape(f"W_x{g}", p[f"W_x{g}"], (n_in, H), "(n_in, H)")
        check_shape(f"W_h{g}", p[f"W_h{g}"], (H, H), "(H, H)")
        check_shape(f"b_{g}", p[f"b_{g}"], (H,), "(H,)")
    W_yh = p["W_yh"]
    if W_yh.ndim != 2 or W_yh.shape[0] != H or W_yh.shape[1] == 0:
        raise ValueError(f"W_yh: expected shape ({H}, n_out) with n_out >= 1, got shape {W_yh.shape}")
    check_shape("b_y", p["b_y"], (W_yh.shape[1],), "(n_out,)")
    return p


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
    """
    check_loss(loss)
    p = check_params(params)
    n_in, H = p["W_xf"].shape
    n_out = p["W_yh"].shape[1]
    X = as_float_array("X", X)
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0 or X.shape[2] != n_in:
        raise ValueError(f"X: expected shape (T, m, {n_in}) with T >= 1 and m >= 1, got shape {X.shape}")
    T, m, _ = X.shape
    if loss_mask is None:
        mask = np.ones((T, m))
    else:
        mask = as_float_array("loss_mask", loss_mask)
        check_shape("loss_mask", mask, (T, m), "(T, m)")
    Yc = check_targets(Y, loss, T, m, n_out, mask != 0)
    states = []
    for name, s in (("h0", h0), ("c0", c0)):
        if s is None:
            states.append(np.zeros((m, H)))
        else:
            s = as_float_array(name, s)
            check_shape(name, s, (m, H), "(m, H)")
            states.append(s)

    Wx, Wh, b = _stacked(p)
    h = np.empty((T + 1, m, H))
    c = np.empty((T + 1, m, H))
    h[0], c[0] = states
    # Hoisted input projections: X_t W_x* + b_* for every step and gate in one matmul.
    Z = (X.reshape(T * m, n_in) @ Wx).reshape(T, m, 4 * H)
    Z += b
    gates = np.empty((T, m, 4 * H))
    for t in range(1, T + 1):
        z = Z[t - 1]
        z += h[t - 1] @ Wh
        g = gates[t - 1]
        phi(z[:, : 3 * H], "sigmoid", out=g[:, : 3 * H])        # f_t, i_t, o_t
        np.tanh(z[:, 3 * H:], out=g[:, 3 * H:])                  # C̃_t
        f_t, i_t, o_t, cc_t = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
        np.multiply(f_t, c[t - 1], out=c[t])
        c[t] += i_t * cc_t
        np.tanh(c[t], out=h[t])
        h[t] *= o_t
    o = (h[1:].reshape(T * m, H) @ p["W_yh"]).reshape(T, m, n_out)
    o += p["b_y"]
    L, dO = loss_and_dlogits(o, Yc, loss, mask / m)
    return L, LSTMCache(
        X=X, h=h, c=c, f=gates[..., :H].copy(), i=gates[..., H:2 * H].copy(),
        g_o=gates[..., 2 * H:3 * H].copy(), c_tilde=gates[..., 3 * H:].copy(),
        o=o, dO=dO, loss=L, loss_name=loss, h0_given=h0 is not None,
        c0_given=c0 is not None, loss_mask=None if loss_mask is None else mask,
    )


def _check_cache(cache) -> LSTMCache:
    if not isinstance(cache, LSTMCache):
        raise ValueError(f"cache: expected the LSTMCache returned by rnnlib.lstm.forward, "
                         f"got {type(cache).__name__}")
    return cache


def _backward(p, cache):
    """The backward recursion.  Returns (dZ, dh, dc, dW_yh, db_y).

    dZ : (T, m, 4H) ∂L/∂(gate pre-activations) of step t at index t − 1.
    dh, dc : (T+1, m, H) total derivatives δ^h_t = ∂L/∂h_t (C_t fixed) and
        δ^C_t = ∂L/∂C_t (h_t recomputed as o_t ⊙ tanh C_t) for t = 0..T.
    """
    T, m, H = cache.T, cache.m, cache.H
    dO = cache.dO.reshape(T * m, -1)
    dW_yh = cache.h[1:].reshape(T * m, H).T @ dO
    db_y = dO.sum(axis=0)
    G = (dO @ p["W_yh"].T).reshape(T, m, H)           # G_t = ∂L_t/∂h_t
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
    return dZ, dh, dc, dW_yh, db_y


def bptt(params, cache) -> dict:
    """Gradients of the LSTM loss by the O(T) backward recursion.

    Returns a dict with every key of :data:`PARAM_KEYS` (same shapes as the
    parameters) plus ``"h0"`` and ``"c0"`` (m, H).  The gate-weight gradients
    are sums over steps of immediate terms, X_tᵀ dZ_t and h_{t−1}ᵀ dZ_t, each
    computed for all steps at once as one matmul after the recursion.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    T, m, H = cache.T, cache.m, cache.H
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
    return {key: grads[key] for key in PARAM_KEYS + ("h0", "c0")}


def error_signals(params, cache) -> dict:
    """The total error signals for every step, from the same backward recursion.

    Returns ``{"h": dh, "c": dc}``, each (T+1, m, H): ``dh[t]`` = ∂L/∂h_t and
    ``dc[t]`` = ∂L/∂C_t, both total derivatives in the computational graph (a
    change in C_t reaches h_t = o_t ⊙ tanh(C_t) and C_{t+1}; o_t does not move,
    since it is computed from h_{t−1}).  Index 0 gives the gradients for h_0, C_0.
    Chapter 8 plots their norms against t to show how far the gradient travels.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    _, dh, dc, _, _ = _backward(p, cache)
    return {"h": dh, "c": dc}


def _gate_derivs(p, cache, t):
    """Per-step pieces for the Jacobians of step t (all (m, H))."""
    f, i, og, cc = cache.f[t - 1], cache.i[t - 1], cache.g_o[t - 1], cache.c_tilde[t - 1]
    return f, i, og, cc, f * (1.0 - f), i * (1.0 - i), og * (1.0 - og), 1.0 - cc * cc


def _dC_dhprev(p, cache, t):
    """A_t = ∂C_t/∂h_{t−1} with C_{t−1} fixed, shape (m, H, H) (the three gate paths)."""
    f, i, og, cc, sf, si, so, tcc = _gate_derivs(p, cache, t)
    c_prev = cache.c[t - 1]
    return ((c_prev * sf)[:, :, None] * p["W_hf"].T[None]
            + (cc * si)[:, :, None] * p["W_hi"].T[None]
            + (i * tcc)[:, :, None] * p["W_hc"].T[None])


def cell_state_jacobian(params, cache, t: int, *, full: bool = True) -> np.ndarray:
    """One-step cell-state Jacobian ∂C_t/∂C_{t−1}, shape (m, H, H), for t in 1..T.

    Layout ``[i, a, b] = ∂C_t[i, a] / ∂C_{t−1}[i, b]``.

    ``full=True``: the total derivative when h_{t−1} = o_{t−1} ⊙ tanh(C_{t−1}) is
    recomputed from C_{t−1} with the output gate o_{t−1} held fixed — the direct
    term diag(f_t) plus the paths into f_t, i_t and C̃_t:

        diag(f_t) + [diag(C_{t−1}⊙σ'_f) W_hfᵀ + diag(C̃_t⊙σ'_i) W_hiᵀ
                     + diag(i_t⊙tanh'_c) W_hcᵀ] diag(o_{t−1} ⊙ (1 − tanh² C_{t−1})).

    At t = 1 the state h_0 is given, not computed from C_0, so the result is
    diag(f_1).  ``full=False``: the forget-gate-only approximation diag(f_t).

    Products of these matrices are *not* the multi-step ∂C_t/∂C_k, because
    o_{t−1} itself depends on C_{t−2}; use :func:`state_jacobian` for that.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 1, cache.T)
    if not isinstance(full, (bool, np.bool_)):
        raise ValueError(f"full: expected True or False, got {full!r}")
    m, H = cache.m, cache.H
    J = np.zeros((m, H, H))
    idx = np.arange(H)
    J[:, idx, idx] = cache.f[t - 1]
    if full and t > 1:
        tc = np.tanh(cache.c[t - 1])
        dh_dc = cache.g_o[t - 2] * (1.0 - tc * tc)           # ∂h_{t−1}/∂C_{t−1}, o_{t−1} fixed
        J += _dC_dhprev(p, cache, t) * dh_dc[:, None, :]
    return J


def state_jacobian(params, cache, t: int) -> np.ndarray:
    """Exact one-step Jacobian of the joint state s_t = (h_t, C_t), shape (m, 2H, 2H).

    Layout ``[i, a, b] = ∂s_t[i, a] / ∂s_{t−1}[i, b]`` with s = concat(h, C) along
    the last axis, so the four H×H blocks are

        [[∂h_t/∂h_{t−1}, ∂h_t/∂C_{t−1}],
         [∂C_t/∂h_{t−1}, ∂C_t/∂C_{t−1}]]
      = [[diag(tanh C_t ⊙ σ'_o) W_hoᵀ + D_t A_t,  D_t diag(f_t)],
         [A_t,                                    diag(f_t)   ]],

    with D_t = diag(o_t ⊙ (1 − tanh² C_t)) and A_t = ∂C_t/∂h_{t−1} (see the
    module docstring).  Here h_{t−1} and C_{t−1} are independent inputs, so
    products of these matrices give exact multi-step derivatives ∂s_t/∂s_k.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 1, cache.T)
    m, H = cache.m, cache.H
    f, i, og, cc, sf, si, so, tcc = _gate_derivs(p, cache, t)
    tc = np.tanh(cache.c[t])
    D = og * (1.0 - tc * tc)                                   # ∂h_t/∂C_t (diagonal)
    A = _dC_dhprev(p, cache, t)
    J = np.zeros((m, 2 * H, 2 * H))
    idx = np.arange(H)
    J[:, :H, :H] = (tc * so)[:, :, None] * p["W_ho"].T[None] + D[:, :, None] * A
    J[:, :H, H + idx] = 0.0
    J[:, idx, H + idx] = D * f
    J[:, H:, :H] = A
    J[:, H + idx, H + idx] = f
    return J


def state_jacobian_product(params, cache, t: int, k: int) -> np.ndarray:
    """∂s_t/∂s_k = S_t S_{t−1} ⋯ S_{k+1} for 0 ≤ k ≤ t ≤ T, shape (m, 2H, 2H).

    ``S_j`` is :func:`state_jacobian` at step j; for k = t the result is the identity.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    m, H = cache.m, cache.H
    P = np.broadcast_to(np.eye(2 * H), (m, 2 * H, 2 * H)).copy()
    for j in range(t, k, -1):
        P = P @ state_jacobian(p, cache, j)
    return P


def cell_state_derivative(params, cache, t: int, k: int) -> np.ndarray:
    """Exact multi-step ∂C_t/∂C_k, shape (m, H, H), for 0 ≤ k ≤ t ≤ T.

    The same convention as ``cell_state_jacobian(full=True)``: a change in C_k
    also reaches h_k = o_k ⊙ tanh(C_k) with o_k held fixed (for k = 0, h_0 is
    given and does not move).  Every later gate is recomputed, so this is the
    lower-left block of the state-Jacobian product ∂s_t/∂s_k applied to
    ∂s_k/∂C_k = [diag(o_k ⊙ (1 − tanh² C_k)); I].  For t = k + 1 it equals
    :func:`cell_state_jacobian`; for t > k + 1 it generally differs from the
    product of one-step cell Jacobians.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    H = cache.H
    P = state_jacobian_product(p, cache, t, k)
    out = P[:, H:, H:].copy()                                   # via C_k directly
    if k > 0:
        tc = np.tanh(cache.c[k])
        out += P[:, H:, :H] * (cache.g_o[k - 1] * (1.0 - tc * tc))[:, None, :]
    return out


def cell_state_jacobian_product(params, cache, t: int, k: int, *, full: bool = True) -> np.ndarray:
    """The product of one-step cell Jacobians C_t′ ⋯ C_{k+1}′, shape (m, H, H), 0 ≤ k ≤ t ≤ T.

    Each factor is :func:`cell_state_jacobian` (``full`` as there).  This is the
    "multiply the one-step derivative k times" recipe; it is *not* the exact
    ∂C_t/∂C_k (compare :func:`cell_state_derivative`) because each factor holds
    o_{j−1} fixed although o_{j−1} depends on C_{j−2}.  It exists to measure
    that gap.  For k = t the result is the identity.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    m, H = cache.m, cache.H
    P = np.broadcast_to(np.eye(H), (m, H, H)).copy()
    for j in range(t, k, -1):
        P = P @ cell_state_jacobian(p, cache, j, full=full)
    return P


def check_gradients(params, X, Y, *, eps: float = 1e-5, h0=None, c0=None, **forward_kwargs) -> dict:
    """Compare :func:`bptt` with central differences (step ``eps``), key by key.

    ``params, X, Y, h0, c0, **forward_kwargs`` are as for :func:`forward`.
    Returns a dict mapping every parameter key (plus ``"h0"``/``"c0"`` when given)
    to the normwise :func:`rnnlib.rel_error`; the book asks for < 1e-7 in float64.
    """
    from .gradcheck import numerical_gradient, rel_error

    params = {k: np.array(v, dtype=np.float64) for k, v in check_params(params).items()}
    states = {"h0": None if h0 is None else np.array(h0, dtype=np.float64),
              "c0": None if c0 is None else np.array(c0, dtype=np.float64)}
    _, cache = forward(params, X, Y, **states, **forward_kwargs)
    analytic = bptt(params, cache)

    def loss_of(_):
        return forward(params, X, Y, **states, **forward_kwargs)[0]

    errors = {key: rel_error(analytic[key], numerical_gradient(loss_of, params[key], eps))
              for key in PARAM_KEYS}
    for name, s in states.items():
        if s is not None:
            errors[name] = rel_error(analytic[name], numerical_gradient(loss_of, s, eps))
    return errors


def numerical_cell_state_derivative(params, cache, t: int, k: int, *, eps: float = 1e-5) -> np.ndarray:
    """∂C_t/∂C_k by central differences, shape (m, H, H), for 0 ≤ k < t ≤ T.

    Each entry C_k[:, b] is moved by ±eps, h_k = o_k ⊙ tanh(C_k) is recomputed
    with o_k fixed (for k = 0, h_0 stays as given), and steps k+1..t are rerun
    from scratch.  This is the independent check of :func:`cell_state_jacobian`
    (t = k + 1) and :func:`cell_state_derivative`.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 1, cache.T)
    k = check_time_index("k", k, 0, t - 1)
    Wx, Wh, b = _stacked(p)
    H = cache.H

    def C_t(c_k):
        h = cache.h[0] if k == 0 else cache.g_o[k - 1] * np.tanh(c_k)
        c = c_k
        for j in range(k + 1, t + 1):
            z = cache.X[j - 1] @ Wx + h @ Wh + b
            s = phi(z[:, : 3 * H], "sigmoid")
            c = s[:, :H] * c + s[:, H:2 * H] * np.tanh(z[:, 3 * H:])
            h = s[:, 2 * H:] * np.tanh(c)
        return c

    c_k = cache.c[k]
    cols = []
    for col in range(H):
        e = np.zeros_like(c_k)
        e[:, col] = eps
        cols.append((C_t(c_k + e) - C_t(c_k - e)) / (2 * eps))
    return np.stack(cols, axis=-1)
