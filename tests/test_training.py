"""rnnlib.training: chunked truncated BPTT and the training loop."""
from __future__ import annotations

import numpy as np
import pytest

import rnnlib
from rnnlib import training, truncation
from rnnlib.training import optim
from rnnlib.problems import adding_problem

REC = ("W_xh", "W_hh", "b_h")


def problem(T=9, m=3, H=4, seed=0):
    p = rnnlib.init_params(2, H, 1, seed=seed)
    X, Y, _ = adding_problem(T, m, seed=seed + 10)
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=Y.shape)                 # a loss at every step, so every chunk has one
    return p, X, Y


@pytest.mark.parametrize("chunk", [None, 9, 50])
def test_one_chunk_is_full_bptt(chunk):
    p, X, Y = problem()
    model = training.vanilla_model()
    L, g, state = training.chunked_gradients(model, p, X, Y, chunk=chunk)
    L_ref, cache = rnnlib.forward(p, X, Y, loss="mse")
    ref = rnnlib.bptt(p, cache)
    assert L == L_ref
    assert set(g) == set(p)
    for k in p:
        assert rnnlib.rel_error(g[k], ref[k]) < 1e-13
    np.testing.assert_array_equal(state["h0"], cache.h[-1])


def test_chunk_of_one_is_truncate_zero():
    p, X, Y = problem()
    _, g, _ = training.chunked_gradients(training.vanilla_model(), p, X, Y, chunk=1)
    _, cache = rnnlib.forward(p, X, Y, loss="mse")
    ref = rnnlib.bptt(p, cache, truncate=0)
    for k in p:
        assert rnnlib.rel_error(g[k], ref[k]) < 1e-12


@pytest.mark.parametrize("chunk", [2, 3, 4])
def test_chunk_boundaries_stop_the_gradient(chunk):
    """Finite differences of Σ_j L_j(θ; incoming state of chunk j frozen at θ₀)."""
    p, X, Y = problem()
    T = X.shape[0]
    model = training.vanilla_model()
    L, g, _ = training.chunked_gradients(model, p, X, Y, chunk=chunk)
    _, cache = rnnlib.forward(p, X, Y, loss="mse")
    starts = list(range(0, T, chunk))
    frozen = [cache.h[s].copy() for s in starts]         # h at each chunk start, at θ₀

    def chunked_loss(_):
        return sum(rnnlib.forward(p, X[s:s + chunk], Y[s:s + chunk], h0=h0, loss="mse")[0]
                   for s, h0 in zip(starts, frozen))

    assert abs(chunked_loss(None) - L) < 1e-12          # the forward pass is exact
    full = rnnlib.bptt(p, cache)
    for k in p:
        num = rnnlib.numerical_gradient(chunked_loss, p[k], 1e-5)
        assert rnnlib.rel_error(g[k], num) < 1e-7, k
    # ...and it really is a different gradient from full BPTT.
    assert rnnlib.rel_error(g["W_hh"], full["W_hh"]) > 1e-3
    for k in ("W_yh", "b_y"):                           # output weights are never truncated
        assert rnnlib.rel_error(g[k], full[k]) < 1e-12


def test_state_is_carried_between_sequences():
    p, X, Y = problem()
    model = training.vanilla_model()
    _, _, state = training.chunked_gradients(model, p, X[:5], Y[:5], chunk=2)
    L2, _, _ = training.chunked_gradients(model, p, X[5:], Y[5:], chunk=2, state=state)
    L_ref, _ = rnnlib.forward(p, X[5:], Y[5:], h0=state["h0"], loss="mse")
    assert L2 == pytest.approx(L_ref, rel=1e-14)


def fixed_batch(T=6, m=16, seed=0):
    batch = adding_problem(T, m, seed=seed)
    return lambda step: batch


def test_training_decreases_the_loss():
    p = rnnlib.init_params(2, 8, 1, seed=0)
    h = training.train(training.vanilla_model(), p, fixed_batch(), optimizer=optim.Adam(0.05), steps=150)
    assert h.loss.shape == (150,) and h.grad_norm.shape == (150,)
    assert np.all(np.isfinite(h.loss)) and h.diverged_at is None
    assert h.loss[-10:].mean() < 0.3 * h.loss[:10].mean()
    final = training.evaluate(training.vanilla_model(), h.params, *fixed_batch()(0)[:2],
                              loss_mask=fixed_batch()(0)[2])
    assert final < 0.3 * h.loss[0]


def test_training_is_deterministic_and_leaves_input_alone():
    p = rnnlib.init_params(2, 5, 1, seed=1)
    before = {k: v.copy() for k, v in p.items()}
    data = lambda s: adding_problem(7, 4, seed=100 + s)
    runs = [training.train(training.vanilla_model(), p, data, optimizer=optim.SGD(0.1, momentum=0.9),
                           steps=20, clip_norm=1.0, chunk=3) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].loss, runs[1].loss)
    np.testing.assert_array_equal(runs[0].grad_norm, runs[1].grad_norm)
    for k in p:
        np.testing.assert_array_equal(runs[0].params[k], runs[1].params[k])
        np.testing.assert_array_equal(p[k], before[k])


def test_norm_clipping_in_the_loop_keeps_direction_and_caps_the_step():
    p = rnnlib.init_params(2, 4, 1, seed=2)
    data = fixed_batch(T=5, m=3)
    X, Y, mask = data(0)
    L, cache = rnnlib.forward(p, X, Y, loss="mse", loss_mask=mask)
    g = rnnlib.bptt(p, cache)
    h = training.train(training.vanilla_model(), p, data, optimizer=optim.SGD(1.0), steps=1, clip_norm=1e-3)
    step = {k: p[k] - h.params[k] for k in p}
    norm = np.sqrt(sum(np.sum(s * s) for s in step.values()))
    assert norm == pytest.approx(1e-3, rel=1e-12)
    assert h.clipped[0] and h.grad_norm[0] == pytest.approx(rnnlib.global_norm({k: g[k] for k in p}), rel=1e-12)
    for k in p:
        np.testing.assert_allclose(step[k], g[k] * (1e-3 / h.grad_norm[0]), rtol=1e-10, atol=1e-18)


def test_value_clipping_in_the_loop_bounds_every_entry():
    p = rnnlib.init_params(2, 4, 1, seed=2)
    h = training.train(training.vanilla_model(), p, fixed_batch(T=5, m=3), optimizer=optim.SGD(1.0),
                       steps=1, clip_value=1e-4)
    assert h.clipped[0]
    for k in p:
        assert np.max(np.abs(p[k] - h.params[k])) <= 1e-4 * (1 + 1e-12)


@pytest.mark.parametrize("kw, name", [
    ({"steps": 0}, "steps"),
    ({"steps": 2, "chunk": 0}, "chunk"),
    ({"steps": 2, "clip_norm": 1.0, "clip_value": 1.0}, "clip_value"),
    ({"steps": 2, "optimizer": "adam"}, "optimizer"),
    ({"steps": 2, "data": [1, 2]}, "data"),
    ({"steps": 2, "model": "vanilla"}, "model"),
])
def test_bad_train_arguments(kw, name):
    args = {"model": training.vanilla_model(), "params": rnnlib.init_params(2, 3, 1),
            "data": fixed_batch(), "optimizer": optim.SGD(0.1)}
    args.update(kw)
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        training.train(args.pop("model"), args.pop("params"), args.pop("data"), **args)


def test_bad_model_arguments():
    with pytest.raises(ValueError, match=r"^activation: expected"):
        training.vanilla_model("gelu")
    with pytest.raises(ValueError, match=r"^chunk: expected"):
        training.chunked_gradients(training.vanilla_model(), rnnlib.init_params(2, 3, 1),
                                   np.zeros((4, 1, 2)), np.zeros((4, 1, 1)), chunk=-2)


def test_lstm_model_one_chunk_and_boundaries():
    lstm = pytest.importorskip("rnnlib.lstm")
    model = training.lstm_model()
    p = lstm.init_params(2, 3, 1, seed=4)
    X, _, _ = adding_problem(7, 2, seed=5)
    Y = np.random.default_rng(5).normal(size=(7, 2, 1))
    L, g, state = training.chunked_gradients(model, p, X, Y)
    L_ref, cache = lstm.forward(p, X, Y, loss="mse")
    ref = lstm.bptt(p, cache)
    assert L == L_ref
    for k in p:
        assert rnnlib.rel_error(g[k], ref[k]) < 1e-13
    # Chunks of 3: finite differences with (h, C) frozen at every chunk start.
    _, g3, _ = training.chunked_gradients(model, p, X, Y, chunk=3)
    starts = [0, 3, 6]
    frozen = [(cache.h[s].copy(), cache.c[s].copy()) for s in starts]

    def chunked_loss(_):
        return sum(lstm.forward(p, X[s:s + 3], Y[s:s + 3], h0=h0, c0=c0, loss="mse")[0]
                   for s, (h0, c0) in zip(starts, frozen))

    for k in ("W_hf", "W_hc", "b_i", "W_yh"):
        assert rnnlib.rel_error(g3[k], rnnlib.numerical_gradient(chunked_loss, p[k], 1e-5)) < 1e-7, k


def test_lstm_learns_a_fixed_batch():
    lstm = pytest.importorskip("rnnlib.lstm")
    p = lstm.init_params(2, 6, 1, seed=0)
    h = training.train(training.lstm_model(), p, fixed_batch(), optimizer=optim.Adam(0.05), steps=120)
    assert h.loss[-10:].mean() < 0.3 * h.loss[:10].mean()


def test_kept_by_chunks_masks():
    m = truncation.kept_by_chunks(5, 2)
    want = np.array([[1, 0, 0, 0, 0],
                     [1, 1, 0, 0, 0],
                     [0, 0, 1, 0, 0],
                     [0, 0, 1, 1, 0],
                     [0, 0, 0, 0, 1]], bool)
    np.testing.assert_array_equal(m, want)
    np.testing.assert_array_equal(truncation.kept_by_chunks(4, None), np.tril(np.ones((4, 4), bool)))
    np.testing.assert_array_equal(truncation.kept_by_chunks(4, 1), np.eye(4, dtype=bool))
    with pytest.raises(ValueError, match=r"^T: expected"):
        truncation.kept_by_chunks(0, 2)
    with pytest.raises(ValueError, match=r"^chunk: expected"):
        truncation.kept_by_chunks(4, 0)


def test_exercise_checker_accepts_the_reference_and_rejects_full_bptt(capsys):
    from rnnlib.exercises import check_chunked_tbptt

    def reference(p, X, Y, K):
        return training.chunked_gradients(training.vanilla_model(), p, X, Y, chunk=K, loss="mse")[1]

    def full(p, X, Y, K):
        return training.chunked_gradients(training.vanilla_model(), p, X, Y, chunk=None, loss="mse")[1]

    assert check_chunked_tbptt(reference) is True
    assert check_chunked_tbptt(full) is False
    assert "not yet correct" in capsys.readouterr().out


# --------------------------------------------------------------------------- divergence
def test_a_linear_rnn_with_a_huge_W_hh_diverges_under_plain_sgd():
    """Sure to diverge: φ = identity, W_hh = 3 I, T = 400, plain SGD without clipping.  The
    forward pass overflows (‖h_t‖ grows like 3^t); train records the step instead of raising."""
    from rnnlib.initialisation import params_with_W_hh

    p = params_with_W_hh(3.0 * np.eye(4), 2, 1, seed=0)
    data = lambda s: adding_problem(400, 4, seed=s)          # noqa: E731
    with np.errstate(all="ignore"):
        h = training.train(training.vanilla_model("linear"), p, data, optimizer=optim.SGD(0.1), steps=5)
    assert h.diverged_at == 0 and h.diverged_reason
    assert np.all(np.isnan(h.loss[1:])) and not h.clipped.any()
    for k in p:                                              # the parameters before the failing step
        np.testing.assert_array_equal(h.params[k], p[k])


def test_a_floating_point_error_of_the_model_is_recorded_with_its_step():
    base = training.vanilla_model()

    def forward(params, X, Y, state, loss, loss_mask, calls=[0]):   # noqa: B006 - counts calls
        calls[0] += 1
        if calls[0] == 4:
            raise FloatingPointError("h_t: the forward pass overflowed at step t = 2")
        return base.forward(params, X, Y, state, loss, loss_mask)

    model = training.Model("overflowing", base.init, forward, base.bptt, base.final_state, base.output)
    h = training.train(model, rnnlib.init_params(2, 3, 1), fixed_batch(), optimizer=optim.SGD(0.1), steps=6)
    assert h.diverged_at == 3
    assert h.diverged_reason.startswith("FloatingPointError: h_t:")
    assert np.all(np.isfinite(h.loss[:3])) and np.all(np.isnan(h.loss[3:]))


def test_an_update_that_overflows_the_parameters_is_divergence():
    class Overflowing:                       # an update that leaves W_hh infinite at its 2nd step
        steps = 0

        def step(self, params, grads):
            self.steps += 1
            if self.steps == 2:
                params["W_hh"] *= np.inf

    p = rnnlib.init_params(2, 3, 1, seed=0)
    with np.errstate(all="ignore"):
        h = training.train(training.vanilla_model(), p, fixed_batch(), optimizer=Overflowing(), steps=4)
    assert h.diverged_at == 1 and "parameters" in h.diverged_reason
    for k in p:
        np.testing.assert_array_equal(h.params[k], p[k])


def test_gru_model_one_chunk_is_gru_bptt():
    gru = pytest.importorskip("rnnlib.gru")
    model = training.gru_model()
    p = gru.init_params(2, 3, 1, seed=4)
    X, Y, mask = adding_problem(7, 2, seed=5)
    L, g, state = training.chunked_gradients(model, p, X, Y, loss_mask=mask)
    L_ref, cache = gru.forward(p, X, Y, loss="mse", loss_mask=mask)
    ref = gru.bptt(p, cache)
    assert L == L_ref and set(g) == set(p)
    for k in p:
        assert rnnlib.rel_error(g[k], ref[k]) < 1e-13
    np.testing.assert_array_equal(state["h0"], cache.h[-1])
