"""Tests for rnnlib.signals: δ_t against finite differences of L with respect to h_t."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from problems import make_problem
from rnnlib import signals

CASES = [("tanh", "softmax_ce", False, False), ("sigmoid", "mse", True, False),
         ("tanh", "mse", True, True), ("linear", "softmax_ce", False, True)]


def _fd_delta(params, X, Y, h, t, **kw):
    """Central differences of L with respect to h_t (array index t of cache.h)."""
    h_t = h[t].copy()
    return rnnlib.numerical_gradient(
        lambda v: signals.loss_from_state(params, X, Y, t, v, **kw), h_t, eps=1e-5)


@pytest.mark.parametrize("activation, loss, with_h0, with_mask", CASES)
def test_error_signals_match_finite_differences(activation, loss, with_h0, with_mask):
    params, X, Y, h0, mask = make_problem(T=4, m=2, n_in=3, H=3, n_out=4, loss=loss,
                                          activation=activation, with_h0=with_h0,
                                          with_mask=with_mask, seed=5)
    kw = dict(activation=activation, loss=loss, loss_mask=mask)
    L, cache = rnnlib.forward(params, X, Y, h0=h0, **kw)
    delta = signals.error_signals(params, cache)
    assert delta.shape == (4, 2, 3)
    for t in range(1, 5):
        assert rnnlib.rel_error(delta[t - 1], _fd_delta(params, X, Y, cache.h, t, **kw)) < 1e-7, t
    # t = 0: the result is ∂L/∂h_0, which bptt also returns
    assert rnnlib.rel_error(rnnlib.bptt(params, cache)["h0"],
                            _fd_delta(params, X, Y, cache.h, 0, **kw)) < 1e-7


def test_loss_from_state_reproduces_the_tail_of_the_loss():
    params, X, Y, h0, mask = make_problem(T=5, m=3, loss="mse", with_h0=True, seed=2)
    L, cache = rnnlib.forward(params, X, Y, h0=h0, loss="mse")
    assert signals.loss_from_state(params, X, Y, 0, cache.h[0], loss="mse") == pytest.approx(L, rel=1e-14)
    # L = L_1 + (tail from step 2): the per-step losses add up
    per_step = [0.5 * np.sum((cache.o[t] - Y[t]) ** 2) / 3 for t in range(5)]
    for t in range(1, 6):
        tail = signals.loss_from_state(params, X, Y, t, cache.h[t], loss="mse")
        assert tail == pytest.approx(sum(per_step[t - 1:]), rel=1e-12)


def test_recursion_pieces():
    params, X, Y, h0, mask = make_problem(T=4, m=2, seed=9)
    L, cache = rnnlib.forward(params, X, Y)
    G = signals.output_errors(params, cache)
    delta = signals.error_signals(params, cache)
    back = signals.backflow(params, cache)
    np.testing.assert_allclose(G, cache.dO @ params["W_yh"].T, rtol=1e-13)
    np.testing.assert_array_equal(delta[-1], G[-1])
    assert np.all(back[-1] == 0) and np.abs(back[:-1]).max() > 1e-3
    for t in range(1, 4):   # δ_t = G_t + δ_{t+1} J_{t+1} with rnnlib's per-example Jacobian
        J = rnnlib.jacobian(params, cache, t + 1)
        np.testing.assert_allclose(delta[t - 1], G[t - 1] + np.einsum("ia,iab->ib", delta[t], J),
                                   rtol=1e-12, atol=1e-15)
    # the δ form of ∂L/∂W_hh is bptt's
    dphi = rnnlib.phi_prime_from_h(cache.h[1:], "tanh")
    dW = sum(cache.h[t - 1].T @ (delta[t - 1] * dphi[t - 1]) for t in range(1, 5))
    assert rnnlib.rel_error(dW, rnnlib.bptt(params, cache)["W_hh"]) < 1e-12


def test_output_layer_contributions_sum_to_the_gradient():
    params, X, Y, h0, mask = make_problem(T=3, m=4, seed=1, with_mask=True)
    L, cache = rnnlib.forward(params, X, Y, loss_mask=mask)
    C = signals.output_layer_contributions(params, cache)
    assert C.shape == (3, 4, 5)
    g = rnnlib.bptt(params, cache)["W_yh"]
    assert rnnlib.rel_error(C.sum(axis=0), g) < 1e-13
    np.testing.assert_allclose(C[1], cache.h[2].T @ cache.dO[1], rtol=1e-13)


def test_bad_input_names_the_argument():
    params, X, Y, h0, mask = make_problem(T=3, m=2, H=4, seed=0)
    L, cache = rnnlib.forward(params, X, Y)
    with pytest.raises(ValueError, match=r"^t: expected an integer in \[0, 3\], got 4"):
        signals.loss_from_state(params, X, Y, 4, cache.h[0])
    with pytest.raises(ValueError, match=r"^h_t: expected shape \(2, 4\)"):
        signals.loss_from_state(params, X, Y, 1, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"^h_t: expected finite"):
        signals.loss_from_state(params, X, Y, 1, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match=r"^Y: expected integer labels"):
        signals.loss_from_state(params, X, Y + 10, 3, cache.h[3])
    with pytest.raises(ValueError, match=r"^cache: expected"):
        signals.error_signals(params, "cache")
    with pytest.raises(ValueError, match=r"^W_hh: expected"):
        signals.output_errors({k: v for k, v in params.items() if k != "W_hh"}, cache)


def test_exercise_checkers_accept_right_and_reject_wrong(capsys):
    from rnnlib import exercises

    def right_output(p, c):
        T, m, H = c.h[1:].shape
        return {"W_yh": c.h[1:].reshape(T * m, H).T @ c.dO.reshape(T * m, -1),
                "b_y": c.dO.sum(axis=(0, 1))}

    def wrong_output(p, c):            # forgets the last step
        g = right_output(p, c)
        g["W_yh"] = g["W_yh"] - c.h[-1].T @ c.dO[-1]
        return g

    assert exercises.check_output_layer_grads(right_output)
    assert not exercises.check_output_layer_grads(wrong_output)

    def right_delta(p, c):
        return signals.error_signals(p, c)

    def no_transpose(p, c):            # J_t = diag(φ') W_hh without the transpose, as in Arat (2019)
        G = signals.output_errors(p, c)
        dphi = rnnlib.phi_prime_from_h(c.h[1:], c.activation)
        d = G.copy()
        for t in range(c.T - 1, 0, -1):
            d[t - 1] = G[t - 1] + (d[t] * dphi[t]) @ p["W_hh"]
        return d

    assert exercises.check_delta_recursion(right_delta)
    assert not exercises.check_delta_recursion(no_transpose)
    assert "not yet correct" in capsys.readouterr().out


def test_step_back_and_loss_errors_are_products_of_jacobians():
    """step_back(g, φ'(a_k), W_hh) = g J_k, and loss_errors row k = G_t ∂h_t/∂h_k (issue 16: direct)."""
    params, X, Y, h0, _ = make_problem(T=5, m=2, with_h0=True, seed=4)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation="sigmoid")
    g = np.random.default_rng(1).normal(size=(2, 4))
    dphi = rnnlib.phi_prime_from_h(cache.h[3], "sigmoid")
    np.testing.assert_allclose(signals.step_back(g, dphi, params["W_hh"]),
                               np.einsum("ia,iab->ib", g, rnnlib.jacobian(params, cache, 3)), rtol=1e-13)
    stacked = np.stack([g, 2 * g])                                   # (..., m, H) broadcasts
    assert signals.step_back(stacked, dphi, params["W_hh"]).shape == (2, 2, 4)
    t = 4
    errs = signals.loss_errors(params, cache, t)
    assert errs.shape == (t + 1, 2, 4)
    G_t = signals.output_errors(params, cache)[t - 1]
    for k in range(t + 1):
        np.testing.assert_allclose(errs[k], np.einsum("ia,iab->ib", G_t, rnnlib.jacobian_product(params, cache, t, k)),
                                   rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(signals.gradient_flow(params, cache, t), np.linalg.norm(errs, axis=(1, 2)), rtol=1e-14)
