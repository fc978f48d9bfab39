"""Plotting conventions and the redraw protocol shared by every chapter.

* :func:`book_style` — figures readable on the light *and* dark site theme: an
  opaque white background, dark text of at least :data:`MIN_TEXT_PT` points
  (14.4 px), grey axes and a colour-blind-safe cycle; :func:`text_problems` checks
  a figure against these rules.
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
           "TEXT", "BACKGROUND", "MIN_TEXT_PT", "MAX_WIDTH_IN", "COLOR_NAMES", "BLUE", "ORANGE", "GREEN",
           "VERMILION", "PURPLE", "SKY_BLUE", "YELLOW", "contrast_ratio", "text_problems", "Rich",
           "PRINT_DPI", "PRINT_FRAMES", "pyplot",
           "new_figure", "parts", "keep", "table", "plain_log_ticks", "positive",
           "log_heatmap_data", "log_heatmap", "activation_control", "sweep_animation", "figure_png"]

MAX_FRAMES = 30
DPI = 80
#: Okabe–Ito colours: distinguishable for colour-blind readers.  Captions name them
#: as in :data:`COLOR_NAMES` (blue, orange, green, vermilion, purple, sky blue, yellow).
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY_BLUE, YELLOW = COLORS
#: The name a caption uses for each colour of :data:`COLORS`.
COLOR_NAMES = dict(zip(COLORS, ["blue", "orange", "green", "vermilion", "purple", "sky blue", "yellow"]))
_NEUTRAL = "#808080"
#: Neutral grey for reference lines, axes and grids (graphics, not text).
GREY = _NEUTRAL
#: The colour of all text in figures: 12.6:1 against the white figure background
#: (WCAG AA asks 4.5:1), and about 13:1 on the site's dark theme, which shows figures
#: on a light panel dimmed by ``filter: brightness(0.8) contrast(1.2)``.
TEXT = "#333333"
#: Figures are opaque white, so that their text keeps its contrast on the light and the
#: dark site theme and in JupyterLab's dark theme alike.
BACKGROUND = "#ffffff"
#: The smallest text in a figure, in points: 13 pt at :data:`DPI` is 14.4 px, the
#: size of the site's small text (its navigation, 0.9rem), when the figure is shown at
#: its natural size.
MIN_TEXT_PT = 13.0
#: The widest figure, in inches: 680 px at :data:`DPI` fits the 684 px text column of a
#: 1280 px window, so a figure is never scaled down (and its text never shrinks) there.
MAX_WIDTH_IN = 8.5

_RC = {
    "figure.facecolor": BACKGROUND,
    "axes.facecolor": BACKGROUND,
    "savefig.facecolor": BACKGROUND,
    "savefig.transparent": False,
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "axes.edgecolor": _NEUTRAL,
    "xtick.color": _NEUTRAL,
    "ytick.color": _NEUTRAL,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "grid.color": _NEUTRAL,
    "grid.alpha": 0.3,
    "legend.framealpha": 0.0,
    "legend.labelcolor": TEXT,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": MIN_TEXT_PT,         # 14.4 px at 80 dpi; every other size is relative to it
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "xtick.labelsize": "medium",
    "ytick.labelsize": "medium",
    "legend.fontsize": "medium",
    "figure.titlesize": "medium",
    "legend.handlelength": 1.6,
    "legend.borderaxespad": 0.3,
    "animation.embed_limit": 8.0,  # MB; our animations stay far below
}


def book_style() -> None:
    """Apply the book's matplotlib style globally (call once per notebook)."""
    matplotlib.rcParams.update(_RC)


@contextmanager
def _styled():
    with matplotlib.rc_context(_RC):
        yield


#: Resolution of the print (PDF) form of an animation: its frames are drawn at this dpi.
PRINT_DPI = 100
#: How many frames the print form shows (evenly spread, first and last included), one
#: under the other so that their text prints at a readable size.
PRINT_FRAMES = 3


class Rich:
    """A display object with a form for every reader.

    IPython stores every form it has in the notebook (``text/html``, ``image/png``,
    ``text/plain``); each builder shows the one its MIME priority prefers
    (``nb_mime_priority_overrides`` in ``_config.yml``): the website the HTML, the
    PDF the image or the text.  ``.data`` is the HTML, as for ``IPython.display.HTML``.
    """

    def __init__(self, html: str, text: str, png: bytes | None = None):
        self.data, self.text, self.png = html, text, png

    def _repr_html_(self):
        return self.data

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return self.text


def _frame_label(frame) -> str:
    return f"{frame:g}" if isinstance(frame, (int, float)) else str(frame)


def _print_form(fig, update, frames) -> bytes:
    """PNG of a few frames side by side: the small-multiples form of an animation, for print.

    The frames are drawn into ``fig`` at :data:`PRINT_DPI` and stacked one under the
    other, each labelled with its position and its value of the swept parameter.
    """
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    n = len(frames)
    picks = sorted({round(i * (n - 1) / (PRINT_FRAMES - 1)) for i in range(PRINT_FRAMES)}) if n > 1 else [0]
    fig.set_dpi(PRINT_DPI)
    images = []
    for i in picks:
        update(frames[i])
        fig.canvas.draw()
        images.append(np.asarray(fig.canvas.buffer_rgba()).copy())
    fig.set_dpi(DPI)
    h, w = images[0].shape[:2]
    cols, rows = 1, len(images)
    label_in = 0.35                                        # room above each panel for its label
    panel_w, panel_h = w / PRINT_DPI, h / PRINT_DPI
    sheet = plt.figure(figsize=(cols * panel_w, rows * (panel_h + label_in)), facecolor=BACKGROUND)
    for k, (i, image) in enumerate(zip(picks, images)):
        r, c = divmod(k, cols)
        ax = sheet.add_axes([c / cols, 1 - (r + 1) / rows, 1 / cols, panel_h / (panel_h + label_in) / rows])
        ax.imshow(image, interpolation="none")
        ax.set_axis_off()
        sheet.text((c + 0.5) / cols, 1 - r / rows - 0.01, f"frame {i + 1} of {n}: {_frame_label(frames[i])}",
                   ha="center", va="top", fontsize=MIN_TEXT_PT, color=TEXT)
    buf = io.BytesIO()
    sheet.savefig(buf, format="png", dpi=PRINT_DPI, facecolor=BACKGROUND)
    plt.close(sheet)
    return buf.getvalue()


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

    Returns a :class:`Rich` display object with three forms: the animation as
    HTML (the website and the notebooks), :data:`PRINT_FRAMES` of its frames side
    by side as a PNG (the PDF), and the caption and alt text as plain text.  The
    figure is closed so that it is not displayed a second time as a static image.
    The HTML is made self-contained and reproducible: matplotlib's link to a
    third-party icon stylesheet is dropped (the book's theme ships the icons), the
    frame image gets ``alt`` text, and the random element id is replaced by a hash
    of the content, so re-running a notebook does not change its stored output.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    frames = list(frames)
    if not 1 <= len(frames) <= MAX_FRAMES:
        raise ValueError(f"frames: expected between 1 and {MAX_FRAMES} frames, got {len(frames)}")
    png = _print_form(fig, update, frames)
    fig.set_dpi(DPI)
    anim = FuncAnimation(fig, update, frames=frames, interval=interval, blit=False)
    html = anim.to_jshtml(fps=None, embed_frames=True, default_mode="once")
    plt.close(fig)
    html = _self_contained(html, alt)
    if caption:
        html = f'<p class="bptt-anim-caption"><strong>{caption}</strong></p>\n' + html
    text = (f"{caption}\n" if caption else "") + f"Animation ({len(frames)} frames): {alt}"
    return Rich(html, text, png)


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

    for key, control in controls.items():
        if getattr(control, "value", None) is None or getattr(control, "index", 0) is None:
            raise ValueError(f"controls: expected every control to show an initial value, "
                             f"got {key!r} with value None (a dropdown shows None as a blank)")
    WIDGETS[name] = (draw, list(examples))
    state = {"fig": None}

    def show(**values):
        from IPython.display import display
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        state["fig"] = fig = draw(**values, fig=state["fig"])
        if not isinstance(fig.canvas, FigureCanvasAgg) or plt.fignum_exists(fig.number):
            # Not shown again by the inline backend, and drawn on a canvas of its own:
            # plt.close leaves a bare canvas, on which every savefig would make a new
            # renderer and parse every mathtext label again.
            plt.close(fig)
            FigureCanvasAgg(fig)
        display(figure_png(fig))

    out = widgets.interactive_output(show, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())), out])


def figure_png(fig):
    """``fig`` as a PNG display object (an ``IPython.display.Image``), for a widget redraw.

    What the inline backend does when it displays a figure, minus its most
    expensive part: it saves with ``bbox_inches="tight"``, which draws the
    figure twice (once to measure, once to save) and crops it.  A widget's
    figure has fixed margins and its full size, so one ``savefig`` at the
    figure's own dpi (:data:`DPI`, the display's resolution) is enough, with the
    fastest zlib level (a PNG a few per cent larger, encoded in a fraction of
    the time).  It goes through ``savefig`` like any saved figure, so whatever
    checks a saved figure (the JupyterLab stage's audit of text size and
    contrast) checks every redraw too.
    """
    import io

    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, pil_kwargs={"compress_level": 1})
    return Image(data=buf.getvalue(), format="png")


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
    """A small table for a notebook's error report: a :class:`Rich` object.

    ``header`` is a list of column titles and ``rows`` a list of lists of cells
    (strings or numbers, shown with ``str``).  The website shows it as HTML
    (rather than Markdown, because the site renders notebook Markdown outputs as
    CommonMark, which has no tables); the PDF prints its plain-text form, the
    same cells in aligned columns.
    """
    import html

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return Rich(f'<table class="bptt-errors"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
                "\n".join(lines))


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
    ax.set_xlabel("$k$ (step of the immediate partial)")
    ax.set_ylabel("$t$ (loss $L_t$)")
    ax.set_title(title)
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


# --------------------------------------------------------------------------- checking figures
def _luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour given as three floats in [0, 1]."""
    def channel(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground, background) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two opaque matplotlib colours."""
    from matplotlib.colors import to_rgb

    hi, lo = sorted((_luminance(to_rgb(foreground)), _luminance(to_rgb(background))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _behind(text, fig):
    """The colour behind ``text``: its bbox patch, else its axes' face, else the figure's."""
    from matplotlib.colors import to_rgba

    patch = text.get_bbox_patch()
    if patch is not None and to_rgba(patch.get_facecolor())[3] > 0.5:
        return patch.get_facecolor()
    ax = getattr(text, "axes", None)
    if ax is not None and to_rgba(ax.get_facecolor())[3] > 0.5:
        return ax.get_facecolor()
    face = fig.get_facecolor()
    return face if to_rgba(face)[3] > 0.5 else BACKGROUND


def text_problems(fig, *, min_pt: float = MIN_TEXT_PT, min_contrast: float = 4.5) -> list[dict]:
    """Every visible text of ``fig`` that is smaller than ``min_pt`` points or has less
    than ``min_contrast`` : 1 contrast against what is behind it (its bbox, its axes or
    the figure); ``[]`` when the figure follows the book's rules.

    Each problem is a dict with ``text``, ``size`` (points), ``px`` (pixels at the
    figure's dpi), ``color``, ``background`` and ``contrast``.  Text drawn over an
    image (a heat map) has no single background; give it a bbox.
    """
    from matplotlib.colors import to_hex
    from matplotlib.text import Text

    fig.canvas.draw()                 # tick labels exist only once the figure is drawn
    out = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        if not all(a.get_visible() for a in _ancestors(text)):
            continue
        size = float(text.get_fontsize())
        bg = _behind(text, fig)
        ratio = contrast_ratio(text.get_color(), bg)
        if size < min_pt - 1e-9 or ratio < min_contrast:
            out.append({"text": text.get_text(), "size": size, "px": size * fig.dpi / 72,
                        "color": to_hex(text.get_color()), "background": to_hex(bg),
                        "contrast": round(ratio, 2)})
    return out


def _ancestors(artist):
    """The tick, axis and legend that hold a text (their visibility hides it)."""
    found, fig = [], artist.get_figure()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if artist in (tick.label1, tick.label2):
                    found += [tick, axis]
                    lo, hi = sorted(axis.get_view_interval())
                    if not lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                        found.append(_HIDDEN)
        legend = ax.get_legend()
        if legend is not None and artist in legend.get_texts():
            found.append(legend)
    return found


class _Hidden:
    @staticmethod
    def get_visible():
        return False


_HIDDEN = _Hidden()
