"""Chapter 9: clipping, the two truncations, and the training experiment.

Every function returns a matplotlib figure (or an animation) of numbers from the
layers below — :func:`rnnlib.clip_by_norm`, :func:`rnnlib.clip_by_value`,
:mod:`rnnlib.truncation`, :mod:`rnnlib.terms` and :mod:`rnnlib.training`;
nothing is computed here.  :func:`widget` (the two truncation windows) is the
live widget and :func:`animation` its kernel-free counterpart.
"""
from __future__ import annotations

import functools

import numpy as np

from ..clipping import clip_by_norm, clip_by_value
from ..problems import scaled_problem
from ..terms import term_tensor
from ..truncation import (
    RECURRENT_KEYS,
    kept_by_chunks,
    kept_by_truncation,
    norm_clipping_cosines,
    truncation_cosine,
    value_clipping_cosines,
    window_cosines,
)
from .style import (COLORS, GREY, jshtml_animation, keep, live, log_heatmap_data, parts, plain_log_ticks,
                    pyplot)

__all__ = ["clipping_figure", "truncation_bias_figure", "draw_windows", "widget", "animation",
           "WINDOW_T", "draw_learning_curves", "draw_clipping_ladder", "draw_clipping_curves",
           "results_table", "sweep_table"]

#: Sequence length of the window widget and its animation.
WINDOW_T = 12


def clipping_figure(grads: dict, fractions=None):
    """Two panels: a 2-D gradient clipped both ways, and cos(g, clipped g) against the threshold.

    ``grads`` is a real gradient dict (e.g. from :func:`rnnlib.bptt`); the
    threshold of value clipping is swept as a fraction of max|g|, that of norm
    clipping as the same fraction of ‖g‖₂.
    """
    plt = pyplot()
    fractions = np.geomspace(1e-3, 1.0, 40) if fractions is None else np.asarray(fractions)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.5, 3.9), gridspec_kw={"width_ratios": [1, 1.4]})
    g = {"g": np.array([3.0, 0.8])}
    c = 1.0
    by_norm, _ = clip_by_norm(g, c)
    by_value = clip_by_value(g, c)
    ax.add_patch(plt.Rectangle((-c, -c), 2 * c, 2 * c, fill=False, ls=":", ec=COLORS[3]))
    ax.add_patch(plt.Circle((0, 0), c, fill=False, ls="--", ec=COLORS[0]))
    for vec, col, lab in [(g["g"], "#808080", "g"), (by_norm["g"], COLORS[0], "norm-clipped, c = 1"),
                          (by_value["g"], COLORS[3], "value-clipped, c = 1")]:
        ax.annotate("", xy=vec, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=col, lw=2))
        ax.plot([], [], color=col, lw=2, label=lab)
    ax.set_xlim(-1.3, 3.3)
    ax.set_ylim(-1.3, 1.6)
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    ax.set_title("a two-entry gradient")
    ax.grid(True)
    cos_value = value_clipping_cosines(grads, fractions)
    cos_norm = norm_clipping_cosines(grads, fractions)
    ax2.semilogx(fractions, cos_norm, "-", color=COLORS[0], label="norm clipping (c = fraction × ‖g‖₂)")
    ax2.semilogx(fractions, cos_value, "-", color=COLORS[3], label="value clipping (c = fraction × max|g|)")
    ax2.set_xlabel("threshold as a fraction of ‖g‖₂ or of max|g|")
    ax2.set_ylabel("cos(g, clipped g)")
    ax2.set_title("an RNN gradient")
    ax2.legend(loc="lower right")
    ax2.grid(True)
    fig.tight_layout()
    return fig


def truncation_bias_figure(scales=(0.6, 1.0, 1.5, 3.0), T: int = 40, *, seed: int = 0):
    """cos(full gradient, truncate=τ gradient) against τ, one curve per ‖W_hh‖₂ = scale.

    The problems are :func:`rnnlib.problems.scaled_problem` (tanh, losses at
    every step); the cosine is over the recurrent weights W_xh, W_hh, b_h.
    """
    plt = pyplot()
    taus = np.arange(0, T)
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    for scale in scales:
        params, cache = scaled_problem(T, scale=scale, seed=seed)
        ax.plot(taus, truncation_cosine(params, cache, taus), "o-", ms=2.5,
                label=f"$\\|W_{{hh}}\\|_2$ = {scale:g}")
    ax.set_xlabel("τ (Jacobian factors each loss may cross)")
    ax.set_ylabel("cos(full, truncated)")
    ax.set_title(f"truncation bias, T = {T}, tanh")
    ax.grid(True)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


@functools.lru_cache(maxsize=8)
def _window_problem(scale):
    """The widget's problem and its (t, k) terms, cached: a redraw only re-plots."""
    params, cache = scaled_problem(WINDOW_T, scale=scale, seed=0)
    terms = {k: term_tensor(params, cache, k) for k in RECURRENT_KEYS}
    return params, cache, terms


def _render_windows(fig, tau, chunk, scale):
    """Draw the two panels of :func:`draw_windows` into ``fig``.  A figure this
    function drew before is updated in place (image data, chunk borders,
    titles); any other figure is cleared and drawn anew."""
    params, cache, terms = _window_problem(float(scale))
    T = cache.T
    C = np.sqrt((terms["W_hh"].reshape(T, T, -1) ** 2).sum(axis=-1))
    cos_tau, cos_chunk = window_cosines(params, cache, tau, chunk, terms=terms)
    logC, vmax = log_heatmap_data(C)
    lower = np.tril(np.ones((T, T), bool))
    stored = parts(fig, ("windows", T))
    if stored is None:
        fig.clear()
        axes = fig.subplots(1, 2)
        stored = keep(fig, ("windows", T), axes=axes, kept=[], dropped=[], borders=[])
        for ax in axes:
            stored["kept"].append(ax.imshow(np.full((T, T), np.nan), origin="upper", cmap="viridis",
                                           vmin=vmax - 8, vmax=vmax, extent=(0.5, T + 0.5, T + 0.5, 0.5)))
            stored["dropped"].append(ax.imshow(np.full((T, T), np.nan), origin="upper", cmap="Greys",
                                              vmin=0, vmax=2.5, alpha=0.6,
                                              extent=(0.5, T + 0.5, T + 0.5, 0.5)))
            ax.set_xlabel("$k$ (step of the immediate partial)")
            ax.set_ylabel("$t$ (loss $L_t$)")
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84, wspace=0.3)
    axes = stored["axes"]
    titles = [f"truncate = {tau}: cos = {cos_tau:.4f}", f"chunks of K = {chunk}: cos = {cos_chunk:.4f}"]
    masks = [kept_by_truncation(T, tau), kept_by_chunks(T, chunk)]
    for ax, kept, dropped, title, mask in zip(axes, stored["kept"], stored["dropped"], titles, masks):
        kept.set_data(np.where(mask, logC, np.nan))
        kept.set_clim(vmax - 8, vmax)
        dropped.set_data(np.where(lower & ~mask, 1.0, np.nan))
        ax.set_title(title)
    for line in stored["borders"]:                       # the chunk borders depend on K
        line.remove()
    stored["borders"] = []
    if chunk < T:
        for b in range(chunk, T, chunk):
            stored["borders"] += [axes[1].axhline(b + 0.5, color="#808080", lw=0.8),
                                 axes[1].axvline(b + 0.5, color="#808080", lw=0.8)]
    fig.suptitle(r"terms of $\partial L/\partial W_{hh}$ kept (colour: $\log_{10}$ norm) and dropped (grey); "
                 + rf"$T = {T}$, $\|W_{{hh}}\|_2 = {scale:g}$")
    return fig


def draw_windows(tau: int = 3, chunk: int = 4, scale: float = 1.5, fig=None):
    """Widget figure: the (t, k) terms kept by ``truncate=τ`` and by chunks of K steps.

    Pass a figure this function returned as ``fig`` to redraw it for other
    values (what a slider move does); it is then updated in place."""
    if fig is None:
        fig = pyplot().figure(figsize=(8.5, 4.2))
    return _render_windows(fig, tau, chunk, scale)


def widget():
    """The live widget of chapter 9: τ, the chunk length K and ‖W_hh‖₂ redraw :func:`draw_windows`."""
    import ipywidgets as widgets

    controls = {
        "tau": widgets.IntSlider(value=3, min=0, max=WINDOW_T - 1, description="τ"),
        "chunk": widgets.IntSlider(value=4, min=1, max=WINDOW_T, description="K"),
        "scale": widgets.Dropdown(options=[0.6, 1.0, 1.5, 3.0], value=1.5, description="‖W_hh‖₂"),
    }
    return live("ch09-truncation-windows", draw_windows, controls,
                examples=[{"tau": 3, "chunk": 4, "scale": 1.5}, {"tau": 0, "chunk": 12, "scale": 0.6}])


def animation(scale: float = 1.5, chunks=(1, 2, 4, 8, 12)):
    """Animation sweeping K = τ + 1 (same longest lag for both truncations)."""
    plt = pyplot()
    chunks = list(chunks)
    fig = plt.figure(figsize=(8.5, 4.2))
    return jshtml_animation(
        fig, lambda K: _render_windows(fig, K - 1, K, scale), chunks,
        alt=("Two heat maps of the terms of the BPTT double sum on the (t, k) grid, coloured by "
             "log10 norm where a truncation keeps a term and grey where it drops it: a diagonal band "
             "for truncate = tau, square blocks for chunks of K steps; the titles give the cosine "
             "with the full gradient."),
        caption=f"Swept parameter: the chunk length K = {', '.join(map(str, chunks))}, with τ = K − 1")


# --------------------------------------------------------------------------- the seeded study
def _model_colour(key):
    from ..training.study import MODELS

    return COLORS[list(MODELS).index(key) % len(COLORS)]


def _reference_lines(ax, study):
    ax.axhline(study["baseline_mse"], color=GREY, ls="--", lw=1, label="predict 1 (baseline 1/6)")
    ax.axhline(study["learned_threshold_mse"], color=GREY, ls=":", lw=1, label="'learned' threshold")


def _band(ax, steps, med, lo, hi, colour, label):
    ax.fill_between(steps, lo, hi, color=colour, alpha=0.18, lw=0)
    ax.plot(steps, med, color=colour, lw=1.6, label=label)


def _study_figure(fig, nrows, ncols, height, **kw):
    """A figure of the book's full width (or ``fig`` cleared) with an nrows × ncols grid."""
    from .style import MAX_WIDTH_IN

    if fig is None:
        fig = pyplot().figure(figsize=(MAX_WIDTH_IN, height))
    else:
        fig.clear()
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def _legend_below(fig, ax, ncol, legend_in):
    """One legend for the whole figure, under the panels, in ``legend_in`` inches."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol)
    fig.tight_layout(rect=(0, legend_in / fig.get_figheight(), 1, 1))


def draw_learning_curves(study: dict, *, Ts=None, optimizers=("sgd-clip", "adam"), top: float = 1e3,
                         fig=None):
    """Test MSE against step for every model: median over the seeds (line) and
    min–max band, on a log scale, one panel per T (rows) and optimizer (columns),
    with the baseline and the 'learned' threshold.  Each model is shown at the
    learning rate the sweep chose for it (``study["chosen_learning_rates"]``).
    The y-axis is cut at ``top``."""
    from ..training.study import OPTIMIZERS, chosen_of, curve_band

    chosen = chosen_of(study)
    Ts = sorted({r["T"] for r in study["runs"]}) if Ts is None else list(Ts)
    models = list(study["models"])
    fig, axes = _study_figure(fig, len(Ts), len(optimizers), 3.0 * len(Ts) + 1.5, sharex=True, sharey=True)
    short = {"sgd-clip": "clipped SGD", "sgd": "SGD", "adam": "Adam"}
    for i, T in enumerate(Ts):
        for j, opt in enumerate(optimizers):
            ax = axes[i, j]
            for m in models:
                if (m, T, opt) in chosen:
                    steps, med, lo, hi, _ = curve_band(study, m, T, opt, lr=chosen[(m, T, opt)])
                    _band(ax, steps, med, lo, hi, _model_colour(m), study["models"][m])
            _reference_lines(ax, study)
            ax.set_yscale("log")
            ax.set_ylim(top=top)
            ax.set_title(f"T = {T}, {short.get(opt, OPTIMIZERS[opt][0])}")
            ax.grid(True)
            if i == len(Ts) - 1:
                ax.set_xlabel("optimizer step")
            if j == 0:
                ax.set_ylabel("test MSE")
    _legend_below(fig, axes[0, 0], 2, 1.5)
    return fig


def _spread(values, top):
    """Values as an array, capped at ``top`` (a diverged run, +∞, is drawn at the top edge)."""
    return np.minimum(np.asarray(values, dtype=float), top)


def draw_clipping_ladder(study: dict, model: str = "tanh", fig=None):
    """For SGD with and without clipping at every learning rate of the clipping
    ladder: the final test MSE (median, min–max bar; a diverged seed counts as
    +∞ and is drawn at the top edge) and the number of seeds with loss spikes
    or a divergence, one column per T."""
    from matplotlib.ticker import NullLocator

    from ..training.study import table_rows

    rows = [r for r in table_rows(study) if r["model"] == model and r["optimizer"] in ("sgd", "sgd-clip")]
    Ts = sorted({r["T"] for r in rows})
    fig, axes = _study_figure(fig, 2, len(Ts), 7.0, sharex=True)
    top = 10.0
    for j, T in enumerate(Ts):
        ax, ax2 = axes[0, j], axes[1, j]
        for k, (opt, col, name) in enumerate((("sgd-clip", COLORS[0], "clipped"),
                                              ("sgd", COLORS[3], "not clipped"))):
            rs = sorted((r for r in rows if r["T"] == T and r["optimizer"] == opt), key=lambda r: r["lr"])
            lr = np.array([r["lr"] for r in rs]) * (0.9 if k == 0 else 1.1)     # side by side
            med, lo, hi = (_spread([r[key] for r in rs], top) for key in ("median", "lo", "hi"))
            ax.errorbar(lr, med, yerr=[med - lo, hi - med], fmt="o-", color=col, ms=5, capsize=3,
                        label=f"{name}: final test MSE")
            ax2.bar(lr, [r["spike_runs"] for r in rs], width=0.15 * lr, color=col, alpha=0.8,
                    label=f"{name}: seeds with loss spikes")
            div = np.array([r["diverged"] for r in rs], dtype=float)
            ax2.plot(lr, np.where(div > 0, div, np.nan), "x", color=col, ms=9, mew=2.5,
                     label=f"{name}: seeds that diverged")
        _reference_lines(ax, study)
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_ylim(top=top * 1.5)
        ax.set_title(f"T = {T}, SGD with momentum")
        ax.grid(True)
        rates = sorted({r["lr"] for r in rows if r["T"] == T})
        ax2.set_xticks(rates, [f"{lr:g}" for lr in rates])
        ax2.xaxis.set_minor_locator(NullLocator())
        ax2.set_xlabel("learning rate η")
        ax2.set_ylim(0, max(r["seeds"] for r in rows) + 0.5)
        ax2.grid(True)
        if j == 0:
            ax.set_ylabel("final test MSE")
            ax2.set_ylabel("seeds")
    handles, labels = [], []
    for a in (axes[0, 0], axes[1, 0]):
        h, lab = a.get_legend_handles_labels()
        handles, labels = handles + h, labels + lab
    fig.legend(handles, labels, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 1.6 / fig.get_figheight(), 1, 1))
    return fig


def draw_clipping_curves(study: dict, *, model: str = "tanh", T: int = 150, lr: float = 0.1, fig=None):
    """Training curves of SGD with and without clipping at one learning rate:
    the largest training MSE in each block of steps (where a spike shows) and
    the largest gradient norm before clipping, median and min–max over the seeds."""
    from ..training.study import curve_band

    fig, axes = _study_figure(fig, 1, 2, 4.2)
    ax, ax2 = axes[0]
    for opt, col, name in (("sgd-clip", COLORS[0], "clipped"), ("sgd", COLORS[3], "not clipped")):
        for a, key in ((ax, "train_mse_max"), (ax2, "grad_norm_max")):
            steps, med, lo, hi, _ = curve_band(study, model, T, opt, key=key, lr=lr)
            _band(a, steps, med, lo, hi, col, f"SGD + momentum, {name}")
    ax2.axhline(study["settings"]["clip_norm"], color=GREY, ls="--", lw=1,
                label=f"c = {study['settings']['clip_norm']:g}")
    for a, ylabel in ((ax, "largest training MSE"), (ax2, "largest ‖∂L/∂θ‖₂")):
        a.set_yscale("log")
        plain_log_ticks(a, numticks=5)
        a.set_xlabel("optimizer step")
        a.set_ylabel(ylabel)
        a.grid(True)
    ax.set_title(f"T = {T}, η = {lr:g}")
    ax2.set_title("per block of steps")
    _legend_below(fig, ax2, 3, 0.6)
    return fig


def _mse(v):
    return "diverged" if not np.isfinite(v) else f"{v:.3g}"


def results_table(study: dict, *, chosen_only: bool = False, models=None, optimizers=None):
    """The results table (HTML): one row per model × T × optimizer × learning rate,
    with the final test MSE (median and min–max over the seeds), the fraction of
    seeds that learned, diverged seeds, the median fraction of clipped steps and
    the loss spikes.  ``chosen_only`` keeps the rates the sweep chose; ``models``
    and ``optimizers`` keep only those."""
    from ..training.study import OPTIMIZERS, table_rows
    from .style import table

    rows = [r for r in table_rows(study, chosen_only=chosen_only)
            if (optimizers is None or r["optimizer"] in optimizers)
            and (models is None or r["model"] in models)]
    header = ["model", "T", "optimizer", "η", "final test MSE, median", "min – max",
              "learned", "diverged", "clipped steps", "loss spikes"]
    body = [[study["models"][r["model"]], r["T"], OPTIMIZERS[r["optimizer"]][0], f"{r['lr']:g}",
             _mse(r["median"]), f"{_mse(r['lo'])} – {_mse(r['hi'])}",
             f"{round(r['learned'] * r['seeds'])}/{r['seeds']}", f"{r['diverged']}/{r['seeds']}",
             f"{r['clipped']:.1%}", r["spikes"]] for r in rows]
    return table(header, body)


def sweep_table(sweep: dict, chosen: dict):
    """The learning-rate sweep (HTML): the median final test MSE of each model, T and
    optimizer at every rate, the chosen rate marked with an asterisk."""
    from ..training.study import OPTIMIZERS, table_rows
    from .style import table

    rows = table_rows(sweep)
    lrs = {opt: sorted({r["lr"] for r in rows if r["optimizer"] == opt}) for opt in OPTIMIZERS}
    header = ["model", "T", "optimizer", "median final test MSE at each η (* the rate chosen)"]
    body = []
    by = {(r["model"], r["T"], r["optimizer"], r["lr"]): r for r in rows}
    for (m, T, opt) in dict.fromkeys((r["model"], r["T"], r["optimizer"]) for r in rows):
        cells = []
        for lr in lrs[opt]:
            r = by.get((m, T, opt, lr))
            mark = "*" if chosen.get((m, T, opt)) == lr else ""
            cells.append(f"{lr:g}: {_mse(r['median'])}{mark}" if r else f"{lr:g}: –")
        body.append([sweep["models"][m], T, OPTIMIZERS[opt][0], ";  ".join(cells)])
    return table(header, body)
