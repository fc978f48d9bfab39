"""rnnlib.training.study and experiments/study.py: the seeded study, end to end in --quick mode.

Everything here writes into pytest's temporary directory, never into the repository.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from rnnlib.training import study as S

ROOT = Path(__file__).resolve().parents[1]
TINY = S.StudySettings(hidden=3, batch=4, steps=12, eval_every=4, n_test=16, curve_points=4,
                       spike_window=3)


def _script():
    spec = importlib.util.spec_from_file_location("study_script", ROOT / "experiments" / "study.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _mtimes(folder):
    return {p.name: p.stat().st_mtime_ns for p in Path(folder).glob("*.json") if p.name != "sessions.json"}


def test_quick_study_finishes_resumes_and_summarises(tmp_path, capsys):
    script = _script()
    cache, out = tmp_path / "cache", tmp_path / "out"
    argv = ["all", "--quick", "--cache", str(cache), "--out", str(out)]
    # An interrupted sweep: 5 runs, then stop (as if killed) ...
    assert script.main(argv + ["--max-runs", "5"]) == 0
    assert len(_mtimes(cache / "sweep")) == 5
    assert not (out / "sweep.json").exists()
    first = _mtimes(cache / "sweep")
    capsys.readouterr()
    # ... resumed: the 5 finished runs are read from the cache, not computed again.
    assert script.main(argv) == 0
    text = capsys.readouterr().out
    assert "5 were cached" in text
    after = _mtimes(cache / "sweep")
    assert {k: after[k] for k in first} == first
    sweep = S.load_sweep(out / "sweep.json")
    study = S.load_study(out / "study.json")

    # The sweep: every model x T x optimizer x lr; the final study at the rates it chose.
    chosen = S.chosen_learning_rates(sweep)
    assert {(c["model"], c["T"], c["optimizer"]): c["lr"] for c in study["chosen_learning_rates"]} == chosen
    models = S.available_models()
    assert set(study["models"]) == set(models) and set(sweep["models"]) == set(models)
    for key in ("settings", "versions", "wall_time_seconds", "baseline_mse", "learned_threshold_mse"):
        assert key in study
    assert study["wall_time_seconds"] >= 0 and study["versions"]["rnnlib"]
    groups = S.group_runs(study)
    for (m, T, opt, lr), runs in groups.items():
        assert len(runs) == len(script.QUICK_FINAL_SEEDS)
        if opt != "sgd" and lr not in script.QUICK_LADDER:
            assert chosen[(m, T, opt)] == lr
    # The unclipped SGD runs exist for the UNCLIPPED models, the ladder for the LADDER_MODELS.
    assert {m for (m, _, opt, _) in groups if opt == "sgd"} == set(script.UNCLIPPED)
    assert {m for (m, _, opt, lr) in groups if lr in script.QUICK_LADDER} == set(script.LADDER_MODELS)
    for rec in study["runs"]:
        for key in ("model", "T", "optimizer", "lr", "seed", "final_test_mse", "clipped_fraction",
                    "diverged_at"):
            assert key in rec
        curve = S.load_curve(study, rec)
        assert curve["eval_steps"][0] == 0 and len(curve["test_mse"]) == len(curve["eval_steps"])
        if rec["optimizer"] != "sgd-clip":
            assert rec["clipped_fraction"] == 0.0
    # Summarising again from the cache gives the same runs (nothing was recomputed).
    again = S.summarise(S.final_configs(tuple(study["models"]), script.QUICK_TS, chosen,
                                        seeds=script.QUICK_FINAL_SEEDS, unclipped=script.UNCLIPPED,
                                        ladder=script.QUICK_LADDER, ladder_models=script.LADDER_MODELS),
                        S.QUICK, cache / "study", tmp_path / "again" / "study.json")
    assert again["runs"] == [{k: v for k, v in r.items()} for r in study["runs"]]


def test_the_script_writes_the_full_study_into_the_package_and_quick_runs_into_the_cache():
    script = _script()
    results = ROOT / "rnnlib" / "training" / "results"
    full = script.plan(script.parse(["run"]))
    assert full[0] == S.FULL and full[-2] == results and full[-1] == ROOT / "experiments" / "cache"
    quick = script.plan(script.parse(["all", "--quick"]))
    assert quick[0] == S.QUICK and quick[-2].is_relative_to(ROOT / "experiments" / "cache" / "quick")
    assert len(full[4]) >= 5 and set(full[3]).isdisjoint(full[4])         # final and sweep seeds
    assert set(script.TS) >= {50, 150}


def test_a_run_is_deterministic_and_sees_the_same_data_whatever_the_model():
    a = S.run_config(S.RunConfig("tanh", 8, "sgd-clip", 0.05, 3), TINY)
    b = S.run_config(S.RunConfig("tanh", 8, "sgd-clip", 0.05, 3), TINY)
    assert a["curve"] == b["curve"] and a["final_test_mse"] == b["final_test_mse"]
    c = S.run_config(S.RunConfig("tanh", 8, "sgd", 0.05, 3), TINY)
    # Same seed, same initial parameters and first minibatch: the first gradient is the same.
    assert a["curve"]["grad_norm"][0] == c["curve"]["grad_norm"][0]
    assert a["curve"]["test_mse"][0] == c["curve"]["test_mse"][0]
    assert len(a["curve"]["train_mse"]) == TINY.steps
    assert a["curve"]["eval_steps"] == [0, 4, 8, 12]


def test_clipping_is_recorded_and_acts():
    tiny_c = S.StudySettings(**dict(TINY.as_dict(), clip_norm=1e-6))
    rec = S.run_summary(S.run_config(S.RunConfig("lstm", 6, "sgd-clip", 0.1, 0), tiny_c), tiny_c)
    assert rec["clipped_fraction"] == 1.0 and rec["above_clip_fraction"] == 1.0
    rec = S.run_summary(S.run_config(S.RunConfig("lstm", 6, "sgd", 0.1, 0), tiny_c), tiny_c)
    assert rec["clipped_fraction"] == 0.0 and rec["above_clip_fraction"] == 1.0


def test_a_run_sure_to_diverge_records_the_step():
    """The IRNN (ReLU, W_hh = I) under SGD without clipping at a large rate: its first
    gradients are huge, the first update throws W_hh far out and the forward pass overflows."""
    settings = S.StudySettings(**dict(TINY.as_dict(), hidden=8, steps=40, eval_every=10))
    rec = S.run_config(S.RunConfig("irnn", 50, "sgd", 1.0, 0), settings)
    row = S.run_summary(rec, settings)
    assert row["diverged_at"] is not None and 1 <= row["diverged_at"] <= 40
    assert row["final_test_mse"] is None and row["learned"] is False
    assert row["diverged_reason"]
    assert len(rec["curve"]["train_mse"]) == row["diverged_at"] - 1     # the steps that went through
    json.dumps(rec, allow_nan=False)                                     # JSON-ready, no NaN


def test_the_cache_depends_only_on_what_changes_a_run(tmp_path):
    configs = [S.RunConfig("tanh", 6, "adam", 0.01, s) for s in (0, 1)]
    r = S.run_study(configs, TINY, tmp_path)
    assert len(r["computed"]) == 2 and r["remaining"] == []
    looser = S.StudySettings(**dict(TINY.as_dict(), spike_factor=3.0, curve_points=2))
    assert S.run_study(configs, looser, tmp_path)["computed"] == []      # summary-only fields
    longer = S.StudySettings(**dict(TINY.as_dict(), steps=16))
    assert len(S.run_study(configs, longer, tmp_path, max_runs=1)["computed"]) == 1
    assert S.cached_ids(configs, longer, tmp_path) == [configs[0].id]
    sessions = json.loads((tmp_path / "sessions.json").read_text())
    assert [s["runs"] for s in sessions] == [2, 1]


def test_two_workers_give_the_same_runs_as_one(tmp_path):
    configs = [S.RunConfig(m, 6, "sgd-clip", 0.05, 0) for m in ("tanh", "irnn", "lstm")]
    S.run_study(configs, TINY, tmp_path / "one")
    S.run_study(configs, TINY, tmp_path / "two", workers=2)
    a = S.summarise(configs, TINY, tmp_path / "one", tmp_path / "a" / "study.json", curves=False)
    b = S.summarise(configs, TINY, tmp_path / "two", tmp_path / "b" / "study.json", curves=False)
    strip = lambda runs: [{k: v for k, v in r.items() if k != "seconds"} for r in runs]  # noqa: E731
    assert strip(a["runs"]) == strip(b["runs"])


def test_loss_spikes_and_downsample_by_hand():
    v = np.array([1.0, 1.0, 1.0, 1.0, 20.0, 1.0, 1.0, 9.0, np.nan])
    np.testing.assert_array_equal(S.loss_spikes(v, 3, 10.0), [4])
    np.testing.assert_array_equal(S.loss_spikes(v[:3], 3, 10.0), [])
    d = S.downsample([1.0, 3.0, 2.0, 8.0, np.nan, np.nan], 3)
    assert d == {"step": [2, 4, 6], "median": [2.0, 5.0, None], "max": [3.0, 8.0, None]}
    with pytest.raises(ValueError, match=r"^values: expected"):
        S.loss_spikes(np.zeros((2, 2)), 1, 2.0)


def _fake(runs):
    return {"runs": [dict(model=m, T=T, optimizer=o, lr=lr, seed=s, final_test_mse=f, learned=False,
                          diverged_at=None if f is not None else 3, clipped_fraction=0.0,
                          above_clip_fraction=0.0, loss_spikes=0, max_grad_norm=1.0)
                     for m, T, o, lr, s, f in runs]}


def test_chosen_learning_rates_by_hand():
    sweep = _fake([
        ("tanh", 50, "adam", 0.01, 0, 0.10), ("tanh", 50, "adam", 0.01, 1, 0.30),   # median 0.2
        ("tanh", 50, "adam", 0.03, 0, 0.05), ("tanh", 50, "adam", 0.03, 1, None),   # median inf
        ("lstm", 50, "adam", 0.01, 0, 0.10), ("lstm", 50, "adam", 0.001, 0, 0.10),  # tie: smaller
    ])
    assert S.chosen_learning_rates(sweep) == {("tanh", 50, "adam"): 0.01, ("lstm", 50, "adam"): 0.001}
    rows = S.table_rows(sweep)
    assert rows[1]["median"] == np.inf and rows[1]["diverged"] == 1 and rows[1]["lo"] == 0.05


def test_registry_and_plans():
    chosen = {(m, T, o): 0.01 for m in S.MODELS for T in (5,) for o in ("sgd-clip", "adam")}
    configs = S.final_configs(("tanh", "lstm"), (5,), chosen, seeds=(0, 1), ladder=(0.01, 0.1))
    ids = [c.id for c in configs]
    assert len(ids) == len(set(ids))
    groups = {c.group for c in configs}
    assert groups == {("tanh", 5, "sgd-clip", 0.01), ("tanh", 5, "sgd", 0.01), ("tanh", 5, "sgd-clip", 0.1),
                      ("tanh", 5, "sgd", 0.1), ("tanh", 5, "adam", 0.01), ("lstm", 5, "sgd-clip", 0.01),
                      ("lstm", 5, "adam", 0.01)}
    sweep = S.sweep_configs(("irnn",), (5, 6), {"sgd-clip": (0.1, 0.2), "adam": (0.01,)}, seeds=(7,))
    assert len(sweep) == 2 * 3 and all(c.seed == 7 for c in sweep)
    assert set(S.SWEEP_SEEDS).isdisjoint(S.FINAL_SEEDS) and len(S.FINAL_SEEDS) >= 5
    assert S.RunConfig("gru", 150, "adam", 0.003, 2).id == "gru_T150_adam_lr0.003_s2"


@pytest.mark.parametrize("make, name", [
    (lambda: S.RunConfig("elman", 5, "adam", 0.1, 0), "model"),
    (lambda: S.RunConfig("tanh", 1, "adam", 0.1, 0), "T"),
    (lambda: S.RunConfig("tanh", 5, "rmsprop", 0.1, 0), "optimizer"),
    (lambda: S.RunConfig("tanh", 5, "adam", 0.0, 0), "lr"),
    (lambda: S.RunConfig("tanh", 5, "adam", 0.1, -1), "seed"),
    (lambda: S.StudySettings(steps=0), "steps"),
    (lambda: S.StudySettings(momentum=1.0), "momentum"),
    (lambda: S.run_config("tanh", TINY), "config"),
    (lambda: S.run_study([S.RunConfig("tanh", 5, "adam", 0.1, 0)], TINY, "/nonexistent/x", workers=0),
     "workers"),
    (lambda: S.load_results("/nonexistent/study.json"), "path"),
    (lambda: S.available_models(["elman"]), "model"),
])
def test_bad_arguments_name_the_argument(make, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        make()


def test_summarise_refuses_missing_runs(tmp_path):
    with pytest.raises(ValueError, match=r"^configs: expected every run to be cached"):
        S.summarise([S.RunConfig("tanh", 5, "adam", 0.1, 0)], TINY, tmp_path, tmp_path / "s.json")


def test_saved_study_is_complete():
    """The shipped study.json: at least 5 seeds per configuration, T = 50 and 150, every
    model of the issue (the GRU if it was available), the keys chapter 9 reads."""
    try:
        study = S.load_study()
    except ValueError:
        pytest.skip("rnnlib/training/results/study.json has not been generated")
    assert {50, 150} <= {r["T"] for r in study["runs"]}
    assert {"tanh", "tanh-orthogonal", "irnn", "lstm"} <= set(study["models"])
    assert {"sgd-clip", "sgd", "adam"} == {r["optimizer"] for r in study["runs"]}
    for runs in S.group_runs(study).values():
        assert len({r["seed"] for r in runs}) >= 5
    for r in study["runs"]:
        assert (r["final_test_mse"] is None) == (r["diverged_at"] is not None)
        assert Path(study["_path"]).parent.joinpath(r["curve"]).is_file()
    assert study["wall_time_seconds"] > 0
    sweep = S.load_sweep()
    assert {(c["model"], c["T"], c["optimizer"]): c["lr"] for c in study["chosen_learning_rates"]} \
        == S.chosen_learning_rates(sweep)
