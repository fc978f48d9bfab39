"""The terms of the BPTT double sum, one (t, k) pair at a time (chapters 4 and 5).

For a weight θ of the recurrence (``W_hh``, ``W_xh`` or ``b_h``) the gradient
is the double sum

    ∂L/∂θ = Σ_{t=1..T} Σ_{k=1..t} (∂L_t/∂h_t) (∂h_t/∂h_k) (∂⁺h_k/∂θ),

where G_t = ∂L_t/∂h_t is step t's own output error, ∂h_t/∂h_k = J_t ⋯ J_{k+1}
is the product of t − k one-step Jacobians and ∂⁺h_k/∂θ is the *immediate*
partial (h_{k−1} held fixed).  In tensor form the (t, k) term is

    W_hh:  h_{k−1}ᵀ (g_{t,k} ⊙ φ'(a_k))       (H, H)
    W_xh:  X_kᵀ     (g_{t,k} ⊙ φ'(a_k))       (n_in, H)
    b_h:   1ᵀ       (g_{t,k} ⊙ φ'(a_k))       (H,)

with g_{t,k} = G_t ∂h_t/∂h_k = ∂L_t/∂h_k, shape (m, H): the error that L_t
alone sends back to h_k.  This module returns single terms, all terms, and
their Frobenius norms, so that a chapter can show *which* terms of the double
sum carry the gradient.  The forward pass and G_t come from :func:`rnnlib.forward`
and :func:`rnnlib.bptt._output_grads`; nothing here recomputes them.
"""
from __future__ import annotations

import numpy as np

from .activations import phi_prime_from_h
from .bptt import _output_grads
from .jacobians import _check_cache, jacobian_product
from .validation import _describe, check_params, check_time_index

__all__ = [
    "TERM_KEYS",
    "path_errors",
    "term_matrix",
    "term_tensor",
    "term_contributions",
    "step_contributions",
    "kept_by_truncation",
    "scaled_problem",
    "draw_contributions",
    "draw_step_contributions",
    "draw_truncation_grid",
    "abbreviate",
]

#: The parameters whose gradient is a double sum over (t, k).
TERM_KEYS = ("W_hh", "W_xh", "b_h")


def _check_key(key) -> str:
    if not isinstance(key, str) or key not in TERM_KEYS:
        raise ValueError(f"key: expected one of {', '.join(map(repr, TERM_KEYS))}, got {_describe(key)}")
    return key


def _immediate_input(p, cache, key, k):
    """The row-vector input that multiplies Δ at step k: h_{k−1}, X_k or None (b_h)."""
    if key == "W_hh":
        return cache.h[k - 1]
    if key == "W_xh":
        return cache.X[k - 1]
    return None


def _contract(inp, da):
    """h_{k−1}ᵀ da, X_kᵀ da (batch summed) or 1ᵀ da for b_h (inp None).

    Works for ``da`` of shape (m, H) or (..., m, H) with ``inp`` (m, n).
    """
    if inp is None:
        return da.sum(axis=-2)
    return np.einsum("ip,...iq->...pq", inp, da)


def term_matrix(params, cache, key: str, t: int, k: int) -> np.ndarray:
    """The (t, k) term (∂L_t/∂h_t)(∂h_t/∂h_k)(∂⁺h_k/∂θ) of the double sum.

    Parameters
    ----------
    params, cache : as returned by :func:`rnnlib.init_params` / :func:`rnnlib.forward`.
    key : ``"W_hh"``, ``"W_xh"`` or ``"b_h"``.
    t : the loss L_t, an integer in 1..T.
    k : the step whose immediate partial is taken, an integer in 1..t.

    Returns an array shaped like ``params[key]``: (H, H), (n_in, H) or (H,).
    The product ∂h_t/∂h_k is built explicitly with :func:`rnnlib.jacobian_product`.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    key = _check_key(key)
    t = check_time_index("t", t, 1, cache.T)
    k = check_time_index("k", k, 1, t)
    _, _, G = _output_grads(p, cache)
    P = jacobian_product(p, cache, t, k)                           # (m, H, H)
    g = np.einsum("ia,iab->ib", G[t - 1], P)                       # ∂L_t/∂h_k
    da = g * phi_prime_from_h(cache.h[k], cache.activation)        # ⊙ φ'(a_k)
    return _contract(_immediate_input(p, cache, key, k), da)


def path_errors(params, cache) -> np.ndarray:
    """All the errors g_{t,k} ⊙ φ'(a_k) = ∂L_t/∂a_k at once, shape (T, T, m, H).

    Entry ``[t-1, k-1]`` is ∂L_t/∂a_k (the error that the loss of step t alone
    sends to the pre-activation of step k); it is 0 for k > t.  Each L_t is
    walked back one Jacobian at a time, g ← (g ⊙ φ'(a_k)) W_hhᵀ, which is the
    same product as :func:`rnnlib.jacobian_product` applied to a vector: O(T² m H²).
    """
    p = check_params(params)
    cache = _check_cache(cache)
    T = cache.T
    _, _, G = _output_grads(p, cache)
    dphi = phi_prime_from_h(cache.h[1:], cache.activation)        # φ'(a_k), (T, m, H)
    out = np.zeros((T,) + G.shape)
    W_hh_T = p["W_hh"].T
    for t in range(1, T + 1):
        g = G[t - 1]
        for k in range(t, 0, -1):
            out[t - 1, k - 1] = g * dphi[k - 1]
            g = out[t - 1, k - 1] @ W_hh_T                         # ∂L_t/∂h_{k−1}
    return out


def term_tensor(params, cache, key: str = "W_hh") -> np.ndarray:
    """Every (t, k) term at once, shape (T, T) + ``params[key].shape``; zero for k > t.

    ``term_tensor(...).sum(axis=(0, 1))`` is the full gradient ∂L/∂θ.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    key = _check_key(key)
    DA = path_errors(p, cache)                                      # (T, T, m, H)
    if key == "b_h":
        return DA.sum(axis=2)
    inputs = cache.h[:-1] if key == "W_hh" else cache.X            # (T, m, n): step k at [k-1]
    return np.einsum("kip,tkiq->tkpq", inputs, DA)


def term_contributions(params, cache, key: str = "W_hh") -> np.ndarray:
    """Frobenius norm of every (t, k) term, shape (T, T); entry [t−1, k−1], 0 for k > t."""
    terms = term_tensor(params, cache, key)
    T = terms.shape[0]
    return np.sqrt((terms.reshape(T, T, -1) ** 2).sum(axis=-1))


def step_contributions(params, cache, key: str = "W_xh") -> np.ndarray:
    """Norm of the immediate term of each step k, summed over all losses, shape (T,).

    Entry [k−1] is ‖Σ_{t≥k} term(t, k)‖_F = ‖inp_kᵀ Δ_k‖_F with Δ_k = δ_k ⊙ φ'(a_k):
    how much of ∂L/∂θ arrives through step k's immediate partial (for W_xh,
    through the input X_k).
    """
    terms = term_tensor(params, cache, key).sum(axis=0)             # sum over t
    T = terms.shape[0]
    return np.sqrt((terms.reshape(T, -1) ** 2).sum(axis=-1))


def kept_by_truncation(T: int, truncate) -> np.ndarray:
    """Boolean (T, T) mask of the (t, k) terms that ``bptt(..., truncate=τ)`` keeps.

    Entry [t−1, k−1] is True when k ≤ t and t − k ≤ τ (all k ≤ t for τ = None).
    """
    from .bptt import check_truncate

    if isinstance(T, (bool, np.bool_)) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T: expected an integer >= 1, got {_describe(T)}")
    tau = check_truncate(truncate)
    t = np.arange(1, T + 1)[:, None]
    k = np.arange(1, T + 1)[None, :]
    keep = k <= t
    if tau is not None:
        keep &= (t - k) <= tau
    return keep


def scaled_problem(T: int = 12, *, H: int = 6, n_in: int = 3, n_out: int = 4, m: int = 4,
                   scale: float = 1.0, activation: str = "tanh", h0_scale: float = 0.0,
                   last_only: bool = False, seed: int = 0):
    """A seeded random problem whose W_hh has every singular value equal to ``scale``.

    W_hh = scale · Q with Q orthogonal, so ‖W_hh‖₂ = ``scale`` exactly; the other
    parameters come from :func:`rnnlib.init_params`.  Labels are random classes at
    every step (softmax cross-entropy); with ``last_only=True`` only L_T counts
(a ``loss_mask`` that is 1 at step T only).  ``h0_scale > 0`` draws
h_0 ~ N(0, h0_scale²).

    Returns ``(params, cache)`` from :func:`rnnlib.forward`.
    """
    from .rnn import forward, init_params

    if not (isinstance(scale, (int, float, np.floating)) and np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale: expected a finite number >= 0, got {_describe(scale)}")
    if not (isinstance(h0_scale, (int, float, np.floating)) and np.isfinite(h0_scale) and h0_scale >= 0):
        raise ValueError(f"h0_scale: expected a finite number >= 0, got {_describe(h0_scale)}")
    rng = np.random.default_rng(seed)
    params = init_params(n_in, H, n_out, seed=seed + 1)
    Q, R = np.linalg.qr(rng.normal(size=(H, H)))
    params["W_hh"] = float(scale) * Q * np.sign(np.diag(R))
    X = rng.normal(size=(T, m, n_in))
    Y = rng.integers(0, n_out, size=(T, m))
    h0 = rng.normal(scale=h0_scale, size=(m, H)) if h0_scale > 0 else None
    mask = None
    if last_only:
        mask = np.zeros((T, m))
        mask[-1] = 1.0
    _, cache = forward(params, X, Y, h0=h0, activation=activation, loss_mask=mask)
    return params, cache


def _figure(fig, ncols=1, figsize=(6.0, 3.2), width_ratios=None):
    """A new figure, or ``fig`` cleared and reused (so an animation can redraw it)."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=figsize)
    else:
        fig.clear()
    axes = fig.subplots(1, ncols, gridspec_kw=None if width_ratios is None else {"width_ratios": width_ratios})
    return fig, axes


def _log_heatmap_data(C):
    """log10 of a (T, T) contribution matrix, NaN (blank) where k > t or the term is 0,
    and its largest finite value."""
    T = C.shape[0]
    with np.errstate(divide="ignore"):
        logC = np.log10(C)
    logC = np.where(np.tril(np.ones((T, T), bool)) & np.isfinite(logC), logC, np.nan)
    finite = logC[np.isfinite(logC)]
    return logC, float(finite.max()) if finite.size else 0.0


def _heatmap(ax, C, title):
    """log10 heat map of a (T, T) contribution matrix; the k > t half left blank."""
    T = C.shape[0]
    logC, vmax = _log_heatmap_data(C)
    im = ax.imshow(logC, origin="upper", cmap="viridis", vmin=vmax - 8, vmax=vmax,
                   extent=(0.5, T + 0.5, T + 0.5, 0.5))
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("k (step of the immediate partial)")
    ax.set_ylabel("t (loss L_t)")
    ax.set_title(title, fontsize=10)
    return im


def draw_contributions(scale: float = 1.0, activation: str = "tanh", key: str = "W_hh",
                       T: int = 12, h0_scale: float = 0.0, truncate=None, seed: int = 0,
                       fig=None):
    """Figure: log10 ‖term(t, k)‖_F on the (t, k) grid, plus the norm carried by each lag t − k.

    The problem is :func:`scaled_problem` with ‖W_hh‖₂ = ``scale``.  ``truncate``
    outlines the terms that truncated BPTT keeps.  Returns the figure; pass it
    back as ``fig`` to redraw it for other values (a widget's slider move, an
    animation's frame): the image, markers, curve and titles are then updated
    in place instead of being rebuilt.
    """
    from matplotlib.ticker import MaxNLocator

    params, cache = scaled_problem(T, scale=scale, activation=activation,
                                   h0_scale=h0_scale, seed=seed)
    C = term_contributions(params, cache, key)
    logC, vmax = _log_heatmap_data(C)
    lags = np.arange(T)
    per_lag = np.array([np.sqrt((np.diagonal(C, -s) ** 2).sum()) for s in lags])
    with np.errstate(divide="ignore"):
        log_lag = np.where(per_lag > 0, np.log10(np.where(per_lag > 0, per_lag, 1.0)), np.nan)
    top = np.nanmax(log_lag) if np.isfinite(log_lag).any() else 0.0

    parts = getattr(fig, "_bptt_parts", None)
    if parts is None or parts["key"] != ("contributions", key, T):
        fig, (ax, ax2) = _figure(fig, 2, (8.4, 3.6), [1.1, 1])
        # plain Unicode instead of mathtext: parsing TeX on every redraw would slow the widget down
        im = _heatmap(ax, C, f"log₁₀ norm of each term of ∂L/∂{key}")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        kept = ax.scatter([], [], s=12, marker="s", facecolors="none", edgecolors="#D55E00",
                          linewidths=0.9)
        line, = ax2.plot(lags, log_lag, "o-", ms=3)     # 0 (nothing at this lag): not drawn
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax2.set_xlabel("lag t − k (number of Jacobian factors)")
        ax2.set_ylabel("log₁₀ norm of the terms at this lag")
        ax2.grid(True)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.35)
        parts = fig._bptt_parts = {"key": ("contributions", key, T), "axes": (ax, ax2),
                                   "image": im, "kept": kept, "line": line}
    ax, ax2 = parts["axes"]
    parts["image"].set_data(logC)
    parts["image"].set_clim(vmax - 8, vmax)             # the colour bar follows the image
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if truncate is None:
        parts["kept"].set_visible(False)
    else:
        ys, xs = np.nonzero(kept_by_truncation(T, truncate))
        parts["kept"].set_offsets(np.column_stack([xs + 1, ys + 1]))
        parts["kept"].set_label(f"kept by truncate={truncate}")
        parts["kept"].set_visible(True)
        ax.legend(loc="upper right", fontsize=8)
    parts["line"].set_data(lags, log_lag)
    ax2.relim()                                         # lags without terms (NaN) narrow the x range
    ax2.autoscale_view(scaley=False)
    ax2.set_ylim(top - 8.5, top + 0.5)
    ax2.set_title(f"‖W_hh‖₂ = {scale:.2f}, {activation}", fontsize=10)
    return fig


def draw_truncation_grid(T: int = 8, truncates=(0, 2, None), fig=None):
    """Figure: which (t, k) terms ``truncate=τ`` keeps, one panel per τ (small multiples)."""
    truncates = list(truncates)
    fig, axes = _figure(fig, len(truncates), (2.6 * len(truncates), 2.8))
    axes = np.atleast_1d(axes)
    for ax, tau in zip(axes, truncates):
        keep = kept_by_truncation(T, tau).astype(float)
        keep[np.triu(np.ones((T, T), bool), 1)] = np.nan       # k > t: no term at all
        ax.imshow(keep, cmap="cividis", vmin=0, vmax=1, extent=(0.5, T + 0.5, T + 0.5, 0.5))
        ax.set_title("full BPTT" if tau is None else f"truncate = {tau}", fontsize=10)
        ax.set_xlabel("k")
        ax.set_ylabel("t")
        ax.set_xticks(range(1, T + 1))
        ax.set_yticks(range(1, T + 1))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.16, top=0.88, wspace=0.35)
    return fig


def draw_step_contributions(scale: float = 1.0, activation: str = "tanh", T: int = 12,
                            last_only: bool = True, seed: int = 0, fig=None):
    """Figure: ‖X_kᵀ Δ_k‖_F, the part of ∂L/∂W_xh that enters through input X_k, against k.

    With ``last_only=True`` (the default) only L_T counts, so the bar of step k
    shows how much X_k still matters T − k steps before the loss.  The problem
    is :func:`scaled_problem` with ‖W_hh‖₂ = ``scale``.  Returns the figure;
    pass it back as ``fig`` to redraw it for other values (the bar heights and
    the title are then updated in place).
    """
    params, cache = scaled_problem(T, scale=scale, activation=activation,
                                   last_only=last_only, seed=seed)
    s = step_contributions(params, cache, "W_xh")
    floor = -9.0                                         # bars start at 1e-9 on a log10 axis
    with np.errstate(divide="ignore"):
        logs = np.log10(np.maximum(s, 1e-300))
    parts = getattr(fig, "_bptt_parts", None)
    if parts is None or parts["key"] != ("step_contributions", T):
        fig, ax = _figure(fig, 1, (6.0, 3.2))
        bars = ax.bar(np.arange(1, T + 1), np.zeros(T), bottom=floor, color="#0072B2")
        ax.set_ylim(floor, 1.0)
        ax.set_xticks(range(1, T + 1))
        ax.set_xlabel("input step k")
        ax.set_ylabel("log₁₀ ‖X_kᵀ Δ_k‖_F")
        ax.grid(True, axis="y")
        fig.subplots_adjust(left=0.12, right=0.98, bottom=0.16, top=0.88)
        parts = fig._bptt_parts = {"key": ("step_contributions", T), "axes": ax, "bars": bars}
    for bar, height in zip(parts["bars"], np.maximum(logs, floor) - floor):
        bar.set_height(height)
    parts["axes"].set_title(f"share of ∂L/∂W_xh entering at step k;  ‖W_hh‖₂ = {scale:.2f}, {activation}",
                            fontsize=10)
    return fig


def abbreviate(net, expr):
    """Rewrite a symbolic gradient of :mod:`rnnlib.symbolic` in short names, for display.

    Every φ(a_t) becomes the symbol h_t and every φ'(a_t) the symbol φ'(a_t)
    (entry-wise, h_{t,j} and φ'(a_{t,j}) when H > 1), outermost first, so that
    a nested expression prints as the book writes it by hand.
    """
    import sympy

    from .symbolic import phi_prime

    mapping = {}
    for t in range(1, net.T + 1):
        dphi = phi_prime(net, t)
        for j in range(net.H):
            sub = f"{t}" if net.H == 1 else f"{t},{j + 1}"
            mapping[net.h[t][0, j]] = sympy.Symbol(f"h_{{{sub}}}", real=True)
            mapping[dphi[0, j]] = sympy.Symbol(f"\\phi'(a_{{{sub}}})", real=True)
    return expr.xreplace(mapping)
