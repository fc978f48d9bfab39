"""Chapter 10: the GRU's gradient path.

* :func:`draw_flow` — how far back the gradient of the last step's loss reaches
  in a vanilla tanh RNN, an LSTM and a GRU on the same inputs, with what the
  shortcut diag(z_t) predicts for the GRU (:func:`rnnlib.comparison.gated_flow_curves`);
* :func:`widget` (live: the GRU's b_z and b_r, the LSTM's b_f) and
  :func:`animation` (kernel-free, sweeping b_z);
* :func:`draw_shortcut_study` — the error of diag(z_t) over many seeded cells
  (:func:`rnnlib.gru.shortcut_study`).

The numbers come from :mod:`rnnlib.comparison` and :mod:`rnnlib.gru`; this
module only arranges and draws them.
"""
from __future__ import annotations

import numpy as np

from ..comparison import gated_flow_curves
from .style import BLUE, GREEN, GREY, ORANGE, VERMILION, keep, parts, pyplot, sweep_animation

__all__ = ["draw_flow", "widget", "animation", "draw_shortcut_study"]

#: (key of gated_flow_curves, colour, line style, label) of each curve of :func:`draw_flow`.
_CURVES = (
    ("rnn_h", BLUE, "-", r"vanilla RNN, $\|\partial L_T/\partial h_k\|$"),
    ("lstm_c", ORANGE, "-", r"LSTM, $\|\partial L_T/\partial C_k\|$"),
    ("gru_h", GREEN, "-", r"GRU, $\|\partial L_T/\partial h_k\|$ (exact)"),
    ("gru_shortcut", VERMILION, ":", r"GRU shortcut, $\|G_T \odot z_T \cdots z_{k+1}\|$"),
)


def _flow_title(curves, update_bias, reset_bias, forget_bias):
    return (rf"GRU $b_z = {update_bias:.2g}$ (mean $z_t = {curves['z_mean']:.2f}$), "
            rf"$b_r = {reset_bias:.2g}$; LSTM $b_f = {forget_bias:.2g}$")


def draw_flow(update_bias: float = 0.0, reset_bias: float = 0.0, forget_bias: float = 0.0, fig=None):
    """The gradient-flow comparison of three cells for one setting; returns a matplotlib figure.

    Pass a figure this function returned as ``fig`` to redraw it for other
    values (what a slider move does): only the curves and the title change.
    """
    curves = gated_flow_curves(update_bias, reset_bias, forget_bias)
    title = _flow_title(curves, update_bias, reset_bias, forget_bias)
    stored = parts(fig, "gru_flow")
    if stored is None:
        if fig is None:
            fig = pyplot().figure(figsize=(7.5, 5.0))
        fig.clear()
        ax = fig.subplots()
        fig.subplots_adjust(left=0.13, right=0.97, top=0.91, bottom=0.3)
        lines = [ax.semilogy(curves["k"], curves[key], color=c, ls=ls, lw=2, label=label)[0]
                 for key, c, ls, label in _CURVES]
        ax.set(ylim=(1e-20, 1e3), xlim=(0, curves["k"][-1]), yticks=[1e-20, 1e-15, 1e-10, 1e-5, 1e0],
               xlabel="step $k$ (the loss is at the last step $T$)", ylabel="norm relative to $k = T$")
        ax.grid(True, which="major")
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.16), ncol=2, columnspacing=1.2,
                  handlelength=1.8)
        stored = keep(fig, "gru_flow", lines=lines, title=ax.set_title(title))
        return fig
    for line, (key, *_) in zip(stored["lines"], _CURVES):
        line.set_ydata(curves[key])
    stored["title"].set_text(title)
    return fig


def animation(biases=None, reset_bias: float = 0.0, forget_bias: float = 0.0):
    """A jshtml animation of :func:`draw_flow` sweeping the GRU's update-gate bias b_z."""
    biases = np.arange(-2.0, 6.01, 0.5) if biases is None else np.asarray(biases, dtype=float)
    return sweep_animation(
        draw_flow, biases, name="update_bias", reset_bias=reset_bias, forget_bias=forget_bias,
        alt=("Log-scale gradient norms against the step k for a vanilla tanh RNN, an LSTM and a GRU, "
             "while the GRU's update-gate bias b_z grows from -2 to 6: the vanilla and LSTM curves stay "
             "fixed and fall steeply; the GRU's exact curve flattens towards 1 as b_z grows, and the "
             "dotted shortcut curve lies below it, far below for small b_z and close to it for "
             "large b_z."),
        caption=("Swept parameter: the GRU's update-gate bias b_z, from −2 to 6 "
                 "(vanilla RNN and LSTM fixed)."))


def draw_shortcut_study(study):
    """Plot :func:`rnnlib.gru.shortcut_study`: the relative error of diag(z_t) per b_z (left)
    and ‖∂h_t/∂h_{t−1}‖₂ against ‖diag(z_t)‖₂ for the smallest and largest b_z (right)."""
    fig, (left, right) = pyplot().subplots(1, 2, figsize=(8.5, 4.2))
    biases = study["update_bias"]
    grey = {"color": GREY}
    left.boxplot(list(study["error"]), positions=range(len(biases)), widths=0.5, boxprops=grey,
                 whiskerprops=grey, capprops=grey, medianprops={"color": VERMILION, "lw": 2},
                 flierprops={"markersize": 3, "markeredgecolor": GREY})
    left.set_xticks(range(len(biases)), [f"{b:g}" for b in biases])
    left.set_yscale("log")
    left.set(xlabel="update-gate bias $b_z$",
             ylabel=r"$\|J_t - \mathrm{diag}(z_t)\|_2 \,/\, \|J_t\|_2$")
    left.grid(True, which="major", axis="y")
    for n, marker in ((0, "o"), (len(biases) - 1, "^")):
        right.scatter(study["norm_shortcut"][n], study["norm_exact"][n], s=12, marker=marker, alpha=0.7,
                      color=BLUE if n == 0 else GREEN, label=f"$b_z$ = {biases[n]:g}")
    top = max(1.05, float(study["norm_exact"].max()) * 1.05)
    right.plot([0, top], [0, top], color=GREY, lw=1, ls="--", label="exact = shortcut")
    right.axhline(1.0, color=GREY, lw=0.8, ls=":")
    right.set(xlim=(0, 1.02), ylim=(0, top), ylabel=r"exact $\|J_t\|_2$",
              xlabel=r"shortcut $\|\mathrm{diag}(z_t)\|_2 = \max_a z_t[a]$")
    right.legend(loc="upper left")
    fig.tight_layout()
    return fig


def widget():
    """The live widget of chapter 10: sliders for the GRU's b_z and b_r and the LSTM's b_f."""
    import ipywidgets as widgets

    from .style import live

    def slider(value, lo, hi, description):
        return widgets.FloatSlider(value=value, min=lo, max=hi, step=0.25, description=description,
                                   continuous_update=False)

    controls = {"update_bias": slider(0.0, -2.0, 6.0, "GRU b_z"),
                "reset_bias": slider(0.0, -4.0, 4.0, "GRU b_r"),
                "forget_bias": slider(0.0, -2.0, 5.0, "LSTM b_f")}
    return live("ch10_gradient_flow", draw_flow, controls,
                examples=[{"update_bias": 0.0, "reset_bias": 0.0, "forget_bias": 0.0},
                          {"update_bias": 4.0, "reset_bias": -2.0, "forget_bias": 3.0}])
