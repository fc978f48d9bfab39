"""The lean forward mode and the blocked backward pass (rnn.py, bptt.py).

``forward(..., lean=True)`` keeps only the hidden states; ``bptt`` recomputes
∂L/∂o_t block by block.  The gradients must be *identical* (bit for bit) to
those of a default cache, whatever the block size, and no returned array may
share memory with another call's results.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import rnnlib
import rnnlib.rnn as rnn_module
from problems import ACTIVATIONS, LOSSES, make_problem

KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")


@pytest.fixture(params=[1 << 18, 40, 1], ids=["one-block", "blocks-of-2-steps", "step-by-step"])
def block_floats(request, monkeypatch):
    """Run a test with large blocks (a single block here) and with tiny ones."""
    monkeypatch.setattr(rnn_module, "BLOCK_FLOATS", request.param)
    return request.param


def test_time_blocks_cover_every_step_once():
    for T, m, width in itertools.product((1, 2, 7, 100), (1, 3), (1, 5, 64)):
        blocks = rnn_module.time_blocks(T, m, width)
        steps = [t for s, e in blocks for t in range(s + 1, e + 1)]
        assert steps == list(range(1, T + 1))
        assert all(e > s for s, e in blocks)


@pytest.mark.parametrize("activation,loss", list(itertools.product(ACTIVATIONS, LOSSES)))
def test_lean_gradients_are_identical(activation, loss, block_floats):
    params, X, Y, h0, mask = make_problem(T=9, m=2, loss=loss, activation=activation,
                                          with_h0=True, with_mask=True, seed=0)
    kw = dict(h0=h0, activation=activation, loss=loss, loss_mask=mask)
    L, full = rnnlib.forward(params, X, Y, **kw)
    L_lean, lean = rnnlib.forward(params, X, Y, lean=True, **kw)
    assert L_lean == L
    assert lean.lean and lean.o is None and lean.dO is None
    np.testing.assert_array_equal(lean.h, full.h)
    g, g_lean = rnnlib.bptt(params, full), rnnlib.bptt(params, lean)
    for key in KEYS:
        np.testing.assert_array_equal(g_lean[key], g[key], err_msg=key)
    # the other gradient methods accept a lean cache too
    for other in (rnnlib.rtrl(params, lean), rnnlib.bptt_sum_of_products(params, lean)):
        assert max(rnnlib.rel_error(other[k], g[k]) for k in KEYS) < 1e-10
    for tau in (0, 3):
        a, b = rnnlib.bptt(params, full, truncate=tau), rnnlib.bptt(params, lean, truncate=tau)
        for key in KEYS:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_blocked_recursion_matches_one_block_and_central_differences(activation, monkeypatch):
    params, X, Y, h0, mask = make_problem(T=7, m=2, activation=activation, with_h0=True,
                                          with_mask=True, seed=5)
    kw = dict(h0=h0, activation=activation, loss_mask=mask)
    L1, c1 = rnnlib.forward(params, X, Y, **kw)
    g1 = rnnlib.bptt(params, c1)
    monkeypatch.setattr(rnn_module, "BLOCK_FLOATS", 3)          # one step per block
    assert len(rnn_module.time_blocks(7, 2, 5)) == 7
    L2, c2 = rnnlib.forward(params, X, Y, **kw)
    g2 = rnnlib.bptt(params, c2)
    assert abs(L2 - L1) <= 1e-13 * abs(L1)
    for key in KEYS:
        assert rnnlib.rel_error(g2[key], g1[key]) < 1e-12, key
    # and the blocked gradient is the true one
    W = params["W_hh"].copy()
    num = rnnlib.numerical_gradient(
        lambda w: rnnlib.forward({**params, "W_hh": w}, X, Y, **kw)[0], W, eps=1e-5)
    assert rnnlib.rel_error(g2["W_hh"], num) < 1e-7


@pytest.mark.parametrize("lean", [False, True])
def test_two_calls_share_no_memory(lean, block_floats):
    params, X, Y, h0, _ = make_problem(T=6, m=2, with_h0=True, seed=1)
    _, c1 = rnnlib.forward(params, X, Y, h0=h0, lean=lean)
    _, c2 = rnnlib.forward(params, X, Y, h0=h0, lean=lean)
    g1, g2 = rnnlib.bptt(params, c1), rnnlib.bptt(params, c2)
    g1b = rnnlib.bptt(params, c1)
    arrays1 = [c1.X, c1.h, c1.Y] + ([] if lean else [c1.o, c1.dO]) + [g1[k] for k in KEYS]
    arrays2 = [c2.X, c2.h, c2.Y] + ([] if lean else [c2.o, c2.dO]) + [g2[k] for k in KEYS]
    arrays2 += [g1b[k] for k in KEYS]
    for a, b in itertools.product(arrays1, arrays2):
        assert not np.shares_memory(a, b)
    # within one call, the gradients are distinct arrays too
    for a, b in itertools.combinations([g1[k] for k in KEYS], 2):
        assert not np.shares_memory(a, b)
    # and nothing aliases the caller's inputs or parameters
    for a in arrays1:
        for b in (X, Y, h0, *params.values()):
            assert not np.shares_memory(a, b)


def test_results_survive_later_calls():
    """A later call must not overwrite what an earlier call returned."""
    params, X, Y, _, _ = make_problem(T=5, m=2, seed=2)
    _, c1 = rnnlib.forward(params, X, Y)
    g1 = rnnlib.bptt(params, c1)
    h_copy, g_copy = c1.h.copy(), {k: v.copy() for k, v in g1.items()}
    X2 = np.random.default_rng(9).normal(size=X.shape)
    _, c2 = rnnlib.forward(params, X2, Y)
    rnnlib.bptt(params, c2)
    np.testing.assert_array_equal(c1.h, h_copy)
    for key in KEYS:
        np.testing.assert_array_equal(g1[key], g_copy[key])


@pytest.mark.parametrize("bad", [1, "yes", None, 0.0])
def test_lean_must_be_a_bool(bad):
    params, X, Y, _, _ = make_problem()
    with pytest.raises(ValueError, match=r"^lean: expected True or False, got"):
        rnnlib.forward(params, X, Y, lean=bad)
