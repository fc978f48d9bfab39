"""Synthetic long-range tasks (chapter 9): the adding problem.

The adding problem (Hochreiter & Schmidhuber 1997; used by Pascanu et al. 2013
and Le et al. 2015) feeds a sequence of pairs (value, marker).  The values are
drawn uniformly from [0, 1]; exactly two markers are 1, one in the first half
of the sequence and one in the second half.  The target, read only after the
last step, is the sum of the two marked values.  To solve it the network must
keep the first marked value for at least T/2 steps, so the gradient that
teaches it to do so has to cross at least T/2 Jacobian factors.

Always predicting the mean target, 1, gives mean squared error
Var(u₁ + u₂) = 2/12 = 1/6 ≈ 0.167: this is the baseline a model must beat.
"""
from __future__ import annotations

import numpy as np

__all__ = ["adding_problem", "ADDING_BASELINE_MSE"]

#: Mean squared error of always predicting 1 (the mean of the sum of two U(0, 1)).
ADDING_BASELINE_MSE = 1.0 / 6.0


def _check_int(name, value, lo):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name}: expected an integer >= {lo}, got {value!r}")
    return int(value)


def adding_problem(T: int, m: int, *, seed=0):
    """A batch of the adding problem, deterministic given ``seed``.

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
    T = _check_int("T", T, 2)
    m = _check_int("m", m, 1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
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
