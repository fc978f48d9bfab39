"""The figures of chapter 10 (rnnlib.plots.gru)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from rnnlib import comparison, gru  # noqa: E402
from rnnlib.plots import gru as plots_gru  # noqa: E402
from rnnlib.plots import style  # noqa: E402


def test_flow_figure_shows_the_four_curves_of_the_comparison():
    import matplotlib.pyplot as plt

    fig = plots_gru.draw_flow(2.0, -1.0, 1.0)
    lines = fig.axes[0].lines
    assert len(lines) == 4
    curves = comparison.gated_flow_curves(2.0, -1.0, 1.0)
    for line, key in zip(lines, ("rnn_h", "lstm_c", "gru_h", "gru_shortcut")):
        np.testing.assert_array_equal(line.get_ydata(), curves[key])
    assert "b_z = 2" in fig.axes[0].get_title()
    again = plots_gru.draw_flow(4.0, 0.0, 0.0, fig=fig)
    assert again is fig and "b_z = 4" in fig.axes[0].get_title()
    np.testing.assert_array_equal(fig.axes[0].lines[2].get_ydata(),
                                  comparison.gated_flow_curves(4.0)["gru_h"])
    plt.close(fig)


def test_animation_names_the_swept_parameter_and_stays_small():
    html = plots_gru.animation(biases=[0.0, 3.0]).data
    assert "alt=" in html and "update-gate bias b_z" in html
    assert len(html) < 3 * 1024 * 1024


def test_shortcut_study_figure_builds():
    import matplotlib.pyplot as plt

    study = gru.shortcut_study((0.0, 4.0), n_cells=12, T=5, H=3, n_in=2)
    fig = plots_gru.draw_shortcut_study(study)
    assert len(fig.axes) == 2
    assert len(fig.axes[1].collections) == 2               # the two scatter clouds
    plt.close(fig)


def test_widget_is_live_with_a_slider_first():
    import ipywidgets as widgets

    box = plots_gru.widget()
    controls = box.children[0].children
    assert isinstance(controls[0], widgets.FloatSlider) and controls[0].description == "GRU b_z"
    assert all(c.readout for c in controls)
    assert "ch10_gradient_flow" in style.WIDGETS
