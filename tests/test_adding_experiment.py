"""rnnlib.training.adding: the chapter-9 experiment runner (tiny settings)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlib.training.adding import CONFIG_NAMES, load_results, run_adding_experiment

TINY = dict(T=6, hidden=4, batch=8, steps=12, lr=0.02, eval_every=5, n_test=20)


def test_structure_and_determinism():
    a = run_adding_experiment(**TINY)
    b = run_adding_experiment(**TINY)
    assert [r["name"] for r in a["runs"]] == list(CONFIG_NAMES)
    for ra, rb in zip(a["runs"], b["runs"]):
        assert len(ra["train_mse"]) == len(ra["grad_norm"]) == TINY["steps"]
        assert ra["eval_steps"] == [0, 5, 10, 12]
        assert ra["test_mse"] == rb["test_mse"] and ra["grad_norm"] == rb["grad_norm"]
        assert ra["final_test_mse"] == ra["test_mse"][-1]
        assert ra["learned"] == (ra["final_test_mse"] < a["learned_threshold_mse"])
    # the same data and initial parameters: vanilla and vanilla + clipping start identically
    assert a["runs"][0]["grad_norm"][0] == a["runs"][1]["grad_norm"][0]
    assert abs(a["baseline_mse"] - 1 / 6) < 1e-15
    json.dumps(a)                                     # JSON-ready


def test_clipping_run_clips_when_threshold_is_tiny():
    r = run_adding_experiment(**dict(TINY, clip_norm=1e-6), configs=("vanilla + clipping",))
    assert r["runs"][0]["clipped_fraction"] == 1.0


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"^configs: expected"):
        run_adding_experiment(**TINY, configs=("GRU",))
    with pytest.raises(ValueError, match=r"^eval_every: expected"):
        run_adding_experiment(**dict(TINY, eval_every=0))
    with pytest.raises(ValueError, match=r"^path: expected"):
        load_results(tmp_path / "missing.json")


def test_saved_results_are_consistent():
    try:
        r = load_results()
    except ValueError:
        pytest.skip("experiments/results/adding_problem.json has not been generated")
    for run in r["runs"]:
        assert len(run["grad_norm"]) == r["settings"]["steps"]
        assert run["final_test_mse"] == run["test_mse"][-1]
        assert np.all(np.isfinite(run["test_mse"]))
