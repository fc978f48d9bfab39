"""rnnlib.symbolic.lstm: the scalar LSTM's cell Jacobian, proved with sympy."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from rnnlib import lstm
from rnnlib.symbolic import lstm as S


@pytest.fixture(scope="module")
def p():
    return S.scalar_lstm_params()


def test_four_term_formula_equals_sympys_derivative(p):
    direct, step, sy = S.cell_jacobian_direct(p)
    formula = S.four_term_formula(p, step, sy["c_prev"], sy["o_prev"])
    assert sympy.expand(direct - formula) == 0


def test_dropping_a_term_is_detected(p):
    direct, step, sy = S.cell_jacobian_direct(p)
    formula = S.four_term_formula(p, step, sy["c_prev"], sy["o_prev"])
    input_path = (step["cc"] * S.sigma_prime(step["z_i"]) * p["W_hi"]
                  * sy["o_prev"] * S.psi_prime(sy["c_prev"]))
    assert sympy.expand(direct - (formula - input_path)) != 0
    assert sympy.expand(direct - step["f"]) != 0          # "≈ f_t" is not the derivative


def test_symbolic_jacobian_matches_rnnlib_numerically(p):
    """Substitute σ = sigmoid, τ = tanh and numbers; compare with lstm.cell_state_jacobian."""
    rng = np.random.default_rng(5)
    params = lstm.init_params(1, 1, 1, seed=5)
    for key in params:
        params[key] = rng.normal(size=params[key].shape)
    X = rng.normal(size=(2, 1, 1))
    _, cache = lstm.forward(params, X, np.zeros((2, 1, 1)), loss="mse",
                            h0=np.array([[0.3]]), c0=np.array([[-0.4]]))
    direct, step, sy = S.cell_jacobian_direct(p)
    values = {p[k]: float(params[k].ravel()[0]) for k in p}
    values.update({sy["x"]: float(X[1, 0, 0]), sy["c_prev"]: float(cache.c[1, 0, 0]),
                   sy["o_prev"]: float(cache.g_o[0, 0, 0])})
    got = float(S.substitute_lstm(direct).subs(values).evalf())
    want = lstm.cell_state_jacobian(params, cache, 2)[0, 0, 0]
    assert abs(got - want) < 1e-12 * max(1.0, abs(want))


def test_state_jacobian_product_is_exact_over_three_steps(p):
    states, sy = S.cells_from(p, 3)
    exact = sympy.diff(states[3]["c"], sy["c_k"])
    P = sympy.eye(2)
    for j in (1, 2, 3):
        P = S.state_jacobian_symbolic(p, sy["x"][j - 1], states[j - 1]["h"], states[j - 1]["c"]) * P
    ds_k = sympy.Matrix([sy["o_k"] * S.psi_prime(sy["c_k"]), 1])   # ∂(h_k, C_k)/∂C_k
    assert sympy.expand(exact - (P * ds_k)[1]) == 0


def test_product_of_one_step_factors_misses_exactly_the_output_gate_path(p):
    states, sy = S.cells_from(p, 2)
    exact = sympy.diff(states[2]["c"], sy["c_k"])
    product = S.one_step_factor(p, states, 1) * S.one_step_factor(p, states, 2)
    missing = S.missing_path_two_steps(p, states)
    assert sympy.expand(exact - product) != 0
    assert sympy.expand(exact - product - missing) == 0


def test_one_step_factor_of_an_unrolling_is_the_exact_one_step_derivative(p):
    states, sy = S.cells_from(p, 1)
    exact = sympy.diff(states[1]["c"], sy["c_k"])
    assert sympy.expand(exact - S.one_step_factor(p, states, 1)) == 0


def test_latex_uses_sigma_and_psi(p):
    _, step, sy = S.cell_jacobian_direct(p)
    text = sympy.latex(S.four_term_formula(p, step, sy["c_prev"], sy["o_prev"]))
    assert r"\sigma'" in text and r"\psi'" in text and "w_{hf}" in text


def test_bad_n_steps():
    with pytest.raises(ValueError, match=r"^n_steps\b.*expected.*got"):
        S.cells_from(S.scalar_lstm_params(), 0)


def test_readable_renames_gates_for_display(p):
    _, step, sy = S.cell_jacobian_direct(p)
    text = sympy.latex(S.readable(S.four_term_formula(p, step, sy["c_prev"], sy["o_prev"]), [("t", step)]))
    assert "f_{t}" in text and "z^{f}_{t}" in text and r"\tilde{C}_{t}" in text
    assert "b_{f}" not in text and "x_{t}" not in text        # the pre-activations are folded
