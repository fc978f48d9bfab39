"""Chapter 1: the unrolled graph, stepped through time, and the error of a
central difference as a function of eps.

Everything here draws; the numbers come from :func:`rnnlib.forward`,
:func:`rnnlib.rnn.per_step_losses` and :mod:`rnnlib.gradcheck`.
:func:`widget` is the chapter's live widget and :func:`animation` its
kernel-free counterpart.
"""
from __future__ import annotations

import numpy as np

from .style import COLORS, GREY, jshtml_animation, keep, live, parts, pyplot

__all__ = ["draw_unrolled_graph", "draw_unrolling", "widget", "animation", "eps_sweep_figure"]

_GREY = GREY
_HI = COLORS[1]      # orange: the step being computed
_DONE = COLORS[0]    # blue: steps already computed


def _node(ax, x, y, text):
    from matplotlib.patches import FancyBboxPatch

    box = FancyBboxPatch((x - 0.32, y - 0.2), 0.64, 0.4, boxstyle="round,pad=0.02", linewidth=1.5)
    ax.add_patch(box)
    return box, ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax, x0, y0, x1, y1, label=None, lx=0.0, ly=0.0):
    arrow = ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", lw=1.3))
    text = None
    if label:
        text = ax.text((x0 + x1) / 2 + lx, (y0 + y1) / 2 + ly, label, fontsize=8,
                       ha="center", va="center")
    return arrow, text


def _color_step(step, color, filled):
    """Give one step's nodes, arrows and labels the colour of its state."""
    for box, text in step["nodes"]:
        box.set_alpha(0.9 if filled else 1.0)
        box.set_edgecolor(color)
        box.set_facecolor(color if filled else "none")
        text.set_color("white" if filled else color)
    for arrow, text in step["arrows"]:
        arrow.arrow_patch.set_color(color)
        if text is not None:
            text.set_color(color)


def draw_unrolled_graph(ax, T: int, t: int, graph=None):
    """Draw h_0 → h_1 → … → h_T with inputs X_k below and losses L_k above.

    Steps k < t are drawn as computed (blue), step t is highlighted (orange),
    steps k > t are not yet computed (grey outline).  ``t`` runs over 0..T.
    Returns the drawn artists; pass them back as ``graph`` to recolour the same
    graph for another ``t`` (what a slider move does) instead of redrawing it.
    """
    if graph is None:
        ax.clear()
        ax.set_xlim(-0.7, T + 0.7)
        ax.set_ylim(-0.5, 2.55)
        ax.axis("off")
        steps = [{"nodes": [_node(ax, 0, 1, "$h_0$")], "arrows": []}]
        for k in range(1, T + 1):
            steps.append({
                "nodes": [_node(ax, k, 0, f"$X_{k}$"), _node(ax, k, 1, f"$h_{k}$"),
                          _node(ax, k, 2, f"$L_{k}$")],
                "arrows": [_arrow(ax, k, 0.2, k, 0.8, "$W_{xh}$" if k == 1 else None, lx=0.3),
                           _arrow(ax, k, 1.2, k, 1.8, "$W_{yh}$" if k == 1 else None, lx=0.3),
                           _arrow(ax, k - 0.68, 1, k - 0.32, 1, "$W_{hh}$" if k == 1 else None,
                                  ly=-0.3)]})
        label = ax.text(T + 0.6, 2.45, "", ha="right", va="top", fontsize=11, color=_GREY)
        graph = {"steps": steps, "label": label}
    _color_step(graph["steps"][0], _HI if t == 0 else _DONE, True)
    for k in range(1, T + 1):
        _color_step(graph["steps"][k], _HI if k == t else (_DONE if k < t else _GREY), k <= t)
    graph["label"].set_text(f"step t = {t}")
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
            fig = pyplot().figure(figsize=(10, 3.6))
        fig.clear()
        gs = fig.add_gridspec(1, 3, width_ratios=[3, 1, 1], wspace=0.4,
                              left=0.01, right=0.98, bottom=0.17, top=0.88)
        stored = keep(fig, key, graph=draw_unrolled_graph(fig.add_subplot(gs[0]), T, t))
        ax = fig.add_subplot(gs[1])
        stored["bars"] = ax.bar(np.arange(1, H + 1), cache.h[t, example], color=_HI)
        ax.axhline(0, color=_GREY, lw=0.8)
        lim = max(1.0, float(np.abs(cache.h[:, example]).max()) * 1.1)
        ax.set_ylim(-lim, lim)
        ax.set_xticks(np.arange(1, H + 1))
        ax.set_xlabel("unit a")
        stored["h_title"] = ax.set_title("", fontsize=11)
        ax = fig.add_subplot(gs[2])
        ax.plot(np.arange(T + 1), running, color=_GREY, lw=1, marker="o", ms=3)
        stored["line"], = ax.plot([], [], color=_HI, lw=2, marker="o", ms=4)
        ax.set_xlabel("t")
        ax.set_title(r"$\sum_{k\leq t} L_k$", fontsize=11)
        ax.set_xticks(np.arange(T + 1))
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
    fig, ax = pyplot().subplots(figsize=(6.5, 4), layout="constrained")
    ax.loglog(eps, np.maximum(errors, 1e-18), marker="o", ms=4, color=COLORS[0], label="observed error")
    ax.loglog(eps, scale * eps ** 2, ls="--", color=COLORS[1], label=r"truncation $\propto \epsilon^2$")
    ax.loglog(eps, u / eps, ls=":", color=COLORS[3], label=r"round-off $\propto u/\epsilon$")
    ax.axvline(1e-5, color=_GREY, lw=0.8)
    ax.text(1.3e-5, 1e-13, r"$\epsilon = 10^{-5}$", color=_GREY, fontsize=9)
    ax.set_ylim(1e-14, 1.0)
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel("|central difference − exact|")
    ax.legend(loc="upper center", fontsize=9)
    ax.grid(True, which="major")
    return fig
