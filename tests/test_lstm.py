"""Tests for rnnlib.lstm: forward pass, BPTT gradients and the state Jacobians."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import lstm

EPS = 1e-5
TOL = 1e-7


def make_problem(T=4, m=3, n_in=3, H=4, n_out=5, *, loss="softmax_ce", seed=0,
                 with_state=False, with_mask=False, random_biases=True):
    """A seeded LSTM problem: (params, X, Y, h0, c0, loss_mask)."""
    rng = np.random.default_rng(seed)
    p = lstm.init_params(n_in, H, n_out, seed=seed + 1)
    if random_biases:  # non-zero biases exercise every term of the gradient
        for key in p:
            if key.startswith("b_"):
                p[key] = rng.normal(scale=0.3, size=p[key].shape)
    X = rng.normal(size=(T, m, n_in))
    Y = rng.integers(0, n_out, size=(T, m)) if loss == "softmax_ce" else rng.normal(size=(T, m, n_out))
    h0 = rng.normal(scale=0.5, size=(m, H)) if with_state else None
    c0 = rng.normal(scale=0.5, size=(m, H)) if with_state else None
    mask = None
    if with_mask:
        mask = (rng.random((T, m)) < 0.5).astype(float)
        mask[-1] = 1.0
    return p, X, Y, h0, c0, mask


def numeric_grads(p, X, Y, h0, c0, loss, mask):
    def f(_):
        return lstm.forward(p, X, Y, h0=h0, c0=c0, loss=loss, loss_mask=mask)[0]
    out = {k: rnnlib.numerical_gradient(f, p[k], EPS) for k in p}
    if h0 is not None:
        out["h0"] = rnnlib.numerical_gradient(f, h0, EPS)
        out["c0"] = rnnlib.numerical_gradient(f, c0, EPS)
    return out


# ---------------------------------------------------------------- parameters

def test_init_params_keys_shapes_and_biases():
    p = lstm.init_params(3, 4, 5, seed=0)
    assert tuple(p) == lstm.PARAM_KEYS
    for g in "fioc":
        assert p[f"W_x{g}"].shape == (3, 4) and p[f"W_h{g}"].shape == (4, 4)
        assert p[f"b_{g}"].shape == (4,) and not p[f"b_{g}"].any()
        assert p[f"W_x{g}"].dtype == np.float64
    assert p["W_yh"].shape == (4, 5) and p["b_y"].shape == (5,) and not p["b_y"].any()
    # deterministic, and different seeds differ
    q = lstm.init_params(3, 4, 5, seed=0)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    r = lstm.init_params(3, 4, 5, seed=1)
    assert not np.array_equal(p["W_hf"], r["W_hf"])


def test_init_params_scale_is_one_over_fan_in():
    p = lstm.init_params(400, 300, 2, seed=3)
    assert abs(p["W_xi"].var() - 1 / 400) < 0.1 / 400
    assert abs(p["W_hc"].var() - 1 / 300) < 0.1 / 300


def test_forget_bias_option():
    p = lstm.init_params(2, 3, 2, seed=0, forget_bias=1.5)
    np.testing.assert_array_equal(p["b_f"], np.full(3, 1.5))
    assert not p["b_i"].any() and not p["b_o"].any() and not p["b_c"].any()


# ---------------------------------------------------------------- forward

def test_forward_matches_the_equations_step_by_step():
    p, X, Y, h0, c0, _ = make_problem(T=3, m=2, with_state=True)
    L, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    h, c = h0, c0
    for t in range(1, 4):
        x = X[t - 1]
        f = sig(x @ p["W_xf"] + h @ p["W_hf"] + p["b_f"])
        i = sig(x @ p["W_xi"] + h @ p["W_hi"] + p["b_i"])
        o = sig(x @ p["W_xo"] + h @ p["W_ho"] + p["b_o"])
        cc = np.tanh(x @ p["W_xc"] + h @ p["W_hc"] + p["b_c"])
        c = f * c + i * cc
        h = o * np.tanh(c)
        np.testing.assert_allclose(cache.c[t], c, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(cache.h[t], h, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(cache.f[t - 1], f, rtol=1e-13)
        np.testing.assert_allclose(cache.g_o[t - 1], o, rtol=1e-13)
    assert cache.h.shape == (4, 2, 4) and cache.c.shape == (4, 2, 4)
    # softmax cross-entropy summed over time, averaged over the batch
    logits = cache.h[1:] @ p["W_yh"] + p["b_y"]
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, Y[..., None], -1).sum() / 2
    assert abs(L - want) < 1e-12


def test_default_states_are_zero():
    p, X, Y, *_ = make_problem(T=2, m=2)
    _, cache = lstm.forward(p, X, Y)
    assert not cache.h[0].any() and not cache.c[0].any()


def test_mse_and_mask_conventions():
    p, X, Y, _, _, _ = make_problem(T=3, m=2, loss="mse")
    mask = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    Y = Y.copy()
    Y[0] = np.nan                                  # masked steps may hold NaN
    L, cache = lstm.forward(p, X, Y, loss="mse", loss_mask=mask)
    diff = cache.o - np.nan_to_num(Y)
    want = 0.5 * ((diff ** 2).sum(-1) * mask).sum() / 2
    assert abs(L - want) < 1e-12


def test_two_forward_calls_do_not_share_memory():
    p, X, Y, h0, c0, _ = make_problem(with_state=True)
    _, c1 = lstm.forward(p, X, Y, h0=h0, c0=c0)
    _, c2 = lstm.forward(p, X, Y, h0=h0, c0=c0)
    for name in ("X", "h", "c", "f", "i", "g_o", "c_tilde", "o", "dO"):
        a, b = getattr(c1, name), getattr(c2, name)
        assert not np.shares_memory(a, b), name
        np.testing.assert_array_equal(a, b)
    assert not np.shares_memory(c1.X, X) and not np.shares_memory(c1.h[0], h0)
    before = c1.h.copy()
    c2.h[...] = 0.0
    np.testing.assert_array_equal(c1.h, before)


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
@pytest.mark.parametrize("with_mask", [False, True])
def test_bptt_gradient_check_all_keys(loss, with_mask):
    p, X, Y, h0, c0, mask = make_problem(loss=loss, with_state=True, with_mask=with_mask)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0, loss=loss, loss_mask=mask)
    g = lstm.bptt(p, cache)
    assert set(g) == set(lstm.PARAM_KEYS) | {"h0", "c0"}
    num = numeric_grads(p, X, Y, h0, c0, loss, mask)
    for key, value in num.items():
        assert g[key].shape == value.shape
        assert np.abs(value).max() > 1e-6, key          # the check is not vacuous
        assert rnnlib.rel_error(g[key], value) < TOL, key


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
def test_bptt_gradient_check_T1_and_zero_states(loss):
    p, X, Y, _, _, _ = make_problem(T=1, m=2, loss=loss)
    _, cache = lstm.forward(p, X, Y, loss=loss)
    g = lstm.bptt(p, cache)
    num = numeric_grads(p, X, Y, None, None, loss, None)
    for key, value in num.items():
        assert rnnlib.rel_error(g[key], value) < TOL, key
    # with h0 = 0 the recurrent weights get no gradient at T = 1
    for gate in "fioc":
        assert not g[f"W_h{gate}"].any()
    assert g["h0"].shape == (2, 4) and g["c0"].shape == (2, 4)


def test_masked_step_sends_no_gradient():
    p, X, Y, h0, c0, _ = make_problem(T=3, m=2, with_state=True)
    mask = np.zeros((3, 2))
    mask[0] = 1.0                       # only step 1 counts
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0, loss_mask=mask)
    g = lstm.bptt(p, cache)
    # nothing at steps 2, 3 reaches W_xf through X_2, X_3: compare with a T=1 run
    _, cache1 = lstm.forward(p, X[:1], Y[:1], h0=h0, c0=c0)
    g1 = lstm.bptt(p, cache1)
    for key in g:
        assert rnnlib.rel_error(g[key], g1[key]) < 1e-12, key


def test_error_signals_match_h0_c0_and_finite_differences():
    p, X, Y, h0, c0, _ = make_problem(T=4, m=2, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    sig = lstm.error_signals(p, cache)
    g = lstm.bptt(p, cache)
    np.testing.assert_array_equal(sig["h"][0], g["h0"])
    np.testing.assert_array_equal(sig["c"][0], g["c0"])
    assert sig["h"].shape == (5, 2, 4) and sig["c"].shape == (5, 2, 4)
    # δ^C_T = δ^h_T ⊙ o_T ⊙ tanh'(C_T) at the last step
    tc = np.tanh(cache.c[4])
    np.testing.assert_allclose(sig["c"][4], sig["h"][4] * cache.g_o[3] * (1 - tc ** 2), rtol=1e-12)


# ---------------------------------------------------------------- Jacobians

def _step(p, x, h, c):
    """One LSTM step in plain numpy (independent of the library)."""
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    f = sig(x @ p["W_xf"] + h @ p["W_hf"] + p["b_f"])
    i = sig(x @ p["W_xi"] + h @ p["W_hi"] + p["b_i"])
    o = sig(x @ p["W_xo"] + h @ p["W_ho"] + p["b_o"])
    cc = np.tanh(x @ p["W_xc"] + h @ p["W_hc"] + p["b_c"])
    c_new = f * c + i * cc
    return o * np.tanh(c_new), c_new


def _fd_jacobian(fun, x, eps=EPS):
    """Per-example Jacobian of fun: (m, n) -> (m, k) by central differences: (m, k, n)."""
    m, n = x.shape
    cols = []
    for b in range(n):
        e = np.zeros_like(x)
        e[:, b] = eps
        cols.append((fun(x + e) - fun(x - e)) / (2 * eps))
    return np.stack(cols, axis=-1)


def test_cell_state_jacobian_full_against_finite_differences():
    p, X, Y, h0, c0, _ = make_problem(T=4, m=3, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    for t in (2, 3, 4):
        o_prev = cache.g_o[t - 2]                      # o_{t−1}, held fixed

        def C_t(c_prev, t=t, o_prev=o_prev):
            return _step(p, X[t - 1], o_prev * np.tanh(c_prev), c_prev)[1]

        J = lstm.cell_state_jacobian(p, cache, t)
        num = _fd_jacobian(C_t, cache.c[t - 1])
        assert J.shape == (3, 4, 4)
        assert rnnlib.rel_error(J, num) < TOL
        # and it is not just the diagonal forget gate
        assert rnnlib.rel_error(J, lstm.cell_state_jacobian(p, cache, t, full=False)) > 1e-3


def test_cell_state_jacobian_t1_rule_and_full_false():
    p, X, Y, h0, c0, _ = make_problem(T=3, m=2, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    want = np.stack([np.diag(cache.f[0][i]) for i in range(2)])
    np.testing.assert_array_equal(lstm.cell_state_jacobian(p, cache, 1), want)
    # h_0 is given, so moving C_0 changes C_1 only through f_1 ⊙ C_0
    num = _fd_jacobian(lambda c: _step(p, X[0], h0, c)[1], c0)
    assert rnnlib.rel_error(want, num) < TOL
    for t in (1, 2, 3):
        approx = lstm.cell_state_jacobian(p, cache, t, full=False)
        np.testing.assert_array_equal(approx, np.stack([np.diag(cache.f[t - 1][i]) for i in range(2)]))


def test_state_jacobian_against_finite_differences():
    p, X, Y, h0, c0, _ = make_problem(T=3, m=2, H=3, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    H = 3
    for t in (1, 2, 3):
        def s_t(s_prev, t=t):
            h, c = _step(p, X[t - 1], s_prev[:, :H], s_prev[:, H:])
            return np.concatenate([h, c], axis=1)

        S = lstm.state_jacobian(p, cache, t)
        num = _fd_jacobian(s_t, np.concatenate([cache.h[t - 1], cache.c[t - 1]], axis=1))
        assert S.shape == (2, 2 * H, 2 * H)
        assert rnnlib.rel_error(S, num) < TOL


def test_state_jacobian_products_are_exact_multi_step_derivatives():
    p, X, Y, h0, c0, _ = make_problem(T=5, m=2, H=3, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    H, t, k = 3, 5, 1

    def s_t_of_s_k(s_k):
        h, c = s_k[:, :H], s_k[:, H:]
        for j in range(k + 1, t + 1):
            h, c = _step(p, X[j - 1], h, c)
        return np.concatenate([h, c], axis=1)

    P = lstm.state_jacobian_product(p, cache, t, k)
    num = _fd_jacobian(s_t_of_s_k, np.concatenate([cache.h[k], cache.c[k]], axis=1))
    assert rnnlib.rel_error(P, num) < TOL
    np.testing.assert_array_equal(lstm.state_jacobian_product(p, cache, 2, 2),
                                  np.broadcast_to(np.eye(2 * H), (2, 2 * H, 2 * H)))


def test_cell_state_derivative_is_exact_and_the_product_is_not():
    p, X, Y, h0, c0, _ = make_problem(T=5, m=2, H=3, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    t, k = 5, 2
    o_k = cache.g_o[k - 1]

    def C_t_of_C_k(c_k):
        h, c = o_k * np.tanh(c_k), c_k
        for j in range(k + 1, t + 1):
            h, c = _step(p, X[j - 1], h, c)
        return c

    exact = lstm.cell_state_derivative(p, cache, t, k)
    num = _fd_jacobian(C_t_of_C_k, cache.c[k])
    assert rnnlib.rel_error(exact, num) < TOL
    # one step: the two agree; several steps: the product misses the o_{j-1} paths
    np.testing.assert_allclose(lstm.cell_state_derivative(p, cache, 3, 2),
                               lstm.cell_state_jacobian(p, cache, 3), rtol=1e-12, atol=1e-15)
    product = lstm.cell_state_jacobian_product(p, cache, t, k)
    assert rnnlib.rel_error(product, exact) > 1e-3


def test_scalar_example_gap_is_reproducible():
    """The chapter's scalar example: params seed 39, inputs from default_rng(1039).

    Over 3 steps (C_1 -> C_4) the product of one-step cell Jacobians gives 0.722407
    while the exact derivative is 0.699849; the forget gates alone give 0.110147.
    """
    rng = np.random.default_rng(1039)
    p = lstm.init_params(1, 1, 1, seed=39)
    X = rng.normal(size=(4, 1, 1))
    _, cache = lstm.forward(p, X, np.zeros((4, 1, 1)), loss="mse")
    product = lstm.cell_state_jacobian_product(p, cache, 4, 1)[0, 0, 0]
    exact = lstm.cell_state_derivative(p, cache, 4, 1)[0, 0, 0]
    forget = lstm.cell_state_jacobian_product(p, cache, 4, 1, full=False)[0, 0, 0]
    assert abs(product - 0.722407) < 1e-6
    assert abs(exact - 0.699849) < 1e-6
    assert abs(forget - 0.110147) < 1e-6
    assert abs(lstm.numerical_cell_state_derivative(p, cache, 4, 1)[0, 0, 0] - exact) < 1e-8
    # one of the one-step factors exceeds 1 although every forget gate is below 1/2
    assert lstm.cell_state_jacobian(p, cache, 3)[0, 0, 0] > 1.0 and cache.f.max() < 0.5


# ---------------------------------------------------------------- bad input

def _good():
    p, X, Y, h0, c0, _ = make_problem(T=2, m=2, H=3, with_state=True)
    return p, X, Y, h0, c0


@pytest.mark.parametrize("case, name", [
    ("X_shape", "X"), ("X_nan", "X"), ("T0", "X"), ("Y_shape", "Y"), ("Y_range", "Y"),
    ("h0_shape", "h0"), ("c0_shape", "c0"), ("c0_nan", "c0"), ("loss", "loss"),
    ("missing_key", "W_hc"), ("bad_shape", "W_xo"), ("nan_param", "b_i"),
    ("mask_shape", "loss_mask"),
])
def test_bad_input_raises_named_value_error(case, name):
    p, X, Y, h0, c0 = _good()
    kw = dict(h0=h0, c0=c0)
    if case == "X_shape":
        X = X[..., :2]
    elif case == "X_nan":
        X = X.copy(); X[0, 0, 0] = np.nan
    elif case == "T0":
        X, Y = X[:0], Y[:0]
    elif case == "Y_shape":
        Y = Y[:1]
    elif case == "Y_range":
        Y = Y.copy(); Y[0, 0] = 99
    elif case == "h0_shape":
        kw["h0"] = h0[:, :2]
    elif case == "c0_shape":
        kw["c0"] = c0[:1]
    elif case == "c0_nan":
        kw["c0"] = np.full_like(c0, np.inf)
    elif case == "loss":
        kw["loss"] = "hinge"
    elif case == "missing_key":
        p = dict(p); del p["W_hc"]
    elif case == "bad_shape":
        p = dict(p); p["W_xo"] = p["W_xo"][:, :2]
    elif case == "nan_param":
        p = dict(p); p["b_i"] = np.array([0.0, np.nan, 0.0])
    elif case == "mask_shape":
        kw["loss_mask"] = np.ones((3, 2))
    with pytest.raises(ValueError, match=rf"^{name}\b.*expected.*got"):
        lstm.forward(p, X, Y, **kw)


def test_bad_cache_and_time_index():
    p, X, Y, h0, c0 = _good()
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    vp = rnnlib.init_params(3, 3, 5)
    _, vcache = rnnlib.forward(vp, X, Y)
    with pytest.raises(ValueError, match=r"^cache\b"):
        lstm.bptt(p, vcache)
    with pytest.raises(ValueError, match=r"^t\b.*expected.*got"):
        lstm.cell_state_jacobian(p, cache, 0)
    with pytest.raises(ValueError, match=r"^t\b.*expected.*got"):
        lstm.state_jacobian(p, cache, 3)
    with pytest.raises(ValueError, match=r"^full\b"):
        lstm.cell_state_jacobian(p, cache, 1, full="yes")
    with pytest.raises(ValueError, match=r"^k\b"):
        lstm.state_jacobian_product(p, cache, 1, 2)
    with pytest.raises(ValueError, match=r"^n_hidden\b"):
        lstm.init_params(2, 0, 2)
    with pytest.raises(ValueError, match=r"^forget_bias\b"):
        lstm.init_params(2, 2, 2, forget_bias=float("nan"))


def test_top_level_access():
    assert rnnlib.lstm is lstm


def test_check_gradients_helper_reports_small_errors_and_catches_a_wrong_gradient():
    p, X, Y, h0, c0, _ = make_problem(T=3, m=2, H=3, with_state=True)
    errs = lstm.check_gradients(p, X, Y, h0=h0, c0=c0)
    assert set(errs) == set(lstm.PARAM_KEYS) | {"h0", "c0"}
    assert max(errs.values()) < TOL
    # a deliberately wrong parameter set-up is caught: perturbing W_yh changes the loss,
    # so comparing bptt at one point with differences at another must fail
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    g = lstm.bptt(p, cache)
    q = dict(p, W_yh=p["W_yh"] * 1.5)
    num = rnnlib.numerical_gradient(lambda _: lstm.forward(q, X, Y, h0=h0, c0=c0)[0], q["W_yh"], EPS)
    assert rnnlib.rel_error(g["W_yh"], num) > 1e-3


def test_numerical_cell_state_derivative_matches_the_exact_ones():
    p, X, Y, h0, c0, _ = make_problem(T=5, m=2, H=3, with_state=True)
    _, cache = lstm.forward(p, X, Y, h0=h0, c0=c0)
    for t in (1, 3, 5):
        num = lstm.numerical_cell_state_derivative(p, cache, t, t - 1)
        assert rnnlib.rel_error(lstm.cell_state_jacobian(p, cache, t), num) < TOL
    for k in (0, 1, 3):
        num = lstm.numerical_cell_state_derivative(p, cache, 5, k)
        assert rnnlib.rel_error(lstm.cell_state_derivative(p, cache, 5, k), num) < TOL
    with pytest.raises(ValueError, match=r"^k\b"):
        lstm.numerical_cell_state_derivative(p, cache, 3, 3)


def test_exercise_checker_accepts_the_reference_and_rejects_the_forget_gate_approximation(capsys):
    from rnnlib.exercises import check_cell_state_jacobian

    assert check_cell_state_jacobian(lstm.cell_state_jacobian) is True
    assert check_cell_state_jacobian(
        lambda p, c, t: lstm.cell_state_jacobian(p, c, t, full=False)) is False
    assert "not yet correct" in capsys.readouterr().out
