"""Checkers for the exercises: the reader writes a function, rnnlib says if it is right.

Each checker runs the reader's implementation and the library's reference on a
few seeded random problems and reports the normwise relative error
(:func:`rnnlib.rel_error`).  It returns True/False and prints a short verdict,
so a notebook cell can simply call it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .gradcheck import rel_error

__all__ = ["compare_implementations"]


def compare_implementations(candidate: Callable, reference: Callable, cases, *,
                            tol: float = 1e-10, name: str = "your function") -> bool:
    """Call ``candidate(*args)`` and ``reference(*args)`` for every ``args`` in ``cases``.

    Outputs may be arrays or dicts of arrays (compared key by key).  Prints one
    line per failing case and a final verdict; returns True if all agree to ``tol``.
    """
    ok = True
    for i, args in enumerate(cases):
        try:
            got = candidate(*args)
        except Exception as exc:  # the reader's code may raise anything
            print(f"case {i}: {name} raised {type(exc).__name__}: {exc}")
            ok = False
            continue
        want = reference(*args)
        pairs = [(k, got.get(k) if isinstance(got, dict) else None, want[k]) for k in want] \
            if isinstance(want, dict) else [("result", got, want)]
        for key, g, w in pairs:
            g = None if g is None else np.asarray(g, dtype=np.float64)
            if g is None or g.shape != np.shape(w):
                print(f"case {i}: {key}: expected shape {np.shape(w)}, got "
                      f"{'nothing' if g is None else g.shape}")
                ok = False
            elif not rel_error(g, w) < tol:
                print(f"case {i}: {key}: relative error {rel_error(g, w):.2e} exceeds {tol:g}")
                ok = False
    print(f"{name}: {'correct' if ok else 'not yet correct'}")
    return ok
