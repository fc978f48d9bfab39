"""The LSTM (chapter 8): :mod:`.model` (parameters, forward pass, BPTT) and
:mod:`.jacobians` (one-step and multi-step state Jacobians).

Everything is importable from ``rnnlib.lstm`` directly, as the contract asks
(``rnnlib.lstm.init_params``, ``forward``, ``bptt``, ``cell_state_jacobian``,
``state_jacobian`` …).
"""
from .jacobians import (cell_derivative_curves, cell_state_derivative, cell_state_jacobian,
                        cell_state_jacobian_product, numerical_cell_state_derivative, state_jacobian,
                        state_jacobian_product)
from .model import (GATES, PARAM_KEYS, LSTMCache, bptt, check_cache, check_gradients, check_params,
                    error_signals, forward, init_params, loss_from_state)

__all__ = ["PARAM_KEYS", "GATES", "LSTMCache", "init_params", "check_params", "check_cache",
           "forward", "bptt", "error_signals", "loss_from_state", "check_gradients",
           "cell_state_jacobian", "state_jacobian", "state_jacobian_product",
           "cell_state_derivative", "cell_state_jacobian_product",
           "numerical_cell_state_derivative", "cell_derivative_curves"]
