"""rnnlib: a small, exact library for Backpropagation Through Time.

The flat public API below is the contract of the book (GUIDE §4); each name
lives in a module that holds one concept:

* :mod:`rnnlib.rnn`         — parameters and the forward pass
* :mod:`rnnlib.bptt`        — the δ recursion and the literal double sum
* :mod:`rnnlib.rtrl`        — forward-mode (real-time recurrent learning)
* :mod:`rnnlib.jacobians`   — ∂h_t/∂h_{t−1} and products ∂h_t/∂h_k
* :mod:`rnnlib.gradcheck`   — central differences and the normwise error
* :mod:`rnnlib.clipping`    — clipping by global norm and by value
* :mod:`rnnlib.activations`, :mod:`rnnlib.losses`, :mod:`rnnlib.validation`
* :mod:`rnnlib.symbolic`    — the unrolled network in sympy (imported on demand)
"""
from .activations import GAMMA, phi, phi_prime_from_h
from .bptt import bptt, bptt_sum_of_products
from .clipping import clip_by_norm, clip_by_value, global_norm
from .gradcheck import (central_difference_error, check_gradients, elementwise_rel_error,
                        numerical_gradient, rel_error)
from .jacobians import jacobian, jacobian_product
from .losses import log_softmax, softmax
from .rnn import Cache, forward, init_params
from .rtrl import rtrl

__version__ = "0.1.0"

__all__ = [
    "GAMMA", "Cache", "bptt", "bptt_sum_of_products", "central_difference_error",
    "check_gradients", "clip_by_norm", "clip_by_value", "elementwise_rel_error", "forward",
    "global_norm", "init_params", "jacobian", "jacobian_product", "log_softmax", "numerical_gradient",
    "phi", "phi_prime_from_h", "rel_error", "rtrl", "softmax",
]

# --- chapter modules (added by later chapters; keep one import per line) ---
from .pascanu import pascanu_unit
from . import lstm
