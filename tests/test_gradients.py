"""Gradient checks: bptt against central differences, and the three exact methods
against each other (GUIDE §4: rel_error < 1e-7 with eps = 1e-5; agreement < 1e-10)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnlib
from problems import ACTIVATIONS, LOSSES, make_problem

GRAD_TOL = 1e-7
EXACT_TOL = 1e-10
KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")


def numeric_grads(params, X, Y, h0, mask, activation, loss):
    params = {k: v.copy() for k, v in params.items()}
    h0 = None if h0 is None else h0.copy()

    def L(_):
        return rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss=loss,
                              loss_mask=mask)[0]

    out = {k: rnnlib.numerical_gradient(L, params[k], eps=1e-5) for k in params}
    if h0 is not None:
        out["h0"] = rnnlib.numerical_gradient(L, h0, eps=1e-5)
    return out


CASES = [
    (act, loss, with_h0, with_mask, T, m)
    for act, loss in itertools.product(ACTIVATIONS, LOSSES)
    for with_h0, with_mask, T, m in [(False, False, 4, 3), (True, False, 4, 3),
                                     (True, True, 5, 2), (False, False, 1, 1), (True, False, 3, 1)]
]


@pytest.mark.parametrize("activation,loss,with_h0,with_mask,T,m", CASES)
def test_bptt_matches_central_differences(activation, loss, with_h0, with_mask, T, m):
    params, X, Y, h0, mask = make_problem(T=T, m=m, loss=loss, activation=activation,
                                          with_h0=with_h0, with_mask=with_mask, seed=T * 10 + m)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss=loss, loss_mask=mask)
    grads = rnnlib.bptt(params, cache)
    num = numeric_grads(params, X, Y, h0, mask, activation, loss)
    for key in num:
        assert grads[key].shape == num[key].shape
        err = rnnlib.rel_error(grads[key], num[key])
        assert err < GRAD_TOL, (key, err)
    if h0 is None:
        # h0 = 0 was used; its gradient still exists and has shape (m, H).
        assert grads["h0"].shape == (m, params["W_hh"].shape[0])


def test_h0_gradient_with_omitted_h0_equals_gradient_at_zero():
    params, X, Y, _, _ = make_problem(T=4, m=2)
    _, c1 = rnnlib.forward(params, X, Y)
    _, c2 = rnnlib.forward(params, X, Y, h0=np.zeros((2, 4)))
    g1, g2 = rnnlib.bptt(params, c1), rnnlib.bptt(params, c2)
    for key in KEYS:
        np.testing.assert_array_equal(g1[key], g2[key])
    assert not np.allclose(g1["h0"], 0)        # h0 = 0 does not make its gradient vanish


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(T=st.integers(1, 6), m=st.integers(1, 3), n_in=st.integers(1, 3), H=st.integers(1, 4),
       n_out=st.integers(1, 4), activation=st.sampled_from(ACTIVATIONS),
       loss=st.sampled_from(LOSSES), with_h0=st.booleans(), with_mask=st.booleans(),
       seed=st.integers(0, 10_000))
def test_three_methods_agree(T, m, n_in, H, n_out, activation, loss, with_h0, with_mask, seed):
    params, X, Y, h0, mask = make_problem(T=T, m=m, n_in=n_in, H=H, n_out=n_out, loss=loss,
                                          activation="tanh", seed=seed, with_h0=with_h0,
                                          with_mask=with_mask)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss=loss, loss_mask=mask)
    a = rnnlib.bptt(params, cache)
    b = rnnlib.bptt_sum_of_products(params, cache)
    c = rnnlib.rtrl(params, cache)
    for key in KEYS:
        assert a[key].shape == b[key].shape == c[key].shape
        assert rnnlib.rel_error(a[key], b[key]) < EXACT_TOL, key
        assert rnnlib.rel_error(a[key], c[key]) < EXACT_TOL, key


def test_gradient_keys_and_shapes():
    params, X, Y, _, _ = make_problem(T=3, m=2, n_in=3, H=4, n_out=5)
    _, cache = rnnlib.forward(params, X, Y)
    for method in (rnnlib.bptt, rnnlib.bptt_sum_of_products, rnnlib.rtrl):
        g = method(params, cache)
        assert set(g) == set(KEYS)
        for key in params:
            assert g[key].shape == params[key].shape
            assert g[key].dtype == np.float64
        assert g["h0"].shape == (2, 4)


def test_check_gradients_helper_reports_every_key():
    params, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    errs = rnnlib.check_gradients(params, X, Y, h0=h0)
    assert set(errs) == set(KEYS)
    assert max(errs.values()) < GRAD_TOL


def test_a_wrong_gradient_is_caught():
    """The check can fail: a gradient with the transpose dropped is rejected."""
    params, X, Y, _, _ = make_problem(T=4, m=2)

    def wrong(p, cache):
        g = rnnlib.bptt(p, cache)
        g["W_hh"] = g["W_hh"].T
        return g

    errs = rnnlib.check_gradients(params, X, Y, grad_fn=wrong)
    assert errs["W_hh"] > 1e-3
    assert errs["W_xh"] < GRAD_TOL


def test_output_grads_and_param_grads_are_the_explicit_sums():
    from rnnlib.bptt import output_grads, param_grads
    from rnnlib.validation import check_params

    params, X, Y, h0, mask = make_problem(T=4, m=3, with_h0=True, with_mask=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, loss_mask=mask)
    p = check_params(params)
    dW_yh, db_y, G = output_grads(p, cache)
    np.testing.assert_allclose(dW_yh, sum(cache.h[t].T @ cache.dO[t - 1] for t in range(1, 5)), rtol=1e-13)
    np.testing.assert_allclose(db_y, cache.dO.sum(axis=(0, 1)), rtol=1e-13)
    np.testing.assert_allclose(G, cache.dO @ params["W_yh"].T, rtol=1e-13)
    DA = np.random.default_rng(0).normal(size=G.shape)
    g = param_grads(p, cache, DA)
    np.testing.assert_allclose(g["W_xh"], sum(X[k].T @ DA[k] for k in range(4)), rtol=1e-13)
    np.testing.assert_allclose(g["W_hh"], sum(cache.h[k].T @ DA[k] for k in range(4)), rtol=1e-13)
    np.testing.assert_allclose(g["b_h"], DA.sum(axis=(0, 1)), rtol=1e-13)
