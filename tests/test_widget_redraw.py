"""The live widgets redraw ONE figure in place (``draw(**values, fig=fig)``).

For every widget's draw function: calling it again with the figure it returned
gives back the same figure object, changes what it shows, and shows exactly
what a freshly built figure for the new values shows (same pixels).
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlib import plots  # noqa: E402
from rnnlib.plots import style as viz  # noqa: E402
from rnnlib.rnn import forward, init_params  # noqa: E402


def _unrolling_draw():
    rng = np.random.default_rng(0)
    params = init_params(3, 5, 2, seed=0)
    _, cache = forward(params, rng.normal(size=(6, 2, 3)), rng.integers(0, 2, size=(6, 2)))
    losses = np.linspace(1.0, 2.0, 6)
    return lambda t, fig=None: plots.unrolling.draw_unrolling(cache, losses, t, fig=fig)


WIDGET_DRAWS = {
    "unrolling": (_unrolling_draw, {"t": 1}, {"t": 4}),
    "ch02": (lambda: plots.output_layer.draw_output_layer, {"t": 1}, {"t": plots.output_layer.OUTPUT_T}),
    "ch03": (lambda: plots.hidden_error.draw_error_flow, {"t": 12, "scale": 1.0}, {"t": 3, "scale": 1.5}),
    "ch04": (lambda: plots.recurrent_weights.draw_contributions,
             {"scale": 0.5, "activation": "tanh", "h0_scale": 0.0, "truncate": None},
             {"scale": 1.5, "activation": "sigmoid", "h0_scale": 0.5, "truncate": 2}),
    "ch05": (lambda: plots.input_weights.draw_step_contributions,
             {"scale": 0.5, "activation": "tanh"}, {"scale": 2.0, "activation": "sigmoid"}),
    "ch06": (lambda: plots.jacobian_products.draw_jacobian_explorer,
             {"t": 40, "k": 30, "rho": 1.0, "activation": "tanh"},
             {"t": 25, "k": 5, "rho": 1.5, "activation": "relu"}),
    "ch07": (lambda: plots.vanishing.draw_gradient_flow,
             {"t": 60, "scale": 1.0, "activation": "tanh"},
             {"t": 40, "scale": 1.5, "activation": "linear"}),
    "ch08": (lambda: plots.lstm.draw_flow, {"forget_bias": 0.0, "gain": 1.0},
             {"forget_bias": 3.0, "gain": 1.5}),
    "ch09": (lambda: plots.remedies.draw_windows, {"tau": 3, "chunk": 4, "scale": 1.5},
             {"tau": 0, "chunk": 12, "scale": 0.6}),
    "ch10": (lambda: plots.gru.draw_flow, {"update_bias": 0.0, "reset_bias": 0.0, "forget_bias": 0.0},
             {"update_bias": 4.0, "reset_bias": -2.0, "forget_bias": 3.0}),
}


def _pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("name", sorted(WIDGET_DRAWS))
def test_redraw_reuses_the_figure_and_matches_a_fresh_one(name):
    make, first, second = WIDGET_DRAWS[name]
    draw = make()
    with matplotlib.rc_context(viz._RC):
        fig = draw(**first)
        before = _pixels(fig)
        again = draw(**second, fig=fig)
        assert again is fig                                  # the same figure object
        after = _pixels(fig)
        assert after.shape == before.shape
        assert not np.array_equal(after, before)            # its content changed
        fresh = draw(**second)
        assert fresh is not fig
        np.testing.assert_array_equal(after, _pixels(fresh))  # and shows what a new figure shows
        back = draw(**first, fig=fig)
        assert back is fig
        np.testing.assert_array_equal(_pixels(fig), before)
    plt.close("all")


@pytest.mark.parametrize("module", plots.CHAPTERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_chapter_module_has_one_widget_and_one_animation(module):
    assert callable(module.widget) and callable(module.animation)
    assert any(name.startswith("draw_") for name in module.__all__)
