"""The chapter-9 experiment: three remedies on the adding problem, one function.

:func:`run_adding_experiment` trains, on the same stream of minibatches and from
parameters drawn with the same seed,

* ``"vanilla"``: a tanh RNN (:func:`rnnlib.training.vanilla_model`);
* ``"vanilla + clipping"``: the same, with the gradient clipped to global norm
  ``clip_norm`` (:func:`rnnlib.clip_by_norm`);
* ``"LSTM"``: :mod:`rnnlib.lstm` with forget-gate bias 1, no clipping,

all with Adam (:class:`rnnlib.optim.Adam`) and full BPTT.  Minibatch s is
``adding_problem(T, batch, seed=data_seed + s)``; a fixed test set
(``seed=test_seed``) is scored every ``eval_every`` steps.  The script
``experiments/adding_problem.py`` runs it at full size and saves the returned
dict as JSON in ``rnnlib/training/results/`` (package data); chapter 9 plots
that file (:func:`load_results`) and runs a tiny version live.
"""
from __future__ import annotations

import time

import numpy as np

from ..problems import ADDING_BASELINE_MSE, adding_problem
from . import loop as training
from . import optim

__all__ = ["run_adding_experiment", "load_results", "results_path", "CONFIG_NAMES", "LEARNED_FRACTION"]

CONFIG_NAMES = ("vanilla", "vanilla + clipping", "LSTM")
#: "Learned" means a final test MSE below this fraction of the baseline 1/6.
LEARNED_FRACTION = 0.1


def _configurations(clip_norm):
    return [
        ("vanilla", training.vanilla_model("tanh"), {}, {}),
        ("vanilla + clipping", training.vanilla_model("tanh"), {}, {"clip_norm": clip_norm}),
        ("LSTM", training.lstm_model(), {"forget_bias": 1.0}, {}),
    ]


def _test_mse(model, params, X, Y, mask):
    _, cache = model.forward(params, X, Y, {}, "mse", mask)
    return float(np.mean((model.output(cache)[-1, :, 0] - Y[-1, :, 0]) ** 2))


def run_adding_experiment(*, T: int, hidden: int, batch: int, steps: int, lr: float = 0.01,
                          clip_norm: float = 1.0, eval_every: int = 50, n_test: int = 500,
                          param_seed: int = 0, data_seed: int = 10_000, test_seed: int = 999,
                          configs=CONFIG_NAMES, progress: bool = False, verbose: bool = False) -> dict:
    """Train the configurations in ``configs`` on the adding problem of length ``T``.

    Returns a JSON-ready dict: ``settings``, ``seeds``, ``baseline_mse`` (1/6),
    ``learned_threshold_mse`` and ``runs``, one dict per configuration with
    ``train_mse`` and ``grad_norm`` (one entry per step; the norm is taken
    before clipping), ``eval_steps`` and ``test_mse`` (the test curve),
    ``final_test_mse``, ``learned``, ``clipped_fraction``, ``diverged_at`` and
    ``seconds`` (wall-clock, informative only).  ``progress=True`` shows one
    tqdm bar per configuration; ``verbose=True`` prints a line per configuration.
    """
    from tqdm.auto import tqdm

    unknown = [c for c in configs if c not in CONFIG_NAMES]
    if unknown or not configs:
        raise ValueError(f"configs: expected a non-empty subset of {CONFIG_NAMES}, got {tuple(configs)!r}")
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"eval_every: expected an integer >= 1, got {eval_every!r}")
    settings = dict(T=T, hidden=hidden, batch=batch, steps=steps, lr=lr, clip_norm=clip_norm,
                    eval_every=eval_every, n_test=n_test)
    Xt, Yt, Mt = adding_problem(T, n_test, seed=test_seed)
    runs = []
    for name, model, init_kw, train_kw in _configurations(clip_norm):
        if name not in configs:
            continue
        params = model.init(2, hidden, 1, seed=param_seed, **init_kw)
        opt = optim.Adam(lr=lr)
        t0 = time.perf_counter()
        eval_steps, eval_mse = [0], [_test_mse(model, params, Xt, Yt, Mt)]
        losses, norms, clipped = [], [], []
        done, diverged = 0, None
        bar = tqdm(total=steps, desc=name, disable=not progress, leave=True)
        while done < steps:                     # train in blocks, score the test set after each
            n = min(eval_every, steps - done)
            h = training.train(model, params, lambda k, d=done: adding_problem(T, batch, seed=data_seed + d + k),
                               optimizer=opt, steps=n, loss="mse", **train_kw)
            bar.update(n)
            params = h.params
            losses += h.loss.tolist()
            norms += h.grad_norm.tolist()
            clipped += h.clipped.tolist()
            if h.diverged_at is not None:
                diverged = done + h.diverged_at
                break
            done += n
            eval_steps.append(done)
            eval_mse.append(_test_mse(model, params, Xt, Yt, Mt))
            bar.set_postfix(test_mse=f"{eval_mse[-1]:.4f}")
        bar.close()
        final = eval_mse[-1]
        runs.append({
            "name": name, "model": model.name, "init": init_kw, "train": train_kw,
            "train_mse": [2.0 * v for v in losses],        # the loss is ½ × MSE at the last step
            "grad_norm": norms, "clipped_fraction": float(np.mean(clipped)),
            "eval_steps": eval_steps, "test_mse": eval_mse, "final_test_mse": final,
            "learned": bool(final < LEARNED_FRACTION * ADDING_BASELINE_MSE),
            "diverged_at": diverged, "seconds": round(time.perf_counter() - t0, 1),
        })
        if verbose:
            print(f"{name:20s} final test MSE {final:.4f}  learned={runs[-1]['learned']}  "
                  f"({runs[-1]['seconds']} s)", flush=True)
    return {
        "task": "adding problem (rnnlib.tasks.adding_problem), loss = MSE at the last step",
        "optimizer": "Adam (rnnlib.optim.Adam), default betas; full BPTT",
        "settings": settings,
        "seeds": {"params": param_seed, "data": f"{data_seed} + step", "test": test_seed},
        "baseline_mse": ADDING_BASELINE_MSE,
        "learned_threshold_mse": LEARNED_FRACTION * ADDING_BASELINE_MSE,
        "runs": runs,
    }


#: The saved full-size run that chapter 9 plots, shipped with the package.
RESULTS_FILE = "adding_problem.json"


def results_path(name: str = RESULTS_FILE):
    """The path of a results file shipped in ``rnnlib/training/results/`` (package data)."""
    from importlib.resources import files

    return files("rnnlib.training") / "results" / name


def load_results(path=None) -> dict:
    """Load a saved run of :func:`run_adding_experiment` (a JSON file).

    ``path`` defaults to the full-size run shipped with the package
    (:func:`results_path`), so chapter 9 works wherever rnnlib is installed.
    Raises ``ValueError`` naming ``path`` if the file is missing.
    """
    import json
    from pathlib import Path

    path = results_path() if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected a results file written by experiments/adding_problem.py, "
                         f"got a missing file {str(path)!r}")
    return json.loads(path.read_text())
