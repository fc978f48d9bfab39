"""rnnlib.terms: the (t, k) terms of the BPTT double sum; and the exercise checkers."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import problems, truncation
from rnnlib import terms as tk

from problems import make_problem

KEYS = ("W_hh", "W_xh", "b_h")


def _setup(activation="tanh", loss="softmax_ce", with_h0=False, with_mask=False, T=4, seed=0):
    params, X, Y, h0, mask = make_problem(T=T, activation=activation, loss=loss, seed=seed,
                                          with_h0=with_h0, with_mask=with_mask)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss=loss, loss_mask=mask)
    return params, X, Y, h0, mask, cache


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("key", KEYS)
def test_terms_sum_to_bptt(activation, with_h0, key):
    params, *_, cache = _setup(activation=activation, with_h0=with_h0)
    terms = tk.term_tensor(params, cache, key)
    ref = rnnlib.bptt(params, cache)[key]
    assert terms.shape == (cache.T, cache.T) + params[key].shape
    assert rnnlib.rel_error(terms.sum(axis=(0, 1)), ref) < 1e-12
    # summing term_matrix one pair at a time gives the same
    total = sum(tk.term_matrix(params, cache, key, t, k)
                for t in range(1, cache.T + 1) for k in range(1, t + 1))
    assert rnnlib.rel_error(total, ref) < 1e-12


@pytest.mark.parametrize("key", KEYS)
def test_term_matrix_matches_term_tensor_and_upper_half_is_zero(key):
    params, *_, cache = _setup(loss="mse", with_mask=True)
    terms = tk.term_tensor(params, cache, key)
    for t in range(1, cache.T + 1):
        for k in range(1, cache.T + 1):
            if k <= t:
                assert rnnlib.rel_error(tk.term_matrix(params, cache, key, t, k), terms[t - 1, k - 1]) < 1e-13
            else:
                assert not terms[t - 1, k - 1].any()


@pytest.mark.parametrize("key", KEYS)
def test_single_term_matches_finite_differences_of_a_per_step_copy(key):
    """The (t, k) term is ∂L_t/∂θ^(k): θ used at step k only, everything else fixed.

    Perturb the copy of θ used at step k alone (a hand-rolled unrolled forward with
    per-step weights) and difference the loss of step t only.
    """
    params, X, Y, h0, _, cache = _setup(loss="mse", with_h0=True)
    T = cache.T

    def loss_t_with_copy(theta_k, t, k):
        h = h0.copy()
        for s in range(1, t + 1):
            p = dict(params)
            if s == k:
                p[key] = theta_k
            h = np.tanh(X[s - 1] @ p["W_xh"] + h @ p["W_hh"] + p["b_h"])
        o = h @ params["W_yh"] + params["b_y"]
        return 0.5 * ((o - Y[t - 1]) ** 2).sum() / X.shape[1]

    for t, k in [(T, 1), (T, T), (3, 2), (2, 1)]:
        theta = params[key].copy()
        num = rnnlib.numerical_gradient(lambda th: loss_t_with_copy(th, t, k), theta, eps=1e-5)
        got = tk.term_matrix(params, cache, key, t, k)
        assert rnnlib.rel_error(got, num) < 1e-7, (t, k)


def test_k1_term_of_W_hh_vanishes_iff_h0_is_zero():
    for with_h0 in (False, True):
        params, *_, cache = _setup(with_h0=with_h0)
        first_column = tk.term_contributions(params, cache, "W_hh")[:, 0]
        if with_h0:
            assert (first_column > 1e-6).all()
        else:
            assert not first_column.any()
    # for W_xh the k = 1 terms never vanish: X_1 is always there
    params, *_, cache = _setup(with_h0=False)
    assert (tk.term_contributions(params, cache, "W_xh")[:, 0] > 1e-6).all()


def test_contributions_are_frobenius_norms_and_lower_triangular():
    params, *_, cache = _setup(T=5)
    for key in KEYS:
        norms = tk.term_contributions(params, cache, key)
        terms = tk.term_tensor(params, cache, key)
        assert norms.shape == (5, 5)
        assert np.allclose(norms[3, 1], np.linalg.norm(terms[3, 1]))
        assert not np.triu(norms, 1).any()
        assert (np.tril(norms) >= 0).all()


def test_diagonal_is_the_immediate_term_only():
    """term(t, t) uses no Jacobian factor: inp_tᵀ (G_t ⊙ φ'(a_t))."""
    params, X, *_, cache = _setup()
    G = cache.dO @ params["W_yh"].T                      # G_t = (∂L/∂o_t) W_yhᵀ
    t = 3
    da = G[t - 1] * (1 - cache.h[t] ** 2)
    assert np.allclose(tk.term_matrix(params, cache, "W_hh", t, t), cache.h[t - 1].T @ da, atol=1e-15)
    assert np.allclose(tk.term_matrix(params, cache, "W_xh", t, t), X[t - 1].T @ da, atol=1e-15)
    assert np.allclose(tk.term_matrix(params, cache, "b_h", t, t), da.sum(axis=0), atol=1e-15)


def test_step_contributions_equal_norm_of_delta_form():
    params, *_, cache = _setup(T=5, with_h0=True)
    s = tk.step_contributions(params, cache, "W_xh")
    terms = tk.term_tensor(params, cache, "W_xh").sum(axis=0)
    assert s.shape == (5,)
    assert np.allclose(s, [np.linalg.norm(terms[k]) for k in range(5)])
    assert rnnlib.rel_error(terms.sum(axis=0), rnnlib.bptt(params, cache)["W_xh"]) < 1e-12


@pytest.mark.parametrize("tau", [0, 1, 2, 3, 10])
@pytest.mark.parametrize("key", KEYS)
def test_truncation_mask_reproduces_truncated_bptt(tau, key):
    params, *_, cache = _setup(T=5, with_h0=True)
    keep = truncation.kept_by_truncation(cache.T, tau)
    terms = tk.term_tensor(params, cache, key)
    got = (terms * keep.reshape(keep.shape + (1,) * (terms.ndim - 2))).sum(axis=(0, 1))
    assert rnnlib.rel_error(got, rnnlib.bptt(params, cache, truncate=tau)[key]) < 1e-12


def test_kept_by_truncation_values():
    keep = truncation.kept_by_truncation(4, 1)
    expected = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], bool)
    assert (keep == expected).all()
    assert (truncation.kept_by_truncation(3, None) == np.tril(np.ones((3, 3), bool))).all()
    assert (truncation.kept_by_truncation(3, 0) == np.eye(3, dtype=bool)).all()


def test_scaled_problem_has_requested_spectral_norm_and_mask():
    params, cache = problems.scaled_problem(6, scale=1.7, h0_scale=0.5, last_only=True)
    assert np.allclose(np.linalg.svd(params["W_hh"], compute_uv=False), 1.7)
    assert cache.h0_given and np.abs(cache.h[0]).max() > 0
    assert cache.dO[:-1].any() == False and cache.dO[-1].any()  # noqa: E712
    p2, c2 = problems.scaled_problem(6, scale=1.7, h0_scale=0.5, last_only=True)
    assert np.array_equal(cache.h, c2.h)            # seeded


def test_bad_input_names_the_argument():
    params, *_, cache = _setup()
    with pytest.raises(ValueError, match=r"^key: expected one of 'W_hh', 'W_xh', 'b_h', got str 'W_yh'"):
        tk.term_contributions(params, cache, "W_yh")
    with pytest.raises(ValueError, match=r"^key: "):
        tk.term_tensor(params, cache, None)
    with pytest.raises(ValueError, match=r"^t: expected an integer in \[1, 4\], got 0"):
        tk.term_matrix(params, cache, "W_hh", 0, 1)
    with pytest.raises(ValueError, match=r"^k: expected an integer in \[1, 2\], got 3"):
        tk.term_matrix(params, cache, "W_hh", 2, 3)
    with pytest.raises(ValueError, match=r"^cache: "):
        tk.term_contributions(params, "not a cache")
    bad = dict(params)
    del bad["W_hh"]
    with pytest.raises(ValueError, match=r"^W_hh: "):
        tk.path_errors(bad, cache)
    with pytest.raises(ValueError, match=r"^T: expected an integer >= 1, got 0"):
        truncation.kept_by_truncation(0, 1)
    with pytest.raises(ValueError, match=r"^truncate: "):
        truncation.kept_by_truncation(3, -1)
    with pytest.raises(ValueError, match=r"^scale: "):
        problems.scaled_problem(3, scale=float("nan"))
    with pytest.raises(ValueError, match=r"^h0_scale: "):
        problems.scaled_problem(3, h0_scale=-1.0)


def test_exercise_checkers_accept_right_and_reject_wrong_answers(capsys):
    from rnnlib.exercises import check_input_gradients, check_recurrent_double_sum

    assert check_recurrent_double_sum(lambda p, c: rnnlib.bptt_sum_of_products(p, c)["W_hh"])
    # dropping the k = 1 terms is right only when h_0 = 0, and the checker has h_0 ≠ 0 cases
    assert not check_recurrent_double_sum(
        lambda p, c: tk.term_tensor(p, c, "W_hh")[:, 1:].sum(axis=(0, 1)))
    assert not check_recurrent_double_sum(lambda p, c: rnnlib.bptt(p, c, truncate=1)["W_hh"])

    def right(p, c, DA):
        T, m, H = DA.shape
        return {"W_xh": c.X.reshape(T * m, -1).T @ DA.reshape(T * m, H), "b_h": DA.sum(axis=(0, 1))}

    assert check_input_gradients(right)
    assert not check_input_gradients(lambda p, c, DA: {"W_xh": c.X[-1].T @ DA[-1], "b_h": DA.sum(axis=(0, 1))})
    assert "not yet correct" in capsys.readouterr().out


def test_lag_norms_are_the_norms_of_the_subdiagonals():
    C = np.array([[1.0, 0.0, 0.0], [3.0, 4.0, 0.0], [2.0, 6.0, 12.0]])
    np.testing.assert_allclose(tk.lag_norms(C), [np.sqrt(1 + 16 + 144), np.sqrt(9 + 36), 2.0], rtol=1e-15)
    assert tk.lag_norms(np.ones((1, 1))).tolist() == [1.0]
    for bad in (np.ones((2, 3)), np.ones(3), [[np.nan]]):
        with pytest.raises(ValueError, match=r"^C: expected"):
            tk.lag_norms(bad)
