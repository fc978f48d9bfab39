"""Training (chapter 9): :mod:`.optim` (SGD, Adagrad, Adam on dicts of arrays),
:mod:`.loop` (models, chunked truncated BPTT, the training loop) and
:mod:`.adding` (the adding-problem experiment and its saved results).

The names of :mod:`.loop` are importable from ``rnnlib.training`` directly.
"""
from . import adding, optim
from .adding import load_results, run_adding_experiment
from .loop import History, Model, chunked_gradients, evaluate, lstm_model, train, vanilla_model
from .optim import SGD, Adagrad, Adam, make_optimizer

__all__ = ["adding", "optim", "Model", "vanilla_model", "lstm_model", "chunked_gradients", "train",
           "History", "evaluate", "run_adding_experiment", "load_results", "SGD", "Adagrad", "Adam",
           "make_optimizer"]
