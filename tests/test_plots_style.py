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
