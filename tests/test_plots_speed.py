"""A widget redraw (``rnnlib.plots.style.live``) keeps the figure on an Agg canvas of its
own and shows a PNG of one ``savefig`` at the figure's own size (issue 14).

No timings here: the latency itself is measured by ``make bench``.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from rnnlib.plots import output_layer, style  # noqa: E402


def test_a_widget_redraw_is_a_png_of_the_figure_size():
    fig = output_layer.draw_output_layer(2)
    plt.close(fig)
    FigureCanvasAgg(fig)
    image = style.figure_png(fig)
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = (int.from_bytes(image.data[16 + 4 * i:20 + 4 * i], "big") for i in range(2))
    assert (width, height) == tuple(round(x) for x in fig.get_size_inches() * fig.dpi)


def test_live_draws_on_a_canvas_of_its_own(monkeypatch):
    """Each move shows a PNG; the widget's figure is not left open in pyplot (the
    inline backend would show it again) and draws on an Agg canvas of its own."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    drawn = []
    monkeypatch.setattr(style, "figure_png", lambda fig: drawn.append(fig) or style.Rich("", "", b"\x89PNG"))
    open_before = set(plt.get_fignums())
    box = output_layer.widget()
    slider = box.children[0].children[0]
    slider.value = 3                                  # two moves
    slider.value = 4
    assert len(drawn) >= 2 and all(f is drawn[0] for f in drawn)     # one figure, redrawn
    assert isinstance(drawn[0].canvas, FigureCanvasAgg)
    assert set(plt.get_fignums()) <= open_before
