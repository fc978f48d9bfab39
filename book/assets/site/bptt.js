/* Reader-facing fixes for the book's website (loaded on every page; see tools/bptt_site.py).
 *
 * 1. The sidebar drawers.  pydata-sphinx-theme 0.17 binds its drawer script to the FIRST
 *    element with class primary-toggle / secondary-toggle; when its own top navbar is
 *    rendered, that is a hidden copy, and the visible buttons in the article header do
 *    nothing but show a tooltip (pydata-sphinx-theme #2451, sphinx-book-theme #988).
 *    tools/bptt_site.py keeps that navbar out of the page, so the theme binds the visible
 *    buttons itself; this binds any visible button the theme did not (a theme upgrade
 *    that brings the navbar back): on wide screens the primary button collapses the
 *    sidebar, on narrow screens each button opens its drawer (the theme's own dialog).
 * 2. The solution bar.  Its exercise link jumps to the exercise and makes togglebutton.js
 *    throw "button is not defined"; a click anywhere on the bar opens the solution.
 */
(function () {
  "use strict";

  var WIDE = "(min-width: 992px)";

  function moveChildren(from, to) {
    // The theme moves the sidebar's content (and classes) into its dialog and back.
    Array.from(from.childNodes).forEach(function (n) { to.appendChild(n); });
    Array.from(from.classList).forEach(function (c) {
      from.classList.remove(c);
      to.classList.add(c);
    });
  }

  function hideTooltip(button) {
    var bs = window.bootstrap;
    var tip = bs && bs.Tooltip && bs.Tooltip.getInstance && bs.Tooltip.getInstance(button);
    if (tip) { tip.hide(); }
  }

  function bindDrawer(selector, sidebarId, dialogId, collapsesOnWideScreens) {
    var sidebar = document.getElementById(sidebarId);
    var dialog = document.getElementById(dialogId);
    var themeBound = document.querySelector(selector);   // the one the theme listens to
    if (!sidebar || !dialog) { return; }
    document.querySelectorAll(selector).forEach(function (button) {
      if (button === themeBound) { return; }
      button.setAttribute("aria-controls", sidebarId);
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        hideTooltip(button);
        button.blur();
        if (collapsesOnWideScreens && window.matchMedia(WIDE).matches) {
          var hidden = sidebar.classList.toggle("pst-sidebar-hidden");
          button.setAttribute("aria-expanded", String(!hidden));
          return;
        }
        if (dialog.open) { return; }
        moveChildren(sidebar, dialog);
        dialog.showModal();
        button.setAttribute("aria-expanded", "true");
        dialog.addEventListener("close", function () {
          button.setAttribute("aria-expanded", "false");
          button.focus();
        }, {once: true});
      });
    });
    // The theme moves the content back when the dialog closes, but only if it bound its
    // (hidden) button; without that button do it here.
    if (!themeBound || !document.body.contains(themeBound)) {
      dialog.addEventListener("close", function () { moveChildren(dialog, sidebar); });
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) { dialog.close(); }   // a click on the backdrop
      });
    }
  }

  function bindSolutionBars() {
    // Capture phase: runs before togglebutton.js's handler on the title.
    document.addEventListener("click", function (event) {
      var title = event.target.closest && event.target.closest(".admonition.toggle > .admonition-title");
      if (!title) { return; }
      var button = title.querySelector(".toggle-button");
      if (!button || event.target === title || event.target === button) { return; }
      event.preventDefault();
      event.stopPropagation();
      button.click();          // togglebutton.js handles a click on its own button
    }, true);
  }

  function init() {
    bindDrawer(".primary-toggle", "pst-primary-sidebar", "pst-primary-sidebar-modal", true);
    bindDrawer(".secondary-toggle", "pst-secondary-sidebar", "pst-secondary-sidebar-modal", false);
    bindSolutionBars();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
