"""Copy the JavaScript and fonts the website needs from node_modules/ into book/assets/vendor/.

The pages then load MathJax, require.js and the ipywidgets HTML manager from the
site itself, never from a CDN.  Run by ``make assets`` (part of ``make book`` and
``make test``) after ``npm ci`` has installed the exact versions in
``package-lock.json``.  Nothing written here is committed.

Layout produced (both folders are named in ``_config.yml``)::

    book/assets/vendor/static/   -> html_static_path: served as _build/html/_static/...
        mathjax/tex-mml-chtml.js     MathJax 3 component plus what it loads lazily
        mathjax/{input,output,ui,a11y,sre}/ ...  (fonts in output/chtml/fonts/woff-v2)
        requirejs/require.js
        html-manager/embed-amd.js
    book/assets/vendor/extra/    -> html_extra_path: copied to the root of _build/html
        <page dir>/@jupyter-widgets/html-manager/dist/<hash>.{woff2,woff,ttf,eot,svg}

The second tree exists because the HTML manager's stylesheet asks for its icon
fonts relative to the *page's* directory (its webpack public path is derived
from the require.js module URI, i.e. the page's folder), so every folder that
holds a page gets a copy.  The folders are read from ``_toc.yml``.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
OUT = ROOT / "book" / "assets" / "vendor"

PINS = {"mathjax": "3.2.2", "requirejs": "2.3.", "@jupyter-widgets/html-manager": "1.0."}
MATHJAX_PARTS = ["tex-mml-chtml.js", "input", "output/chtml.js", "output/chtml", "ui", "a11y", "sre"]
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}


def _version(package: str) -> str:
    meta = NODE / package / "package.json"
    if not meta.exists():
        sys.exit(f"vendor_assets: {meta.relative_to(ROOT)} is missing; run `npm ci` (make assets does).")
    return json.loads(meta.read_text())["version"]


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page of the book in the order of ``_toc.yml``: its ``root`` and ``file``
    entries, as written there (relative to the repository, without a suffix)."""
    files = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("file", "root") and isinstance(value, str):
                    files.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc_path.read_text()))
    return files


def page_dirs(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every folder (relative to the site root) that holds a page of the book, root included."""
    parents = {Path(f).parent.as_posix() for f in toc_files(toc_path)}
    return sorted({""} | {"" if d == "." else d for d in parents})


def main() -> None:
    for package, prefix in PINS.items():
        version = _version(package)
        if not version.startswith(prefix):
            sys.exit(f"vendor_assets: {package} is {version}, expected {prefix}x; run `npm ci`.")
    if OUT.exists():
        shutil.rmtree(OUT)
    static, extra = OUT / "static", OUT / "extra"

    for part in MATHJAX_PARTS:
        _copy(NODE / "mathjax" / "es5" / part, static / "mathjax" / part)
    _copy(NODE / "requirejs" / "require.js", static / "requirejs" / "require.js")
    dist = NODE / "@jupyter-widgets" / "html-manager" / "dist"
    _copy(dist / "embed-amd.js", static / "html-manager" / "embed-amd.js")

    fonts = [p for p in dist.iterdir() if p.suffix in FONT_SUFFIXES]
    if not fonts:
        sys.exit(f"vendor_assets: no font files found in {dist.relative_to(ROOT)}")
    for folder in page_dirs():
        target = extra / folder / "@jupyter-widgets" / "html-manager" / "dist"
        for font in fonts:
            _copy(font, target / font.name)

    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"vendor_assets: {OUT.relative_to(ROOT)} ready ({size / 1e6:.1f} MB; "
          f"widget fonts for page folders {page_dirs()})")


if __name__ == "__main__":
    main()
