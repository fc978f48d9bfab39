"""A small Sphinx extension for the book's website (listed in ``_config.yml``).

Fixes, each found by the browser tests in ``tests/site``:

* Chapter titles contain math and appear in every page's navigation, so MathJax
  is loaded on every page, not only on pages with equations of their own.

* sphinx-thebe registers its inline configuration script twice, and the second
  copy throws ``Identifier 'THEBE_JS_URL' has already been declared`` in every
  page's console.  Duplicate scripts are dropped from each page.
* Citation lists are ``role="list"`` but their entries ``role="doc-biblioentry"``
  (a deprecated ARIA role), which axe-core reports as a critical violation;
  the entries become list items.
* matplotlib's ``to_jshtml`` frame slider has no label (axe: ``label``); it
  gets ``aria-label="Animation frame"``.
* The widget manager calls MathJax 2's ``MathJax.Hub.Queue`` to typeset widget
  labels; the site serves MathJax 3, so a small shim forwards those calls.
* Saved ipywidgets sliders render a handle without an accessible name (axe:
  ``aria-input-field-name``); on pages with widget views, a few lines of script
  name each handle after its widget's label.
"""
from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript

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


def _page_context(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            # The copies differ only in an empty filename spelled None or "".
            key = (str(getattr(js, "filename", js) or ""),
                   tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                unique.append(js)
        scripts[:] = unique
    body = context.get("body")
    if isinstance(body, str):
        body = body.replace('role="doc-biblioentry"', 'role="listitem"')
        # matplotlib's to_jshtml frame slider has no label (axe: "label", critical).
        body = body.replace('<input id="_anim_slider', '<input aria-label="Animation frame" id="_anim_slider')
        context["body"] = body
        if "application/vnd.jupyter.widget-view+json" in body and scripts is not None:
            # First on the page: before Sphinx's MathJax configuration and the widget manager.
            scripts[:0] = [_JavaScript("", priority=0, body=_MATHJAX2_SHIM),
                           _JavaScript("", priority=0, body=_NAME_SLIDER_HANDLES)]


def setup(app):
    # Chapter titles carry math, and the navigation shows them on every page: load
    # MathJax everywhere (Sphinx otherwise loads it only on pages with equations,
    # leaving raw \( ... \) in the sidebar of the others).
    app.set_html_assets_policy("always")
    # Run after other html-page-context handlers (which may add scripts).
    app.connect("html-page-context", _page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
