"""rnnlib.jacobians (norms, bounds), rnnlib.signals (gradient flow, resolution), rnnlib.scalar_examples
(linear case) and rnnlib.initialisation: every quantity against an independent computation."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import activations, initialisation, jacobians, lstm, scalar_examples, signals
from problems import ACTIVATIONS, make_problem

EPS = 1e-5


def _numerical_jacobian(params, cache, t, k):
    """∂h_t/∂h_k by central differences of run_from, shape (m, H, H)."""
    h_k = cache.h[k].copy()
    m, H = h_k.shape
    J = np.zeros((m, H, H))
    for a in range(H):
        for i in range(m):
            def f(x, i=i, a=a):
                return jacobians.run_from(params, cache, k, x, t)[i, a]
            J[i, a] = rnnlib.numerical_gradient(f, h_k, EPS)[i]
    return J


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_run_from_reproduces_the_forward_pass(activation):
    params, X, Y, h0, _ = make_problem(T=5, activation=activation, with_h0=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation)
    for k in range(6):
        for t in range(k, 6):
            np.testing.assert_allclose(jacobians.run_from(params, cache, k, cache.h[k], t), cache.h[t],
                                       rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("t,k", [(3, 2), (4, 1), (5, 0)])
def test_jacobian_products_match_finite_differences(activation, t, k):
    params, X, Y, h0, _ = make_problem(T=5, activation=activation, with_h0=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation)
    numeric = _numerical_jacobian(params, cache, t, k)
    exact = rnnlib.jacobian(params, cache, t) if t - k == 1 else rnnlib.jacobian_product(params, cache, t, k)
    assert rnnlib.rel_error(exact, numeric) < 1e-7


def test_numerical_jacobian_product_matches_the_helper_loop():
    params, X, Y, h0, _ = make_problem(T=4, activation="sigmoid", with_h0=True)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation="sigmoid")
    np.testing.assert_allclose(jacobians.numerical_jacobian_product(params, cache, 4, 1),
                               _numerical_jacobian(params, cache, 4, 1), rtol=0, atol=1e-15)
    assert rnnlib.rel_error(jacobians.numerical_jacobian_product(params, cache, 4, 1),
                            rnnlib.jacobian_product(params, cache, 4, 1)) < 1e-7
    np.testing.assert_allclose(jacobians.numerical_jacobian_product(params, cache, 2, 2)[0], np.eye(4), atol=1e-10)
    with pytest.raises(ValueError, match=r"^eps: expected"):
        jacobians.numerical_jacobian_product(params, cache, 2, 1, eps=-1.0)


def test_singular_values_of_the_products():
    params, X, Y, h0, _ = make_problem(T=6, H=4)
    _, cache = rnnlib.forward(params, X, Y)
    sv = jacobians.jacobian_product_singular_values(params, cache, 6, example=1)
    assert sv.shape == (7, 4)
    np.testing.assert_allclose(sv[6], 1.0)
    for k in range(7):
        P = rnnlib.jacobian_product(params, cache, 6, k)[1]
        np.testing.assert_allclose(sv[k], np.linalg.svd(P, compute_uv=False), rtol=1e-12, atol=1e-300)
    # the bound (γ_W γ_h)^(t−k) holds
    bound = jacobians.jacobian_bound(params["W_hh"], "tanh", 6 - np.arange(7))
    assert np.all(sv[:, 0] <= bound * (1 + 1e-12))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_flow_is_the_h0_gradient_of_one_step_loss(activation):
    """With the loss counted only at step t and h_0 given, ∂L_t/∂h_0 is bptt's 'h0'."""
    T, t = 5, 4
    params, X, Y, h0, _ = make_problem(T=T, loss="mse", activation=activation, with_h0=True)
    mask = np.zeros((T, 3))
    mask[t - 1] = 1.0
    _, cache_t = rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss="mse", loss_mask=mask)
    _, cache = rnnlib.forward(params, X, Y, h0=h0, activation=activation, loss="mse")
    flow = signals.gradient_flow(params, cache, t)
    assert flow.shape == (t + 1,)
    assert abs(flow[0] - np.linalg.norm(rnnlib.bptt(params, cache_t)["h0"])) <= 1e-12 * flow[0]
    # and against central differences for an intermediate k
    k = 2

    def L_t(h_k):
        h_t = jacobians.run_from(params, cache, k, h_k, t)
        r = h_t @ params["W_yh"] + params["b_y"] - Y[t - 1]
        return 0.5 * np.sum(r * r) / 3
    g = rnnlib.numerical_gradient(L_t, cache.h[k].copy(), EPS)
    assert abs(flow[k] - np.linalg.norm(g)) / np.linalg.norm(g) < 1e-7


def test_gradient_flow_respects_the_bound():
    params, X, Y, _, _ = make_problem(T=8, loss="mse")
    _, cache = rnnlib.forward(params, X, Y, loss="mse")
    f = signals.gradient_flow(params, cache, 8)
    lag = 8 - np.arange(9)
    assert np.all(f <= f[-1] * jacobians.jacobian_bound(params["W_hh"], "tanh", lag) * (1 + 1e-12))


def test_below_resolution():
    f = np.array([1e-20, 1e-17, 1e-15, 0.5, 1.0])
    assert signals.below_resolution(f).tolist() == [True, True, False, False, False]
    assert signals.FLOAT64_EPS == 2.0 ** -52
    assert signals.below_resolution(f, eps=1e-2).tolist() == [True, True, True, False, False]


def test_resolution_lag_and_truncation():
    f = np.array([1e-30, 1e-20, 1e-10, 1e-17, 0.5, 1.0])       # t = 5; k = 3 is lost but k = 2 is not
    assert signals.resolution_lag(f) == 3                             # only k = 0, 1 (lags 5, 4) are dropped
    assert signals.resolution_lag(np.array([0.1, 1.0])) is None
    # on a real network: truncating at that lag changes dL_t/dW_hh by round-off only
    rng = np.random.default_rng(0)
    p = initialisation.params_with_W_hh(initialisation.orthogonal(8, gain=1.0, seed=1), n_in=2, n_out=2, seed=1)
    X, Y = rng.normal(size=(50, 2, 2)), rng.normal(size=(50, 2, 2))
    mask = np.zeros((50, 2))
    mask[-1] = 1.0
    _, c = rnnlib.forward(p, X, Y, activation="sigmoid", loss="mse", loss_mask=mask)
    tau = signals.resolution_lag(signals.gradient_flow(p, c, 50))
    assert tau is not None and 5 < tau < 50
    full = rnnlib.bptt(p, c)["W_hh"]
    assert rnnlib.rel_error(rnnlib.bptt(p, c, truncate=tau)["W_hh"], full) < 1e-15
    assert rnnlib.rel_error(rnnlib.bptt(p, c, truncate=tau // 2)["W_hh"], full) > 1e-13


def test_norms_and_powers():
    W = np.array([[0.5, 4.0], [0.0, 0.5]])
    assert jacobians.spectral_radius(W) == pytest.approx(0.5, rel=1e-12)
    # singular values of [[a, c], [0, a]]: (√(4a² + c²) ± c) / 2
    assert jacobians.spectral_norm(W) == pytest.approx((np.sqrt(1 + 16) + 4) / 2, rel=1e-12)
    p = jacobians.power_norms(W, 12)
    # W^k = [[0.5^k, 8k 0.5^k], [0, 0.5^k]] (closed form for this Jordan-like block)
    for k in range(13):
        Wk = np.array([[0.5 ** k, 8 * k * 0.5 ** k], [0.0, 0.5 ** k]])
        assert p[k] == pytest.approx(np.linalg.norm(Wk, 2), rel=1e-12)
    assert p[1] > 4 and p[4] > 1 > 0.5 ** 4
    D = np.diag([0.5, -0.3])
    np.testing.assert_allclose(jacobians.power_norms(D, 5), 0.5 ** np.arange(6), rtol=1e-14)
    assert activations.gamma_h("sigmoid") == 0.25 and activations.gamma_h("tanh") == 1.0
    np.testing.assert_allclose(jacobians.jacobian_bound(2 * np.eye(3), "sigmoid", [0, 1, 3]), [1, 0.5, 0.125])


def test_linear_scalar_closed_form():
    for w in (0.9, 1.1, -0.7):
        g = scalar_examples.linear_scalar_gradient(w, 50)
        assert g == pytest.approx(scalar_examples.linear_scalar_closed_form(w, 50), rel=1e-12)
        assert scalar_examples.linear_scalar_h_T(w, 50) == pytest.approx(w ** 49, rel=1e-12)
        num = rnnlib.numerical_gradient(lambda x: scalar_examples.linear_scalar_h_T(float(x[0]), 50), np.array([w]), EPS)[0]
        assert rnnlib.rel_error(g, num) < 1e-7
    assert scalar_examples.linear_scalar_closed_form(0.9, 50) == pytest.approx(49 * 0.9 ** 48)
    assert scalar_examples.linear_scalar_closed_form(3.0, 1) == 0.0


def test_initialisations():
    Q = initialisation.orthogonal(8, gain=1.5, seed=2)
    np.testing.assert_allclose(Q.T @ Q, 2.25 * np.eye(8), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 1.5)
    np.testing.assert_array_equal(Q, initialisation.orthogonal(8, gain=1.5, seed=2))
    assert not np.allclose(Q, initialisation.orthogonal(8, gain=1.5, seed=3))
    np.testing.assert_array_equal(initialisation.scaled_identity(3, 0.5), 0.5 * np.eye(3))
    W = np.random.default_rng(0).normal(size=(6, 6))
    R = initialisation.with_spectral_radius(W, 0.9)
    assert jacobians.spectral_radius(R) == pytest.approx(0.9, rel=1e-12)
    assert jacobians.spectral_norm(R) > 0.9                    # a Gaussian matrix is not normal
    p = initialisation.params_with_W_hh(R, n_in=2, n_out=3, seed=1)
    assert sorted(p) == sorted(rnnlib.init_params(1, 1, 1))
    np.testing.assert_array_equal(p["W_hh"], R)
    assert p["W_xh"].shape == (2, 6) and p["W_yh"].shape == (6, 3)


def test_identity_relu_preserves_the_jacobian():
    """IRNN: with every unit active, ∂h_t/∂h_0 is exactly the identity."""
    p = initialisation.params_with_W_hh(initialisation.scaled_identity(4), n_in=2, n_out=1)
    p["b_h"] = np.full(4, 10.0)
    X = np.random.default_rng(1).normal(size=(20, 1, 2))
    _, cache = rnnlib.forward(p, X, np.zeros((20, 1), dtype=int), activation="relu")
    np.testing.assert_array_equal(rnnlib.jacobian_product(p, cache, 20, 0)[0], np.eye(4))


@pytest.mark.parametrize("call,name", [
    (lambda: jacobians.spectral_norm(np.ones((2, 3))), "W"),
    (lambda: jacobians.spectral_radius([[np.nan]]), "W"),
    (lambda: jacobians.spectral_norm(np.ones(3)), "W"),
    (lambda: activations.gamma_h("softplus"), "activation"),
    (lambda: jacobians.jacobian_bound(np.eye(2), "tanh", [-1]), "lags"),
    (lambda: jacobians.jacobian_bound(np.eye(2), "tanh", [0.5]), "lags"),
    (lambda: jacobians.power_norms(np.eye(2), -1), "K"),
    (lambda: signals.below_resolution(np.ones((2, 2))), "flow"),
    (lambda: signals.below_resolution([1.0], eps=0), "eps"),
    (lambda: scalar_examples.linear_scalar_params(np.inf), "w"),
    (lambda: scalar_examples.linear_scalar_impulse(0), "T"),
    (lambda: scalar_examples.linear_scalar_closed_form(0.5, 0), "T"),
    (lambda: initialisation.orthogonal(0), "H"),
    (lambda: initialisation.orthogonal(3, gain=-1.0), "gain"),
    (lambda: initialisation.scaled_identity(3, "1"), "scale"),
    (lambda: initialisation.with_spectral_radius(np.eye(2), 0.0), "rho"),
    (lambda: initialisation.with_spectral_radius(np.zeros((2, 2)), 1.0), "W"),
    (lambda: initialisation.params_with_W_hh(np.ones((2, 3))), "W_hh"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        call()


def test_bad_input_to_cache_functions():
    params, X, Y, _, _ = make_problem(T=3)
    _, cache = rnnlib.forward(params, X, Y)
    with pytest.raises(ValueError, match=r"^h_k: expected"):
        jacobians.run_from(params, cache, 1, np.zeros((2, 2)), 2)
    with pytest.raises(ValueError, match=r"^k: expected"):
        jacobians.run_from(params, cache, 3, cache.h[3], 2)
    with pytest.raises(ValueError, match=r"^t: expected"):
        signals.gradient_flow(params, cache, 0)
    with pytest.raises(ValueError, match=r"^example: expected"):
        jacobians.jacobian_product_singular_values(params, cache, 2, example=3)
    with pytest.raises(ValueError, match=r"^cache: expected"):
        signals.gradient_flow(params, None, 1)
    with pytest.raises(ValueError, match=r"^W_hh: expected"):
        signals.gradient_flow({**params, "W_hh": np.full((4, 4), np.nan)}, cache, 1)


# --------------------------------------------------------------------------- issue 16: subtle bugs, tested directly
def test_orthogonal_is_haar_distributed():
    """Over many seeds Q = orthogonal(H) looks uniform on O(H): every entry has mean 0 and
    second moment 1/H, each sign is equally likely on the diagonal, and det Q = ±1 equally
    often.  QR without the sign fold is still orthogonal but fails all of these (numpy's
    Householder QR gives Q[0, 0] < 0 for every draw)."""
    H, N = 4, 400
    Qs = np.array([initialisation.orthogonal(H, seed=s) for s in range(N)])
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", Qs, Qs), np.broadcast_to(np.eye(H), (N, H, H)),
                               atol=1e-12)
    se = np.sqrt(1.0 / H / N)                                   # standard error of a mean entry
    assert np.abs(Qs.mean(axis=0)).max() < 5 * se
    np.testing.assert_allclose((Qs ** 2).mean(axis=0), 1.0 / H, atol=0.05)
    positive = (np.diagonal(Qs, axis1=1, axis2=2) > 0).mean(axis=0)
    assert np.all(np.abs(positive - 0.5) < 5 * np.sqrt(0.25 / N)), positive
    assert abs((np.linalg.det(Qs) > 0).mean() - 0.5) < 5 * np.sqrt(0.25 / N)
    # the first column is the normalised first column of the Gaussian draw (R has a positive diagonal)
    A = np.random.default_rng(7).normal(size=(H, H))
    np.testing.assert_allclose(initialisation.orthogonal(H, seed=7)[:, 0], A[:, 0] / np.linalg.norm(A[:, 0]),
                               rtol=1e-12)


def test_below_resolution_is_strict():
    eps = signals.FLOAT64_EPS
    f = np.array([eps, eps * (1 - 2 ** -20), 0.0, 1.0])          # exactly on the line, just below, zero, max
    assert signals.below_resolution(f).tolist() == [False, True, True, False]
    assert signals.below_resolution(np.zeros(3)).tolist() == [False, False, False]   # 0 < 0 is false
    assert signals.below_resolution(np.array([0.5, 2.0]), eps=0.25).tolist() == [False, False]  # 0.5 = 0.25 · 2
    assert signals.UNIT_ROUNDOFF == 2.0 ** -53


def test_resolution_lag_edge_cases():
    """τ is the smallest lag in 0..t beyond which every term is lost (None if k = 0 is resolved)."""
    assert signals.resolution_lag(np.array([1e-30, 1e-30, 1.0])) == 0        # only the lag-0 term survives
    assert signals.resolution_lag(np.array([1e-30, 1.0, 1e-30])) == 1        # k = 0 lost, k = 1 kept
    assert signals.resolution_lag(np.array([1.0, 1e-30, 1e-30])) is None     # k = 0 is the largest
    assert signals.resolution_lag(np.array([1.0])) is None
    assert signals.resolution_lag(np.zeros(4)) is None                       # nothing is below 0
    # every term below the line (eps > 1): τ = 0, the smallest truncation there is
    assert signals.resolution_lag(np.array([0.5, 0.7, 1.0]), eps=2.0) == 0
    assert signals.resolution_lag(np.array([1.0]), eps=2.0) == 0
    for flow in (np.array([1e-30, 1e-20, 1e-10, 1e-17, 0.5, 1.0]), np.geomspace(1e-40, 1.0, 9)):
        tau = signals.resolution_lag(flow)
        t = flow.size - 1
        lost = signals.below_resolution(flow)
        assert lost[: t - tau].all() and (tau == 0 or not lost[t - tau])    # the definition, both ways


def test_jacobian_bound_uses_the_spectral_norm():
    """For a non-normal W the spectral norm, the spectral radius and the Frobenius norm all differ;
    the bound must use the first, (‖W‖₂ γ_h)^(t−k)."""
    W = np.array([[0.5, 2.0], [0.0, 1.5]])
    gamma_W = np.linalg.svd(W, compute_uv=False)[0]                              # 2.53
    assert abs(gamma_W - 1.5) > 0.5 and abs(gamma_W - np.linalg.norm(W)) > 0.01  # ρ = 1.5, ‖W‖_F = 2.55
    lags = np.array([0, 1, 2, 5])
    for act, gamma in (("tanh", 1.0), ("sigmoid", 0.25), ("relu", 1.0), ("linear", 1.0)):
        np.testing.assert_allclose(jacobians.jacobian_bound(W, act, lags), (gamma_W * gamma) ** lags, rtol=1e-14)
    assert jacobians.jacobian_bound(W, "tanh", 3).shape == ()
    # and it is a bound on a real product
    p = initialisation.params_with_W_hh(W, n_in=1, n_out=1, seed=0)
    _, cache = rnnlib.forward(p, np.ones((5, 1, 1)), np.zeros((5, 1), int), activation="linear")
    P = rnnlib.jacobian_product(p, cache, 5, 0)[0]
    assert np.linalg.norm(P, 2) <= jacobians.jacobian_bound(W, "linear", 5) * (1 + 1e-12)
    assert np.linalg.norm(P, 2) > jacobians.spectral_radius(W) ** 5                # ρ^5 is not a bound


def test_init_weights_uses_the_fan_in_of_every_matrix():
    """Each matrix ~ N(0, 1/rows): W_x* 1/n_in, W_h* and W_yh 1/H — for any model's keys."""
    n_in, H, n_out = 500, 300, 200
    p = initialisation.init_weights(lstm.PARAM_KEYS, n_in, H, n_out, seed=4)
    assert sorted(p) == sorted(lstm.PARAM_KEYS)
    for key, v in p.items():
        if key.startswith("b_"):
            assert np.all(v == 0) and v.shape == ((n_out,) if key == "b_y" else (H,))
            continue
        fan_in = n_in if key.startswith("W_x") else H
        assert v.shape[0] == fan_in
        assert abs(v.var() * fan_in - 1) < 0.05, key
        assert abs(v.mean()) < 5 / np.sqrt(fan_in * v.size), key                  # 5 standard errors
    # one generator, drawn in key order: the same seed gives the same matrices
    np.testing.assert_array_equal(p["W_hc"], initialisation.init_weights(lstm.PARAM_KEYS, n_in, H, n_out, seed=4)["W_hc"])
