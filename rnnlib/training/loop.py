"""Training loop with clipping and truncated BPTT over chunks (chapter 9).

A *model* is a small bundle of functions (:class:`Model`): how to initialise
its parameters, run the forward pass from a given state, backpropagate, and
read the final state out of a cache.  :func:`vanilla_model` wraps
:func:`rnnlib.forward` / :func:`rnnlib.bptt`; :func:`lstm_model` wraps
:mod:`rnnlib.lstm` and :func:`gru_model` wraps :mod:`rnnlib.gru` (chapter 10).
Nothing here re-implements a forward or backward pass.

Divergence.  :func:`train` stops at the first step whose loss or gradient is
not finite, whose forward or backward pass raises ``FloatingPointError`` (an
overflow, which the models report naming the quantity and the step), or whose
update leaves a parameter that is not finite; it records that step in
``History.diverged_at`` and the cause in ``History.diverged_reason``.

Two different truncations exist in this book; do not confuse them.

* ``rnnlib.bptt(..., truncate=τ)`` (chapter 4): every loss L_t sends gradient
  back through at most τ Jacobian factors — a sliding window, one per output.
* **Chunked truncated BPTT** (:func:`chunked_gradients`, the ``chunk=``
  argument of :func:`train`; Williams & Peng 1990): the sequence is cut into
  consecutive chunks of K steps; the forward pass runs chunk after chunk,
  carrying the hidden state forward *as a constant*, and each chunk is
  backpropagated on its own.  A loss at position j of a chunk (j = 1..K)
  therefore reaches back j − 1 factors: up to the chunk's start, never beyond.
  The windows are aligned to the chunk grid instead of sliding.  The loss
  value itself is exact, because the forward pass is not cut.

With a single chunk (K ≥ T) the chunked gradient is the full BPTT gradient;
with K = 1 it equals ``bptt(..., truncate=0)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..clipping import clip_by_norm, clip_by_value
from ..validation import check_chunk

__all__ = ["Model", "vanilla_model", "lstm_model", "gru_model", "chunked_gradients", "train",
           "History", "evaluate"]


@dataclass(frozen=True)
class Model:
    """What :func:`train` needs to know about a recurrent model.

    Attributes
    ----------
    name : a label for plots and result files.
    init : ``init(n_in, n_hidden, n_out, seed=...) -> params``.
    forward : ``forward(params, X, Y, state, loss, loss_mask) -> (loss, cache)``;
        ``state`` is a dict of initial-state keyword arguments (empty = zeros).
    bptt : ``bptt(params, cache) -> grads`` (may include state keys such as ``"h0"``).
    final_state : ``final_state(cache) -> state`` for the next chunk.
    output : ``output(cache) -> (T, m, n_out)`` array of predictions o_t.
    """

    name: str
    init: Callable
    forward: Callable
    bptt: Callable
    final_state: Callable
    output: Callable


def vanilla_model(activation: str = "tanh") -> Model:
    """The vanilla RNN of :mod:`rnnlib.rnn` with activation φ."""
    from ..bptt import bptt
    from ..rnn import forward, init_params
    from ..validation import check_activation

    check_activation(activation)

    def fwd(params, X, Y, state, loss, loss_mask):
        return forward(params, X, Y, h0=state.get("h0"), activation=activation,
                       loss=loss, loss_mask=loss_mask)

    return Model(name=f"vanilla ({activation})", init=init_params, forward=fwd, bptt=bptt,
                 final_state=lambda cache: {"h0": cache.h[-1].copy()},
                 output=lambda cache: cache.o)


def lstm_model() -> Model:
    """The LSTM of :mod:`rnnlib.lstm`; its state is (h, C)."""
    from .. import lstm

    def fwd(params, X, Y, state, loss, loss_mask):
        return lstm.forward(params, X, Y, h0=state.get("h0"), c0=state.get("c0"),
                            loss=loss, loss_mask=loss_mask)

    return Model(name="LSTM", init=lstm.init_params, forward=fwd, bptt=lstm.bptt,
                 final_state=lambda cache: {"h0": cache.h[-1].copy(), "c0": cache.c[-1].copy()},
                 output=lambda cache: cache.o)


def gru_model() -> Model:
    """The GRU of :mod:`rnnlib.gru` (chapter 10); its state is h."""
    from .. import gru

    def fwd(params, X, Y, state, loss, loss_mask):
        return gru.forward(params, X, Y, h0=state.get("h0"), loss=loss, loss_mask=loss_mask)

    return Model(name="GRU", init=gru.init_params, forward=fwd, bptt=gru.bptt,
                 final_state=lambda cache: {"h0": cache.h[-1].copy()},
                 output=lambda cache: cache.o)


def _check_model(model):
    if not isinstance(model, Model):
        raise ValueError(f"model: expected an rnnlib.training.Model (e.g. vanilla_model()), "
                         f"got {type(model).__name__}")
    return model


def chunked_gradients(model: Model, params: dict, X, Y, *, chunk=None, loss: str = "mse",
                      loss_mask=None, state: dict | None = None):
    """Loss and gradient by truncated BPTT over consecutive chunks of ``chunk`` steps.

    Parameters
    ----------
    model : a :class:`Model`.
    params : the model's parameter dict.
    X : (T, m, n_in) inputs; Y : (T, m) labels or (T, m, n_out) targets.
    chunk : K, the chunk length; None (or K ≥ T) gives full BPTT.
    loss, loss_mask : as for :func:`rnnlib.forward`.
    state : initial state keyword arguments (e.g. ``{"h0": ...}``); None for zeros.

    Returns
    -------
    loss : float, the exact loss L of the whole sequence (the forward pass is never cut).
    grads : dict with the keys of ``params``: Σ over chunks of each chunk's own BPTT
        gradient, with the incoming state of every chunk held constant.
    state : the final state (to carry into a following sequence, if wanted).
    """
    model = _check_model(model)
    chunk = check_chunk(chunk)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[0] == 0:
        raise ValueError(f"X: expected shape (T, m, n_in) with T >= 1, got shape {X.shape}")
    T = X.shape[0]
    K = T if chunk is None else min(chunk, T)
    state = {} if state is None else dict(state)
    total, grads = 0.0, None
    for s in range(0, T, K):
        e = min(s + K, T)
        mask = None if loss_mask is None else np.asarray(loss_mask)[s:e]
        L, cache = model.forward(params, X[s:e], np.asarray(Y)[s:e], state, loss, mask)
        g = model.bptt(params, cache)
        total += L
        if grads is None:
            grads = {k: np.array(g[k], dtype=np.float64) for k in params}
        else:
            for k in params:
                grads[k] += g[k]
        state = model.final_state(cache)          # carried forward, gradient stopped here
    return total, grads, state


@dataclass
class History:
    """What :func:`train` records, one entry per optimizer step.

    Attributes
    ----------
    loss : (steps,) training loss of each minibatch, before the update.
    grad_norm : (steps,) global 2-norm of the gradient *before* clipping.
    clipped : (steps,) bool, whether clipping changed the gradient.
    params : the parameters after training (a new dict; the input is not modified).
        After a divergence, the parameters as they were before the failing step.
    diverged_at : the step (0-based) at which training stopped because the loss or the
        gradient was not finite, the forward or backward pass raised ``FloatingPointError``,
        or the update made a parameter non-finite; None if every step went through.
        Entries of ``loss`` and ``grad_norm`` from that step on are NaN, except the
        failing step's own values when they were computed.
    diverged_reason : what stopped training, as text (None if nothing did).
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    params: dict
    diverged_at: int | None = None
    settings: dict = field(default_factory=dict)
    diverged_reason: str | None = None


def train(model: Model, params: dict, data: Callable, *, optimizer, steps: int,
          loss: str = "mse", clip_norm: float | None = None, clip_value: float | None = None,
          chunk: int | None = None, progress: bool = False, desc: str | None = None) -> History:
    """Train ``model`` for ``steps`` optimizer steps.

    Parameters
    ----------
    model : a :class:`Model`.
    params : initial parameters (copied; the caller's dict is left unchanged).
    data : ``data(step) -> (X, Y, loss_mask)``, the minibatch for step 0, 1, …;
        make it deterministic (e.g. ``seed=base + step``) for reproducible runs.
    optimizer : an :mod:`rnnlib.optim` optimizer (fresh, it keeps state).
    steps : number of updates.
    loss : "mse" or "softmax_ce".
    clip_norm : if given, rescale the gradient to global norm ≤ clip_norm
        (:func:`rnnlib.clip_by_norm`; direction preserved).
    clip_value : if given, clip every entry to [−clip_value, clip_value]
        (:func:`rnnlib.clip_by_value`; direction changed).  At most one of the two.
    chunk : None for full BPTT, or K for truncated BPTT over chunks of K steps.
    progress : show a tqdm progress bar (off by default: quiet in notebooks and tests).
    desc : label of the progress bar.

    Returns
    -------
    :class:`History`.  The run is deterministic given ``params`` and ``data``.
    A divergence (see the module docstring) ends the run early; it is recorded,
    not raised.
    """
    from tqdm.auto import tqdm

    model = _check_model(model)
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps: expected an integer >= 1, got {steps!r}")
    if clip_norm is not None and clip_value is not None:
        raise ValueError(f"clip_value: expected None when clip_norm is given, got {clip_value!r}")
    if not callable(data):
        raise ValueError(f"data: expected a callable data(step) -> (X, Y, loss_mask), "
                         f"got {type(data).__name__}")
    if not hasattr(optimizer, "step"):
        raise ValueError(f"optimizer: expected an rnnlib.optim optimizer, got {type(optimizer).__name__}")
    check_chunk(chunk)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    losses = np.full(steps, np.nan)
    norms = np.full(steps, np.nan)
    clipped = np.zeros(steps, dtype=bool)
    diverged, reason = None, None
    for step in tqdm(range(steps), disable=not progress, desc=desc or model.name,
                     mininterval=1.0, leave=False):
        X, Y, mask = data(step)
        try:
            L, grads, _ = chunked_gradients(model, params, X, Y, chunk=chunk, loss=loss,
                                            loss_mask=mask)
        except FloatingPointError as err:          # an overflow the model reports by name
            diverged, reason = step, f"FloatingPointError: {err}"
            break
        with np.errstate(over="ignore", invalid="ignore"):
            n = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
        losses[step], norms[step] = L, n
        if not (np.isfinite(L) and np.isfinite(n)):
            diverged = step
            reason = "non-finite loss" if not np.isfinite(L) else "non-finite gradient norm"
            break
        if clip_norm is not None:
            grads, _ = clip_by_norm(grads, clip_norm)
            clipped[step] = n > clip_norm
        elif clip_value is not None:
            new = clip_by_value(grads, clip_value)
            clipped[step] = any(np.any(new[k] != grads[k]) for k in grads)
            grads = new
        before = {k: v.copy() for k, v in params.items()}
        optimizer.step(params, grads)
        if not all(np.all(np.isfinite(v)) for v in params.values()):
            diverged, reason = step, "non-finite parameters after the update"
            params = before
            break
    return History(loss=losses, grad_norm=norms, clipped=clipped, params=params,
                   diverged_at=diverged, diverged_reason=reason,
                   settings={"model": model.name, "steps": int(steps), "loss": loss,
                             "clip_norm": clip_norm, "clip_value": clip_value, "chunk": chunk})


def evaluate(model: Model, params: dict, X, Y, *, loss: str = "mse", loss_mask=None) -> float:
    """The loss of ``params`` on one batch (no gradient).

    For the adding problem (``loss="mse"`` with the last-step mask) the loss is
    ½ × the mean squared error over the batch, so MSE = 2 × this value.
    """
    model = _check_model(model)
    L, _ = model.forward(params, np.asarray(X, dtype=np.float64), Y, {}, loss, loss_mask)
    return float(L)

