"""Figures for chapter 8 (the LSTM's gradient path).

* :func:`flow_curves` — how far back the gradient of the last step's loss
  reaches: ‖∂L_T/∂h_k‖ for a vanilla tanh RNN and ‖∂L_T/∂h_k‖, ‖∂L_T/∂C_k‖ for
  an LSTM, each divided by its value at k = T.
* :func:`draw_flow` — that comparison as a figure (the chapter's live widget).
* :func:`flow_animation` — the kernel-free counterpart, sweeping the forget-gate bias.
* :func:`draw_cell_derivatives` — exact ∂C_T/∂C_k against the product of
  one-step cell Jacobians and the forget-gate-only product ∏ f_j.

The numbers come from :mod:`rnnlib.lstm` and :mod:`rnnlib.jacobians`; this
module only arranges and draws them.
"""
from __future__ import annotations

import numpy as np

from . import lstm
from .jacobians import jacobian
from .rnn import forward as rnn_forward
from .rnn import init_params as rnn_init_params
from .viz import COLORS

__all__ = ["flow_problem", "flow_curves", "draw_flow", "flow_animation", "flow_widget",
           "cell_derivative_curves", "draw_cell_derivatives"]

FLOW_T = 60
FLOW_H = 8
FLOW_N_IN = 2


def flow_problem(T: int = FLOW_T, *, seed: int = 0):
    """A seeded input sequence (T, 1, n_in), a target at the last step only, and its mask."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, 1, FLOW_N_IN))
    Y = rng.normal(size=(T, 1, 1))
    mask = np.zeros((T, 1))
    mask[-1] = 1.0                                   # only L_T counts
    return X, Y, mask


def flow_curves(forget_bias: float = 0.0, gain: float = 1.0, *, T: int = FLOW_T,
                H: int = FLOW_H, seed: int = 0) -> dict:
    """Relative error-signal norms against k for a vanilla RNN and an LSTM.

    The loss is L_T alone (mse at the last step).  The vanilla RNN (tanh) has
    W_hh scaled by ``gain``; the LSTM has every forget-gate bias set to
    ``forget_bias``.  Both start from the same seed.

    Returns a dict with ``k`` (0..T) and, each of length T + 1 and equal to 1 at
    k = T: ``rnn_h`` = ‖∂L_T/∂h_k‖, ``lstm_h`` = ‖∂L_T/∂h_k‖ (C_k fixed) and
    ``lstm_c`` = ‖∂L_T/∂C_k‖ (relative to ‖∂L_T/∂C_T‖), plus ``f_mean``, the
    LSTM's average forget gate.
    """
    X, Y, mask = flow_problem(T, seed=seed)
    # vanilla: δ_k = δ_{k+1} J_{k+1}, starting from δ_T = G_T
    vp = rnn_init_params(FLOW_N_IN, H, 1, seed=seed + 1)
    vp["W_hh"] = vp["W_hh"] * gain
    _, vc = rnn_forward(vp, X, Y, loss="mse", loss_mask=mask)
    d = vc.dO[-1] @ vp["W_yh"].T
    rnn_h = np.empty(T + 1)
    rnn_h[T] = np.linalg.norm(d)
    for k in range(T - 1, -1, -1):
        d = np.einsum("ia,iab->ib", d, jacobian(vp, vc, k + 1))
        rnn_h[k] = np.linalg.norm(d)
    # LSTM: the error signals of its own backward recursion
    lp = lstm.init_params(FLOW_N_IN, H, 1, seed=seed + 1, forget_bias=forget_bias)
    _, lc = lstm.forward(lp, X, Y, loss="mse", loss_mask=mask)
    sig = lstm.error_signals(lp, lc)
    lstm_h = np.linalg.norm(sig["h"][:, 0], axis=1)
    lstm_c = np.linalg.norm(sig["c"][:, 0], axis=1)
    return {"k": np.arange(T + 1), "rnn_h": rnn_h / rnn_h[T], "lstm_h": lstm_h / lstm_h[T],
            "lstm_c": lstm_c / lstm_c[T], "f_mean": float(lc.f.mean())}


_FLOW_MARGINS = {"left": 0.11, "right": 0.97, "top": 0.92, "bottom": 0.25}


def _rnn_label(gain):
    return rf"vanilla RNN (gain {gain:.2g}), $\|\partial L_T/\partial h_k\|$"


def _flow_title(curves, forget_bias):
    return rf"forget-gate bias $b_f$ = {forget_bias:.2g}  (mean $f_t$ = {curves['f_mean']:.2f})"


def _flow_axes(ax, curves, forget_bias, gain):
    k = curves["k"]
    ax.clear()
    ax.semilogy(k, curves["rnn_h"], color=COLORS[0], lw=2, label=_rnn_label(gain))
    ax.semilogy(k, curves["lstm_h"], color=COLORS[1], lw=2, ls="--",
                label=r"LSTM, $\|\partial L_T/\partial h_k\|$")
    ax.semilogy(k, curves["lstm_c"], color=COLORS[2], lw=2,
                label=r"LSTM, $\|\partial L_T/\partial C_k\|$")
    ax.set_ylim(1e-20, 1e3)
    ax.set_xlim(0, k[-1])
    ax.set_xlabel("step k (the loss is at the last step T)")
    ax.set_ylabel("norm relative to k = T")
    ax.set_title(_flow_title(curves, forget_bias))
    ax.set_yticks([1e-20, 1e-15, 1e-10, 1e-5, 1e0])
    ax.grid(True, which="major")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8.5,
              handlelength=1.6, columnspacing=1.0)


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
    import matplotlib.pyplot as plt

    curves = flow_curves(forget_bias, gain)
    parts = getattr(fig, "_bptt_parts", None)
    if parts is not None and parts["key"] == "lstm_flow":
        _update_flow_axes(fig.axes[0], curves, forget_bias, gain)
        return fig
    if fig is None:
        fig = plt.figure(figsize=(7.5, 4.4))
    fig.clear()
    ax = fig.subplots()
    fig.subplots_adjust(**_FLOW_MARGINS)         # fixed margins: cheaper than tight_layout
    _flow_axes(ax, curves, forget_bias, gain)
    fig._bptt_parts = {"key": "lstm_flow"}
    return fig


def flow_animation(biases=None, gain: float = 1.0):
    """A jshtml animation of :func:`draw_flow` sweeping the forget-gate bias b_f."""
    from .viz import jshtml_animation

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


def cell_derivative_curves(params, X, *, h0=None, c0=None) -> dict:
    """|∂C_T/∂C_k| three ways for a scalar LSTM (H = 1), k = 0..T.

    ``exact`` uses :func:`rnnlib.lstm.cell_state_derivative`; ``one_step`` the product
    of full one-step cell Jacobians; ``forget`` the product of forget gates ∏ f_j.
    """
    T = np.asarray(X).shape[0]
    Y = np.zeros((T, np.asarray(X).shape[1], params["W_yh"].shape[1]))
    _, cache = lstm.forward(params, X, Y, h0=h0, c0=c0, loss="mse")
    ks = np.arange(T + 1)
    out = {"k": ks}
    out["exact"] = np.array([lstm.cell_state_derivative(params, cache, T, k)[0, 0, 0] for k in ks])
    out["one_step"] = np.array([lstm.cell_state_jacobian_product(params, cache, T, k)[0, 0, 0] for k in ks])
    out["forget"] = np.array([lstm.cell_state_jacobian_product(params, cache, T, k, full=False)[0, 0, 0]
                              for k in ks])
    return out


def draw_cell_derivatives(curves):
    """Plot :func:`cell_derivative_curves`: |value| on a log scale against k."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    k = curves["k"]
    ax.semilogy(k, np.abs(curves["exact"]), "o-", color=COLORS[0], lw=2,
                label=r"exact $\partial C_T/\partial C_k$ (joint state Jacobians)")
    ax.semilogy(k, np.abs(curves["one_step"]), "s--", color=COLORS[3], lw=1.5,
                label=r"product of one-step $\partial C_j/\partial C_{j-1}$")
    ax.semilogy(k, np.abs(curves["forget"]), "^:", color=COLORS[2], lw=1.5,
                label=r"forget gates only, $\prod_j f_j$")
    ax.set_xlabel("k")
    ax.set_ylabel(r"absolute value")
    ax.set_xlim(k[0] - 0.3, k[-1] + 0.3)
    ax.grid(True, which="major")
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def flow_widget():
    """The live widget of chapter 8: sliders for b_f (LSTM) and the gain of W_hh (vanilla RNN)."""
    import ipywidgets as widgets

    from .viz import live

    controls = {
        "forget_bias": widgets.FloatSlider(value=0.0, min=-2.0, max=5.0, step=0.25,
                                           description="LSTM b_f", continuous_update=False),
        "gain": widgets.FloatSlider(value=1.0, min=0.5, max=2.0, step=0.1,
                                    description="RNN gain", continuous_update=False),
    }
    return live("ch08_gradient_flow", draw_flow, controls,
                examples=[{"forget_bias": 0.0, "gain": 1.0}, {"forget_bias": 3.0, "gain": 1.5}])
