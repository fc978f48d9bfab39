"""rnnlib.plots.remedies: the figures of chapter 9 build and animate."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import rnnlib  # noqa: E402
from rnnlib.plots import remedies as pr  # noqa: E402
from rnnlib.problems import scaled_problem  # noqa: E402


def test_figures_build():
    params, cache = scaled_problem(6, scale=1.0, seed=0)
    g = rnnlib.bptt(params, cache)
    g.pop("h0")
    for fig in (pr.clipping_figure(g, fractions=[0.01, 0.1, 1.0]),
                pr.truncation_bias_figure(scales=(1.0,), T=6), pr.draw_windows(1, 2, 1.0)):
        assert len(fig.axes) >= 1
        plt.close(fig)


def test_study_figures_and_tables_build(tmp_path):
    """The study's figures and tables from a tiny study written into tmp_path."""
    from rnnlib.training import study as S

    tiny = S.StudySettings(hidden=3, batch=4, steps=12, eval_every=4, n_test=16, curve_points=4,
                           spike_window=3)
    chosen = {(m, 6, o): 0.05 for m in ("tanh", "lstm") for o in ("sgd-clip", "adam")}
    configs = S.final_configs(("tanh", "lstm"), (6,), chosen, seeds=(0, 1), ladder=(0.05, 0.5))
    S.run_study(configs, tiny, tmp_path / "cache")
    S.summarise(configs, tiny, tmp_path / "cache", tmp_path / "out" / "study.json",
                extra={"chosen_learning_rates": [{"model": m, "T": T, "optimizer": o, "lr": lr}
                                                 for (m, T, o), lr in chosen.items()]})
    study = S.load_study(tmp_path / "out" / "study.json")
    for fig in (pr.draw_learning_curves(study), pr.draw_clipping_ladder(study),
                pr.draw_clipping_curves(study, T=6, lr=0.5)):
        assert len(fig.axes) >= 2
        plt.close(fig)
    fig = pr.draw_learning_curves(study)
    assert pr.draw_learning_curves(study, fig=fig) is fig            # redraws into the same figure
    plt.close(fig)
    html = pr.results_table(study).data
    assert html.count("<tr>") == 1 + len(S.group_runs(study)) and "LSTM" in html
    assert "*" in pr.sweep_table(study, chosen).data


def test_animation_frame_limit():
    html = pr.animation(chunks=[1, 2]).data
    assert "alt=" in html
    with pytest.raises(ValueError, match=r"^frames: expected"):
        pr.animation(chunks=list(range(1, 40)))
