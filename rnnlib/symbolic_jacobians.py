"""Symbolic hidden-to-hidden Jacobians, for the proofs of chapter 6.

The formula side of the chapter-6 identities, built from the pieces of a
:class:`rnnlib.symbolic.SymbolicRNN` with the generic activation φ:

    J_j = ∂h_j/∂h_{j−1} = diag(φ'(a_j)) W_hhᵀ,        (H × H)
    ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}                 (t − k factors).

φ'(a) is written exactly as sympy writes it when it differentiates φ(a)
itself, ``Subs(Derivative(φ(ξ), ξ), ξ, a)``, so that
``sympy.expand(direct − formula)`` cancels term by term.
"""
from __future__ import annotations

import re

import sympy

from .symbolic import SymbolicRNN, phi

__all__ = ["phi_prime", "jacobian_formula", "jacobian_product_formula", "direct_jacobian", "to_latex"]

_XI = sympy.Symbol("xi")


def phi_prime(expr, activation=phi):
    """φ'(expr) in the form sympy's chain rule produces (an unevaluated ``Subs``)."""
    return sympy.Subs(sympy.Derivative(activation(_XI), _XI), _XI, expr)


def _check_net(net) -> SymbolicRNN:
    if not isinstance(net, SymbolicRNN):
        raise ValueError(f"net: expected a SymbolicRNN from unrolled_rnn, got {type(net).__name__}")
    return net


def _check_step(name, value, lo, hi) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {value!r}")
    return value


def jacobian_formula(net, j: int) -> sympy.Matrix:
    """The book's J_j = diag(φ'(a_j)) W_hhᵀ, an H × H matrix, for j in 1..T."""
    net = _check_net(net)
    j = _check_step("j", j, 1, net.T)
    return sympy.diag(*[phi_prime(e, net.activation) for e in net.a[j]]) * net.W_hh.T


def jacobian_product_formula(net, t: int, k: int) -> sympy.Matrix:
    """The product J_t J_{t−1} ⋯ J_{k+1} (the identity when k = t), H × H."""
    net = _check_net(net)
    t = _check_step("t", t, 0, net.T)
    k = _check_step("k", k, 0, t)
    P = sympy.eye(net.H)
    for j in range(t, k, -1):
        P = P * jacobian_formula(net, j)
    return P


def direct_jacobian(net, t: int) -> sympy.Matrix:
    """∂h_t/∂h_0 by sympy's own differentiation; [a, b] = ∂h_t[a]/∂h_0[b].

    ``net`` must be built with ``h0="symbolic"``.  Because the map from h_k
    to h_t is the same network run for t − k steps, this also gives the
    direct ∂h_t/∂h_k of a network started at step k.
    """
    net = _check_net(net)
    t = _check_step("t", t, 0, net.T)
    h0 = list(net.h[0])
    if not all(isinstance(s, sympy.Symbol) for s in h0):
        raise ValueError("net: expected a network built with h0='symbolic', got h0 = 0")
    return net.h[t].jacobian(h0)


def to_latex(expr) -> str:
    """LaTeX for display: φ'(a) instead of sympy's ``Subs`` form, and W_{hh,12}
    instead of the double subscript W_{hh}_{12} (which MathJax rejects).
    ``expr`` is a sympy expression or matrix; only the printing changes."""

    def tidy(e):
        e = sympy.sympify(e)
        rename = {}
        for s in e.free_symbols:
            m = re.fullmatch(r"(.+)_\{(.+)\}_\{(.+)\}", s.name)
            if m:
                rename[s] = sympy.Symbol(f"{m[1]}_{{{m[2]},{m[3]}}}", real=True)
        e = e.xreplace(rename)

        def is_prime(x):
            return (isinstance(x, sympy.Subs) and isinstance(x.expr, sympy.Derivative)
                    and len(x.variables) == 1 and x.expr.expr.args == x.variables)

        def as_prime(x):
            name = getattr(x.expr.expr.func, "__name__", "phi")
            return sympy.Function(f"{name}'")(x.point[0])

        return e.replace(is_prime, as_prime)

    out = sympy.latex(expr.applyfunc(tidy) if isinstance(expr, sympy.MatrixBase) else tidy(expr))
    # sympy prints an unknown function "phi'" as \operatorname{phi'}; write it as \phi'.
    return re.sub(r"\\operatorname\{(\w+)'\}",
                  lambda m: sympy.latex(sympy.Symbol(m[1])) + "'", out)
