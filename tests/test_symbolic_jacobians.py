"""rnnlib.symbolic.jacobians: the chapter-6 identities, proved with generic φ."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

import rnnlib
from rnnlib.symbolic import substitute, unrolled_rnn
from rnnlib.symbolic import to_latex as sj_to_latex
from rnnlib.symbolic import direct_jacobian, jacobian_product, one_step_jacobian, phi_prime


def test_product_formula_equals_direct_derivative():
    net = unrolled_rnn(3, H=2, h0="symbolic")
    for t in range(4):
        D = direct_jacobian(net, t)
        F = jacobian_product(net, t, 0)
        assert all(sympy.expand(e) == 0 for e in D - F)


def test_the_transpose_matters():
    net = unrolled_rnn(1, H=2, h0="symbolic")
    D = direct_jacobian(net, 1)
    wrong = sympy.diag(*[phi_prime(e) for e in net.a[1]]) * net.W_hh      # without the transpose, as in Arat (2019)
    assert not all(sympy.expand(e) == 0 for e in D - wrong)
    assert all(sympy.expand(e) == 0 for e in D - one_step_jacobian(net, 1))


def test_formula_agrees_with_rnnlib_numerically():
    """Substitute tanh and numbers: the sympy product equals rnnlib.jacobian_product."""
    net = unrolled_rnn(2, H=2, h0="symbolic")
    F = substitute(jacobian_product(net, 2, 0), sympy.tanh)
    rng = np.random.default_rng(0)
    p = rnnlib.init_params(1, 2, 1, seed=3)
    X = rng.normal(size=(2, 1, 1))
    h0 = rng.normal(size=(1, 2))
    _, cache = rnnlib.forward(p, X, np.zeros((2, 1), dtype=int), h0=h0)
    values = {}
    for key in ("W_xh", "W_hh", "b_h"):
        for s, v in zip(net.params[key], p[key].ravel()):
            values[s] = v
    for s, v in zip(net.h[0], h0.ravel()):
        values[s] = v
    for t in (1, 2):
        values[net.X[t][0]] = X[t - 1, 0, 0]
    num = np.array(F.subs(values).evalf(), dtype=float)
    assert rnnlib.rel_error(num, rnnlib.jacobian_product(p, cache, 2, 0)[0]) < 1e-12


def test_identity_and_bad_input():
    net = unrolled_rnn(2, H=2, h0="symbolic")
    assert jacobian_product(net, 2, 2) == sympy.eye(2)
    with pytest.raises(ValueError, match=r"^t: expected"):
        one_step_jacobian(net, 0)
    with pytest.raises(ValueError, match=r"^k: expected"):
        jacobian_product(net, 1, 2)
    with pytest.raises(ValueError, match=r"^net: expected"):
        direct_jacobian(unrolled_rnn(2, H=2), 1)
    with pytest.raises(ValueError, match=r"^net: expected"):
        one_step_jacobian("net", 1)


def test_to_latex_is_mathjax_friendly():
    net = unrolled_rnn(1, H=2, h0="symbolic")
    s = sj_to_latex(one_step_jacobian(net, 1))
    assert "W_{hh,21}" in s and "}_{" not in s.replace("_{hh", "").replace("_{xh", "")
    assert r"\phi'" in s and "Subs" not in s and r"\operatorname" not in s


def test_aligned_sum_breaks_a_long_sum_into_lines_and_keeps_every_term():
    import sympy

    from rnnlib.symbolic.display import aligned_sum, to_latex

    a, b, c, d, e = sympy.symbols("a b c d e", real=True)
    expr = a - 2 * b + c**2 + d * e
    text = aligned_sum(r"\partial y", expr, terms_per_line=2)
    lines = text.splitlines()
    assert lines[0] == r"\begin{aligned}" and lines[-1] == r"\end{aligned}"
    body = lines[1:-1]
    assert len(body) == 2 and body[0].startswith(r"\partial y &= ") and body[1].startswith(r"&\quad ")
    # the lines, joined, are sympy's own printing of the sum, term for term
    joined = " ".join(body).replace(r"\partial y &= ", "").replace(r"&\quad ", "").replace(r" \\", "")
    assert joined.split() == sympy.latex(expr).split()
    # not a sum: one line, printed by to_latex
    assert aligned_sum("y", a * b).splitlines()[1] == "y &= " + to_latex(a * b)
