"""Tests for chapter 8's backward pass written out: δ^h_t and δ^C_t of the LSTM.

* the sympy proof of one step of the recursion (rnnlib.symbolic_lstm.backward_step_*),
  and that it detects a dropped term;
* the same formula, with σ = sigmoid and ψ = tanh substituted, against
  rnnlib.lstm.error_signals;
* rnnlib.lstm.error_signals against central differences of the loss with respect
  to h_t and C_t, obtained by restarting the LSTM at step t;
* the checker rnnlib.exercises.check_lstm_bptt: it accepts lstm.bptt and the
  chapter's solution, and rejects typical wrong backward passes.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from rnnlib import lstm
from rnnlib import symbolic_lstm as S
from rnnlib.exercises import check_lstm_bptt
from rnnlib.gradcheck import numerical_gradient, rel_error
from rnnlib.losses import loss_and_dlogits


@pytest.fixture(scope="module")
def step():
    p = S.scalar_lstm_params()
    direct = S.backward_step_direct(p)
    formula = S.backward_step_formula(p, direct["step"], direct["symbols"])
    return p, direct, formula


def test_one_step_of_the_recursion_is_sympys_derivative(step):
    _, direct, formula = step
    assert sympy.expand(direct["dh"] - formula["dh"]) == 0
    assert sympy.expand(direct["dc"] - formula["dc"]) == 0


def test_the_direct_side_has_the_error_signals_as_free_symbols(step):
    _, direct, _ = step
    s = direct["symbols"]
    for key in ("dh", "dc"):
        free = direct[key].free_symbols
        assert {s["dh_next"], s["dc_next"], s["G"]} <= free
        assert not direct[key].atoms(S.later_loss_dh, S.later_loss_dc, S.step_loss_prime)


@pytest.mark.parametrize("gate", list("fioc"))
def test_dropping_a_gate_path_is_detected(step, gate):
    p, direct, formula = step
    wrong = formula["dh"] - formula["Delta"][gate] * p[f"W_h{gate}"]
    assert sympy.expand(direct["dh"] - wrong) != 0


def test_dropping_a_cell_path_is_detected(step):
    p, direct, formula = step
    s, st = direct["symbols"], direct["step"]
    on_c = {s["h"]: s["o"] * S.tau(s["c"])}
    no_forget_path = formula["dc"] - (s["dc_next"] * st["f"]).subs(on_c)
    no_hidden_path = formula["dc"] - (formula["dh"] * s["o"] * S.tau_prime(s["c"])).subs(on_c)
    assert sympy.expand(direct["dc"] - no_forget_path) != 0
    assert sympy.expand(direct["dc"] - no_hidden_path) != 0


def test_latex_psi_prints_psi_and_leaves_the_expression_alone(step):
    _, _, formula = step
    text = S.latex_psi(formula["dh"])
    assert r"\psi" in text and r"\tau" not in text
    assert r"\tau" in sympy.latex(formula["dh"])


def _scalar_run(seed=11, T=3):
    rng = np.random.default_rng(seed)
    params = lstm.init_params(1, 1, 1, seed=seed)
    for key in params:
        params[key] = rng.normal(size=params[key].shape)
    X = rng.normal(size=(T, 1, 1))
    Y = rng.normal(size=(T, 1, 1))
    _, cache = lstm.forward(params, X, Y, loss="mse", h0=np.array([[0.2]]), c0=np.array([[-0.3]]))
    return params, cache


def test_the_formula_with_sigmoid_and_tanh_matches_error_signals(step):
    p, direct, formula = step
    s = direct["symbols"]
    params, cache = _scalar_run()
    sig = lstm.error_signals(params, cache)
    G = cache.dO[:, 0] @ params["W_yh"].T                      # (T, H)
    for t in (1, 2):
        values = {p[k]: float(params[k].ravel()[0]) for k in p}
        values.update({s["h"]: float(cache.h[t, 0, 0]), s["c"]: float(cache.c[t, 0, 0]),
                       s["o"]: float(cache.g_o[t - 1, 0, 0]), s["x"]: float(cache.X[t, 0, 0]),
                       s["G"]: float(G[t - 1, 0]), s["dh_next"]: float(sig["h"][t + 1, 0, 0]),
                       s["dc_next"]: float(sig["c"][t + 1, 0, 0])})
        for key, want in (("dh", sig["h"][t, 0, 0]), ("dc", sig["c"][t, 0, 0])):
            got = float(S.substitute_lstm(formula[key]).subs(values).evalf())
            assert abs(got - want) < 1e-12 * max(1.0, abs(want))


def _loss_from_state(params, X, Y, t, h_t, c_t, loss, mask):
    """Σ_{j ≥ t} L_j with the state at step t set to (h_t, C_t) (independent inputs)."""
    T, m = X.shape[:2]
    total = 0.0
    if t >= 1:
        s_t = h_t @ params["W_yh"] + params["b_y"]
        total += loss_and_dlogits(s_t[None], Y[t - 1:t], loss, mask[t - 1:t] / m)[0]
    if t < T:
        total += lstm.forward(params, X[t:], Y[t:], h0=h_t, c0=c_t, loss=loss,
                              loss_mask=mask[t:])[0]
    return total


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
def test_error_signals_match_differences_of_a_restarted_lstm(loss):
    rng = np.random.default_rng(21)
    T, m, n_in, H, n_out = 4, 2, 2, 3, 2
    params = lstm.init_params(n_in, H, n_out, seed=21)
    for key in params:
        if key.startswith("b_"):
            params[key] = rng.normal(scale=0.4, size=params[key].shape)
    X = rng.normal(size=(T, m, n_in))
    Y = rng.integers(0, n_out, size=(T, m)) if loss == "softmax_ce" else rng.normal(size=(T, m, n_out))
    h0, c0 = rng.normal(scale=0.5, size=(2, m, H))
    mask = (rng.random((T, m)) < 0.6).astype(float)
    _, cache = lstm.forward(params, X, Y, h0=h0, c0=c0, loss=loss, loss_mask=mask)
    sig = lstm.error_signals(params, cache)
    for t in range(T + 1):
        c_t = cache.c[t].copy()
        fd_h = numerical_gradient(
            lambda h: _loss_from_state(params, X, Y, t, h, c_t, loss, mask), cache.h[t].copy(), 1e-5)
        h_of = (lambda c: cache.h[0]) if t == 0 else (lambda c: cache.g_o[t - 1] * np.tanh(c))
        fd_c = numerical_gradient(
            lambda c: _loss_from_state(params, X, Y, t, h_of(c), c, loss, mask), c_t.copy(), 1e-5)
        assert rel_error(sig["h"][t], fd_h) < 1e-7
        assert rel_error(sig["c"][t], fd_c) < 1e-7


def chapter_solution(params, cache):
    """The solution of exercise ex-ch08-backward, as printed in the chapter."""
    T, m, H = cache.h.shape[0] - 1, cache.h.shape[1], cache.h.shape[2]
    G = cache.dO @ params["W_yh"].T                          # G_t = (∂L/∂s_t) W_yhᵀ
    grads = {key: np.zeros_like(value) for key, value in params.items()}
    grads["W_yh"] = np.einsum("tia,tib->ab", cache.h[1:], cache.dO)
    grads["b_y"] = cache.dO.sum(axis=(0, 1))
    dh_next = np.zeros((m, H))                               # Σ_g Δ^g_{t+1} W_hgᵀ
    dc_next = np.zeros((m, H))                               # δ^C_{t+1} ⊙ f_{t+1}
    for t in range(T, 0, -1):
        f, i, o, cc = cache.f[t - 1], cache.i[t - 1], cache.g_o[t - 1], cache.c_tilde[t - 1]
        tc = np.tanh(cache.c[t])
        dh = G[t - 1] + dh_next                              # δ^h_t
        dc = dc_next + dh * o * (1 - tc ** 2)                # δ^C_t
        Delta = {"f": dc * cache.c[t - 1] * f * (1 - f), "i": dc * cc * i * (1 - i),
                 "o": dh * tc * o * (1 - o), "c": dc * i * (1 - cc ** 2)}
        dh_next = np.zeros((m, H))
        for g, D in Delta.items():
            grads[f"W_x{g}"] += cache.X[t - 1].T @ D
            grads[f"W_h{g}"] += cache.h[t - 1].T @ D
            grads[f"b_{g}"] += D.sum(axis=0)
            dh_next += D @ params[f"W_h{g}"].T
        dc_next = dc * f
    grads["h0"], grads["c0"] = dh_next, dc_next
    return grads


def _variant(**wrong):
    """chapter_solution with one deliberate mistake."""
    def candidate(params, cache):
        T, m, H = cache.h.shape[0] - 1, cache.h.shape[1], cache.h.shape[2]
        G = cache.dO @ params["W_yh"].T
        grads = {key: np.zeros_like(value) for key, value in params.items()}
        grads["W_yh"] = np.einsum("tia,tib->ab", cache.h[1:], cache.dO)
        grads["b_y"] = cache.dO.sum(axis=(0, 1))
        dh_next, dc_next = np.zeros((m, H)), np.zeros((m, H))
        for t in range(T, 0, -1):
            f, i, o, cc = cache.f[t - 1], cache.i[t - 1], cache.g_o[t - 1], cache.c_tilde[t - 1]
            tc = np.tanh(cache.c[t])
            dh = G[t - 1] + dh_next
            dc = (0 if wrong.get("no_forget_path") else dc_next) \
                + (0 if wrong.get("no_hidden_path") else dh * o * (1 - tc ** 2))
            Delta = {"f": dc * cache.c[t - 1] * f * (1 - f), "i": dc * cc * i * (1 - i),
                     "o": (dc if wrong.get("output_gate_from_dc") else dh) * tc * o * (1 - o),
                     "c": dc * i * (1 - cc ** 2)}
            dh_next = np.zeros((m, H))
            for g, D in Delta.items():
                grads[f"W_x{g}"] += cache.X[t - 1].T @ D
                h_used = cache.h[t] if wrong.get("h_t_in_recurrent_sum") else cache.h[t - 1]
                grads[f"W_h{g}"] += h_used.T @ D
                grads[f"b_{g}"] += D.sum(axis=0)
                W = params[f"W_h{g}"]
                dh_next += D @ (W if wrong.get("no_transpose") else W.T)
            dc_next = dc * f
        grads["h0"] = np.zeros((m, H)) if wrong.get("no_h0") else dh_next
        grads["c0"] = dc_next
        return grads
    return candidate


def test_checker_accepts_the_library_and_the_chapter_solution():
    assert check_lstm_bptt(lstm.bptt) is True
    assert check_lstm_bptt(chapter_solution) is True
    assert check_lstm_bptt(_variant()) is True


@pytest.mark.parametrize("mistake", ["no_transpose", "no_forget_path", "no_hidden_path",
                                     "output_gate_from_dc", "h_t_in_recurrent_sum", "no_h0"])
def test_checker_rejects_a_wrong_backward_pass(mistake, capsys):
    assert check_lstm_bptt(_variant(**{mistake: True})) is False
    assert "not yet correct" in capsys.readouterr().out


def test_checker_rejects_missing_keys_and_exceptions(capsys):
    def no_states(params, cache):
        g = lstm.bptt(params, cache)
        return {k: v for k, v in g.items() if k not in ("h0", "c0")}

    def raises(params, cache):
        raise RuntimeError("not written yet")

    assert check_lstm_bptt(no_states) is False
    assert check_lstm_bptt(raises) is False
    out = capsys.readouterr().out
    assert "h0" in out and "RuntimeError" in out


def test_checker_cases_cover_the_edge_cases():
    from rnnlib.exercises import _lstm_bptt_cases

    cases = _lstm_bptt_cases()
    assert any(c.T == 1 for _, c in cases)
    assert any(c.m > 1 for _, c in cases) and any(c.H == 1 for _, c in cases)
    assert any(c.h0_given for _, c in cases) and any(not c.h0_given for _, c in cases)
    assert any(c.c0_given for _, c in cases) and any(not c.c0_given for _, c in cases)
    assert any(c.loss_mask is not None for _, c in cases) and any(c.loss_mask is None for _, c in cases)
    assert {c.loss_name for _, c in cases} == {"softmax_ce", "mse"}
