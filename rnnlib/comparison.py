"""Numbers behind the book's comparisons: initialisations (chapter 7) and cells (chapters 8, 10).

* :func:`initialisation_norms` — ‖∂h_t/∂h_0‖₂ against t for four recurrent
  initialisations (Gaussian, orthogonal, IRNN, spectral radius 0.95);
* :func:`flow_curves` — how far back the gradient of the last step's loss
  reaches in a vanilla tanh RNN and in an LSTM on the same inputs;
* :func:`gated_flow_curves` — the same, with a GRU added on the same inputs, and
  the GRU's shortcut ∏ z_j (chapter 10);
* :func:`parameter_counts` — the number of parameters of the three cells.

Numbers only: the figures are in :mod:`rnnlib.plots`.
"""
from __future__ import annotations

import numpy as np

from . import gru, lstm
from .initialisation import orthogonal, params_with_W_hh, rng_from, scaled_identity, with_spectral_radius
from .jacobians import jacobian_norms_from
from .problems import random_problem
from .rnn import forward
from .signals import gradient_flow
from .validation import check_int, check_real

__all__ = ["initialisation_norms", "flow_curves", "gated_flow_curves", "parameter_counts", "FLOW_T",
           "FLOW_H", "FLOW_N_IN"]

#: Sizes of the chapter-8 comparison: T steps, H units, n_in inputs, one sequence.
FLOW_T, FLOW_H, FLOW_N_IN = 60, 8, 2


def initialisation_norms(H: int = 32, T: int = 60, seed: int = 3) -> dict:
    """For each of four initialisations: ``(W_hh, activation, norms)``, norms[t] = ‖∂h_t/∂h_0‖₂.

    The schemes: Gaussian N(0, 1/H) with tanh (the default of
    :func:`rnnlib.init_params`), orthogonal with tanh (:func:`rnnlib.initialisation.orthogonal`),
    the identity with ReLU and b_h = 0.1 (IRNN, Le et al. 2015) and the Gaussian
    matrix rescaled to spectral radius 0.95 with tanh.  All are driven by the same
    inputs X_t ~ N(0, 0.5²) (n_in = 4, one sequence); ``norms`` has shape (T + 1,).
    """
    H = check_int("H", H, 1)
    T = check_int("T", T, 1)
    rng = rng_from(seed)
    gauss = rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, H))
    schemes = {
        "Gaussian N(0, 1/H), tanh": (gauss, "tanh"),
        "orthogonal, tanh": (orthogonal(H, seed=seed), "tanh"),
        "identity + ReLU (IRNN)": (scaled_identity(H, 1.0), "relu"),
        "spectral radius 0.95, tanh": (with_spectral_radius(gauss, 0.95), "tanh"),
    }
    X = rng.normal(0.0, 0.5, size=(T, 1, 4))
    out = {}
    for name, (W, act) in schemes.items():
        params = params_with_W_hh(W, n_in=4, n_out=1, seed=seed)
        if act == "relu":
            params["b_h"] = np.full(H, 0.1)
        _, cache = forward(params, X, np.zeros((T, 1), dtype=int), activation=act)
        out[name] = (W, act, jacobian_norms_from(params, cache, 0))
    return out


def flow_curves(forget_bias: float = 0.0, gain: float = 1.0, *, T: int = FLOW_T,
                H: int = FLOW_H, seed: int = 0) -> dict:
    """Relative error-signal norms against k for a vanilla RNN and an LSTM.

    The loss is L_T alone (mse at the last step) on the inputs of
    ``random_problem(T, 1, 2, H, 1, seed=seed, param_seed=seed + 1, loss="mse",
    mask="last")``.  The vanilla RNN (tanh) has that problem's W_hh scaled by
    ``gain``; the LSTM (:func:`rnnlib.lstm.init_params` with ``seed + 1``) has every
    forget-gate bias set to ``forget_bias``.

    Returns a dict with ``k`` (0..T) and, each of length T + 1 and equal to 1 at
    k = T: ``rnn_h`` = ‖∂L_T/∂h_k‖ (:func:`rnnlib.signals.gradient_flow`),
    ``lstm_h`` = ‖∂L_T/∂h_k‖ (C_k fixed) and ``lstm_c`` = ‖∂L_T/∂C_k‖ (relative to
    ‖∂L_T/∂C_T‖), plus ``f_mean``, the LSTM's average forget gate, and ``rnn_norm``,
    ‖W_hh‖₂ of the vanilla RNN (gain included).
    """
    gain = check_real("gain", gain, lo=0.0, lo_open=True)
    prob = random_problem(T, 1, FLOW_N_IN, H, 1, seed=seed, param_seed=seed + 1, loss="mse",
                          mask="last")
    vp = dict(prob.params, W_hh=prob.params["W_hh"] * gain)
    _, vc = forward(vp, prob.X, prob.Y, loss="mse", loss_mask=prob.loss_mask)
    rnn_h = gradient_flow(vp, vc, T)
    lp = lstm.init_params(FLOW_N_IN, H, 1, seed=seed + 1, forget_bias=forget_bias)
    _, lc = lstm.forward(lp, prob.X, prob.Y, loss="mse", loss_mask=prob.loss_mask)
    sig = lstm.error_signals(lp, lc)
    lstm_h = np.linalg.norm(sig["h"][:, 0], axis=1)
    lstm_c = np.linalg.norm(sig["c"][:, 0], axis=1)
    return {"k": np.arange(T + 1), "rnn_h": rnn_h / rnn_h[T], "lstm_h": lstm_h / lstm_h[T],
            "lstm_c": lstm_c / lstm_c[T], "f_mean": float(lc.f.mean()),
            "rnn_norm": float(np.linalg.norm(vp["W_hh"], 2))}


def gated_flow_curves(update_bias: float = 0.0, reset_bias: float = 0.0, forget_bias: float = 0.0,
                      gain: float = 1.0, *, T: int = FLOW_T, H: int = FLOW_H, seed: int = 0) -> dict:
    """:func:`flow_curves` with a GRU on the same inputs and loss (chapter 10).

    The GRU is :func:`rnnlib.gru.init_params` with ``seed + 1``, every b_z set to
    ``update_bias`` (a large b_z pushes z_t towards 1: "remember") and every b_r
    to ``reset_bias``.  Returns every key of :func:`flow_curves` (vanilla RNN with
    ``gain``, LSTM with ``forget_bias``) plus, each of length T + 1 and equal to
    1 at k = T:

    * ``gru_h`` = ‖∂L_T/∂h_k‖ (:func:`rnnlib.gru.error_signals`, exact);
    * ``gru_shortcut`` = ‖G_T ⊙ z_T ⊙ ⋯ ⊙ z_{k+1}‖, what the shortcut
      ∂h_j/∂h_{j−1} ≈ diag(z_j) predicts for it;

    and ``z_mean``, ``r_mean``, the GRU's average update and reset gates.
    """
    update_bias = check_real("update_bias", update_bias)
    reset_bias = check_real("reset_bias", reset_bias)
    out = flow_curves(forget_bias, gain, T=T, H=H, seed=seed)
    prob = random_problem(T, 1, FLOW_N_IN, H, 1, seed=seed, param_seed=seed + 1, loss="mse",
                          mask="last")
    gp = gru.init_params(FLOW_N_IN, H, 1, seed=seed + 1, update_bias=update_bias)
    gp["b_r"] += reset_bias
    _, gc = gru.forward(gp, prob.X, prob.Y, loss="mse", loss_mask=prob.loss_mask)
    delta = gru.error_signals(gp, gc)[:, 0]                  # ∂L_T/∂h_k, k = 0..T (only L_T counts)
    z_after = np.ones((T + 1, H))                            # row k: z_{k+1} ⊙ ⋯ ⊙ z_T
    z_after[:T] = np.cumprod(gc.z[::-1, 0], axis=0)[::-1]
    norm_T = np.linalg.norm(delta[T])
    out.update({"gru_h": np.linalg.norm(delta, axis=1) / norm_T,
                "gru_shortcut": np.linalg.norm(delta[T] * z_after, axis=1) / norm_T,
                "z_mean": float(gc.z.mean()), "r_mean": float(gc.r.mean())})
    return out


def parameter_counts(n_in: int, H: int, n_out: int) -> dict:
    """Number of trainable parameters of each cell with its output layer, by model name.

    ``"vanilla RNN"``, ``"LSTM"`` and ``"GRU"`` count the arrays of
    :func:`rnnlib.init_params`, :func:`rnnlib.lstm.init_params` and
    :func:`rnnlib.gru.init_params`: n_in·H + H² + H per pre-activation (one, four,
    three) plus H·n_out + n_out.  ``"GRU, PyTorch nn.GRU + linear layer"`` adds the
    3H recurrent biases b_h* that PyTorch keeps besides the input biases.
    """
    from .rnn import init_params

    sizes = {name: sum(a.size for a in init(n_in, H, n_out).values())
             for name, init in (("vanilla RNN", init_params), ("LSTM", lstm.init_params),
                                ("GRU", gru.init_params))}
    sizes["GRU, PyTorch nn.GRU + linear layer"] = sizes["GRU"] + 3 * H
    return sizes
