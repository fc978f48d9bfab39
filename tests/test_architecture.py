"""The library's layers (CONTRIBUTING.md, "Architecture"): what imports what, and how it installs.

* ``import rnnlib`` imports neither matplotlib, sympy nor ipywidgets;
* the numeric layer works, and its tests pass, with matplotlib unavailable;
* every public function that takes a cache gives the same result for a lean cache;
* a non-editable install (a wheel) contains every subpackage and the saved results.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import rnnlib
from problems import make_problem, vanilla_cache_calls
from rnnlib import signals

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "sympy", "ipywidgets", "IPython")


def _run(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, **kw)


def test_import_rnnlib_is_light():
    r = _run(f"""
        import sys
        import rnnlib, rnnlib.lstm, rnnlib.gru, rnnlib.training, rnnlib.problems, rnnlib.exercises
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(heavy)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def _blocked(tmp_path, names):
    """A folder of stand-in packages that refuse to import, to put first on PYTHONPATH."""
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked for this test')\n")
    return str(tmp_path)


NUMERIC_TESTS = sorted(p.name for p in (ROOT / "tests").glob("test_*.py")
                       if not p.name.startswith(("test_plots", "test_widget", "test_architecture",
                                                 "test_symbolic")))


def test_numeric_tests_pass_without_matplotlib(tmp_path):
    env = {"PYTHONPATH": _blocked(tmp_path, ["matplotlib", "ipywidgets"]), "PATH": "/usr/bin:/bin",
           "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                        *[f"tests/{name}" for name in NUMERIC_TESTS]],
                       cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout


# --------------------------------------------------------------------------- lean caches
def _problem():
    params, X, Y, h0, mask = make_problem(T=5, m=2, n_in=3, H=4, n_out=3, seed=11, with_h0=True,
                                          with_mask=True)
    _, full = rnnlib.forward(params, X, Y, h0=h0, loss_mask=mask)
    _, lean = rnnlib.forward(params, X, Y, h0=h0, loss_mask=mask, lean=True)
    assert full.dO is not None and lean.dO is None
    return params, full, lean


#: Every public function of the vanilla RNN that takes a cache, as ``f(params, cache)``:
#: the list of tests/test_contract.py (which checks that it is complete), except
#: check_cache, which returns the cache itself.
CACHE_FUNCTIONS = {name: f for name, f in vanilla_cache_calls(T=5, m=2, H=4).items()
                   if name != "rnn.check_cache"}


@pytest.mark.parametrize("name", sorted(CACHE_FUNCTIONS))
def test_every_cache_function_works_on_a_lean_cache(name):
    params, full, lean = _problem()
    f = CACHE_FUNCTIONS[name]
    a, b = f(params, full), f(params, lean)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_allclose(b[k], a[k], rtol=1e-12, atol=1e-15, err_msg=k)
    else:
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_a_cache_of_other_sizes_is_refused_by_name():
    params, full, _ = _problem()
    other = rnnlib.init_params(3, 5, 3)
    for f in (rnnlib.bptt, rnnlib.rtrl, signals.error_signals, lambda p, c: rnnlib.jacobian(p, c, 1)):
        with pytest.raises(ValueError, match=r"^cache: expected"):
            f(other, full)


# --------------------------------------------------------------------------- packaging
def test_a_wheel_contains_every_subpackage_and_the_results(tmp_path):
    src = tmp_path / "src"                      # build from a copy: nothing is written into the repository
    shutil.copytree(ROOT / "rnnlib", src / "rnnlib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", src / "pyproject.toml")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--quiet", "-w", str(tmp_path), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("rnnlib-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(str(p.parent.relative_to(ROOT)) for p in (ROOT / "rnnlib").rglob("__init__.py"))
    for pkg in packages:
        assert f"{pkg}/__init__.py" in names, pkg
    assert {"rnnlib/training/results/study.json", "rnnlib/training/results/sweep.json"} <= names
    assert any(n.startswith("rnnlib/training/results/curves/") for n in names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    r = _run(f"""
        import sys, importlib, pkgutil
        sys.path.insert(0, {str(target)!r})
        import rnnlib
        assert rnnlib.__file__.startswith({str(target)!r}), rnnlib.__file__
        for mod in pkgutil.walk_packages(rnnlib.__path__, "rnnlib."):
            importlib.import_module(mod.name)
        from rnnlib.training import load_results
        print(len(load_results()["runs"]))
    """)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) >= 1
