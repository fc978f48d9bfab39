"""The adding problem: vanilla RNN, vanilla RNN with norm clipping, and LSTM (chapter 9).

Run from the repository root:

    python experiments/adding_problem.py            # the full run (a few minutes on 2 cores)
    python experiments/adding_problem.py --quick    # a smoke test (seconds)

The work is done by :func:`rnnlib.training.adding.run_adding_experiment`
(read its docstring for what is trained and recorded).  The result, with the
settings, seeds and library versions, is written as JSON to
``rnnlib/training/results/adding_problem.json``, package data that chapter 9
reads with :func:`rnnlib.training.load_results` (``--quick`` writes
``experiments/cache/adding_problem_quick.json``, which is not committed).
"""
from __future__ import annotations

import os

# Small matrices: one BLAS thread is much faster than several fighting over 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib.training.adding import results_path, run_adding_experiment  # noqa: E402

#: T = 100: the first marker sits 50 to 100 steps before the target.
FULL = dict(T=100, hidden=32, batch=32, steps=1200, lr=0.01, clip_norm=1.0, eval_every=50, n_test=500)
QUICK = dict(T=20, hidden=8, batch=16, steps=60, lr=0.01, clip_norm=1.0, eval_every=20, n_test=200)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings, for a smoke test")
    parser.add_argument("--no-progress", action="store_true", help="hide the tqdm progress bars")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.out is not None:
        out = args.out
    elif args.quick:
        out = Path(__file__).resolve().parent / "cache" / "adding_problem_quick.json"
    else:
        out = Path(str(results_path()))
    result = run_adding_experiment(**settings, progress=not args.no_progress, verbose=True)
    result["versions"] = {"rnnlib": rnnlib.__version__, "numpy": np.__version__,
                          "python": platform.python_version()}
    result["command"] = "python experiments/adding_problem.py" + (" --quick" if args.quick else "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
