"""rnnlib.plots.remedies: the figures of chapter 9 build and animate."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib.plots import remedies as pr  # noqa: E402
from rnnlib.problems import scaled_problem  # noqa: E402


def test_figures_build():
    params, cache = scaled_problem(6, scale=1.0, seed=0)
    g = rnnlib.bptt(params, cache)
    g.pop("h0")
    result = {"runs": [{"name": "x", "eval_steps": [0, 5], "test_mse": [0.2, 0.1],
                        "grad_norm": list(np.linspace(1, 2, 30))}],
              "baseline_mse": 1 / 6, "learned_threshold_mse": 1 / 60,
              "settings": {"T": 5, "clip_norm": 1.0}}
    for fig in (pr.clipping_figure(g, fractions=[0.01, 0.1, 1.0]),
                pr.truncation_bias_figure(scales=(1.0,), T=6), pr.draw_windows(1, 2, 1.0),
                pr.training_figure(result)):
        assert len(fig.axes) >= 1
        plt.close(fig)


def test_animation_frame_limit():
    html = pr.animation(chunks=[1, 2]).data
    assert "alt=" in html
    with pytest.raises(ValueError, match=r"^frames: expected"):
        pr.animation(chunks=list(range(1, 40)))
