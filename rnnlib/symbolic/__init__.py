"""The book's networks in sympy, for the symbolic proofs (imported on demand: ``import rnnlib``
does not import sympy).

* :mod:`.network` — the unrolled vanilla RNN with a generic activation φ, and
  the one :func:`phi_prime` every proof uses;
* :mod:`.gradients` — the gradient forms of chapters 2–5 (direct, δ recursion,
  double sum, RTRL) and :func:`difference`;
* :mod:`.jacobians` — J_t, products ∂h_t/∂h_k and the direct ∂h_t/∂h_0 (chapters 3, 6);
* :mod:`.lstm` — one LSTM step with generic σ and ψ (chapter 8);
* :mod:`.gru` — one GRU step with generic σ and ψ (chapter 10);
* :mod:`.display` — LaTeX that reads like the book (:func:`to_latex`, :func:`aligned_sum`, :func:`abbreviate`).

The names of :mod:`.network`, :mod:`.gradients`, :mod:`.jacobians` and
:mod:`.display` are importable from ``rnnlib.symbolic`` directly.
"""
from . import display, gradients, gru, jacobians, lstm, network
from .display import abbreviate, aligned_sum, to_latex
from .gradients import (
                        PARAM_KEYS,
                        delta_recursion,
                        difference,
                        direct_error_signal,
                        direct_gradient,
                        gradient_delta,
                        gradient_rtrl,
                        gradient_sum_of_products,
                        immediate_partial_term,
                        logit_errors,
                        output_errors,
                        softmax_ce_identity,
                        squared_loss,
)
from .jacobians import direct_jacobian, jacobian_product, one_step_jacobian
from .network import SIGMOID, SymbolicRNN, is_zero, phi, phi_prime, substitute, unrolled_rnn

__all__ = [
    "display", "gradients", "gru", "jacobians", "lstm", "network",
    "phi", "phi_prime", "SIGMOID", "SymbolicRNN", "unrolled_rnn", "substitute", "is_zero",
    "PARAM_KEYS", "squared_loss", "softmax_ce_identity", "direct_gradient", "direct_error_signal",
    "logit_errors", "output_errors", "delta_recursion", "immediate_partial_term", "gradient_delta",
    "gradient_sum_of_products", "gradient_rtrl", "difference",
    "one_step_jacobian", "jacobian_product", "direct_jacobian", "to_latex", "aligned_sum", "abbreviate",
]
