"""A small Sphinx extension for the book's website (listed in ``_config.yml``).

Fixes, each found by the browser tests in ``tests/site``:

* Titles as plain text.  A heading with math becomes ``\\(\\partial L ...\\)`` in
  the browser tab, the print-only heading and the search results.  Chapter titles
  are plain text already; as a safety net every page title and every title in the
  search index (sections included) is turned into Unicode (``∂L/∂W_hh``) by
  :func:`tex_to_text`.
* The ipywidgets manager (``embed-amd.js``, 3.6 MB) and require.js are loaded
  only on pages whose body shows a widget view; elsewhere they, and the saved
  widget state, are dropped from the page (the live widgets' outputs are removed
  on the website, so most chapters need neither).
* sphinx-thebe registers its inline configuration script twice, and the second
  copy throws ``Identifier 'THEBE_JS_URL' has already been declared`` in every
  page's console.  Duplicate scripts are dropped from each page.
* Citation lists are ``role="list"`` but their entries ``role="doc-biblioentry"``
  (a deprecated ARIA role), which axe-core reports as a critical violation;
  the entries become list items.
* The widget manager calls MathJax 2's ``MathJax.Hub.Queue`` to typeset widget
  labels; the site serves MathJax 3, so a small shim forwards those calls.
* Saved ipywidgets sliders render a handle without an accessible name (axe:
  ``aria-input-field-name``); on pages with widget views, a few lines of script
  name each handle after its widget's label.

* The sidebar drawers (pydata-sphinx-theme #2451): pydata-sphinx-theme 0.17 renders
  its own top navbar above sphinx-book-theme's header (a second search field and a
  hidden second pair of sidebar buttons, which its script binds instead of the visible
  ones).  ``navbar_persistent`` is set empty, so that navbar is not rendered.

The reader-facing script ``book/assets/site/bptt.js`` (binds any visible sidebar button
the theme left unbound: drawers on phones, the sidebar collapse on desktops; the
solution bar) and
``bptt.css`` (code width, wrapping inline code, the animation player) are listed in
``_config.yml``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Scripts that only a page with a widget view needs (nb_ipywidgets_js in _config.yml).
WIDGET_SCRIPTS = ("requirejs/require.js", "html-manager/embed-amd.js")

_NAME_SLIDER_HANDLES = r"""
(function () {
  function nameHandles() {
    document.querySelectorAll('.noUi-handle:not([aria-label])').forEach(function (h) {
      var box = h.closest('.widget-slider, .jupyter-widgets');
      var label = box && box.querySelector('.widget-label');
      var text = label && label.textContent.trim();
      h.setAttribute('aria-label', text ? text + ' slider' : 'widget slider');
    });
  }
  new MutationObserver(nameHandles).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', nameHandles);
})();
"""


# ipywidgets 8's HTML manager typesets widget labels with the MathJax 2 call
# MathJax.Hub.Queue(["Typeset", MathJax.Hub, el]); the book serves MathJax 3, which has
# no Hub, so rendering a labelled widget can throw "reading 'Queue'".  Give every object
# assigned to window.MathJax (Sphinx's config, then MathJax itself) a hidden Hub whose
# Queue forwards to MathJax 3's typesetPromise.
_MATHJAX2_SHIM = r"""
(function () {
  function typeset(el) {
    var mj = window.MathJax;
    if (el && mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
      mj.startup.promise.then(function () { return mj.typesetPromise([el]); }).catch(function () {});
    }
  }
  var hub = {Queue: function () {
    for (var i = 0; i < arguments.length; i++) {
      var job = arguments[i];
      if (Array.isArray(job) && job[0] === 'Typeset') { typeset(job[2]); }
    }
  }};
  function withHub(obj) {
    if (obj && typeof obj === 'object' && !obj.Hub) {
      Object.defineProperty(obj, 'Hub', {value: hub, enumerable: false, configurable: true});
    }
    return obj;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, 'MathJax', {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
"""


# --------------------------------------------------------------------------- TeX -> Unicode
_SYMBOLS = {
    "partial": "∂", "nabla": "∇", "odot": "⊙", "otimes": "⊗", "cdot": "·", "cdots": "⋯",
    "ldots": "…", "dots": "…", "approx": "≈", "neq": "≠", "ne": "≠", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "ll": "≪", "gg": "≫", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "times": "×", "pm": "±", "infty": "∞", "sum": "Σ", "prod": "∏", "in": "∈", "top": "ᵀ",
    "|": "‖", "lVert": "‖", "rVert": "‖", "Vert": "‖", "lvert": "|", "rvert": "|", "mid": "|",
    "circ": "∘", "sim": "∼", "propto": "∝", "langle": "⟨", "rangle": "⟩", "ell": "ℓ",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_PREFIX = {"partial", "nabla"}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " "}
_DROP = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
         "textstyle", "limits", "nolimits"}
_KEEP_ARGUMENT = {"mathrm", "mathbf", "mathit", "mathsf", "mathcal", "text", "textrm", "textbf",
                  "textit", "operatorname", "boldsymbol", "bm", "hat", "tilde", "bar", "vec"}
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "vec": "\u20d7"}
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789+-−=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾")


def _group(s: str, i: int) -> tuple[str, int]:
    """The TeX argument starting at s[i] (a {group} or one character) and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def tex_to_text(tex: str) -> str:
    r"""Plain Unicode for the inline TeX that titles use: ``\partial L/\partial W_{hh}`` -> ``∂L/∂W_hh``.

    Greek letters and common operators become their Unicode characters, ``\frac{a}{b}``
    becomes ``a/b``, ``^{+}``/``^\top``/digit superscripts become superscript
    characters, and subscripts keep an underscore (braces only around a subscript that
    contains an operator, as in ``h_{t−1}``).  Unknown commands lose their backslash.
    """
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name, i = m.group(1), i + len(m.group(0))
            if name in _PREFIX:            # "\partial L" is ∂L; elsewhere a space is a space
                while i < len(tex) and tex[i] == " ":
                    i += 1
            if name in _SPACES:
                out.append(_SPACES[name])
            elif name in _DROP:
                pass
            elif name == "frac":
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                out.append(f"{_wrap(tex_to_text(num))}/{_wrap(tex_to_text(den))}")
            elif name in _ACCENTS:
                arg, i = _group(tex, i)
                out.append(tex_to_text(arg) + _ACCENTS[name])
            elif name in _KEEP_ARGUMENT:
                arg, i = _group(tex, i)
                out.append(tex_to_text(arg))
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in "{}$%&#_":
                out.append(name)
            else:
                out.append(name)
        elif c in "^_":
            arg, i = _group(tex, i + 1)
            text = tex_to_text(arg)
            if c == "^":
                sup = text.translate(_SUPERSCRIPTS)
                if text == "ᵀ" or all(ch in "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾" for ch in sup):
                    out.append(sup)
                else:
                    out.append("^" + (text if len(text) == 1 else "(" + text + ")"))
            elif re.fullmatch(r"[0-9]+", text):
                out.append(text.translate(_SUBSCRIPTS))
            else:
                out.append("_" + (text if re.fullmatch(r"[\w′]+", text) else "{" + text + "}"))
        elif c in "{}":
            i += 1
        elif c == "-":
            out.append("−")
            i += 1
        elif c == "'":
            out.append("′")
            i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" {2,}", " ", "".join(out))


def _wrap(text: str) -> str:
    return text if re.fullmatch(r"[\w∂′ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻_{}−]+", text) else f"({text})"


_MATH_SPAN = re.compile(r'<span class="math[^"]*">\\\((.*?)\\\)</span>', re.S)
_INLINE_MATH = re.compile(r"\\\((.*?)\\\)|\$([^$]+)\$", re.S)


def plain_title(title: str) -> str:
    """A page or section title with its math (HTML spans or ``\\(...\\)``) as Unicode text."""
    title = _MATH_SPAN.sub(lambda m: tex_to_text(m.group(1)), title)
    title = _INLINE_MATH.sub(lambda m: tex_to_text(m.group(1) or m.group(2)), title)
    if "\\" in title:   # a section title's math arrives in the search index without \( \)
        title = tex_to_text(title)
    return title


# --------------------------------------------------------------------------- page context
def _script_key(js):
    return str(getattr(js, "filename", js) or "")


def _page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            # The copies differ only in an empty filename spelled None or "".
            key = (_script_key(js),
                   tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                unique.append(js)
        scripts[:] = unique
    if isinstance(context.get("title"), str):
        context["title"] = plain_title(context["title"])
    body = context.get("body")
    if isinstance(body, str):
        body = body.replace('role="doc-biblioentry"', 'role="listitem"')
        context["body"] = body
        if scripts is None:
            return
        if WIDGET_VIEW in body:
            # First on the page: before Sphinx's MathJax configuration and the widget manager.
            scripts[:0] = [_JavaScript("", priority=0, body=_MATHJAX2_SHIM),
                           _JavaScript("", priority=0, body=_NAME_SLIDER_HANDLES)]
        else:
            # No widget view on the page: neither the manager nor the saved state is needed.
            scripts[:] = [js for js in scripts
                          if not _script_key(js).endswith(WIDGET_SCRIPTS)
                          and getattr(js, "attributes", {}).get("type") != WIDGET_STATE]


# --------------------------------------------------------------------------- search index
def _plain_search_titles(app, exception):
    """Rewrite the titles of ``searchindex.js`` (pages and sections) as plain text."""
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "searchindex.js"
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.index("(") + 1, text.rindex(")")
    index = json.loads(text[start:end])
    index["titles"] = [plain_title(t) for t in index.get("titles", [])]
    alltitles = {}
    for title, places in index.get("alltitles", {}).items():
        alltitles.setdefault(plain_title(title), []).extend(places)
    index["alltitles"] = alltitles
    path.write_text(text[:start] + json.dumps(index, ensure_ascii=False, separators=(",", ":"))
                    + text[end:], encoding="utf-8")


def _no_empty_header(app, config):
    """sphinx-book-theme empties every slot of pydata-sphinx-theme's top navbar, but
    pydata-sphinx-theme 0.17 fills ``navbar_persistent`` with a search field unless the
    user sets it.  The navbar then appears above the book theme's own header, with a
    second search field and a hidden second copy of the sidebar buttons, which the
    theme's drawer script binds instead of the visible ones (pydata-sphinx-theme #2451).
    Keep that navbar empty, as the book theme intends."""
    options = config.html_theme_options
    if isinstance(options, dict):
        options.setdefault("navbar_persistent", [])


def setup(app):
    app.connect("config-inited", _no_empty_header)
    # Run after other html-page-context handlers (which may add scripts).
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _plain_search_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
