"""Tests for rnnlib.plots_lstm: the numbers behind chapter 8's figures."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from rnnlib import lstm, plots_lstm  # noqa: E402


def test_flow_curves_are_normalised_and_respond_to_the_forget_bias():
    closed = plots_lstm.flow_curves(0.0, 1.0)
    opened = plots_lstm.flow_curves(5.0, 1.0)
    for c in (closed, opened):
        assert c["k"].shape == (plots_lstm.FLOW_T + 1,)
        for key in ("rnn_h", "lstm_h", "lstm_c"):
            assert c[key][-1] == 1.0 and np.all(np.isfinite(c[key]))
    # the vanilla curve does not depend on b_f; the LSTM's cell signal does, strongly
    np.testing.assert_array_equal(closed["rnn_h"], opened["rnn_h"])
    assert closed["lstm_c"][0] < 1e-10 < 1e-1 < opened["lstm_c"][0]
    assert abs(opened["f_mean"] - 0.99) < 0.01 and abs(closed["f_mean"] - 0.5) < 0.02
    # a larger vanilla gain slows the decay
    assert plots_lstm.flow_curves(0.0, 1.5)["rnn_h"][0] > 1e3 * closed["rnn_h"][0]


def test_flow_curves_lstm_part_matches_bptt_h0():
    X, Y, mask = plots_lstm.flow_problem(20, seed=3)
    p = lstm.init_params(plots_lstm.FLOW_N_IN, plots_lstm.FLOW_H, 1, seed=4, forget_bias=2.0)
    _, cache = lstm.forward(p, X, Y, loss="mse", loss_mask=mask)
    g = lstm.bptt(p, cache)
    c = plots_lstm.flow_curves(2.0, 1.0, T=20, seed=3)
    sig = lstm.error_signals(p, cache)
    np.testing.assert_allclose(c["lstm_c"][0], np.linalg.norm(g["c0"]) / np.linalg.norm(sig["c"][20]),
                               rtol=1e-12)


def test_cell_derivative_curves_three_ways():
    rng = np.random.default_rng(1039)
    p = lstm.init_params(1, 1, 1, seed=39)
    X = rng.normal(size=(6, 1, 1))
    c = plots_lstm.cell_derivative_curves(p, X)
    for key in ("exact", "one_step", "forget"):
        assert c[key].shape == (7,) and c[key][-1] == 1.0
    _, cache = lstm.forward(p, X, np.zeros((6, 1, 1)), loss="mse")
    assert c["exact"][2] == lstm.cell_state_derivative(p, cache, 6, 2)[0, 0, 0]
    assert c["one_step"][5] == c["exact"][5]                 # one step: the same
    assert abs(c["one_step"][1] - c["exact"][1]) > 1e-4       # several steps: not the same
    np.testing.assert_allclose(c["forget"][0], np.prod(cache.f[:, 0, 0]), rtol=1e-12)


def test_figures_and_animation_build():
    import matplotlib.pyplot as plt

    fig = plots_lstm.draw_flow(1.0, 1.2)
    assert len(fig.axes[0].lines) == 3
    plt.close(fig)
    html = plots_lstm.flow_animation(biases=[0.0, 4.0]).data
    assert "alt=" in html and "forget-gate bias" in html
