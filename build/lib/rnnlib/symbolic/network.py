"""A small RNN unrolled in sympy, with a generic activation φ.

``phi = sympy.Function("phi")`` is left undefined, so every identity proved
with it holds for *every* differentiable activation; substitute tanh or the
sigmoid afterwards with :func:`substitute`.  Equality of two expressions is
settled with ``sympy.expand(direct − formula) == 0`` — never ``simplify``,
which does not finish on nested tanh for H = 2, T = 3.

The network follows the book's row convention (GUIDE §3):

    a_t = X_t W_xh + h_{t−1} W_hh + b_h,   h_t = φ(a_t),   o_t = h_t W_yh + b_y.

Row vectors are 1×n sympy matrices.  ``net.h[t]`` is h_t for t = 0..T and
``net.X[t]``, ``net.a[t]``, ``net.o[t]`` are defined for t = 1..T (index 0 is
None), so the code reads exactly like the book.  :func:`phi_prime` writes
φ'(a) exactly as sympy's chain rule does, so that the formulas of the book
cancel against sympy's own derivatives term by term.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = ["phi", "phi_prime", "SIGMOID", "SymbolicRNN", "unrolled_rnn", "substitute", "is_zero"]

phi = sympy.Function("phi")

#: The logistic sigmoid as a sympy Lambda, for :func:`substitute`.
SIGMOID = sympy.Lambda(sympy.Symbol("z"), 1 / (1 + sympy.exp(-sympy.Symbol("z"))))


def phi_prime(x, activation=phi):
    """φ'(x), element-wise for a Matrix, in the form sympy's chain rule produces.

    For the generic φ each entry is ``Subs(Derivative(phi(z), z), z, x)``, exactly
    the object sympy writes when it differentiates φ(x) itself, so that
    ``expand(direct − formula)`` cancels the two; for a concrete activation
    (``sympy.tanh``) it is the evaluated derivative, 1 − tanh(x)².
    """
    z = sympy.Dummy("z")
    d = sympy.diff(activation(z), z)
    if isinstance(x, sympy.MatrixBase):
        return x.applyfunc(lambda e: d.subs(z, e))
    return d.subs(z, x)


def _matrix(name: str, rows: int, cols: int, scalar_name: str | None = None) -> sympy.Matrix:
    """A rows×cols matrix of real symbols named like W_{hh,12} (1-based indices).

    ``name`` is a LaTeX name with a braced subscript, e.g. ``"W_{hh}"``; the
    entry index joins that subscript (``W_{hh,12}``, ``b_{h,1}``), so the names
    are valid LaTeX (no double subscripts) when sympy prints them.
    """
    if rows == 1 and cols == 1 and scalar_name is not None:
        return sympy.Matrix([[sympy.Symbol(scalar_name, real=True)]])

    def entry(i, j):
        index = f"{j + 1}" if rows == 1 else f"{i + 1}{j + 1}"
        return sympy.Symbol(f"{name[:-1]},{index}}}", real=True)

    return sympy.Matrix(rows, cols, entry)


@dataclass
class SymbolicRNN:
    """An unrolled RNN with symbolic weights, inputs and states.

    Attributes: ``T, H, n_in, n_out``; parameters ``W_xh`` (n_in×H),
    ``W_hh`` (H×H), ``b_h`` (1×H), ``W_yh`` (H×n_out), ``b_y`` (1×n_out);
    lists ``X``, ``a``, ``h``, ``o`` indexed by time as described above;
    ``activation`` the sympy function used for φ.
    """

    T: int
    H: int
    n_in: int
    n_out: int
    W_xh: sympy.Matrix
    W_hh: sympy.Matrix
    b_h: sympy.Matrix
    W_yh: sympy.Matrix
    b_y: sympy.Matrix
    X: list
    a: list
    h: list
    o: list
    activation: object
    #: Targets y_t (1×n_out rows, index 0 None), set by :func:`squared_loss`.
    y: list | None = None
    #: ``step_loss(o, t)``: L_t as a function of a 1×n_out row o, set by :func:`squared_loss`.
    step_loss: object = None

    @property
    def params(self) -> dict:
        """The parameter matrices under the rnnlib key names."""
        return {"W_xh": self.W_xh, "W_hh": self.W_hh, "b_h": self.b_h,
                "W_yh": self.W_yh, "b_y": self.b_y}

    def phi_prime(self, t: int) -> sympy.Matrix:
        """φ'(a_t) as a 1×H row, with the network's activation (:func:`phi_prime`)."""
        if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= self.T:
            raise ValueError(f"t: expected an integer in [1, {self.T}], got {t!r}")
        return phi_prime(self.a[t], self.activation)

    def symbols(self, key: str) -> list:
        """The symbols of one parameter (or ``"h0"``), row by row."""
        M = self.h[0] if key == "h0" else self.params[key]
        return list(M)


def unrolled_rnn(T: int, H: int = 1, n_in: int = 1, n_out: int = 1, *,
                 activation=phi, h0: str = "zero") -> SymbolicRNN:
    """Build the network for steps 1..T.

    Parameters
    ----------
    T : number of steps (keep T ≤ 4 for H = 2; expressions grow quickly).
    H, n_in, n_out : sizes.  With H = n_in = n_out = 1 the weights are scalars
        named w_{xh}, w_{hh}, w_{yh}, b_{h}, b_{y} and the inputs x_{t}.
    activation : a sympy function of one argument; the generic ``phi`` by default.
    h0 : ``"zero"`` (the book's default boundary, h_0 = 0) or ``"symbolic"``
        (h_0 has free entries, to study ∂L/∂h_0 and the k = 1 term).
    """
    if not (isinstance(T, int) and T >= 1):
        raise ValueError(f"T: expected an integer >= 1, got {T!r}")
    for name, v in (("H", H), ("n_in", n_in), ("n_out", n_out)):
        if not (isinstance(v, int) and v >= 1):
            raise ValueError(f"{name}: expected an integer >= 1, got {v!r}")
    if h0 not in ("zero", "symbolic"):
        raise ValueError(f"h0: expected 'zero' or 'symbolic', got {h0!r}")
    scalar = H == 1 and n_in == 1 and n_out == 1
    W_xh = _matrix("W_{xh}", n_in, H, "w_{xh}" if scalar else None)
    W_hh = _matrix("W_{hh}", H, H, "w_{hh}" if scalar else None)
    b_h = _matrix("b_{h}", 1, H, "b_{h}" if scalar else None)
    W_yh = _matrix("W_{yh}", H, n_out, "w_{yh}" if scalar else None)
    b_y = _matrix("b_{y}", 1, n_out, "b_{y}" if scalar else None)
    if h0 == "zero":
        h = [sympy.zeros(1, H)]
    else:
        h = [_matrix("h_{0}", 1, H, "h_{0}" if scalar else None)]
    X, a, o = [None], [None], [None]
    for t in range(1, T + 1):
        if n_in == 1:
            X.append(sympy.Matrix([[sympy.Symbol(f"x_{{{t}}}", real=True)]]))
        else:
            X.append(sympy.Matrix(1, n_in, lambda _, j, t=t: sympy.Symbol(f"x_{{{t},{j + 1}}}", real=True)))
        a_t = X[t] * W_xh + h[t - 1] * W_hh + b_h
        a.append(a_t)
        h.append(a_t.applyfunc(activation))
        o.append(h[t] * W_yh + b_y)
    return SymbolicRNN(T, H, n_in, n_out, W_xh, W_hh, b_h, W_yh, b_y, X, a, h, o, activation)


def substitute(expr, activation=sympy.tanh):
    """Replace the generic φ in ``expr`` by a concrete activation (tanh, ``SIGMOID``, …)."""
    return expr.replace(phi, activation).doit()


def is_zero(expr) -> bool:
    """True when ``sympy.expand(expr)`` is identically 0 (entry-wise for matrices)."""
    if isinstance(expr, sympy.MatrixBase):
        return all(sympy.expand(e) == 0 for e in expr)
    return sympy.expand(expr) == 0


def _check_net(net) -> SymbolicRNN:
    if not isinstance(net, SymbolicRNN):
        raise ValueError(f"net: expected the SymbolicRNN returned by unrolled_rnn, got {type(net).__name__}")
    return net


def _check_t(name, t, lo, hi) -> int:
    if isinstance(t, bool) or not isinstance(t, int) or not lo <= t <= hi:
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {t!r}")
    return t
