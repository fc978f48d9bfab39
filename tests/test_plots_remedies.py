"""rnnlib.plots_remedies: the figures of chapter 9 compute the right numbers."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib import plots_remedies as pr  # noqa: E402
from rnnlib.contributions import scaled_problem  # noqa: E402


def test_value_clipping_cosines_limits():
    g = {"a": np.array([3.0, -1.0, 0.5]), "b": np.array([[0.1]])}
    cos = pr.value_clipping_cosines(g, [1.0, 1e-6])
    assert cos[0] == pytest.approx(1.0, abs=1e-15)          # nothing clipped
    flat = np.array([3.0, -1.0, 0.5, 0.1])
    limit = np.abs(flat).sum() / (np.sqrt(4) * np.linalg.norm(flat))
    assert cos[1] == pytest.approx(limit, rel=1e-12)         # every entry clipped: sign(g)


def test_window_cosines_match_library_gradients():
    params, cache = scaled_problem(8, scale=1.5, seed=0)
    cos_tau, cos_chunk = pr.window_cosines(params, cache, 2, 8)
    full = rnnlib.bptt(params, cache)
    want = rnnlib.truncation_bias.grad_cosine(full, rnnlib.bptt(params, cache, truncate=2),
                                              ("W_xh", "W_hh", "b_h"))
    assert cos_tau == pytest.approx(want, abs=1e-13)
    assert cos_chunk == pytest.approx(1.0, abs=1e-13)          # one chunk: the full gradient


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
    html = pr.windows_animation(chunks=[1, 2]).data
    assert "alt=" in html
    with pytest.raises(ValueError, match=r"^frames: expected"):
        pr.windows_animation(chunks=list(range(1, 40)))
