"""The speed work of issue 14 changes how rnnlib computes, never what.

* Recycled result memory (``rnnlib.rnn.recycled``): a cache never shares memory
  with an array that is still alive, and a recycled cache holds the same numbers
  as a fresh one.
* The fast paths of the checks (``check_params``, ``all_finite``, the integer
  labels of ``check_targets``, ``check_finite_grads``) accept exactly what the
  exact checks accept, including finite values whose sum overflows.
* The one-pass softmax cross-entropy and squared error of
  ``losses.loss_and_dlogits`` agree with their textbook formulas.
* ``activations.phi_in_place`` is φ.

(The widgets' part of the speed work is tested in ``test_plots_speed.py``.)

No timings here: the speed itself is measured by ``make bench``.
"""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import activations, losses, validation
from rnnlib.rnn import recycled

from rnnlib.problems import random_problem


def _problem(T=7, m=3, n_in=4, H=5, n_out=3, seed=0, loss="softmax_ce"):
    prob = random_problem(T, m, n_in, H, n_out, seed=seed, loss=loss)
    return prob.params, prob.X, prob.Y


# --------------------------------------------------------------------------- recycled memory
def test_a_dropped_cache_is_recycled_with_the_right_numbers():
    params, X, Y = _problem()
    L1, c1 = rnnlib.forward(params, X, Y)
    fresh = {k: getattr(c1, k).copy() for k in ("X", "h", "o", "dO")}
    del c1
    L2, c2 = rnnlib.forward(params, X, Y)
    assert L2 == L1
    for k, v in fresh.items():
        np.testing.assert_array_equal(getattr(c2, k), v)


def test_memory_still_in_use_is_never_handed_out_again():
    params, X, Y = _problem()
    _, c1 = rnnlib.forward(params, X, Y)
    row = c1.h[3]                                   # a view keeps the whole buffer alive
    kept = row.copy()
    del c1
    _, c2 = rnnlib.forward(params, 2.0 * X, Y)      # other numbers in the new cache
    assert not np.shares_memory(c2.h, row)
    np.testing.assert_array_equal(row, kept)
    _, c3 = rnnlib.forward(params, X, Y)
    for name in ("X", "h", "o", "dO"):
        assert not np.shares_memory(getattr(c2, name), getattr(c3, name)), name


def test_recycled_arrays_of_one_call_are_disjoint():
    a = recycled("test.a", (4, 5))
    b = recycled("test.b", (4, 5))
    a[...] = 1.0
    b[...] = 2.0
    assert not np.shares_memory(a, b)
    c = recycled("test.a", (2, 3))                  # a is alive: fresh memory
    assert not np.shares_memory(a, c)
    del a
    d = recycled("test.b", (3,))                    # b is alive
    assert not np.shares_memory(b, d)


def test_large_results_are_not_recycled():
    n = rnnlib.rnn.RECYCLE_BYTES // 8 + 1
    a = recycled("test.big", (n,))
    buf = a.base if a.base is not None else a
    del a
    b = recycled("test.big", (n,))
    assert not np.shares_memory(b, buf)


def test_gradients_of_a_recycled_cache_match_a_fresh_one():
    params, X, Y = _problem(T=9)
    g1 = rnnlib.bptt(params, rnnlib.forward(params, X, Y)[1])
    g2 = rnnlib.bptt(params, rnnlib.forward(params, X, Y)[1])      # reuses the memory of the first
    g3 = rnnlib.bptt_sum_of_products(params, rnnlib.forward(params, X, Y)[1])
    g4 = rnnlib.rtrl(params, rnnlib.forward(params, X, Y)[1])
    for key in g1:
        np.testing.assert_array_equal(g1[key], g2[key])
        assert rnnlib.rel_error(g1[key], g3[key]) < 1e-10, key
        assert rnnlib.rel_error(g1[key], g4[key]) < 1e-10, key


# --------------------------------------------------------------------------- fast checks
@pytest.mark.parametrize("values, expected", [
    ([1.0, -2.0, 3.5], True),
    ([1.0, np.nan], False),
    ([np.inf, 1.0], False),
    ([-np.inf, 1.0], False),
    ([np.inf, -np.inf], False),
    ([1e308, 1e308, -1e308], True),           # finite, but the sum overflows
    ([], True),
])
def test_all_finite(values, expected):
    arr = np.array(values, dtype=np.float64)
    with np.errstate(all="raise"):            # the check itself raises no warning
        assert validation.all_finite(arr) is expected


def test_all_finite_on_integer_arrays():
    assert validation.all_finite(np.arange(5))


def test_fast_param_check_returns_the_arrays_or_copies():
    params, _, _ = _problem()
    same = validation.check_params(params, copy=False)
    assert all(same[k] is params[k] for k in params)
    copies = validation.check_params(params)
    for k in params:
        np.testing.assert_array_equal(copies[k], params[k])
        assert not np.shares_memory(copies[k], params[k])


def test_finite_parameters_whose_sum_overflows_are_accepted():
    params, X, Y = _problem()
    huge = dict(params, b_y=np.array([1e308, 1e308, -1e308]))
    assert validation.check_params(huge, copy=False)["b_y"] is huge["b_y"]


@pytest.mark.parametrize("key, bad, word", [
    ("W_hh", np.nan, "W_hh"),
    ("b_h", np.inf, "b_h"),
    ("W_yh", -np.inf, "W_yh"),
])
def test_fast_param_check_rejects_non_finite_values(key, bad, word):
    params, X, Y = _problem()
    broken = {k: v.copy() for k, v in params.items()}
    broken[key].flat[0] = bad
    for f in (lambda: rnnlib.forward(broken, X, Y),
              lambda: rnnlib.bptt(broken, rnnlib.forward(params, X, Y)[1])):
        with pytest.raises(ValueError, match=rf"^{word}: expected finite values"):
            f()


@pytest.mark.parametrize("change", ["int", "float32", "list", "fortran", "complex", "shape", "extra", "missing"])
def test_fast_param_check_agrees_with_the_exact_check(change):
    params, X, Y = _problem()
    p = dict(params)
    if change == "int":
        p["b_h"] = np.zeros(p["b_h"].shape, dtype=int)
    elif change == "float32":
        p["W_xh"] = p["W_xh"].astype(np.float32)
    elif change == "list":
        p["W_hh"] = p["W_hh"].tolist()
    elif change == "fortran":
        p["W_hh"] = np.asfortranarray(p["W_hh"])
    elif change == "complex":
        p["W_hh"] = p["W_hh"] + 0j
    elif change == "shape":
        p["b_y"] = np.zeros(p["b_y"].size + 1)
    elif change == "extra":
        p["W_extra"] = np.zeros(2)
    elif change == "missing":
        del p["b_h"]
    if change in ("complex", "shape", "extra", "missing"):
        with pytest.raises(ValueError):
            validation.check_params(p, copy=False)
        return
    checked = validation.check_params(p, copy=False)
    for k in params:
        np.testing.assert_allclose(checked[k], np.asarray(p[k], dtype=np.float64))
    L_fast = rnnlib.forward(p, X, Y)[0]
    assert abs(L_fast - rnnlib.forward(params, X, Y)[0]) < 1e-6


@pytest.mark.parametrize("labels, ok", [
    (np.array([[0, 2], [1, 1]]), True),
    (np.array([[0, 3], [1, 1]]), False),
    (np.array([[-1, 0], [1, 1]]), False),
    (np.array([[0, 2], [1, 1]], dtype=np.uint8), True),
    (np.array([[0.0, 2.0], [1.0, 1.0]]), True),
    (np.array([[0.5, 2.0], [1.0, 1.0]]), False),
])
def test_integer_labels_fast_path(labels, ok):
    active = np.ones(labels.shape, bool)
    if ok:
        out = validation.check_targets(labels, "softmax_ce", 2, 2, 3, active)
        assert out.dtype == np.intp
        np.testing.assert_array_equal(out, labels.astype(np.intp))
        assert not np.shares_memory(out, labels)
    else:
        with pytest.raises(ValueError, match=r"^Y: expected integer labels in \[0, 2\]"):
            validation.check_targets(labels, "softmax_ce", 2, 2, 3, active)


def test_masked_labels_may_be_anything():
    labels = np.array([[0, 99], [1, -5]])
    active = np.array([[True, False], [True, False]])
    out = validation.check_targets(labels, "softmax_ce", 2, 2, 3, active)
    np.testing.assert_array_equal(out, [[0, 0], [1, 0]])


def test_check_finite_grads_names_the_key():
    grads = {"W_xh": np.zeros((2, 2)), "W_hh": np.array([[1.0, np.inf]])}
    with pytest.raises(FloatingPointError, match=r"^W_hh:"):
        validation.check_finite_grads(grads)
    assert validation.check_finite_grads({"a": np.array([1e308, 1e308])})


# --------------------------------------------------------------------------- losses
def _reference(o, Y, loss, w):
    """The textbook formulas, with every temporary."""
    if loss == "softmax_ce":
        z = o - o.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        onehot = np.eye(o.shape[-1])[Y]
        L = -(w * (logp * onehot).sum(-1)).sum()
        return L, (np.exp(logp) - onehot) * w[..., None]
    diff = np.where(w[..., None] != 0, o - np.nan_to_num(Y), 0.0)
    return 0.5 * (w[..., None] * diff ** 2).sum(), diff * w[..., None]


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
@pytest.mark.parametrize("masked", [False, True])
def test_one_pass_loss_matches_the_textbook_formula(loss, masked):
    rng = np.random.default_rng(3)
    T, m, n = 6, 4, 5
    o = rng.normal(scale=30.0, size=(T, m, n))       # large logits: exp would overflow unshifted
    w = np.full((T, m), 1 / m)
    if masked:
        w[rng.random((T, m)) < 0.4] = 0.0
    if loss == "softmax_ce":
        Y = rng.integers(0, n, size=(T, m))
    else:
        Y = rng.normal(size=(T, m, n))
        Y[w == 0] = np.nan                           # masked targets may be NaN
    L, dO = losses.loss_and_dlogits(o, Y, loss, w)
    L_ref, dO_ref = _reference(o, np.where(w != 0, Y, 0).astype(int) if loss == "softmax_ce" else Y, loss, w)
    assert abs(L - L_ref) <= 1e-12 * max(1.0, abs(L_ref))
    assert rnnlib.rel_error(dO, dO_ref) < 1e-13
    out = np.empty_like(o)
    L2, dO2 = losses.loss_and_dlogits(o, Y, loss, w, out=out)
    assert dO2 is out and L2 == L
    np.testing.assert_array_equal(out, dO)


# --------------------------------------------------------------------------- φ in place
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_phi_in_place_is_phi(activation):
    a = np.concatenate([np.linspace(-40, 40, 801), [0.0, 1e-12, -1e-300, 700.0, -700.0]])
    expected = activations.phi(a, activation)
    f = activations.phi_in_place(activation)
    b = a.copy()
    if f is not None:
        f(b, b)
    np.testing.assert_array_equal(b, expected)
