"""Browser tests of the built website (``make test-site``; part of ``make test``).

The built site (``_build/html``, or the folder named by ``BPTT_SITE``) is served
on 127.0.0.1 and every page is opened in Debian's Chromium through Playwright,
once in the light and once in the dark theme.  Each visit records everything the
tests look at (console, network, MathJax, images, animations, widgets, axe), so
each page is loaded only twice however many tests read the record.
"""
from __future__ import annotations

import functools
import json
import http.server
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitecheck import CHROMIUM, CHROMIUM_FLAGS, SCREENSHOTS, SITE  # noqa: E402


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="session")
def server():
    """An HTTP server for the built site on 127.0.0.1 (a free port); yields its base URL."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site at {SITE}: run `make book` (or `make test-build`) first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` "
                    "(as root on Debian it installs the `chromium` package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What one page showed in one theme."""
    page: str
    mode: str
    console_errors: list = field(default_factory=list)
    console_warnings: list = field(default_factory=list)
    failed: list = field(default_factory=list)        # (url, reason) for 4xx/5xx and network failures
    external: list = field(default_factory=list)      # requests to any host but 127.0.0.1
    local_paths: list = field(default_factory=list)   # (resource type, site path) of local requests
    info: dict = field(default_factory=dict)          # what the in-page probe reported
    animations: list = field(default_factory=list)    # per animation: did "next frame" change the image
    axe_serious: list = field(default_factory=list)   # (id, impact, help, #nodes) of serious/critical
    theme: str = ""
    layout: dict = field(default_factory=dict)        # width -> what LAYOUT reported at that width
    figures: list = field(default_factory=list)       # what FIGURES reported (this theme)
    solution: dict = field(default_factory=dict)      # clicking the first solution bar's link
    seconds: dict = field(default_factory=dict)       # time spent per phase (for tuning)


PROBE = r"""
async () => {
  // Wait for MathJax (if the page loads it) to finish typesetting.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // Make every image load now (lazy ones too), then wait for each.
  const imgs = Array.from(document.querySelectorAll('img'));
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r);
                         setTimeout(r, 5000); })));
  // Text a reader sees, code excluded (code may legitimately contain "$$" or "\(").
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight')
       .forEach(e => e.remove());
  const text = clone.textContent;
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  return {
    mathjax_loaded: !!document.querySelector('script[src*="mathjax"]'),
    math_nodes: document.querySelectorAll('.math').length,
    math_untypeset: Array.from(document.querySelectorAll('.math'))
        .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)).slice(0, 5),
    mjx: document.querySelectorAll('mjx-container').length,
    mjx_errors: document.querySelectorAll('mjx-merror').length,
    raw_math: (text.match(/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/g) || []).slice(0, 5),
    images: imgs.map(i => ({src: i.currentSrc || i.src, alt: i.getAttribute('alt'),
                            complete: i.complete, width: i.naturalWidth})),
    widget_views: views.length,
    widgets_rendered: document.querySelectorAll('.jupyter-widgets, .widget-container, .lm-Widget').length,
    binder: Array.from(document.querySelectorAll('a[href*="mybinder.org"]')).map(a => a.href),
    colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href),
    downloads: Array.from(document.querySelectorAll('a[href*="_sources/"]')).map(a => a.getAttribute('href')),
    animations: document.querySelectorAll('.animation img[id^="_anim_img"]').length,
    anim_icons: Array.from(document.querySelectorAll('.animation button')).map(b => {
      const svg = b.querySelector('svg');
      if (svg) { const r = svg.getBoundingClientRect(); return r.width > 0 && r.height > 0; }
      const i = b.querySelector('i');
      if (!i) return false;
      const c = getComputedStyle(i, '::before').content;
      return !!c && c !== 'none' && c !== 'normal' && c !== '""';
    }),
    theme: document.documentElement.dataset.theme || '',
  };
}
"""

STEP_ANIMATIONS = r"""
async () => {
  const out = [];
  for (const div of document.querySelectorAll('.animation')) {
    const img = div.querySelector('img[id^="_anim_img"]');
    const pause = div.querySelector('button[title="Pause"]');
    const next = div.querySelector('button[title="Next frame"]');
    if (pause) pause.click();
    if (!img || !next) { out.push({ok: false, why: 'no frame image or no "Next frame" button'}); continue; }
    const before = img.src;
    next.click();
    await new Promise(r => setTimeout(r, 100));
    out.push({ok: img.src !== before, why: img.src !== before ? '' : 'image did not change'});
  }
  return out;
}
"""


# Overflow: code blocks and display equations wider than their box (sideways scrolling
# or clipping), the page wider than the window, animation controls outside the window.
LAYOUT = r"""
() => {
  const over = el => el.scrollWidth > el.clientWidth + 1;
  const art = document.querySelector('article.bd-article') || document.body;
  const text = el => (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 70);
  const small = document.querySelector('.bd-sidebar-primary') || document.body;
  return {
    viewport: innerWidth,
    page_width: document.documentElement.scrollWidth,
    small_text_px: parseFloat(getComputedStyle(small).fontSize),
    code: Array.from(art.querySelectorAll('pre')).filter(over).map(p =>
        [p.scrollWidth, p.clientWidth, (p.textContent.split('\n').reduce((a, l) => l.length > a.length ? l : a, '')).slice(0, 90)]),
    math: Array.from(art.querySelectorAll('mjx-container[display="true"]')).filter(over).map(m =>
        [m.scrollWidth, m.clientWidth, text(m.closest('div.math, .cell_output') || m)]),
    figures: Array.from(art.querySelectorAll('.cell_output img, .animation img')).map(i =>
        [i.naturalWidth, Math.round(i.getBoundingClientRect().width)]),
    controls_outside: Array.from(art.querySelectorAll('.animation button, .animation input, .animation label'))
        .filter(b => { const r = b.getBoundingClientRect(); return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1); })
        .map(b => b.getAttribute('title') || b.textContent.trim() || b.tagName),
  };
}
"""

# The figures as a reader's eye meets them: the image's own corner pixel (opaque or
# not), the background and CSS filter the theme puts on it.
FIGURES = r"""
async () => {
  const out = [];
  for (const img of document.querySelectorAll('.bd-article .cell_output img, .bd-article .animation img')) {
    if (!img.complete || !img.naturalWidth) { continue; }
    const c = document.createElement('canvas');
    c.width = 4; c.height = 4;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0, 4, 4, 0, 0, 4, 4);
    const px = Array.from(g.getImageData(1, 1, 1, 1).data);
    const cs = getComputedStyle(img);
    let bg = 'rgba(0, 0, 0, 0)';
    for (let el = img; el; el = el.parentElement) {
      const b = getComputedStyle(el).backgroundColor;
      if (b && b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') { bg = b; break; }
    }
    out.push({src: img.currentSrc.slice(0, 60), corner: px, filter: cs.filter, background: bg});
  }
  return out;
}
"""

# Click the exercise link in the first solution bar: it must open the solution.
SOLUTION = r"""
async () => {
  const bar = document.querySelector('.solution.dropdown > .admonition-title');
  if (!bar) return {};
  const box = bar.parentElement, link = bar.querySelector('a');
  const before = {hidden: box.classList.contains('toggle-hidden'), url: location.href};
  (link || bar).click();
  await new Promise(r => setTimeout(r, 150));
  return {hidden_before: before.hidden, hidden_after: box.classList.contains('toggle-hidden'),
          url_before: before.url, url_after: location.href, had_link: !!link};
}
"""

PHONE = {"width": 390, "height": 844}
# Screenshots for a reviewer who looks at the pages (`make screenshots`): each page in full
# at 1280 px in the light theme, its first screen in the dark theme and on a phone.  No
# test reads them, so the test run leaves them out (about 2 s a page).
SHOTS = os.environ.get("BPTT_SHOTS") == "1"


# Until no request of the page has been in flight for this long, it is still loading.
QUIET_MS = 150
SETTLE_TIMEOUT_MS = 15_000


class Site:
    """Loads pages on demand and remembers each visit for the session.

    One browser context per theme is shared by all the visits of this worker (a
    reader's browser keeps its theme, and creating a context per page costs
    more than loading the page); each visit opens its own page in it.  What the
    context's router sees is recorded on the visit under way.
    """

    def __init__(self, browser, base_url):
        self.browser, self.base = browser, base_url
        self.visits: dict = {}
        self.weights: dict = {}
        self.contexts: dict = {}
        self.current: Visit | None = None

    def context(self, mode: str):
        if mode not in self.contexts:
            context = self.browser.new_context(viewport={"width": 1280, "height": 900},
                                               color_scheme="dark" if mode == "dark" else "light")
            # The reader's choice of theme is kept by pydata-sphinx-theme in localStorage.
            context.add_init_script(f"localStorage.setItem('mode', '{mode}'); "
                                    f"localStorage.setItem('theme', '{mode}');")

            def route(r):
                url = urlsplit(r.request.url)
                if url.scheme in ("http", "https") and url.hostname not in ("127.0.0.1",):
                    if self.current is not None:
                        self.current.external.append(r.request.url)
                    r.abort()
                else:
                    r.continue_()

            context.route("**/*", route)
            self.contexts[mode] = context
        return self.contexts[mode]

    def close(self):
        for context in self.contexts.values():
            context.close()
        self.contexts.clear()

    def visit(self, page: str, mode: str = "light") -> Visit:
        key = (page, mode)
        if key not in self.visits:
            self.visits[key] = self._load(page, mode)
        return self.visits[key]

    def _load(self, page: str, mode: str) -> Visit:
        from axe_playwright_python.sync_playwright import Axe

        v = Visit(page, mode)
        self.current = v
        pg = self.context(mode).new_page()
        pending = set()
        pg.on("request", lambda r: pending.add(r))
        pg.on("requestfinished", lambda r: pending.discard(r))
        pg.on("requestfailed", lambda r: pending.discard(r))
        pg.on("console", lambda m: m.type == "error" and v.console_errors.append(
            f"{m.text} @ {m.location.get('url', '')}"))
        pg.on("console", lambda m: m.type == "warning" and v.console_warnings.append(
            f"{m.text[:300]} @ {m.location.get('url', '')}"))
        pg.on("pageerror", lambda e: v.console_errors.append(f"uncaught: {e}"))
        pg.on("requestfailed", lambda r: urlsplit(r.url).hostname == "127.0.0.1" and v.failed.append(
            (r.url, r.failure or "failed")))

        def on_response(resp):
            url = urlsplit(resp.url)
            if url.hostname != "127.0.0.1":
                return
            if resp.status >= 400:
                v.failed.append((resp.url, resp.status))
            v.local_paths.append((resp.request.resource_type, unquote(url.path).lstrip("/")))

        pg.on("response", on_response)
        clock = time.perf_counter()

        def lap(name):
            nonlocal clock
            now = time.perf_counter()
            v.seconds[name] = round(now - clock, 2)
            clock = now

        pg.goto(self.base + page, wait_until="load")
        _settle(pg, pending)
        v.info = pg.evaluate(PROBE)
        _settle(pg, pending)                   # fonts requested by what the probe rendered
        lap("load+probe")
        if mode == "dark":
            v.theme = pg.evaluate("document.documentElement.dataset.theme || ''")
        if SHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            stem = page.replace("/", "__").removesuffix(".html")
            if mode == "light":
                pg.screenshot(path=str(SCREENSHOTS / f"{stem}.png"), full_page=True)
            else:                                           # the first screen: enough to judge the theme
                pg.screenshot(path=str(SCREENSHOTS / f"{stem}-dark.png"), full_page=False)
            lap("screenshot")
        v.figures = pg.evaluate(FIGURES)
        if mode == "light":
            v.animations = pg.evaluate(STEP_ANIMATIONS)
            v.layout[1280] = pg.evaluate(LAYOUT)
            pg.set_viewport_size(PHONE)                    # the same page on a phone
            pg.wait_for_timeout(100)
            v.layout[PHONE["width"]] = pg.evaluate(LAYOUT)
            if SHOTS:
                pg.screenshot(path=str(SCREENSHOTS / (page.replace("/", "__").removesuffix(".html") + "-phone.png")))
            pg.set_viewport_size({"width": 1280, "height": 900})
            pg.wait_for_timeout(50)
            lap("layout")
        # What axe does next (it re-fetches stylesheets) is not what a reader's browser does.
        recorded = (v.failed, v.external, v.console_errors, v.console_warnings)
        v.failed, v.external, v.console_errors, v.console_warnings = [], [], [], []
        results = Axe().run(pg, options={"resultTypes": ["violations"]})
        for viol in results.response["violations"]:
            if viol.get("impact") in ("serious", "critical"):
                v.axe_serious.append((viol["id"], viol["impact"], viol["help"],
                                      [n["target"] for n in viol["nodes"]][:5]))
        lap("axe")
        v.failed, v.external, v.console_errors, v.console_warnings = recorded
        if mode == "light":
            v.solution = pg.evaluate(SOLUTION)    # after axe, which would check the opened solution
            pg.wait_for_timeout(50)               # its console errors, if any, are recorded
        pg.close()
        self.current = None
        return v


def _settle(pg, pending: set) -> None:
    """Wait until the page has had no request in flight for :data:`QUIET_MS` (what
    Playwright's "networkidle" does with a fixed 500 ms), so that every request the
    page makes is answered, and recorded, before the checks read the record."""
    quiet_since, deadline = None, time.monotonic() + SETTLE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if pending:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= QUIET_MS:
            return
        pg.wait_for_timeout(25)               # lets Playwright deliver the page's events


@pytest.fixture(scope="session")
def site(browser, server):
    s = Site(browser, server)
    yield s
    s.close()
    _write_report(s)


REPORT = SCREENSHOTS.parent / "site-report.txt"
REPORT_PARTS = SCREENSHOTS.parent / "site-report.d"


def _write_report(s: Site) -> None:
    """This process's page weights, axe counts and timings (merged by pytest_sessionfinish)."""
    rows = {}
    for page in sorted({p for p, _ in s.visits}):
        rows[page] = {
            "weight": s.weights.get(page),
            "axe": {m: len(s.visits[(page, m)].axe_serious) for m in ("light", "dark") if (page, m) in s.visits},
            "seconds": {m: s.visits[(page, m)].seconds for m in ("light", "dark") if (page, m) in s.visits},
        }
    REPORT_PARTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (REPORT_PARTS / f"{worker}.json").write_text(json.dumps(rows))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make ``--dist loadgroup`` group again: pytest-xdist 3.8 marks a test's group by
    assigning ``item._nodeid``, which pytest 9.2 no longer reads (a node's id lives in
    ``item._id``), so every test of a page went to any worker and each page was loaded
    once per worker and theme.  Add the ``@group`` suffix the way xdist means to."""
    if not getattr(config.option, "loadgroup", False):          # set on xdist's workers
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput") and REPORT_PARTS.is_dir():
        for part in REPORT_PARTS.glob("*.json"):
            part.unlink()


def pytest_sessionfinish(session):
    """Write _build/site-report.txt: page weight (HTML + images) and axe results per page."""
    if hasattr(session.config, "workerinput") or not REPORT_PARTS.is_dir():
        return
    rows = {}
    for part in sorted(REPORT_PARTS.glob("*.json")):
        for page, row in json.loads(part.read_text()).items():
            # Under xdist a page may be visited by more than one worker: keep what each saw.
            old = rows.setdefault(page, {"weight": None, "axe": {}, "seconds": {}})
            old["weight"] = old["weight"] if row["weight"] is None else row["weight"]
            for mode, n in row["axe"].items():
                old["axe"][mode] = max(n, old["axe"].get(mode, 0))
            old["seconds"].update(row["seconds"])
    if not rows:
        return
    lines = ["page weight (HTML + images); axe serious+critical violations (light, dark); seconds", ""]
    for page, r in sorted(rows.items()):
        weight = "" if r["weight"] is None else f"{r['weight'] / 1e6:6.3f} MB"
        lines.append(f"{page:42s} {weight:>9s}  axe light={r['axe'].get('light', '-')} "
                     f"dark={r['axe'].get('dark', '-')}  {r['seconds']}")
    REPORT.write_text("\n".join(lines) + "\n")
