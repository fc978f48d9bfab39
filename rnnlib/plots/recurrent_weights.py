"""Chapter 4: which (t, k) terms of the double sum carry ∂L/∂W_hh.

* :func:`draw_contributions` — log10 ‖term(t, k)‖_F on the (t, k) grid and the
  norm carried by each lag t − k (:mod:`rnnlib.terms`), with the terms that
  ``truncate=τ`` keeps outlined (:func:`rnnlib.truncation.kept_by_truncation`);
* :func:`draw_truncation_grid` — which terms each τ keeps, small multiples;
* :func:`widget` (live) and :func:`animation` (kernel-free, sweeping ‖W_hh‖₂).

The problem is :func:`rnnlib.problems.scaled_problem` (‖W_hh‖₂ = scale exactly).
"""
from __future__ import annotations

import numpy as np

from ..problems import scaled_problem
from ..terms import lag_norms, term_contributions
from ..truncation import kept_by_truncation
from .style import (
    MAX_WIDTH_IN,
    VERMILION,
    activation_control,
    keep,
    live,
    log_heatmap,
    log_heatmap_data,
    new_figure,
    parts,
    sweep_animation,
)

#: The values of ‖W_hh‖₂ that :func:`animation` sweeps by default (its frames).
ANIMATION_SCALES = np.round(np.linspace(0.4, 2.4, 9), 2)

__all__ = ["ANIMATION_SCALES", "draw_contributions", "draw_truncation_grid", "widget", "animation"]


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
    logC, vmax = log_heatmap_data(C)
    lags = np.arange(T)
    per_lag = lag_norms(C)
    with np.errstate(divide="ignore"):
        log_lag = np.where(per_lag > 0, np.log10(np.where(per_lag > 0, per_lag, 1.0)), np.nan)
    top = np.nanmax(log_lag) if np.isfinite(log_lag).any() else 0.0

    stored = parts(fig, ("contributions", key, T))
    if stored is None:
        fig, (ax, ax2) = new_figure(fig, 2, (MAX_WIDTH_IN, 3.9), [1.15, 1])
        symbol = key[0] + "_{" + key[2:] + "}" if "_" in key else key      # W_hh -> W_{hh}
        im = log_heatmap(ax, C, rf"$\log_{{10}}$ norm of each term of $\partial L/\partial {symbol}$")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        kept = ax.scatter([], [], s=14, marker="s", facecolors="none", edgecolors=VERMILION,
                          linewidths=1.0)
        line, = ax2.plot(lags, log_lag, "o-", ms=4)     # 0 (nothing at this lag): not drawn
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax2.set_xlabel("lag $t - k$ (Jacobian factors)")
        ax2.set_ylabel(r"$\log_{10}$ norm at this lag")
        ax2.grid(True)
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.15, top=0.88, wspace=0.42)
        stored = keep(fig, ("contributions", key, T), axes=(ax, ax2), image=im, kept=kept, line=line)
    ax, ax2 = stored["axes"]
    stored["image"].set_data(logC)
    stored["image"].set_clim(vmax - 8, vmax)             # the colour bar follows the image
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if truncate is None:
        stored["kept"].set_visible(False)
    else:
        ys, xs = np.nonzero(kept_by_truncation(T, truncate))
        stored["kept"].set_offsets(np.column_stack([xs + 1, ys + 1]))
        stored["kept"].set_label(f"kept by truncate = {truncate}")
        stored["kept"].set_visible(True)
        ax.legend(loc="upper right", handletextpad=0.2, borderpad=0.2)
    stored["line"].set_data(lags, log_lag)
    ax2.relim()                                         # lags without terms (NaN) narrow the x range
    ax2.autoscale_view(scaley=False)
    ax2.set_ylim(top - 8.5, top + 0.5)
    ax2.set_title(rf"$\|W_{{hh}}\|_2 = {scale:.2f}$, {activation}")
    return fig


def draw_truncation_grid(T: int = 8, truncates=(0, 2, None), fig=None):
    """Figure: which (t, k) terms ``truncate=τ`` keeps, one panel per τ (small multiples)."""
    truncates = list(truncates)
    fig, axes = new_figure(fig, len(truncates), (min(MAX_WIDTH_IN, 2.7 * len(truncates)), 3.0))
    axes = np.atleast_1d(axes)
    for ax, tau in zip(axes, truncates):
        keep = kept_by_truncation(T, tau).astype(float)
        keep[np.triu(np.ones((T, T), bool), 1)] = np.nan       # k > t: no term at all
        ax.imshow(keep, cmap="cividis", vmin=0, vmax=1, extent=(0.5, T + 0.5, T + 0.5, 0.5))
        ax.set_title("full BPTT" if tau is None else f"truncate = {tau}")
        ax.set_xlabel("$k$")
        ax.set_ylabel("$t$")
        ax.set_xticks(range(1, T + 1, 2 if T > 6 else 1))
        ax.set_yticks(range(1, T + 1, 2 if T > 6 else 1))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.16, top=0.88, wspace=0.35)
    return fig


def widget():
    """The live widget of chapter 4: ‖W_hh‖₂, φ, the scale of h_0 and τ redraw :func:`draw_contributions`."""
    import ipywidgets as widgets

    # A dropdown shows the value None as a blank box: "full" stands for truncate=None.
    controls = {
        "scale": widgets.FloatSlider(value=1.0, min=0.2, max=3.0, step=0.1, description="‖W_hh‖₂"),
        "activation": activation_control(),
        "h0_scale": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="scale of h₀"),
        "truncate": widgets.Dropdown(options=[("none (full BPTT)", "full"), ("τ = 0", 0), ("τ = 2", 2),
                                              ("τ = 5", 5)], value="full", description="truncate"),
    }
    return live("ch04-term-heatmap", _draw_widget, controls,
                examples=[{"scale": 0.5, "activation": "tanh", "h0_scale": 0.0, "truncate": "full"},
                          {"scale": 1.5, "activation": "sigmoid", "h0_scale": 0.5, "truncate": 2}])


def _draw_widget(scale, activation, h0_scale, truncate, fig=None):
    """:func:`draw_contributions` for the widget's controls ("full" is truncate=None)."""
    return draw_contributions(scale, activation, h0_scale=h0_scale,
                              truncate=None if truncate == "full" else truncate, fig=fig)


def animation(scales=None):
    """:func:`draw_contributions` with ‖W_hh‖₂ swept over ``scales`` (tanh, T = 12, h_0 = 0)."""
    scales = ANIMATION_SCALES if scales is None else np.asarray(scales, dtype=float)
    return sweep_animation(
        draw_contributions, scales, name="scale",
        alt="Heat map of the log10 norm of each (t, k) term of dL/dW_hh for T = 12 and tanh, with a plot of "
            "the norm at each lag t - k, redrawn as the spectral norm of W_hh grows from "
            f"{scales[0]:g} to {scales[-1]:g}. At small norms only the diagonal is bright and the per-lag "
            "norm falls steeply; at larger norms the whole triangle is bright and the per-lag curve is "
            "nearly flat.",
        caption=f"Swept parameter: the spectral norm ‖W_hh‖₂ from {scales[0]:g} to {scales[-1]:g} "
                "(tanh, T = 12, h₀ = 0)")
