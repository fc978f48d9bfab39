"""Chapter 7: vanishing and exploding gradients.

* :func:`draw_gradient_flow` — ‖∂L_t/∂h_k‖ against k on a log axis, with the
  float64 resolution line and the lost range shaded (:mod:`rnnlib.signals`);
* :func:`widget` (live) and :func:`animation` (kernel-free, sweeping γ_W);
* :func:`activations_figure` — the same flow for every activation and three γ_W;
* :func:`initialisation_figure` — ‖∂h_t/∂h_0‖₂ for four initialisations
  (:func:`rnnlib.comparison.initialisation_norms`);
* :func:`pascanu_figure` — the error surface of the Pascanu unit with its cliff,
  a plain and a clipped step (:mod:`rnnlib.scalar_examples`).

Figures only; the gradient flow follows the redraw protocol of :mod:`rnnlib.plots.style`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..activations import GAMMA
from ..comparison import initialisation_norms
from ..initialisation import orthogonal
from ..problems import random_problem
from ..scalar_examples import pascanu_cliff_b, pascanu_steps, pascanu_surface
from ..signals import FLOAT64_EPS, below_resolution, gradient_flow
from .style import COLORS, GREY, MAX_WIDTH_IN, TEXT, VERMILION, activation_control, jshtml_animation
from .style import keep, live, parts, plain_log_ticks, positive, pyplot

__all__ = ["FLOW_H", "FLOW_T", "ACTIVATION_COLORS", "flow_problem", "draw_gradient_flow", "widget",
           "animation", "activations_figure", "initialisation_figure", "pascanu_figure"]

FLOW_H, FLOW_T = 16, 60
ACTIVATION_COLORS = {"tanh": COLORS[0], "sigmoid": COLORS[1], "relu": COLORS[2], "linear": COLORS[3]}


@lru_cache(maxsize=256)
def flow_problem(scale: float, activation: str):
    """(params, cache) of the gradient-flow network: H = 16, T = 60, batch of 4, mse loss.

    W_hh = scale · Q with Q a fixed random orthogonal matrix, so that
    γ_W = ‖W_hh‖₂ = scale exactly (:func:`rnnlib.problems.random_problem`, seed 7).
    Cached per (scale, activation).
    """
    prob = random_problem(FLOW_T, 4, 3, FLOW_H, 2, seed=7, activation=activation, loss="mse",
                          recurrent=lambda rng: orthogonal(FLOW_H, gain=float(scale), seed=7),
                          b_h=0.1 if activation == "relu" else None)
    return prob.params, prob.forward()[1]


@lru_cache(maxsize=2048)
def _flow(scale: float, activation: str, t: int):
    params, cache = flow_problem(scale, activation)
    return gradient_flow(params, cache, t)


def _relative_flow(t, scale, activation):
    """‖∂L_t/∂h_k‖ / ‖∂L_t/∂h_t‖ for k = 0..t, and the mask of terms below float64 resolution."""
    f = _flow(float(scale), activation, int(t))
    f = f / f[-1] if f[-1] > 0 else f                  # relative to the immediate term k = t
    lost = below_resolution(f) if np.max(f) > 0 else np.zeros(f.shape, bool)
    return f, lost


def _resolution_overlays(ax, k, f, lost):
    """The line ε × largest and the shaded range below it (redrawn for every setting)."""
    ref = FLOAT64_EPS * np.max(f)
    if ref > 0:
        ax.axhline(ref, color=VERMILION, lw=1, ls="--", label=r"$\varepsilon\,\times$ largest")
    if lost.any():
        ax.fill_between(k, 1e-45, 1e45, where=lost, step="mid", color=VERMILION, alpha=0.15, lw=0,
                        label="lost in float64")
    ax.set_xlim(0, FLOW_T)
    ax.set_ylim(1e-45, 1e45)


def _flow_title(scale, activation):
    return (rf"{activation}, $\gamma_W = {scale:.2f}$, "
            rf"$\gamma_W\gamma_h = {float(scale) * GAMMA[activation]:.2f}$")


_FLOW_LABEL = r"$\|\partial L_t/\partial h_k\|\,/\,\|\partial L_t/\partial h_t\|$"


def _flow_axes(ax, t, scale, activation, *, legend=True, title=None, numticks=7):
    f, lost = _relative_flow(t, scale, activation)
    k = np.arange(int(t) + 1)
    ax.semilogy(k, positive(f), color=ACTIVATION_COLORS[activation], lw=2, label=_FLOW_LABEL)
    _resolution_overlays(ax, k, f, lost)
    ax.set_xticks(range(0, FLOW_T + 1, 20))
    ax.set_xlabel("$k$")
    plain_log_ticks(ax, numticks=numticks)
    ax.grid(True, which="major")
    ax.set_title(_flow_title(scale, activation) if title is None else title)
    if legend:
        ax.legend(loc="lower right")


def _render_flow(fig, t, scale, activation):
    stored = parts(fig, "gradient_flow")
    if stored is None:
        fig.clf()
        ax = fig.subplots()
        _flow_axes(ax, t, scale, activation)
        ax.set_ylabel("relative size")
        fig.subplots_adjust(left=0.13, right=0.98, bottom=0.15, top=0.9)   # fixed: fast redraws
        keep(fig, "gradient_flow", axes=ax)
        return
    # A redraw updates the curve, the ε line, the shading and the title of the axes above.
    ax = stored["axes"]
    f, lost = _relative_flow(t, scale, activation)
    k = np.arange(int(t) + 1)
    for artist in ax.lines[1:] + ax.collections:       # all but the curve: redrawn below
        artist.remove()
    curve = ax.lines[0]
    curve.set_data(k, positive(f))
    curve.set_color(ACTIVATION_COLORS[activation])
    _resolution_overlays(ax, k, f, lost)
    ax.set_title(_flow_title(scale, activation))
    ax.legend(loc="lower right")


def draw_gradient_flow(t: int = 60, scale: float = 1.0, activation: str = "tanh", fig=None):
    """‖∂L_t/∂h_k‖ against k = 0..t (log axis) for W_hh = scale · Q, with the
    float64 resolution line 2.2e-16 · max_k and the range of k below it shaded.
    Pass a figure this function returned as ``fig`` to redraw it (a slider move).
    """
    if fig is None:
        fig = pyplot().figure(figsize=(7.4, 3.9))
    _render_flow(fig, t, scale, activation)
    return fig


def animation(scales=None, *, activation="tanh", t=60):
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
    """Small multiples: the gradient flow of every activation (columns) at each γ_W (rows).

    Columns are titled by the activation, rows by γ_W; each panel states its γ_W γ_h."""
    plt = pyplot()
    acts = ("tanh", "sigmoid", "relu", "linear")
    fig, axes = plt.subplots(len(scales), 4, figsize=(MAX_WIDTH_IN, 2.3 * len(scales) + 0.4),
                             sharey=True)
    for r, s in enumerate(scales):
        for c, act in enumerate(acts):
            ax = axes[r, c]
            _flow_axes(ax, t, s, act, legend=False, title=act if r == 0 else "", numticks=4)
            ax.text(0.96, 0.06, rf"$\gamma_W\gamma_h = {s * GAMMA[act]:.3g}$", transform=ax.transAxes,
                    ha="right", va="bottom", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
            # 60 would touch the next panel's 0: only the last column labels it
            ax.set_xticks([0, 20, 40, 60] if c == 3 else [0, 20, 40])
            if c == 0:
                ax.set_ylabel(rf"$\gamma_W = {s:g}$")
            if r < len(scales) - 1:
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
    fig.subplots_adjust(left=0.12, right=0.99, bottom=0.1, top=0.93, wspace=0.08, hspace=0.12)
    return fig


def widget():
    """The live widget of chapter 7: t, γ_W = ‖W_hh‖₂ and φ redraw :func:`draw_gradient_flow`."""
    import ipywidgets as W

    controls = {"t": W.IntSlider(value=60, min=1, max=FLOW_T, description="t"),
                "scale": W.FloatSlider(value=1.0, min=0.2, max=15.0, step=0.05, description="γ_W = ‖W_hh‖₂"),
                "activation": activation_control()}
    return live("ch07-vanishing-gradient", draw_gradient_flow, controls,
                examples=[dict(t=60, scale=1.0, activation="tanh"), dict(t=40, scale=1.0, activation="sigmoid"),
                          dict(t=60, scale=1.5, activation="linear")])


def initialisation_figure(H: int = 32, T: int = 60):
    """Left: ‖∂h_t/∂h_0‖₂ against t.  Right: the singular values of each W_hh."""
    plt = pyplot()
    data = initialisation_norms(H, T)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 4.4))
    for (name, (W, act, norms)), c in zip(data.items(), COLORS):
        ax0.semilogy(np.arange(T + 1), positive(norms), color=c, lw=2, label=name)
        ax1.plot(np.arange(1, H + 1), np.linalg.svd(W, compute_uv=False), "o-", ms=3, color=c, label=name)
    ax0.set_xlabel(r"$t$")
    ax0.set_ylabel(r"$\|\partial h_t/\partial h_0\|_2$")
    ax0.grid(True, which="major")
    fig.legend(*ax0.get_legend_handles_labels(), loc="upper center", ncol=2, columnspacing=1.2)
    ax1.axhline(1.0, color=GREY, lw=1, ls=":")
    ax1.set_xlabel("index $i$")
    ax1.set_ylabel(r"singular value $\sigma_i(W_{hh})$")
    ax1.grid(True)
    fig.tight_layout(rect=(0, 0, 1, 0.8))
    return fig


def pascanu_figure(w0=5.0, offset=-1e-4, *, lr=0.5, max_norm=1.0, n=241):
    """The error surface over (w, b) with its cliff, a plain step and a clipped step."""
    plt = pyplot()
    w = np.linspace(3.0, 7.0, n)
    b = np.linspace(-5.0, -0.5, n)
    Wg, Bg = np.meshgrid(w, b)
    E, _, _ = pascanu_surface(Wg, Bg)
    b0 = float(pascanu_cliff_b(w0)) + offset
    (dw, db), plain, clipped, norm = pascanu_steps(w0, b0, lr=lr, max_norm=max_norm)

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 4.2), gridspec_kw={"width_ratios": [1.25, 1]})
    im = ax0.pcolormesh(w, b, E, cmap="viridis", shading="auto", rasterized=True)
    fig.colorbar(im, ax=ax0, label=r"$E(w, b)$")
    ax0.plot(w, pascanu_cliff_b(w), color="white", lw=1, ls=":")
    d = np.array(plain) - np.array([w0, b0])
    tip = np.array([w0, b0]) + d / np.linalg.norm(d) * 10.0        # beyond the frame
    ax0.plot([w0, tip[0]], [b0, tip[1]], color=VERMILION, lw=2, ls="--", zorder=3)
    ax0.annotate("", xy=clipped, xytext=(w0, b0), zorder=4,
                 arrowprops=dict(arrowstyle="-|>", color="white", lw=2.5, mutation_scale=14))
    ax0.plot([w0], [b0], "o", color=VERMILION, ms=7, zorder=5)
    # Text over the colour map sits on its own box, so that its contrast is known.
    ax0.text(clipped[0] + 0.15, clipped[1] - 0.1, "clipped step", color=TEXT, va="top",
             bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.9))
    ax0.set_xlim(w[0], w[-1])
    ax0.set_ylim(b[0], b[-1])
    ax0.set_xlabel("$w$")
    ax0.set_ylabel("$b$")
    ax0.set_title("error surface and the cliff (dotted)")

    bs = np.linspace(b0 - 0.6, b0 + 0.6, 1201)
    Es, _, dbs = pascanu_surface(w0, bs)
    ax1.plot(bs, Es, color=COLORS[0], lw=2, label=rf"$E(w={w0:g}, b)$")
    ax1.axvline(b0, color=VERMILION, lw=1, ls=":", label=r"start $b_0$")
    ax1.set_xlabel("$b$")
    ax1.set_ylabel("$E$")
    ax1.legend(loc="center right")
    ax1.grid(True)
    ax1.set_title(rf"a slice at $w = {w0:g}$")
    fig.tight_layout()
    return fig
