"""Tests for rnnlib.gru: the contract, the forward pass, BPTT, the Jacobians and the shortcut."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import comparison, gru
from rnnlib.problems import random_problem

EPS = 1e-5
TOL = 1e-7


def make_problem(T=4, m=3, n_in=3, H=4, n_out=5, *, loss="softmax_ce", seed=0, with_h0=False,
                 with_mask=False, random_biases=True):
    """A seeded GRU problem: (params, X, Y, h0, loss_mask); data from random_problem."""
    prob = random_problem(T, m, n_in, H, n_out, seed=seed, loss=loss, h0_scale=0.5 if with_h0 else 0.0,
                          mask=0.5 if with_mask else None)
    p = gru.init_params(n_in, H, n_out, seed=seed + 1)
    if random_biases:  # non-zero biases exercise every term of the gradient
        rng = np.random.default_rng(seed + 2)
        for key in ("b_z", "b_r", "b_h", "b_y"):
            p[key] = rng.normal(scale=0.5, size=p[key].shape)
    return p, prob.X, prob.Y, prob.h0, prob.loss_mask


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def step(p, x, h):
    """One GRU step in plain numpy, independent of the library: (z, r, h̃, h_new)."""
    z = sig(x @ p["W_xz"] + h @ p["W_hz"] + p["b_z"])
    r = sig(x @ p["W_xr"] + h @ p["W_hr"] + p["b_r"])
    c = np.tanh(x @ p["W_xh"] + (r * h) @ p["W_hh"] + p["b_h"])
    return z, r, c, z * h + (1 - z) * c


def fd_jacobian(fun, x, eps=EPS):
    """Per-example Jacobian of fun: (m, n) -> (m, k) by central differences, (m, k, n)."""
    cols = []
    for b in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, b] = eps
        cols.append((fun(x + e) - fun(x - e)) / (2 * eps))
    return np.stack(cols, axis=-1)


# ---------------------------------------------------------------- parameters

def test_param_keys_are_the_contract():
    assert gru.PARAM_KEYS == ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h",
                              "W_yh", "b_y")


def test_init_params_keys_shapes_scale_and_determinism():
    p = gru.init_params(3, 4, 5, seed=0)
    assert tuple(p) == gru.PARAM_KEYS
    for g in "zrh":
        assert p[f"W_x{g}"].shape == (3, 4) and p[f"W_h{g}"].shape == (4, 4)
        assert p[f"b_{g}"].shape == (4,) and not p[f"b_{g}"].any()
    assert p["W_yh"].shape == (4, 5) and p["b_y"].shape == (5,) and not p["b_y"].any()
    assert all(v.dtype == np.float64 for v in p.values())
    q = gru.init_params(3, 4, 5, seed=0)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert not np.array_equal(p["W_hh"], gru.init_params(3, 4, 5, seed=1)["W_hh"])
    big = gru.init_params(400, 300, 200, seed=3)
    assert abs(big["W_xr"].var() - 1 / 400) < 0.1 / 400
    assert abs(big["W_hz"].var() - 1 / 300) < 0.1 / 300
    assert abs(big["W_yh"].var() - 1 / 300) < 0.1 / 300


def test_update_bias_option():
    p = gru.init_params(2, 3, 2, seed=0, update_bias=2.5)
    np.testing.assert_array_equal(p["b_z"], np.full(3, 2.5))
    assert not p["b_r"].any() and not p["b_h"].any()
    np.testing.assert_array_equal(p["W_hz"], gru.init_params(2, 3, 2, seed=0)["W_hz"])
    with pytest.raises(ValueError, match=r"^update_bias\b.*expected.*got"):
        gru.init_params(2, 3, 2, update_bias=float("inf"))


# ---------------------------------------------------------------- forward

def test_forward_matches_the_equations_step_by_step():
    p, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    L, cache = gru.forward(p, X, Y, h0=h0)
    h = h0
    for t in range(1, 4):
        z, r, c, h = step(p, X[t - 1], h)
        np.testing.assert_allclose(cache.h[t], h, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(cache.z[t - 1], z, rtol=1e-13)
        np.testing.assert_allclose(cache.r[t - 1], r, rtol=1e-13)
        np.testing.assert_allclose(cache.h_tilde[t - 1], c, rtol=1e-13, atol=1e-14)
    assert cache.h.shape == (4, 2, 4)
    np.testing.assert_array_equal(cache.h[0], h0)
    logits = cache.h[1:] @ p["W_yh"] + p["b_y"]
    np.testing.assert_allclose(cache.o, logits, rtol=1e-13)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, Y[..., None], -1).sum() / 2     # summed over t, mean over m
    assert abs(L - want) < 1e-12 and cache.loss == L


def test_default_h0_is_zero_and_convexity_bounds_the_state():
    p, X, Y, _, _ = make_problem(T=6, m=2)
    _, cache = gru.forward(p, X, Y)
    assert not cache.h[0].any() and not cache.h0_given
    assert np.abs(cache.h).max() < 1.0                 # convex combinations of 0 and tanh values


def test_mse_and_mask_conventions():
    p, X, Y, _, _ = make_problem(T=3, m=2, loss="mse")
    mask = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    Y = Y.copy()
    Y[0] = np.nan                                       # masked steps may hold NaN
    L, cache = gru.forward(p, X, Y, loss="mse", loss_mask=mask)
    diff = cache.o - np.nan_to_num(Y)
    assert abs(L - 0.5 * ((diff ** 2).sum(-1) * mask).sum() / 2) < 1e-12


def test_two_forward_calls_do_not_share_memory():
    p, X, Y, h0, _ = make_problem(with_h0=True)
    _, c1 = gru.forward(p, X, Y, h0=h0)
    _, c2 = gru.forward(p, X, Y, h0=h0)
    for name in ("X", "h", "z", "r", "h_tilde", "o", "dO"):
        a, b = getattr(c1, name), getattr(c2, name)
        assert not np.shares_memory(a, b), name
        np.testing.assert_array_equal(a, b)
    assert not np.shares_memory(c1.X, X) and not np.shares_memory(c1.h[0], h0)
    for name in ("z", "r", "h_tilde"):
        assert not np.shares_memory(getattr(c1, name), c1.h), name


def test_top_level_access_is_lazy_and_the_same_module():
    assert rnnlib.gru is gru
    assert set(gru.__all__) >= {"PARAM_KEYS", "init_params", "forward", "bptt", "jacobian",
                                "jacobian_product"}


# ---------------------------------------------------------------- gradients

def numeric_grads(p, X, Y, h0, loss, mask):
    def f(_):
        return gru.forward(p, X, Y, h0=h0, loss=loss, loss_mask=mask)[0]
    out = {k: rnnlib.numerical_gradient(f, p[k], EPS) for k in p}
    if h0 is not None:
        out["h0"] = rnnlib.numerical_gradient(f, h0, EPS)
    return out


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("with_mask", [False, True])
def test_bptt_gradient_check_all_keys(loss, with_h0, with_mask):
    p, X, Y, h0, mask = make_problem(loss=loss, with_h0=with_h0, with_mask=with_mask, seed=3)
    _, cache = gru.forward(p, X, Y, h0=h0, loss=loss, loss_mask=mask)
    g = gru.bptt(p, cache)
    assert tuple(g) == gru.PARAM_KEYS + ("h0",)
    assert g["h0"].shape == (3, 4)
    num = numeric_grads(p, X, Y, h0, loss, mask)
    for key, value in num.items():
        assert g[key].shape == value.shape
        assert np.abs(value).max() > 1e-6, key           # the check is not vacuous
        assert rnnlib.rel_error(g[key], value) < TOL, key
    if not with_h0:                                       # the gradient for h_0 exists all the same
        h0z = np.zeros((3, 4))
        num0 = rnnlib.numerical_gradient(
            lambda h: gru.forward(p, X, Y, h0=h, loss=loss, loss_mask=mask)[0], h0z, EPS)
        assert rnnlib.rel_error(g["h0"], num0) < TOL


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
@pytest.mark.parametrize("m", [1, 2])
def test_bptt_gradient_check_T1_and_m1(loss, m):
    p, X, Y, _, _ = make_problem(T=1, m=m, loss=loss)
    _, cache = gru.forward(p, X, Y, loss=loss)
    g = gru.bptt(p, cache)
    num = numeric_grads(p, X, Y, None, loss, None)
    for key, value in num.items():
        assert rnnlib.rel_error(g[key], value) < TOL, key
    # with h0 = 0 the recurrent weights get no gradient at T = 1 (their input is h_0)
    for key in ("W_hz", "W_hr", "W_hh"):
        assert not g[key].any(), key


def test_bptt_with_h0_and_m1_long_sequence():
    p, X, Y, h0, mask = make_problem(T=9, m=1, H=3, with_h0=True, with_mask=True, seed=7)
    errs = gru.check_gradients(p, X, Y, h0=h0, loss_mask=mask)
    assert set(errs) == set(gru.PARAM_KEYS) | {"h0"}
    assert max(errs.values()) < TOL


def test_masked_steps_send_no_gradient():
    p, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    mask = np.zeros((3, 2))
    mask[0] = 1.0                                       # only step 1 counts
    g = gru.bptt(p, gru.forward(p, X, Y, h0=h0, loss_mask=mask)[1])
    g1 = gru.bptt(p, gru.forward(p, X[:1], Y[:1], h0=h0)[1])
    for key in g:
        assert rnnlib.rel_error(g[key], g1[key]) < 1e-12, key


def test_bptt_returns_fresh_arrays():
    p, X, Y, h0, _ = make_problem(with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    g1, g2 = gru.bptt(p, cache), gru.bptt(p, cache)
    for key in g1:
        assert not np.shares_memory(g1[key], g2[key]), key
        assert not np.shares_memory(g1[key], cache.h), key


def test_error_signals_match_restart_differences():
    p, X, Y, h0, mask = make_problem(T=4, m=2, loss="mse", with_h0=True, with_mask=True, seed=5)
    kw = {"loss": "mse", "loss_mask": mask}
    _, cache = gru.forward(p, X, Y, h0=h0, **kw)
    delta = gru.error_signals(p, cache)
    assert delta.shape == (5, 2, 4)
    np.testing.assert_array_equal(delta[0], gru.bptt(p, cache)["h0"])
    for t in range(5):
        fd = rnnlib.numerical_gradient(lambda h: gru.loss_from_state(p, X, Y, t, h, **kw),
                                       cache.h[t].copy(), EPS)
        assert rnnlib.rel_error(delta[t], fd) < TOL, t
    # δ_T = G_T: only the last step's own output error
    np.testing.assert_allclose(delta[4], cache.dO[3] @ p["W_yh"].T, rtol=1e-13)
    # the restarted loss at t = 0 is the whole loss, and at t = T only L_T
    assert abs(gru.loss_from_state(p, X, Y, 0, h0, **kw) - cache.loss) < 1e-12


def test_check_gradients_catches_a_wrong_gradient():
    p, X, Y, h0, _ = make_problem(T=3, m=2, H=3, with_h0=True)

    def wrong(params, cache):
        g = gru.bptt(params, cache)
        g["W_hr"] = g["W_hr"].T                         # a dropped transpose
        return g

    errs = rnnlib.check_gradients(p, X, Y, wrong, forward_fn=gru.forward, h0=h0)
    assert errs["W_hr"] > 1e-3 and errs["W_hz"] < TOL


# ---------------------------------------------------------------- Jacobians

def test_jacobian_against_central_differences_of_a_restarted_cell():
    p, X, Y, h0, _ = make_problem(T=4, m=3, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    for t in range(1, 5):
        J = gru.jacobian(p, cache, t)
        assert J.shape == (3, 4, 4)
        num = fd_jacobian(lambda h, t=t: step(p, X[t - 1], h)[3], cache.h[t - 1])
        assert rnnlib.rel_error(J, num) < TOL, t
        np.testing.assert_allclose(gru.numerical_jacobian_product(p, cache, t, t - 1), num,
                                   rtol=1e-8, atol=1e-10)


def test_four_paths_add_up_and_each_matters():
    p, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    paths = gru.jacobian_paths(p, cache, 2)
    assert tuple(paths) == gru.PATHS
    J = gru.jacobian(p, cache, 2)
    np.testing.assert_allclose(sum(paths.values()), J, rtol=1e-14, atol=1e-15)
    num = fd_jacobian(lambda h: step(p, X[1], h)[3], cache.h[1])
    for name in gru.PATHS:                                # leaving out any path is detected
        assert rnnlib.rel_error(J - paths[name], num) > 1e-4, name
    # the layout [i, a, b]: the direct path is diag(z_t) per example
    np.testing.assert_array_equal(paths["direct"][1], np.diag(cache.z[1, 1]))


def test_transposes_matter_only_for_H_above_one():
    p, X, Y, h0, _ = make_problem(T=2, m=2, H=3, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    paths = gru.jacobian_paths(p, cache, 2)
    z, c, hp = cache.z[1], cache.h_tilde[1], cache.h[1]
    wrong_update = ((hp - c) * z * (1 - z))[:, :, None] * p["W_hz"][None]   # W_hz without the transpose
    assert rnnlib.rel_error(wrong_update, paths["update"]) > 1e-3


def test_jacobian_product_is_the_product_of_one_step_jacobians_and_exact():
    p, X, Y, h0, _ = make_problem(T=5, m=2, H=3, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    P = gru.jacobian_product(p, cache, 5, 1)
    manual = gru.jacobian(p, cache, 5) @ gru.jacobian(p, cache, 4) @ gru.jacobian(p, cache, 3) \
        @ gru.jacobian(p, cache, 2)
    np.testing.assert_allclose(P, manual, rtol=1e-13, atol=1e-15)
    assert rnnlib.rel_error(P, gru.numerical_jacobian_product(p, cache, 5, 1)) < TOL
    assert rnnlib.rel_error(gru.jacobian_product(p, cache, 5, 0),
                            gru.numerical_jacobian_product(p, cache, 5, 0)) < TOL
    # descending order: the reversed product is a different matrix
    reversed_ = gru.jacobian(p, cache, 2) @ gru.jacobian(p, cache, 3) @ gru.jacobian(p, cache, 4) \
        @ gru.jacobian(p, cache, 5)
    assert rnnlib.rel_error(P, reversed_) > 1e-3
    np.testing.assert_array_equal(gru.jacobian_product(p, cache, 3, 3),
                                  np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_allclose(gru.jacobian_product(p, cache, 3, 2), gru.jacobian(p, cache, 3),
                               rtol=1e-15)


def test_error_signal_is_G_times_the_jacobian_product():
    """δ of the single loss L_T at h_k equals G_T ∂h_T/∂h_k (the products are exact for the GRU)."""
    p, X, Y, h0, _ = make_problem(T=5, m=2, H=3, loss="mse", with_h0=True)
    mask = np.zeros((5, 2))
    mask[-1] = 1.0
    _, cache = gru.forward(p, X, Y, h0=h0, loss="mse", loss_mask=mask)
    delta = gru.error_signals(p, cache)
    for k in range(5):
        via = np.einsum("ia,iab->ib", delta[5], gru.jacobian_product(p, cache, 5, k))
        np.testing.assert_allclose(delta[k], via, rtol=1e-11, atol=1e-15)


def test_shortcut_is_diag_z_and_wrong_in_general():
    p, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    D = gru.shortcut_jacobian(p, cache, 3)
    np.testing.assert_array_equal(D, gru.jacobian_paths(p, cache, 3)["direct"])
    assert rnnlib.rel_error(D, gru.jacobian(p, cache, 3)) > 1e-2


def test_shortcut_is_exact_without_recurrent_weights_in_z_and_the_candidate():
    p, X, Y, h0, _ = make_problem(T=3, m=2, with_h0=True)
    p["W_hz"] = np.zeros_like(p["W_hz"])
    p["W_hh"] = np.zeros_like(p["W_hh"])
    _, cache = gru.forward(p, X, Y, h0=h0)
    for t in (1, 2, 3):
        np.testing.assert_allclose(gru.jacobian(p, cache, t), gru.shortcut_jacobian(p, cache, t),
                                   rtol=1e-15, atol=1e-17)


def test_shortcut_improves_as_the_update_gate_saturates():
    study = gru.shortcut_study((0.0, 3.0, 6.0), n_cells=30, T=6, H=3, n_in=2, seed=4)
    assert study["error"].shape == (3, 30) and study["norm_exact"].shape == (3, 30)
    med = np.median(study["error"], axis=1)
    assert med[0] > 0.1 and med[0] > med[1] > med[2] and med[2] < 0.02
    assert np.all(study["norm_shortcut"] < 1.0)
    assert study["z_mean"][0] < study["z_mean"][1] < study["z_mean"][2]
    # the exact one-step gain can exceed 1 although every z_t < 1
    assert (study["norm_exact"] > 1.0).any()


def test_run_from_restarts_the_gru():
    p, X, Y, h0, _ = make_problem(T=4, m=2, with_h0=True)
    _, cache = gru.forward(p, X, Y, h0=h0)
    np.testing.assert_allclose(gru.run_from(p, cache, 1, cache.h[1], 4), cache.h[4], rtol=1e-13)
    np.testing.assert_array_equal(gru.run_from(p, cache, 2, cache.h[2], 2), cache.h[2])


# ---------------------------------------------------------------- the comparison behind the widget

def test_gated_flow_curves_keep_flow_curves_and_add_the_gru():
    base = comparison.flow_curves(1.0, 1.2)
    out = comparison.gated_flow_curves(2.0, -1.0, 1.0, 1.2)
    for key, value in base.items():
        np.testing.assert_array_equal(out[key], value)
    for key in ("gru_h", "gru_shortcut"):
        assert out[key].shape == (comparison.FLOW_T + 1,) and out[key][-1] == pytest.approx(1.0)
    assert 0.5 < out["z_mean"] < 1.0 and out["r_mean"] < 0.5
    # b_z = 5 keeps most of the gradient over 60 steps; b_z = 0 loses it
    assert comparison.gated_flow_curves(5.0)["gru_h"][0] > 0.1
    assert comparison.gated_flow_curves(0.0)["gru_h"][0] < 1e-6


def test_gated_flow_curves_gru_h_is_the_error_signal():
    T, H = comparison.FLOW_T, comparison.FLOW_H
    out = comparison.gated_flow_curves(1.5)
    prob = random_problem(T, 1, comparison.FLOW_N_IN, H, 1, seed=0, param_seed=1, loss="mse",
                          mask="last")
    p = gru.init_params(comparison.FLOW_N_IN, H, 1, seed=1, update_bias=1.5)
    _, cache = gru.forward(p, prob.X, prob.Y, loss="mse", loss_mask=prob.loss_mask)
    d = np.linalg.norm(gru.error_signals(p, cache)[:, 0], axis=1)
    np.testing.assert_allclose(out["gru_h"], d / d[T], rtol=1e-12)
    z = cache.z[:, 0]
    k = 50
    want = np.linalg.norm(gru.error_signals(p, cache)[T, 0] * np.prod(z[k:], axis=0)) / d[T]
    assert out["gru_shortcut"][k] == pytest.approx(want, rel=1e-12)


def test_parameter_counts():
    counts = comparison.parameter_counts(2, 8, 1)
    assert counts == {"vanilla RNN": 2 * 8 + 64 + 8 + 8 + 1, "LSTM": 4 * (16 + 64 + 8) + 9,
                      "GRU": 3 * (16 + 64 + 8) + 9,
                      "GRU, PyTorch nn.GRU + linear layer": 3 * (16 + 64 + 16) + 9}


def test_exercise_checker_accepts_bptt_and_rejects_a_wrong_pass(capsys):
    from rnnlib.exercises import check_gru_bptt

    assert check_gru_bptt(gru.bptt)

    def no_reset_path(params, cache):
        g = gru.bptt(params, cache)
        g["W_hr"] = np.zeros_like(g["W_hr"])
        return g

    assert not check_gru_bptt(no_reset_path)
    assert "not yet correct" in capsys.readouterr().out


# ---------------------------------------------------------------- bad input and overflow

def _good():
    p, X, Y, h0, _ = make_problem(T=2, m=2, H=3, with_h0=True)
    return p, X, Y, h0


@pytest.mark.parametrize("case, name", [
    ("X_shape", "X"), ("X_nan", "X"), ("X_complex", "X"), ("T0", "X"), ("m0", "X"), ("Y_shape", "Y"),
    ("Y_range", "Y"), ("Y_float", "Y"), ("h0_shape", "h0"), ("h0_nan", "h0"), ("loss", "loss"),
    ("loss_type", "loss"), ("missing_key", "W_hr"), ("extra_key", "W_hc"), ("bad_shape", "W_xh"),
    ("bad_recurrent", "W_hh"), ("bad_bias", "b_z"), ("bad_output", "W_yh"), ("nan_param", "b_r"),
    ("mask_shape", "loss_mask"), ("mask_negative", "loss_mask"), ("params_type", "params"),
])
def test_bad_input_raises_named_value_error(case, name):
    p, X, Y, h0 = _good()
    kw = {"h0": h0}
    p = dict(p)
    if case == "X_shape":
        X = X[..., :2]
    elif case == "X_nan":
        X = X.copy()
        X[0, 0, 0] = np.nan
    elif case == "X_complex":
        X = X + 1j
    elif case == "T0":
        X, Y = X[:0], Y[:0]
    elif case == "m0":
        X, Y, kw["h0"] = X[:, :0], Y[:, :0], None
    elif case == "Y_shape":
        Y = Y[:1]
    elif case == "Y_range":
        Y = Y.copy()
        Y[0, 0] = 99
    elif case == "Y_float":
        Y = Y + 0.5
    elif case == "h0_shape":
        kw["h0"] = h0[:, :2]
    elif case == "h0_nan":
        kw["h0"] = np.full_like(h0, np.inf)
    elif case == "loss":
        kw["loss"] = "hinge"
    elif case == "loss_type":
        kw["loss"] = 3
    elif case == "missing_key":
        del p["W_hr"]
    elif case == "extra_key":
        p["W_hc"] = p["W_hh"]
    elif case == "bad_shape":
        p["W_xh"] = p["W_xh"][:, :2]
    elif case == "bad_recurrent":
        p["W_hh"] = np.zeros((3, 2))
    elif case == "bad_bias":
        p["b_z"] = np.zeros(4)
    elif case == "bad_output":
        p["W_yh"] = np.zeros((2, 5))
    elif case == "nan_param":
        p["b_r"] = np.array([0.0, np.nan, 0.0])
    elif case == "mask_shape":
        kw["loss_mask"] = np.ones((3, 2))
    elif case == "mask_negative":
        kw["loss_mask"] = -np.ones((2, 2))
    elif case == "params_type":
        p = [1, 2]
    with pytest.raises(ValueError, match=rf"^{name}\b.*expected.*got"):
        gru.forward(p, X, Y, **kw)


def test_bad_cache_time_index_and_other_arguments():
    p, X, Y, h0 = _good()
    _, cache = gru.forward(p, X, Y, h0=h0)
    vp = rnnlib.init_params(3, 3, 5)
    _, vcache = rnnlib.forward(vp, X, Y)
    with pytest.raises(ValueError, match=r"^cache\b.*expected.*got"):
        gru.bptt(p, vcache)
    with pytest.raises(ValueError, match=r"^cache\b.*expected.*got"):          # other sizes
        gru.bptt(gru.init_params(3, 4, 5), cache)
    with pytest.raises(ValueError, match=r"^cache\b.*expected.*got"):
        gru.jacobian(gru.init_params(2, 3, 5), cache, 1)
    broken = gru.forward(p, X, Y, h0=h0)[1]
    broken.z[0, 0, 0] = np.nan                            # changed after forward
    with pytest.raises(ValueError, match=r"^cache\b.*cache\.z"):
        gru.bptt(p, broken)
    broken = gru.forward(p, X, Y, h0=h0)[1]
    broken.h = broken.h[:, :1]
    with pytest.raises(ValueError, match=r"^cache\b.*cache\.h"):
        gru.error_signals(p, broken)
    for bad_t, f in ((0, gru.jacobian), (3, gru.jacobian), (0, gru.shortcut_jacobian),
                     (3, gru.jacobian_paths)):
        with pytest.raises(ValueError, match=r"^t\b.*expected.*got"):
            f(p, cache, bad_t)
    with pytest.raises(ValueError, match=r"^k\b.*expected.*got"):
        gru.jacobian_product(p, cache, 1, 2)
    with pytest.raises(ValueError, match=r"^h_k\b.*expected.*got"):
        gru.run_from(p, cache, 0, np.zeros((2, 2)), 1)
    with pytest.raises(ValueError, match=r"^eps\b.*expected.*got"):
        gru.numerical_jacobian_product(p, cache, 2, 1, eps=0.0)
    with pytest.raises(ValueError, match=r"^t\b.*expected.*got"):
        gru.loss_from_state(p, X, Y, 3, h0)
    with pytest.raises(ValueError, match=r"^h_t\b.*expected.*got"):
        gru.loss_from_state(p, X, Y, 1, h0[:, :1])
    with pytest.raises(ValueError, match=r"^n_hidden\b"):
        gru.init_params(2, 0, 2)
    with pytest.raises(ValueError, match=r"^seed\b"):
        gru.init_params(2, 2, 2, seed=True)
    with pytest.raises(ValueError, match=r"^W_hc\b"):                          # unknown key, by name
        gru.check_gradients(dict(p, W_hc=p["W_hh"]), X, Y)
    with pytest.raises(ValueError, match=r"^update_bias\b"):
        comparison.gated_flow_curves(float("nan"))


def test_overflow_in_the_forward_pass_names_the_quantity_and_the_step():
    p, X, Y, h0 = _good()
    q = dict(p, W_xz=np.zeros_like(p["W_xz"]), W_hz=np.zeros_like(p["W_hz"]))
    q["W_xz"][0], q["W_hz"][0] = 10.0, -10.0
    X, h_big = X.copy(), np.zeros_like(h0)
    X[0, 0, 0] = h_big[0, 0] = 1e308
    # at step 1, X_1 W_xz = +inf and h_0 W_hz = −inf: their sum, a^z_1, is NaN
    with _no_warning():
        with pytest.raises(FloatingPointError, match=r"^h_t\b.*step t = 1"):
            gru.forward(q, X, Y, h0=h_big)
    Ybig = np.full((2, 2, 5), 1e200)
    Ybig[0] = 0.0                                          # step 1 is fine; L_2 overflows
    with _no_warning():
        with pytest.raises(FloatingPointError, match=r"^L_t\b.*step t = 2"):
            gru.forward(p, X, Ybig, h0=h0, loss="mse")


def test_overflow_in_the_backward_pass_names_the_step():
    p, X, Y, h0 = _good()
    q = dict(p, W_yh=p["W_yh"] * 1e200, W_hz=np.full_like(p["W_hz"], 1e300))
    q["W_hz"][0] *= -1.0
    _, cache = gru.forward(q, X, Y)                        # h0 = 0: the forward pass is finite
    with _no_warning():
        with pytest.raises(FloatingPointError, match=r"^δ_t\b.*backward pass.*step t = 0"):
            gru.bptt(q, cache)
        with pytest.raises(FloatingPointError, match=r"^δ_t\b.*step t = 0") as info:
            gru.error_signals(q, cache)
    assert info.value.step == 0 and info.value.quantity == "δ_t"


class _no_warning:
    """Fail if numpy emits a RuntimeWarning inside the block (the error must be the signal)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
