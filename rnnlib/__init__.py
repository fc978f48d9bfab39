"""rnnlib: a small, exact library for Backpropagation Through Time.

The flat public API below is the contract of the book (GUIDE §4).  The library
is layered; each module holds one concept, and a layer imports only the layers
above it in this list (``CONTRIBUTING.md`` has the full picture):

numbers (numpy only)
    :mod:`.validation` (every argument check), :mod:`.activations`, :mod:`.losses`,
    :mod:`.initialisation`, :mod:`.rnn` (parameters, forward pass, cache),
    :mod:`.bptt` (the δ recursion and the literal double sum), :mod:`.rtrl`,
    :mod:`.jacobians` (∂h_t/∂h_k, norms, bounds), :mod:`.signals` (G_t, δ_t and the
    one backward step every module reuses; gradient flow), :mod:`.terms` (the
    (t, k) terms), :mod:`.truncation` (truncation and clipping masks and
    measures), :mod:`.clipping`, :mod:`.gradcheck`, :mod:`.problems` (the one
    seeded problem builder, the adding task), :mod:`.scalar_examples`,
    :mod:`.lstm`, :mod:`.gru`, :mod:`.comparison`, :mod:`.training`, :mod:`.exercises`
symbols (sympy, imported on demand)
    :mod:`.symbolic`
figures (matplotlib and ipywidgets, imported on demand)
    :mod:`.plots`

``import rnnlib`` imports numpy only: neither matplotlib, sympy nor ipywidgets.
"""
from . import lstm  # noqa: E402  (the contract: rnnlib.lstm.*)
from .activations import GAMMA, phi, phi_prime_from_h
from .bptt import bptt, bptt_sum_of_products
from .clipping import clip_by_norm, clip_by_value, global_norm
from .gradcheck import central_difference_error, check_gradients, elementwise_rel_error, numerical_gradient, rel_error
from .jacobians import jacobian, jacobian_product
from .losses import log_softmax, softmax
from .rnn import Cache, forward, init_params, per_step_losses
from .rtrl import rtrl
from .scalar_examples import pascanu_unit
from .validation import NumericalOverflow

__version__ = "0.2.0"

__all__ = [
    "GAMMA", "Cache", "NumericalOverflow", "bptt", "bptt_sum_of_products", "central_difference_error",
    "check_gradients", "clip_by_norm", "clip_by_value", "elementwise_rel_error", "forward",
    "global_norm", "init_params", "jacobian", "jacobian_product", "log_softmax", "lstm",
    "numerical_gradient", "pascanu_unit", "per_step_losses", "phi", "phi_prime_from_h",
    "rel_error", "rtrl", "softmax",
]

#: Subpackages and modules imported on first attribute access (``rnnlib.plots`` …),
#: so that ``import rnnlib`` stays light.
_LAZY = ("activations", "bptt", "clipping", "comparison", "exercises", "gradcheck", "gru",
         "initialisation", "jacobians", "losses", "plots", "problems", "rnn", "rtrl", "scalar_examples",
         "signals", "symbolic", "terms", "training", "truncation", "validation")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'rnnlib' has no attribute {name!r}")
