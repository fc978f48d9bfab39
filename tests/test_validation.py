"""Every bad input raises ValueError naming the argument (GUIDE §4)."""
from __future__ import annotations


import numpy as np
import pytest

import rnnlib
import problems
from problems import make_problem


def base(loss="softmax_ce"):
    params, X, Y, _, _ = make_problem(T=3, m=2, n_in=3, H=4, n_out=5, loss=loss)
    return params, X, Y


def expect(name, fn, *args, **kwargs):
    """The argument named anywhere in the message (problems.expect requires it first)."""
    return problems.expect(name, fn, *args, anywhere=True, **kwargs)


def test_wrong_X_shapes():
    params, X, Y = base()
    expect("X", rnnlib.forward, params, X[0], Y)                       # 2-D
    expect("X", rnnlib.forward, params, X[:, :, :2], Y)                # wrong n_in
    msg = expect("X", rnnlib.forward, params, X[:0], Y[:0])            # T = 0
    assert "T >= 1" in msg


def test_wrong_Y():
    params, X, Y = base()
    expect("Y", rnnlib.forward, params, X, Y[:2])
    bad = Y.copy()
    bad[0, 0] = 5                                                       # n_out = 5
    expect("Y", rnnlib.forward, params, X, bad)
    bad[0, 0] = -1
    expect("Y", rnnlib.forward, params, X, bad)
    expect("Y", rnnlib.forward, params, X, Y + 0.5)                     # not integers
    params, X, Y = base("mse")
    expect("Y", rnnlib.forward, params, X, Y[..., :2], loss="mse")
    Yn = Y.copy()
    Yn[1, 1, 1] = np.nan
    expect("Y", rnnlib.forward, params, X, Yn, loss="mse")
    expect("Y", rnnlib.forward, params, X, None, loss="mse")


def test_wrong_h0():
    params, X, Y = base()
    expect("h0", rnnlib.forward, params, X, Y, h0=np.zeros((2, 3)))
    expect("h0", rnnlib.forward, params, X, Y, h0=np.zeros(4))
    expect("h0", rnnlib.forward, params, X, Y, h0=np.full((2, 4), np.inf))


def test_non_finite_inputs_and_params():
    params, X, Y = base()
    Xn = X.copy()
    Xn[1, 0, 2] = np.nan
    expect("X", rnnlib.forward, params, Xn, Y)
    for key in params:
        p = {k: v.copy() for k, v in params.items()}
        p[key].flat[0] = np.inf
        expect(key, rnnlib.forward, p, X, Y)


def test_unknown_activation_and_loss():
    params, X, Y = base()
    msg = expect("activation", rnnlib.forward, params, X, Y, activation="softplus")
    assert "softplus" in msg and "tanh" in msg
    msg = expect("loss", rnnlib.forward, params, X, Y, loss="hinge")
    assert "hinge" in msg and "mse" in msg


@pytest.mark.parametrize("key", ["W_xh", "W_hh", "b_h", "W_yh", "b_y"])
def test_missing_and_misshapen_parameters(key):
    params, X, Y = base()
    p = {k: v for k, v in params.items() if k != key}
    expect(key, rnnlib.forward, p, X, Y)
    p = dict(params)
    p[key] = np.zeros((2, 2, 2))
    expect(key, rnnlib.forward, p, X, Y)


def test_non_numeric_parameter():
    params, X, Y = base()
    params["W_hh"] = "not an array"
    expect("W_hh", rnnlib.forward, params, X, Y)


def test_bad_loss_mask():
    params, X, Y = base()
    expect("loss_mask", rnnlib.forward, params, X, Y, loss_mask=np.ones((2, 2)))
    expect("loss_mask", rnnlib.forward, params, X, Y, loss_mask=np.full((3, 2), np.nan))


def test_bad_init_params():
    expect("n_hidden", rnnlib.init_params, 3, 0, 2)
    expect("n_in", rnnlib.init_params, 2.5, 3, 2)


def test_gradients_validate_params_and_cache():
    params, X, Y = base()
    _, cache = rnnlib.forward(params, X, Y)
    p = dict(params)
    del p["W_hh"]
    for fn in (rnnlib.bptt, rnnlib.bptt_sum_of_products, rnnlib.rtrl):
        expect("W_hh", fn, p, cache)
        expect("cache", fn, params, {"h": 1})


def test_numerical_gradient_and_rel_error_inputs():
    expect("x", rnnlib.numerical_gradient, lambda x: 0.0, np.arange(3))      # integer array
    expect("eps", rnnlib.numerical_gradient, lambda x: 0.0, np.zeros(3), eps=0)
    expect("b", rnnlib.rel_error, np.zeros(3), np.zeros(4))


# --------------------------------------------------------------------------- issue 16: the shared checks
def test_check_finite_steps_names_the_first_forward_and_the_last_backward_step():
    from rnnlib.validation import NumericalOverflow, check_finite_steps, first_nonfinite

    a = np.zeros((6, 2))
    a[[2, 4], 1] = [np.inf, np.nan]
    assert first_nonfinite(a) == 2 and first_nonfinite(a, last=True) == 4
    assert first_nonfinite(np.zeros((3, 2))) is None
    with pytest.raises(NumericalOverflow) as info:
        check_finite_steps("h_t", a, first_step=0, where="forward pass")
    assert (info.value.quantity, info.value.step, info.value.where) == ("h_t", 2, "forward pass")
    assert str(info.value).startswith("h_t: the forward pass overflowed at step t = 2: expected finite")
    assert "inf" in str(info.value) and "at step 1 was 0" in str(info.value)
    with pytest.raises(NumericalOverflow) as info:
        check_finite_steps("δ_t", a, first_step=1, where="backward pass", backward=True)
    assert info.value.step == 5 and "at step 6 was 0" in str(info.value)
    check_finite_steps("h_t", np.ones((2, 2)), first_step=0, where="forward pass")     # finite: no error


def test_check_seed_and_cache_array():
    from rnnlib.validation import cache_array, check_seed

    assert check_seed(np.int32(3)) == 3 and type(check_seed(np.int32(3))) is int
    rng = np.random.default_rng(0)
    assert check_seed(rng) is rng
    expect("param_seed", check_seed, True, "param_seed")

    class C:
        h = np.zeros((3, 2))
    assert cache_array(C, "h", (3, 2), "(T, H)") is C.h
    expect("cache", cache_array, C, "h", (3, 3), "(T, H)")
    expect("cache", cache_array, C, "o", (3, 2), "(T, H)")
    assert cache_array(C, "o", (3, 2), "(T, H)", optional=True) is None
    C.h = np.full((3, 2), np.nan)
    msg = expect("cache", cache_array, C, "h", (3, 2), "(T, H)")
    assert "cache.h" in msg and "(0, 0)" in msg
    assert cache_array(C, "h", (3, 2), "(T, H)", allow_nan_where=np.ones((3, 2), bool)) is C.h
