"""rnnlib.comparison: the numbers behind chapter 8's flow figure and chapter 7's initialisations."""
from __future__ import annotations

import numpy as np

from rnnlib import comparison, lstm
from rnnlib.problems import random_problem


def test_flow_curves_are_normalised_and_respond_to_the_forget_bias():
    closed = comparison.flow_curves(0.0, 1.0)
    opened = comparison.flow_curves(5.0, 1.0)
    for c in (closed, opened):
        assert c["k"].shape == (comparison.FLOW_T + 1,)
        for key in ("rnn_h", "lstm_h", "lstm_c"):
            assert c[key][-1] == 1.0 and np.all(np.isfinite(c[key]))
    # the vanilla curve does not depend on b_f; the LSTM's cell signal does, strongly
    np.testing.assert_array_equal(closed["rnn_h"], opened["rnn_h"])
    assert closed["lstm_c"][0] < 1e-10 < 1e-1 < opened["lstm_c"][0]
    assert abs(opened["f_mean"] - 0.99) < 0.01 and abs(closed["f_mean"] - 0.5) < 0.02
    # a larger vanilla gain slows the decay
    assert comparison.flow_curves(0.0, 1.5)["rnn_h"][0] > 1e3 * closed["rnn_h"][0]


def test_flow_curves_lstm_part_matches_bptt_h0():
    prob = random_problem(20, 1, comparison.FLOW_N_IN, comparison.FLOW_H, 1, seed=3, loss="mse",
                          mask="last")
    X, Y, mask = prob.X, prob.Y, prob.loss_mask
    p = lstm.init_params(comparison.FLOW_N_IN, comparison.FLOW_H, 1, seed=4, forget_bias=2.0)
    _, cache = lstm.forward(p, X, Y, loss="mse", loss_mask=mask)
    g = lstm.bptt(p, cache)
    c = comparison.flow_curves(2.0, 1.0, T=20, seed=3)
    sig = lstm.error_signals(p, cache)
    np.testing.assert_allclose(c["lstm_c"][0], np.linalg.norm(g["c0"]) / np.linalg.norm(sig["c"][20]),
                               rtol=1e-12)


def test_cell_derivative_curves_three_ways():
    rng = np.random.default_rng(1039)
    p = lstm.init_params(1, 1, 1, seed=39)
    X = rng.normal(size=(6, 1, 1))
    c = lstm.cell_derivative_curves(p, X)
    for key in ("exact", "one_step", "forget"):
        assert c[key].shape == (7,) and c[key][-1] == 1.0
    _, cache = lstm.forward(p, X, np.zeros((6, 1, 1)), loss="mse")
    assert c["exact"][2] == lstm.cell_state_derivative(p, cache, 6, 2)[0, 0, 0]
    assert c["one_step"][5] == c["exact"][5]                 # one step: the same
    assert abs(c["one_step"][1] - c["exact"][1]) > 1e-4       # several steps: not the same
    np.testing.assert_allclose(c["forget"][0], np.prod(cache.f[:, 0, 0]), rtol=1e-12)


def test_initialisation_norms_start_at_one_and_match_the_jacobian_products():
    data = comparison.initialisation_norms(H=8, T=12, seed=3)
    assert len(data) == 4
    for W, act, norms in data.values():
        assert norms.shape == (13,) and norms[0] == 1.0 and W.shape == (8, 8)
    W, act, norms = data["orthogonal, tanh"]
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 1.0, rtol=1e-12)
