"""Figures, widgets' draw functions and animations of chapters 2 and 3.

* Chapter 2: :func:`draw_output_layer` — step t's outer product h_tᵀ (ŷ_t − y_t)
  next to the running sum that becomes ∂L/∂W_yh.
* Chapter 3: :func:`draw_error_flow` — δ_t assembled backward in time from
  the own output error G_t and the part δ_{t+1} J_{t+1} that flows back.

Each ``draw_*`` function takes the widget's control values and returns a new
figure (pass ``fig`` to redraw an existing one, as the ``*_animation``
counterparts do, at most 30 frames at 80 dpi).  The small seeded problems are
cached, so a redraw costs one small figure.  Labels are plain Unicode, not
mathtext, to keep redraws fast.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import signals
from .rnn import forward, init_params
from .viz import COLORS, jshtml_animation

__all__ = ["table", "OUTPUT_T", "FLOW_T", "output_problem", "draw_output_layer", "output_layer_animation",
           "flow_problem", "draw_error_flow", "error_flow_animation"]

OUTPUT_T, OUTPUT_H, OUTPUT_N = 8, 5, 4
FLOW_T, FLOW_H = 12, 6


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _figure(fig, ncols, size, ratios):
    if fig is None:
        fig = _plt().figure(figsize=size)
    fig.clf()
    axes = fig.subplots(1, ncols, gridspec_kw={"width_ratios": ratios})
    return fig, axes


def table(header, rows):
    """A small HTML table (``IPython.display.HTML``) for a notebook's error report.

    ``header`` is a list of column titles and ``rows`` a list of lists of cells
    (strings or numbers, shown with ``str``).  HTML rather than Markdown, because
    the site renders notebook Markdown outputs as CommonMark, which has no tables.
    """
    import html
    from IPython.display import HTML

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return HTML(f'<table class="bptt-errors"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


# ------------------------------------------------------------------ chapter 2: output layer
@lru_cache(maxsize=4)
def output_problem(seed: int = 2):
    """(params, cache, Y) of chapter 2's widget: T = 8, H = 5, 4 classes, one sequence."""
    rng = np.random.default_rng(seed)
    params = init_params(3, OUTPUT_H, OUTPUT_N, seed=seed)
    X = rng.normal(size=(OUTPUT_T, 1, 3))
    Y = rng.integers(0, OUTPUT_N, size=(OUTPUT_T, 1))
    _, cache = forward(params, X, Y)
    return params, cache, Y


def draw_output_layer(t: int = 1, seed: int = 2, fig=None):
    """Three panels for step ``t``: ∂L_t/∂o_t = ŷ_t − y_t (bars), the outer product
    h_tᵀ(ŷ_t − y_t) (H × n_out heat map), and the running sum Σ_{j ≤ t} of these,
    which equals ∂L/∂W_yh at t = T.  Returns the figure.
    """
    t = int(t)
    params, cache, Y = output_problem(seed)
    C = signals.output_layer_contributions(params, cache)          # (T, H, n_out)
    running = C[:t].sum(axis=0)
    v_step = float(np.abs(C).max())                                 # one scale per panel, fixed over t
    v_sum = float(np.abs(np.cumsum(C, axis=0)).max())
    fig, (ax0, ax1, ax2) = _figure(fig, 3, (9.0, 3.2), [0.8, 1, 1])
    d = cache.dO[t - 1, 0]
    colors = [COLORS[3] if j == Y[t - 1, 0] else COLORS[0] for j in range(OUTPUT_N)]
    ax0.bar(np.arange(OUTPUT_N), d, color=colors)
    ax0.axhline(0, color="#808080", lw=0.8)
    ax0.set_ylim(-1.05, 1.05)
    ax0.set_xticks(range(OUTPUT_N))
    ax0.set_xlabel("class j (orange: the label y_t)")
    ax0.set_title(f"∂L_{t}/∂o_{t} = ŷ_{t} − y_{t}", fontsize=10)
    for ax, M, v, title in ((ax1, C[t - 1], v_step, f"step {t}: h_{t}ᵀ (ŷ_{t} − y_{t})"),
                            (ax2, running, v_sum,
                             f"sum over steps 1..{t}" + (" = ∂L/∂W_yh" if t == OUTPUT_T else ""))):
        ax.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("output j")
        ax.set_ylabel("hidden unit a")
        ax.set_xticks(range(OUTPUT_N))
        ax.set_yticks(range(OUTPUT_H))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.17, top=0.86, wspace=0.35)
    return fig


def output_layer_animation(seed: int = 2):
    """The chapter-2 figure with the step t swept from 1 to T = 8."""
    fig = draw_output_layer(1, seed)
    return jshtml_animation(
        fig, lambda t: draw_output_layer(t, seed, fig=fig), list(range(1, OUTPUT_T + 1)),
        alt=("Three panels redrawn for steps t = 1 to 8: bars of the softmax error ŷ_t − y_t, "
             "negative only at the label; the 5 by 4 heat map of the outer product h_t transposed "
             "times that error; and the running sum of these heat maps, which at t = 8 is the "
             "gradient with respect to W_yh."),
        caption="Swept parameter: the step t, from 1 to 8 (red positive, blue negative)")


# ------------------------------------------------------------------ chapter 3: error flow
@lru_cache(maxsize=64)
def flow_problem(scale: float = 1.0, seed: int = 3):
    """(params, cache) for chapter 3's widget: T = 12, H = 6, one sequence,
    W_hh a fixed Gaussian matrix rescaled to spectral radius ``scale``, tanh,
    softmax cross-entropy at every step."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(FLOW_H, FLOW_H))
    params = init_params(2, FLOW_H, 3, seed=seed)
    params["W_hh"] = W * (float(scale) / np.max(np.abs(np.linalg.eigvals(W))))
    X = rng.normal(size=(FLOW_T, 1, 2))
    Y = rng.integers(0, 3, size=(FLOW_T, 1))
    _, cache = forward(params, X, Y)
    return params, cache


def draw_error_flow(t: int = 1, scale: float = 1.0, seed: int = 3, fig=None):
    """The backward pass stopped at step ``t``: for every step already visited
    (t..T) the norms ‖G_j‖ (own output error), ‖δ_{j+1} J_{j+1}‖ (what flows back)
    and ‖δ_j‖ (their sum), and the vectors G_t, δ_{t+1}J_{t+1}, δ_t of the current step.
    """
    t = int(t)
    params, cache = flow_problem(float(scale), seed)
    G = signals.output_errors(params, cache)[:, 0]
    delta = signals.error_signals(params, cache)[:, 0]
    back = delta - G
    fig, (ax0, ax1) = _figure(fig, 2, (9.0, 3.4), [1.6, 1])
    steps = np.arange(1, FLOW_T + 1)
    shown = steps >= t
    w = 0.38
    nG, nB, nD = (np.linalg.norm(a, axis=1) for a in (G, back, delta))
    top = 1.15 * max(nG.max(), nD.max(), nB.max())
    ax0.bar(steps[shown] - w / 2, nG[shown], w, color=COLORS[0], label="‖G_t‖ own output")
    ax0.bar(steps[shown] + w / 2, nB[shown], w, color=COLORS[1], label="‖δ_{t+1} J_{t+1}‖ from later")
    ax0.plot(steps[shown], nD[shown], "o-", color=COLORS[3], ms=4, label="‖δ_t‖ total")
    ax0.axvline(t, color="#808080", lw=0.8, ls=":")
    ax0.set_xlim(0.4, FLOW_T + 0.6)
    ax0.set_ylim(0, top)
    ax0.set_xticks(steps)
    ax0.set_xlabel("step t (the backward pass runs right to left)")
    ax0.set_title(f"backward pass at t = {t},  ρ(W_hh) = {float(scale):.2f}", fontsize=10)
    ax0.legend(fontsize=8, loc="upper left")
    units = np.arange(FLOW_H)
    ax1.barh(units - 0.27, G[t - 1], 0.27, color=COLORS[0], label="G_t")
    ax1.barh(units, back[t - 1], 0.27, color=COLORS[1], label="δ_{t+1} J_{t+1}")
    ax1.barh(units + 0.27, delta[t - 1], 0.27, color=COLORS[3], label="δ_t = sum")
    lim = 1.1 * max(np.abs(G).max(), np.abs(back).max(), np.abs(delta).max())
    ax1.set_xlim(-lim, lim)
    ax1.axvline(0, color="#808080", lw=0.8)
    ax1.set_yticks(units)
    ax1.set_ylabel("hidden unit")
    ax1.invert_yaxis()
    ax1.set_title(f"step {t}: G_t (blue), from later (orange),\nδ_t (red)", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    return fig


def error_flow_animation(scale: float = 1.0, seed: int = 3):
    """The chapter-3 figure with the step t swept backward from T = 12 to 1."""
    frames = list(range(FLOW_T, 0, -1))
    fig = draw_error_flow(frames[0], scale, seed)
    return jshtml_animation(
        fig, lambda t: draw_error_flow(t, scale, seed, fig=fig), frames,
        alt=(f"Bar chart redrawn as the backward pass moves from step 12 down to step 1 "
             f"(tanh, spectral radius of W_hh {scale:g}): at each visited step a blue bar for the "
             "norm of the own output error, an orange bar for the norm of the error flowing back "
             "from the next step (zero at step 12), and a red line for the norm of the total error "
             "signal; a side panel shows the six entries of the three vectors at the current step."),
        caption=f"Swept parameter: the step t, backward from 12 to 1 (ρ(W_hh) = {scale:g})")
