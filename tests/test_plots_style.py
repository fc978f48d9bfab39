"""The kernel-free animation is self-contained, accessible and reproducible."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnnlib.plots import style as viz  # noqa: E402


def make(frames=(1, 2, 3), alt="a line that rises"):
    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 1])
    return viz.jshtml_animation(fig, lambda i: line.set_ydata([0, i]), frames, alt=alt,
                                caption="Swept parameter: i").data


def test_animation_is_self_contained_and_labelled():
    html = make()
    assert "http://" not in html and "https://" not in html
    assert 'alt="a line that rises"' in html
    assert 'aria-label="Animation frame"' in html
    assert "Swept parameter: i" in html


def test_animation_html_is_reproducible():
    assert make() == make()
    assert make() != make(frames=(1, 2))


def test_frame_limit():
    with pytest.raises(ValueError, match=r"^frames\b"):
        make(frames=range(viz.MAX_FRAMES + 1))


def test_animation_has_a_print_form_and_a_text_form():
    fig, ax = plt.subplots(figsize=(4, 3))
    (line,) = ax.plot([0, 1], [0, 1])
    anim = viz.jshtml_animation(fig, lambda i: line.set_ydata([0, i]), range(1, 8),
                                alt="a line that rises", caption="Swept parameter: i")
    png = anim._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"                      # a real PNG: what the PDF prints
    import matplotlib.image as mpimg
    import io
    image = mpimg.imread(io.BytesIO(png))
    # PRINT_FRAMES frames of the 4 x 3 in figure, one under the other, at PRINT_DPI
    assert image.shape[1] == 4 * viz.PRINT_DPI
    assert image.shape[0] > viz.PRINT_FRAMES * 3 * viz.PRINT_DPI
    assert "Swept parameter: i" in repr(anim) and "a line that rises" in repr(anim)
    assert "IPython" not in repr(anim)


def test_table_has_an_aligned_text_form():
    t = viz.table(["t", "error"], [[1, "1.0e-10"], [12, "3.5e-11"]])
    assert t._repr_html_().startswith('<table class="bptt-errors">')
    lines = repr(t).splitlines()
    assert lines[0].split() == ["t", "error"] and set(lines[1]) <= {"-", " "}
    assert len({len(line) for line in lines}) == 1                 # aligned columns
