"""Chapter 8: the LSTM's gradient path.

* :func:`draw_flow` — how far back the gradient of the last step's loss reaches
  in a vanilla tanh RNN and an LSTM (:func:`rnnlib.comparison.flow_curves`);
* :func:`widget` (live) and :func:`animation` (kernel-free, sweeping the
  forget-gate bias);
* :func:`draw_cell_derivatives` — exact ∂C_T/∂C_k against the product of
  one-step cell Jacobians and the forget-gate-only product ∏ f_j
  (:func:`rnnlib.lstm.cell_derivative_curves`).

The numbers come from :mod:`rnnlib.comparison` and :mod:`rnnlib.lstm`; this
module only arranges and draws them.
"""
from __future__ import annotations

import numpy as np

from ..comparison import flow_curves
from .style import BLUE, GREEN, ORANGE, VERMILION, jshtml_animation, keep, live, parts, pyplot

__all__ = ["draw_flow", "widget", "animation", "draw_cell_derivatives"]


_FLOW_MARGINS = {"left": 0.12, "right": 0.98, "top": 0.91, "bottom": 0.27}


def _rnn_label(gain):
    return rf"RNN (gain {gain:.2g}) $\|\partial L_T/\partial h_k\|$"


def _flow_title(curves, forget_bias):
    return rf"LSTM forget-gate bias $b_f = {forget_bias:.2g}$ (mean $f_t = {curves['f_mean']:.2f}$)"


def _flow_axes(ax, curves, forget_bias, gain):
    k = curves["k"]
    ax.clear()
    ax.semilogy(k, curves["rnn_h"], color=BLUE, lw=2, label=_rnn_label(gain))
    ax.semilogy(k, curves["lstm_h"], color=ORANGE, lw=2, ls="--",
                label=r"LSTM $\|\partial L_T/\partial h_k\|$")
    ax.semilogy(k, curves["lstm_c"], color=GREEN, lw=2,
                label=r"LSTM $\|\partial L_T/\partial C_k\|$")
    ax.set_ylim(1e-20, 1e3)
    ax.set_xlim(0, k[-1])
    ax.set_xlabel("step $k$ (the loss is at the last step $T$)")
    ax.set_ylabel("norm relative to $k = T$")
    ax.set_title(_flow_title(curves, forget_bias))
    ax.set_yticks([1e-20, 1e-15, 1e-10, 1e-5, 1e0])
    ax.grid(True, which="major")
    # below the axes: the curves cross every corner of the plot for some b_f
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.16), ncol=2, columnspacing=1.2)


def _update_flow_axes(ax, curves, forget_bias, gain):
    """Redraw :func:`_flow_axes` for new values in place: new curves, title and legend label."""
    rnn, lstm_h, lstm_c = ax.get_lines()[:3]
    for line, key in ((rnn, "rnn_h"), (lstm_h, "lstm_h"), (lstm_c, "lstm_c")):
        line.set_data(curves["k"], curves[key])
    rnn.set_label(_rnn_label(gain))
    ax.get_legend().get_texts()[0].set_text(_rnn_label(gain))
    ax.set_title(_flow_title(curves, forget_bias))


def draw_flow(forget_bias: float = 0.0, gain: float = 1.0, fig=None):
    """The gradient-flow comparison for one setting; returns a matplotlib figure.

    Pass a figure this function returned as ``fig`` to redraw it for other
    values (what a slider move does): the curves, title and legend are then
    updated in place."""
    curves = flow_curves(forget_bias, gain)
    if parts(fig, "lstm_flow") is not None:
        _update_flow_axes(fig.axes[0], curves, forget_bias, gain)
        return fig
    if fig is None:
        fig = pyplot().figure(figsize=(7.5, 4.8))
    fig.clear()
    ax = fig.subplots()
    fig.subplots_adjust(**_FLOW_MARGINS)         # fixed margins: cheaper than tight_layout
    _flow_axes(ax, curves, forget_bias, gain)
    keep(fig, "lstm_flow")
    return fig


def animation(biases=None, gain: float = 1.0):
    """A jshtml animation of :func:`draw_flow` sweeping the forget-gate bias b_f."""
    biases = np.array([-2.0, -1.0, *np.arange(0.0, 5.01, 0.5)]) if biases is None else np.asarray(biases, dtype=float)
    fig = draw_flow(float(biases[0]), gain)
    return jshtml_animation(
        fig, lambda b: draw_flow(float(b), gain, fig=fig), list(biases),
        alt=("Log-scale gradient norms against the step k for a vanilla tanh RNN and an LSTM "
             "while the LSTM's forget-gate bias b_f grows from -2 to 5: the vanilla curve stays "
             "fixed and falls steeply; the LSTM curves fall steeply for negative b_f and flatten "
             "towards 1 as b_f grows."),
        caption="Swept parameter: the LSTM's forget-gate bias b_f, from −2 to 5 (vanilla RNN fixed).",
    )


def draw_cell_derivatives(curves):
    """Plot :func:`cell_derivative_curves`: |value| on a log scale against k."""
    fig, ax = pyplot().subplots(figsize=(7.6, 4.0))
    k = curves["k"]
    ax.semilogy(k, np.abs(curves["exact"]), "o-", color=BLUE, lw=2,
                label=r"exact $\partial C_T/\partial C_k$ (joint state Jacobians)")
    ax.semilogy(k, np.abs(curves["one_step"]), "s--", color=VERMILION, lw=1.5,
                label=r"product of one-step $\partial C_j/\partial C_{j-1}$")
    ax.semilogy(k, np.abs(curves["forget"]), "^:", color=GREEN, lw=1.5,
                label=r"forget gates only, $\prod_j f_j$")
    ax.set_xlabel("$k$")
    ax.set_ylabel(r"absolute value")
    ax.set_xlim(k[0] - 0.3, k[-1] + 0.3)
    ax.grid(True, which="major")
    # below the axes: the curves cross every corner of the plot for some b_f
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.16), ncol=2, columnspacing=1.2)
    fig.tight_layout()
    return fig


def widget():
    """The live widget of chapter 8: sliders for b_f (LSTM) and the gain of W_hh (vanilla RNN)."""
    import ipywidgets as widgets

    controls = {
        "forget_bias": widgets.FloatSlider(value=0.0, min=-2.0, max=5.0, step=0.25,
                                           description="LSTM b_f", continuous_update=False),
        "gain": widgets.FloatSlider(value=1.0, min=0.5, max=2.0, step=0.1,
                                    description="RNN gain", continuous_update=False),
    }
    return live("ch08_gradient_flow", draw_flow, controls,
                examples=[{"forget_bias": 0.0, "gain": 1.0}, {"forget_bias": 3.0, "gain": 1.5}])
