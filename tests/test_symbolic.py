"""Tests for rnnlib.symbolic: the unrolled network and the gradient forms.

Each formula (δ recursion, literal double sum, RTRL) must equal sympy's direct
derivative of the unrolled loss for every key, with the generic φ; wrong
formulas must be *detected*; and the tanh instance must give rnnlib's numbers.
"""
import numpy as np
import pytest
import sympy

import rnnlib
from rnnlib import symbolic as S

FORMS = {
    "delta": S.gradient_delta,
    "sum_of_products": S.gradient_sum_of_products,
    "rtrl": S.gradient_rtrl,
}
# (H, n_in, n_out): scalar and H = 2; all with T = 3.
SIZES = [(1, 1, 1), (2, 2, 2)]


@pytest.fixture(scope="module", params=[(s, h0) for s in SIZES for h0 in ("zero", "symbolic")],
                ids=lambda p: f"H{p[0][0]}-{p[1]}")
def problem(request):
    (H, n_in, n_out), h0 = request.param
    net = S.unrolled_rnn(3, H, n_in, n_out, h0=h0)
    L, Ls = S.squared_loss(net)
    keys = [k for k in S.PARAM_KEYS if h0 == "symbolic" or k != "h0"]
    direct = {k: S.direct_gradient(net, L, k) for k in keys}
    return net, L, Ls, direct


# --- the existing building blocks -------------------------------------------------

def test_unrolled_rnn_structure():
    net = S.unrolled_rnn(2, 2, 3, 1)
    assert net.W_xh.shape == (3, 2) and net.W_hh.shape == (2, 2) and net.W_yh.shape == (2, 1)
    assert net.b_h.shape == (1, 2) and net.b_y.shape == (1, 1)
    assert net.h[0] == sympy.zeros(1, 2) and net.X[0] is None and len(net.h) == 3
    # h_1 = φ(X_1 W_xh + b_h) because h_0 = 0
    assert net.h[1] == (net.X[1] * net.W_xh + net.b_h).applyfunc(S.phi)
    assert net.o[2] == net.h[2] * net.W_yh + net.b_y
    # entry names are valid LaTeX: the index joins the subscript (no double subscripts)
    assert net.W_hh[0, 1] == sympy.Symbol("W_{hh,12}", real=True)
    assert sympy.latex(net.b_h[0, 1]) == "b_{h,2}" and "}_{" not in sympy.latex(net.W_xh)
    sym = S.unrolled_rnn(1, h0="symbolic")
    assert sym.symbols("h0") == [sympy.Symbol("h_{0}", real=True)]


@pytest.mark.parametrize("kwargs, name", [({"T": 0}, "T"), ({"T": 2, "H": 0}, "H"),
                                          ({"T": 2, "h0": "random"}, "h0")])
def test_unrolled_rnn_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        S.unrolled_rnn(**kwargs)


def test_substitute_and_is_zero():
    z = sympy.Symbol("z")
    assert S.substitute(S.phi(z)) == sympy.tanh(z)
    assert S.substitute(sympy.diff(S.phi(2 * z), z)) == 2 - 2 * sympy.tanh(2 * z) ** 2
    sig = S.substitute(S.phi(z), S.SIGMOID)
    assert abs(float(sig.subs(z, 0.3)) - 1 / (1 + np.exp(-0.3))) < 1e-15
    assert S.is_zero((z + 1) ** 2 - z ** 2 - 2 * z - 1)
    assert not S.is_zero(sympy.Matrix([[0, z]]))


# --- the gradient forms equal the direct derivative --------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_every_form_equals_direct_gradient(problem, form):
    net, L, Ls, direct = problem
    for key, d in direct.items():
        formula = FORMS[form](net, Ls, key)
        assert formula.shape == d.shape == (net.h[0] if key == "h0" else net.params[key]).shape
        assert S.is_zero(S.difference(d, formula)), (form, key)


def test_direct_gradient_is_not_trivially_zero(problem):
    net, L, Ls, direct = problem
    for key, d in direct.items():
        assert not S.is_zero(d), key


def test_literal_expand_agrees_with_atomized():
    net = S.unrolled_rnn(3, h0="symbolic")
    L, Ls = S.squared_loss(net)
    d = S.direct_gradient(net, L, "W_hh")
    assert S.is_zero(S.difference(d, S.gradient_delta(net, Ls, "W_hh"), atomize=False))
    wrong = S.gradient_sum_of_products(net, Ls, "W_hh", skip_k=2)
    assert not S.is_zero(S.difference(d, wrong, atomize=False))
    assert not S.is_zero(S.difference(d, wrong))


def test_delta_recursion_equals_direct_error_signal(problem):
    net, L, Ls, direct = problem
    delta = S.delta_recursion(net, Ls)
    G = S.output_errors(net, Ls)
    assert delta[0] is None and G[0] is None
    assert delta[net.T] == G[net.T]                         # δ_T = G_T
    for t in range(1, net.T + 1):
        assert S.is_zero(S.difference(S.direct_error_signal(net, t), delta[t])), t
    # δ_1 is more than step 1's own error: the later losses reach h_1.
    assert not S.is_zero(S.difference(delta[1], G[1]))


def test_output_errors_go_through_o_only():
    net = S.unrolled_rnn(2, 2, 1, 3)
    L, Ls = S.squared_loss(net)
    dO = S.logit_errors(net, Ls)
    for t in (1, 2):
        assert dO[t] == net.o[t] - net.y[t]                    # squared loss: o_t − y_t
        # G_t = ∂L_t/∂h_t: differentiate L_t with h_t replaced by free symbols
        s = sympy.Matrix(1, 2, sympy.symbols("s1 s2"))
        Lt = net.step_loss(s * net.W_yh + net.b_y, t)
        direct = sympy.Matrix([[sympy.diff(Lt, v) for v in s]]).subs(dict(zip(s, net.h[t])))
        assert S.is_zero(S.difference(direct, S.output_errors(net, Ls)[t]))
    # The b_y route (no step_loss attached) gives the same ∂L_t/∂o_t.
    net.step_loss = None
    for t in (1, 2):
        assert S.is_zero(S.difference(S.logit_errors(net, Ls)[t], dO[t]))


def test_squared_loss_targets_and_sum():
    net = S.unrolled_rnn(2, 1, 1, 2)
    L, Ls = S.squared_loss(net)
    assert Ls[0] is None and len(Ls) == 3 and net.y[2].shape == (1, 2)
    assert net.y[2][0, 1] == sympy.Symbol("y_{2,2}", real=True)
    assert S.is_zero(L - Ls[1] - Ls[2])
    d = net.o[1] - net.y[1]
    assert S.is_zero(Ls[1] - (d[0] ** 2 + d[1] ** 2) / 2)


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_softmax_ce_identity(n_classes):
    diffs = S.softmax_ce_identity(n_classes)
    assert len(diffs) == n_classes
    for d in diffs:
        assert d.shape == (1, n_classes)
        assert all(sympy.cancel(e) == 0 for e in d)


def test_softmax_ce_identity_detects_a_wrong_closed_form():
    # Re-derive one difference against a wrong closed form (no one-hot): not zero.
    o = sympy.Matrix(1, 3, lambda _, j: sympy.Symbol(f"o_{{{j + 1}}}", real=True))
    e = o.applyfunc(sympy.exp)
    ell = -sympy.log(e[0] / sum(e))
    wrong = sympy.Matrix([[sympy.diff(ell, v) for v in o]]) - e / sum(e)
    assert not all(sympy.cancel(x) == 0 for x in wrong)


# --- Jacobians ----------------------------------------------------------------------

def test_one_step_jacobian_matches_direct_differentiation():
    net = S.unrolled_rnn(3, 2, 1, 1, h0="symbolic")
    s = sympy.Matrix(1, 2, sympy.symbols("s1 s2"))
    for t in (1, 2, 3):
        h_t = (net.X[t] * net.W_xh + s * net.W_hh + net.b_h).applyfunc(S.phi)
        direct = h_t.jacobian(s).subs(dict(zip(s, net.h[t - 1])))     # [a, b] = ∂h_t[a]/∂h_{t−1}[b]
        J = S.one_step_jacobian(net, t)
        assert J.shape == (2, 2)
        assert S.is_zero(S.difference(direct, J))
        assert not S.is_zero(S.difference(direct, sympy.diag(*net.phi_prime(t)) * net.W_hh))


def test_jacobian_product_is_chain_of_steps():
    net = S.unrolled_rnn(3, 2, 1, 1)
    assert S.jacobian_product(net, 2, 2) == sympy.eye(2)
    assert S.jacobian_product(net, 3, 1) == S.one_step_jacobian(net, 3) * S.one_step_jacobian(net, 2)
    # ∂h_3/∂h_1 from direct differentiation w.r.t. a free h_1
    s = sympy.Matrix(1, 2, sympy.symbols("s1 s2"))
    h = s
    for t in (2, 3):
        h = (net.X[t] * net.W_xh + h * net.W_hh + net.b_h).applyfunc(S.phi)
    direct = h.jacobian(s).subs(dict(zip(s, net.h[1])), simultaneous=True)
    assert S.is_zero(S.difference(direct, S.jacobian_product(net, 3, 1)))


# --- wrong formulas are detected ----------------------------------------------------

def test_skipping_k1_is_detected_only_with_a_free_h0():
    # Seed 000's question: with h_0 = 0 the k = 1 term of ∂L/∂W_hh is h_0ᵀ(...) = 0.
    for h0, detected in (("zero", False), ("symbolic", True)):
        net = S.unrolled_rnn(3, h0=h0)
        L, Ls = S.squared_loss(net)
        d = S.direct_gradient(net, L, "W_hh")
        wrong = S.gradient_sum_of_products(net, Ls, "W_hh", skip_k=1)
        assert S.is_zero(S.difference(d, wrong)) is not detected
    # For W_xh the k = 1 term never vanishes.
    net = S.unrolled_rnn(3)
    L, Ls = S.squared_loss(net)
    assert not S.is_zero(S.difference(S.direct_gradient(net, L, "W_xh"),
                                      S.gradient_sum_of_products(net, Ls, "W_xh", skip_k=1)))


def test_missing_jacobian_factor_is_detected():
    net = S.unrolled_rnn(3, 2, 1, 1)
    L, Ls = S.squared_loss(net)
    G = S.output_errors(net, Ls)
    wrong = sympy.zeros(2, 2)
    for t in range(1, 4):
        for k in range(1, t + 1):
            # one factor short: J_t ⋯ J_{k+2} instead of J_t ⋯ J_{k+1}
            P = S.jacobian_product(net, t, min(k + 1, t))
            wrong += S.immediate_partial_term(net, k, "W_hh", G[t] * P)
    d = S.direct_gradient(net, L, "W_hh")
    assert not S.is_zero(S.difference(d, wrong))


def test_dropping_the_transpose_is_detected(monkeypatch):
    net = S.unrolled_rnn(3, 2, 1, 1, h0="symbolic")
    L, Ls = S.squared_loss(net)
    direct = {k: S.direct_gradient(net, L, k) for k in ("W_hh", "h0")}

    def no_transpose(net, t):                      # diag(φ') W_hh, without the transpose (Arat 2019)
        return sympy.diag(*list(net.phi_prime(t))) * net.W_hh

    monkeypatch.setattr(S.jacobians, "one_step_jacobian", no_transpose)   # used by jacobian_product
    monkeypatch.setattr(S.gradients, "one_step_jacobian", no_transpose)   # used by delta_recursion
    for key, d in direct.items():
        assert not S.is_zero(S.difference(d, S.gradient_delta(net, Ls, key))), key
        assert not S.is_zero(S.difference(d, S.gradient_sum_of_products(net, Ls, key))), key


def test_truncation_keeps_only_short_paths():
    net = S.unrolled_rnn(3, h0="symbolic")
    L, Ls = S.squared_loss(net)
    full = S.gradient_sum_of_products(net, Ls, "W_hh")
    assert S.is_zero(S.difference(full, S.gradient_sum_of_products(net, Ls, "W_hh", truncate=2)))
    assert S.is_zero(S.difference(full, S.gradient_sum_of_products(net, Ls, "W_hh", truncate=5)))
    G = S.output_errors(net, Ls)
    tau0 = sum((S.immediate_partial_term(net, t, "W_hh", G[t]) for t in range(1, 4)), sympy.zeros(1, 1))
    assert S.is_zero(S.difference(tau0, S.gradient_sum_of_products(net, Ls, "W_hh", truncate=0)))
    # h0 with τ = 1: only L_1 reaches h_0
    assert S.is_zero(S.difference(G[1] * S.one_step_jacobian(net, 1),
                                  S.gradient_sum_of_products(net, Ls, "h0", truncate=1)))


def test_immediate_partial_term_shapes_and_values():
    net = S.unrolled_rnn(3, 2, 3, 1, h0="symbolic")
    u = sympy.Matrix([[sympy.Symbol("u1"), sympy.Symbol("u2")]])
    D = u.multiply_elementwise(net.phi_prime(2))
    assert S.immediate_partial_term(net, 2, "W_hh", u) == net.h[1].T * D
    assert S.immediate_partial_term(net, 2, "W_xh", u).shape == (3, 2)
    assert S.immediate_partial_term(net, 2, "b_h", u) == D
    assert S.immediate_partial_term(net, 2, "h0", u) == sympy.zeros(1, 2)
    assert S.immediate_partial_term(net, 1, "h0", u) == u * S.one_step_jacobian(net, 1)


# --- tanh instance vs rnnlib ----------------------------------------------------------

@pytest.mark.parametrize("H, n_in, n_out", [(1, 1, 1), (2, 1, 2)])
def test_tanh_instance_matches_rnnlib(H, n_in, n_out):
    T = 3
    net = S.unrolled_rnn(T, H, n_in, n_out, h0="symbolic")
    L, Ls = S.squared_loss(net)
    rng = np.random.default_rng(7)
    params = rnnlib.init_params(n_in, H, n_out, seed=3)
    params["b_h"] = rng.normal(size=H) * 0.3
    params["b_y"] = rng.normal(size=n_out) * 0.3
    X = rng.normal(size=(T, 1, n_in))
    Y = rng.normal(size=(T, 1, n_out))
    h0 = rng.normal(size=(1, H)) * 0.5
    values = {}
    for key in ("W_xh", "W_hh", "b_h", "W_yh", "b_y"):
        values.update(zip(list(net.params[key]), np.ravel(params[key])))
    values.update(zip(list(net.h[0]), h0.ravel()))
    for t in range(1, T + 1):
        values.update(zip(list(net.X[t]), X[t - 1, 0]))
        values.update(zip(list(net.y[t]), Y[t - 1, 0]))
    subs = {s: sympy.Float(v, 30) for s, v in values.items()}

    def evaluate(expr):
        """Numbers first, then φ → tanh: fast even for the H = 2 expressions."""
        M = sympy.Matrix(expr) if isinstance(expr, sympy.MatrixBase) else sympy.Matrix([[expr]])
        return np.array(S.substitute(M.xreplace(subs)).evalf(20), dtype=float)

    loss, cache = rnnlib.forward(params, X, Y, h0=h0, loss="mse")
    grads = rnnlib.bptt(params, cache)
    assert abs(evaluate(L)[0, 0] - loss) <= 1e-12 * max(1.0, abs(loss))
    for key in S.PARAM_KEYS:
        for form in (S.direct_gradient(net, L, key), S.gradient_delta(net, Ls, key)):
            got = evaluate(form).reshape(np.shape(grads[key]))
            assert rnnlib.rel_error(got, grads[key]) < 1e-12, key
    # ∂L/∂h_0 = δ_1 J_1 with rnnlib's own value of h0's gradient
    d1 = evaluate(S.delta_recursion(net, Ls)[1] * S.one_step_jacobian(net, 1))
    assert rnnlib.rel_error(d1, grads["h0"]) < 1e-12


# --- bad input -------------------------------------------------------------------------

def test_bad_input_names_the_argument():
    net = S.unrolled_rnn(2)
    L, Ls = S.squared_loss(net)
    with pytest.raises(ValueError, match=r"^key: expected"):
        S.direct_gradient(net, L, "W_oops")
    with pytest.raises(ValueError, match=r"^key: expected .*h0='symbolic'"):
        S.gradient_delta(net, Ls, "h0")
    with pytest.raises(ValueError, match=r"^key: expected"):
        S.immediate_partial_term(net, 1, "W_yh", sympy.Matrix([[1]]))
    with pytest.raises(ValueError, match=r"^Ls: expected .*got length 2"):
        S.gradient_rtrl(net, Ls[:2], "W_hh")
    with pytest.raises(ValueError, match=r"^t: expected an integer in \[1, 2\], got 3"):
        S.one_step_jacobian(net, 3)
    with pytest.raises(ValueError, match=r"^k: expected"):
        S.jacobian_product(net, 1, 2)
    with pytest.raises(ValueError, match=r"^upstream: expected a 1×1 row"):
        S.immediate_partial_term(net, 1, "W_hh", sympy.Matrix([[1, 2]]))
    with pytest.raises(ValueError, match=r"^truncate: expected"):
        S.gradient_sum_of_products(net, Ls, "W_hh", truncate=-1)
    with pytest.raises(ValueError, match=r"^skip_k: expected"):
        S.gradient_sum_of_products(net, Ls, "W_hh", skip_k=0)
    with pytest.raises(ValueError, match=r"^formula: expected shape"):
        S.difference(sympy.zeros(1, 2), sympy.zeros(2, 1))
    with pytest.raises(ValueError, match=r"^net: expected"):
        S.output_errors("net", Ls)
    with pytest.raises(ValueError, match=r"^n_classes: expected"):
        S.softmax_ce_identity(1)
    with pytest.raises(ValueError, match=r"^net: expected .*squared_loss"):
        S.direct_error_signal(S.unrolled_rnn(2), 1)
