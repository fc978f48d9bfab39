"""Chapter 2: the output layer, step by step.

:func:`draw_output_layer` shows step t's outer product h_tᵀ (ŷ_t − y_t) next to
the running sum that becomes ∂L/∂W_yh (:func:`rnnlib.signals.output_layer_contributions`).
It follows the redraw protocol of :mod:`rnnlib.plots.style`: pass the figure it
returned back as ``fig`` and only the bars, images and titles change, which is
what :func:`widget` (live) and :func:`animation` (kernel-free) do.  Labels are
mathtext; matplotlib caches each parsed string, so a redraw stays fast.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import signals
from ..problems import random_problem
from .style import BLUE, GREY, MAX_WIDTH_IN, ORANGE, jshtml_animation, keep, live, new_figure, parts

__all__ = ["OUTPUT_T", "output_problem", "draw_output_layer", "widget", "animation"]

OUTPUT_T, OUTPUT_H, OUTPUT_N = 8, 5, 4


@lru_cache(maxsize=4)
def output_problem(seed: int = 2):
    """(params, cache, Y) of chapter 2's widget: T = 8, H = 5, 4 classes, one sequence
    (:func:`rnnlib.problems.random_problem`)."""
    prob = random_problem(OUTPUT_T, 1, 3, OUTPUT_H, OUTPUT_N, seed=seed)
    return prob.params, prob.forward()[1], prob.Y


@lru_cache(maxsize=4)
def _output_sums(seed: int):
    """The per-step outer products C (T, H, n_out), their running sums and the
    colour scales, fixed over t: what the chapter-2 figure shows for every t."""
    params, cache, _ = output_problem(seed)
    C = signals.output_layer_contributions(params, cache)
    running = np.cumsum(C, axis=0)
    return C, running, float(np.abs(C).max()), float(np.abs(running).max())


def draw_output_layer(t: int = 1, seed: int = 2, fig=None):
    """Three panels for step ``t``: ∂L_t/∂o_t = ŷ_t − y_t (bars), the outer product
    h_tᵀ(ŷ_t − y_t) (H × n_out heat map), and the running sum Σ_{j ≤ t} of these,
    which equals ∂L/∂W_yh at t = T.  Returns the figure; pass it back as ``fig``
    to redraw it for another ``t`` (only the bars, images and titles change).
    """
    t = int(t)
    params, cache, Y = output_problem(seed)
    C, running, v_step, v_sum = _output_sums(seed)                 # one colour scale per panel
    stored = parts(fig, ("output_layer", seed))
    if stored is None:
        fig, (ax0, ax1, ax2) = new_figure(fig, 3, (MAX_WIDTH_IN, 3.5), [1, 1, 1])
        stored = keep(fig, ("output_layer", seed))
        stored["bars"] = ax0.bar(np.arange(OUTPUT_N), np.zeros(OUTPUT_N))
        ax0.axhline(0, color=GREY, lw=0.8)
        ax0.set_ylim(-1.05, 1.05)
        ax0.set_xticks(range(OUTPUT_N))
        ax0.set_xlabel("class $j$ (orange: $y_t$)")
        stored["titles"] = [ax0.set_title("")]
        stored["images"] = []
        for ax, v in ((ax1, v_step), (ax2, v_sum)):
            stored["images"].append(ax.imshow(np.zeros((OUTPUT_H, OUTPUT_N)), cmap="RdBu_r", vmin=-v, vmax=v))
            stored["titles"].append(ax.set_title(""))
            ax.set_xlabel("output $j$")
            ax.set_ylabel("hidden unit $a$")
            ax.set_xticks(range(OUTPUT_N))
            ax.set_yticks(range(OUTPUT_H))
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.16, top=0.8, wspace=0.45)
    d = cache.dO[t - 1, 0]
    for j, bar in enumerate(stored["bars"]):
        bar.set_height(d[j])
        bar.set_facecolor(ORANGE if j == Y[t - 1, 0] else BLUE)
    stored["images"][0].set_data(C[t - 1])
    stored["images"][1].set_data(running[t - 1])
    for title, text in zip(stored["titles"],
                           (rf"$\partial L_{{{t}}}/\partial o_{{{t}}} = \hat y_{{{t}}} - y_{{{t}}}$",
                            rf"step {t}: $h_{{{t}}}^\top(\hat y_{{{t}}} - y_{{{t}}})$",
                            f"sum of steps 1 to {t}" + ("\n" + r"$= \partial L/\partial W_{yh}$"
                                                        if t == OUTPUT_T else ""))):
        title.set_text(text)
    return fig


def widget(seed: int = 2):
    """The live widget of chapter 2: a slider over the step t redraws :func:`draw_output_layer`."""
    import ipywidgets as widgets

    controls = {"t": widgets.IntSlider(value=1, min=1, max=OUTPUT_T, description="step t")}
    return live("ch02-output-outer-products", lambda t, fig=None: draw_output_layer(t, seed, fig=fig),
                controls, examples=[{"t": 1}, {"t": 4}, {"t": OUTPUT_T}])


def animation(seed: int = 2):
    """The chapter-2 figure with the step t swept from 1 to T = 8."""
    fig = draw_output_layer(1, seed)
    return jshtml_animation(
        fig, lambda t: draw_output_layer(t, seed, fig=fig), list(range(1, OUTPUT_T + 1)),
        alt=("Three panels redrawn for steps t = 1 to 8: bars of the softmax error ŷ_t − y_t, "
             "negative only at the label (the orange bar); the 5 by 4 heat map of the outer product h_t transposed "
             "times that error; and the running sum of these heat maps, which at t = 8 is the "
             "gradient with respect to W_yh."),
        caption="Swept parameter: the step t, from 1 to 8 (red positive, blue negative)")
