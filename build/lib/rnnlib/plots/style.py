"""Plotting conventions and the redraw protocol shared by every chapter.

* :func:`book_style` — figures readable on the light *and* dark site theme:
  transparent background, mid-grey text and axes, a colour-blind-safe cycle.
* :func:`jshtml_animation` — the kernel-free counterpart of a widget: a
  matplotlib animation rendered with ``to_jshtml`` (at most 30 frames at
  about 80 dpi, so that a page stays well under 3 MB).
* :func:`live` — a live widget that keeps ONE figure and redraws it in place.
* The redraw protocol: a ``draw_*`` function builds its figure on the first call
  (``fig=None``), stores the artists it will update with :func:`keep`, and on
  later calls finds them again with :func:`parts` and updates only data, limits
  and texts.  :func:`new_figure` makes (or clears and reuses) a figure.
* Small helpers: :func:`table` (an HTML table for error reports),
  :func:`plain_log_ticks`, :func:`positive`.
"""
from __future__ import annotations

import hashlib
import html as _html
import re
from contextlib import contextmanager
from typing import Callable, Sequence

import matplotlib

__all__ = ["book_style", "jshtml_animation", "live", "WIDGETS", "MAX_FRAMES", "DPI", "COLORS", "GREY",
           "pyplot", "new_figure", "parts", "keep", "table", "plain_log_ticks", "positive",
           "log_heatmap_data", "log_heatmap", "activation_control", "sweep_animation"]

MAX_FRAMES = 30
DPI = 80
#: Okabe–Ito colours: distinguishable for colour-blind readers, visible on both themes.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
_NEUTRAL = "#808080"
#: Neutral grey for reference lines and text that must read on both themes.
GREY = _NEUTRAL

_RC = {
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": _NEUTRAL,
    "axes.labelcolor": _NEUTRAL,
    "axes.edgecolor": _NEUTRAL,
    "xtick.color": _NEUTRAL,
    "ytick.color": _NEUTRAL,
    "grid.color": _NEUTRAL,
    "grid.alpha": 0.3,
    "legend.framealpha": 0.0,
    "legend.labelcolor": _NEUTRAL,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 11,
    "animation.embed_limit": 8.0,  # MB; our animations stay far below
}


def book_style() -> None:
    """Apply the book's matplotlib style globally (call once per notebook)."""
    matplotlib.rcParams.update(_RC)


@contextmanager
def _styled():
    with matplotlib.rc_context(_RC):
        yield


def jshtml_animation(fig, update: Callable[[int], object], frames: Sequence, *,
                     alt: str, interval: int = 400, caption: str | None = None):
    """Render ``update(frame)`` for each frame as a self-contained HTML animation.

    Parameters
    ----------
    fig : the matplotlib figure that ``update`` redraws.
    update : called with each element of ``frames``; it mutates ``fig``.
    frames : at most :data:`MAX_FRAMES` values of the swept parameter.
    interval : milliseconds between frames when playing.
    alt : alternative text for the frame image (what the animation shows).
    caption : optional text shown above the player (name the swept parameter).

    Returns an ``IPython.display.HTML`` object; the figure is closed so that it
    is not displayed a second time as a static image.  The HTML is made
    self-contained and reproducible: matplotlib's link to a third-party icon
    stylesheet is dropped (the book's theme ships the icons), the frame image
    gets ``alt`` text, and the random element id is replaced by a hash of the
    content, so re-running a notebook does not change its stored output.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    frames = list(frames)
    if not 1 <= len(frames) <= MAX_FRAMES:
        raise ValueError(f"frames: expected between 1 and {MAX_FRAMES} frames, got {len(frames)}")
    fig.set_dpi(DPI)
    anim = FuncAnimation(fig, update, frames=frames, interval=interval, blit=False)
    html = anim.to_jshtml(fps=None, embed_frames=True, default_mode="once")
    plt.close(fig)
    html = _self_contained(html, alt)
    if caption:
        html = f'<p class="bptt-anim-caption"><strong>{caption}</strong></p>\n' + html
    return HTML(html)


def _self_contained(html: str, alt: str) -> str:
    """Drop third-party links, give the frame image alt text and the frame slider
    a label, and replace matplotlib's random element id by a hash of the content
    (computed with the random id blanked out, so equal frames give equal HTML)."""
    html = re.sub(r'<link rel="stylesheet"[^>]*https?://[^>]*>\s*', "", html)
    old_ids = set(re.findall(r"_anim_img([0-9a-f]{32})", html))
    blanked = html
    for old in old_ids:
        blanked = blanked.replace(old, "")
    digest = hashlib.sha256(blanked.encode()).hexdigest()[:32]
    for old in old_ids:
        html = html.replace(old, digest)
    html = html.replace('class="anim-slider"', 'class="anim-slider" aria-label="Animation frame"', 1)
    return html.replace("<img id=", f'<img alt="{_html.escape(alt, quote=True)}" id=', 1)


#: Every live widget of the book, by name: ``(draw, examples)`` where
#: ``draw(**values, fig=fig)`` redraws the widget's figure for one setting of the
#: controls, and ``examples`` is a list of such settings.  The latency benchmark
#: times these.
WIDGETS: dict = {}


def live(name: str, draw: Callable[..., object], controls: dict, examples: Sequence[dict] = ()):
    """A live widget: ``controls`` (name -> ipywidgets control) drive ``draw(**values, fig=fig)``.

    ``draw`` returns a matplotlib figure for the given values.  The widget keeps
    ONE figure: the first call creates it (``fig=None``), every slider move then
    passes it back as ``fig`` so that ``draw`` only updates what changed (bar
    heights, image data, titles…) instead of building a new figure.  The widget
    is registered in :data:`WIDGETS` so that its redraw latency can be
    benchmarked.  Returns an ``ipywidgets.VBox`` (controls above the figure).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    WIDGETS[name] = (draw, list(examples))
    state = {"fig": None}

    def show(**values):
        from IPython.display import display

        state["fig"] = fig = draw(**values, fig=state["fig"])
        plt.close(fig)        # not shown again by the inline backend; it stays usable
        display(fig)          # works under any backend (inline, Agg, …)

    out = widgets.interactive_output(show, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())), out])


# --------------------------------------------------------------------------- the redraw protocol
def pyplot():
    """matplotlib.pyplot, imported on first use."""
    import matplotlib.pyplot as plt

    return plt


def new_figure(fig=None, ncols: int = 1, figsize=(6.0, 3.2), width_ratios=None):
    """``(fig, axes)``: a new figure of ``figsize``, or ``fig`` cleared and reused, with 1 × ncols axes."""
    if fig is None:
        fig = pyplot().figure(figsize=figsize)
    else:
        fig.clear()
    axes = fig.subplots(1, ncols, gridspec_kw=None if width_ratios is None else {"width_ratios": width_ratios})
    return fig, axes


def parts(fig, key):
    """The artists that a ``draw_*`` function stored on ``fig`` under ``key`` (or None).

    A widget or an animation redraws by updating these in place (bar heights,
    image data, titles), which is much faster than building a new figure.
    """
    stored = getattr(fig, "_bptt_parts", None)
    return stored if stored is not None and stored.get("key") == key else None


def keep(fig, key, **artists) -> dict:
    """Store ``artists`` on ``fig`` under ``key`` for :func:`parts`; returns the stored dict."""
    fig._bptt_parts = {"key": key, **artists}
    return fig._bptt_parts


# --------------------------------------------------------------------------- small helpers
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


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_log_ticks(ax, numticks: int = 7):
    """Label a log y-axis as 10⁻¹² in plain Unicode: mathtext is re-parsed for
    every new figure and would dominate a widget's redraw time."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=numticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "10" + str(int(round(np.log10(v)))).translate(_SUP)))
    ax.yaxis.set_minor_locator(NullLocator())      # dozens of minor ticks cost more than the data


def positive(y):
    """Zeros (e.g. dead ReLU units) cannot be drawn on a log axis: show them as gaps."""
    import numpy as np

    y = np.asarray(y, dtype=float).copy()
    y[y <= 0] = np.nan
    return y


def log_heatmap_data(C):
    """log10 of a (T, T) contribution matrix, NaN (blank) where k > t or the term is 0,
    and its largest finite value."""
    import numpy as np

    T = C.shape[0]
    with np.errstate(divide="ignore"):
        logC = np.log10(C)
    logC = np.where(np.tril(np.ones((T, T), bool)) & np.isfinite(logC), logC, np.nan)
    finite = logC[np.isfinite(logC)]
    return logC, float(finite.max()) if finite.size else 0.0


def log_heatmap(ax, C, title):
    """log10 heat map of a (T, T) contribution matrix; the k > t half left blank."""
    T = C.shape[0]
    logC, vmax = log_heatmap_data(C)
    im = ax.imshow(logC, origin="upper", cmap="viridis", vmin=vmax - 8, vmax=vmax,
                   extent=(0.5, T + 0.5, T + 0.5, 0.5))
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("k (step of the immediate partial)")
    ax.set_ylabel("t (loss L_t)")
    ax.set_title(title, fontsize=10)
    return im


def activation_control(value: str = "tanh"):
    """The dropdown over φ that several chapters' widgets share (tanh, sigmoid, ReLU, linear)."""
    import ipywidgets as widgets

    return widgets.Dropdown(options=["tanh", "sigmoid", "relu", "linear"], value=value, description="φ")


def sweep_animation(draw: Callable, values, *, name: str, alt: str, caption: str, **fixed):
    """A :func:`jshtml_animation` of ``draw(**{name: v}, **fixed, fig=fig)`` for v in ``values``.

    The common case of a chapter's kernel-free counterpart: one control of the
    live widget swept over at most :data:`MAX_FRAMES` values, the others fixed.
    """
    values = [float(v) for v in values]
    fig = draw(**{name: values[0]}, **fixed)
    return jshtml_animation(fig, lambda v: draw(**{name: v}, **fixed, fig=fig), values,
                            alt=alt, caption=caption)
