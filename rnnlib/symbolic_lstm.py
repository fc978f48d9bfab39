"""A scalar LSTM in sympy, with generic gate and squashing functions (chapter 8).

The gate nonlinearity σ and the squashing function τ (tanh in the real LSTM)
are left undefined: ``sigma`` and ``tau`` are sympy functions whose
derivatives are the undefined functions ``sigma_prime`` and ``tau_prime``.
An identity proved with them therefore holds for *every* differentiable
choice — in particular for the logistic sigmoid and tanh, which
:func:`substitute_lstm` puts back in.  Equality is settled with
``sympy.expand(direct − formula) == 0``, never ``simplify``.

One step of the scalar LSTM, in the book's notation (H = n_in = 1):

    z_f = x w_xf + h_{t−1} w_hf + b_f,   f_t = σ(z_f)   (and i_t, o_t likewise)
    z_c = x w_xc + h_{t−1} w_hc + b_c,   C̃_t = τ(z_c)
    C_t = f_t C_{t−1} + i_t C̃_t,          h_t = o_t τ(C_t).
"""
from __future__ import annotations

import sympy

from .symbolic import SIGMOID

__all__ = [
    "sigma", "tau", "sigma_prime", "tau_prime", "scalar_lstm_params", "lstm_step",
    "cell_jacobian_direct", "dC_dh_prev", "four_term_formula", "one_step_factor",
    "missing_path_two_steps", "state_jacobian_symbolic",
    "cells_from", "substitute_lstm", "readable",
]


class sigma_prime(sympy.Function):
    """σ′, the (undefined) derivative of the gate nonlinearity."""

    def _latex(self, printer):
        return r"\sigma'\!\left(%s\right)" % printer._print(self.args[0])


class tau_prime(sympy.Function):
    """τ′, the (undefined) derivative of the squashing function."""

    def _latex(self, printer):
        return r"\tau'\!\left(%s\right)" % printer._print(self.args[0])


class sigma(sympy.Function):
    """A generic gate nonlinearity σ with derivative :class:`sigma_prime`."""

    def fdiff(self, argindex=1):
        return sigma_prime(self.args[0])

    def _latex(self, printer):
        return r"\sigma\!\left(%s\right)" % printer._print(self.args[0])


class tau(sympy.Function):
    """A generic squashing function τ (tanh in the LSTM) with derivative :class:`tau_prime`."""

    def fdiff(self, argindex=1):
        return tau_prime(self.args[0])

    def _latex(self, printer):
        return r"\tau\!\left(%s\right)" % printer._print(self.args[0])


def scalar_lstm_params() -> dict:
    """Real symbols for the recurrent part of a scalar LSTM, under rnnlib key names.

    Keys ``W_x*``, ``W_h*``, ``b_*`` for * in f, i, o, c (printed w_{xf}, …).
    """
    p = {}
    for g in "fioc":
        p[f"W_x{g}"] = sympy.Symbol(f"w_{{x{g}}}", real=True)
        p[f"W_h{g}"] = sympy.Symbol(f"w_{{h{g}}}", real=True)
        p[f"b_{g}"] = sympy.Symbol(f"b_{{{g}}}", real=True)
    return p


def lstm_step(p: dict, x, h_prev, c_prev) -> dict:
    """One scalar LSTM step.  Returns the pre-activations ``z_f, z_i, z_o, z_c``,
    the gates ``f, i, o``, the candidate ``cc`` (C̃_t) and the new ``c`` and ``h``."""
    z = {g: x * p[f"W_x{g}"] + h_prev * p[f"W_h{g}"] + p[f"b_{g}"] for g in "fioc"}
    f, i, o, cc = sigma(z["f"]), sigma(z["i"]), sigma(z["o"]), tau(z["c"])
    c = f * c_prev + i * cc
    return {"z_f": z["f"], "z_i": z["i"], "z_o": z["o"], "z_c": z["c"],
            "f": f, "i": i, "o": o, "cc": cc, "c": c, "h": o * tau(c)}


def _symbols():
    x = sympy.Symbol("x_{t}", real=True)
    c_prev = sympy.Symbol("C_{t-1}", real=True)
    o_prev = sympy.Symbol("o_{t-1}", real=True)
    return x, c_prev, o_prev


def cell_jacobian_direct(p: dict | None = None):
    """sympy's derivative dC_t/dC_{t−1} with h_{t−1} = o_{t−1} τ(C_{t−1}), o_{t−1} fixed.

    Returns ``(direct, step, symbols)`` where ``step`` is :func:`lstm_step`'s dict
    and ``symbols`` = ``{"x": x_t, "c_prev": C_{t−1}, "o_prev": o_{t−1}}``.
    """
    p = scalar_lstm_params() if p is None else p
    x, c_prev, o_prev = _symbols()
    step = lstm_step(p, x, o_prev * tau(c_prev), c_prev)
    return sympy.diff(step["c"], c_prev), step, {"x": x, "c_prev": c_prev, "o_prev": o_prev}


def dC_dh_prev(p: dict, step: dict, c_prev):
    """A_t = ∂C_t/∂h_{t−1} with C_{t−1} fixed: the three gate paths,

        C_{t−1} σ'(z_f) w_hf + C̃_t σ'(z_i) w_hi + i_t τ'(z_c) w_hc.
    """
    return (c_prev * sigma_prime(step["z_f"]) * p["W_hf"]
            + step["cc"] * sigma_prime(step["z_i"]) * p["W_hi"]
            + step["i"] * tau_prime(step["z_c"]) * p["W_hc"])


def four_term_formula(p: dict, step: dict, c_prev, o_prev):
    """The chapter's hand-derived ∂C_t/∂C_{t−1}: the direct term plus three gate paths,

        f_t + [C_{t−1} σ'(z_f) w_hf + C̃_t σ'(z_i) w_hi + i_t τ'(z_c) w_hc] · o_{t−1} τ'(C_{t−1}).
    """
    return step["f"] + dC_dh_prev(p, step, c_prev) * o_prev * tau_prime(c_prev)


def one_step_factor(p: dict, states: list, j: int):
    """The four-term factor of step k + j in an unrolling from :func:`cells_from`,
    with that step's previous output gate o_{k+j−1} held fixed."""
    return four_term_formula(p, states[j], states[j - 1]["c"], states[j - 1]["o"])


def missing_path_two_steps(p: dict, states: list):
    """What the product of two one-step factors misses in ∂C_{k+2}/∂C_k:

    the path C_k → h_k → o_{k+1} → h_{k+1} → C_{k+2}, that is
    A_{k+2} · τ(C_{k+1}) σ'(z_{o,k+1}) w_ho · o_k τ'(C_k).
    """
    s1 = states[1]
    return (dC_dh_prev(p, states[2], s1["c"]) * tau(s1["c"]) * sigma_prime(s1["z_o"]) * p["W_ho"]
            * states[0]["o"] * tau_prime(states[0]["c"]))


def state_jacobian_symbolic(p: dict, x, h_prev, c_prev) -> sympy.Matrix:
    """The 2×2 Jacobian of (h_t, C_t) with respect to (h_{t−1}, C_{t−1}), by sympy.

    ``h_prev`` and ``c_prev`` may be any expressions; the derivative is taken
    with respect to them as independent inputs (through fresh symbols).
    """
    hs, cs = sympy.Dummy("h"), sympy.Dummy("c")
    step = lstm_step(p, x, hs, cs)
    J = sympy.Matrix([[sympy.diff(step["h"], hs), sympy.diff(step["h"], cs)],
                      [sympy.diff(step["c"], hs), sympy.diff(step["c"], cs)]])
    return J.subs({hs: h_prev, cs: c_prev})


def cells_from(p: dict, n_steps: int):
    """Unroll ``n_steps`` steps starting from a symbolic cell state C_k.

    h_k = o_k τ(C_k) with the output gate o_k a fixed symbol, inputs x_{k+1}, ….
    Returns ``(states, symbols)``: ``states[j]`` is the :func:`lstm_step` dict of
    step k + j (j = 1..n_steps; ``states[0]`` holds only ``h`` and ``c``), and
    ``symbols`` has ``"c_k"``, ``"o_k"`` and the list ``"x"``.
    """
    if not (isinstance(n_steps, int) and n_steps >= 1):
        raise ValueError(f"n_steps: expected an integer >= 1, got {n_steps!r}")
    c_k = sympy.Symbol("C_{k}", real=True)
    o_k = sympy.Symbol("o_{k}", real=True)
    xs = [sympy.Symbol(f"x_{{k+{j}}}", real=True) for j in range(1, n_steps + 1)]
    states = [{"h": o_k * tau(c_k), "c": c_k, "o": o_k}]
    for j in range(1, n_steps + 1):
        states.append(lstm_step(p, xs[j - 1], states[j - 1]["h"], states[j - 1]["c"]))
    return states, {"c_k": c_k, "o_k": o_k, "x": xs}


def substitute_lstm(expr):
    """Replace σ by the logistic sigmoid and τ by tanh (and their derivatives)."""
    z = sympy.Symbol("z")
    sig = SIGMOID
    return expr.replace(sigma_prime, sympy.Lambda(z, sig(z) * (1 - sig(z)))) \
               .replace(tau_prime, sympy.Lambda(z, 1 - sympy.tanh(z) ** 2)) \
               .replace(sigma, sig).replace(tau, sympy.tanh).doit()


def readable(expr, labelled_steps):
    """Rename the sub-expressions of ``expr`` for display: gates, candidates, cells.

    ``labelled_steps`` is a list of ``(label, step)`` pairs, step dicts from
    :func:`lstm_step` or :func:`cells_from`, **latest step first**.  For each,
    the cell-state expression becomes the symbol C_label, σ(z^f) becomes
    f_label (likewise i, o), τ(z^c) becomes C̃_label, and the remaining
    pre-activations become z^f_label, …  Only the printing changes: the
    result is for display, not for further algebra.
    """
    for label, st in labelled_steps:
        sym = lambda name: sympy.Symbol(name.format(l=label), real=True)  # noqa: E731
        if "z_f" not in st:
            continue
        if "c" in st:
            expr = expr.subs(st["c"], sym("C_{{{l}}}"))
        expr = expr.subs({sigma(st["z_f"]): sym("f_{{{l}}}"), sigma(st["z_i"]): sym("i_{{{l}}}"),
                          sigma(st["z_o"]): sym("o_{{{l}}}"), tau(st["z_c"]): sym(r"\tilde{{C}}_{{{l}}}")})
        expr = expr.subs({st["z_f"]: sym("z^{{f}}_{{{l}}}"), st["z_i"]: sym("z^{{i}}_{{{l}}}"),
                          st["z_o"]: sym("z^{{o}}_{{{l}}}"), st["z_c"]: sym("z^{{c}}_{{{l}}}")})
    return expr


# ---------------------------------------------------------------------------
# One step of the LSTM's backward recursion (chapter 8, "The backward pass in
# full").  Added for issue 10; self-contained, uses only lstm_step and the
# generic σ, τ above.  In the book the squashing function τ is written ψ (see
# latex_psi); the sympy classes keep the names tau / tau_prime for now.
# ---------------------------------------------------------------------------

class step_loss_prime(sympy.Function):
    """ℓ_t′, the (undefined) derivative of the step loss ℓ_t(h_t); it plays G_t = ∂L_t/∂h_t."""

    def _latex(self, printer):
        return r"\ell_t'\!\left(%s\right)" % printer._print(self.args[0])


class step_loss(sympy.Function):
    """A generic step loss ℓ_t(h_t) = L_t (through the logits s_t = h_t w_yh + b_y)."""

    def fdiff(self, argindex=1):
        return step_loss_prime(self.args[0])

    def _latex(self, printer):
        return r"\ell_t\!\left(%s\right)" % printer._print(self.args[0])


class later_loss_dh(sympy.Function):
    """Φ_h, the (undefined) partial of :class:`later_loss` in its first argument h_{t+1}."""

    def _latex(self, printer):
        return r"\Phi_h\!\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


class later_loss_dc(sympy.Function):
    """Φ_C, the (undefined) partial of :class:`later_loss` in its second argument C_{t+1}."""

    def _latex(self, printer):
        return r"\Phi_C\!\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


class later_loss(sympy.Function):
    """A generic Φ(h_{t+1}, C_{t+1}): all losses L_{t+1} + … + L_T as a function of the
    state at step t + 1, its two entries taken as independent inputs (a restart there).

    The later losses reach h_t and C_t only through (h_{t+1}, C_{t+1}), so this is exact.
    Its partials are :class:`later_loss_dh` and :class:`later_loss_dc`.
    """

    nargs = 2

    def fdiff(self, argindex=1):
        return (later_loss_dh if argindex == 1 else later_loss_dc)(*self.args)

    def _latex(self, printer):
        return r"\Phi\!\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)


def _backward_symbols():
    return {"h": sympy.Symbol("h_{t}", real=True), "c": sympy.Symbol("C_{t}", real=True),
            "o": sympy.Symbol("o_{t}", real=True), "x": sympy.Symbol("x_{t+1}", real=True),
            "G": sympy.Symbol("G_{t}", real=True),
            "dh_next": sympy.Symbol(r"\delta^{h}_{t+1}", real=True),
            "dc_next": sympy.Symbol(r"\delta^{C}_{t+1}", real=True)}


def backward_step_direct(p: dict | None = None) -> dict:
    """sympy's own δ^h_t and δ^C_t for one step of the scalar LSTM (H = n_in = 1).

    The loss is written L = ℓ_t(h_t) + Φ(h_{t+1}, C_{t+1}) + (terms free of h_t, C_t),
    with (h_{t+1}, C_{t+1}) = step t + 1 of :func:`lstm_step` from (h_t, C_t) and
    ℓ_t, Φ undefined functions (:class:`step_loss`, :class:`later_loss`).  sympy then
    differentiates:

    * ``"dh"``: δ^h_t = ∂L/∂h_t with C_t fixed (h_t is a node of its own: it feeds
      s_t and the four gates of step t + 1, while C_t lies upstream of it);
    * ``"dc"``: δ^C_t = ∂L/∂C_t with h_t = o_t τ(C_t) recomputed, o_t a fixed symbol
      (o_t is computed from h_{t−1}, upstream of C_t).

    Afterwards the values of the undefined derivatives are named:
    ℓ_t′(h_t) → G_t, Φ_h → δ^h_{t+1}, and Φ_C → δ^C_{t+1} − δ^h_{t+1} o_{t+1} τ′(C_{t+1})
    (δ^C_{t+1} counts the path C_{t+1} → h_{t+1} as well; Φ_C is the rest).  These
    are values at the point, not functions of h_t, and any pair (δ^h_{t+1}, δ^C_{t+1})
    is possible, so both results are expressions in the free symbols
    δ^h_{t+1}, δ^C_{t+1}, G_t and the quantities of steps t and t + 1.

    Returns ``{"dh", "dc", "step", "symbols"}``: ``step`` is the :func:`lstm_step`
    dict of step t + 1 (at the free node h_t), ``symbols`` has ``h, c, o, x, G,
    dh_next, dc_next`` (h_t, C_t, o_t, x_{t+1}, G_t, δ^h_{t+1}, δ^C_{t+1}).
    """
    p = scalar_lstm_params() if p is None else p
    s = _backward_symbols()
    h, c, o = s["h"], s["c"], s["o"]
    step = lstm_step(p, s["x"], h, c)                       # step t + 1
    L = step_loss(h) + later_loss(step["h"], step["c"])
    a, b = sympy.Dummy("a"), sympy.Dummy("b")

    def name_values(expr, o_next):
        return (expr.replace(step_loss_prime, sympy.Lambda(a, s["G"]))
                    .replace(later_loss_dh, sympy.Lambda((a, b), s["dh_next"]))
                    .replace(later_loss_dc, sympy.Lambda(
                        (a, b), s["dc_next"] - s["dh_next"] * o_next * tau_prime(b))))

    dh = name_values(sympy.diff(L, h), step["o"])
    on_c = {h: o * tau(c)}                                  # h_t = o_t τ(C_t), o_t fixed
    dc = name_values(sympy.diff(L.subs(on_c), c), step["o"].subs(on_c))
    return {"dh": dh, "dc": dc, "step": step, "symbols": s}


def backward_step_formula(p: dict, step: dict, symbols: dict) -> dict:
    """The chapter's hand-derived recursion for one step, scalar case.

    With σ'_g = σ'(z^g_{t+1}) and the error signals of step t + 1 as free symbols,

        Δ^f_{t+1} = δ^C_{t+1} C_t σ'_f,          Δ^i_{t+1} = δ^C_{t+1} C̃_{t+1} σ'_i,
        Δ^o_{t+1} = δ^h_{t+1} τ(C_{t+1}) σ'_o,   Δ^c_{t+1} = δ^C_{t+1} i_{t+1} τ'(z^c_{t+1}),
        δ^h_t = G_t + Σ_g Δ^g_{t+1} w_hg,
        δ^C_t = δ^C_{t+1} f_{t+1} + δ^h_t o_t τ'(C_t).

    ``step`` and ``symbols`` come from :func:`backward_step_direct`.  Returns
    ``{"dh", "dc", "Delta"}``; ``dh`` is at the free node h_t, ``dc`` (and the
    ``dh`` inside it) at h_t = o_t τ(C_t), as in :func:`backward_step_direct`;
    ``Delta`` maps the gate letters f, i, o, c to Δ^g_{t+1} (at the free node h_t).
    """
    s = symbols
    c, dh1, dc1 = s["c"], s["dh_next"], s["dc_next"]
    Delta = {"f": dc1 * c * sigma_prime(step["z_f"]),
             "i": dc1 * step["cc"] * sigma_prime(step["z_i"]),
             "o": dh1 * tau(step["c"]) * sigma_prime(step["z_o"]),
             "c": dc1 * step["i"] * tau_prime(step["z_c"])}
    dh = s["G"] + sum(Delta[g] * p[f"W_h{g}"] for g in "fioc")
    dc = (dc1 * step["f"] + dh * s["o"] * tau_prime(c)).subs(s["h"], s["o"] * tau(c))
    return {"dh": dh, "dc": dc, "Delta": Delta}


class _psi_display(sympy.Function):
    def _latex(self, printer):
        return r"\psi\!\left(%s\right)" % printer._print(self.args[0])


class _psi_prime_display(sympy.Function):
    def _latex(self, printer):
        return r"\psi'\!\left(%s\right)" % printer._print(self.args[0])


def latex_psi(expr) -> str:
    """LaTeX of ``expr`` with the squashing function printed as ψ, the book's letter.

    Display only: τ and τ′ (the classes :class:`tau`, :class:`tau_prime`) are swapped
    for look-alike functions printed ψ and ψ′ in a copy; ``expr`` is unchanged.
    """
    return sympy.latex(sympy.sympify(expr).replace(tau, _psi_display)
                       .replace(tau_prime, _psi_prime_display))


__all__ += ["step_loss", "step_loss_prime", "later_loss", "later_loss_dh", "later_loss_dc",
            "backward_step_direct", "backward_step_formula", "latex_psi"]
