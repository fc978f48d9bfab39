"""Figures, widgets' draw functions and animations of chapters 2 and 3.

* Chapter 2: :func:`draw_output_layer` — step t's outer product h_tᵀ (ŷ_t − y_t)
  next to the running sum that becomes ∂L/∂W_yh.
* Chapter 3: :func:`draw_error_flow` — δ_t assembled backward in time from
  the own output error G_t and the part δ_{t+1} J_{t+1} that flows back.

Each ``draw_*`` function takes the widget's control values and returns a new
figure; pass that figure back as ``fig`` to redraw it for other values, as the
live widget and the ``*_animation`` counterparts do (at most 30 frames at
80 dpi): the artists are then updated in place, not rebuilt.  The small seeded
problems and everything that does not depend on the step t are cached, so a
redraw costs little more than rendering one small figure.  Labels are plain Unicode, not
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


def _parts(fig, key):
    """The artists that ``draw_*`` stored on ``fig`` for the same ``key`` (or None).

    A widget or an animation redraws by updating these in place (bar heights,
    image data, titles), which is much faster than building a new figure."""
    parts = getattr(fig, "_bptt_parts", None)
    return parts if parts is not None and parts["key"] == key else None


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
    parts = _parts(fig, ("output_layer", seed))
    if parts is None:
        fig, (ax0, ax1, ax2) = _figure(fig, 3, (9.0, 3.2), [0.8, 1, 1])
        parts = {"key": ("output_layer", seed)}
        parts["bars"] = ax0.bar(np.arange(OUTPUT_N), np.zeros(OUTPUT_N))
        ax0.axhline(0, color="#808080", lw=0.8)
        ax0.set_ylim(-1.05, 1.05)
        ax0.set_xticks(range(OUTPUT_N))
        ax0.set_xlabel("class j (orange: the label y_t)")
        parts["titles"] = [ax0.set_title("", fontsize=10)]
        parts["images"] = []
        for ax, v in ((ax1, v_step), (ax2, v_sum)):
            parts["images"].append(ax.imshow(np.zeros((OUTPUT_H, OUTPUT_N)), cmap="RdBu_r", vmin=-v, vmax=v))
            parts["titles"].append(ax.set_title("", fontsize=10))
            ax.set_xlabel("output j")
            ax.set_ylabel("hidden unit a")
            ax.set_xticks(range(OUTPUT_N))
            ax.set_yticks(range(OUTPUT_H))
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.17, top=0.86, wspace=0.35)
        fig._bptt_parts = parts
    d = cache.dO[t - 1, 0]
    for j, bar in enumerate(parts["bars"]):
        bar.set_height(d[j])
        bar.set_facecolor(COLORS[3] if j == Y[t - 1, 0] else COLORS[0])
    parts["images"][0].set_data(C[t - 1])
    parts["images"][1].set_data(running[t - 1])
    for title, text in zip(parts["titles"],
                           (f"∂L_{t}/∂o_{t} = ŷ_{t} − y_{t}", f"step {t}: h_{t}ᵀ (ŷ_{t} − y_{t})",
                            f"sum over steps 1..{t}" + (" = ∂L/∂W_yh" if t == OUTPUT_T else ""))):
        title.set_text(text)
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
    parts = _parts(fig, ("error_flow", seed))
    if parts is None:
        fig, (ax0, ax1) = _figure(fig, 2, (9.0, 3.4), [1.6, 1])
        parts = {"key": ("error_flow", seed), "axes": (ax0, ax1)}
        w = 0.38
        parts["norm_bars"] = (
            ax0.bar(steps - w / 2, nG, w, color=COLORS[0], label="‖G_t‖ own output"),
            ax0.bar(steps + w / 2, nB, w, color=COLORS[1], label="‖δ_{t+1} J_{t+1}‖ from later"))
        parts["norm_line"], = ax0.plot(steps, nD, "o-", color=COLORS[3], ms=4, label="‖δ_t‖ total")
        parts["now"] = ax0.axvline(1, color="#808080", lw=0.8, ls=":")
        ax0.set_xlim(0.4, FLOW_T + 0.6)
        ax0.set_xticks(steps)
        ax0.set_xlabel("step t (the backward pass runs right to left)")
        parts["title"] = ax0.set_title("", fontsize=10)
        ax0.legend(fontsize=8, loc="upper left")
        parts["vector_bars"] = (
            ax1.barh(units - 0.27, G[0], 0.27, color=COLORS[0], label="G_t"),
            ax1.barh(units, back[0], 0.27, color=COLORS[1], label="δ_{t+1} J_{t+1}"),
            ax1.barh(units + 0.27, delta[0], 0.27, color=COLORS[3], label="δ_t = sum"))
        ax1.axvline(0, color="#808080", lw=0.8)
        ax1.set_yticks(units)
        ax1.set_ylabel("hidden unit")
        ax1.invert_yaxis()
        parts["vector_title"] = ax1.set_title("", fontsize=9)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        fig._bptt_parts = parts
    ax0, ax1 = parts["axes"]
    shown = steps >= t                                   # steps the backward pass has visited
    for bars, norms in zip(parts["norm_bars"], (nG, nB)):
        for bar, height, visible in zip(bars, norms, shown):
            bar.set_height(height)
            bar.set_visible(visible)
    parts["norm_line"].set_data(steps[shown], nD[shown])
    parts["now"].set_xdata([t, t])
    ax0.set_ylim(0, 1.15 * max(nG.max(), nD.max(), nB.max()))
    parts["title"].set_text(f"backward pass at t = {t},  ρ(W_hh) = {float(scale):.2f}")
    for bars, vector in zip(parts["vector_bars"], (G, back, delta)):
        for bar, width in zip(bars, vector[t - 1]):
            bar.set_width(width)
    lim = 1.1 * max(np.abs(G).max(), np.abs(back).max(), np.abs(delta).max())
    ax1.set_xlim(-lim, lim)
    parts["vector_title"].set_text(f"step {t}: G_t (blue), from later (orange),\nδ_t (red)")
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
