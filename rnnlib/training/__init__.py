"""Training (chapter 9): :mod:`.optim` (SGD, Adagrad, Adam on dicts of arrays),
:mod:`.loop` (models, chunked truncated BPTT, the training loop) and
:mod:`.study` (the seeded study of long-range learning on the adding problem,
its cache, its summaries and its saved results in ``results/``).

The names of :mod:`.loop` are importable from ``rnnlib.training`` directly.
"""
from . import optim, study
from .loop import (History, Model, chunked_gradients, evaluate, gru_model, lstm_model, train,
                   vanilla_model)
from .optim import SGD, Adagrad, Adam, make_optimizer
from .study import load_results, load_study, load_sweep

__all__ = ["optim", "study", "Model", "vanilla_model", "lstm_model", "gru_model",
           "chunked_gradients", "train", "History", "evaluate", "load_results", "load_study",
           "load_sweep", "SGD", "Adagrad", "Adam", "make_optimizer"]
