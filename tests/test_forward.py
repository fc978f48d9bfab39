"""The forward pass: shapes, values, losses, masks and memory independence."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import rnnlib
from problems import make_problem


def test_init_params_contract():
    p = rnnlib.init_params(3, 5, 7, seed=0)
    assert set(p) == {"W_xh", "W_hh", "b_h", "W_yh", "b_y"}
    assert p["W_xh"].shape == (3, 5) and p["W_hh"].shape == (5, 5) and p["b_h"].shape == (5,)
    assert p["W_yh"].shape == (5, 7) and p["b_y"].shape == (7,)
    assert all(v.dtype == np.float64 for v in p.values())
    assert np.all(p["b_h"] == 0) and np.all(p["b_y"] == 0)
    np.testing.assert_array_equal(p["W_hh"], rnnlib.init_params(3, 5, 7, seed=0)["W_hh"])
    assert not np.array_equal(p["W_hh"], rnnlib.init_params(3, 5, 7, seed=1)["W_hh"])


def test_init_params_scale_is_one_over_fan_in():
    p = rnnlib.init_params(400, 300, 2, seed=0)
    assert abs(p["W_xh"].var() * 400 - 1) < 0.05
    assert abs(p["W_hh"].var() * 300 - 1) < 0.05


def test_forward_matches_an_explicit_loop():
    params, X, Y, h0, _ = make_problem(T=5, m=2, with_h0=True)
    L, cache = rnnlib.forward(params, X, Y, h0=h0)
    h = h0
    total = 0.0
    for t in range(5):
        h = np.tanh(X[t] @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
        np.testing.assert_allclose(cache.h[t + 1], h, rtol=1e-14)
        o = h @ params["W_yh"] + params["b_y"]
        p = np.exp(o) / np.exp(o).sum(1, keepdims=True)
        total += -np.log(p[np.arange(2), Y[t]]).mean()
    assert cache.h.shape == (6, 2, 4)
    np.testing.assert_array_equal(cache.h[0], h0)
    assert abs(L - total) < 1e-12


def test_mse_loss_value_and_mask():
    params, X, Y, _, _ = make_problem(T=3, m=2, loss="mse")
    mask = np.array([[0, 0], [0, 1], [1, 1]], dtype=float)
    L, cache = rnnlib.forward(params, X, Y, loss="mse", loss_mask=mask)
    manual = 0.5 * (mask[..., None] * (cache.o - Y) ** 2).sum() / 2
    assert abs(L - manual) < 1e-12


def test_masked_steps_accept_any_targets():
    params, X, Y, _, _ = make_problem(T=3, m=2, loss="mse")
    mask = np.zeros((3, 2))
    mask[-1] = 1
    Ynan = Y.copy()
    Ynan[:2] = np.nan
    L1, c1 = rnnlib.forward(params, X, Ynan, loss="mse", loss_mask=mask)
    L2, c2 = rnnlib.forward(params, X, Y, loss="mse", loss_mask=mask)
    assert np.isfinite(L1) and L1 == L2
    g = rnnlib.bptt(params, c1)
    assert all(np.all(np.isfinite(v)) for v in g.values())
    # softmax_ce: labels at masked steps may be anything, even out of range
    Yl = np.full((3, 2), 99)
    Yl[-1] = [0, 1]
    rnnlib.forward(params, X, Yl, loss="softmax_ce", loss_mask=mask)


def test_softmax_is_stable_for_huge_logits():
    o = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = rnnlib.softmax(o)
        lp = rnnlib.log_softmax(o)
    np.testing.assert_allclose(p[0], [1, 0, 0], atol=1e-300)
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    assert np.all(np.isfinite(lp[1])) and lp[0, 0] == 0.0


def test_forward_is_stable_for_huge_logits():
    params, X, Y, _, _ = make_problem(T=2, m=2)
    params["W_yh"] *= 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L, cache = rnnlib.forward(params, X, Y)
        g = rnnlib.bptt(params, cache)
    assert np.isfinite(L) and all(np.all(np.isfinite(v)) for v in g.values())


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_activations(activation):
    params, X, Y, _, _ = make_problem(T=2, m=2)
    _, cache = rnnlib.forward(params, X, Y, activation=activation)
    a = X[0] @ params["W_xh"] + params["b_h"]
    expected = {"tanh": np.tanh(a), "sigmoid": 1 / (1 + np.exp(-a)),
                "relu": np.maximum(a, 0), "linear": a}[activation]
    np.testing.assert_allclose(cache.h[1], expected, rtol=1e-14, atol=1e-15)


def test_two_calls_share_no_memory():
    params, X, Y, h0, _ = make_problem(T=4, m=2, with_h0=True)
    _, c1 = rnnlib.forward(params, X, Y, h0=h0)
    _, c2 = rnnlib.forward(params, X, Y, h0=h0)
    for name in ("X", "h", "o", "dO"):
        assert not np.shares_memory(getattr(c1, name), getattr(c2, name)), name
    assert not np.shares_memory(c1.X, X) and not np.shares_memory(c1.h, h0)
    g1, g2 = rnnlib.bptt(params, c1), rnnlib.bptt(params, c2)
    for key in g1:
        assert not np.shares_memory(g1[key], g2[key])
        assert not np.shares_memory(g1[key], params.get(key, np.zeros(1)))
    X[...] = 0                                    # mutating the input leaves the cache intact
    assert np.any(c1.X != 0)


# --------------------------------------------------------------------------- issue 16: direct tests
def test_init_params_scale_of_the_output_weights_is_one_over_H():
    """W_yh ~ N(0, 1/H): its fan-in is H (not n_out, not n_in)."""
    p = rnnlib.init_params(500, 300, 200, seed=2)
    assert abs(p["W_yh"].var() * 300 - 1) < 0.05
    assert abs(p["W_xh"].var() * 500 - 1) < 0.05 and abs(p["W_hh"].var() * 300 - 1) < 0.05


def test_per_step_losses_add_up_to_the_loss():
    from rnnlib.rnn import per_step_losses

    for loss in ("softmax_ce", "mse"):
        params, X, Y, h0, _ = make_problem(T=5, m=3, loss=loss, with_h0=True)
        L, cache = rnnlib.forward(params, X, Y, h0=h0, loss=loss)
        per = per_step_losses(params, X, Y, h0=h0, loss=loss)
        assert per.shape == (5,) and np.all(per > 0)
        assert per.sum() == pytest.approx(L, rel=1e-13)
        for t in range(5):                                            # L_t by hand from the cache
            o = cache.o[t]
            if loss == "mse":
                expected = 0.5 * np.sum((o - Y[t]) ** 2) / 3
            else:
                expected = -np.mean(rnnlib.log_softmax(o)[np.arange(3), Y[t]])
            assert per[t] == pytest.approx(expected, rel=1e-13)
    with pytest.raises(ValueError, match=r"^loss_mask\b"):
        per_step_losses(params, X, Y, loss_mask=np.ones((5, 3)))


def test_output_layer_preactivations_and_logit_errors():
    from rnnlib.rnn import logit_errors, output_layer, preactivations

    params, X, Y, h0, mask = make_problem(T=4, m=2, with_h0=True, with_mask=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, loss_mask=mask, activation="sigmoid")
    _, lean = rnnlib.forward(params, X, Y, h0=h0, loss_mask=mask, activation="sigmoid", lean=True)
    o = output_layer(params, cache.h[1:])
    np.testing.assert_allclose(o, cache.h[1:] @ params["W_yh"] + params["b_y"], rtol=1e-14)
    out = np.empty_like(o)
    assert output_layer(params, cache.h[1:], out=out) is out and np.array_equal(out, o)
    a = preactivations(params, cache)
    np.testing.assert_allclose(a, X @ params["W_xh"] + cache.h[:-1] @ params["W_hh"] + params["b_h"], rtol=1e-14)
    np.testing.assert_allclose(rnnlib.phi(a, "sigmoid"), cache.h[1:], rtol=1e-13)
    np.testing.assert_array_equal(logit_errors(params, cache), cache.dO)
    np.testing.assert_allclose(logit_errors(params, lean), cache.dO, rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(logit_errors(params, lean, 1, 3), cache.dO[1:3], rtol=1e-14, atol=1e-17)
    # ∂L/∂o_t = mask · (softmax(o_t) − onehot(y_t)) / m, by hand
    onehot = np.eye(params["b_y"].size)[Y]
    np.testing.assert_allclose(cache.dO, mask[..., None] * (rnnlib.softmax(cache.o) - onehot) / 2, atol=1e-16)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_phi_prime_from_h_is_the_derivative(activation):
    a = np.linspace(-3, 3, 41) + 0.013                     # no point on ReLU's kink
    h = rnnlib.phi(a, activation)
    numeric = (rnnlib.phi(a + 1e-6, activation) - rnnlib.phi(a - 1e-6, activation)) / 2e-6
    np.testing.assert_allclose(rnnlib.phi_prime_from_h(h, activation), numeric, rtol=1e-8, atol=1e-9)
    out = np.empty_like(h)
    assert rnnlib.phi_prime_from_h(h, activation, out=out) is out
    assert np.max(np.abs(numeric)) <= rnnlib.GAMMA[activation] + 1e-9


def test_loss_and_dlogits_by_hand():
    from rnnlib.losses import loss_and_dlogits

    o = np.array([[[1.0, 2.0, 0.5]], [[0.0, 0.0, 0.0]]])            # (T=2, m=1, n_out=3)
    w = np.array([[0.5], [2.0]])
    L, dO = loss_and_dlogits(o, np.array([[1], [2]]), "softmax_ce", w)
    ls = rnnlib.log_softmax(o)
    assert L == pytest.approx(-(0.5 * ls[0, 0, 1] + 2.0 * ls[1, 0, 2]), rel=1e-15)
    np.testing.assert_allclose(dO[0, 0], 0.5 * (np.exp(ls[0, 0]) - [0, 1, 0]), rtol=1e-15)
    np.testing.assert_allclose(dO[1, 0], 2.0 * (np.full(3, 1 / 3) - [0, 0, 1]), rtol=1e-15)
    Yt = np.array([[[0.0, 1.0, 1.0]], [[np.nan, np.nan, np.nan]]])   # the second step is masked
    L, dO = loss_and_dlogits(o, Yt, "mse", np.array([[0.5], [0.0]]))
    assert L == pytest.approx(0.5 * 0.5 * (1 + 1 + 0.25), rel=1e-15)
    np.testing.assert_array_equal(dO[1], 0.0)
    np.testing.assert_allclose(dO[0, 0], 0.5 * np.array([1.0, 1.0, -0.5]), rtol=1e-15)
