"""rnnlib.truncation: masked gradients and the cosine measures of chapter 9."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import truncation
from rnnlib.problems import scaled_problem
from rnnlib.truncation import RECURRENT_KEYS, grad_cosine, masked_gradient, truncation_cosine


def grads(seed=0):
    rng = np.random.default_rng(seed)
    return {"A": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}


def test_cosine_known_values():
    g = grads()
    assert grad_cosine(g, g) == pytest.approx(1.0, abs=1e-15)
    assert grad_cosine(g, {k: 3.5 * v for k, v in g.items()}) == pytest.approx(1.0, abs=1e-15)
    assert grad_cosine(g, {k: -v for k, v in g.items()}) == pytest.approx(-1.0, abs=1e-15)
    a = {"x": np.array([1.0, 0.0]), "y": np.array([0.0])}
    b = {"x": np.array([1.0, 1.0]), "y": np.array([0.0])}
    assert grad_cosine(a, b) == pytest.approx(1 / np.sqrt(2), rel=1e-14)
    assert grad_cosine(a, {"x": np.array([0.0, 2.0]), "y": np.array([5.0])}) == 0.0
    assert grad_cosine(a, b, keys=("y", "x")) == pytest.approx(1 / np.sqrt(2), rel=1e-14)


def test_norm_clipping_keeps_direction_value_clipping_does_not():
    g = grads(1)
    by_norm, norm = rnnlib.clip_by_norm(g, 0.1)
    assert norm > 0.1
    assert grad_cosine(g, by_norm) == pytest.approx(1.0, abs=1e-14)
    assert grad_cosine(g, rnnlib.clip_by_value(g, 0.1)) < 0.99


def setup(T=8, H=5, seed=0):
    rng = np.random.default_rng(seed)
    p = rnnlib.init_params(3, H, 2, seed=seed)
    p["W_hh"] *= 1.5
    X = rng.normal(size=(T, 4, 3))
    Y = rng.integers(0, 2, size=(T, 4))
    _, cache = rnnlib.forward(p, X, Y)
    return p, cache


def test_truncation_cosine_matches_direct_computation_and_reaches_one():
    p, cache = setup()
    T = cache.T
    taus = [0, 1, 3, T - 1, T, T + 5]
    cos = truncation_cosine(p, cache, taus)
    full = rnnlib.bptt(p, cache)
    for tau, c in zip(taus, cos):
        assert c == pytest.approx(grad_cosine(full, rnnlib.bptt(p, cache, truncate=tau), RECURRENT_KEYS),
                                  abs=1e-15)
    assert cos[0] < 0.999                     # τ = 0 really drops something
    assert np.all(np.abs(cos[3:] - 1.0) < 1e-12)   # τ ≥ T − 1 is the full gradient for W_xh, W_hh, b_h


def test_bad_input():
    p, cache = setup()
    with pytest.raises(ValueError, match=r"^truncate: expected"):
        truncation_cosine(p, cache, [1, -1])
    with pytest.raises(ValueError, match=r"^taus: expected"):
        truncation_cosine(p, cache, [])
    with pytest.raises(ValueError, match=r"^a: expected a nonzero"):
        grad_cosine({"x": np.zeros(2)}, {"x": np.ones(2)})
    with pytest.raises(ValueError, match=r"^b: expected the key"):
        grad_cosine({"x": np.ones(2)}, {"y": np.ones(2)})
    with pytest.raises(ValueError, match=r"^b: expected finite"):
        grad_cosine({"x": np.ones(2)}, {"x": np.array([np.inf, 1.0])})


def test_masked_gradient_reproduces_truncate_and_chunks():
    from rnnlib.truncation import kept_by_truncation
    from rnnlib.training import chunked_gradients, vanilla_model
    from rnnlib.truncation import kept_by_chunks

    rng = np.random.default_rng(4)
    p = rnnlib.init_params(3, 4, 2, seed=4)
    X = rng.normal(size=(7, 3, 3))
    Y = rng.normal(size=(7, 3, 2))
    _, cache = rnnlib.forward(p, X, Y, loss="mse")
    for tau in (0, 2, 6):
        want = rnnlib.bptt(p, cache, truncate=tau)
        got = masked_gradient(p, cache, kept_by_truncation(7, tau))
        for k in RECURRENT_KEYS:
            assert rnnlib.rel_error(got[k], want[k]) < 1e-12
    for K in (1, 3, 7):
        _, want, _ = chunked_gradients(vanilla_model(), p, X, Y, chunk=K, loss="mse")
        got = masked_gradient(p, cache, kept_by_chunks(7, K))
        for k in RECURRENT_KEYS:
            assert rnnlib.rel_error(got[k], want[k]) < 1e-12
    with pytest.raises(ValueError, match=r"^keep: expected"):
        masked_gradient(p, cache, np.ones((6, 6), bool))


def test_value_clipping_cosines_limits():
    g = {"a": np.array([3.0, -1.0, 0.5]), "b": np.array([[0.1]])}
    cos = truncation.value_clipping_cosines(g, [1.0, 1e-6])
    assert cos[0] == pytest.approx(1.0, abs=1e-15)          # nothing clipped
    flat = np.array([3.0, -1.0, 0.5, 0.1])
    limit = np.abs(flat).sum() / (np.sqrt(4) * np.linalg.norm(flat))
    assert cos[1] == pytest.approx(limit, rel=1e-12)         # every entry clipped: sign(g)


def test_window_cosines_match_library_gradients():
    params, cache = scaled_problem(8, scale=1.5, seed=0)
    cos_tau, cos_chunk = truncation.window_cosines(params, cache, 2, 8)
    full = rnnlib.bptt(params, cache)
    want = rnnlib.truncation.grad_cosine(full, rnnlib.bptt(params, cache, truncate=2),
                                              ("W_xh", "W_hh", "b_h"))
    assert cos_tau == pytest.approx(want, abs=1e-13)
    assert cos_chunk == pytest.approx(1.0, abs=1e-13)          # one chunk: the full gradient


def test_norm_clipping_keeps_the_direction():
    g = {"a": np.array([3.0, -1.0, 0.5]), "b": np.array([[0.1]])}
    np.testing.assert_allclose(truncation.norm_clipping_cosines(g, [1e-3, 0.5, 2.0]), 1.0, rtol=1e-14)
