"""The figures of chapters 4 and 5 (rnnlib.plots.recurrent_weights, rnnlib.plots.input_weights)."""
from __future__ import annotations

from rnnlib.plots import input_weights, recurrent_weights


def test_draw_functions_return_figures():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = recurrent_weights.draw_contributions(scale=1.2, activation="sigmoid", truncate=2, h0_scale=0.5)
    assert len(fig.axes) == 3                                 # heat map, colour bar, per-lag plot
    plt.close(fig)
    fig = input_weights.draw_step_contributions(scale=0.5, activation="tanh")
    assert len(fig.axes[0].patches) == 12
    heights = [b.get_height() for b in fig.axes[0].patches]
    assert min(heights) >= 0
    plt.close(fig)
