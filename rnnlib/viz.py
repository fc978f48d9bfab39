"""Plotting conventions shared by every chapter.

* :func:`book_style` — figures readable on the light *and* dark site theme:
  transparent background, mid-grey text and axes, a colour-blind-safe cycle.
* :func:`jshtml_animation` — the kernel-free counterpart of a widget: a
  matplotlib animation rendered with ``to_jshtml`` (at most 30 frames at
  about 80 dpi, so that a page stays well under 3 MB).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Sequence

import matplotlib

__all__ = ["book_style", "jshtml_animation", "MAX_FRAMES", "DPI", "COLORS"]

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
                     interval: int = 400, caption: str | None = None):
    """Render ``update(frame)`` for each frame as a self-contained HTML animation.

    Parameters
    ----------
    fig : the matplotlib figure that ``update`` redraws.
    update : called with each element of ``frames``; it mutates ``fig``.
    frames : at most :data:`MAX_FRAMES` values of the swept parameter.
    interval : milliseconds between frames when playing.
    caption : optional text shown above the player (name the swept parameter).

    Returns an ``IPython.display.HTML`` object; the figure is closed so that it
    is not displayed a second time as a static image.
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
    if caption:
        html = f'<p class="bptt-anim-caption"><strong>{caption}</strong></p>\n' + html
    return HTML(html)
