"""Symbolic hidden-to-hidden Jacobians (chapters 3 and 6).

The formula side of the chapter identities, built from the pieces of a
:class:`.network.SymbolicRNN` with the generic activation φ:

    J_j = ∂h_j/∂h_{j−1} = diag(φ'(a_j)) W_hhᵀ,        (H × H)
    ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1}                 (t − k factors),

and the direct side, :func:`direct_jacobian`, sympy's own derivative of the
unrolled h_t with respect to h_0.  φ'(a) is written by :func:`.network.phi_prime`
exactly as sympy writes it, so ``sympy.expand(direct − formula)`` cancels term by term.
"""
from __future__ import annotations

import sympy

from .network import _check_net, _check_t

__all__ = ["one_step_jacobian", "jacobian_product", "direct_jacobian"]


def one_step_jacobian(net, t) -> sympy.Matrix:
    """J_t = ∂h_t/∂h_{t−1} = diag(φ'(a_t)) W_hhᵀ, an H×H Matrix (t = 1..T).

    Entry [a, b] is ∂h_t[a]/∂h_{t−1}[b] = φ'(a_t[a]) W_hh[b, a].
    """
    net = _check_net(net)
    t = _check_t("t", t, 1, net.T)
    return sympy.diag(*list(net.phi_prime(t))) * net.W_hh.T


def jacobian_product(net, t, k) -> sympy.Matrix:
    """∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1} (t − k factors; the identity for k = t), H×H."""
    net = _check_net(net)
    t = _check_t("t", t, 0, net.T)
    k = _check_t("k", k, 0, t)
    P = sympy.eye(net.H)
    for j in range(t, k, -1):
        P = P * one_step_jacobian(net, j)
    return P


def direct_jacobian(net, t: int) -> sympy.Matrix:
    """∂h_t/∂h_0 by sympy's own differentiation; [a, b] = ∂h_t[a]/∂h_0[b].

    ``net`` must be built with ``h0="symbolic"``.  Because the map from h_k
    to h_t is the same network run for t − k steps, this also gives the
    direct ∂h_t/∂h_k of a network started at step k.
    """
    net = _check_net(net)
    t = _check_t("t", t, 0, net.T)
    h0 = list(net.h[0])
    if not all(isinstance(s, sympy.Symbol) for s in h0):
        raise ValueError("net: expected a network built with h0='symbolic', got h0 = 0")
    return net.h[t].jacobian(h0)
