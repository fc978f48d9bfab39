"""Chapter 5: how much of ∂L/∂W_xh enters through each input step.

* :func:`draw_step_contributions` — ‖X_kᵀ Δ_k‖_F against k
  (:func:`rnnlib.terms.step_contributions`);
* :func:`widget` (live) and :func:`animation` (kernel-free, sweeping ‖W_hh‖₂).

The problem is :func:`rnnlib.problems.scaled_problem` (‖W_hh‖₂ = scale exactly).
"""
from __future__ import annotations

import numpy as np

from ..problems import scaled_problem
from ..terms import step_contributions
from .style import BLUE, activation_control, keep, live, new_figure, parts, sweep_animation

#: The values of ‖W_hh‖₂ that :func:`animation` sweeps by default (its frames).
ANIMATION_SCALES = np.round(np.linspace(0.2, 2.2, 9), 2)

__all__ = ["ANIMATION_SCALES", "draw_step_contributions", "widget", "animation"]


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
    stored = parts(fig, ("step_contributions", T))
    if stored is None:
        fig, ax = new_figure(fig, 1, (7.0, 3.6))
        bars = ax.bar(np.arange(1, T + 1), np.zeros(T), bottom=floor, color=BLUE)
        ax.set_ylim(floor, 1.0)
        ax.set_xticks(range(1, T + 1))
        ax.set_xlabel("input step $k$")
        ax.set_ylabel(r"$\log_{10}\|X_k^\top \Delta_k\|_F$")
        ax.grid(True, axis="y")
        fig.subplots_adjust(left=0.12, right=0.98, bottom=0.15, top=0.82)
        stored = keep(fig, ("step_contributions", T), axes=ax, bars=bars)
    for bar, height in zip(stored["bars"], np.maximum(logs, floor) - floor):
        bar.set_height(height)
    stored["axes"].set_title(r"the part of $\partial L/\partial W_{xh}$ that enters at step $k$" + "\n"
                             + rf"$\|W_{{hh}}\|_2 = {scale:.2f}$, {activation}")
    return fig


def widget():
    """The live widget of chapter 5: ‖W_hh‖₂ and φ redraw :func:`draw_step_contributions`."""
    import ipywidgets as widgets

    controls = {
        "scale": widgets.FloatSlider(value=0.8, min=0.1, max=3.0, step=0.1, description="‖W_hh‖₂"),
        "activation": activation_control(),
    }
    return live("ch05-input-steps", draw_step_contributions, controls,
                examples=[{"scale": 0.5, "activation": "tanh"}, {"scale": 2.0, "activation": "sigmoid"}])


def animation(scales=None):
    """:func:`draw_step_contributions` with ‖W_hh‖₂ swept over ``scales`` (tanh, T = 12, loss at T only).

    The alt text quotes, from the same bars, how many orders of magnitude the first
    frame spans and how level the frames with ‖W_hh‖₂ ≥ 1.2 are.
    """
    scales = ANIMATION_SCALES if scales is None else np.asarray(scales, dtype=float)
    bars = [step_contributions(*scaled_problem(12, scale=float(s), last_only=True), "W_xh") for s in scales]
    decades = -np.log10(bars[0][0] / bars[0][-1])
    level = [b.max() / b.min() for s, b in zip(scales, bars) if s >= 1.2]
    tail = (f"; from 1.2 on, the tallest and the shortest bar of a frame differ by at most a factor of "
            f"{max(level):.0f}." if level else ".")
    return sweep_animation(
        draw_step_contributions, scales, name="scale",
        alt="Bar chart of log10 of the norm of X_k transpose Delta_k for input steps k = 1 to 12, with the "
            f"loss at step 12 only, redrawn as the spectral norm of W_hh grows from {scales[0]:g} to "
            f"{scales[-1]:g}. At {scales[0]:g} the bars fall by about {decades:.0f} orders of magnitude from "
            "step 12 back to step 1" + tail,
        caption=f"Swept parameter: the spectral norm ‖W_hh‖₂ from {scales[0]:g} to {scales[-1]:g} "
                "(tanh, T = 12, loss at the last step only)")
