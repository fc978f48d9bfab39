"""Chapter 6: Jacobian products, their norms, and the bound (γ_W γ_h)^(t−k).

* :func:`draw_jacobian_explorer` — the heat map of ∂h_t/∂h_k and, against the
  lag, ‖∂h_t/∂h_k‖₂, the Frobenius norm and the bound (:mod:`rnnlib.jacobians`);
* :func:`widget` (live) and :func:`animation` (kernel-free, sweeping ρ(W_hh));
* :func:`nonnormal_figure` — ‖W^k‖₂ of a non-normal matrix against ρ(W)^k.

Figures only: every number comes from :mod:`rnnlib.jacobians`.  The explorer
follows the redraw protocol of :mod:`rnnlib.plots.style` and caches what does not
depend on the cheapest controls, so that a redraw costs one small figure.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..activations import GAMMA
from ..initialisation import with_spectral_radius
from ..jacobians import (
    jacobian_bound,
    jacobian_product,
    jacobian_product_singular_values,
    power_norms,
    spectral_norm,
    spectral_radius,
)
from ..problems import random_problem
from .style import BLUE, GREEN, GREY, MAX_WIDTH_IN, ORANGE, VERMILION
from .style import activation_control, jshtml_animation, keep, live, parts, plain_log_ticks, positive, pyplot

__all__ = ["EXPLORER_H", "EXPLORER_T", "explorer_problem", "draw_jacobian_explorer", "widget",
           "animation", "nonnormal_figure"]

EXPLORER_H, EXPLORER_T = 6, 40


@lru_cache(maxsize=256)
def explorer_problem(rho: float, activation: str):
    """(params, cache) of the explorer's network: H = 6, T = 40, one example.

    W_hh is a fixed Gaussian matrix rescaled to spectral radius ``rho``; the
    inputs are fixed N(0, 1) draws (:func:`rnnlib.problems.random_problem`, seed 6).
    Cached per (rho, activation).
    """
    prob = random_problem(
        EXPLORER_T, 1, 2, EXPLORER_H, 2, seed=6, activation=activation,
        recurrent=lambda rng: with_spectral_radius(rng.normal(size=(EXPLORER_H, EXPLORER_H)), float(rho)),
        b_h=0.5 if activation == "relu" else None)          # ReLU: keep most units alive
    return prob.params, prob.forward()[1]


@lru_cache(maxsize=1024)
def _explorer_svals(rho: float, activation: str, t: int):
    params, cache = explorer_problem(rho, activation)
    return jacobian_product_singular_values(params, cache, t)


def _render_explorer(fig, t, k, rho, activation):
    t = int(t)
    k = min(int(k), t)
    rho = float(rho)
    params, cache = explorer_problem(rho, activation)
    P = jacobian_product(params, cache, t, k)[0]
    sv = _explorer_svals(rho, activation, t)                  # (t+1, H); row k'
    lags = t - np.arange(t + 1)
    gw = spectral_norm(params["W_hh"])
    bound = jacobian_bound(params["W_hh"], activation, lags)
    frob = np.sqrt(np.sum(sv ** 2, axis=1))

    v = max(float(np.max(np.abs(P))), 1e-300)
    stored = parts(fig, "explorer")
    if stored is None:
        fig.clf()
        ax0, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.9]})
        # No colorbar keeps a redraw cheap; the colour scale is ±max|entry| (in the title).
        image = ax0.imshow(P, cmap="RdBu_r", vmin=-v, vmax=v)
        ax0.set_xticks([])
        ax0.set_yticks([])
        ax0.set_xlabel("columns: $h_k$, rows: $h_t$")
        # The Frobenius norm is drawn as circles over the 2-norm line: where the product is
        # nearly rank one the two coincide, and both stay visible.
        # The lines keep plain names (label); the legend shows them in mathtext.
        lines = [ax1.semilogy([], [], "--", color=GREY, lw=1.5, label="bound (γ_W γ_h)^(t−k)")[0],
                 ax1.semilogy([], [], color=BLUE, lw=2.5, label="‖∂h_t/∂h_k‖₂")[0],
                 ax1.semilogy([], [], ls="none", marker="o", ms=5, mew=1.3, markevery=2, color=ORANGE,
                              markerfacecolor="none", zorder=3, label="‖∂h_t/∂h_k‖_F")[0]]
        legend_labels = [r"bound $(\gamma_W\gamma_h)^{t-k}$", r"$\|\partial h_t/\partial h_k\|_2$",
                         r"$\|\partial h_t/\partial h_k\|_F$ (circles)"]
        chosen = ax1.axvline(t - k, color=VERMILION, lw=1.2, ls=":")
        ax1.set_xlabel("lag $t - k$ (dotted: the chosen $k$)")
        plain_log_ticks(ax1, numticks=6)
        ax1.set_xlim(0, EXPLORER_T)
        ax1.set_xticks(range(0, EXPLORER_T + 1, 10))
        ax1.set_ylim(1e-12, 1e8)
        ax1.legend(lines, legend_labels, loc="best", handlelength=1.4, borderpad=0.2, labelspacing=0.3)
        ax1.grid(True, which="major")
        fig.subplots_adjust(left=0.02, right=0.99, bottom=0.15, top=0.88, wspace=0.22)   # fixed: fast redraws
        stored = keep(fig, "explorer", axes=(ax0, ax1), image=image, lines=lines, chosen=chosen)
    # A redraw only updates the data and the titles of the artists drawn above.
    ax0, ax1 = stored["axes"]
    stored["image"].set_data(P)
    stored["image"].set_clim(-v, v)
    ax0.set_title(rf"$\partial h_{{{t}}}/\partial h_{{{k}}}$ (scale $\pm${v:.0e})")
    for line, y in zip(stored["lines"], (bound, positive(sv[:, 0]), positive(frob))):
        line.set_data(lags, y)
    stored["chosen"].set_xdata([t - k, t - k])
    ax1.set_title(rf"{activation}: $\rho(W_{{hh}}) = {rho:.2f}$, $\gamma_W\gamma_h = {gw * GAMMA[activation]:.2f}$")


def draw_jacobian_explorer(t: int = 40, k: int = 30, rho: float = 1.0, activation: str = "tanh",
                           fig=None):
    """Heatmap of ∂h_t/∂h_k for one example, and, against the lag t − k',
    ‖∂h_t/∂h_k'‖₂ (the largest singular value), the Frobenius norm and the
    bound (γ_W γ_h)^(t−k') for k' = 0..t.  The dotted line marks the chosen k.
    Pass a figure this function returned as ``fig`` to redraw it (a slider move).
    """
    if fig is None:
        fig = pyplot().figure(figsize=(MAX_WIDTH_IN, 3.9))
    _render_explorer(fig, t, k, rho, activation)
    return fig


def animation(rhos=None, *, activation="tanh", t=40, k=30):
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


def widget():
    """The live widget of chapter 6: t, k, ρ(W_hh) and φ redraw :func:`draw_jacobian_explorer`."""
    import ipywidgets as W

    controls = {"t": W.IntSlider(value=40, min=1, max=EXPLORER_T, description="t"),
                "k": W.IntSlider(value=30, min=0, max=EXPLORER_T, description="k"),
                "rho": W.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.05, description="ρ(W_hh)"),
                "activation": activation_control()}
    return live("ch06-jacobian-explorer", draw_jacobian_explorer, controls,
                examples=[dict(t=40, k=30, rho=1.0, activation="tanh"),
                          dict(t=25, k=5, rho=1.5, activation="relu"),
                          dict(t=40, k=0, rho=0.6, activation="sigmoid")])


def nonnormal_figure(W=((0.5, 4.0), (0.0, 0.5)), K=30):
    """‖W^k‖₂ against k for the non-normal W, with ρ(W)^k and ‖W‖₂^k for comparison."""
    plt = pyplot()
    W = np.asarray(W, dtype=float)
    k = np.arange(K + 1)
    norms = power_norms(W, K)
    rho, g = spectral_radius(W), spectral_norm(W)
    normal = np.diag(np.linalg.eigvals(W).real)           # same eigenvalues, normal
    fig, ax = plt.subplots(figsize=(7.4, 3.8))
    ax.semilogy(k, norms, "o-", ms=3, color=BLUE, label=r"$\|W^k\|_2$ (non-normal $W$)")
    ax.semilogy(k, power_norms(normal, K), color=GREEN, label=rf"$\rho(W)^k = {rho:g}^k$ (a normal matrix)")
    ax.semilogy(k, g ** k, "--", color=GREY, label=rf"$\|W\|_2^k = {g:.3f}^k$")
    ax.set_ylim(1e-6, 1e3)
    ax.set_xlabel(r"power $k$")
    ax.grid(True, which="major")
    ax.legend(loc="lower left")
    ax.set_title(r"$W = [[0.5, 4], [0, 0.5]]$: same eigenvalues, very different powers")
    fig.tight_layout()
    return fig
