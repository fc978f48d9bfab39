"""The figure layer: matplotlib and ipywidgets only, every number from the layers below.

:mod:`.style` holds the book's style, the animation and widget helpers and the
redraw protocol; each chapter has one module with its ``draw_*`` figures, its
live ``widget()`` and its kernel-free ``animation()``:

====================  ==========================================
module                chapter
====================  ==========================================
:mod:`.unrolling`     1. unrolling in time, gradient checking
:mod:`.output_layer`  2. the output layer
:mod:`.hidden_error`  3. the error signal δ_t
:mod:`.recurrent_weights`  4. ∂L/∂W_hh, the (t, k) terms
:mod:`.input_weights` 5. ∂L/∂W_xh and b_h
:mod:`.jacobian_products`  6. Jacobian products and their norms
:mod:`.vanishing`     7. vanishing and exploding gradients
:mod:`.lstm`          8. the LSTM
:mod:`.remedies`      9. clipping, truncation, training
:mod:`.gru`           10. the GRU
====================  ==========================================

Nothing in ``rnnlib`` outside this package imports matplotlib or ipywidgets.
"""
from . import (
               gru,
               hidden_error,
               input_weights,
               jacobian_products,
               lstm,
               output_layer,
               recurrent_weights,
               remedies,
               style,
               unrolling,
               vanishing,
)
from .style import COLORS, book_style, jshtml_animation, live, table

__all__ = ["style", "unrolling", "output_layer", "hidden_error", "recurrent_weights", "input_weights",
           "jacobian_products", "vanishing", "lstm", "remedies", "gru", "book_style", "jshtml_animation",
           "live", "table", "COLORS"]

#: The chapter modules, in book order (each has ``widget`` and ``animation``).
CHAPTERS = (unrolling, output_layer, hidden_error, recurrent_weights, input_weights, jacobian_products,
            vanishing, lstm, remedies, gru)
