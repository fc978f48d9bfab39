"""First-order optimizers acting on dicts of arrays (chapter 9).

Every optimizer updates the parameter dict **in place** (the arrays themselves
are modified, so other references to them see the new values) and returns
``None``.  Each keeps its own state (velocity, accumulated squares, moments)
keyed by the parameter names, so one optimizer instance belongs to one
parameter dict.  Nothing here is random: the same gradients give the same
updates on every run.

With g the gradient of a parameter θ at step s = 1, 2, …:

* :class:`SGD`      θ ← θ − η v,  v ← μ v + g   (μ = 0 is plain gradient descent;
  this is the "heavy ball" form used by PyTorch, v starts at 0).
* :class:`Adagrad`  r ← r + g ⊙ g,  θ ← θ − η g / (√r + ε)        (Duchi et al. 2011).
* :class:`Adam`     m ← β₁ m + (1−β₁) g,  v ← β₂ v + (1−β₂) g ⊙ g,
  θ ← θ − η m̂ / (√v̂ + ε) with m̂ = m/(1−β₁ˢ), v̂ = v/(1−β₂ˢ)   (Kingma & Ba 2015).

Gradient dicts may carry extra keys that are not parameters (``"h0"``,
``"c0"`` from ``bptt``); they are ignored.
"""
from __future__ import annotations

import numpy as np

from ..validation import as_float_array, check_choice, check_real, check_shape

__all__ = ["SGD", "Adagrad", "Adam", "make_optimizer"]


class _Optimizer:
    """Shared bookkeeping: check the dicts, keep per-key state, count steps."""

    def __init__(self, lr):
        self.lr = check_real("lr", lr, lo=0.0, lo_open=True)
        self.state: dict = {}
        self.steps = 0

    def _pairs(self, params, grads):
        if not isinstance(params, dict) or not params:
            raise ValueError(f"params: expected a non-empty dict of arrays, got {type(params).__name__}")
        if not isinstance(grads, dict):
            raise ValueError(f"grads: expected a dict of arrays, got {type(grads).__name__}")
        pairs = []
        for key, p in params.items():
            if not isinstance(p, np.ndarray) or p.dtype != np.float64:
                raise ValueError(f"{key}: expected a float64 numpy array (updated in place), "
                                 f"got {type(p).__name__}")
            if key not in grads:
                raise ValueError(f"{key}: expected grads to contain the key {key!r}, "
                                 f"got only the keys {sorted(grads)}")
            g = as_float_array(key, grads[key])
            check_shape(key, g, p.shape, "(the shape of the parameter)")
            pairs.append((key, p, g))
        return pairs

    def step(self, params: dict, grads: dict) -> None:
        """Update every array of ``params`` in place using ``grads`` (same keys and shapes)."""
        pairs = self._pairs(params, grads)
        self.steps += 1
        for key, p, g in pairs:
            self._update(key, p, g)

    def _update(self, key, p, g):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(_Optimizer):
    """Gradient descent, optionally with (heavy-ball) momentum.

    Parameters
    ----------
    lr : learning rate η > 0.
    momentum : μ in [0, 1); 0 gives plain SGD, θ ← θ − η g.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0):
        super().__init__(lr)
        self.momentum = check_real("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)

    def _update(self, key, p, g):
        if self.momentum == 0.0:
            p -= self.lr * g
            return
        v = self.state.setdefault(key, np.zeros_like(p))
        v *= self.momentum
        v += g
        p -= self.lr * v


class Adagrad(_Optimizer):
    """Adagrad: a per-entry step η / (√(Σ g²) + ε).

    Parameters
    ----------
    lr : learning rate η > 0.
    eps : ε > 0, guards the division.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-8):
        super().__init__(lr)
        self.eps = check_real("eps", eps, lo=0.0, lo_open=True)

    def _update(self, key, p, g):
        r = self.state.setdefault(key, np.zeros_like(p))
        r += g * g
        p -= self.lr * g / (np.sqrt(r) + self.eps)


class Adam(_Optimizer):
    """Adam with bias correction.

    Parameters
    ----------
    lr : learning rate η > 0.
    beta1, beta2 : decay rates of the first and second moments, in [0, 1).
    eps : ε > 0, guards the division.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = check_real("beta1", beta1, lo=0.0, hi=1.0, hi_open=True)
        self.beta2 = check_real("beta2", beta2, lo=0.0, hi=1.0, hi_open=True)
        self.eps = check_real("eps", eps, lo=0.0, lo_open=True)

    def _update(self, key, p, g):
        m, v = self.state.setdefault(key, (np.zeros_like(p), np.zeros_like(p)))
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1 ** self.steps)
        v_hat = v / (1.0 - self.beta2 ** self.steps)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


_OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name: str, **hyper) -> _Optimizer:
    """Build an optimizer by name (``"sgd"``, ``"adagrad"``, ``"adam"``) with its hyperparameters."""
    return _OPTIMIZERS[check_choice("name", name, tuple(_OPTIMIZERS))](**hyper)
