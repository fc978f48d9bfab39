"""Tests of the figures of chapters 6 and 7: they show the numbers of rnnlib.jacobians and rnnlib.signals."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnnlib import jacobians, scalar_examples, signals  # noqa: E402
from rnnlib.plots import jacobian_products, vanishing  # noqa: E402


def test_explorer_plots_the_singular_values_and_the_bound():
    fig = jacobian_products.draw_jacobian_explorer(t=20, k=15, rho=0.9, activation="sigmoid")
    ax = fig.axes[1]
    params, cache = jacobian_products.explorer_problem(0.9, "sigmoid")
    sv = jacobians.jacobian_product_singular_values(params, cache, 20)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    top = lines["‖∂h_t/∂h_k‖₂"]
    np.testing.assert_allclose(top.get_ydata(), sv[:, 0])
    bound = next(ln for lab, ln in lines.items() if lab.startswith("bound"))
    np.testing.assert_allclose(bound.get_ydata(),
                               (jacobians.spectral_norm(params["W_hh"]) * 0.25) ** (20 - np.arange(21)))
    assert abs(jacobians.spectral_radius(params["W_hh"]) - 0.9) < 1e-12
    plt.close(fig)


def test_gradient_flow_is_relative_to_the_immediate_term():
    fig = vanishing.draw_gradient_flow(t=30, scale=0.5, activation="tanh")
    params, cache = vanishing.flow_problem(0.5, "tanh")
    f = signals.gradient_flow(params, cache, 30)
    y = fig.axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(y, f / f[-1])
    assert abs(jacobians.spectral_norm(params["W_hh"]) - 0.5) < 1e-12
    plt.close(fig)


def test_pascanu_steps_clip_to_max_norm():
    w0 = 5.0
    b0 = float(scalar_examples.pascanu_cliff_b(w0)) - 1e-4
    (dw, db), plain, clipped, norm = scalar_examples.pascanu_steps(w0, b0, lr=0.5, max_norm=1.0)
    assert norm > 100
    assert abs(np.hypot(clipped[0] - w0, clipped[1] - b0) - 0.5) < 1e-12
    np.testing.assert_allclose(np.hypot(plain[0] - w0, plain[1] - b0), 0.5 * norm, rtol=1e-12)
    # same direction
    d1 = np.subtract(plain, (w0, b0))
    d2 = np.subtract(clipped, (w0, b0))
    assert abs(d1[0] * d2[1] - d1[1] * d2[0]) < 1e-9 * np.linalg.norm(d1)


def test_animations_respect_the_frame_limit():
    html = vanishing.animation(scales=[0.5, 1.0], t=10).data
    assert "Swept parameter" in html and 'alt="' in html
