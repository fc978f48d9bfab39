"""The GRU (chapter 10): :mod:`.model` (parameters, forward pass, BPTT) and
:mod:`.jacobians` (the one-step Jacobian path by path, products, the shortcut diag(z_t)).

Everything is importable from ``rnnlib.gru`` directly, as the contract asks
(``rnnlib.gru.PARAM_KEYS``, ``init_params``, ``forward``, ``bptt``, ``jacobian``,
``jacobian_product`` …).  The form is that of Cho et al. (2014) and d2l, with
the reset gate applied to h_{t−1} before the recurrent product and z_t the
weight of the old state: h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t.
"""
from .jacobians import (PATHS, jacobian, jacobian_paths, jacobian_product, numerical_jacobian_product,
                        run_from, shortcut_jacobian, shortcut_study)
from .model import (GATES, PARAM_KEYS, GRUCache, bptt, check_cache, check_gradients, check_params,
                    error_signals, forward, init_params, loss_from_state)

__all__ = ["PARAM_KEYS", "GATES", "GRUCache", "init_params", "check_params", "check_cache",
           "forward", "bptt", "error_signals", "loss_from_state", "check_gradients",
           "PATHS", "jacobian_paths", "jacobian", "jacobian_product", "shortcut_jacobian",
           "run_from", "numerical_jacobian_product", "shortcut_study"]
