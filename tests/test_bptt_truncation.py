"""Truncation semantics of ``truncate=τ`` (GUIDE §4)."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from problems import make_problem

KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")


def setup(T=6, m=2, activation="tanh", loss="softmax_ce", h0=True, seed=3):
    params, X, Y, h0a, _ = make_problem(T=T, m=m, loss=loss, activation=activation,
                                        with_h0=h0, seed=seed)
    _, cache = rnnlib.forward(params, X, Y, h0=h0a, activation=activation, loss=loss)
    return params, cache


def brute_force_truncated(params, cache, tau):
    """The definition, term by term: keep (t, k) iff t − k ≤ τ, and h_0 iff t ≤ τ,
    with ∂h_t/∂h_k from explicit Jacobian products."""
    p = params
    T = cache.T
    G = (cache.dO @ p["W_yh"].T)
    dphi = rnnlib.phi_prime_from_h(cache.h[1:], cache.activation)
    out = {k: np.zeros_like(v) for k, v in p.items() if k in ("W_xh", "W_hh", "b_h")}
    out["h0"] = np.zeros_like(cache.h[0])
    for t in range(1, T + 1):
        for k in range(1, t + 1):
            if t - k > tau:
                continue
            v = np.einsum("ia,iab->ib", G[t - 1], rnnlib.jacobian_product(p, cache, t, k))
            da = v * dphi[k - 1]
            out["W_hh"] += cache.h[k - 1].T @ da
            out["W_xh"] += cache.X[k - 1].T @ da
            out["b_h"] += da.sum(0)
        if t <= tau:
            out["h0"] += np.einsum("ia,iab->ib", G[t - 1], rnnlib.jacobian_product(p, cache, t, 0))
    return out


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize("tau", [0, 1, 2, 3, 5, 6, 7, 100])
def test_bptt_and_sum_of_products_agree_for_every_tau(activation, tau):
    params, cache = setup(activation=activation)
    a = rnnlib.bptt(params, cache, truncate=tau)
    b = rnnlib.bptt_sum_of_products(params, cache, truncate=tau)
    ref = brute_force_truncated(params, cache, tau)
    for key in KEYS:
        assert rnnlib.rel_error(a[key], b[key]) < 1e-10, key
    for key in ref:
        assert rnnlib.rel_error(a[key], ref[key]) < 1e-10, key


@pytest.mark.parametrize("T", [1, 2, 6])
def test_truncate_at_least_T_is_the_full_gradient(T):
    params, cache = setup(T=T)
    full = rnnlib.bptt(params, cache)
    for tau in (T, T + 1, 10 * T):
        for method in (rnnlib.bptt, rnnlib.bptt_sum_of_products):
            g = method(params, cache, truncate=tau)
            for key in KEYS:
                assert rnnlib.rel_error(g[key], full[key]) < 1e-12, (tau, key)


def test_truncate_T_minus_1_drops_only_the_last_h0_path():
    T = 5
    params, cache = setup(T=T)
    full = rnnlib.bptt(params, cache)
    g = rnnlib.bptt(params, cache, truncate=T - 1)
    for key in ("W_xh", "W_hh", "b_h", "W_yh", "b_y"):
        assert rnnlib.rel_error(g[key], full[key]) < 1e-12
    assert rnnlib.rel_error(g["h0"], full["h0"]) > 1e-6      # L_T no longer reaches h_0


def test_truncate_zero_keeps_only_immediate_terms():
    params, cache = setup()
    g = rnnlib.bptt(params, cache, truncate=0)
    G = cache.dO @ params["W_yh"].T
    da = G * rnnlib.phi_prime_from_h(cache.h[1:], cache.activation)
    T, m, H = da.shape
    np.testing.assert_allclose(g["W_hh"], cache.h[:-1].reshape(T * m, H).T @ da.reshape(T * m, H),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["b_h"], da.sum((0, 1)), rtol=1e-12, atol=1e-14)
    assert np.all(g["h0"] == 0)                 # h_0 needs t >= 1 factors


def test_output_layer_is_never_truncated():
    params, cache = setup()
    full = rnnlib.bptt(params, cache)
    for tau in (0, 1, 2):
        g = rnnlib.bptt(params, cache, truncate=tau)
        np.testing.assert_array_equal(g["W_yh"], full["W_yh"])
        np.testing.assert_array_equal(g["b_y"], full["b_y"])


def test_truncation_changes_the_gradient():
    params, cache = setup()
    full = rnnlib.bptt(params, cache)
    g1 = rnnlib.bptt(params, cache, truncate=1)
    assert rnnlib.rel_error(g1["W_hh"], full["W_hh"]) > 1e-6


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_truncate_raises(bad):
    params, cache = setup()
    for method in (rnnlib.bptt, rnnlib.bptt_sum_of_products):
        with pytest.raises(ValueError, match=r"\btruncate\b"):
            method(params, cache, truncate=bad)
