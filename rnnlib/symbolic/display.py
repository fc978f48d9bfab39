"""Display helpers for symbolic results: LaTeX that reads like the book.

* :func:`to_latex` — φ'(a) instead of sympy's ``Subs`` form, and W_{hh,12}
  instead of a double subscript that MathJax rejects;
* :func:`aligned_sum` — a long sum as an ``aligned`` block, a few terms per
  line, so that it fits the page;
* :func:`abbreviate` — every φ(a_t) written as h_t and φ'(a_t) as φ'(a_t), so a
  nested expression prints as the book writes it by hand.

Only the printing changes: the results are for display, not for further algebra.
"""
from __future__ import annotations

import re

import sympy

__all__ = ["to_latex", "aligned_sum", "abbreviate"]


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


def aligned_sum(lhs: str, expr, terms_per_line: int = 2) -> str:
    """LaTeX ``lhs = expr`` with the sum ``expr`` broken after every
    ``terms_per_line`` terms, as an ``aligned`` block (``lhs`` is LaTeX).

    The terms are sympy's own, in its printing order (``as_ordered_terms``),
    each printed by :func:`to_latex`; a term printed with a leading minus sign
    is joined with that sign instead of "+".  An expression that is not a sum
    is one line.  Only the printing changes.
    """
    expr = sympy.sympify(expr)
    terms = expr.as_ordered_terms() if isinstance(expr, sympy.Add) else [expr]
    lines, line = [], ""
    for i, term in enumerate(terms):
        text = to_latex(term)
        if i > 0:
            text = text if text.startswith("-") else "+ " + text
            if i % terms_per_line == 0:
                lines.append(line)
                line = "&\\quad " + text
                continue
        line = f"{line} {text}" if line else text
    lines.append(line)
    body = " \\\\\n".join(lines)
    return f"\\begin{{aligned}}\n{lhs} &= {body}\n\\end{{aligned}}"


def abbreviate(net, expr):
    """Rewrite a symbolic gradient of :mod:`rnnlib.symbolic` in short names, for display.

    Every φ(a_t) becomes the symbol h_t and every φ'(a_t) the symbol φ'(a_t)
    (entry-wise, h_{t,j} and φ'(a_{t,j}) when H > 1), outermost first, so that
    a nested expression prints as the book writes it by hand.
    """
    mapping = {}
    for t in range(1, net.T + 1):
        dphi = net.phi_prime(t)
        for j in range(net.H):
            sub = f"{t}" if net.H == 1 else f"{t},{j + 1}"
            mapping[net.h[t][0, j]] = sympy.Symbol(f"h_{{{sub}}}", real=True)
            mapping[dphi[0, j]] = sympy.Symbol(f"\\phi'(a_{{{sub}}})", real=True)
    return expr.xreplace(mapping)
