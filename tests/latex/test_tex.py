"""The PDF's LaTeX source (``_build/latex/bptt-book.tex``, from ``make test-latex``), checked cheaply.

``make pdf`` needs TeX Live and is not part of ``make test``; the .tex file it compiles
is, and most of what can go wrong in print is visible in it: an output printed as an
object repr instead of a figure or a table, a chapter number typed twice, a glyph the
fonts lack, the front matter or the parts lost, a bibliography outside References.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEX = Path(os.environ.get("BPTT_TEX", ROOT / "_build" / "latex" / "bptt-book.tex"))


@pytest.fixture(scope="module")
def tex():
    if not TEX.is_file():
        pytest.skip(f"no LaTeX output at {TEX}: run `make test-latex` (or `make pdf`)")
    return TEX.read_text(encoding="utf-8")


def _body(tex):
    return tex[tex.index(r"\begin{document}"):]


def test_no_object_reprs(tex):
    """Every animation prints as frames and every table as text, never as a Python repr."""
    reprs = re.findall(r"<IPython\.[\w.]+ object>|<Figure size [^>]*>|<rnnlib\.[\w.]+ object at", tex)
    assert reprs == []


def test_every_animation_prints_as_an_image(tex):
    animations = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/html" in data and "anim-slider" in "".join(data["text/html"]):
                    assert "image/png" in data, f"{path.name}: an animation without a print form"
                    animations += 1
    assert animations >= 9
    assert len(re.findall(r"\\sphinxincludegraphics", _body(tex))) >= animations


def test_chapter_titles_carry_no_typed_number(tex):
    doubled = re.findall(r"\\(?:chapter|section)\{\d+(?:\.\d+)*\.?\s", tex)
    assert doubled == []


def test_parts_front_matter_and_one_notation(tex):
    body = _body(tex)
    parts = re.findall(r"\\part\{([^}]*)\}", body)
    assert parts == ["Before we start", "Chapters", "Appendices"]
    assert body.index(r"\chapter*{Introduction}") < body.index(r"\part{Before we start}")
    assert len(re.findall(r"\\chapter\{Notation\}", body)) == 1
    # Notation unnumbered, the chapters numbered from 1, the appendices lettered
    assert body.index(r"\setcounter{secnumdepth}{-1}") < body.index(r"\chapter{Notation}")
    first = re.search(r"\\setcounter\{chapter\}\{0\}\s*\\chapter\{", body)
    assert first and body.index(r"\part{Chapters}") < first.start()
    assert body.index(r"\part{Appendices}") < body.index(r"\appendix")
    # and their figures and tables carry the letter (Sphinx numbers them by \arabic{chapter})
    after = body[body.index(r"\appendix"):]
    assert after.index(r"\renewcommand{\thefigure}{\thechapter.\arabic{figure}}") < after.index(r"\chapter{")


def test_references_and_bibliography_are_one_section(tex):
    body = _body(tex)
    assert len(re.findall(r"\\chapter\{References\}", body)) == 1
    assert "sphinxthebibliography" in body
    assert r"\renewenvironment{sphinxthebibliography}" in tex      # no \chapter*{Bibliography}
    assert body.index(r"\chapter{References}") < body.index(r"\begin{sphinxthebibliography}")


def test_no_glyphs_the_fonts_lack(tex):
    assert r"\mathbb{1}" not in tex and r"\mathbb 1" not in tex and "𝟙" not in tex
