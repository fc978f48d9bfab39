"""Chapter 1: the unrolled graph, stepped through time, and the error of a
central difference as a function of eps.

Everything here draws; the numbers come from :func:`rnnlib.forward`,
:func:`rnnlib.rnn.per_step_losses` and :mod:`rnnlib.gradcheck`.
:func:`widget` is the chapter's live widget and :func:`animation` its
kernel-free counterpart.
"""
from __future__ import annotations

import numpy as np

from .style import BLUE, GREY, MAX_WIDTH_IN, ORANGE, TEXT, VERMILION, jshtml_animation, keep, live, parts, pyplot

__all__ = ["draw_unrolled_graph", "draw_unrolling", "widget", "animation", "eps_sweep_figure"]

_GREY = GREY
_HI = ORANGE         # orange: the step being computed
_DONE = BLUE         # blue: steps already computed
_TODO = "#6b6b6b"    # dark grey outline and text: steps not computed yet (5.3:1 on white)


def _node(ax, x, y, text):
    # The box is the text's own bbox, so that what is behind the label is known (contrast).
    text = ax.text(x, y, text, ha="center", va="center",
                   bbox=dict(boxstyle="round,pad=0.45", linewidth=1.5, facecolor="white"))
    return text.get_bbox_patch(), text


def _arrow(ax, x0, y0, x1, y1, label=None, lx=0.0, ly=0.0):
    # shrinkA = shrinkB = 0: matplotlib would otherwise cut 2 points off each end with
    # two Bézier splits on every draw, a fifth of a redraw of the unrolled graph; the
    # ends are moved in by about those 2 points instead.
    dx, dy = (0.08 if x1 != x0 else 0.0), (0.035 if y1 != y0 else 0.0)
    arrow = ax.annotate("", xy=(x1 - dx, y1 - dy), xytext=(x0 + dx, y0 + dy),
                        arrowprops=dict(arrowstyle="->", lw=1.3, shrinkA=0, shrinkB=0))
    text = None
    if label:
        text = ax.text((x0 + x1) / 2 + lx, (y0 + y1) / 2 + ly, label,
                       ha="center", va="center")
    return arrow, text


def _color_step(step, color, filled):
    """Give one step's nodes, arrows and labels the colour of its state.

    Filled boxes carry dark text (white on orange would be 2.2:1); the weight
    labels beside the arrows stay in the text colour."""
    for box, text in step["nodes"]:
        box.set_edgecolor(color)
        box.set_facecolor(color if filled else "white")
        text.set_color("white" if filled and color == _DONE else TEXT if filled else color)
    for arrow, text in step["arrows"]:
        arrow.arrow_patch.set_color(color)
        if text is not None:
            text.set_color(TEXT)


def draw_unrolled_graph(ax, T: int, t: int, graph=None):
    """Draw h_0 → h_1 → … → h_T with inputs X_k below and losses L_k above.

    Steps k < t are drawn as computed (filled blue), step t is highlighted
    (filled orange), steps k > t are not yet computed (grey outline).  ``t`` runs over 0..T.
    Returns the drawn artists; pass them back as ``graph`` to recolour the same
    graph for another ``t`` (what a slider move does) instead of redrawing it.
    """
    if graph is None:
        ax.clear()
        ax.set_xlim(-0.45, T + 0.45)
        ax.set_ylim(-0.3, 2.75)
        ax.axis("off")
        steps = [{"nodes": [_node(ax, 0, 1, "$h_0$")], "arrows": []}]
        for k in range(1, T + 1):
            steps.append({
                "nodes": [_node(ax, k, 0, f"$X_{k}$"), _node(ax, k, 1, f"$h_{k}$"),
                          _node(ax, k, 2, f"$L_{k}$")],
                "arrows": [_arrow(ax, k, 0.22, k, 0.78, "$W_{xh}$" if k == 1 else None, lx=0.5),
                           _arrow(ax, k, 1.22, k, 1.78, "$W_{yh}$" if k == 1 else None, lx=0.5),
                           _arrow(ax, k - 0.66, 1, k - 0.34, 1, "$W_{hh}$" if k == 1 else None,
                                  lx=-0.05, ly=-0.42)]})
        label = ax.text(T + 0.4, 2.75, "", ha="right", va="top")
        graph = {"steps": steps, "label": label}
    _color_step(graph["steps"][0], _HI if t == 0 else _DONE, True)
    for k in range(1, T + 1):
        _color_step(graph["steps"][k], _HI if k == t else (_DONE if k < t else _TODO), k <= t)
    graph["label"].set_text(f"step $t = {t}$")
    return graph


def draw_unrolling(cache, step_losses, t: int, *, example: int = 0, fig=None):
    """Left: the unrolled graph at step t.  Middle: the entries of h_t for one
    example of the batch.  Right: the running loss Σ_{k≤t} L_k.

    ``cache`` comes from :func:`rnnlib.forward`; ``step_losses`` (T,) from
    :func:`rnnlib.rnn.per_step_losses` on the same problem.  Pass ``fig``
    (a figure this function returned) to redraw it for another ``t``: the
    artists are then updated in place, not rebuilt.
    """
    T, H = cache.T, cache.h.shape[2]
    running = np.concatenate([[0.0], np.cumsum(step_losses)])
    key = ("unrolling", id(cache), example)
    stored = parts(fig, key)
    if stored is None:
        if fig is None:
            fig = pyplot().figure(figsize=(MAX_WIDTH_IN, 3.4))
        fig.clear()
        gs = fig.add_gridspec(1, 3, width_ratios=[2.7, 1, 1], wspace=0.45,
                              left=0.0, right=0.985, bottom=0.17, top=0.88)
        stored = keep(fig, key, graph=draw_unrolled_graph(fig.add_subplot(gs[0]), T, t))
        ax = fig.add_subplot(gs[1])
        stored["bars"] = ax.bar(np.arange(1, H + 1), cache.h[t, example], color=_HI)
        ax.axhline(0, color=_GREY, lw=0.8)
        lim = max(1.0, float(np.abs(cache.h[:, example]).max()) * 1.1)
        ax.set_ylim(-lim, lim)
        ax.set_xticks(np.arange(1, H + 1))
        ax.set_xlabel("unit $a$")
        stored["h_title"] = ax.set_title("")
        ax = fig.add_subplot(gs[2])
        ax.plot(np.arange(T + 1), running, color=_GREY, lw=1, marker="o", ms=3)
        stored["line"], = ax.plot([], [], color=_HI, lw=2, marker="o", ms=4)
        ax.set_xlabel("$t$")
        ax.set_title(r"$\sum_{k\leq t} L_k$")
        ax.set_xticks(np.arange(0, T + 1, 2 if T > 6 else 1))
    else:
        draw_unrolled_graph(None, T, t, graph=stored["graph"])
    for bar, height in zip(stored["bars"], cache.h[t, example]):
        bar.set_height(height)
    stored["h_title"].set_text(f"$h_{{{t}}}[a]$")
    stored["line"].set_data(np.arange(t + 1), running[: t + 1])
    return fig


def widget(cache, step_losses):
    """Live widget: a slider over t = 0..T redraws :func:`draw_unrolling`."""
    import ipywidgets as widgets

    def draw(t, fig=None):
        return draw_unrolling(cache, step_losses, t, fig=fig)

    slider = widgets.IntSlider(value=0, min=0, max=cache.T, description="step t")
    return live("unrolling", draw, {"t": slider},
                examples=[{"t": k} for k in range(cache.T + 1)])


def animation(cache, step_losses):
    """Kernel-free counterpart: the same figure for t = 0..T as an animation."""
    fig = draw_unrolling(cache, step_losses, 0)
    return jshtml_animation(
        fig, lambda t: draw_unrolling(cache, step_losses, t, fig=fig), range(cache.T + 1),
        alt="The unrolled RNN graph with step t highlighted, the entries of h_t as bars, "
            "and the running sum of the per-step losses.",
        caption="Swept parameter: the step t, from 0 to T (use the buttons or the slider).")


def eps_sweep_figure(eps, errors, *, u=np.finfo(float).eps, scale=1.0):
    """Log-log plot of central-difference error against eps, with the two
    reference slopes: truncation ∝ eps² and round-off ∝ u/eps."""
    fig, ax = pyplot().subplots(figsize=(7.0, 4.2), layout="constrained")
    ax.loglog(eps, np.maximum(errors, 1e-18), marker="o", ms=4, color=BLUE, label="observed error")
    ax.loglog(eps, scale * eps ** 2, ls="--", color=ORANGE, label=r"truncation $\propto \epsilon^2$")
    ax.loglog(eps, u / eps, ls=":", color=VERMILION, label=r"round-off $\propto u/\epsilon$")
    ax.axvline(1e-5, color=_GREY, lw=0.8)
    ax.text(1.3e-5, 1e-13, r"$\epsilon = 10^{-5}$")
    ax.set_ylim(1e-14, 1.0)
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel(r"$|$central difference $-$ exact$|$")
    ax.legend(loc="upper center")
    ax.grid(True, which="major")
    return fig
