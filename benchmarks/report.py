"""Render results/*.json into the appendix page book/performance.md and its figure.

Runs in the book's environment (.venv) and never re-runs a timing: the page is
rebuilt from the JSON files alone, so the book build stays cheap.  The prose of
the page is the template below; the tables, the figure and the verdicts against
the targets are filled in from the results.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

REPO = common.ROOT.parent
PAGE = REPO / "book" / "performance.md"
FIGURE = REPO / "book" / "figures" / "performance_scaling.png"

PEER_TARGETS = {  # (m, T, n_in, H, n_out): (rnnlib/torch required, rnnlib/jax stretch), issue 14
    (1, 25, 65, 100, 65): (0.35, 1.2),
    (32, 100, 64, 128, 64): (0.7, 1.0),
    (64, 200, 128, 256, 128): (1.0, 1.0),
    (8, 1000, 16, 64, 16): (0.35, 1.0),
}
MATMUL_FRACTION_TARGET = 0.60      # stretch, at the third size
THREAD_RUNS = {1: "peers", 2: "peers_2threads"}
LABELS = {"bptt": "BPTT (δ recursion)", "rtrl": "RTRL (forward mode)",
          "bptt_sum_of_products": "sum of Jacobian products"}


def load(name):
    path = common.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def ms(x: float) -> str:
    v = x * 1e3
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def verdict(value: float, target: float | None, smaller_is_better=True) -> str:
    if target is None:
        return "—"
    ok = value <= target if smaller_is_better else value >= target
    if ok:
        return f"≤ {target:g} ✓" if smaller_is_better else f"≥ {target:g} ✓"
    by = (value / target - 1) * 100 if smaller_is_better else (1 - value / target) * 100
    return f"{target:g}: missed by {by:.0f}%"


def size_label(s: dict) -> str:
    return f"({s['m']}, {s['T']}, {s['n_in']}, {s['H']}, {s['n_out']})"


def machine_section(peers, scaling) -> list[str]:
    src = peers or scaling
    if not src:
        return ["No results yet: run `make bench`.", ""]
    mach = src["machine"]
    lines = [
        "| | |", "|---|---|",
        f"| CPU | {mach['cpu']} ({mach['logical_cpus']} logical CPUs) |",
        f"| memory | {mach.get('memory', '?')} |",
        f"| software | Python {mach['python']}, NumPy {mach['numpy']} ({mach.get('numpy_blas', '?')})"
        + (f", PyTorch {mach['torch']}, JAX {mach['jax']}" if "torch" in mach else "") + " |",
        blas_row(mach),
        f"| threads | {mach['threads']} for every library (the peers are also run with 2, below): "
        + ", ".join(f"`{k}={v}`" for k, v in mach["thread_env"].items() if k.endswith("THREADS"))
        + f", `torch.set_num_threads({mach['threads']})`, XLA `{mach['thread_env'].get('XLA_FLAGS', '')}` |",
        f"| load average (1, 5, 15 min) | at the start {', '.join(f'{x:.1f}' for x in mach['load_average_1_5_15'])}"
        + (f"; at the end {', '.join(f'{x:.1f}' for x in mach['load_average_at_end'])}"
           if "load_average_at_end" in mach else "") + " |",
        f"| run | {src.get('started', '')} at commit `{mach.get('git_commit', '?')}` |",
        "",
    ]
    return lines


def blas_row(mach: dict) -> str:
    pools = mach.get("blas_runtime")
    kernels = (", ".join(f"{p.get('internal_api')} {p.get('version', '')} ({p.get('architecture') or 'n/a'})"
                         for p in pools) if isinstance(pools, list) else "not recorded")
    unset = mach.get("openblas_overrides_unset") or {}
    note = ("; this workplace sets " + ", ".join(f"`{k}={v}`" for k, v in unset.items())
            + " for old OpenBLAS builds, and the benchmarks unset them, as a reader's machine has them unset"
            if unset else "")
    return f"| BLAS kernels at run time | {kernels}{note} |"


def short_size(s: dict) -> str:
    return f"{s['m']}, {s['T']}, {s['n_in']}, {s['H']}, {s['n_out']}"


def mark(value: float, target: float | None) -> str:
    """A ratio with its verdict against an upper target: ✓ met, ✗ missed by so much."""
    if target is None:
        return f"**{value:.2f}**"
    if value <= target:
        return f"**{value:.2f}** (≤ {target:.3g} ✓)"
    return f"**{value:.2f}** (≤ {target:.3g} ✗, +{(value / target - 1) * 100:.0f}%)"


def peers_section(runs) -> list[str]:
    """One block per thread count (``runs``: threads -> the peers results, or None)."""
    lines = []
    for threads, peers in runs.items():
        lines += [f"### {threads} thread{'s' if threads > 1 else ''} per implementation", ""]
        if not peers:
            lines += ["*Not measured in this run.*", ""]
            continue
        load = peers["machine"]
        lines += [f"Load average at the start {', '.join(f'{x:.1f}' for x in load['load_average_1_5_15'])}"
                  + (f", at the end {', '.join(f'{x:.1f}' for x in load['load_average_at_end'])}"
                     if "load_average_at_end" in load else "") + ".", ""]
        lines += peers_table(peers)
    return lines


def peers_table(peers) -> list[str]:
    lines = [
        "Median times in milliseconds, and the ratios of the medians with their targets "
        "(rnnlib/PyTorch required, rnnlib/JAX stretch; ✓ met; ✗ missed, by the percentage shown):",
        "",
        "| m, T, n_in, H, n_out | rnnlib | PyTorch | JAX | rnnlib/torch (target) | rnnlib/JAX (target) |",
        "|---|---|---|---|---|---|",
    ]
    for s in peers["sizes"]:
        key = tuple(s["size"].values())
        t_torch, t_jax = PEER_TARGETS.get(key, (None, None))
        med = [ms(s["time_s"][impl]["median"]) for impl in ("rnnlib", "torch", "jax")]
        r_t, r_j = s["ratio"]["rnnlib/torch"], s["ratio"]["rnnlib/jax"]
        lines.append(
            f"| {short_size(s['size'])} | {' | '.join(med)} "
            f"| {mark(r_t, t_torch)} | {mark(r_j, t_jax)} |")
    lines += [
        "",
        "The spread of the same timings (minimum – maximum, in milliseconds), the ratios of "
        "the minima (the least load-sensitive statistic), JAX's compile time, and the largest "
        "relative difference between a peer's gradient and rnnlib's:",
        "",
        "| m, T, n_in, H, n_out | rnnlib | PyTorch | JAX | ratios of minima (torch, JAX) "
        "| JAX compile | gradient difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in peers["sizes"]:
        spread = [f"{ms(s['time_s'][impl]['min'])} – {ms(s['time_s'][impl]['max'])}"
                  for impl in ("rnnlib", "torch", "jax")]
        agree = max(a["max_rel_error"] for a in s["agreement"].values())
        best = {impl: s["time_s"][impl]["min"] for impl in ("rnnlib", "torch", "jax")}
        lines.append(f"| {short_size(s['size'])} | {' | '.join(spread)} "
                     f"| {best['rnnlib'] / best['torch']:.2f}, {best['rnnlib'] / best['jax']:.2f} "
                     f"| {s['jax_compile_s']:.2f} s | {agree:.1e} |")
    lines.append("")
    for s in peers["sizes"]:
        if "fraction_of_matmul_throughput" in s:
            f = s["fraction_of_matmul_throughput"]
            lines.append(
                f"At ({short_size(s['size'])}), forward + BPTT performs "
                f"{common.flops_forward_backward(tuple(s['size'].values())) / 1e9:.1f} GFLOP of matrix "
                f"products. rnnlib does them at {s['rnnlib_gflops']:.1f} GFLOP/s, against "
                f"{s['matmul_gflops']:.1f} GFLOP/s for a 1024 × 1024 float64 matmul timed in the same "
                f"rounds: **{f * 100:.0f}%** of the machine's throughput (stretch target "
                f"≥ {MATMUL_FRACTION_TARGET * 100:.0f}%{', met' if f >= MATMUL_FRACTION_TARGET else ', missed'}).")
            lines.append("")
    return lines


def elementwise_section(res) -> list[str]:
    if not res:
        return ["*Not measured in this run.*", ""]
    r, simd = res["ns_per_element"], res["simd"]
    return [f"On this machine (NumPy found AVX-512: {'yes' if simd.get('AVX512_SKX') else 'no'}), "
            f"over {res['n']:,} float64 numbers with one thread, `np.tanh` takes "
            f"**{r['tanh']:.2f} ns** per element, `np.exp` {r['exp']:.2f} ns and a multiplication "
            f"{r['multiply']:.2f} ns.", ""]


def overhead_section(res) -> list[str]:
    """The smallest size's per-call cost, split into the argument checks and the rest."""
    o = (res or {}).get("overhead")
    if not o:
        return ["*Not measured in this run.*", ""]
    u = o["us"]
    return [f"  At ({short_size(o['size'])}), one thread, a forward and backward pass took "
            f"{u['forward_and_bptt']:.0f} µs in this run. The argument checks alone take "
            f"{u['forward_checks']:.0f} µs in `forward` and {u['bptt_checks']:.0f} µs in `bptt` "
            f"(`speed_checks.py`), together {u['checks_share'] * 100:.0f}% of the call; the rest is "
            "the recurrence, about three NumPy calls per step in each direction on vectors of "
            "100 numbers, each costing a fixed fraction of a microsecond.", ""]


def scaling_figure(scaling) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from rnnlib.plots.style import COLORS, book_style

    book_style()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.4, 4.4), dpi=100)
    for color, (name, res) in zip(COLORS, scaling["methods"].items()):
        T = np.array([r["T"] for r in res["rows"]])
        best = np.array([r["min"] for r in res["rows"]])
        med = np.array([r["median"] for r in res["rows"]])
        ax1.plot(T, best * 1e3, color=color, marker="o", ms=4,
                 label=f"{LABELS[name]}: slope {res['slope']:.2f}")
        ax1.fill_between(T, best * 1e3, med * 1e3, color=color, alpha=0.2, lw=0)
        ax2.plot(T, [r["peak_bytes"] / 1e6 for r in res["rows"]], color=color, marker="o", ms=4,
                 label=LABELS[name])
    T = np.array(scaling["T"], dtype=float)
    for power, style in ((1, ":"), (2, "--")):
        ref = scaling["methods"]["bptt" if power == 1 else "bptt_sum_of_products"]["rows"][0]["min"] * 1e3
        ax1.plot(T, ref * (T / T[0]) ** power * (0.5 if power == 1 else 2.0), style, color="#808080",
                 lw=1, label=f"∝ T{'²' if power == 2 else ''} (reference)")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
        ax.set_xticks(scaling["T"], [str(t) for t in scaling["T"]])
        ax.minorticks_off()
        ax.grid(True, which="major")
    ax1.set_ylabel("time of the gradient [ms]")
    ax2.set_ylabel("peak extra memory [MB]")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9)
    ax1.set_title(f"time (H = {scaling['H']}, m = {scaling['m']})", fontsize=10)
    ax2.set_title("memory beyond the cache", fontsize=10)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=100)
    plt.close(fig)


def scaling_section(scaling) -> list[str]:
    if not scaling:
        return ["*Not measured in this run.*", ""]
    scaling_figure(scaling)
    methods = scaling["methods"]
    slopes = {k: v["slope"] for k, v in methods.items()}
    alt = ("Two log-log plots against the sequence length T from 10 to 160. Left: time of the "
           f"gradient; BPTT rises with slope {slopes['bptt']:.2f}, RTRL with slope "
           f"{slopes['rtrl']:.2f} but far higher, the sum of Jacobian products with slope "
           f"{slopes['bptt_sum_of_products']:.2f}; grey reference lines have slopes 1 and 2. "
           "Right: peak extra memory; flat for RTRL, growing with T for the sum of products.")
    lines = [
        "```{figure} figures/performance_scaling.png",
        f":alt: {alt}",
        ":name: fig-performance-scaling",
        ":width: 100%",
        "",
        f"Time and peak extra memory of the three exact gradient methods, at m = {scaling['m']}, "
        f"n_in = n_out = {scaling['n_in']}, H = {scaling['H']}. The line is the minimum over the "
        "repeats, the shaded band reaches up to the median. The slope is the least-squares fit of "
        "log(minimum time) against log T; the grey lines show slopes 1 and 2.",
        "```",
        "",
        "Minimum time in ms, with the median in parentheses:",
        "",
        "| T | " + " | ".join(f"{LABELS[k]}" for k in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for i, T in enumerate(scaling["T"]):
        lines.append(f"| {T} | " + " | ".join(
            f"{ms(methods[k]['rows'][i]['min'])} ({ms(methods[k]['rows'][i]['median'])})"
            for k in methods) + " |")
    lines.append("| **fitted slope** | " + " | ".join(
        f"**{methods[k]['slope']:.2f}** (largest three T: {methods[k]['slope_last3']:.2f})"
        for k in methods) + " |")
    sup = str.maketrans({"^": None, "2": "²", "3": "³", "4": "⁴"})
    lines.append("| theory | " + " | ".join(scaling["theory"][k]["time"].replace(" ", "·").translate(sup)
                                             for k in methods) + " |")
    lines.append("")
    lines += affine_fits(scaling)
    errs = scaling["max_rel_error_vs_bptt_at_T_max"]
    lines.append(
        f"At T = {scaling['T'][-1]} the three methods agree to a relative error of at most "
        f"{max(errs.values()):.1e}.")
    lines.append("")
    return lines


def affine_fits(scaling) -> list[str]:
    """Least-squares fits of the minimum time by a + b·T (and + c·T² for the double sum).

    A log-log slope below 1 is what a fixed cost per call does to a linear cost;
    the fit separates the two.
    """
    import numpy as np

    T = np.array(scaling["T"], dtype=float)
    out = ["Fitting the minimum times directly, as a fixed cost per call plus a cost per "
           "step (and, for the double sum, a cost per pair of steps):", ""]
    for name, res in scaling["methods"].items():
        y = np.array([r["min"] for r in res["rows"]])
        cols = [np.ones_like(T), T] + ([T**2] if name == "bptt_sum_of_products" else [])
        A = np.stack(cols, axis=1)
        keep = list(range(len(cols)))
        while True:                    # relative least squares; drop a term that comes out < 0
            coef = np.zeros(len(cols))
            coef[keep] = np.linalg.lstsq(A[:, keep] / y[:, None], np.ones_like(y), rcond=None)[0]
            if (coef[keep] >= 0).all() or len(keep) == 1:
                break
            keep.remove(min(keep, key=lambda j: coef[j]))
        dev = np.max(np.abs(A @ coef - y) / y)
        units = [(1e3, "ms"), (1e6, "µs·T"), (1e6, "µs·T²")]
        terms = " + ".join(f"{coef[j] * units[j][0]:.3g} {units[j][1]}" for j in keep)
        out.append(f"- {LABELS[name]}: time ≈ {terms} (largest deviation from the measured "
                   f"minimum: {dev * 100:.0f}%).")
    out.append("")
    return out


def cost_table(scaling, memory) -> list[str]:
    meas = {}
    if memory:
        for mode in ("default", "lean"):
            r = memory["modes"][mode]
            meas[mode] = (f"{r['ratio_tracemalloc_without_x_copy']:.2f} × h "
                          f"({r['ratio_tracemalloc']:.2f} × h with the copy of X); {r['seconds']:.1f} s")
    if scaling:
        for name in ("rtrl", "bptt_sum_of_products"):
            m = scaling["methods"][name]
            meas[name] = (f"time slope {m['slope']:.2f}; extra memory "
                          f"{m['rows'][0]['peak_bytes'] / 1e6:.2g} MB at T = {scaling['T'][0]}, "
                          f"{m['rows'][-1]['peak_bytes'] / 1e6:.2g} MB at T = {scaling['T'][-1]}")
        b = scaling["methods"]["bptt"]
        meas["bptt_slope"] = f"time slope {b['slope']:.2f}"
    size = size_label(memory["size"]) if memory else "(64, 1000, 128, 256, 128)"
    return [
        f"Costs of one gradient for m sequences of length T with H hidden units (n_in, n_out ≤ H). "
        f"The memory column counts what is kept besides the parameters and the inputs; h alone is "
        f"m·T·H floats. Memory is measured at {size}, the slopes at H = {scaling['H'] if scaling else 32}.",
        "",
        "| method | time (theory) | memory (theory) | measured |",
        "|---|---|---|---|",
        f"| BPTT, default cache | $O(T\\,m\\,H^2)$ | h, o and ∂L/∂o: $T\\,m\\,(H + 2 n_{{out}})$ | "
        f"{meas.get('default', '—')}; {meas.get('bptt_slope', '')} |",
        f"| BPTT, lean cache (`lean=True`) | $O(T\\,m\\,H^2)$, plus the output layer once more | "
        f"h only: $T\\,m\\,H$, plus one block of steps | {meas.get('lean', '—')} |",
        f"| RTRL | $O(T\\,m\\,H^4)$ | $O(m\\,H^3)$ sensitivities, independent of T | {meas.get('rtrl', '—')} |",
        f"| sum of Jacobian products | $O(T^2\\,m\\,H^3)$ | $O(T\\,m\\,H^2)$ for the explicit $J_t$ "
        f"| {meas.get('bptt_sum_of_products', '—')} |",
        "",
    ]


def memory_section(memory) -> list[str]:
    if not memory:
        return ["*Not measured in this run.*", ""]
    hb = memory["h_bytes"]
    lines = [
        f"At {size_label(memory['size'])} the hidden states take m·T·H = "
        f"{hb / 8:,.0f} floats, **{hb / 1e6:.0f} MB**. Peak memory of `forward` + `bptt`, "
        "above what existed before the call (the caller's parameters, X and Y):",
        "",
        "| cache | peak (tracemalloc) | ÷ h with the copy of X (no regression from) "
        "| ÷ h without the copy of X (target) | peak RSS growth ÷ h | time [s] |",
        "|---|---|---|---|---|---|",
    ]
    base = memory.get("baseline_measured") or memory.get("baseline_with_x_copy", {})
    for mode in ("default", "lean"):
        r = memory["modes"][mode]
        lines.append(
            f"| {mode} | {r['tracemalloc_peak_bytes'] / 1e6:.0f} MB | {mark(r['ratio_tracemalloc'], base.get(mode))} "
            f"| {mark(r['ratio_tracemalloc_without_x_copy'], memory['targets'][mode])} "
            f"| {r['ratio_rss']:.2f} | {r['seconds']:.1f} |")
    lines.append("")
    if memory.get("baseline_measured"):
        b, issue = memory["baseline_measured"], memory.get("baseline_with_x_copy", {})
        lines += [
            f"The \"no regression\" column compares with the library as it was before the speed "
            f"work (commit {memory['baseline_commit']}), measured by the same script in the same run: "
            f"{b['default']:.2f} × h (default) and {b['lean']:.2f} × h (lean). Issue 14 quoted "
            f"{issue.get('default', float('nan')):g} and {issue.get('lean', float('nan')):g} from an "
            "earlier measurement; both library versions are now counted alike, with every reusable "
            "work array released before the traced call, so that its allocation is counted.",
            ""]
    return lines


def widgets_section(widgets) -> list[str]:
    if not widgets or not widgets.get("widgets"):
        return ["*No widget was registered when this page was generated.*", ""]
    e2e = (widgets.get("end_to_end") or {}).get("notebooks", {})
    n = {r.get("n") for r in widgets["widgets"].values() if "n" in r}
    count = f"{min(n)}" if len(n) == 1 else f"between {min(n)} and {max(n)}"
    lines = []
    if e2e:
        run = widgets["end_to_end"]
        lines += [f"End to end in JupyterLab: {run_moves(e2e)} moves in all, every control of every "
                  f"widget moved {widgets.get('moves_per_control', '?')} times; load average "
                  f"{', '.join(f'{x:.1f}' for x in run['load_average_before'])} before the run and "
                  f"{', '.join(f'{x:.1f}' for x in run['load_average_after'])} after it. "
                  f"Agg only: each widget redrawn {count} times (every example setting it registers, "
                  "three times). Times in milliseconds:", ""]
    else:
        lines += [f"Each widget was redrawn {count} times (every example setting it registers, "
                  "three times); the end-to-end stage was not run. Times in milliseconds:", ""]
    lines += ["| widget | notebook | end to end: median | min – max (moves) | < 100 ms | Agg only: median | min – max |",
              "|---|---|---|---|---|---|---|"]
    for name, r in sorted(widgets["widgets"].items(), key=lambda kv: kv[1]["notebook"]):
        nb = r["notebook"].removesuffix(".ipynb")
        agg = (f"{ms(r['median'])} | {ms(r['min'])} – {ms(r['max'])}" if "median" in r
               else f"— | not timed: {r['error'] or 'no examples'}")
        runs = e2e.get(r["notebook"], {})
        timed = [w for w in runs.get("widgets", []) if "median" in w]
        if timed:
            w = timed[0]
            end = (f"**{ms(w['median'])}** | {ms(w['min'])} – {ms(w['max'])} ({w['n']}) "
                   f"| {'✓' if w['meets_target'] else '✗'}")
        elif runs.get("errors"):
            end = f"— | not run: the notebook stopped at cell {runs['errors'][0][0]} ({runs['errors'][0][1][:80]}) | —"
        else:
            end = "— | — | —"
        lines.append(f"| `{name}` | {nb} | {end} | {agg} |")
    lines.append("")
    return lines


def run_moves(e2e) -> int:
    return sum(w.get("n", 0) for r in e2e.values() for w in r.get("widgets", []))


def book_section(book) -> list[str]:
    if not book:
        return ["*Not measured in this run.*", ""]
    lines = ["| what | wall time | target |", "|---|---|---|"]
    for name, r in book.get("notebooks", {}).items():
        if "seconds" in r:
            lines.append(f"| execute `{name}` | {r['seconds']:.1f} s | < 30 s {'✓' if r['meets_target'] else '✗'} |")
        else:
            lines.append(f"| execute `{name}` | failed: {r['error']} | < 30 s |")
    if "full_build" in book:
        lines.append(f"| full `make book` (fresh clone) | {book['full_build']['seconds']:.0f} s | — |")
        rb = book["no_change_rebuild"]
        lines.append(f"| no-change rebuild | {rb['seconds']:.1f} s | < 30 s {'✓' if rb['meets_target'] else '✗'} |")
    target = book.get("targets", {}).get("fresh_make_test_s", 360) / 60
    found = False
    for key in ("fresh_make_test", "fresh_make_test_git_clone"):
        ft = book.get(key)
        if not ft:
            continue
        found = True
        if "stages" not in ft:            # an older, single-number measurement
            lines.append(f"| `make test` from a fresh clone, before issue 14 (an older, single "
                         f"measurement, with the JupyterLab-free suite of that time) | {ft['seconds'] / 60:.1f} min | — |")
            continue
        lines.append(f"| `make test` from a fresh copy ({ft['source']}), without the JupyterLab stage "
                     f"| **{ft['seconds'] / 60:.1f} min** | < {target:g} min {'✓' if ft['meets_target'] else '✗'}"
                     f"{'' if ft['all_passed'] else ' (a stage failed: see below)'} |")
        for stage, r in ft["stages"].items():
            note = " (not counted)" if stage in ft["not_counted"] else ""
            status = "" if r["returncode"] == 0 else f", exit {r['returncode']}"
            lines.append(f"| &nbsp;&nbsp; `make {stage}`{note} | {r['seconds']:.0f} s{status} | |")
    if not found:
        lines.append("| `make test` from a fresh clone | not measured by `make bench` "
                     "(run `python benchmarks/book_cost.py --fresh-make-test`) | < 6 min |")
    lines.append("")
    return lines


def targets_section(runs, memory, widgets, book) -> list[str]:
    """Issue 14's targets, each with the measured value and ✓ (met) or ✗ (missed)."""
    rows = []

    def row(what, value, target, ok):
        rows.append(f"| {what} | {value} | {target} | {'✓' if ok else '✗'} |")

    e2e = (widgets or {}).get("end_to_end", {}).get("notebooks", {})
    for nb, r in sorted(e2e.items()):
        for w in r.get("widgets", []):
            if "median" in w:
                row(f"widget of {nb.removesuffix('.ipynb')}, end to end (median)", f"{ms(w['median'])} ms",
                    "< 100 ms", w["meets_target"])
        if r.get("errors"):
            rows.append(f"| widget of {nb.removesuffix('.ipynb')} | not measured: the notebook stopped at cell "
                        f"{r['errors'][0][0]} | < 100 ms | — |")
    for threads, peers in runs.items():
        for s in (peers or {}).get("sizes", []):
            key = tuple(s["size"].values())
            t_torch, t_jax = PEER_TARGETS.get(key, (None, None))
            r = s["ratio"]["rnnlib/torch"]
            row(f"rnnlib/PyTorch at ({short_size(s['size'])}), {threads} thread{'s' if threads > 1 else ''}",
                f"{r:.2f}", f"≤ {t_torch:g}", r <= t_torch)
    for threads, peers in runs.items():
        for s in (peers or {}).get("sizes", []):
            key = tuple(s["size"].values())
            t_jax = PEER_TARGETS.get(key, (None, None))[1]
            r = s["ratio"]["rnnlib/jax"]
            row(f"stretch: rnnlib/JAX at ({short_size(s['size'])}), {threads} thread{'s' if threads > 1 else ''}",
                f"{r:.2f}", f"≤ {t_jax:g}", r <= t_jax)
            if threads == 1 and "fraction_of_matmul_throughput" in s:
                f = s["fraction_of_matmul_throughput"]
                row(f"stretch: share of the float64 matmul throughput at ({short_size(s['size'])})",
                    f"{f * 100:.0f}%", f"≥ {MATMUL_FRACTION_TARGET * 100:.0f}%", f >= MATMUL_FRACTION_TARGET)
    if memory:
        measured = memory.get("baseline_measured")
        for mode, issue_figure in memory.get("baseline_with_x_copy", {}).items():
            v = memory["modes"][mode]["ratio_tracemalloc"]
            if measured:           # the library before the speed work, measured in this run
                base = measured[mode]
                required = f"≤ {base:.2f} (no regression; {memory['baseline_commit']} in this run)"
            else:                  # not measurable outside a git checkout: the issue's figure
                base, required = issue_figure, f"≤ {issue_figure:g} (no regression)"
            row(f"peak memory of forward + bptt ÷ h, {mode} cache, with the copy of X", f"{v:.2f}",
                required, v <= base + 0.005)
    for key in ("fresh_make_test", "fresh_make_test_git_clone"):
        ft = (book or {}).get(key)
        if ft and "stages" in ft:
            row(f"`make test` from a fresh copy ({ft['source']}), without the JupyterLab stage",
                f"{ft['seconds'] / 60:.1f} min", "< 6 min", ft["meets_target"] and ft["all_passed"])
    if not rows:
        return ["*No results yet: run `make bench`.*", ""]
    met = sum(r.endswith("✓ |") for r in rows)
    missed = sum(r.endswith("✗ |") for r in rows)
    return [f"{met} targets met and {missed} missed in this run.", "",
            "| target | measured | required | |", "|---|---|---|---|", *rows, ""]


TEMPLATE = open(Path(__file__).resolve().parent / "performance_template.md").read


def main():
    peers, scaling, memory = load("peers"), load("scaling"), load("memory")
    widgets, book, elementwise = load("widgets"), load("book_cost"), load("elementwise")
    parts = {
        "MACHINE": machine_section(peers, scaling),
        "PEERS": peers_section({t: load(name) for t, name in THREAD_RUNS.items()}),
        "ELEMENTWISE": elementwise_section(elementwise),
        "TARGETS": targets_section({t: load(name) for t, name in THREAD_RUNS.items()}, memory, widgets, book),
        "SCALING": scaling_section(scaling),
        "MEMORY": memory_section(memory),
        "OVERHEAD": overhead_section(load("elementwise")),
        "COSTS": cost_table(scaling, memory),
        "WIDGETS": widgets_section(widgets),
        "BOOK": book_section(book),
    }
    text = TEMPLATE()
    for key, lines in parts.items():
        text = text.replace("{{" + key + "}}", "\n".join(lines).rstrip() + "\n")
    PAGE.write_text(text)
    print("wrote", PAGE, "and", FIGURE)


if __name__ == "__main__":
    main()
