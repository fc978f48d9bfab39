"""The seeded study of long-range learning on the adding problem (chapter 9, issue 13).

One *run* trains one model on the adding problem of length T with one optimizer,
one learning rate and one seed, and scores it on a fixed test set.  A study is a
list of runs (:class:`RunConfig`), drawn from a registry:

* models (:data:`MODELS`): ``"tanh"`` (the tanh RNN with the book's default
  draw, :func:`rnnlib.init_params`), ``"tanh-orthogonal"`` (the same with an
  orthogonal W_hh, :func:`rnnlib.initialisation.orthogonal`), ``"irnn"`` (ReLU,
  W_hh = I, b_h = 0, Le et al. 2015), ``"lstm"`` (forget-gate bias 1) and
  ``"gru"`` (:mod:`rnnlib.gru`, used only if it is installed);
* optimizers (:data:`OPTIMIZERS`): ``"sgd-clip"`` (SGD with momentum and norm
  clipping), ``"sgd"`` (the same without clipping) and ``"adam"`` (no clipping).

The protocol, in three functions:

1. :func:`run_study` computes every run that is not yet in a cache directory,
   one JSON file per run, in up to ``workers`` processes.  A run that finished
   is never computed again, so an interrupted study resumes where it stopped.
2. :func:`summarise` collects the cached runs into one JSON file (``study.json``
   or ``sweep.json``): a list ``runs`` with one compact record per run, plus
   the settings, the library versions and the wall time; with ``curves=True``
   it also writes one small, downsampled learning-curve file per run into
   ``curves/`` next to it.
3. :func:`chosen_learning_rates` reads a learning-rate sweep and returns the
   rate the final study uses for each model, T and optimizer.

Everything is deterministic: run (model, T, optimizer, lr, seed) draws its
parameters from ``seed`` and trains on the minibatches
``adding_problem(T, batch, seed=default_rng((seed, step)))``, so runs with the
same seed see the same data whatever the model; every run of one T is scored
on the same test set ``adding_problem(T, n_test, seed=test_seed)``.

The analysis functions (:func:`group_runs`, :func:`table_rows`,
:func:`curve_band`, :func:`clipping_story`, :func:`first_unstable_rate`,
:func:`flat_numbers`) compute every number chapter 9 shows;
:mod:`rnnlib.plots.remedies` only draws them.

Shapes: a run's per-step curves are lists of length ``steps_done`` (≤ steps),
its test curve has one entry per evaluation (step 0, every ``eval_every``
steps, and the last); :func:`curve_band` returns (points,) arrays.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from ..problems import ADDING_BASELINE_MSE, adding_problem
from ..validation import check_choice, check_int, check_real, describe
from . import loop, optim

__all__ = ["StudyModel", "MODELS", "OPTIMIZERS", "available_models", "StudySettings", "FULL",
           "QUICK", "TRAINING_FIELDS", "RunConfig", "SWEEP_SEEDS", "FINAL_SEEDS", "sweep_configs",
           "final_configs", "chosen_learning_rates", "run_config", "run_summary", "run_study",
           "cached_ids", "summarise", "loss_spikes", "downsample", "results_path", "load_results",
           "load_study", "load_sweep", "load_curve", "group_runs", "table_rows", "chosen_of",
           "curve_band", "clipping_story", "first_unstable_rate", "flat_numbers"]


# --------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class StudyModel:
    """A model of the study.

    Attributes
    ----------
    key : its name in result files (``"tanh"``, ``"irnn"``, …).
    label : its name in figures and tables.
    model : ``model() -> rnnlib.training.Model``.
    init : ``init(H, seed) -> params`` for n_in = 2 inputs and n_out = 1 output.
    requires : the module it needs (``"rnnlib.gru"``), or None.
    """

    key: str
    label: str
    model: Callable
    init: Callable
    requires: str | None = None


def _init_default(H, seed):
    from ..rnn import init_params

    return init_params(2, H, 1, seed=seed)


def _init_orthogonal(H, seed):
    from ..initialisation import orthogonal, params_with_W_hh

    return params_with_W_hh(orthogonal(H, seed=seed), 2, 1, seed=seed)


def _init_irnn(H, seed):
    from ..initialisation import params_with_W_hh, scaled_identity

    return params_with_W_hh(scaled_identity(H), 2, 1, seed=seed)      # b_h = 0 already


def _init_lstm(H, seed):
    from .. import lstm

    return lstm.init_params(2, H, 1, seed=seed, forget_bias=1.0)


def _init_gru(H, seed):
    from .. import gru

    return gru.init_params(2, H, 1, seed=seed)


#: The models, in the order of every table and figure.
MODELS = {m.key: m for m in (
    StudyModel("tanh", "tanh RNN", lambda: loop.vanilla_model("tanh"), _init_default),
    StudyModel("tanh-orthogonal", "tanh RNN, orthogonal W_hh", lambda: loop.vanilla_model("tanh"),
               _init_orthogonal),
    StudyModel("irnn", "IRNN (ReLU, W_hh = I)", lambda: loop.vanilla_model("relu"), _init_irnn),
    StudyModel("lstm", "LSTM, forget bias 1", loop.lstm_model, _init_lstm),
    StudyModel("gru", "GRU", loop.gru_model, _init_gru, requires="rnnlib.gru"),
)}

#: The optimizers: a label and whether the gradient is norm-clipped.  SGD uses
#: ``settings.momentum``, clipping ``settings.clip_norm``; Adam has its default betas.
OPTIMIZERS = {
    "sgd-clip": ("SGD + momentum, clipped", True),
    "sgd": ("SGD + momentum, no clipping", False),
    "adam": ("Adam", False),
}

#: Seeds of the learning-rate sweep and of the final study: disjoint, so that the
#: final runs do not reuse the runs a learning rate was chosen on.
SWEEP_SEEDS = (100, 101)
FINAL_SEEDS = (0, 1, 2, 3, 4)


def available_models(keys=None) -> tuple:
    """The keys of :data:`MODELS` (or of ``keys``) whose required module can be imported."""
    import importlib.util

    keys = tuple(MODELS) if keys is None else tuple(keys)
    out = []
    for key in keys:
        req = MODELS[check_choice("model", key, tuple(MODELS))].requires
        try:
            ok = req is None or importlib.util.find_spec(req) is not None
        except ImportError:
            ok = False
        if ok:
            out.append(key)
    return tuple(out)


# --------------------------------------------------------------------------- settings and runs
#: The fields of :class:`StudySettings` that a run's result depends on.
TRAINING_FIELDS = ("hidden", "batch", "steps", "eval_every", "n_test", "test_seed", "clip_norm",
                   "momentum")


@dataclass(frozen=True)
class StudySettings:
    """What every run of a study shares.

    Attributes
    ----------
    hidden : H, the number of hidden units (cells, for the LSTM).
    batch : minibatch size m; every step draws a fresh minibatch.
    steps : optimizer steps per run.
    eval_every : score the test set every this many steps (and at step 0).
    n_test : number of test sequences.
    test_seed : seed of the test set.
    clip_norm : c, the threshold of norm clipping (``"sgd-clip"``).
    momentum : μ of SGD.
    curve_points : number of blocks the per-step curves are downsampled to.
    learned_fraction : a run has *learned* when its final test MSE is below this
        fraction of the baseline 1/6.
    spike_factor, spike_window : a loss spike is a step whose training MSE exceeds
        ``spike_factor`` × the median of the ``spike_window`` steps before it.
    """

    hidden: int = 32
    batch: int = 32
    steps: int = 5000
    eval_every: int = 100
    n_test: int = 500
    test_seed: int = 999
    clip_norm: float = 1.0
    momentum: float = 0.9

    def training_dict(self) -> dict:
        """The fields above, which change what a run computes (:data:`TRAINING_FIELDS`);
        a cached run stays valid when only the fields below change."""
        return {k: getattr(self, k) for k in TRAINING_FIELDS}

    curve_points: int = 50
    learned_fraction: float = 0.1
    spike_factor: float = 10.0
    spike_window: int = 50

    def __post_init__(self):
        for name in ("hidden", "batch", "steps", "eval_every", "n_test", "curve_points", "spike_window"):
            check_int(name, getattr(self, name), 1)
        check_int("test_seed", self.test_seed, 0)
        check_real("clip_norm", self.clip_norm, lo=0.0, lo_open=True)
        check_real("momentum", self.momentum, lo=0.0, hi=1.0, hi_open=True)
        check_real("learned_fraction", self.learned_fraction, lo=0.0, lo_open=True)
        check_real("spike_factor", self.spike_factor, lo=1.0)

    @property
    def learned_threshold(self) -> float:
        """The test MSE below which a run counts as having learned the task."""
        return self.learned_fraction * ADDING_BASELINE_MSE

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "StudySettings":
        if not isinstance(d, dict):
            raise ValueError(f"settings: expected a dict of StudySettings fields, got {describe(d)}")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


#: The settings of the full study (about an hour on 2 cores with 2 worker processes).
FULL = StudySettings()
#: Tiny settings for the smoke test (``--quick``, CI): seconds, not minutes.
QUICK = StudySettings(hidden=4, batch=8, steps=24, eval_every=8, n_test=40, curve_points=6,
                      spike_window=5)


@dataclass(frozen=True)
class RunConfig:
    """One run: a model of :data:`MODELS`, a length T ≥ 2, an optimizer of
    :data:`OPTIMIZERS`, a learning rate η > 0 and a seed ≥ 0."""

    model: str
    T: int
    optimizer: str
    lr: float
    seed: int

    def __post_init__(self):
        check_choice("model", self.model, tuple(MODELS))
        check_int("T", self.T, 2)
        check_choice("optimizer", self.optimizer, tuple(OPTIMIZERS))
        object.__setattr__(self, "lr", check_real("lr", self.lr, lo=0.0, lo_open=True))
        check_int("seed", self.seed, 0)

    @property
    def id(self) -> str:
        """A file-name-safe identifier, e.g. ``"lstm_T150_adam_lr0.003_s2"``."""
        return f"{self.model}_T{self.T}_{self.optimizer}_lr{self.lr:g}_s{self.seed}"

    @property
    def group(self) -> tuple:
        """(model, T, optimizer, lr): the configuration, all seeds together."""
        return (self.model, self.T, self.optimizer, self.lr)

    def as_dict(self) -> dict:
        return asdict(self)


def _grid(models, Ts, items, seeds):
    """RunConfigs for every model × T × (optimizer, lr) item × seed, in that order."""
    return [RunConfig(m, int(T), opt, lr, int(s))
            for T in Ts for m in models for opt, lr in items for s in seeds]


def sweep_configs(models, Ts, learning_rates: dict, seeds=SWEEP_SEEDS) -> list:
    """The runs of a learning-rate sweep.

    ``learning_rates`` maps an optimizer key to the rates to try, e.g.
    ``{"sgd-clip": (0.01, 0.03, 0.1), "adam": (1e-3, 3e-3, 1e-2)}``; every model
    gets every optimizer and rate.  ``"sgd"`` (unclipped) is left out of a sweep
    on purpose: the final study runs it at the rate chosen for ``"sgd-clip"``, so
    that clipping is the only difference.
    """
    items = [(opt, lr) for opt, lrs in learning_rates.items() for lr in lrs]
    return _grid(models, Ts, items, seeds)


def final_configs(models, Ts, chosen: dict, *, seeds=FINAL_SEEDS, unclipped=("tanh",),
                  ladder=(), ladder_models=("tanh",)) -> list:
    """The runs of the final study.

    ``chosen`` maps (model, T, optimizer) to a learning rate (see
    :func:`chosen_learning_rates`); every model gets ``"sgd-clip"`` and
    ``"adam"`` at its chosen rate.  The models in ``unclipped`` also get
    ``"sgd"``, the same SGD without clipping, at their ``"sgd-clip"`` rate; the
    models in ``ladder_models`` get both SGD variants once more at every rate of
    ``ladder``: the clipping ladder, which shows what clipping does as the
    learning rate grows.
    """
    out = []
    for T in Ts:
        for m in models:
            items = [("sgd-clip", chosen[(m, int(T), "sgd-clip")])]
            if m in unclipped:
                items += [("sgd", chosen[(m, int(T), "sgd-clip")])]
            if m in ladder_models:
                items += [(opt, lr) for lr in ladder for opt in ("sgd-clip", "sgd")]
            items += [("adam", chosen[(m, int(T), "adam")])]
            for opt, lr in dict.fromkeys(items):                     # each once, in order
                out += [RunConfig(m, int(T), opt, lr, int(s)) for s in seeds]
    return out


def chosen_learning_rates(sweep: dict) -> dict:
    """For each (model, T, optimizer) of a sweep summary, the learning rate with the
    lowest median final test MSE over the sweep's seeds.

    A run that diverged counts as +∞; a tie (for example when every rate leaves
    the model at the baseline to the same digits) goes to the smaller rate.
    Returns ``{(model, T, optimizer): lr}``.
    """
    per = {}
    for (m, T, opt, lr), runs in group_runs(sweep).items():
        per.setdefault((m, T, opt), []).append((float(np.median(_finals(runs))), lr))
    return {key: min(vals)[1] for key, vals in per.items()}


# --------------------------------------------------------------------------- one run
def _optimizer(config: RunConfig, settings: StudySettings):
    if config.optimizer == "adam":
        return optim.Adam(lr=config.lr)
    return optim.SGD(lr=config.lr, momentum=settings.momentum)


def _test_mse(model, params, test):
    """MSE at the last step on the test set, or None if the forward pass overflows."""
    X, Y, mask = test
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            v = 2.0 * loop.evaluate(model, params, X, Y, loss="mse", loss_mask=mask)  # loss = ½ MSE
    except FloatingPointError:
        return None
    return v if np.isfinite(v) else None


def loss_spikes(values, window: int, factor: float) -> np.ndarray:
    """Indices s ≥ ``window`` with values[s] > ``factor`` × median(values[s−window : s]).

    ``values`` is a (steps,) array (NaN after a divergence is ignored).  Returns
    an int array of the spike steps (0-based).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"values: expected a 1-D array, got {describe(v)}")
    window = check_int("window", window, 1)
    if v.size <= window:
        return np.zeros(0, dtype=int)
    med = np.median(np.lib.stride_tricks.sliding_window_view(v, window)[:-1], axis=1)
    with np.errstate(invalid="ignore"):
        hit = v[window:] > factor * med
    return np.flatnonzero(hit) + window


def downsample(values, points: int) -> dict:
    """Block medians and maxima of a (steps,) array: ``{"step", "median", "max"}``,
    each a list of ``points`` (or fewer) entries; ``step`` is the last step
    (1-based) of each block.  Blocks that hold only NaN give None."""
    v = np.asarray(values, dtype=float)
    n = v.size
    points = max(1, min(check_int("points", points, 1), n))
    edges = np.linspace(0, n, points + 1).round().astype(int)
    med, top = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        block = v[a:b][np.isfinite(v[a:b])]
        med.append(_num(np.median(block)) if block.size else None)
        top.append(_num(np.max(block)) if block.size else None)
    return {"step": [int(b) for b in edges[1:]], "median": med, "max": top}


def _num(x, digits: int = 5):
    """A JSON-ready float rounded to ``digits`` significant digits (None if not finite)."""
    if x is None or not np.isfinite(x):
        return None
    return float(f"{float(x):.{digits}g}")


def run_config(config: RunConfig, settings: StudySettings = FULL) -> dict:
    """Train one run and return its record (JSON-ready).

    The record holds ``config`` and the training fields of ``settings`` (so that
    a cache can tell whether it is still valid), ``final_test_mse``,
    ``diverged_at``, ``diverged_reason``, the wall-clock ``started``,
    ``finished`` and ``seconds``, and ``curve``: the test MSE at every
    evaluation (``eval_steps``) and, per step, the training MSE (``2 × loss``),
    the gradient norm before clipping and whether it was clipped.  A run that
    diverges stops there: its ``final_test_mse`` is None and ``diverged_at``
    holds the step (1-based: the n-th update failed).  :func:`run_summary`
    turns the record into the line ``study.json`` lists.
    """
    if not isinstance(config, RunConfig):
        raise ValueError(f"config: expected a RunConfig, got {describe(config)}")
    if not isinstance(settings, StudySettings):
        raise ValueError(f"settings: expected a StudySettings, got {describe(settings)}")
    spec = MODELS[config.model]
    model = spec.model()
    params = spec.init(settings.hidden, config.seed)
    opt = _optimizer(config, settings)
    clip = settings.clip_norm if OPTIMIZERS[config.optimizer][1] else None
    test = adding_problem(config.T, settings.n_test, seed=settings.test_seed)

    def data(step):
        return adding_problem(config.T, settings.batch, seed=np.random.default_rng((config.seed, step)))

    started, t0 = time.time(), time.perf_counter()
    eval_steps, test_mse = [0], [_test_mse(model, params, test)]
    losses, norms, clipped = [], [], []
    done, diverged, reason = 0, None, None
    while done < settings.steps:                 # train in blocks; score the test set after each
        n = min(settings.eval_every, settings.steps - done)
        h = loop.train(model, params, lambda k, d=done: data(d + k), optimizer=opt, steps=n,
                       loss="mse", clip_norm=clip)
        params = h.params
        stop = n if h.diverged_at is None else h.diverged_at
        losses += (2.0 * h.loss[:stop]).tolist()
        norms += h.grad_norm[:stop].tolist()
        clipped += h.clipped[:stop].tolist()
        if h.diverged_at is not None:
            diverged, reason = done + h.diverged_at + 1, h.diverged_reason
            break
        done += n
        eval_steps.append(done)
        test_mse.append(_test_mse(model, params, test))
        if test_mse[-1] is None:
            diverged, reason = done, "the test-set forward pass overflowed"
            break
    final = None if diverged is not None else test_mse[-1]
    return {"id": config.id, "config": config.as_dict(), "settings": settings.training_dict(),
            "final_test_mse": _num(final, 6), "diverged_at": diverged, "diverged_reason": reason,
            "started": started, "finished": time.time(),
            "seconds": round(time.perf_counter() - t0, 2),
            "curve": {"eval_steps": eval_steps, "test_mse": [_num(v, 6) for v in test_mse],
                      "train_mse": [_num(v, 6) for v in losses],
                      "grad_norm": [_num(v, 6) for v in norms],
                      "clipped": [bool(c) for c in clipped]}}


def run_summary(record: dict, settings: StudySettings) -> dict:
    """The compact record of one run (a dict from :func:`run_config`), as ``study.json`` lists it.

    Keys: ``id``, ``model``, ``T``, ``optimizer``, ``lr``, ``seed``;
    ``final_test_mse`` (None if the run diverged), ``min_test_mse`` (over the
    evaluations), ``initial_test_mse`` (before training), ``first_grad_norm``
    (the norm of the first gradient, or None if the first step failed), ``learned`` (final test MSE below ``settings.learned_threshold``);
    ``clipped_fraction`` (steps on which clipping acted), ``above_clip_fraction``
    (steps whose gradient norm exceeded c, clipped or not); ``diverged_at`` (the
    1-based step whose update failed, or None) and ``diverged_reason``;
    ``loss_spikes`` (see :func:`loss_spikes` and ``settings.spike_*``);
    ``max_grad_norm``, ``median_grad_norm`` (before clipping); ``steps_done``
    and ``seconds`` (the run's wall time).
    """
    c = record["curve"]
    finite = [v for v in c["test_mse"] if v is not None]
    first = c["grad_norm"][0] if c["grad_norm"] else None
    g = np.array([np.nan if v is None else v for v in c["grad_norm"]], dtype=float)
    train = np.array([np.nan if v is None else v for v in c["train_mse"]], dtype=float)
    final = record["final_test_mse"]
    return {
        "id": record["id"], **record["config"],
        "final_test_mse": final,
        "min_test_mse": _num(min(finite), 6) if finite else None,
        "initial_test_mse": c["test_mse"][0],
        "first_grad_norm": first,
        "learned": bool(final is not None and final < settings.learned_threshold),
        "clipped_fraction": float(np.mean(c["clipped"])) if c["clipped"] else 0.0,
        "above_clip_fraction": float(np.mean(g > settings.clip_norm)) if g.size else 0.0,
        "diverged_at": record["diverged_at"],
        "diverged_reason": record["diverged_reason"],
        "loss_spikes": int(loss_spikes(train, settings.spike_window, settings.spike_factor).size),
        "max_grad_norm": _num(np.nanmax(g)) if np.isfinite(g).any() else None,
        "median_grad_norm": _num(np.nanmedian(g)) if np.isfinite(g).any() else None,
        "steps_done": int(train.size),
        "seconds": record["seconds"],
    }


# --------------------------------------------------------------------------- many runs, cached
def _cache_file(cache_dir, config: RunConfig) -> Path:
    return Path(cache_dir) / f"{config.id}.json"


def _read_cached(cache_dir, config: RunConfig, settings: StudySettings):
    """The cached record of ``config``, or None if it is missing, unreadable or stale."""
    path = _cache_file(cache_dir, config)
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if rec.get("config") != config.as_dict() or rec.get("settings") != settings.training_dict():
        return None
    return rec


def _write_json(path: Path, obj, *, compact: bool = False) -> None:
    """Write atomically (a temporary file, then a rename): a killed run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = (json.dumps(obj, separators=(",", ":"), allow_nan=False) if compact
            else json.dumps(obj, indent=1, allow_nan=False))
    tmp.write_text(text + "\n")
    os.replace(tmp, path)


def _run_and_cache(config_dict: dict, settings_dict: dict, cache_dir: str) -> dict:
    """Worker: run one configuration and write its cache file; returns the summary line."""
    config, settings = RunConfig(**config_dict), StudySettings.from_dict(settings_dict)
    rec = run_config(config, settings)
    _write_json(_cache_file(cache_dir, config), rec, compact=True)
    return {k: rec[k] for k in ("id", "final_test_mse", "diverged_at", "seconds")}


def cached_ids(configs, settings: StudySettings, cache_dir) -> list:
    """The ids of the runs of ``configs`` that ``cache_dir`` already holds (valid for ``settings``)."""
    return [c.id for c in configs if _read_cached(cache_dir, c, settings) is not None]


def run_study(configs, settings: StudySettings, cache_dir, *, workers: int = 1,
              max_runs: int | None = None, log: Callable | None = None) -> dict:
    """Compute every run of ``configs`` that ``cache_dir`` does not hold yet.

    Parameters
    ----------
    configs : a list of :class:`RunConfig`.
    settings : the :class:`StudySettings` shared by the runs.
    cache_dir : a directory; run ``c`` is cached as ``cache_dir / (c.id + ".json")``.
    workers : processes that compute runs in parallel (1: in this process).
    max_runs : compute at most this many new runs, then return (None: all).
        The rest stay for the next call: this is what resuming looks like.
    log : ``log(line)`` is called once per finished run (e.g. ``print``).

    Returns
    -------
    ``{"computed": [ids], "cached": [ids], "remaining": [ids], "seconds": wall time}``.
    The session (start, time of its last finished run, number of runs) is kept
    in ``cache_dir / "sessions.json"``, rewritten after every run, from which
    :func:`summarise` adds up the study's wall time; a session that computes
    nothing is not recorded.
    """
    configs = list(configs)
    if not all(isinstance(c, RunConfig) for c in configs):
        raise ValueError("configs: expected a list of RunConfig")
    workers = check_int("workers", workers, 1)
    if max_runs is not None:
        max_runs = check_int("max_runs", max_runs, 0)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = set(cached_ids(configs, settings, cache_dir))
    todo = [c for c in configs if c.id not in cached]
    now = todo if max_runs is None else todo[:max_runs]
    if workers > 1:               # longest first, so that no worker idles at the end
        now = sorted(now, key=lambda c: -c.T * (6 if c.model in ("lstm", "gru") else 1))
    log = log or (lambda line: None)
    t0, start = time.perf_counter(), time.time()
    computed = []
    sessions = _read_sessions(cache_dir)
    session = {"start": start, "end": start, "seconds": 0.0, "runs": 0, "workers": workers}

    def report(line):
        computed.append(line["id"])
        mse = "diverged" if line["final_test_mse"] is None else f"test MSE {line['final_test_mse']:.4g}"
        log(f"[{len(computed)}/{len(now)}] {line['id']}: {mse} ({line['seconds']:.1f} s)")
        # the session's record is updated after every run, so a killed session still counts
        session.update(end=time.time(), seconds=round(time.perf_counter() - t0, 1), runs=len(computed))
        _write_json(cache_dir / "sessions.json", sessions + [session])

    args = (settings.as_dict(), str(cache_dir))
    if workers == 1 or len(now) <= 1:
        for c in now:
            report(_run_and_cache(c.as_dict(), *args))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_and_cache, c.as_dict(), *args) for c in now]
            for f in as_completed(futures):
                report(f.result())
    seconds = time.perf_counter() - t0
    return {"computed": computed, "cached": [c.id for c in configs if c.id in cached],
            "remaining": [c.id for c in todo if c.id not in set(computed)], "seconds": seconds}


def _read_sessions(cache_dir) -> list:
    try:
        return json.loads((Path(cache_dir) / "sessions.json").read_text())
    except (OSError, ValueError):
        return []


def _curve_file(rec: dict, settings: StudySettings) -> dict:
    """The downsampled learning curves of one cached record."""
    c = rec["curve"]
    train = downsample(c["train_mse"], settings.curve_points) if c["train_mse"] else None
    norm = downsample(c["grad_norm"], settings.curve_points) if c["grad_norm"] else None
    return {"id": rec["id"], "eval_steps": c["eval_steps"], "test_mse": c["test_mse"],
            "block_step": train["step"] if train else [],
            "train_mse_median": train["median"] if train else [],
            "train_mse_max": train["max"] if train else [],
            "grad_norm_median": norm["median"] if norm else [],
            "grad_norm_max": norm["max"] if norm else []}


def summarise(configs, settings: StudySettings, cache_dir, out, *, curves: bool = True,
              extra: dict | None = None) -> dict:
    """Collect the cached runs of ``configs`` into the JSON file ``out``.

    Every run must be cached (run :func:`run_study` first); a missing one raises
    ``ValueError`` naming ``configs``.  The file holds ``runs`` (one record per
    run with ``model``, ``T``, ``optimizer``, ``lr``, ``seed``,
    ``final_test_mse``, ``clipped_fraction``, ``diverged_at`` and more, see
    :func:`run_config`), ``settings``, ``baseline_mse``,
    ``learned_threshold_mse``, ``versions``, ``wall_time_seconds`` (the sum of
    the sessions of :func:`run_study` in ``cache_dir``), ``compute_seconds``
    (the sum of the runs' own times) and whatever ``extra`` adds.  With
    ``curves=True`` each run's downsampled curves go to
    ``out.parent / "curves" / (id + ".json")`` and the record names that file
    in ``curve``.  Returns the summary dict.
    """
    import platform

    from .. import __version__

    configs = list(configs)
    records = [_read_cached(cache_dir, c, settings) for c in configs]
    missing = [c.id for c, r in zip(configs, records) if r is None]
    if missing:
        raise ValueError(f"configs: expected every run to be cached in {str(cache_dir)!r}, got "
                         f"{len(missing)} missing, e.g. {missing[0]!r}; run run_study first")
    out = Path(out)
    runs = []
    for rec in records:
        row = run_summary(rec, settings)
        if curves:
            row["curve"] = f"curves/{rec['id']}.json"
            _write_json(out.parent / "curves" / f"{rec['id']}.json", _curve_file(rec, settings),
                        compact=True)
        runs.append(row)
    sessions = _read_sessions(cache_dir)
    summary = {
        "task": "adding problem (rnnlib.problems.adding_problem); loss ½(o_T − y_T)² at the last "
                "step; test MSE = mean (o_T − y_T)² over the test set",
        "settings": settings.as_dict(),
        "models": {k: MODELS[k].label for k in dict.fromkeys(r["model"] for r in runs)},
        "optimizers": {k: OPTIMIZERS[k][0] for k in dict.fromkeys(r["optimizer"] for r in runs)},
        "baseline_mse": ADDING_BASELINE_MSE,
        "learned_threshold_mse": settings.learned_threshold,
        "seeds": sorted({r["seed"] for r in runs}),
        "versions": {"rnnlib": __version__, "numpy": np.__version__,
                     "python": platform.python_version(), "machine": platform.machine()},
        "wall_time_seconds": round(sum(s["seconds"] for s in sessions), 1),
        "compute_seconds": round(sum(r["seconds"] for r in runs), 1),
        "workers": max((s["workers"] for s in sessions), default=1),
        **(extra or {}),
        "runs": runs,
    }
    _write_json(out, summary)
    return summary


# --------------------------------------------------------------------------- saved results
def results_path(name: str = "study.json"):
    """The path of a results file shipped in ``rnnlib/training/results/`` (package data)."""
    from importlib.resources import files

    return files("rnnlib.training") / "results" / name


def load_results(path=None) -> dict:
    """Load a results file: ``path``, or by default the shipped ``study.json``.

    Raises ``ValueError`` naming ``path`` if the file is missing.
    """
    path = Path(str(results_path())) if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected a results file written by experiments/study.py, "
                         f"got a missing file {str(path)!r}")
    data = json.loads(path.read_text())
    data["_path"] = str(path)
    return data


def load_study(path=None) -> dict:
    """The final study (``study.json``, shipped with the package unless ``path`` is given)."""
    return load_results(path)


def load_sweep(path=None) -> dict:
    """The learning-rate sweep (``sweep.json``, shipped with the package unless ``path`` is given)."""
    return load_results(Path(str(results_path("sweep.json"))) if path is None else path)


def load_curve(study: dict, record: dict) -> dict:
    """The downsampled curves of one run of ``study`` (a dict from :func:`load_results`)."""
    if not record.get("curve"):
        raise ValueError(f"record: expected a run with a curve file, got {describe(record.get('id'))}")
    return json.loads((Path(study["_path"]).parent / record["curve"]).read_text())


# --------------------------------------------------------------------------- analysis
def _finals(runs) -> np.ndarray:
    """Final test MSEs of ``runs``, +∞ for a run that diverged."""
    return np.array([np.inf if r["final_test_mse"] is None else r["final_test_mse"] for r in runs])


def group_runs(study: dict) -> dict:
    """``{(model, T, optimizer, lr): [records]}``, in the order the runs appear."""
    out = {}
    for r in study["runs"]:
        out.setdefault((r["model"], r["T"], r["optimizer"], r["lr"]), []).append(r)
    return out


def chosen_of(study: dict) -> dict:
    """``{(model, T, optimizer): lr}``: the rates a final study was run at (its
    ``chosen_learning_rates``); ``"sgd"`` gets the rate of ``"sgd-clip"``."""
    chosen = {(c["model"], c["T"], c["optimizer"]): c["lr"] for c in study["chosen_learning_rates"]}
    chosen.update({(m, T, "sgd"): lr for (m, T, o), lr in list(chosen.items()) if o == "sgd-clip"})
    return chosen


def table_rows(study: dict, *, chosen_only: bool = False) -> list:
    """One row per configuration (model × T × optimizer × lr) of ``study``;
    with ``chosen_only``, only those at the rate the sweep chose (:func:`chosen_of`).

    Each row is a dict: ``model``, ``T``, ``optimizer``, ``lr``, ``seeds``,
    ``median`` / ``lo`` / ``hi`` (median, minimum and maximum of the final test
    MSE over the seeds; +∞ stands for a diverged run), ``learned`` (fraction of
    seeds below the threshold), ``diverged`` (number of seeds that diverged),
    ``clipped`` (median fraction of clipped steps), ``above_clip`` (median
    fraction of steps whose gradient norm exceeded c), ``spikes`` (total loss
    spikes over the seeds), ``spike_runs`` (seeds with at least one spike),
    ``diverged_steps`` (the steps at which seeds diverged),
    ``max_grad_norm`` (largest over the seeds), ``initial`` (median test MSE
    before training) and ``first_norm`` (median norm of the first gradient).
    """
    rows = []
    keep = chosen_of(study) if chosen_only else None
    for (m, T, opt, lr), runs in group_runs(study).items():
        if keep is not None and keep.get((m, T, opt)) != lr:
            continue
        fin = _finals(runs)
        norms = [r["max_grad_norm"] for r in runs if r["max_grad_norm"] is not None]
        rows.append({
            "model": m, "T": T, "optimizer": opt, "lr": lr, "seeds": len(runs),
            "median": float(np.median(fin)), "lo": float(np.min(fin)), "hi": float(np.max(fin)),
            "learned": float(np.mean([r["learned"] for r in runs])),
            "diverged": int(sum(r["diverged_at"] is not None for r in runs)),
            "clipped": float(np.median([r["clipped_fraction"] for r in runs])),
            "above_clip": float(np.median([r["above_clip_fraction"] for r in runs])),
            "spikes": int(sum(r["loss_spikes"] for r in runs)),
            "spike_runs": int(sum(r["loss_spikes"] > 0 for r in runs)),
            "diverged_steps": [r["diverged_at"] for r in runs if r["diverged_at"] is not None],
            "max_grad_norm": float(max(norms)) if norms else float("nan"),
            "initial": float(np.median([np.inf if r.get("initial_test_mse") is None else r["initial_test_mse"]
                                        for r in runs])),
            "first_norm": float(np.median([np.inf if r.get("first_grad_norm") is None else r["first_grad_norm"]
                                           for r in runs])),
        })
    return rows


def curve_band(study: dict, model: str, T: int, optimizer: str, key: str = "test_mse", *, lr=None):
    """Median and min–max band over the seeds of one curve of one configuration.

    ``key`` is ``"test_mse"`` (at the evaluation steps) or one of the block
    curves ``"train_mse_median"``, ``"train_mse_max"``, ``"grad_norm_median"``,
    ``"grad_norm_max"``.  ``lr`` picks the learning rate when the study has
    the configuration at several.  A seed that diverged contributes until it
    stopped; after that it is left out (and the band shrinks).  Returns
    ``(steps, median, lo, hi, n)``: (points,) float arrays, NaN where no seed
    has a value, and n, the number of seeds with a value at each point.
    """
    runs = [r for r in study["runs"] if (r["model"], r["T"], r["optimizer"]) == (model, T, optimizer)
            and (lr is None or r["lr"] == lr)]
    if not runs:
        raise ValueError(f"model: expected a configuration of the study, got "
                         f"{(model, T, optimizer, lr)!r}")
    rates = sorted({r["lr"] for r in runs})
    if len(rates) > 1:
        raise ValueError(f"lr: expected one of {rates} for {(model, T, optimizer)!r}, got None")
    step_key = "eval_steps" if key == "test_mse" else "block_step"
    curves = [load_curve(study, r) for r in runs]
    steps = np.asarray(max((c[step_key] for c in curves), key=len), dtype=float)
    M = np.full((len(curves), steps.size), np.nan)
    for i, c in enumerate(curves):
        vals = np.array([np.nan if v is None else v for v in c[key]], dtype=float)
        M[i, :vals.size] = vals
    n = np.sum(np.isfinite(M), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # an all-NaN column gives NaN
        return steps, np.nanmedian(M, axis=0), np.nanmin(M, axis=0), np.nanmax(M, axis=0), n


def clipping_story(study: dict, model: str = "tanh") -> dict:
    """The SGD runs of ``model`` with and without clipping, side by side.

    Returns ``{T: {lr: {"sgd": row, "sgd-clip": row}}}`` with the rows of
    :func:`table_rows`, for every T and learning rate at which the study has
    both (the clipping ladder).
    """
    out = {}
    for row in table_rows(study):
        if row["model"] == model and row["optimizer"] in ("sgd", "sgd-clip"):
            out.setdefault(row["T"], {}).setdefault(row["lr"], {})[row["optimizer"]] = row
    return {T: {lr: pair for lr, pair in sorted(by_lr.items()) if len(pair) == 2}
            for T, by_lr in sorted(out.items())}


def first_unstable_rate(study: dict, model: str = "tanh", T: int = 150, optimizer: str = "sgd"):
    """The smallest learning rate at which some seed of (model, T, optimizer) had a loss
    spike or diverged, or None if no rate did."""
    rates = [r["lr"] for r in table_rows(study)
             if (r["model"], r["T"], r["optimizer"]) == (model, T, optimizer)
             and (r["spike_runs"] or r["diverged"])]
    return min(rates) if rates else None


def _key(*parts) -> str:
    return "_".join(str(p) for p in parts).replace("-", "_").replace(".", "_")


def flat_numbers(study: dict) -> dict:
    """Every number of :func:`table_rows` under a flat key, for text that quotes them.

    A row at the rate the sweep chose is ``"{model}_T{T}_{optimizer}_{field}"``
    and any row also ``"{model}_T{T}_{optimizer}_lr{lr}_{field}"``, with ``-``
    and ``.`` written as ``_`` (``"tanh_orthogonal_T150_sgd_clip_median"``,
    ``"tanh_T150_sgd_lr0_1_spike_runs"``); fields are those of
    :func:`table_rows` (``median``, ``lo``, ``hi``, ``learned``, ``diverged``,
    ``clipped``, ``above_clip``, ``spikes``, ``spike_runs``, ``max_grad_norm``,
    ``lr``, ``seeds``) plus ``learned_runs`` (seeds that learned).  Values are
    Python ints and floats (+∞ for a median over mostly diverged seeds).
    """
    chosen = chosen_of(study)
    out = {}
    for row in table_rows(study):
        m, T, opt, lr = row["model"], row["T"], row["optimizer"], row["lr"]
        fields = {k: v for k, v in row.items() if isinstance(v, (int, float)) and k != "T"}
        fields["learned_runs"] = int(round(row["learned"] * row["seeds"]))
        for name, value in fields.items():
            value = int(value) if isinstance(value, int) else float(value)
            out[_key(m, f"T{T}", opt, f"lr{lr:g}", name)] = value
            if chosen.get((m, T, opt)) == lr:
                out[_key(m, f"T{T}", opt, name)] = value
    return out
