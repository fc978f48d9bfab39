"""How gradients travel back in time: norms, bounds, flows and initialisations.

Chapters 6 and 7 study the products of one-step Jacobians

    ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1},    J_j = diag(φ'(a_j)) W_hhᵀ,

and the per-step contributions ∂L_t/∂h_k = (∂L_t/∂h_t)(∂h_t/∂h_k).  This
module holds the numerical side of those chapters:

* norms and the bound — :func:`spectral_norm`, :func:`spectral_radius`,
  :func:`gamma_w`, :func:`gamma_h`, :func:`jacobian_bound`, :func:`power_norms`;
* Jacobian products — :func:`run_from` (the network restarted from a given
  h_k, for finite differences) and :func:`jacobian_product_singular_values`;
* gradient flow — :func:`gradient_flow` (‖∂L_t/∂h_k‖ for k = 0..t) and
  :func:`below_resolution` (terms too small to change a float64 sum);
* the linear scalar case in closed form — :func:`linear_scalar_params`,
  :func:`linear_scalar_h_T`, :func:`linear_scalar_gradient`,
  :func:`linear_scalar_closed_form`;
* initialisations — :func:`orthogonal`, :func:`scaled_identity`,
  :func:`with_spectral_radius`, and :func:`params_with_W_hh` to plug a
  recurrent matrix into an otherwise random network.

Every function validates its input and raises ``ValueError`` naming the
argument (see :mod:`rnnlib.validation`).
"""
from __future__ import annotations

import numpy as np

from .activations import GAMMA, phi_prime_from_h
from .bptt import bptt
from .jacobians import _check_cache
from .rnn import forward, init_params
from .validation import as_float_array, check_activation, check_params, check_shape, check_time_index

__all__ = [
    "FLOAT64_EPS",
    "spectral_norm", "spectral_radius", "gamma_w", "gamma_h", "jacobian_bound", "power_norms",
    "run_from", "numerical_jacobian_product", "jacobian_product_singular_values",
    "gradient_flow", "below_resolution", "resolution_lag",
    "linear_scalar_params", "linear_scalar_impulse", "linear_scalar_h_T",
    "linear_scalar_gradient", "linear_scalar_closed_form",
    "orthogonal", "scaled_identity", "with_spectral_radius", "params_with_W_hh",
]

#: Machine epsilon of float64, 2.22e-16: a term smaller than this times a sum's
#: magnitude cannot change the sum.
FLOAT64_EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- checks
def _square(name: str, W) -> np.ndarray:
    W = as_float_array(name, W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name}: expected a square matrix of shape (H, H) with H >= 1, got shape {W.shape}")
    return W


def _count(name: str, n, lo: int = 0) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < lo:
        raise ValueError(f"{name}: expected an integer >= {lo}, got {n!r}")
    return int(n)


def _real(name: str, x, *, positive: bool = False) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a finite real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not np.isfinite(x) or (positive and x <= 0):
        kind = "a positive finite" if positive else "a finite"
        raise ValueError(f"{name}: expected {kind} real number, got {x!r}")
    return x


# --------------------------------------------------------------------------- norms and bounds
def spectral_norm(W) -> float:
    """‖W‖₂, the largest singular value of the (H, H) matrix ``W``."""
    return float(np.linalg.norm(_square("W", W), 2))


def spectral_radius(W) -> float:
    """ρ(W) = max |λ_i(W)|, the largest eigenvalue modulus of the (H, H) matrix ``W``."""
    return float(np.max(np.abs(np.linalg.eigvals(_square("W", W)))))


def gamma_w(W_hh) -> float:
    """γ_W = ‖W_hh‖₂ (Pascanu et al. 2013 write it as the largest singular value)."""
    return float(np.linalg.norm(_square("W_hh", W_hh), 2))


def gamma_h(activation: str) -> float:
    """γ_h = sup_a |φ'(a)|: 1 for tanh, ReLU and linear, 1/4 for the sigmoid."""
    return GAMMA[check_activation(activation)]


def jacobian_bound(W_hh, activation: str, lags) -> np.ndarray:
    """The bound (γ_W γ_h)^(t−k) on ‖∂h_t/∂h_k‖₂, for each lag t − k in ``lags``.

    ``lags`` is an integer or an array of non-negative integers; the result has its shape.
    """
    g = gamma_w(W_hh) * gamma_h(activation)
    n = np.asarray(lags)
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):
        raise ValueError(f"lags: expected non-negative integers, got {lags!r}"[:160])
    return np.power(g, n.astype(np.float64))


def power_norms(W, K: int) -> np.ndarray:
    """‖W^k‖₂ for k = 0..K, shape (K + 1,).

    For a normal matrix this is ρ(W)^k exactly; for a non-normal one it can
    grow for a while before it decays like ρ(W)^k.
    """
    W = _square("W", W)
    K = _count("K", K)
    out = np.empty(K + 1)
    P = np.eye(W.shape[0])
    for k in range(K + 1):
        out[k] = np.linalg.norm(P, 2)
        P = P @ W
    return out


# --------------------------------------------------------------------------- Jacobian products
def run_from(params, cache, k: int, h_k, t: int) -> np.ndarray:
    """h_t of the network restarted at step k from the state ``h_k``, shape (m, H).

    Uses the inputs X_{k+1}, …, X_t and the activation stored in ``cache`` and
    runs :func:`rnnlib.forward` on them, so that finite differences of
    ``run_from`` with respect to ``h_k`` give ∂h_t/∂h_k independently of the
    Jacobian formula.  For t = k it returns a copy of ``h_k``.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    h_k = as_float_array("h_k", h_k)
    check_shape("h_k", h_k, (cache.m, p["W_hh"].shape[0]), "(m, H)")
    if t == k:
        return h_k.copy()
    X = cache.X[k:t]
    labels = np.zeros(X.shape[:2], dtype=int)
    _, c = forward(p, X, labels, h0=h_k, activation=cache.activation)
    return c.h[-1].copy()


def numerical_jacobian_product(params, cache, t: int, k: int, eps: float = 1e-5) -> np.ndarray:
    """∂h_t/∂h_k by central differences of :func:`run_from`, shape (m, H, H).

    Entry [i, a, b] is (h_t[i, a](h_k + eps e_ib) − h_t[i, a](h_k − eps e_ib)) / (2 eps),
    the same layout as :func:`rnnlib.jacobian_product`.  Costs 2·m·H runs of t − k steps.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    k = check_time_index("k", k, 0, t)
    eps = _real("eps", eps, positive=True)
    h_k = cache.h[k].copy()
    m, H = h_k.shape
    out = np.empty((m, H, H))
    for i in range(m):
        for b in range(H):
            old = h_k[i, b]
            h_k[i, b] = old + eps
            plus = run_from(p, cache, k, h_k, t)[i]
            h_k[i, b] = old - eps
            minus = run_from(p, cache, k, h_k, t)[i]
            h_k[i, b] = old
            out[i, :, b] = (plus - minus) / (2.0 * eps)
    return out


def jacobian_product_singular_values(params, cache, t: int, *, example: int = 0) -> np.ndarray:
    """Singular values of ∂h_t/∂h_k for k = 0..t, for one example; shape (t + 1, H).

    Row k holds the singular values of J_t ⋯ J_{k+1} in decreasing order, so
    column 0 is ‖∂h_t/∂h_k‖₂.  Row t is all ones (the identity).  The products
    are accumulated from k = t downwards, one matrix product per step.
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 0, cache.T)
    i = check_time_index("example", example, 0, cache.m - 1)
    W_T = p["W_hh"].T
    H = W_T.shape[0]
    out = np.empty((t + 1, H))
    P = np.eye(H)
    out[t] = 1.0
    for j in range(t, 0, -1):
        dphi = phi_prime_from_h(cache.h[j, i], cache.activation)
        P = P @ (dphi[:, None] * W_T)               # P ← P · J_j, now ∂h_t/∂h_{j−1}
        out[j - 1] = np.linalg.svd(P, compute_uv=False)
    return out


# --------------------------------------------------------------------------- gradient flow
def gradient_flow(params, cache, t: int) -> np.ndarray:
    """‖∂L_t/∂h_k‖ for k = 0..t, shape (t + 1,).

    L_t is step t's own loss (with the mask and 1/m of ``cache``), so
    ∂L_t/∂h_t = G_t = (∂L/∂o_t) W_yhᵀ and, going back one step at a time,
    ∂L_t/∂h_{k−1} = ((∂L_t/∂h_k) ⊙ φ'(a_k)) W_hhᵀ.  The norm is the Frobenius
    norm of the (m, H) array (the whole mini-batch).
    """
    p = check_params(params)
    cache = _check_cache(cache)
    t = check_time_index("t", t, 1, cache.T)
    g = cache.dO[t - 1] @ p["W_yh"].T                  # (m, H): G_t
    out = np.empty(t + 1)
    out[t] = np.linalg.norm(g)
    for j in range(t, 0, -1):
        g = (g * phi_prime_from_h(cache.h[j], cache.activation)) @ p["W_hh"].T
        out[j - 1] = np.linalg.norm(g)
    return out


def below_resolution(flow, eps: float = FLOAT64_EPS) -> np.ndarray:
    """Boolean mask of the entries of ``flow`` smaller than ``eps · max(flow)``.

    A contribution below this line is lost when it is added, in float64, to a
    sum whose size is set by the largest (short-range) terms.
    """
    f = as_float_array("flow", flow)
    if f.ndim != 1 or f.size == 0:
        raise ValueError(f"flow: expected a non-empty 1-d array, got shape {f.shape}")
    eps = _real("eps", eps, positive=True)
    return f < eps * np.max(np.abs(f))


def resolution_lag(flow, eps: float = FLOAT64_EPS):
    """The smallest lag τ such that every term with lag t − k > τ is below resolution.

    ``flow`` is indexed by k = 0..t (as returned by :func:`gradient_flow`).
    Returns an int in 0..t, or None when even the k = 0 term is resolved.
    Truncating BPTT at τ (``rnnlib.bptt(..., truncate=τ)``) then drops only
    terms that float64 could not have added anyway.
    """
    lost = below_resolution(flow, eps)
    t = lost.size - 1
    if not lost[0]:
        return None
    n = int(np.argmin(lost)) if not lost.all() else lost.size   # k = 0..n−1 are all lost
    return t - n


# --------------------------------------------------------------------------- linear scalar case
def linear_scalar_params(w: float) -> dict:
    """Parameters of h_t = w h_{t−1} + x_t, o_t = h_t: H = n_in = n_out = 1, no biases."""
    w = _real("w", w)
    return {"W_xh": np.ones((1, 1)), "W_hh": np.full((1, 1), w), "b_h": np.zeros(1),
            "W_yh": np.ones((1, 1)), "b_y": np.zeros(1)}


def linear_scalar_impulse(T: int) -> np.ndarray:
    """Inputs of shape (T, 1, 1): x_1 = 1 and x_t = 0 for t > 1."""
    T = _count("T", T, 1)
    X = np.zeros((T, 1, 1))
    X[0] = 1.0
    return X


def linear_scalar_h_T(w: float, T: int) -> float:
    """h_T of the linear scalar network driven by the impulse (equals w^(T−1))."""
    X = linear_scalar_impulse(T)
    _, c = forward(linear_scalar_params(w), X, np.zeros((T, 1), dtype=int), activation="linear")
    return float(c.h[T, 0, 0])


def linear_scalar_gradient(w: float, T: int) -> float:
    """dL/dw for L = h_T, computed by :func:`rnnlib.bptt`.

    BPTT needs ∂L/∂h_T = 1.  We get it from rnnlib's mse loss restricted to
    the last step, ½(o_T − y)², with the target y = h_T − 1 frozen at the
    current w: then ∂L/∂o_T = o_T − y = 1, and bptt's W_hh gradient is dh_T/dw.
    """
    T = _count("T", T, 1)
    p = linear_scalar_params(w)
    X = linear_scalar_impulse(T)
    Y = np.zeros((T, 1, 1))
    Y[-1] = linear_scalar_h_T(w, T) - 1.0
    mask = np.zeros((T, 1))
    mask[-1] = 1.0
    _, c = forward(p, X, Y, activation="linear", loss="mse", loss_mask=mask)
    return float(bptt(p, c)["W_hh"][0, 0])


def linear_scalar_closed_form(w: float, T: int) -> float:
    """dh_T/dw = (T − 1) w^(T−2) for h_T = w^(T−1) (T ≥ 2; 0 for T = 1)."""
    w = _real("w", w)
    T = _count("T", T, 1)
    return 0.0 if T == 1 else float((T - 1) * w ** (T - 2))


# --------------------------------------------------------------------------- initialisations
def orthogonal(H: int, *, gain: float = 1.0, seed: int = 0) -> np.ndarray:
    """A random orthogonal (H, H) matrix times ``gain`` (Saxe et al. 2014).

    QR of a Gaussian matrix, with the signs of R's diagonal folded into Q so
    that Q is Haar-distributed.  All singular values equal ``gain``.
    """
    H = _count("H", H, 1)
    gain = _real("gain", gain, positive=True)
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.normal(size=(H, H)))
    return gain * Q * np.sign(np.diag(R))[None, :]


def scaled_identity(H: int, scale: float = 1.0) -> np.ndarray:
    """``scale`` · I_H, the IRNN initialisation of Le et al. (2015) when used with ReLU."""
    H = _count("H", H, 1)
    scale = _real("scale", scale, positive=True)
    return scale * np.eye(H)


def with_spectral_radius(W, rho: float) -> np.ndarray:
    """``W`` rescaled so that its spectral radius is ``rho`` (as in echo-state networks).

    Only the largest |eigenvalue| is fixed; ‖W‖₂ ≥ ρ can be much larger when W
    is far from normal.
    """
    W = _square("W", W)
    rho = _real("rho", rho, positive=True)
    r = float(np.max(np.abs(np.linalg.eigvals(W))))
    if r == 0.0:
        raise ValueError("W: expected a matrix with a non-zero eigenvalue, got spectral radius 0")
    return W * (rho / r)


def params_with_W_hh(W_hh, n_in: int = 1, n_out: int = 1, *, seed: int = 0) -> dict:
    """:func:`rnnlib.init_params` with its W_hh replaced by ``W_hh`` (H taken from it)."""
    W_hh = _square("W_hh", W_hh)
    p = init_params(n_in, W_hh.shape[0], n_out, seed=seed)
    p["W_hh"] = W_hh.copy()
    return p
