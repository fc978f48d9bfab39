"""The GRU's hidden-state Jacobians: one step path by path, products, and the shortcut (chapter 10).

With σ'_z = z_t ⊙ (1 − z_t), σ'_r = r_t ⊙ (1 − r_t) and tanh'_h = 1 − h̃_t², the
full one-step Jacobian (per example, [a, b] = ∂h_t[a]/∂h_{t−1}[b]) is a sum of
four paths:

    ∂h_t/∂h_{t−1} = diag(z_t)                                        direct
                  + diag((h_{t−1} − h̃_t) ⊙ σ'_z) W_hzᵀ                through z_t
                  + diag((1 − z_t) ⊙ tanh'_h) W_hhᵀ diag(r_t)         through h̃_t, r_t held
                  + diag((1 − z_t) ⊙ tanh'_h) W_hhᵀ diag(h_{t−1} ⊙ σ'_r) W_hrᵀ   through r_t.

The GRU's state is h_t alone, so h_{t−1} is a cut of the graph and products
of these matrices are the exact multi-step derivatives ∂h_t/∂h_k (unlike the
LSTM's cell-state factors, chapter 8).

* :func:`jacobian_paths`, :func:`jacobian`, :func:`jacobian_product`;
* :func:`shortcut_jacobian` — the popular approximation diag(z_t);
* :func:`run_from`, :func:`numerical_jacobian_product` — the independent check
  by central differences of a restarted GRU;
* :func:`shortcut_study` — how wrong diag(z_t) is over many seeded cells.
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from ..problems import random_problem
from ..validation import as_float_array, check_int, check_real, check_shape, check_time_index
from .model import check_cache, check_params, forward, init_params

__all__ = ["PATHS", "jacobian_paths", "jacobian", "jacobian_product", "shortcut_jacobian", "run_from",
           "numerical_jacobian_product", "shortcut_study"]

#: The four paths of the one-step Jacobian, in the order of the module docstring.
PATHS = ("direct", "update", "candidate", "reset")


def _diag(v: np.ndarray) -> np.ndarray:
    """(m, H) -> (m, H, H): one diagonal matrix per example."""
    m, H = v.shape
    out = np.zeros((m, H, H))
    out[:, np.arange(H), np.arange(H)] = v
    return out


def _paths(p, cache, t):
    """The four path matrices of step t, each (m, H, H), for checked ``p`` and ``cache``."""
    z, r, c, h_prev = cache.z[t - 1], cache.r[t - 1], cache.h_tilde[t - 1], cache.h[t - 1]
    cand = ((1.0 - z) * (1.0 - c * c))[:, :, None] * p["W_hh"].T[None]   # diag((1−z)⊙tanh') W_hhᵀ
    return {
        "direct": _diag(z),
        "update": ((h_prev - c) * z * (1.0 - z))[:, :, None] * p["W_hz"].T[None],
        "candidate": cand * r[:, None, :],
        "reset": cand @ ((h_prev * r * (1.0 - r))[:, :, None] * p["W_hr"].T[None]),
    }


def jacobian_paths(params, cache, t: int) -> dict:
    """The four paths of ∂h_t/∂h_{t−1} for t in 1..T: a dict of (m, H, H) arrays keyed by :data:`PATHS`.

    ``"direct"`` diag(z_t); ``"update"`` through z_t; ``"candidate"`` through
    h̃_t with r_t held; ``"reset"`` through r_t (module docstring).  They add up
    to :func:`jacobian`.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return _paths(p, cache, check_time_index("t", t, 1, cache.T))


def _jacobian(p, cache, t):
    return sum(_paths(p, cache, t).values())


def jacobian(params, cache, t: int) -> np.ndarray:
    """The full one-step Jacobian ∂h_t/∂h_{t−1}, shape (m, H, H), for t in 1..T.

    Layout ``[i, a, b] = ∂h_t[i, a] / ∂h_{t−1}[i, b]``; every path included
    (direct, through z_t, through h̃_t with r_t held, through r_t).
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return _jacobian(p, cache, check_time_index("t", t, 1, cache.T))


def jacobian_product(params, cache, t: int, k: int) -> np.ndarray:
    """∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}, shape (m, H, H), for 0 ≤ k ≤ t ≤ T.

    ``J_j`` is :func:`jacobian` at step j; the product has t − k factors and is
    the identity for k = t.  It is the exact multi-step derivative.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    identity = np.broadcast_to(np.eye(cache.H), (cache.m, cache.H, cache.H)).copy()
    return reduce(np.matmul, (_jacobian(p, cache, j) for j in range(t, k, -1)), identity)


def shortcut_jacobian(params, cache, t: int) -> np.ndarray:
    """The shortcut ∂h_t/∂h_{t−1} ≈ diag(z_t), shape (m, H, H), for t in 1..T.

    It is the direct path only.  It equals :func:`jacobian` when the three other
    paths vanish, for every input when W_hz = W_hh = 0; short of that they
    vanish in the limit z_t → 1, where σ'_z and 1 − z_t both go to 0.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    return _diag(cache.z[check_time_index("t", t, 1, cache.T) - 1])


def run_from(params, cache, k: int, h_k, t: int) -> np.ndarray:
    """h_t of the GRU restarted at step k from the state ``h_k`` (m, H); shape (m, H).

    Runs :func:`rnnlib.gru.forward` on the inputs X_{k+1}, …, X_t of ``cache``,
    so that central differences in ``h_k`` give ∂h_t/∂h_k without any Jacobian
    formula.  For t = k it returns a copy of ``h_k``.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    h_k = as_float_array("h_k", h_k)
    check_shape("h_k", h_k, (cache.m, cache.H), "(m, H)")
    if t == k:
        return h_k.copy()
    X = cache.X[k:t]
    return forward(p, X, np.zeros(X.shape[:2], dtype=int), h0=h_k)[1].h[-1].copy()


def numerical_jacobian_product(params, cache, t: int, k: int, eps: float = 1e-5) -> np.ndarray:
    """∂h_t/∂h_k by central differences of :func:`run_from`, shape (m, H, H), 0 ≤ k ≤ t ≤ T.

    Column b is (h_t(h_k + eps e_b) − h_t(h_k − eps e_b)) / (2 eps), with e_b
    moving unit b of every example at once (the examples do not interact).
    Costs 2H runs of t − k steps.
    """
    p = check_params(params)
    cache = check_cache(cache, p)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    eps = check_real("eps", eps, lo=0.0, lo_open=True)
    h_k, E = cache.h[k], eps * np.eye(cache.H)
    return np.stack([(run_from(p, cache, k, h_k + E[b], t) - run_from(p, cache, k, h_k - E[b], t)) / (2 * eps)
                     for b in range(cache.H)], axis=-1)


def shortcut_study(update_biases=(0.0, 1.0, 2.0, 3.0, 5.0), *, n_cells: int = 200, T: int = 10,
                   H: int = 4, n_in: int = 3, seed: int = 0) -> dict:
    """How wrong the shortcut diag(z_t) is, over many seeded GRU cells.

    Cell i (i = 0..n_cells−1) is :func:`rnnlib.gru.init_params` (n_in, H, 1) with
    seed ``seed + i`` and b_z = ``update_bias``, run on the inputs of
    ``random_problem(T, 1, n_in, H, 1, seed=seed + i, loss="mse")`` from h_0 = 0;
    its Jacobian is taken at the last step t = T, where h_{T−1} ≠ 0.  For each
    bias and cell, with J the exact ∂h_T/∂h_{T−1} and D = diag(z_T):

    * ``error``: ‖J − D‖₂ / ‖J‖₂, the relative error of the shortcut in the
      spectral norm (the gain of a gradient passed back one step);
    * ``norm_exact``: ‖J‖₂; ``norm_shortcut``: ‖D‖₂ = max_a z_T[a] < 1.

    Returns those three as arrays of shape (len(update_biases), n_cells), plus
    ``update_bias`` (the biases) and ``z_mean`` (mean z_T per bias).
    """
    n_cells = check_int("n_cells", n_cells, 1)
    T = check_int("T", T, 1)
    biases = [check_real("update_biases", b) for b in np.atleast_1d(update_biases)]
    out = {key: np.empty((len(biases), n_cells)) for key in ("error", "norm_exact", "norm_shortcut")}
    z_mean = np.empty(len(biases))
    for n, b in enumerate(biases):
        zs = []
        for i in range(n_cells):
            prob = random_problem(T, 1, n_in, H, 1, seed=seed + i, loss="mse")
            p = init_params(n_in, H, 1, seed=seed + i, update_bias=b)
            cache = forward(p, prob.X, prob.Y, loss="mse")[1]
            J, z = _jacobian(p, cache, T)[0], cache.z[T - 1, 0]
            out["norm_exact"][n, i] = np.linalg.norm(J, 2)
            out["norm_shortcut"][n, i] = z.max()
            out["error"][n, i] = np.linalg.norm(J - np.diag(z), 2) / out["norm_exact"][n, i]
            zs.append(z)
        z_mean[n] = np.mean(zs)
    return {"update_bias": np.array(biases), "z_mean": z_mean, **out}
