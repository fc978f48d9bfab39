"""The two pinned requirements files, as one lock: write them from .venv, or check them.

    python tools/lock.py           # rewrite requirements.txt and requirements-dev.txt from .venv
    python tools/lock.py --check   # exit 1 unless both files are one consistent lock

* ``requirements.txt`` is the readers' environment, which Binder installs: what the
  chapter notebooks import (numpy, sympy, matplotlib, ipywidgets, tqdm, myst-nb for
  ``glue``), JupyterLab and a kernel, with everything they depend on, each pinned
  with ``==``, and ``-e .`` (rnnlib) last.
* ``requirements-dev.txt`` adds the tools that build and test the book (Jupyter
  Book and its Sphinx extensions, pytest, nbval, Playwright, axe, coverage,
  hypothesis, check-jsonschema …), pinned with ``==``.  It begins with
  ``-r requirements.txt``, so ``pip install -r requirements-dev.txt`` (what ``make``
  does) resolves both files together, and no package is pinned twice.

``--check`` verifies offline that the two files form one lock: every pin is
``==``, no package is pinned in both, every dependency (markers evaluated for this
Python) of every pinned package is itself pinned, in ``requirements.txt`` for the
readers' packages (Binder installs that file alone), and each pin satisfies every
specifier that the other pinned packages put on it.  The dependencies are read from
the installed distributions, so ``.venv`` must match the pins (``make venv``).
"""
from __future__ import annotations

import importlib.metadata as md
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
READERS_FILE = ROOT / "requirements.txt"
DEV_FILE = ROOT / "requirements-dev.txt"

#: What the chapter notebooks import, and what runs them in Binder or local Jupyter.
READER_ROOTS = ["numpy", "sympy", "matplotlib", "ipywidgets", "tqdm", "myst-nb", "ipython",
                "ipykernel", "jupyterlab", "nbformat"]
#: What builds the website and runs ``make test``.
DEV_ROOTS = ["jupyter-book", "sphinx-exercise", "pytest", "pytest-xdist", "nbval", "nbclient",
             "nbconvert", "jupyter-cache", "playwright", "axe-playwright-python", "hypothesis",
             "coverage", "check-jsonschema"]
#: Installed with every virtual environment; never pinned.
UNPINNED = {"pip", "setuptools", "wheel", "rnnlib"}

READERS_HEADER = """\
# The readers' environment: what the chapter notebooks import (numpy, sympy, matplotlib,
# ipywidgets, tqdm, myst-nb for glue), JupyterLab and a kernel, every dependency pinned.
# Binder (repo2docker) installs this file with runtime.txt; `make` installs it through
# requirements-dev.txt.  One lock with requirements-dev.txt: regenerate both with
# `make freeze` (tools/lock.py), check with `python tools/lock.py --check`.
"""
DEV_HEADER = """\
# Tools that build and test the book, pinned, on top of the readers' environment:
# Jupyter Book and its Sphinx extensions, pytest, nbval, Playwright, axe, coverage,
# hypothesis, check-jsonschema.  `make test` installs this file; the -r line below makes
# pip resolve both files together.  Regenerate with `make freeze` (tools/lock.py).
-r requirements.txt
"""


def _dependencies(name: str, extras=()) -> list[Requirement]:
    """The requirements of the installed distribution ``name`` that apply here."""
    out = []
    for text in md.distribution(name).requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (extras or ("",))):
            out.append(req)
    return out


def closure(roots) -> set[str]:
    """Canonical names of ``roots`` and everything they need, from the installed metadata."""
    seen: dict[str, set] = {}
    stack = [(r, ()) for r in roots]
    while stack:
        name, extras = stack.pop()
        key = canonicalize_name(name)
        if key in seen and set(extras) <= seen[key]:
            continue
        seen.setdefault(key, set()).update(extras)
        stack += [(r.name, tuple(r.extras)) for r in _dependencies(name, extras)]
    return set(seen) - UNPINNED


def read_pins(path: Path) -> dict[str, tuple[str, str]]:
    """``canonical name -> (name as written, version)`` of the ``name==version`` lines."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if not m:
            raise ValueError(f"{path.name}: expected name==version, got {line!r}")
        pins[canonicalize_name(m.group(1))] = (m.group(1), m.group(2))
    return pins


def write() -> None:
    readers = closure(READER_ROOTS)
    dev = closure(DEV_ROOTS) - readers

    def line(key):
        dist = md.distribution(key)
        return f"{dist.metadata['Name']}=={dist.version}"

    READERS_FILE.write_text(READERS_HEADER + "\n".join(sorted((line(k) for k in readers), key=str.lower))
                            + "\n-e .\n")
    DEV_FILE.write_text(DEV_HEADER + "\n".join(sorted((line(k) for k in dev), key=str.lower)) + "\n")
    print(f"lock: {READERS_FILE.name} {len(readers)} pins, {DEV_FILE.name} {len(dev)} pins")


def problems() -> list[str]:
    """Everything that keeps the two files from being one consistent lock (empty when fine)."""
    out = []
    readers_text = READERS_FILE.read_text()
    if readers_text.strip().splitlines()[-1].strip() != "-e .":
        out.append("requirements.txt: the last line must be '-e .' (rnnlib itself)")
    if "-r requirements.txt" not in DEV_FILE.read_text().splitlines():
        out.append("requirements-dev.txt: must include '-r requirements.txt' (one resolution)")
    readers, dev = read_pins(READERS_FILE), read_pins(DEV_FILE)
    both = sorted(set(readers) & set(dev))
    if both:
        out.append(f"pinned in both files: {both}")
    union = {**readers, **dev}
    for key, (name, version) in sorted(union.items()):
        try:
            installed = md.version(key)
        except md.PackageNotFoundError:
            out.append(f"{name}=={version} is pinned but not installed in this environment")
            continue
        if Version(installed) != Version(version):
            out.append(f"{name}: pinned {version}, installed {installed} (run make venv)")
            continue
        for req in _dependencies(key):
            dep = canonicalize_name(req.name)
            if dep in UNPINNED:
                continue
            home = readers if key in readers else union
            if dep not in home:
                where = "requirements.txt" if key in readers else "either file"
                out.append(f"{name} needs {req.name}, which is not pinned in {where}")
            elif req.specifier and not req.specifier.contains(home[dep][1], prereleases=True):
                out.append(f"{name} needs {req}, but {home[dep][0]}=={home[dep][1]} is pinned")
    missing = sorted(closure(READER_ROOTS) - set(readers))
    if missing:
        out.append(f"the notebooks need {missing}, missing from requirements.txt")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        found = problems()
        for p in found:
            print(f"lock: {p}")
        if not found:
            print("lock: requirements.txt and requirements-dev.txt are one consistent lock")
        return 1 if found else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
