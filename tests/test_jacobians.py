"""jacobian and jacobian_product against finite differences of the recurrence."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from problems import ACTIVATIONS, make_problem


def run_from(params, X, h_k, k, t, activation):
    """h_t obtained by running the recurrence from a given h_k (steps k+1..t)."""
    h = h_k
    for j in range(k + 1, t + 1):
        a = X[j - 1] @ params["W_xh"] + h @ params["W_hh"] + params["b_h"]
        h = rnnlib.phi(a, activation)
    return h


def fd_jacobian(params, cache, t, k, eps=1e-5):
    """Central differences of h_t[i, a] w.r.t. h_k[i, b], shape (m, H, H)."""
    m, H = cache.h[k].shape
    J = np.zeros((m, H, H))
    for b in range(H):
        hp, hm = cache.h[k].copy(), cache.h[k].copy()
        hp[:, b] += eps
        hm[:, b] -= eps
        diff = run_from(params, cache.X, hp, k, t, cache.activation) - \
            run_from(params, cache.X, hm, k, t, cache.activation)
        J[:, :, b] = diff / (2 * eps)
    return J


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_one_step_jacobian_matches_finite_differences(activation):
    params, X, Y, h0, _ = make_problem(T=4, m=3, H=4, activation=activation, with_h0=True, seed=7)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation)
    for t in range(1, 5):
        J = rnnlib.jacobian(params, cache, t)
        assert J.shape == (3, 4, 4)
        assert rnnlib.rel_error(J, fd_jacobian(params, cache, t, t - 1)) < 1e-7


def test_one_step_jacobian_needs_the_transpose():
    params, X, Y, h0, _ = make_problem(T=3, m=1, H=4, with_h0=True, seed=2)
    _, cache = rnnlib.forward(params, X, Y, h0=h0)
    J = rnnlib.jacobian(params, cache, 2)
    dphi = rnnlib.phi_prime_from_h(cache.h[2], "tanh")
    np.testing.assert_allclose(J[0], np.diag(dphi[0]) @ params["W_hh"].T, rtol=1e-14)
    wrong = np.diag(dphi[0]) @ params["W_hh"]        # without the transpose, as in Arat (2019)
    assert rnnlib.rel_error(wrong, fd_jacobian(params, cache, 2, 1)[0]) > 1e-2


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_jacobian_product_matches_finite_differences(activation):
    params, X, Y, h0, _ = make_problem(T=5, m=2, H=3, activation=activation, with_h0=True, seed=11)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation)
    for t in range(0, 6):
        for k in range(0, t + 1):
            P = rnnlib.jacobian_product(params, cache, t, k)
            assert P.shape == (2, 3, 3)
            if k == t:
                np.testing.assert_array_equal(P, np.broadcast_to(np.eye(3), (2, 3, 3)))
            else:
                assert rnnlib.rel_error(P, fd_jacobian(params, cache, t, k)) < 1e-7, (t, k)


def test_jacobian_product_is_the_product_of_one_step_jacobians():
    params, X, Y, _, _ = make_problem(T=6, m=2, H=4, seed=5)
    _, cache = rnnlib.forward(params, X, Y)
    P = rnnlib.jacobian_product(params, cache, 6, 2)
    manual = rnnlib.jacobian(params, cache, 6)
    for j in (5, 4, 3):
        manual = manual @ rnnlib.jacobian(params, cache, j)
    assert rnnlib.rel_error(P, manual) < 1e-14


@pytest.mark.parametrize("t,k", [(0, 0), (7, 1), (3, 4), (-1, 0), (2, -1), (1.0, 0)])
def test_bad_time_indices_raise(t, k):
    params, X, Y, _, _ = make_problem(T=6, m=2, H=4)
    _, cache = rnnlib.forward(params, X, Y)
    if (t, k) == (0, 0):
        rnnlib.jacobian_product(params, cache, 0, 0)         # valid: the identity
        with pytest.raises(ValueError, match=r"^t\b"):
            rnnlib.jacobian(params, cache, 0)                # J_t needs t >= 1
        return
    with pytest.raises(ValueError, match=r"^(t|k)\b"):
        rnnlib.jacobian_product(params, cache, t, k)


def test_one_step_jacobians_and_norms_from_against_the_single_functions():
    from rnnlib import jacobians

    params, X, Y, h0, _ = make_problem(T=5, m=2, seed=6, with_h0=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0)
    J = jacobians.one_step_jacobians(params, cache)
    assert J.shape == (5, 2, 4, 4)
    for t in range(1, 6):
        np.testing.assert_array_equal(J[t - 1], rnnlib.jacobian(params, cache, t))
    for k in (0, 2):
        norms = jacobians.jacobian_norms_from(params, cache, k, example=1)
        assert norms.shape == (6 - k,) and norms[0] == 1.0
        for t in range(k, 6):
            assert norms[t - k] == pytest.approx(np.linalg.norm(rnnlib.jacobian_product(params, cache, t, k)[1], 2),
                                                 rel=1e-12)
