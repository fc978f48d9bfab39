"""The GRU identities of chapter 10, proved in sympy with generic σ and ψ (rnnlib.symbolic.gru)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from rnnlib import gru
from rnnlib.symbolic import gru as sg
from rnnlib.symbolic import lstm as sl
from rnnlib.symbolic import to_latex


def is_zero(M) -> bool:
    return sympy.expand(M) == sympy.zeros(*M.shape)


@pytest.mark.parametrize("H", [1, 2])
def test_four_path_jacobian_equals_direct_differentiation(H):
    p = sg.gru_params(H)
    J, step, s = sg.jacobian_direct(p)
    formula = sg.four_path_formula(p, step, s["h_prev"])
    assert J.shape == (H, H)
    assert is_zero(J - formula["total"])
    for path in ("update", "candidate", "reset"):                 # no path is redundant
        assert not is_zero(J - formula["total"] + formula[path]), path
    assert not is_zero(J - formula["direct"])                       # the shortcut diag(z_t) is not it


def test_transposes_show_only_for_H_two():
    """With W_hz instead of W_hzᵀ the formula still holds for H = 1, and fails for H = 2."""
    for H, holds in ((1, True), (2, False)):
        p = sg.gru_params(H)
        J, step, s = sg.jacobian_direct(p)
        f = sg.four_path_formula(p, step, s["h_prev"])
        wrong = dict(p, W_hz=p["W_hz"].T)
        f_wrong = sg.four_path_formula(wrong, step, s["h_prev"])
        total = f["total"] - f["update"] + f_wrong["update"]
        assert is_zero(J - total) is holds


@pytest.mark.parametrize("H", [1, 2])
def test_reset_after_variant_jacobian_and_how_it_differs(H):
    p = sg.gru_params(H)
    J_var, step, s = sg.jacobian_direct(p, reset_after=True)
    assert is_zero(J_var - sg.reset_after_formula(p, step, s["h_prev"])["total"])
    J_cho, _, _ = sg.jacobian_direct(p)
    # without b_hh the two cells are the same function for H = 1, different for H = 2
    assert is_zero(J_var - J_cho) is (H == 1)
    # with a recurrent bias b_hh they differ even for a scalar cell
    b_hh = sg.row("b_{hh}", H)
    J_b, step_b, s_b = sg.jacobian_direct(p, reset_after=True, b_hh=b_hh)
    assert is_zero(J_b - sg.reset_after_formula(p, step_b, s_b["h_prev"], b_hh)["total"])
    if H == 1:
        assert not is_zero(J_b - J_cho)


@pytest.mark.parametrize("H", [1, 2])
def test_one_backward_step(H):
    p = sg.gru_params(H)
    bw = sg.backward_step_direct(p)
    formula = sg.backward_step_formula(p, bw["step"], bw["symbols"])
    assert bw["dh"].shape == (1, H)
    assert is_zero(bw["dh"] - formula["dh"])
    # dropping the direct term δ_{t+1} ⊙ z_{t+1} is detected
    direct = bw["symbols"]["delta_next"].multiply_elementwise(bw["step"]["z"])
    assert not is_zero(bw["dh"] - formula["dh"] + direct)
    # nothing undefined is left: only G_t, δ_{t+1}, σ, σ', ψ, ψ' and symbols
    funcs = {type(f) for f in bw["dh"].atoms(sympy.Function)}
    assert funcs <= {sl.sigma, sl.sigma_prime, sl.psi, sl.psi_prime}


@pytest.mark.parametrize("H, n_in", [(1, 1), (2, 2)])
def test_immediate_terms(H, n_in):
    p = sg.gru_params(H, n_in)
    im = sg.immediate_terms_direct(p)
    formula = sg.immediate_terms_formula(p, im["step"], im["symbols"])
    assert tuple(formula) == sg.PARAM_KEYS
    for key in sg.PARAM_KEYS:
        assert formula[key].shape == p[key].shape, key
        assert is_zero(im["grads"][key] - formula[key]), key
    # h_{t-1} instead of r_t ⊙ h_{t-1} in the W_hh term is detected
    wrong = im["symbols"]["h_prev"].T * sg.immediate_terms_formula(p, im["step"], im["symbols"])["b_h"]
    assert not is_zero(im["grads"]["W_hh"] - wrong)


def test_symbolic_step_matches_rnnlib_numerically():
    """Substituting the logistic sigmoid and tanh, the sympy step and Jacobian equal rnnlib's."""
    H = 2
    p_sym = sg.gru_params(H)
    J, step, s = sg.jacobian_direct(p_sym)
    params = gru.init_params(1, H, 1, seed=3)
    rng = np.random.default_rng(3)
    for key in ("b_z", "b_r", "b_h"):
        params[key] = rng.normal(size=H)
    x, h_prev = rng.normal(size=(1, 1)), rng.normal(scale=0.5, size=(1, H))
    values = {}
    for key, M in p_sym.items():
        arr = np.atleast_2d(params[key])
        values.update({M[i, j]: float(arr[i, j]) for i in range(M.rows) for j in range(M.cols)})
    values.update({s["x"][0, 0]: float(x[0, 0])})
    values.update({s["h_prev"][0, a]: float(h_prev[0, a]) for a in range(H)})
    concrete = sl.substitute_lstm(J).subs(values)
    _, cache = gru.forward(params, x[None], np.zeros((1, 1, 1)), h0=h_prev, loss="mse")
    np.testing.assert_allclose(np.array(concrete, dtype=float), gru.jacobian(params, cache, 1)[0],
                               rtol=1e-12, atol=1e-14)


def test_readable_display():
    p = sg.gru_params(1)
    J, step, s = sg.jacobian_direct(p)
    tex = to_latex(sg.readable(sg.four_path_formula(p, step, s["h_prev"])["total"], step))
    for piece in ("z_{t}", "r_{t}", r"\tilde{h}_{t}", r"\sigma'", r"\psi'", "a^{z}_{t}", "w_{hz}"):
        assert piece in tex, piece
    assert r"\sigma\!" not in tex                    # every gate renamed


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"^H\b"):
        sg.gru_params(0)
    with pytest.raises(ValueError, match=r"^n_in\b"):
        sg.gru_params(1, 9)


def test_with_candidate_factor_only_renames_and_expands():
    """D_{t,a} stands for (1 - z_{t,a}) psi'(a^h_{t,a}): put it back and the entry is readable's."""
    p = sg.gru_params(2)
    J, step, _ = sg.jacobian_direct(p)
    for a, b in ((0, 1), (1, 0), (1, 1)):
        shown = sg.with_candidate_factor(J[a, b], step)
        plain = sg.readable(J[a, b], step)
        D = {s for s in shown.free_symbols if s.name.startswith("D_")}
        assert D, "the candidate factor is named"
        back = shown
        for s in D:
            sub = s.name[3:-1]
            psi = next(f for f in sympy.preorder_traversal(plain)
                       if getattr(getattr(f, "func", None), "__name__", "") == "psi_prime"
                       and f.args[0].name == f"a^{{h}}_{{{sub}}}")
            back = back.subs(s, (1 - sympy.Symbol(f"z_{{{sub}}}", real=True)) * psi)
        assert sympy.expand(back - plain) == 0
