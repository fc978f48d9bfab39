"""rnnlib.problems: the adding problem and the seeded problem builder."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib.problems import ADDING_BASELINE_MSE, adding_problem


@pytest.mark.parametrize("T", [2, 3, 10, 51])
def test_shapes_markers_and_target(T):
    m = 40
    X, Y, mask = adding_problem(T, m, seed=7)
    assert X.shape == (T, m, 2) and Y.shape == (T, m, 1) and mask.shape == (T, m)
    half = T // 2
    marks = X[..., 1]
    assert np.all(marks.sum(axis=0) == 2)
    assert np.all(marks[:half].sum(axis=0) == 1) and np.all(marks[half:].sum(axis=0) == 1)
    assert np.all((X[..., 0] >= 0) & (X[..., 0] <= 1))
    np.testing.assert_allclose(Y[-1, :, 0], (X[..., 0] * marks).sum(axis=0), rtol=0, atol=1e-15)
    assert np.all(Y[:-1] == 0)
    assert np.all(mask[-1] == 1) and np.all(mask[:-1] == 0)


def test_deterministic_given_seed_and_different_across_seeds():
    a, b, c = adding_problem(12, 5, seed=3), adding_problem(12, 5, seed=3), adding_problem(12, 5, seed=4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_mask_counts_only_last_step_in_forward():
    X, Y, mask = adding_problem(6, 4, seed=0)
    p = rnnlib.init_params(2, 3, 1, seed=0)
    L, cache = rnnlib.forward(p, X, Y, loss="mse", loss_mask=mask)
    want = 0.5 * np.mean((cache.o[-1, :, 0] - Y[-1, :, 0]) ** 2)
    assert abs(L - want) < 1e-14


def test_baseline_mse_of_predicting_one():
    _, Y, _ = adding_problem(4, 200_000, seed=1)
    mse = np.mean((Y[-1, :, 0] - 1.0) ** 2)
    assert abs(mse - ADDING_BASELINE_MSE) < 0.003


@pytest.mark.parametrize("kw, name", [({"T": 1, "m": 3}, "T"), ({"T": 5, "m": 0}, "m"),
                                      ({"T": 5.0, "m": 3}, "T"), ({"T": 5, "m": True}, "m")])
def test_bad_input(kw, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected an integer"):
        adding_problem(**kw, seed=0)


def test_random_problem_draws_in_the_documented_order():
    from rnnlib.initialisation import orthogonal
    from rnnlib.problems import random_problem

    prob = random_problem(5, 3, 2, 4, 3, seed=7, param_seed=8, h0_scale=0.5, mask=0.5,
                          recurrent=lambda rng: orthogonal(4, gain=1.5, seed=rng))
    rng = np.random.default_rng(7)                      # the same draws, written out
    Q, R = np.linalg.qr(rng.normal(size=(4, 4)))
    np.testing.assert_array_equal(prob.params["W_hh"], 1.5 * Q * np.sign(np.diag(R)))
    np.testing.assert_array_equal(prob.X, rng.normal(size=(5, 3, 2)))
    np.testing.assert_array_equal(prob.Y, rng.integers(0, 3, size=(5, 3)))
    np.testing.assert_array_equal(prob.h0, rng.normal(scale=0.5, size=(3, 4)))
    mask = (rng.random((5, 3)) < 0.5).astype(float)
    mask[-1] = 1.0
    np.testing.assert_array_equal(prob.loss_mask, mask)
    want = rnnlib.init_params(2, 4, 3, seed=8)
    for key in ("W_xh", "W_yh", "b_h", "b_y"):
        np.testing.assert_array_equal(prob.params[key], want[key])
    loss, cache = prob.forward()
    assert loss == rnnlib.forward(prob.params, prob.X, prob.Y, **prob.kwargs)[0]


def test_random_problem_options():
    from rnnlib.problems import random_problem

    prob = random_problem(4, 2, 1, 3, 2, seed=0, loss="mse", mask="last", b_h=0.25, activation="relu")
    assert prob.Y.shape == (4, 2, 2) and prob.h0 is None
    np.testing.assert_array_equal(prob.loss_mask, [[0, 0], [0, 0], [0, 0], [1, 1]])
    np.testing.assert_array_equal(prob.params["b_h"], 0.25)
    with pytest.raises(ValueError, match=r"^mask: expected"):
        random_problem(4, mask="first")
    with pytest.raises(ValueError, match=r"^recurrent: expected"):
        random_problem(4, H=3, recurrent=lambda rng: np.eye(2))
    with pytest.raises(ValueError, match=r"^h0_scale: expected"):
        random_problem(4, h0_scale=-1.0)


def test_problem_forward_and_kwargs():
    from rnnlib.problems import random_problem

    prob = random_problem(4, 2, seed=3, h0_scale=0.5, mask=0.5, activation="relu", loss="mse")
    assert set(prob.kwargs) == {"h0", "activation", "loss", "loss_mask"}
    L, cache = prob.forward()
    L2, _ = rnnlib.forward(prob.params, prob.X, prob.Y, **prob.kwargs)
    assert L == L2 and cache.activation == "relu" and cache.loss_name == "mse"
    assert prob.forward(lean=True)[1].lean
    with pytest.raises(ValueError, match=r"^param_seed: expected"):
        random_problem(4, param_seed=-1)
