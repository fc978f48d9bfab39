"""rnnlib.training.optim: each update against values computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from rnnlib.training import optim


def one_param(x=1.0):
    return {"w": np.array([x, -2.0 * x])}


def test_sgd_plain_step_by_hand():
    p = one_param()
    optim.SGD(lr=0.1).step(p, {"w": np.array([0.5, -1.0]), "h0": np.ones(3)})  # extra key ignored
    np.testing.assert_allclose(p["w"], [1.0 - 0.05, -2.0 + 0.1], rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps_by_hand():
    p = {"w": np.array([0.0])}
    opt = optim.SGD(lr=0.5, momentum=0.9)
    opt.step(p, {"w": np.array([1.0])})          # v = 1,   w = -0.5
    opt.step(p, {"w": np.array([2.0])})          # v = 2.9, w = -0.5 - 1.45
    np.testing.assert_allclose(p["w"], [-1.95], rtol=0, atol=1e-15)


def test_adagrad_two_steps_by_hand():
    p = {"w": np.array([1.0])}
    opt = optim.Adagrad(lr=0.1, eps=0.0 + 1e-12)
    opt.step(p, {"w": np.array([3.0])})          # r = 9,  step 0.1·3/3 = 0.1
    opt.step(p, {"w": np.array([4.0])})          # r = 25, step 0.1·4/5 = 0.08
    np.testing.assert_allclose(p["w"], [1.0 - 0.1 - 0.08], rtol=1e-10)


def test_adam_first_step_is_lr_times_sign():
    # With bias correction m̂ = g and v̂ = g², so the first step is lr·g/(|g|+eps).
    p = {"w": np.array([0.0, 0.0]), "b": np.array([[1.0]])}
    optim.Adam(lr=0.01, eps=1e-12).step(p, {"w": np.array([3.0, -0.2]), "b": np.array([[5.0]])})
    np.testing.assert_allclose(p["w"], [-0.01, 0.01], rtol=1e-9)
    np.testing.assert_allclose(p["b"], [[0.99]], rtol=1e-12)


def test_adam_second_step_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    g1, g2 = 1.0, -3.0
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1 ** 2
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2 ** 2
    w = 0.0 - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    w -= lr * (m2 / (1 - b1 ** 2)) / (np.sqrt(v2 / (1 - b2 ** 2)) + eps)
    p = {"w": np.array([0.0])}
    opt = optim.Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    opt.step(p, {"w": np.array([g1])})
    opt.step(p, {"w": np.array([g2])})
    np.testing.assert_allclose(p["w"], [w], rtol=1e-12)


def test_update_is_in_place_and_deterministic():
    p1, p2 = one_param(), one_param()
    ref = p1["w"]
    for p in (p1, p2):
        opt = optim.Adam(lr=0.05)
        for s in range(5):
            opt.step(p, {"w": np.array([np.sin(s), np.cos(s)])})
    assert p1["w"] is ref
    np.testing.assert_array_equal(p1["w"], p2["w"])


def test_descends_a_quadratic():
    for opt in (optim.SGD(0.1), optim.SGD(0.05, momentum=0.9), optim.Adagrad(0.5), optim.Adam(0.1)):
        p = {"w": np.array([3.0, -4.0])}
        for _ in range(300):
            opt.step(p, {"w": p["w"].copy()})            # gradient of ½‖w‖²
        assert np.linalg.norm(p["w"]) < 0.05, type(opt).__name__


@pytest.mark.parametrize("make, name", [
    (lambda: optim.SGD(lr=0.0), "lr"),
    (lambda: optim.SGD(lr=-1), "lr"),
    (lambda: optim.SGD(lr=float("nan")), "lr"),
    (lambda: optim.SGD(lr="0.1"), "lr"),
    (lambda: optim.SGD(lr=0.1, momentum=1.0), "momentum"),
    (lambda: optim.SGD(lr=0.1, momentum=-0.1), "momentum"),
    (lambda: optim.Adagrad(lr=0.1, eps=0.0), "eps"),
    (lambda: optim.Adam(beta1=1.0), "beta1"),
    (lambda: optim.Adam(beta2=True), "beta2"),
    (lambda: optim.Adam(eps=-1e-8), "eps"),
    (lambda: optim.make_optimizer("rmsprop"), "name"),
])
def test_bad_hyperparameters_name_the_argument(make, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        make()


def test_bad_step_arguments():
    opt = optim.SGD(0.1)
    with pytest.raises(ValueError, match=r"^w: expected grads to contain"):
        opt.step({"w": np.zeros(2)}, {"v": np.zeros(2)})
    with pytest.raises(ValueError, match=r"^w: expected shape \(2,\)"):
        opt.step({"w": np.zeros(2)}, {"w": np.zeros(3)})
    with pytest.raises(ValueError, match=r"^w: expected finite"):
        opt.step({"w": np.zeros(2)}, {"w": np.array([np.nan, 0.0])})
    with pytest.raises(ValueError, match=r"^w: expected a float64 numpy array"):
        opt.step({"w": [0.0, 0.0]}, {"w": np.zeros(2)})
    with pytest.raises(ValueError, match=r"^params: expected"):
        opt.step({}, {})


def test_make_optimizer():
    opt = optim.make_optimizer("sgd", lr=0.2, momentum=0.5)
    assert isinstance(opt, optim.SGD) and opt.lr == 0.2 and opt.momentum == 0.5
