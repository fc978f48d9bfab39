"""A small Sphinx extension for the book's PDF (the LaTeX builder) and its link on the site.

The PDF (``make pdf``) is built with sphinx-jupyterbook-latex, which turns the
introduction into front matter (its sections become headings inside it, not
chapters) and the parts of ``_toc.yml`` into LaTeX parts.  This extension adds:

* **No extra fonts.** sphinx-jupyterbook-latex's own document class needs
  ``bbm.sty`` (Debian's texlive-fonts-extra, 500 MB); Sphinx's ``manual`` class
  does the same job with the packages ``make pdf`` installs.
* **Sphinx numbers the chapters as the website does.** Only the part marked
  ``numbered`` in ``_toc.yml`` is numbered, from 1; parts before it are
  unnumbered ("Before we start"); parts after it are appendices (A, B, …).
  Sections are not numbered, as on the website.
* **References and bibliography are one section.** The bibliography is printed
  inside the References chapter instead of starting a chapter of its own.
* **The introduction gets a heading** in the table of contents.
* **The website links the PDF** when it exists (``_build/latex/bptt-book.pdf``,
  or the file named by the environment variable ``BPTT_PDF``): the file is
  copied next to ``index.html``, the tag ``pdf`` is set for ``{only}`` blocks
  (the front page's download line), and the download menu of every page gets an
  entry for it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

PDF_NAME = "bptt-book.pdf"

# LaTeX's report class starts the bibliography with \chapter*{Bibliography}; the
# book's bibliography belongs to its References chapter, so the list starts in place.
_BIBLIOGRAPHY_IN_PLACE = r"""
\makeatletter
\renewenvironment{sphinxthebibliography}[1]{%
  \phantomsection
  \list{\@biblabel{\@arabic\c@enumiv}}%
       {\settowidth\labelwidth{\@biblabel{#1}}%
        \leftmargin\labelwidth \advance\leftmargin\labelsep
        \usecounter{enumiv}\let\p@enumiv\@empty
        \renewcommand\theenumiv{\@arabic\c@enumiv}}%
  \sloppy\clubpenalty4000\@clubpenalty\clubpenalty\widowpenalty4000\sfcode`\.\@m}%
  {\def\@noitemerr{\@latex@warning{Empty `thebibliography' environment}}\endlist}
\makeatother
% Chapters only are numbered, as on the website (sections are not).
\setcounter{secnumdepth}{0}
% The two environments sphinx-jupyterbook-latex wraps notebook cells in (from its own
% document class, which this extension does not load).
\usepackage[strict]{changepage}
\definecolor{CodeBlockInputBorderColor}{RGB}{204,204,204}
\definecolor{CodeBlockInputColor}{RGB}{247,247,247}
\definecolor{CodeBlockOutputBorderColor}{RGB}{247,247,247}
\definecolor{CodeBlockOutputColor}{RGB}{252,252,252}
\newenvironment{sphinxVerbatimInput}
  {\colorlet{VerbatimBorderColor}{CodeBlockInputBorderColor}%
   \colorlet{VerbatimColor}{CodeBlockInputColor}\begin{adjustwidth}{5pt}{}}
  {\end{adjustwidth}}
\newenvironment{sphinxVerbatimOutput}
  {\colorlet{VerbatimBorderColor}{CodeBlockOutputBorderColor}%
   \colorlet{VerbatimColor}{CodeBlockOutputColor}\begin{adjustwidth}{20pt}{}}
  {\end{adjustwidth}}
"""


def _plain_manual(app, config):
    config["latex_theme"] = "manual"
    elements = dict(config["latex_elements"] or {})
    elements["preamble"] = elements.get("preamble", "") + _BIBLIOGRAPHY_IN_PLACE
    config["latex_elements"] = elements


def _numbering_plan(app) -> dict:
    """docname -> raw LaTeX to put before its chapter heading, from the parts of _toc.yml."""
    sitemap = getattr(app.config, "external_site_map", None)
    if sitemap is None:
        return {}
    plan, seen_numbered = {}, False
    for subtree in sitemap.root.subtrees:
        files = [item for item in subtree.items if isinstance(item, str)]
        if not files:
            continue
        if subtree.numbered:
            plan[files[0]] = r"\setcounter{secnumdepth}{0}\setcounter{chapter}{0}"
            seen_numbered = True
        elif not seen_numbered:
            plan[files[0]] = r"\setcounter{secnumdepth}{-1}"
        else:
            # Sphinx numbers figures and tables with \arabic{chapter}: in the appendices the
            # chapter is a letter, so "Fig. A.1", not "Fig. 1.1".
            plan[files[0]] = (r"\setcounter{secnumdepth}{0}\appendix"
                              r"\renewcommand{\thefigure}{\thechapter.\arabic{figure}}"
                              r"\renewcommand{\thetable}{\thechapter.\arabic{table}}")
            break
    plan[sitemap.root.docname] = "__intro__"
    return plan


def _latex_numbering(app, doctree, docname):
    """Put the raw LaTeX of :func:`_numbering_plan` before the chapter heading of each planned
    document, in the one doctree the LaTeX builder assembles from all of them."""
    if app.builder.format != "latex":
        return
    plan = _numbering_plan(app)
    for start in list(doctree.findall(addnodes.start_of_file)):
        raw = plan.get(start.get("docname"))
        if raw is None or raw == "__intro__":
            continue
        section = next(iter(start.findall(nodes.section)), None)
        if section is not None:
            section.parent.insert(section.parent.index(section), nodes.raw("", raw, format="latex"))
    if plan.get(docname) == "__intro__":
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is not None:       # after the book's title: the front matter's heading
            section.insert(1, nodes.raw("", r"\chapter*{Introduction}\markboth{Introduction}{Introduction}"
                                            r"\addcontentsline{toc}{chapter}{Introduction}", format="latex"))


def _pdf_path(app) -> Path | None:
    path = Path(os.environ.get("BPTT_PDF", Path(app.srcdir) / "_build" / "latex" / PDF_NAME))
    return path if path.is_file() else None


def _tag_pdf(app, config):
    if _pdf_path(app) is not None:
        app.tags.add("pdf")


def _download_entry(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or _pdf_path(app) is None:
        return
    buttons = context.get("header_buttons")
    if not isinstance(buttons, list):
        return
    for button in buttons:
        if button.get("label") == "download-buttons":
            button["buttons"].append({
                "type": "link", "url": context["pathto"](PDF_NAME, 1), "text": "The whole book (.pdf)",
                "tooltip": "Download the whole book as one PDF", "icon": "fas fa-file-pdf",
                "label": "download-book-pdf-button"})


def _copy_pdf(app, exception):
    if exception is None and app.builder.format == "html" and (pdf := _pdf_path(app)) is not None:
        shutil.copyfile(pdf, Path(app.outdir) / PDF_NAME)


def setup(app):
    app.connect("config-inited", _plain_manual, priority=900)   # after sphinx-jupyterbook-latex
    app.connect("config-inited", _tag_pdf)
    app.connect("doctree-resolved", _latex_numbering)
    app.connect("html-page-context", _download_entry, priority=950)
    app.connect("build-finished", _copy_pdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
