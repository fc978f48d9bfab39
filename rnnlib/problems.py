"""Seeded problems: one random-problem builder for the whole book, and the adding task.

:func:`random_problem` is the single place where the book draws a random
network and its data.  Every chapter's examples, every widget, the exercise
checkers and the tests call it with their own sizes and seed, so that a problem
is described by one line and reproduced exactly.  It draws, from one generator
``np.random.default_rng(seed)`` and in this order:

1. the recurrent matrix, if ``recurrent`` is given (a function of that
   generator, e.g. ``lambda rng: orthogonal(H, gain=1.5, seed=rng)``);
2. the inputs X ~ N(0, 1), shape (T, m, n_in);
3. the targets: labels uniform in 0..n_out−1, shape (T, m), for
   ``loss="softmax_ce"``, or N(0, 1) targets (T, m, n_out) for ``"mse"``;
4. h_0 ~ N(0, h0_scale²) if ``h0_scale > 0`` (else h_0 = 0);
5. a random 0/1 loss mask if ``mask`` is a probability.

The other parameters come from :func:`rnnlib.init_params` with ``param_seed``
(default: ``seed``).

:func:`adding_problem` is the long-range task of chapter 9 (Hochreiter &
Schmidhuber 1997; used by Pascanu et al. 2013 and Le et al. 2015).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .initialisation import rng_from
from .rnn import forward, init_params
from .validation import (check_activation, check_choice, check_int, check_loss, check_real, check_seed,
                         check_square)

__all__ = ["Problem", "random_problem", "scaled_problem", "adding_problem", "ADDING_BASELINE_MSE"]

#: Mean squared error of always predicting 1 (the mean of the sum of two U(0, 1)).
ADDING_BASELINE_MSE = 1.0 / 6.0


@dataclass
class Problem:
    """A seeded vanilla-RNN problem: parameters, data and the choices of :func:`rnnlib.forward`.

    ``X`` (T, m, n_in); ``Y`` (T, m) labels or (T, m, n_out) targets; ``h0`` (m, H)
    or None; ``loss_mask`` (T, m) or None.  :meth:`forward` runs the network.
    """

    params: dict
    X: np.ndarray
    Y: np.ndarray
    h0: np.ndarray | None
    loss_mask: np.ndarray | None
    activation: str
    loss: str

    def forward(self, *, lean: bool = False):
        """``rnnlib.forward`` on this problem: returns ``(loss, cache)``."""
        return forward(self.params, self.X, self.Y, h0=self.h0, activation=self.activation,
                       loss=self.loss, loss_mask=self.loss_mask, lean=lean)

    @property
    def kwargs(self) -> dict:
        """The keyword arguments of :func:`rnnlib.forward` (``h0``, ``activation``, ``loss``, ``loss_mask``)."""
        return {"h0": self.h0, "activation": self.activation, "loss": self.loss,
                "loss_mask": self.loss_mask}


def random_problem(T: int, m: int = 1, n_in: int = 3, H: int = 6, n_out: int = 4, *, seed=0,
                   param_seed=None, recurrent: Callable | None = None, activation: str = "tanh",
                   loss: str = "softmax_ce", h0_scale: float = 0.0, mask=None,
                   b_h: float | None = None) -> Problem:
    """The book's seeded random problem (see the module docstring for the order of draws).

    Parameters
    ----------
    T, m, n_in, H, n_out : sequence length, batch size and layer sizes.
    seed : seed of the data generator (and of the parameters unless ``param_seed``):
        an integer >= 0 or a ``numpy.random.Generator``.
    param_seed : seed for :func:`rnnlib.init_params`; default ``seed``.  A bad
        seed is a ValueError naming ``seed`` or ``param_seed``.
    recurrent : None (keep init_params' W_hh) or ``recurrent(rng) -> (H, H)`` drawn first.
    activation, loss : as for :func:`rnnlib.forward`.
    h0_scale : standard deviation of a random h_0; 0 gives h_0 = 0.
    mask : None (every step counts), ``"last"`` (only L_T, as in the adding problem),
        or a probability p: each (t, i) counts with probability p, the last step always.
    b_h : if given, every entry of b_h is set to this value (e.g. to keep ReLU units alive).
    """
    T = check_int("T", T, 1)
    m = check_int("m", m, 1)
    activation = check_activation(activation)
    loss = check_loss(loss)
    h0_scale = check_real("h0_scale", h0_scale, lo=0.0)
    rng = rng_from(seed)
    if param_seed is not None:
        check_seed(param_seed, "param_seed")
    params = init_params(n_in, H, n_out, seed=seed if param_seed is None else param_seed)
    if recurrent is not None:
        W = check_square("W_hh", recurrent(rng))
        if W.shape != (H, H):
            raise ValueError(f"recurrent: expected a function returning an ({H}, {H}) matrix, "
                             f"got shape {W.shape}")
        params["W_hh"] = W
    if b_h is not None:
        params["b_h"] = np.full(H, check_real("b_h", b_h))
    X = rng.normal(size=(T, m, n_in))
    Y = rng.integers(0, n_out, size=(T, m)) if loss == "softmax_ce" else rng.normal(size=(T, m, n_out))
    h0 = rng.normal(scale=h0_scale, size=(m, H)) if h0_scale > 0 else None
    if mask is None:
        loss_mask = None
    elif isinstance(mask, str):
        check_choice("mask", mask, ("last",))
        loss_mask = np.zeros((T, m))
        loss_mask[-1] = 1.0
    else:
        p = check_real("mask", mask, lo=0.0, hi=1.0)
        loss_mask = (rng.random((T, m)) < p).astype(float)
        loss_mask[-1] = 1.0                          # at least the last step counts
    return Problem(params, X, Y, h0, loss_mask, activation, loss)


def adding_problem(T: int, m: int, *, seed=0):
    """A batch of the adding problem, deterministic given ``seed``.

    The network reads a sequence of pairs (value, marker).  The values are
    drawn uniformly from [0, 1]; exactly two markers are 1, one in the first
    half of the sequence and one in the second half.  The target, read only
    after the last step, is the sum of the two marked values.  To solve it the
    network must keep the first marked value for at least T/2 steps, so the
    gradient that teaches it to do so has to cross at least T/2 Jacobian factors.
    Always predicting the mean target, 1, gives mean squared error
    Var(u₁ + u₂) = 2/12 = 1/6 ≈ 0.167 (:data:`ADDING_BASELINE_MSE`).

    Parameters
    ----------
    T : sequence length, at least 2 (one marker in each half).
    m : batch size, at least 1.
    seed : seed (or ``numpy.random.Generator``) for the draw.

    Returns
    -------
    X : (T, m, 2) float64; ``X[..., 0]`` the values, ``X[..., 1]`` the markers.
        The first marker is at a step in 1..⌊T/2⌋ and the second in ⌊T/2⌋+1..T.
    Y : (T, m, 1) float64; ``Y[T-1, :, 0]`` is the sum of the marked values,
        every other entry is 0 (it is masked out).
    loss_mask : (T, m) float64, 1 at the last step and 0 elsewhere; use it with
        ``rnnlib.forward(..., loss="mse", loss_mask=loss_mask)``.
    """
    T = check_int("T", T, 2)
    m = check_int("m", m, 1)
    rng = rng_from(seed)
    half = T // 2
    values = rng.uniform(0.0, 1.0, size=(T, m))
    first = rng.integers(0, half, size=m)             # array index of step 1..T/2
    second = rng.integers(half, T, size=m)            # array index of step T/2+1..T
    markers = np.zeros((T, m))
    cols = np.arange(m)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    X = np.stack([values, markers], axis=-1)
    Y = np.zeros((T, m, 1))
    Y[T - 1, :, 0] = values[first, cols] + values[second, cols]
    loss_mask = np.zeros((T, m))
    loss_mask[T - 1] = 1.0
    return X, Y, loss_mask


def scaled_problem(T: int = 12, *, H: int = 6, n_in: int = 3, n_out: int = 4, m: int = 4,
                   scale: float = 1.0, activation: str = "tanh", h0_scale: float = 0.0,
                   last_only: bool = False, seed: int = 0):
    """The problem of chapters 4, 5 and 9: W_hh = ``scale`` · Q with Q orthogonal (Haar).

    So every singular value of W_hh equals ``scale`` and ‖W_hh‖₂ = ``scale``
    exactly.  This is :func:`random_problem` with ``param_seed = seed + 1``,
    ``recurrent = orthogonal(H, gain=scale, seed=rng)``, labels at every step
    (softmax cross-entropy), and ``mask="last"`` when ``last_only`` (only L_T
    counts).  Returns ``(params, cache)`` from :func:`rnnlib.forward`.
    """
    from .initialisation import orthogonal

    seed = check_int("seed", seed, 0)
    scale = check_real("scale", scale, lo=0.0, lo_open=True)
    prob = random_problem(T, m, n_in, H, n_out, seed=seed, param_seed=seed + 1,
                          recurrent=lambda rng: orthogonal(H, gain=scale, seed=rng),
                          activation=activation, h0_scale=h0_scale,
                          mask="last" if last_only else None)
    return prob.params, prob.forward()[1]
