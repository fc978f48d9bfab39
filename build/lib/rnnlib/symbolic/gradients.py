"""Gradient forms of chapters 2–5 for the symbolic network of :mod:`.network`.

Every ``gradient_*`` function below is *built from a formula of the book*
(the δ recursion, the literal double sum, the forward RTRL recursion); only
:func:`direct_gradient` and :func:`direct_error_signal` differentiate the
unrolled loss.  A chapter proves a formula by showing that
``difference(direct, formula)`` is the zero matrix, with the generic φ.

Shapes follow the row convention: a gradient has the shape of its parameter
(W_xh n_in×H, W_hh H×H, b_h 1×H, W_yh H×n_out, b_y 1×n_out, h0 1×H); error
signals G_t, δ_t and φ'(a_t) are 1×H rows; Jacobians are H×H with
J[a, b] = ∂h_t[a]/∂h_{t−1}[b], so that a row times J moves one step back
(:mod:`.jacobians`).
"""
from __future__ import annotations

import sympy

from ..validation import check_truncate
from .jacobians import jacobian_product, one_step_jacobian
from .network import _check_net, _check_t, is_zero

__all__ = [
    "PARAM_KEYS", "squared_loss", "softmax_ce_identity", "direct_gradient",
    "direct_error_signal", "logit_errors", "output_errors", "delta_recursion",
    "immediate_partial_term", "gradient_delta", "gradient_sum_of_products", "gradient_rtrl",
    "difference",
]

#: The keys accepted by the gradient functions (``"h0"`` needs ``h0="symbolic"``).
PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_yh", "b_y", "h0")
_HIDDEN_KEYS = ("W_xh", "W_hh", "b_h", "h0")


def _check_key(net, key, allowed=PARAM_KEYS) -> str:
    if key not in allowed:
        raise ValueError(f"key: expected one of {', '.join(map(repr, allowed))}, got {key!r}")
    if key == "h0" and is_zero(net.h[0]):
        raise ValueError("key: expected a network built with h0='symbolic' for key 'h0', "
                         "got one with h_0 = 0 (no free entries to differentiate)")
    return key


def _check_Ls(net, Ls) -> list:
    if not isinstance(Ls, (list, tuple)) or len(Ls) != net.T + 1:
        got = f"length {len(Ls)}" if isinstance(Ls, (list, tuple)) else type(Ls).__name__
        raise ValueError(f"Ls: expected a list of T + 1 = {net.T + 1} entries "
                         f"(index 0 None, then L_1..L_T), got {got}")
    return list(Ls)


def _checked(net, key, Ls):
    """The arguments of every gradient form, checked: ``(net, key, Ls)``."""
    net = _check_net(net)
    return net, _check_key(net, key), _check_Ls(net, Ls)


def _row(name, v, H) -> sympy.Matrix:
    v = sympy.Matrix(v)
    if v.shape != (1, H):
        raise ValueError(f"{name}: expected a 1×{H} row (sympy Matrix), got shape {v.shape}")
    return v


def _param(net, key) -> sympy.Matrix:
    return net.h[0] if key == "h0" else net.params[key]


def _grad_wrt(expr, M: sympy.Matrix) -> sympy.Matrix:
    """∂expr/∂M entry by entry, shaped like M."""
    return M.applyfunc(lambda s: sympy.diff(expr, s))


def squared_loss(net):
    """Attach symbolic targets and return the squared loss ``(L, Ls)``.

    Creates targets y_t (1×n_out rows of real symbols ``y_{t,j}``, or ``y_{t}``
    when n_out = 1) and stores them as ``net.y`` (index 0 None).  It also sets
    ``net.step_loss(o, t) = ½‖o − y_t‖²`` so that later functions can
    differentiate L_t with respect to o_t alone.

    Returns ``L = Σ_t L_t`` and the list ``Ls`` with ``Ls[t] = L_t = ½‖o_t − y_t‖²``
    for t = 1..T (``Ls[0]`` is None).
    """
    net = _check_net(net)
    y = [None]
    for t in range(1, net.T + 1):
        if net.n_out == 1:
            y.append(sympy.Matrix([[sympy.Symbol(f"y_{{{t}}}", real=True)]]))
        else:
            y.append(sympy.Matrix(1, net.n_out,
                                  lambda _, j, t=t: sympy.Symbol(f"y_{{{t},{j + 1}}}", real=True)))
    net.y = y

    def step_loss(o, t):
        d = sympy.Matrix(o) - y[t]
        return sympy.Rational(1, 2) * (d * d.T)[0, 0]

    net.step_loss = step_loss
    Ls = [None] + [step_loss(net.o[t], t) for t in range(1, net.T + 1)]
    return sum(Ls[1:], sympy.Integer(0)), Ls


def softmax_ce_identity(n_classes: int = 3) -> list:
    """The softmax cross-entropy identity ∂ℓ/∂o = softmax(o) − onehot(y), as differences.

    For every label y in 0..n_classes−1, with symbolic logits o = (o_1, …, o_n),
    ℓ_y(o) = −log softmax(o)[y] is differentiated by sympy and the closed form
    softmax(o) − onehot(y) is subtracted.  Returns the list of these 1×n
    difference matrices, one per label; the identity holds when every entry
    expands (after ``sympy.together``, since the entries are fractions) to 0 —
    check with ``all(is_zero(sympy.together(d)) for d in ...)`` or simply
    :func:`is_zero` after :func:`sympy.cancel`.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes: expected an integer >= 2, got {n_classes!r}")
    o = sympy.Matrix(1, n_classes, lambda _, j: sympy.Symbol(f"o_{{{j + 1}}}", real=True))
    e = o.applyfunc(sympy.exp)
    Z = sum(e)
    softmax = e / Z
    diffs = []
    for y in range(n_classes):
        ell = -sympy.log(e[y] / Z)
        onehot = sympy.Matrix(1, n_classes, lambda _, j, y=y: 1 if j == y else 0)
        diffs.append(_grad_wrt(ell, o) - (softmax - onehot))
    return diffs


def direct_gradient(net, L, key) -> sympy.Matrix:
    """∂L/∂θ by sympy differentiation of the fully unrolled loss ``L``.

    ``key`` is one of ``W_xh, W_hh, b_h, W_yh, b_y, h0`` (``h0`` requires a net
    built with ``h0="symbolic"``).  Returns a Matrix shaped like the parameter.
    """
    net = _check_net(net)
    key = _check_key(net, key)
    return _grad_wrt(L, _param(net, key))


def direct_error_signal(net, t) -> sympy.Matrix:
    """δ_t = ∂L/∂h_t (total) by direct differentiation, a 1×H row.

    The network is re-run from step t with h_t replaced by a fresh symbolic
    row s, the losses L_t..L_T are written as functions of s (L_1..L_{t−1}
    do not depend on h_t), differentiated with respect to s, and s is then put
    back to the value of h_t.  Needs ``net.step_loss`` (call :func:`squared_loss`
    first).
    """
    net = _check_net(net)
    t = _check_t("t", t, 1, net.T)
    if net.step_loss is None:
        raise ValueError("net: expected a network with a loss attached (call squared_loss(net) first), "
                         "got net.step_loss = None")
    s = sympy.Matrix(1, net.H, lambda _, j: sympy.Symbol(f"s_{{{j + 1}}}", real=True))
    h, total = s, sympy.Integer(0)
    for j in range(t, net.T + 1):
        if j > t:
            h = (net.X[j] * net.W_xh + h * net.W_hh + net.b_h).applyfunc(net.activation)
        total += net.step_loss(h * net.W_yh + net.b_y, j)
    grad = _grad_wrt(total, s)
    return grad.subs(dict(zip(list(s), list(net.h[t]))), simultaneous=True)


def logit_errors(net, Ls) -> list:
    """∂L_t/∂o_t for t = 1..T (1×n_out rows; index 0 None).

    Uses ``net.step_loss`` (set by :func:`squared_loss`): L_t is differentiated
    as a function of o_t alone, e.g. o_t − y_t for the squared loss.  Without
    it, ∂L_t/∂b_y is used, which equals ∂L_t/∂o_t because o_t = h_t W_yh + b_y
    is the only place where b_y enters L_t.
    """
    net = _check_net(net)
    Ls = _check_Ls(net, Ls)
    out = [None]
    if net.step_loss is not None:
        o = sympy.Matrix(1, net.n_out, lambda _, j: sympy.Symbol(f"o_{{{j + 1}}}", real=True))
        for t in range(1, net.T + 1):
            g = _grad_wrt(net.step_loss(o, t), o)
            out.append(g.subs(dict(zip(list(o), list(net.o[t]))), simultaneous=True))
    else:
        out += [_grad_wrt(Ls[t], net.b_y) for t in range(1, net.T + 1)]
    return out


def output_errors(net, Ls) -> list:
    """G_t = ∂L_t/∂h_t = (∂L_t/∂o_t) W_yhᵀ for t = 1..T (1×H rows; index 0 None).

    Step t's own output error, computed through o_t only; the part of δ_t that
    flows back from later steps is *not* included.
    """
    return [None] + [g * net.W_yh.T for g in logit_errors(net, Ls)[1:]]


def delta_recursion(net, Ls) -> list:
    """δ_t = ∂L/∂h_t for t = 1..T by the backward recursion (1×H rows; index 0 None).

    δ_T = G_T and δ_t = G_t + δ_{t+1} J_{t+1} for t = T−1, …, 1.
    """
    G = output_errors(net, Ls)
    delta = [None] * (net.T + 1)
    delta[net.T] = G[net.T]
    for t in range(net.T - 1, 0, -1):
        delta[t] = G[t] + delta[t + 1] * one_step_jacobian(net, t + 1)
    return delta


def immediate_partial_term(net, k, key, upstream) -> sympy.Matrix:
    """The contribution of step k's *immediate* partial ∂⁺h_k/∂θ, given ``upstream``.

    ``upstream`` is a 1×H row standing for a derivative of the loss with
    respect to h_k (δ_k, or one path's G_t ∂h_t/∂h_k).  With
    Δ = upstream ⊙ φ'(a_k) the term is

    * ``W_hh``: h_{k−1}ᵀ Δ  (H×H),   * ``W_xh``: X_kᵀ Δ  (n_in×H),
    * ``b_h``: Δ  (1×H),           * ``h0``: Δ W_hhᵀ = upstream J_1 for k = 1, else 0.

    ``W_yh`` and ``b_y`` act after h_k and have no such term (ValueError).
    """
    net = _check_net(net)
    key = _check_key(net, key, _HIDDEN_KEYS)
    k = _check_t("k", k, 1, net.T)
    upstream = _row("upstream", upstream, net.H)
    D = upstream.multiply_elementwise(net.phi_prime(k))
    if key == "W_hh":
        return net.h[k - 1].T * D
    if key == "W_xh":
        return net.X[k].T * D
    if key == "b_h":
        return D
    return D * net.W_hh.T if k == 1 else sympy.zeros(1, net.H)


def _output_layer_gradient(net, Ls, key) -> sympy.Matrix:
    """∂L/∂W_yh = Σ_t h_tᵀ (∂L_t/∂o_t) and ∂L/∂b_y = Σ_t ∂L_t/∂o_t."""
    dO = logit_errors(net, Ls)
    if key == "W_yh":
        terms = [net.h[t].T * dO[t] for t in range(1, net.T + 1)]
    else:
        terms = dO[1:]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def gradient_delta(net, Ls, key) -> sympy.Matrix:
    """∂L/∂θ from the δ recursion: Σ_k (immediate term of step k with upstream δ_k).

    ∂L/∂W_hh = Σ_k h_{k−1}ᵀ (δ_k ⊙ φ'(a_k)), likewise for W_xh and b_h;
    ∂L/∂h_0 = δ_1 J_1; the output layer uses :func:`_output_layer_gradient`.
    """
    net, key, Ls = _checked(net, key, Ls)
    if key in ("W_yh", "b_y"):
        return _output_layer_gradient(net, Ls, key)
    delta = delta_recursion(net, Ls)
    total = sympy.zeros(*_param(net, key).shape)
    for k in range(1, net.T + 1):
        total += immediate_partial_term(net, k, key, delta[k])
    return total


def gradient_sum_of_products(net, Ls, key, *, truncate=None, skip_k=None) -> sympy.Matrix:
    """∂L/∂θ as the literal double sum Σ_t Σ_k G_t (∂h_t/∂h_k) (∂⁺h_k/∂θ).

    The Jacobian product ∂h_t/∂h_k is built from explicit one-step Jacobians.
    ``truncate=τ`` keeps only the terms with t − k ≤ τ (for ``h0``, whose only
    immediate term sits at k = 1 and needs t factors, only t ≤ τ).
    ``skip_k`` drops every term of one step k (for ``h0``, k = 1 drops it all);
    it exists so that tests and chapters can show that an incomplete formula
    is detected.  The output layer (``W_yh``, ``b_y``) is a single sum over t.
    """
    net, key, Ls = _checked(net, key, Ls)
    truncate = check_truncate(truncate)
    if skip_k is not None:
        _check_t("skip_k", skip_k, 1, net.T)
    if key in ("W_yh", "b_y"):
        return _output_layer_gradient(net, Ls, key)
    G = output_errors(net, Ls)
    total = sympy.zeros(*_param(net, key).shape)
    for t in range(1, net.T + 1):
        for k in range(1, t + 1):
            if k == skip_k or (truncate is not None and t - k > truncate):
                continue
            if key == "h0" and (k != 1 or (truncate is not None and t > truncate)):
                continue                                    # L_t reaches h_0 through t factors
            upstream = G[t] * jacobian_product(net, t, k)       # ∂L_t/∂h_k along the path
            total += immediate_partial_term(net, k, key, upstream)
    return total


def gradient_rtrl(net, Ls, key) -> sympy.Matrix:
    """∂L/∂θ by the forward (RTRL) recursion of the total derivative dh_t/dθ.

    For each entry θ_j: dh_0/dθ_j = 0 (or e_j for ``h0``) and

        dh_t/dθ_j = (∂⁺a_t/∂θ_j + (dh_{t−1}/dθ_j) W_hh) ⊙ φ'(a_t),

    where ∂⁺a_t/∂θ_j is the immediate partial of a_t = X_t W_xh + h_{t−1} W_hh + b_h
    (h_{t−1} held fixed).  Then ∂L/∂θ_j = Σ_t G_t · dh_t/dθ_j.
    """
    net, key, Ls = _checked(net, key, Ls)
    if key in ("W_yh", "b_y"):
        return _output_layer_gradient(net, Ls, key)
    G = output_errors(net, Ls)
    dphi = [None] + [net.phi_prime(t) for t in range(1, net.T + 1)]
    shape = _param(net, key).shape
    H = net.H

    def immediate(t, p, q):
        """∂⁺a_t/∂θ[p, q] as a 1×H row: only entry q can be nonzero."""
        e = sympy.zeros(1, H)
        if key == "W_hh":
            e[0, q] = net.h[t - 1][0, p]
        elif key == "W_xh":
            e[0, q] = net.X[t][0, p]
        elif key == "b_h":
            e[0, q] = 1
        return e                                          # h0: no immediate term

    grad = sympy.zeros(*shape)
    for p in range(shape[0]):
        for q in range(shape[1]):
            P = sympy.zeros(1, H)
            if key == "h0":
                P[0, q] = 1                               # dh_0/dh_0[q] = e_q
            for t in range(1, net.T + 1):
                P = (immediate(t, p, q) + P * net.W_hh).multiply_elementwise(dphi[t])
                grad[p, q] += (G[t] * P.T)[0, 0]
    return grad


def difference(direct, formula, *, atomize=True) -> sympy.Matrix:
    """Entry-wise ``sympy.expand(direct − formula)``; the zero matrix proves the formula.

    With ``atomize=True`` (the default) every application of an undefined
    function — φ(a_t[j]) and φ'(a_t[j]) — is first replaced by an opaque
    symbol, the difference is expanded as a polynomial, and the symbols are
    put back.  Both sides build a_t in exactly the same way, so this is the
    same test as the literal expand, only much faster (seconds instead of
    minutes for H = 2, T = 3): a zero result is still a proof.  Use
    ``atomize=False`` for the literal ``sympy.expand``.
    """
    direct, formula = sympy.Matrix(direct), sympy.Matrix(formula)
    if direct.shape != formula.shape:
        raise ValueError(f"formula: expected shape {direct.shape} (that of direct), got shape {formula.shape}")
    D = direct - formula
    if not atomize:
        return D.applyfunc(sympy.expand)
    from sympy.core.function import AppliedUndef

    atoms = set()
    for e in D:
        atoms |= e.atoms(AppliedUndef, sympy.Subs, sympy.Derivative)
    forward_map = {a: sympy.Dummy(f"u{i}") for i, a in enumerate(sorted(atoms, key=sympy.default_sort_key))}
    back = {v: k for k, v in forward_map.items()}
    return D.applyfunc(lambda e: sympy.expand(e.xreplace(forward_map)).xreplace(back))
