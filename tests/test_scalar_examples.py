"""rnnlib.scalar_examples: the Pascanu unit (Pascanu et al. 2013, Figure 6), its surface and its cliff."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

import rnnlib
from rnnlib.scalar_examples import pascanu_surface, pascanu_unit


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_exported_at_top_level():
    assert rnnlib.pascanu_unit is pascanu_unit


def test_one_step_by_hand():
    w, b, x0, tgt = 1.3, -0.4, 0.2, 0.6
    x1 = w * _sig(x0) + b
    r = _sig(x1) - tgt
    E, dw, db = pascanu_unit(w, b, T=1, x0=x0, target=tgt)
    assert E == pytest.approx(r * r, rel=1e-14)
    ds = _sig(x1) * (1 - _sig(x1))
    assert dw == pytest.approx(2 * r * ds * _sig(x0), rel=1e-13)
    assert db == pytest.approx(2 * r * ds, rel=1e-13)


def test_against_sympy_for_three_steps():
    w, b = sympy.symbols("w b", real=True)
    sig = lambda z: 1 / (1 + sympy.exp(-z))  # noqa: E731
    x = sympy.Rational(1, 2)
    for _ in range(3):
        x = w * sig(x) + b
    E = (sig(x) - sympy.Rational(7, 10)) ** 2
    at = {w: 2.5, b: -1.1}
    expect = [float(E.subs(at)), float(sympy.diff(E, w).subs(at)), float(sympy.diff(E, b).subs(at))]
    got = pascanu_unit(2.5, -1.1, T=3)
    np.testing.assert_allclose(got, expect, rtol=1e-12)


@pytest.mark.parametrize("w,b", [(1.0, 0.0), (-2.0, 0.5), (4.0, -1.0), (5.0, -2.0), (8.0, -3.0)])
def test_gradient_matches_finite_differences(w, b):
    _, dw, db = pascanu_unit(w, b)
    v = np.array([w, b])

    def E(v):
        return pascanu_unit(float(v[0]), float(v[1]))[0]
    num = rnnlib.numerical_gradient(E, v, 1e-5)
    assert rnnlib.rel_error(np.array([dw, db]), num) < 1e-7


def test_large_gradient_at_the_cliff():
    """Just beside the cliff b = x0 − w σ(x0) the gradient is huge; far from it, small."""
    w = 5.0
    b_cliff = 0.5 - w * _sig(0.5)
    _, dw, db = pascanu_unit(w, b_cliff - 1e-4)
    assert np.hypot(dw, db) > 100
    _, dw, db = pascanu_unit(w, b_cliff - 0.5)
    assert np.hypot(dw, db) < 1
    # the error jumps across the cliff
    assert pascanu_unit(w, b_cliff - 1e-3)[0] - pascanu_unit(w, b_cliff + 1e-3)[0] > 0.3


def test_surface_matches_the_unit():
    W, B = np.meshgrid(np.linspace(-3, 8, 5), np.linspace(-4, 1, 4))
    E, dw, db = pascanu_surface(W, B, T=20, x0=0.1, target=0.3)
    assert E.shape == dw.shape == db.shape == (4, 5)
    for i in range(4):
        for j in range(5):
            e = pascanu_unit(W[i, j], B[i, j], T=20, x0=0.1, target=0.3)
            np.testing.assert_allclose([E[i, j], dw[i, j], db[i, j]], e, rtol=1e-14, atol=1e-300)


def test_extreme_values_stay_finite():
    E, dw, db = pascanu_unit(1e3, -1e3)
    assert np.isfinite([E, dw, db]).all()


@pytest.mark.parametrize("kwargs,name", [
    (dict(w=np.nan, b=0.0), "w"),
    (dict(w="1", b=0.0), "w"),
    (dict(w=1.0, b=np.inf), "b"),
    (dict(w=1.0, b=[0.0, 1.0]), "b"),
    (dict(w=1.0, b=0.0, T=0), "T"),
    (dict(w=1.0, b=0.0, T=2.5), "T"),
    (dict(w=1.0, b=0.0, x0=None), "x0"),
    (dict(w=1.0, b=0.0, target=np.nan), "target"),
])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        pascanu_unit(**kwargs)


def test_surface_bad_input():
    with pytest.raises(ValueError, match=r"^w: expected"):
        pascanu_surface(np.array([np.nan]), 0.0)
    with pytest.raises(ValueError, match=r"^b: expected"):
        pascanu_surface(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"^T: expected"):
        pascanu_surface(0.0, 0.0, T=0)


def test_cliff_is_the_fixed_point_line_and_steps_are_plain_and_clipped():
    from rnnlib.scalar_examples import pascanu_cliff_b, pascanu_steps

    w = np.array([2.0, 5.0, 8.0])
    b = pascanu_cliff_b(w, x0=0.5)
    sig = 1 / (1 + np.exp(-0.5))
    np.testing.assert_allclose(w * sig + b, 0.5, rtol=1e-15)        # x0 is a fixed point of x ↦ wσ(x) + b
    (dw, db), plain, clipped, norm = pascanu_steps(5.0, float(pascanu_cliff_b(5.0)) - 0.01, lr=0.5, max_norm=1.0)
    assert (dw, db) == pascanu_unit(5.0, float(pascanu_cliff_b(5.0)) - 0.01)[1:]
    assert norm == pytest.approx(np.hypot(dw, db), rel=1e-15)
    assert plain == pytest.approx((5.0 - 0.5 * dw, float(pascanu_cliff_b(5.0)) - 0.01 - 0.5 * db))
    step = np.hypot(clipped[0] - 5.0, clipped[1] - (float(pascanu_cliff_b(5.0)) - 0.01))
    assert step == pytest.approx(0.5 * min(1.0, norm), rel=1e-12)        # the clipped step has length lr · max_norm
    with pytest.raises(ValueError, match=r"^x0: expected"):
        pascanu_cliff_b(1.0, x0=np.nan)
