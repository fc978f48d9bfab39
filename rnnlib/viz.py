"""Plotting conventions shared by every chapter.

* :func:`book_style` — figures readable on the light *and* dark site theme:
  transparent background, mid-grey text and axes, a colour-blind-safe cycle.
* :func:`jshtml_animation` — the kernel-free counterpart of a widget: a
  matplotlib animation rendered with ``to_jshtml`` (at most 30 frames at
  about 80 dpi, so that a page stays well under 3 MB).
"""
from __future__ import annotations

import hashlib
import html as _html
import re
from contextlib import contextmanager
from typing import Callable, Sequence

import matplotlib

__all__ = ["book_style", "jshtml_animation", "live", "WIDGETS", "MAX_FRAMES", "DPI", "COLORS"]

MAX_FRAMES = 30
DPI = 80
#: Okabe–Ito colours: distinguishable for colour-blind readers, visible on both themes.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
_NEUTRAL = "#808080"

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
