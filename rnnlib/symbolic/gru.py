"""One GRU step in sympy, with a generic gate function and a generic squashing function (chapter 10).

The gate nonlinearity σ and the squashing function ψ of the candidate (tanh in
the real GRU) are the undefined functions of :mod:`.lstm`, whose derivatives
are the undefined σ′ and ψ′; an identity proved with them holds for every
differentiable choice.  Equality is settled with ``sympy.expand(direct − formula) == 0``,
never ``simplify``.

One step in the book's row convention, with 1×H row matrices (H = 1 is the scalar cell):

    a^z_t = x_t W_xz + h_{t−1} W_hz + b_z,         z_t = σ(a^z_t)
    a^r_t = x_t W_xr + h_{t−1} W_hr + b_r,         r_t = σ(a^r_t)
    a^h_t = x_t W_xh + (r_t ⊙ h_{t−1}) W_hh + b_h,  h̃_t = ψ(a^h_t)
    h_t   = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t.

``reset_after=True`` gives the variant of cuDNN and PyTorch's ``nn.GRU``, in which
the reset gate multiplies the recurrent product and its own bias:
a^h_t = x_t W_xh + b_h + r_t ⊙ (h_{t−1} W_hh + b_hh).

* :func:`gru_params`, :func:`row`, :func:`gru_step`;
* :func:`jacobian_direct` (sympy's ∂h_t/∂h_{t−1}) against :func:`four_path_formula`
  and :func:`reset_after_formula`;
* :func:`backward_step_direct` against :func:`backward_step_formula` (one step of
  the δ recursion, δ_{t+1} free), and :func:`immediate_terms_direct` against
  :func:`immediate_terms_formula` (the per-step terms of every weight gradient);
* :func:`readable` — gates and pre-activations as names, for display.
"""
from __future__ import annotations

from functools import lru_cache

import sympy

from .lstm import psi, psi_prime, sigma, sigma_prime, undefined_function

__all__ = ["PARAM_KEYS", "gru_params", "row", "gru_step", "jacobian_direct", "four_path_formula",
           "reset_after_formula", "backward_step_direct", "backward_step_formula",
           "immediate_terms_direct", "immediate_terms_formula", "readable", "with_candidate_factor"]

#: The recurrent cell's keys (the output layer is the vanilla RNN's, chapter 2).
PARAM_KEYS = ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh", "b_h")


def _symbol_matrix(name: str, rows: int, cols: int) -> sympy.Matrix:
    """rows×cols real symbols ``name_{ij}`` (1-based; one index for a row), or ``name`` if 1×1."""
    def entry(i, j):
        if rows == cols == 1:
            return sympy.Symbol(name, real=True)
        index = f"{j + 1}" if rows == 1 else f"{i + 1}{j + 1}"
        return sympy.Symbol(f"{name}_{{{index}}}", real=True)

    return sympy.Matrix(rows, cols, entry)


def gru_params(H: int = 1, n_in: int = 1) -> dict:
    """Symbols for a GRU cell under rnnlib key names: ``W_x*`` n_in×H, ``W_h*`` H×H, ``b_*`` 1×H.

    Entries print as w_{hz} (scalar) or W_{hz}_{12} (H ≥ 2), as
    :func:`rnnlib.symbolic.to_latex` tidies them.
    """
    for name, value in (("H", H), ("n_in", n_in)):
        if not (isinstance(value, int) and 1 <= value <= 4):
            raise ValueError(f"{name}: expected an integer in [1, 4], got {value!r}")
    letter = "w" if H == n_in == 1 else "W"
    p = {}
    for g in "zrh":
        p[f"W_x{g}"] = _symbol_matrix(f"{letter}_{{x{g}}}", n_in, H)
        p[f"W_h{g}"] = _symbol_matrix(f"{letter}_{{h{g}}}", H, H)
        p[f"b_{g}"] = _symbol_matrix(f"b_{{{g}}}", 1, H)
    return p


def row(name: str, H: int) -> sympy.Matrix:
    """A 1×H row of real symbols (``h_{t-1}``, ``x_{t}`` …), entries ``name_{,a}`` for H ≥ 2."""
    if H == 1:
        return sympy.Matrix([[sympy.Symbol(name, real=True)]])
    return sympy.Matrix(1, H, lambda i, j: sympy.Symbol(f"{name[:-1]},{j + 1}}}", real=True))


def _hadamard(a, b):
    return a.multiply_elementwise(b)


def gru_step(p: dict, x, h_prev, *, reset_after: bool = False, b_hh=None) -> dict:
    """One GRU step from the row ``x`` (1×n_in) and the row ``h_prev`` (1×H).

    Returns the rows ``a_z``, ``a_r``, ``a_h`` (pre-activations), ``z``, ``r``,
    ``h_tilde`` and ``h``.  ``reset_after`` selects the cuDNN / PyTorch candidate
    ψ(x W_xh + b_h + r ⊙ (h_prev W_hh + b_hh)), with the extra bias row ``b_hh``
    (zeros if None).
    """
    a_z = x * p["W_xz"] + h_prev * p["W_hz"] + p["b_z"]
    a_r = x * p["W_xr"] + h_prev * p["W_hr"] + p["b_r"]
    z, r = a_z.applyfunc(sigma), a_r.applyfunc(sigma)
    if reset_after:
        b_hh = sympy.zeros(*p["b_h"].shape) if b_hh is None else b_hh
        a_h = x * p["W_xh"] + p["b_h"] + _hadamard(r, h_prev * p["W_hh"] + b_hh)
    else:
        a_h = x * p["W_xh"] + _hadamard(r, h_prev) * p["W_hh"] + p["b_h"]
    c = a_h.applyfunc(psi)
    ones = sympy.ones(*z.shape)
    return {"a_z": a_z, "a_r": a_r, "a_h": a_h, "z": z, "r": r, "h_tilde": c,
            "h": _hadamard(z, h_prev) + _hadamard(ones - z, c)}


def jacobian_direct(p: dict, *, reset_after: bool = False, b_hh=None):
    """sympy's own ∂h_t/∂h_{t−1}, an H×H Matrix with [a, b] = ∂h_t[a]/∂h_{t−1}[b].

    Returns ``(J, step, symbols)``: ``step`` is :func:`gru_step`'s dict at the
    symbolic state, ``symbols`` has the rows ``"x"`` (x_t) and ``"h_prev"`` (h_{t−1}).
    """
    H, n_in = p["W_hz"].shape[0], p["W_xz"].shape[0]
    x, h_prev = row("x_{t}", n_in), row("h_{t-1}", H)
    step = gru_step(p, x, h_prev, reset_after=reset_after, b_hh=b_hh)
    return step["h"].jacobian(list(h_prev)), step, {"x": x, "h_prev": h_prev}


def _derivatives(step):
    """σ'(a^z), σ'(a^r), ψ'(a^h) as rows, in the form sympy's chain rule writes them."""
    return (step["a_z"].applyfunc(sigma_prime), step["a_r"].applyfunc(sigma_prime),
            step["a_h"].applyfunc(psi_prime))


def four_path_formula(p: dict, step: dict, h_prev) -> dict:
    """The chapter's hand-derived ∂h_t/∂h_{t−1}, path by path (H×H each) and their ``"total"``:

        direct     diag(z_t)
        update     diag((h_{t−1} − h̃_t) ⊙ σ'(a^z_t)) W_hzᵀ
        candidate  diag((1 − z_t) ⊙ ψ'(a^h_t)) W_hhᵀ diag(r_t)
        reset      diag((1 − z_t) ⊙ ψ'(a^h_t)) W_hhᵀ diag(h_{t−1} ⊙ σ'(a^r_t)) W_hrᵀ
    """
    s_z, s_r, s_h = _derivatives(step)
    ones = sympy.ones(*step["z"].shape)
    cand = sympy.diag(*_hadamard(ones - step["z"], s_h)) * p["W_hh"].T
    paths = {
        "direct": sympy.diag(*step["z"]),
        "update": sympy.diag(*_hadamard(h_prev - step["h_tilde"], s_z)) * p["W_hz"].T,
        "candidate": cand * sympy.diag(*step["r"]),
        "reset": cand * sympy.diag(*_hadamard(h_prev, s_r)) * p["W_hr"].T,
    }
    return {**paths, "total": sum(paths.values(), sympy.zeros(*paths["direct"].shape))}


def reset_after_formula(p: dict, step: dict, h_prev, b_hh=None) -> dict:
    """∂h_t/∂h_{t−1} of the cuDNN / PyTorch variant (``gru_step(..., reset_after=True)``):

        diag(z_t) + diag((h_{t−1} − h̃_t) ⊙ σ'_z) W_hzᵀ
        + diag((1 − z_t) ⊙ ψ') [diag(r_t) W_hhᵀ + diag((h_{t−1} W_hh + b_hh) ⊙ σ'_r) W_hrᵀ].

    The reset gate now sits on the *output* side of W_hhᵀ, and the reset path
    reaches W_hrᵀ without passing through W_hhᵀ.  Same keys as :func:`four_path_formula`.
    """
    s_z, s_r, s_h = _derivatives(step)
    b_hh = sympy.zeros(*step["z"].shape) if b_hh is None else b_hh
    ones = sympy.ones(*step["z"].shape)
    outer = sympy.diag(*_hadamard(ones - step["z"], s_h))
    paths = {
        "direct": sympy.diag(*step["z"]),
        "update": sympy.diag(*_hadamard(h_prev - step["h_tilde"], s_z)) * p["W_hz"].T,
        "candidate": outer * sympy.diag(*step["r"]) * p["W_hh"].T,
        "reset": outer * sympy.diag(*_hadamard(h_prev * p["W_hh"] + b_hh, s_r)) * p["W_hr"].T,
    }
    return {**paths, "total": sum(paths.values(), sympy.zeros(*paths["direct"].shape))}


# ---------------------------------------------------------------------------
# One step of the backward recursion and the immediate terms (chapter 10,
# "The backward pass in full").
# ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _generic_loss(name: str, latex: str, H: int):
    """An undefined function of H arguments and its H undefined partials (``name``, ``[partials]``)."""
    partials = [undefined_function(f"{name}_d{a + 1}", rf"{latex}_{{{a + 1}}}",
                                   f"The (undefined) partial of {name} in its argument {a + 1}.",
                                   nargs=H)
                for a in range(H)]
    doc = f"A generic function {name} of H = {H} arguments, for the backward-step proof."
    return undefined_function(name, latex, doc, partials, nargs=H), partials


def backward_step_direct(p: dict) -> dict:
    """sympy's own δ_t = ∂L/∂h_t for one GRU step, with δ_{t+1} and G_t as free symbols.

    The loss is written L = ℓ_t(h_t) + Φ(h_{t+1}) + (terms free of h_t), where
    h_{t+1} is :func:`gru_step` of step t + 1 from the free row h_t, ℓ_t stands
    for step t's own loss and Φ for all later losses (they reach h_t only through
    h_{t+1}, the GRU's whole state).  Both are undefined functions of H
    arguments.  sympy differentiates, and then the values of their partials are
    named: ∂ℓ_t/∂h_t[a] → G_t[a] and ∂Φ/∂h_{t+1}[a] → δ_{t+1}[a].  Any row
    δ_{t+1} can occur, so an identity in these free symbols proves the step.

    Returns ``{"dh", "step", "symbols"}``: ``dh`` is the 1×H row δ_t, ``step``
    the :func:`gru_step` dict of step t + 1, ``symbols`` the rows ``h`` (h_t),
    ``x`` (x_{t+1}), ``G`` (G_t) and ``delta_next`` (δ_{t+1}).
    """
    H, n_in = p["W_hz"].shape[0], p["W_xz"].shape[0]
    s = {"h": row("h_{t}", H), "x": row("x_{t+1}", n_in), "G": row("G_{t}", H),
         "delta_next": row(r"\delta_{t+1}", H)}
    step = gru_step(p, s["x"], s["h"])
    ell, ell_d = _generic_loss("step_loss_gru", r"\ell_t", H)
    Phi, Phi_d = _generic_loss("later_loss_gru", r"\Phi", H)
    L = ell(*s["h"]) + Phi(*step["h"])
    args = sympy.symbols(f"u1:{H + 1}", cls=sympy.Dummy)
    naming = {f: sympy.Lambda(args, s["G"][a]) for a, f in enumerate(ell_d)}
    naming.update({f: sympy.Lambda(args, s["delta_next"][a]) for a, f in enumerate(Phi_d)})

    def named(expr):
        for f, value in naming.items():
            expr = expr.replace(f, value)
        return expr

    dh = sympy.Matrix([[named(sympy.diff(L, s["h"][a])) for a in range(H)]])
    return {"dh": dh, "step": step, "symbols": s}


def _gate_errors(p: dict, step: dict, h_prev, delta) -> dict:
    """Δ^z, Δ^h, Δ^r of one step (1×H rows) from the error ``delta`` at its output h."""
    s_z, s_r, s_h = _derivatives(step)
    ones = sympy.ones(*step["z"].shape)
    Dz = _hadamard(_hadamard(delta, h_prev - step["h_tilde"]), s_z)
    Dh = _hadamard(_hadamard(delta, ones - step["z"]), s_h)
    du = Dh * p["W_hh"].T                                 # ∂L/∂(r ⊙ h_prev)
    return {"z": Dz, "h": Dh, "r": _hadamard(_hadamard(du, h_prev), s_r), "u": du}


def backward_step_formula(p: dict, step: dict, symbols: dict) -> dict:
    """The chapter's recursion for one step, with step t + 1's quantities:

        δ_t = G_t + δ_{t+1} ⊙ z_{t+1} + Δ^z_{t+1} W_hzᵀ + Δ^r_{t+1} W_hrᵀ + (Δ^h_{t+1} W_hhᵀ) ⊙ r_{t+1},

    with Δ^z_{t+1} = δ_{t+1} ⊙ (h_t − h̃_{t+1}) ⊙ σ'(a^z_{t+1}),
    Δ^h_{t+1} = δ_{t+1} ⊙ (1 − z_{t+1}) ⊙ ψ'(a^h_{t+1}) and
    Δ^r_{t+1} = (Δ^h_{t+1} W_hhᵀ) ⊙ h_t ⊙ σ'(a^r_{t+1}).  ``step`` and ``symbols``
    come from :func:`backward_step_direct`.  Returns ``{"dh", "Delta"}``.
    """
    s = symbols
    D = _gate_errors(p, step, s["h"], s["delta_next"])
    dh = (s["G"] + _hadamard(s["delta_next"], step["z"]) + D["z"] * p["W_hz"].T + D["r"] * p["W_hr"].T
          + _hadamard(D["u"], step["r"]))
    return {"dh": dh, "Delta": {g: D[g] for g in "zrh"}}


def immediate_terms_direct(p: dict) -> dict:
    """sympy's immediate partials δ_t · ∂⁺h_t/∂θ for every recurrent parameter θ of one step.

    With h_{t−1}, x_t and the error row δ_t as free symbols, sympy differentiates
    the scalar δ_t · h_tᵀ (one step, h_{t−1} held fixed) with respect to each
    entry of θ.  Returns ``{"grads", "step", "symbols"}``; ``grads[key]`` has the
    shape of ``p[key]``; ``symbols`` has the rows ``x``, ``h_prev`` and ``delta``.
    """
    H, n_in = p["W_hz"].shape[0], p["W_xz"].shape[0]
    s = {"x": row("x_{t}", n_in), "h_prev": row("h_{t-1}", H), "delta": row(r"\delta_{t}", H)}
    step = gru_step(p, s["x"], s["h_prev"])
    lam = (s["delta"] * step["h"].T)[0, 0]
    grads = {key: p[key].applyfunc(lambda w: sympy.diff(lam, w)) for key in PARAM_KEYS}
    return {"grads": grads, "step": step, "symbols": s}


def immediate_terms_formula(p: dict, step: dict, symbols: dict) -> dict:
    """The chapter's immediate terms of step t, as outer products with the gate errors Δ^g_t:

        W_xg: x_tᵀ Δ^g_t,   W_hz: h_{t−1}ᵀ Δ^z_t,   W_hr: h_{t−1}ᵀ Δ^r_t,
        W_hh: (r_t ⊙ h_{t−1})ᵀ Δ^h_t,   b_g: Δ^g_t,

    for g in z, r, h.  ``step``, ``symbols`` come from :func:`immediate_terms_direct`.
    """
    x, h_prev = symbols["x"], symbols["h_prev"]
    D = _gate_errors(p, step, h_prev, symbols["delta"])
    out = {f"W_x{g}": x.T * D[g] for g in "zrh"}
    out.update({f"b_{g}": D[g] for g in "zrh"})
    out.update({"W_hz": h_prev.T * D["z"], "W_hr": h_prev.T * D["r"],
                "W_hh": _hadamard(step["r"], h_prev).T * D["h"]})
    return {key: out[key] for key in PARAM_KEYS}


def readable(expr, step: dict, label: str = "t"):
    """Rename the sub-expressions of ``expr`` for display: ψ(a^h) → h̃, σ(a^z) → z, σ(a^r) → r,
    and the remaining pre-activations → a^h, a^z, a^r, all with the subscript ``label``
    (and the unit index for H ≥ 2).  Outermost first, since a^h contains r.  Only the
    printing changes: the result is for display, not for further algebra."""
    H = step["z"].shape[1]
    order = (("h_tilde", r"\tilde{h}"), ("a_h", "a^{h}"), ("z", "z"), ("r", "r"), ("a_z", "a^{z}"),
             ("a_r", "a^{r}"))
    subscripts = [label] if H == 1 else [f"{label},{a + 1}" for a in range(H)]
    for key, name in order:
        expr = expr.xreplace({step[key][0, a]: sympy.Symbol(f"{name}_{{{sub}}}", real=True)
                              for a, sub in enumerate(subscripts)})
    return expr


def with_candidate_factor(expr, step: dict, label: str = "t"):
    """``expr`` as :func:`readable` prints it, with every product (1 − z) ψ'(a^h) of a
    unit written D (D_{t,a}, the entry of D_t = diag((1 − z_t) ⊙ tanh'(a^h_t)) of the
    boxed formula), then expanded: a long Jacobian entry becomes a sum of short path
    terms.  For display only, like :func:`readable`."""
    H = step["z"].shape[1]
    expr = readable(expr, step, label)
    subscripts = [label] if H == 1 else [f"{label},{a + 1}" for a in range(H)]
    psis = {f.args[0].name: f for f in sympy.preorder_traversal(expr)
            if getattr(getattr(f, "func", None), "__name__", "") == "psi_prime"}
    for sub in subscripts:
        psi = psis.get(f"a^{{h}}_{{{sub}}}")
        if psi is not None:
            z = sympy.Symbol(f"z_{{{sub}}}", real=True)
            expr = expr.subs((1 - z) * psi, sympy.Symbol(f"D_{{{sub}}}", real=True))
    return sympy.expand(expr)
