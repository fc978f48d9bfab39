"""Chapter 3: the error signal δ_t, assembled backward in time.

:func:`draw_error_flow` shows δ_t as the sum of the own output error G_t and
the part δ_{t+1} J_{t+1} that flows back from later steps
(:mod:`rnnlib.signals`).  It follows the redraw protocol of
:mod:`rnnlib.plots.style`; :func:`widget` is the live widget and
:func:`animation` its kernel-free counterpart.  Colours: G_t blue, δ_{t+1}J_{t+1}
orange, δ_t green.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import signals
from ..initialisation import with_spectral_radius
from ..problems import random_problem
from .style import BLUE, GREEN, GREY, MAX_WIDTH_IN, ORANGE, jshtml_animation, keep, live, new_figure, parts

__all__ = ["FLOW_T", "flow_problem", "draw_error_flow", "widget", "animation"]

FLOW_T, FLOW_H = 12, 6


@lru_cache(maxsize=64)
def flow_problem(scale: float = 1.0, seed: int = 3):
    """(params, cache) for chapter 3's widget: T = 12, H = 6, one sequence,
    W_hh a fixed Gaussian matrix rescaled to spectral radius ``scale``, tanh,
    softmax cross-entropy at every step (:func:`rnnlib.problems.random_problem`)."""
    prob = random_problem(FLOW_T, 1, 2, FLOW_H, 3, seed=seed,
                          recurrent=lambda rng: with_spectral_radius(rng.normal(size=(FLOW_H, FLOW_H)),
                                                                     float(scale)))
    return prob.params, prob.forward()[1]


@lru_cache(maxsize=64)
def _flow_signals(scale: float, seed: int):
    """G (own output errors), δ_{t+1}J_{t+1} (what flows back) and δ (their sum),
    each (T, H), with their norms per step: all of chapter 3's figure for one ρ."""
    params, cache = flow_problem(scale, seed)
    G = signals.output_errors(params, cache)[:, 0]
    delta = signals.error_signals(params, cache)[:, 0]
    back = delta - G
    norms = [np.linalg.norm(a, axis=1) for a in (G, back, delta)]
    return G, back, delta, norms


def draw_error_flow(t: int = 1, scale: float = 1.0, seed: int = 3, fig=None):
    """The backward pass stopped at step ``t``: for every step already visited
    (t..T) the norms ‖G_j‖ (own output error), ‖δ_{j+1} J_{j+1}‖ (what flows back)
    and ‖δ_j‖ (their sum), and the vectors G_t, δ_{t+1}J_{t+1}, δ_t of the current step.
    Returns the figure; pass it back as ``fig`` to redraw it for other values
    (the bars, line, limits and titles are updated in place).
    """
    t = int(t)
    G, back, delta, (nG, nB, nD) = _flow_signals(float(scale), seed)
    steps = np.arange(1, FLOW_T + 1)
    units = np.arange(FLOW_H)
    stored = parts(fig, ("error_flow", seed))
    if stored is None:
        fig, (ax0, ax1) = new_figure(fig, 2, (MAX_WIDTH_IN, 3.8), [1.7, 1])
        stored = keep(fig, ("error_flow", seed), axes=(ax0, ax1))
        w = 0.38
        stored["norm_bars"] = (
            ax0.bar(steps - w / 2, nG, w, color=BLUE, label=r"$\|G_t\|$, own output"),
            ax0.bar(steps + w / 2, nB, w, color=ORANGE, label=r"$\|\delta_{t+1} J_{t+1}\|$, from later"))
        stored["norm_line"], = ax0.plot(steps, nD, "o-", color=GREEN, ms=5, lw=2,
                                        label=r"$\|\delta_t\|$, total")
        stored["now"] = ax0.axvline(1, color=GREY, lw=0.8, ls=":")
        ax0.set_xlim(0.4, FLOW_T + 0.6)
        ax0.set_xticks(steps[::2] if FLOW_T > 8 else steps)
        ax0.set_xlabel("step $t$ (the backward pass runs right to left)")
        stored["title"] = ax0.set_title("")
        ax0.legend(loc="upper left", ncol=1)
        stored["vector_bars"] = (
            ax1.barh(units - 0.27, G[0], 0.27, color=BLUE),
            ax1.barh(units, back[0], 0.27, color=ORANGE),
            ax1.barh(units + 0.27, delta[0], 0.27, color=GREEN))
        ax1.axvline(0, color=GREY, lw=0.8)
        ax1.set_yticks(units)
        ax1.set_ylabel("hidden unit")
        ax1.invert_yaxis()
        stored["vector_title"] = ax1.set_title("")
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.9, wspace=0.28)
    ax0, ax1 = stored["axes"]
    shown = steps >= t                                   # steps the backward pass has visited
    for bars, norms in zip(stored["norm_bars"], (nG, nB)):
        for bar, height, visible in zip(bars, norms, shown):
            bar.set_height(height)
            bar.set_visible(visible)
    stored["norm_line"].set_data(steps[shown], nD[shown])
    stored["now"].set_xdata([t, t])
    ax0.set_ylim(0, 1.75 * max(nG.max(), nD.max(), nB.max()))       # room for the legend
    stored["title"].set_text(rf"backward pass at $t = {t}$, $\rho(W_{{hh}}) = {float(scale):.2f}$")
    for bars, vector in zip(stored["vector_bars"], (G, back, delta)):
        for bar, width in zip(bars, vector[t - 1]):
            bar.set_width(width)
    lim = 1.1 * max(np.abs(G).max(), np.abs(back).max(), np.abs(delta).max())
    ax1.set_xlim(-lim, lim)
    stored["vector_title"].set_text(f"the three vectors at step {t}")
    return fig


def widget(seed: int = 3):
    """The live widget of chapter 3: sliders for the step t and ρ(W_hh) redraw :func:`draw_error_flow`."""
    import ipywidgets as widgets

    controls = {"t": widgets.IntSlider(value=FLOW_T, min=1, max=FLOW_T, description="step t"),
                "scale": widgets.FloatSlider(value=1.0, min=0.2, max=2.0, step=0.1, description="ρ(W_hh)")}
    return live("ch03-error-flow", lambda t, scale, fig=None: draw_error_flow(t, scale, seed, fig=fig),
                controls, examples=[{"t": FLOW_T, "scale": 1.0}, {"t": 6, "scale": 0.5},
                                    {"t": 1, "scale": 1.5}])


def animation(scale: float = 1.0, seed: int = 3):
    """The chapter-3 figure with the step t swept backward from T = 12 to 1."""
    frames = list(range(FLOW_T, 0, -1))
    fig = draw_error_flow(frames[0], scale, seed)
    return jshtml_animation(
        fig, lambda t: draw_error_flow(t, scale, seed, fig=fig), frames,
        alt=(f"Bar chart redrawn as the backward pass moves from step 12 down to step 1 "
             f"(tanh, spectral radius of W_hh {scale:g}): at each visited step a blue bar for the "
             "norm of the own output error, an orange bar for the norm of the error flowing back "
             "from the next step (zero at step 12), and a green line for the norm of the total error "
             "signal; a side panel shows the six entries of the three vectors at the current step."),
        caption=f"Swept parameter: the step t, backward from 12 to 1 (ρ(W_hh) = {scale:g})")
