"""The figures of chapter 8 (rnnlib.plots.lstm)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from rnnlib.plots import lstm as plots_lstm  # noqa: E402


def test_figures_and_animation_build():
    import matplotlib.pyplot as plt

    fig = plots_lstm.draw_flow(1.0, 1.2)
    assert len(fig.axes[0].lines) == 3
    plt.close(fig)
    html = plots_lstm.animation(biases=[0.0, 4.0]).data
    assert "alt=" in html and "forget-gate bias" in html
