"""The seeded study of long-range learning on the adding problem (chapter 9).

Run from the repository root, under ``nice`` on a shared machine:

    nice -n 10 python experiments/study.py sweep --workers 2   # the learning-rate sweep
    nice -n 10 python experiments/study.py run --workers 2     # the final study
    python experiments/study.py all --quick                    # the smoke test (seconds)

``sweep`` trains every model with every optimizer at a few learning rates, for
the seeds ``SWEEP_SEEDS``, and writes ``sweep.json``.  ``run`` reads that file,
takes for every model, T and optimizer the rate with the lowest median final
test MSE (:func:`rnnlib.training.study.chosen_learning_rates`), trains the
final configurations for the seeds ``FINAL_SEEDS`` and writes ``study.json``
and one learning-curve file per run in ``curves/``.  ``all`` does both.

The full study writes into ``rnnlib/training/results/`` (package data, which
chapter 9 reads); ``--quick`` uses tiny settings and writes into
``experiments/cache/quick/`` (not committed) unless ``--out`` says otherwise.
Every finished run is cached as one JSON file (``experiments/cache/<stage>/``
or ``--cache``), so a study that is interrupted resumes where it stopped:
run the same command again.  ``--max-runs N`` stops after N new runs (to try
that out); ``--status`` only counts what is cached.  The work is done by
:mod:`rnnlib.training.study`; read its docstring for what a run is.
"""
from __future__ import annotations

import os

# Small matrices: one BLAS thread per process is much faster than several fighting over 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnnlib.training import study  # noqa: E402

HERE = Path(__file__).resolve().parent

#: Sequence lengths of the full study; the first marker is at least T/2 steps before the target.
TS = (50, 150)
#: Learning rates of the sweep: six per optimizer, a factor of about 3 apart, wide enough
#: that the rate chosen for a model is, for most models, better than its neighbours on both sides.
SWEEP_LRS = {"sgd-clip": (0.001, 0.003, 0.01, 0.03, 0.1, 0.3),
             "adam": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)}
#: The models trained without clipping as well (under SGD, at their "sgd-clip" rate) ...
UNCLIPPED = ("tanh", "irnn")
#: ... and the models trained, clipped and unclipped, at each of these rates: the clipping ladder.
LADDER_MODELS = ("tanh",)
LADDER = (0.01, 0.03, 0.1, 0.3)

QUICK_TS = (6, 10)
QUICK_LRS = {"sgd-clip": (0.01, 0.05), "adam": (0.01, 0.03)}
QUICK_LADDER = (0.3,)
QUICK_SWEEP_SEEDS = (100,)
QUICK_FINAL_SEEDS = (0, 1)


def plan(args):
    """``(settings, Ts, sweep rates, sweep seeds, final seeds, ladder, out dir, cache root)``."""
    if args.quick:
        settings, Ts, lrs = study.QUICK, QUICK_TS, QUICK_LRS
        sweep_seeds, final_seeds, ladder = QUICK_SWEEP_SEEDS, QUICK_FINAL_SEEDS, QUICK_LADDER
        out = args.out or HERE / "cache" / "quick" / "results"
        cache = args.cache or HERE / "cache" / "quick"
    else:
        settings, Ts, lrs = study.FULL, TS, SWEEP_LRS
        sweep_seeds, final_seeds, ladder = study.SWEEP_SEEDS, study.FINAL_SEEDS, LADDER
        out = args.out or Path(str(study.results_path())).parent
        cache = args.cache or HERE / "cache"
    return settings, Ts, lrs, sweep_seeds, final_seeds, ladder, Path(out), Path(cache)


def _command(args):
    return f"python experiments/study.py {args.stage}" + (" --quick" if args.quick else "")


def stage(name, configs, settings, cache, out_file, args, *, curves, extra):
    """Run (or resume) one stage and summarise it once every run is cached."""
    models = sorted({c.model for c in configs}, key=list(study.MODELS).index)
    print(f"{name}: {len(configs)} runs ({', '.join(models)}; T = "
          f"{', '.join(map(str, sorted({c.T for c in configs})))}), cache {cache}", flush=True)
    if args.status:
        done = study.cached_ids(configs, settings, cache)
        print(f"{name}: {len(done)} of {len(configs)} runs cached")
        return None
    r = study.run_study(configs, settings, cache, workers=args.workers, max_runs=args.max_runs,
                        log=lambda line: print(line, flush=True))
    print(f"{name}: computed {len(r['computed'])} runs in {r['seconds']:.0f} s, "
          f"{len(r['cached'])} were cached, {len(r['remaining'])} remain", flush=True)
    if r["remaining"]:
        print(f"{name}: run the same command again to resume")
        return None
    summary = study.summarise(configs, settings, cache, out_file, curves=curves,
                              extra=dict(extra, command=_command(args)))
    print(f"wrote {out_file} ({len(summary['runs'])} runs, wall time "
          f"{summary['wall_time_seconds']:.0f} s over all sessions)", flush=True)
    return summary


def parse(argv=None):
    """The command-line arguments (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("sweep", "run", "all"))
    parser.add_argument("--quick", action="store_true", help="tiny settings, for a smoke test")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (at most 2 here)")
    parser.add_argument("--max-runs", type=int, default=None, help="stop after this many new runs")
    parser.add_argument("--status", action="store_true", help="only count the cached runs")
    parser.add_argument("--out", type=Path, default=None, help="directory of sweep.json and study.json")
    parser.add_argument("--cache", type=Path, default=None, help="directory of the per-run cache")
    parser.add_argument("--models", nargs="*", default=None,
                        help="model keys (default: every model that can be imported)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    settings, Ts, lrs, sweep_seeds, final_seeds, ladder, out, cache = plan(args)
    models = study.available_models(args.models)
    missing = sorted(set(args.models or study.MODELS) - set(models))
    if missing:
        print(f"left out (cannot be imported): {', '.join(missing)}")
    t0 = time.perf_counter()
    if args.stage in ("sweep", "all"):
        configs = study.sweep_configs(models, Ts, lrs, seeds=sweep_seeds)
        done = stage("sweep", configs, settings, cache / "sweep", out / "sweep.json", args,
                     curves=False, extra={"learning_rates": {k: list(v) for k, v in lrs.items()}})
        if done is None and not (args.status and (out / "sweep.json").is_file()):
            return 0
    if args.stage in ("run", "all"):
        sweep = study.load_sweep(out / "sweep.json")
        chosen = study.chosen_learning_rates(sweep)
        have = {m for m, _, _ in chosen}
        absent = [m for m in models if m not in have]
        if absent:
            print(f"left out (not in the sweep): {', '.join(absent)}")
        models = tuple(m for m in models if m in have)
        configs = study.final_configs(models, Ts, chosen, seeds=final_seeds, unclipped=UNCLIPPED,
                                      ladder=ladder, ladder_models=LADDER_MODELS)
        extra = {"chosen_learning_rates": [{"model": m, "T": T, "optimizer": o, "lr": lr}
                                           for (m, T, o), lr in chosen.items()],
                 "unclipped": list(UNCLIPPED), "ladder": list(ladder),
                 "ladder_models": list(LADDER_MODELS)}
        if stage("study", configs, settings, cache / "study", out / "study.json", args,
                 curves=True, extra=extra) is None:
            return 0
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
