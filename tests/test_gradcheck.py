"""numerical_gradient, rel_error and the clipping functions."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib


def test_numerical_gradient_of_a_quadratic_is_exact():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.3, -0.7])
    g = rnnlib.numerical_gradient(lambda v: 0.5 * v @ A @ v, x, eps=1e-5)
    assert rnnlib.rel_error(g, A @ x) < 1e-9


def test_numerical_gradient_perturbs_in_place_and_restores():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    seen = []

    def f(v):
        seen.append(v is x)
        return float(np.sum(np.sin(v)))

    g = rnnlib.numerical_gradient(f, x)
    assert all(seen) and len(seen) == 8
    np.testing.assert_array_equal(x, before)
    assert rnnlib.rel_error(g, np.cos(x)) < 1e-9


def test_numerical_gradient_restores_even_if_f_raises():
    x = np.array([1.0, 2.0])

    def f(v):
        if v[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        rnnlib.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_rel_error_is_normwise():
    a = np.array([1.0, 1e-12])
    b = np.array([1.0, 2e-12])           # elementwise relative error would be 1/3
    assert rnnlib.rel_error(a, b) == pytest.approx(1e-12)
    assert rnnlib.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rnnlib.rel_error(np.zeros(2), np.array([0.0, 1e-13])) == pytest.approx(0.1)
    assert rnnlib.rel_error(np.array([2.0, -4.0]), np.array([2.0, -3.0])) == pytest.approx(0.25)


def test_central_difference_error_has_both_regimes():
    eps = np.logspace(-12, -1, 12)
    err = rnnlib.central_difference_error(np.sin, np.cos, 0.5, eps)
    assert err[-1] > 1e-5            # truncation: O(eps²) at eps = 0.1
    assert err[0] > 1e-7             # round-off: O(u/eps) at eps = 1e-12
    assert err.min() < 1e-9          # a sweet spot in between


def test_clip_by_norm_preserves_direction_and_input():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0, 4.0]])}
    clipped, norm = rnnlib.clip_by_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    assert rnnlib.global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.0, 0.8]])
    np.testing.assert_array_equal(g["a"], [3.0, 0.0])                 # input untouched
    same, norm2 = rnnlib.clip_by_norm(g, 10.0)
    assert norm2 == pytest.approx(5.0)
    np.testing.assert_array_equal(same["a"], g["a"])
    assert not np.shares_memory(same["a"], g["a"])


def test_clip_by_value_changes_direction():
    g = {"w": np.array([10.0, 0.5, -3.0])}
    c = rnnlib.clip_by_value(g, 1.0)
    np.testing.assert_array_equal(c["w"], [1.0, 0.5, -1.0])
    np.testing.assert_array_equal(g["w"], [10.0, 0.5, -3.0])
    cos = c["w"] @ g["w"] / np.linalg.norm(c["w"]) / np.linalg.norm(g["w"])
    assert cos < 0.99


@pytest.mark.parametrize("bad", [0, -1.0, np.nan, "1"])
def test_clipping_rejects_bad_thresholds(bad):
    g = {"w": np.ones(2)}
    with pytest.raises(ValueError, match=r"^max_norm\b"):
        rnnlib.clip_by_norm(g, bad)
    with pytest.raises(ValueError, match=r"^limit\b"):
        rnnlib.clip_by_value(g, bad)


def test_clipping_rejects_bad_grads():
    with pytest.raises(ValueError, match=r"^grads\b"):
        rnnlib.clip_by_norm([], 1.0)
    with pytest.raises(ValueError, match=r"^w\b"):
        rnnlib.clip_by_value({"w": np.array([np.nan])}, 1.0)


def test_elementwise_error_is_ill_conditioned_near_zero():
    a = np.array([1.0, 1e-12])
    b = np.array([1.0, 2e-12])
    assert rnnlib.elementwise_rel_error(a, b) == pytest.approx(0.5)
    assert rnnlib.rel_error(a, b) < 1e-11
    assert rnnlib.elementwise_rel_error(np.zeros(2), np.zeros(2)) == 0.0


def test_central_difference_error_has_the_eps_squared_slope():
    """Truncation regime: |error| = |f‴(x0)| eps²/6 + O(eps⁴), a slope of 2 on a log-log plot
    (a forward difference would give |f″(x0)| eps/2, a slope of 1)."""
    x0 = 0.5
    eps = np.array([1e-3, 2e-3, 4e-3, 8e-3])
    err = rnnlib.central_difference_error(np.sin, np.cos, x0, eps)
    slopes = np.diff(np.log(err)) / np.diff(np.log(eps))
    np.testing.assert_allclose(slopes, 2.0, atol=0.01)
    np.testing.assert_allclose(err, np.cos(x0) * eps ** 2 / 6, rtol=1e-3)       # |−cos(x0)| eps²/6
    # on a cubic the central difference error is exactly eps² (f‴ = 6): no eps¹ term at all
    err = rnnlib.central_difference_error(lambda x: x ** 3, lambda x: 3 * x ** 2, 0.3, [0.1, 0.2])
    np.testing.assert_allclose(err, [0.01, 0.04], rtol=1e-10)
    assert err.shape == (2,)
