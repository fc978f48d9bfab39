"""Chapter 9: clipping, the two truncations, and the training experiment.

Every function returns a matplotlib figure (or an animation) of numbers from the
layers below — :func:`rnnlib.clip_by_norm`, :func:`rnnlib.clip_by_value`,
:mod:`rnnlib.truncation`, :mod:`rnnlib.terms` and :mod:`rnnlib.training`;
nothing is computed here.  :func:`widget` (the two truncation windows) is the
live widget and :func:`animation` its kernel-free counterpart.
"""
from __future__ import annotations

import functools

import numpy as np

from ..clipping import clip_by_norm, clip_by_value
from ..problems import scaled_problem
from ..terms import term_tensor
from ..truncation import (
    RECURRENT_KEYS,
    kept_by_chunks,
    kept_by_truncation,
    norm_clipping_cosines,
    truncation_cosine,
    value_clipping_cosines,
    window_cosines,
)
from .style import COLORS, jshtml_animation, keep, live, log_heatmap_data, parts, pyplot

__all__ = ["clipping_figure", "truncation_bias_figure", "draw_windows", "widget", "animation",
           "training_figure", "WINDOW_T"]

#: Sequence length of the window widget and its animation.
WINDOW_T = 12


def clipping_figure(grads: dict, fractions=None):
    """Two panels: a 2-D gradient clipped both ways, and cos(g, clipped g) against the threshold.

    ``grads`` is a real gradient dict (e.g. from :func:`rnnlib.bptt`); the
    threshold of value clipping is swept as a fraction of max|g|, that of norm
    clipping as the same fraction of ‖g‖₂.
    """
    plt = pyplot()
    fractions = np.geomspace(1e-3, 1.0, 40) if fractions is None else np.asarray(fractions)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.6, 3.5), gridspec_kw={"width_ratios": [1, 1.4]})
    g = {"g": np.array([3.0, 0.8])}
    c = 1.0
    by_norm, _ = clip_by_norm(g, c)
    by_value = clip_by_value(g, c)
    ax.add_patch(plt.Rectangle((-c, -c), 2 * c, 2 * c, fill=False, ls=":", ec=COLORS[3]))
    ax.add_patch(plt.Circle((0, 0), c, fill=False, ls="--", ec=COLORS[0]))
    for vec, col, lab in [(g["g"], "#808080", "g"), (by_norm["g"], COLORS[0], "norm-clipped, c = 1"),
                          (by_value["g"], COLORS[3], "value-clipped, c = 1")]:
        ax.annotate("", xy=vec, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=col, lw=2))
        ax.plot([], [], color=col, lw=2, label=lab)
    ax.set_xlim(-1.3, 3.3)
    ax.set_ylim(-1.3, 1.6)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("a two-entry gradient", fontsize=10)
    ax.grid(True)
    cos_value = value_clipping_cosines(grads, fractions)
    cos_norm = norm_clipping_cosines(grads, fractions)
    ax2.semilogx(fractions, cos_norm, "-", color=COLORS[0], label="norm clipping (c = fraction × ‖g‖₂)")
    ax2.semilogx(fractions, cos_value, "-", color=COLORS[3], label="value clipping (c = fraction × max|g|)")
    ax2.set_xlabel("threshold as a fraction of ‖g‖₂ or of max|g|")
    ax2.set_ylabel("cos(g, clipped g)")
    ax2.set_title("an RNN gradient", fontsize=10)
    ax2.legend(loc="lower right", fontsize=8)
    ax2.grid(True)
    fig.tight_layout()
    return fig


def truncation_bias_figure(scales=(0.6, 1.0, 1.5, 3.0), T: int = 40, *, seed: int = 0):
    """cos(full gradient, truncate=τ gradient) against τ, one curve per ‖W_hh‖₂ = scale.

    The problems are :func:`rnnlib.problems.scaled_problem` (tanh, losses at
    every step); the cosine is over the recurrent weights W_xh, W_hh, b_h.
    """
    plt = pyplot()
    taus = np.arange(0, T)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for scale in scales:
        params, cache = scaled_problem(T, scale=scale, seed=seed)
        ax.plot(taus, truncation_cosine(params, cache, taus), "o-", ms=2.5,
                label=f"$\\|W_{{hh}}\\|_2$ = {scale:g}")
    ax.set_xlabel("τ (Jacobian factors each loss may cross)")
    ax.set_ylabel("cos(full, truncated)")
    ax.set_title(f"truncation bias, T = {T}, tanh", fontsize=10)
    ax.grid(True)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


@functools.lru_cache(maxsize=8)
def _window_problem(scale):
    """The widget's problem and its (t, k) terms, cached: a redraw only re-plots."""
    params, cache = scaled_problem(WINDOW_T, scale=scale, seed=0)
    terms = {k: term_tensor(params, cache, k) for k in RECURRENT_KEYS}
    return params, cache, terms


def _render_windows(fig, tau, chunk, scale):
    """Draw the two panels of :func:`draw_windows` into ``fig``.  A figure this
    function drew before is updated in place (image data, chunk borders,
    titles); any other figure is cleared and drawn anew."""
    params, cache, terms = _window_problem(float(scale))
    T = cache.T
    C = np.sqrt((terms["W_hh"].reshape(T, T, -1) ** 2).sum(axis=-1))
    cos_tau, cos_chunk = window_cosines(params, cache, tau, chunk, terms=terms)
    logC, vmax = log_heatmap_data(C)
    lower = np.tril(np.ones((T, T), bool))
    stored = parts(fig, ("windows", T))
    if stored is None:
        fig.clear()
        axes = fig.subplots(1, 2)
        stored = keep(fig, ("windows", T), axes=axes, kept=[], dropped=[], borders=[])
        for ax in axes:
            stored["kept"].append(ax.imshow(np.full((T, T), np.nan), origin="upper", cmap="viridis",
                                           vmin=vmax - 8, vmax=vmax, extent=(0.5, T + 0.5, T + 0.5, 0.5)))
            stored["dropped"].append(ax.imshow(np.full((T, T), np.nan), origin="upper", cmap="Greys",
                                              vmin=0, vmax=2.5, alpha=0.6,
                                              extent=(0.5, T + 0.5, T + 0.5, 0.5)))
            ax.set_xlabel("k (step of the immediate partial)")
            ax.set_ylabel("t (loss $L_t$)")
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84, wspace=0.3)
    axes = stored["axes"]
    titles = [f"truncate = {tau}: cos = {cos_tau:.4f}", f"chunks of K = {chunk}: cos = {cos_chunk:.4f}"]
    masks = [kept_by_truncation(T, tau), kept_by_chunks(T, chunk)]
    for ax, kept, dropped, title, mask in zip(axes, stored["kept"], stored["dropped"], titles, masks):
        kept.set_data(np.where(mask, logC, np.nan))
        kept.set_clim(vmax - 8, vmax)
        dropped.set_data(np.where(lower & ~mask, 1.0, np.nan))
        ax.set_title(title, fontsize=10)
    for line in stored["borders"]:                       # the chunk borders depend on K
        line.remove()
    stored["borders"] = []
    if chunk < T:
        for b in range(chunk, T, chunk):
            stored["borders"] += [axes[1].axhline(b + 0.5, color="#808080", lw=0.8),
                                 axes[1].axvline(b + 0.5, color="#808080", lw=0.8)]
    fig.suptitle(f"terms of ∂L/∂W_hh kept (colour: log10 norm) and dropped (grey); "
                 f"T = {T}, ‖W_hh‖₂ = {scale:g}", fontsize=10)
    return fig


def draw_windows(tau: int = 3, chunk: int = 4, scale: float = 1.5, fig=None):
    """Widget figure: the (t, k) terms kept by ``truncate=τ`` and by chunks of K steps.

    Pass a figure this function returned as ``fig`` to redraw it for other
    values (what a slider move does); it is then updated in place."""
    if fig is None:
        fig = pyplot().figure(figsize=(8.6, 4.0))
    return _render_windows(fig, tau, chunk, scale)


def widget():
    """The live widget of chapter 9: τ, the chunk length K and ‖W_hh‖₂ redraw :func:`draw_windows`."""
    import ipywidgets as widgets

    controls = {
        "tau": widgets.IntSlider(value=3, min=0, max=WINDOW_T - 1, description="τ"),
        "chunk": widgets.IntSlider(value=4, min=1, max=WINDOW_T, description="K"),
        "scale": widgets.Dropdown(options=[0.6, 1.0, 1.5, 3.0], value=1.5, description="‖W_hh‖₂"),
    }
    return live("ch09-truncation-windows", draw_windows, controls,
                examples=[{"tau": 3, "chunk": 4, "scale": 1.5}, {"tau": 0, "chunk": 12, "scale": 0.6}])


def animation(scale: float = 1.5, chunks=(1, 2, 4, 8, 12)):
    """Animation sweeping K = τ + 1 (same longest lag for both truncations)."""
    plt = pyplot()
    chunks = list(chunks)
    fig = plt.figure(figsize=(8.6, 4.0))
    return jshtml_animation(
        fig, lambda K: _render_windows(fig, K - 1, K, scale), chunks,
        alt=("Two heat maps of the terms of the BPTT double sum on the (t, k) grid, coloured by "
             "log10 norm where a truncation keeps a term and grey where it drops it: a diagonal band "
             "for truncate = tau, square blocks for chunks of K steps; the titles give the cosine "
             "with the full gradient."),
        caption=f"Swept parameter: the chunk length K = {', '.join(map(str, chunks))}, with τ = K − 1")


def training_figure(result: dict, *, smooth: int = 25):
    """Test MSE against step (left) and gradient norm against step (right) for every run.

    ``result`` is the dict returned by
    :func:`rnnlib.training.run_adding_experiment` (or loaded from its JSON).
    The gradient norm is smoothed by a running median over ``smooth`` steps
    (thin line: raw; the median starts at step ``smooth``); it is the norm *before* clipping.
    """
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    for i, run in enumerate(result["runs"]):
        col = COLORS[i % len(COLORS)]
        ax.semilogy(run["eval_steps"], run["test_mse"], "o-", ms=2.5, color=col, label=run["name"])
        g = np.asarray(run["grad_norm"], dtype=float)
        steps = np.arange(1, g.size + 1)
        ax2.semilogy(steps, g, color=col, lw=0.4, alpha=0.35)
        if g.size >= smooth:
            windows = np.lib.stride_tricks.sliding_window_view(g, smooth)
            ax2.semilogy(steps[smooth - 1:], np.median(windows, axis=1), color=col, lw=1.6,
                         label=run["name"])
    ax.axhline(result["baseline_mse"], color="#808080", ls="--", lw=1, label="predict 1 (baseline)")
    ax.axhline(result["learned_threshold_mse"], color="#808080", ls=":", lw=1, label="'learned' threshold")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("test MSE")
    ax.set_title(f"adding problem, T = {result['settings']['T']}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True)
    clip = result["settings"].get("clip_norm")
    if clip:
        ax2.axhline(clip, color="#808080", ls="--", lw=1, label=f"clip_norm = {clip:g}")
    ax2.set_xlabel("optimizer step")
    ax2.set_ylabel("‖∂L/∂θ‖₂ before clipping")
    ax2.set_title("gradient norm (running median)", fontsize=10)
    ax2.legend(fontsize=8)
    ax2.grid(True)
    fig.tight_layout()
    return fig
