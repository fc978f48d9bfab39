"""Initial parameters: the book's default draw and the recurrent matrices of chapter 7.

* :func:`init_weights` — the default draw of every model in the book: each
  weight matrix ~ N(0, 1/fan_in) in the order of its keys, biases zero.  The
  vanilla RNN, the LSTM and the GRU differ only in their keys.
* :func:`orthogonal`, :func:`scaled_identity`, :func:`with_spectral_radius` —
  recurrent matrices with a known spectrum (Saxe et al. 2014; Le et al. 2015;
  echo-state networks), and :func:`params_with_W_hh` to plug one into an
  otherwise default vanilla RNN.
"""
from __future__ import annotations

import numpy as np

from .validation import PARAM_KEYS, check_int, check_real, check_seed, check_square

__all__ = ["rng_from", "init_weights", "orthogonal", "scaled_identity", "with_spectral_radius",
           "params_with_W_hh"]


def rng_from(seed, name: str = "seed") -> np.random.Generator:
    """A generator from an integer seed >= 0 (not a bool), or ``seed`` itself if it is one.

    Every function of rnnlib that takes a seed turns it into a generator here,
    so a bad seed (True, -1, 1.5, "0", None) is a ``ValueError`` naming ``name``
    (:func:`rnnlib.validation.check_seed`).
    """
    seed = check_seed(seed, name)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def init_weights(keys, n_in: int, n_hidden: int, n_out: int, *, seed=0) -> dict:
    """Parameters with exactly ``keys``: weights ~ N(0, 1/fan_in), biases zero, float64.

    Shapes follow the book's scheme: ``W_x*`` (n_in, H), ``W_h*`` (H, H),
    ``b_*`` (H,), ``W_yh`` (H, n_out), ``b_y`` (n_out,).  The matrices are drawn
    one after the other in the order of ``keys`` from one generator, so a model's
    parameters are fixed by its key order and the seed.  fan_in is the number of
    rows: N(0, 1/n_in) for W_x*, N(0, 1/H) for W_h* and W_yh.  ``n_in``,
    ``n_hidden`` and ``n_out`` are integers >= 1 and ``seed`` an integer >= 0
    or a Generator (``ValueError`` naming the argument otherwise).
    """
    n_in = check_int("n_in", n_in, 1)
    H = check_int("n_hidden", n_hidden, 1)
    n_out = check_int("n_out", n_out, 1)
    rng = rng_from(seed)
    shapes = {"x": (n_in, H), "h": (H, H), "yh": (H, n_out)}
    out = {}
    for key in keys:
        if key == "b_y":
            out[key] = np.zeros(n_out)
        elif key.startswith("b_"):
            out[key] = np.zeros(H)
        else:
            shape = shapes["yh" if key == "W_yh" else key[2]]
            out[key] = rng.normal(0.0, 1.0 / np.sqrt(shape[0]), size=shape)
    return out


def orthogonal(H: int, *, gain: float = 1.0, seed=0) -> np.ndarray:
    """A random orthogonal (H, H) matrix times ``gain`` (Saxe et al. 2014).

    QR of a Gaussian matrix drawn from ``seed`` (an integer or a Generator), with
    the signs of R's diagonal folded into Q so that Q is Haar-distributed
    (uniform over the orthogonal group); without the fold QR's sign convention
    would bias it.  All singular values equal ``gain``.
    """
    H = check_int("H", H, 1)
    gain = check_real("gain", gain, lo=0.0, lo_open=True)
    rng = rng_from(seed)
    Q, R = np.linalg.qr(rng.normal(size=(H, H)))
    return gain * Q * np.sign(np.diag(R))[None, :]


def scaled_identity(H: int, scale: float = 1.0) -> np.ndarray:
    """``scale`` · I_H, the IRNN initialisation of Le et al. (2015) when used with ReLU."""
    H = check_int("H", H, 1)
    scale = check_real("scale", scale, lo=0.0, lo_open=True)
    return scale * np.eye(H)


def with_spectral_radius(W, rho: float) -> np.ndarray:
    """``W`` rescaled so that its spectral radius is ``rho`` (as in echo-state networks).

    Only the largest |eigenvalue| is fixed; ‖W‖₂ ≥ ρ can be much larger when W
    is far from normal.
    """
    W = check_square("W", W)
    rho = check_real("rho", rho, lo=0.0, lo_open=True)
    r = float(np.max(np.abs(np.linalg.eigvals(W))))
    if r == 0.0:
        raise ValueError("W: expected a matrix with a non-zero eigenvalue, got spectral radius 0")
    return W * (rho / r)


def params_with_W_hh(W_hh, n_in: int = 1, n_out: int = 1, *, seed=0) -> dict:
    """:func:`rnnlib.init_params` with its W_hh replaced by ``W_hh`` (H taken from it)."""
    W_hh = check_square("W_hh", W_hh)
    p = init_weights(PARAM_KEYS, n_in, W_hh.shape[0], n_out, seed=seed)
    p["W_hh"] = W_hh.copy()
    return p
