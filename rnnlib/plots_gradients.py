"""Figures, widgets' draw functions and animations of chapters 6 and 7.

Each ``draw_*`` function takes the widget's control values and returns a new
matplotlib figure, or redraws the figure passed as ``fig`` (a live widget keeps
one figure); it calls a ``_render_*`` function that fills a given figure,
which the ``*_animation`` counterparts reuse frame by frame (at most 30 frames
at 80 dpi, through :func:`rnnlib.viz.jshtml_animation`).  The explorer's
``_render_*`` updates the artists of a figure it drew before in place.  What does
not depend on the cheapest controls is cached, so that a redraw costs one
small figure.  The numbers come from :mod:`rnnlib.analysis` and
:mod:`rnnlib.pascanu`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import analysis as A
from .activations import GAMMA
from .clipping import clip_by_norm
from .jacobians import jacobian, jacobian_product
from .pascanu import pascanu_surface, pascanu_unit
from .rnn import forward
from .viz import COLORS, jshtml_animation

__all__ = [
    "EXPLORER_H", "EXPLORER_T", "FLOW_H", "FLOW_T", "ACTIVATION_COLORS",
    "explorer_problem", "draw_jacobian_explorer", "jacobian_explorer_animation",
    "flow_problem", "draw_gradient_flow", "gradient_flow_animation", "activations_figure",
    "nonnormal_figure", "initialisation_data", "initialisation_figure",
    "pascanu_cliff_b", "pascanu_steps", "pascanu_figure",
]

EXPLORER_H, EXPLORER_T = 6, 40
FLOW_H, FLOW_T = 16, 60
ACTIVATION_COLORS = {"tanh": COLORS[0], "sigmoid": COLORS[1], "relu": COLORS[2], "linear": COLORS[3]}


def _plt():
    import matplotlib.pyplot as plt
    return plt


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_log_ticks(ax):
    """Label a log y-axis as 10⁻¹² in plain unicode: mathtext is re-parsed for
    every new figure and would dominate a widget's redraw time."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=7))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "10" + str(int(round(np.log10(v)))).translate(_SUP)))
    ax.yaxis.set_minor_locator(NullLocator())      # dozens of minor ticks cost more than the data


def _positive(y):
    """Zeros (e.g. dead ReLU units) cannot be drawn on a log axis: show them as gaps."""
    y = np.asarray(y, dtype=float).copy()
    y[y <= 0] = np.nan
    return y


# --------------------------------------------------------------------------- Jacobian explorer
@lru_cache(maxsize=256)
def explorer_problem(rho: float, activation: str):
    """(params, cache) of the explorer's network: H = 6, T = 40, one example.

    W_hh is a fixed Gaussian matrix rescaled to spectral radius ``rho``; the
    inputs are fixed N(0, 1) draws.  Cached per (rho, activation).
    """
    rng = np.random.default_rng(6)
    W = A.with_spectral_radius(rng.normal(size=(EXPLORER_H, EXPLORER_H)), float(rho))
    params = A.params_with_W_hh(W, n_in=2, n_out=2, seed=6)
    if activation == "relu":
        params["b_h"] = np.full(EXPLORER_H, 0.5)     # keep most units alive
    X = rng.normal(size=(EXPLORER_T, 1, 2))
    _, cache = forward(params, X, np.zeros((EXPLORER_T, 1), dtype=int), activation=activation)
    return params, cache


@lru_cache(maxsize=1024)
def _explorer_svals(rho: float, activation: str, t: int):
    params, cache = explorer_problem(rho, activation)
    return A.jacobian_product_singular_values(params, cache, t)


def _render_explorer(fig, t, k, rho, activation):
    t = int(t)
    k = min(int(k), t)
    rho = float(rho)
    params, cache = explorer_problem(rho, activation)
    P = jacobian_product(params, cache, t, k)[0]
    sv = _explorer_svals(rho, activation, t)                  # (t+1, H); row k'
    lags = t - np.arange(t + 1)
    gw = A.gamma_w(params["W_hh"])
    bound = A.jacobian_bound(params["W_hh"], activation, lags)
    frob = np.sqrt(np.sum(sv ** 2, axis=1))

    v = max(float(np.max(np.abs(P))), 1e-300)
    parts = getattr(fig, "_bptt_parts", None)
    if parts is None or parts["key"] != "explorer":
        fig.clf()
        ax0, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
        # Plain-text labels and no colorbar keep a redraw cheap; the colour scale is ±max|entry|.
        image = ax0.imshow(P, cmap="RdBu_r", vmin=-v, vmax=v)
        ax0.set_xticks([])
        ax0.set_yticks([])
        ax0.set_xlabel("columns: h_k,  rows: h_t")
        lines = [ax1.semilogy([], [], "--", color="#808080", label="bound (γ_W γ_h)^(t−k)")[0],
                 ax1.semilogy([], [], color=COLORS[0], lw=3, label="‖∂h_t/∂h_k‖₂")[0],
                 ax1.semilogy([], [], color=COLORS[1], lw=1.2, ls="-.", label="‖∂h_t/∂h_k‖_F")[0]]
        chosen = ax1.axvline(t - k, color=COLORS[3], lw=1, ls=":")
        ax1.set_xlabel("lag t − k")
        _plain_log_ticks(ax1)
        ax1.set_xlim(0, EXPLORER_T)
        ax1.set_xticks(range(0, EXPLORER_T + 1, 10))
        ax1.set_ylim(1e-12, 1e8)
        ax1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax1.grid(True, which="major")
        fig.subplots_adjust(left=0.02, right=0.78, bottom=0.14, top=0.9, wspace=0.3)   # fixed: fast redraws
        parts = fig._bptt_parts = {"key": "explorer", "axes": (ax0, ax1), "image": image,
                                   "lines": lines, "chosen": chosen}
    # A redraw only updates the data and the titles of the artists drawn above.
    ax0, ax1 = parts["axes"]
    parts["image"].set_data(P)
    parts["image"].set_clim(-v, v)
    ax0.set_title(f"∂h_{t}/∂h_{k}   (±{v:.0e})", fontsize=10)
    for line, y in zip(parts["lines"], (bound, _positive(sv[:, 0]), _positive(frob))):
        line.set_data(lags, y)
    parts["chosen"].set_xdata([t - k, t - k])
    ax1.set_title(f"{activation}: ρ(W_hh) = {rho:.2f}, γ_W γ_h = {gw * GAMMA[activation]:.2f}", fontsize=10)


def draw_jacobian_explorer(t: int = 40, k: int = 30, rho: float = 1.0, activation: str = "tanh",
                           fig=None):
    """Heatmap of ∂h_t/∂h_k for one example, and, against the lag t − k',
    ‖∂h_t/∂h_k'‖₂ (the largest singular value), the Frobenius norm and the
    bound (γ_W γ_h)^(t−k') for k' = 0..t.  The dotted line marks the chosen k.
    Pass a figure this function returned as ``fig`` to redraw it (a slider move).
    """
    if fig is None:
        fig = _plt().figure(figsize=(9.0, 3.6))
    _render_explorer(fig, t, k, rho, activation)
    return fig


def jacobian_explorer_animation(rhos=None, *, activation="tanh", t=40, k=30):
    """The explorer with the spectral radius ρ(W_hh) swept over ``rhos`` (≤ 30 frames)."""
    rhos = np.round(np.linspace(0.5, 1.6, 12), 3) if rhos is None else np.asarray(rhos, dtype=float)
    fig = draw_jacobian_explorer(t, k, float(rhos[0]), activation)
    return jshtml_animation(
        fig, lambda rho: _render_explorer(fig, t, k, rho, activation), [float(r) for r in rhos],
        alt=(f"Two panels, animated over the spectral radius of W_hh from {rhos[0]:g} to {rhos[-1]:g} "
             f"({activation}): the heatmap of the Jacobian product from h_{k} to h_{t}, and its norm "
             "against the lag on a log axis, under the dashed bound (gamma_W gamma_h)^(t-k)."),
        caption=(f"Swept parameter: the spectral radius ρ(W_hh), from {rhos[0]:g} to {rhos[-1]:g} "
                 f"({activation}, t = {t}, k = {k})"),
    )


# --------------------------------------------------------------------------- gradient flow
@lru_cache(maxsize=256)
def flow_problem(scale: float, activation: str):
    """(params, cache) of the gradient-flow network: H = 16, T = 60, batch of 4, mse loss.

    W_hh = scale · Q with Q a fixed random orthogonal matrix, so that
    γ_W = ‖W_hh‖₂ = scale exactly.  Cached per (scale, activation).
    """
    rng = np.random.default_rng(7)
    W = A.orthogonal(FLOW_H, gain=float(scale), seed=7)
    params = A.params_with_W_hh(W, n_in=3, n_out=2, seed=7)
    if activation == "relu":
        params["b_h"] = np.full(FLOW_H, 0.1)
    X = rng.normal(size=(FLOW_T, 4, 3))
    Y = rng.normal(size=(FLOW_T, 4, 2))
    _, cache = forward(params, X, Y, activation=activation, loss="mse")
    return params, cache


@lru_cache(maxsize=2048)
def _flow(scale: float, activation: str, t: int):
    params, cache = flow_problem(scale, activation)
    return A.gradient_flow(params, cache, t)


def _flow_axes(ax, t, scale, activation, *, legend=True, title=None):
    f = _flow(float(scale), activation, int(t))
    f = f / f[-1] if f[-1] > 0 else f                  # relative to the immediate term k = t
    k = np.arange(int(t) + 1)
    lost = A.below_resolution(f) if np.max(f) > 0 else np.zeros(f.shape, bool)
    ref = A.FLOAT64_EPS * np.max(f)
    ax.semilogy(k, _positive(f), color=ACTIVATION_COLORS[activation], lw=2,
                label="‖∂L_t/∂h_k‖ / ‖∂L_t/∂h_t‖")
    if ref > 0:
        ax.axhline(ref, color=COLORS[3], lw=1, ls="--", label="ε × largest")
    if lost.any():
        ax.fill_between(k, 1e-45, 1e45, where=lost, step="mid", color=COLORS[3], alpha=0.15, lw=0,
                        label="lost in float64")
    ax.set_xlim(0, FLOW_T)
    ax.set_xticks(range(0, FLOW_T + 1, 20))
    ax.set_ylim(1e-45, 1e45)
    ax.set_xlabel("k")
    _plain_log_ticks(ax)
    ax.grid(True, which="major")
    g = float(scale) * GAMMA[activation]
    ax.set_title(title or f"{activation}, γ_W = {scale:.2f}, γ_W γ_h = {g:.2f}", fontsize=10)
    if legend:
        ax.legend(fontsize=8, loc="lower right")


def _render_flow(fig, t, scale, activation):
    parts = getattr(fig, "_bptt_parts", None)
    if parts is None or parts["key"] != "gradient_flow":
        fig.clf()
        ax = fig.subplots()
        _flow_axes(ax, t, scale, activation)
        ax.set_ylabel("relative size")
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)   # fixed: fast redraws
        fig._bptt_parts = {"key": "gradient_flow", "axes": ax}
        return
    # A redraw updates the curve, the ε line, the shading and the title of the axes above.
    ax = parts["axes"]
    f = _flow(float(scale), activation, int(t))
    f = f / f[-1] if f[-1] > 0 else f
    k = np.arange(int(t) + 1)
    lost = A.below_resolution(f) if np.max(f) > 0 else np.zeros(f.shape, bool)
    ref = A.FLOAT64_EPS * np.max(f)
    for artist in ax.lines[1:] + ax.collections:       # all but the curve: redrawn below
        artist.remove()
    curve = ax.lines[0]
    curve.set_data(k, _positive(f))
    curve.set_color(ACTIVATION_COLORS[activation])
    if ref > 0:
        ax.axhline(ref, color=COLORS[3], lw=1, ls="--", label="ε × largest")
    if lost.any():
        ax.fill_between(k, 1e-45, 1e45, where=lost, step="mid", color=COLORS[3], alpha=0.15, lw=0,
                        label="lost in float64")
    ax.set_xlim(0, FLOW_T)
    ax.set_ylim(1e-45, 1e45)
    g = float(scale) * GAMMA[activation]
    ax.set_title(f"{activation}, γ_W = {scale:.2f}, γ_W γ_h = {g:.2f}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")


def draw_gradient_flow(t: int = 60, scale: float = 1.0, activation: str = "tanh", fig=None):
    """‖∂L_t/∂h_k‖ against k = 0..t (log axis) for W_hh = scale · Q, with the
    float64 resolution line 2.2e-16 · max_k and the range of k below it shaded.
    Pass a figure this function returned as ``fig`` to redraw it (a slider move).
    """
    if fig is None:
        fig = _plt().figure(figsize=(7.2, 3.6))
    _render_flow(fig, t, scale, activation)
    return fig


def gradient_flow_animation(scales=None, *, activation="tanh", t=60):
    """The gradient-flow plot with γ_W = ‖W_hh‖₂ swept over ``scales`` (≤ 30 frames)."""
    scales = np.round(np.linspace(0.4, 2.0, 13), 3) if scales is None else np.asarray(scales, dtype=float)
    fig = draw_gradient_flow(t, float(scales[0]), activation)
    return jshtml_animation(
        fig, lambda s: _render_flow(fig, t, s, activation), [float(s) for s in scales],
        alt=(f"Log plot of the per-step gradient norms of L_{t} with respect to h_k against k, animated "
             f"over the scale of W_hh from {scales[0]:g} to {scales[-1]:g} ({activation}); a dashed line "
             "marks machine epsilon times the largest term, and the steps below it are shaded."),
        caption=(f"Swept parameter: γ_W = ‖W_hh‖₂ (W_hh = γ_W · orthogonal), from {scales[0]:g} "
                 f"to {scales[-1]:g} ({activation}, t = {t})"),
    )


def activations_figure(scales=(1.0, 2.0, 4.5), *, t=60):
    """Small multiples: the gradient flow of every activation (columns) at each γ_W (rows)."""
    plt = _plt()
    acts = ("tanh", "sigmoid", "relu", "linear")
    fig, axes = plt.subplots(len(scales), 4, figsize=(11, 2.2 * len(scales)), sharex=True, sharey=True)
    for r, s in enumerate(scales):
        for c, act in enumerate(acts):
            _flow_axes(axes[r, c], t, s, act, legend=False,
                       title=f"{act}: γ_W={s:g}, γ_Wγ_h={s * GAMMA[act]:.3g}")
            if c == 0:
                axes[r, c].set_ylabel("relative size")
            if r < len(scales) - 1:
                axes[r, c].set_xlabel("")
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.08, top=0.95, wspace=0.08, hspace=0.3)
    return fig


# --------------------------------------------------------------------------- eigen vs singular
def nonnormal_figure(W=((0.5, 4.0), (0.0, 0.5)), K=30):
    """‖W^k‖₂ against k for the non-normal W, with ρ(W)^k and ‖W‖₂^k for comparison."""
    plt = _plt()
    W = np.asarray(W, dtype=float)
    k = np.arange(K + 1)
    norms = A.power_norms(W, K)
    rho, g = A.spectral_radius(W), A.spectral_norm(W)
    normal = np.diag(np.linalg.eigvals(W).real)           # same eigenvalues, normal
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogy(k, norms, "o-", ms=3, color=COLORS[0], label=r"$\|W^k\|_2$ (non-normal $W$)")
    ax.semilogy(k, A.power_norms(normal, K), color=COLORS[2], label=rf"$\rho(W)^k$ = {rho:g}$^k$ (a normal matrix)")
    ax.semilogy(k, g ** k, "--", color="#808080", label=rf"$\|W\|_2^k$ = {g:.3f}$^k$")
    ax.set_ylim(1e-6, 1e3)
    ax.set_xlabel(r"power $k$")
    ax.grid(True, which="major")
    ax.legend(fontsize=9)
    ax.set_title(r"$W = [[0.5, 4], [0, 0.5]]$: same eigenvalues, very different powers", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- initialisation
@lru_cache(maxsize=4)
def initialisation_data(H: int = 32, T: int = 60, seed: int = 3):
    """For each initialisation: (W_hh, activation, ‖∂h_t/∂h_0‖₂ for t = 0..T).

    The four schemes: Gaussian N(0, 1/H) with tanh (the default of
    :func:`rnnlib.init_params`), orthogonal with tanh, the identity with ReLU
    (IRNN) and a Gaussian matrix rescaled to spectral radius 0.95 with tanh.
    """
    rng = np.random.default_rng(seed)
    gauss = rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, H))
    schemes = {
        "Gaussian N(0, 1/H), tanh": (gauss, "tanh"),
        "orthogonal, tanh": (A.orthogonal(H, seed=seed), "tanh"),
        "identity + ReLU (IRNN)": (A.scaled_identity(H, 1.0), "relu"),
        "spectral radius 0.95, tanh": (A.with_spectral_radius(gauss, 0.95), "tanh"),
    }
    X = rng.normal(0.0, 0.5, size=(T, 1, 4))
    out = {}
    for name, (W, act) in schemes.items():
        params = A.params_with_W_hh(W, n_in=4, n_out=1, seed=seed)
        if act == "relu":
            params["b_h"] = np.full(H, 0.1)
        _, cache = forward(params, X, np.zeros((T, 1), dtype=int), activation=act)
        norms = np.empty(T + 1)
        P = np.eye(H)
        norms[0] = 1.0
        for t in range(1, T + 1):                       # ∂h_t/∂h_0 = J_t · ∂h_{t−1}/∂h_0
            P = jacobian(params, cache, t)[0] @ P
            norms[t] = np.linalg.norm(P, 2)
        out[name] = (W, act, norms)
    return out


def initialisation_figure(H: int = 32, T: int = 60):
    """Left: ‖∂h_t/∂h_0‖₂ against t.  Right: the singular values of each W_hh."""
    plt = _plt()
    data = initialisation_data(H, T)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10.5, 3.8))
    for (name, (W, act, norms)), c in zip(data.items(), COLORS):
        ax0.semilogy(np.arange(T + 1), _positive(norms), color=c, lw=2, label=name)
        ax1.plot(np.arange(1, H + 1), np.linalg.svd(W, compute_uv=False), "o-", ms=3, color=c, label=name)
    ax0.set_xlabel(r"$t$")
    ax0.set_ylabel(r"$\|\partial h_t/\partial h_0\|_2$")
    ax0.grid(True, which="major")
    ax0.legend(fontsize=8, loc="lower left")
    ax1.axhline(1.0, color="#808080", lw=1, ls=":")
    ax1.set_xlabel("index $i$")
    ax1.set_ylabel(r"singular value $\sigma_i(W_{hh})$")
    ax1.grid(True)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- Pascanu's figure 6
def pascanu_cliff_b(w, *, x0=0.5):
    """The b at which x_0 is a fixed point of x ↦ w σ(x) + b: b = x_0 − w σ(x_0).

    For w σ'(x_0) > 1 that fixed point is unstable; x_t runs off to one side or
    the other of it, and E jumps across this line — the cliff.
    """
    w = np.asarray(w, dtype=float)
    return x0 - w * 0.5 * (1.0 + np.tanh(0.5 * x0))


def pascanu_steps(w0, b0, *, lr=0.5, max_norm=1.0, **kw):
    """One plain and one norm-clipped gradient step from (w0, b0).

    Returns ``(grad, plain, clipped, norm)``: the gradient (dE/dw, dE/db), the
    two new points and the gradient norm before clipping
    (:func:`rnnlib.clip_by_norm`).
    """
    _, dw, db = pascanu_unit(w0, b0, **kw)
    g = {"w": np.array(dw), "b": np.array(db)}
    gc, norm = clip_by_norm(g, max_norm)
    plain = (w0 - lr * dw, b0 - lr * db)
    clipped = (w0 - lr * float(gc["w"]), b0 - lr * float(gc["b"]))
    return (dw, db), plain, clipped, norm


def pascanu_figure(w0=5.0, offset=-1e-4, *, lr=0.5, max_norm=1.0, n=241):
    """The error surface over (w, b) with its cliff, a plain step and a clipped step."""
    plt = _plt()
    w = np.linspace(3.0, 7.0, n)
    b = np.linspace(-5.0, -0.5, n)
    Wg, Bg = np.meshgrid(w, b)
    E, _, _ = pascanu_surface(Wg, Bg)
    b0 = float(pascanu_cliff_b(w0)) + offset
    (dw, db), plain, clipped, norm = pascanu_steps(w0, b0, lr=lr, max_norm=max_norm)

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10.5, 4.0), gridspec_kw={"width_ratios": [1.25, 1]})
    im = ax0.pcolormesh(w, b, E, cmap="viridis", shading="auto", rasterized=True)
    fig.colorbar(im, ax=ax0, label=r"$E(w, b)$")
    ax0.plot(w, pascanu_cliff_b(w), color="white", lw=1, ls=":")
    d = np.array(plain) - np.array([w0, b0])
    tip = np.array([w0, b0]) + d / np.linalg.norm(d) * 10.0        # beyond the frame
    ax0.plot([w0, tip[0]], [b0, tip[1]], color=COLORS[3], lw=2, ls="--", zorder=3)
    ax0.annotate("", xy=clipped, xytext=(w0, b0), zorder=4,
                 arrowprops=dict(arrowstyle="-|>", color="white", lw=2.5, mutation_scale=14))
    ax0.plot([w0], [b0], "o", color=COLORS[3], ms=7, zorder=5)
    ax0.text(clipped[0] + 0.12, clipped[1] - 0.05, "clipped step", color="white", fontsize=9, va="top")
    ax0.text(3.1, -0.7, f"dashed: the plain step, length {lr * norm:.0f};\n"
             f"it lands at (w, b) = ({plain[0]:.0f}, {plain[1]:.0f})",
             color="white", fontsize=9, va="top")
    ax0.set_xlim(w[0], w[-1])
    ax0.set_ylim(b[0], b[-1])
    ax0.set_xlabel("$w$")
    ax0.set_ylabel("$b$")
    ax0.set_title("error surface; dotted: the cliff $b = x_0 - w\\,\\sigma(x_0)$", fontsize=10)

    bs = np.linspace(b0 - 0.6, b0 + 0.6, 1201)
    Es, _, dbs = pascanu_surface(w0, bs)
    ax1.plot(bs, Es, color=COLORS[0], lw=2, label=rf"$E(w={w0:g}, b)$")
    ax1.axvline(b0, color=COLORS[3], lw=1, ls=":", label=rf"start $b_0$, $\|\nabla E\|$ = {norm:.0f}")
    ax1.set_xlabel("$b$")
    ax1.set_ylabel("$E$")
    ax1.legend(fontsize=9)
    ax1.grid(True)
    ax1.set_title(rf"a slice at $w = {w0:g}$: a flat plateau, a wall, a flat floor", fontsize=10)
    fig.tight_layout()
    return fig
