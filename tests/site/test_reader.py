"""What a reader does in the first minute: open the drawers on a phone, collapse the
sidebar, search, and trust the buttons that lead to the notebooks (issue 15)."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from sitecheck import ROOT, SITE, is_chapter, is_redirect, site_pages

PAGES = [p for p in site_pages() if not is_redirect(p)]
CHAPTERS = [p for p in PAGES if is_chapter(p)]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
TEX = re.compile(r"\\[A-Za-z]+|\\[()\[\]]|\$")


def _need(pages):
    if not pages:
        pytest.fail(f"no built pages under {SITE}: run `make book` or `make test-build` first")


@pytest.fixture
def new_page(browser, server):
    """A fresh page at a given viewport, with its console errors recorded."""
    contexts = []

    def make(width, height=900, path="index.html"):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(f"uncaught: {e}"))
        page.goto(server + path, wait_until="load")
        page.wait_for_load_state("networkidle")
        return page

    yield make
    for context in contexts:
        context.close()


def _visible(page, selector):
    return page.locator(f"{selector}:visible")


@pytest.mark.xdist_group("drawers")
@pytest.mark.parametrize("kind", ["primary", "secondary"])
def test_phone_drawers_open_and_close(new_page, kind):
    """On a 390 px phone, ☰ opens the site navigation and the 'On this page' button
    the page's contents, each in a drawer that Escape closes again
    (pydata-sphinx-theme #2451 bound the theme's script to a hidden copy)."""
    _need(CHAPTERS)
    page = new_page(390, 844, CHAPTERS[0])
    toggle = _visible(page, f".{kind}-toggle")
    assert toggle.count() == 1, f"expected one visible .{kind}-toggle"
    dialog = f"#pst-{kind}-sidebar-modal"
    toggle.first.click()
    page.wait_for_function(f"document.querySelector('{dialog}').open")
    links = page.locator(f"{dialog} a:visible")
    assert links.count() > 0, "the drawer opened empty"
    box = page.locator(dialog).bounding_box()
    assert box and box["width"] > 200, "the drawer is not visible"
    page.keyboard.press("Escape")
    page.wait_for_function(f"!document.querySelector('{dialog}').open")
    # the content went back to its sidebar, ready for the next opening
    assert page.locator(f"#pst-{kind}-sidebar a").count() > 0
    assert page.errors == []


@pytest.mark.xdist_group("drawers")
def test_desktop_menu_button_collapses_the_sidebar(new_page):
    """At 1280 px the same ☰ hides the navigation sidebar and shows it again."""
    _need(CHAPTERS)
    page = new_page(1280, 900, CHAPTERS[0])
    sidebar = page.locator("#pst-primary-sidebar")

    def shown():
        return page.evaluate("""() => { const s = document.getElementById('pst-primary-sidebar');
            const r = s.getBoundingClientRect(); return getComputedStyle(s).visibility !== 'hidden'
            && r.right > 0 && r.width > 0; }""")

    assert shown()
    _visible(page, ".primary-toggle").first.click()
    page.wait_for_timeout(400)                               # the theme animates the collapse
    assert not shown(), "the sidebar did not collapse"
    assert "pst-sidebar-hidden" in (sidebar.get_attribute("class") or "")
    _visible(page, ".primary-toggle").first.click()
    page.wait_for_timeout(400)
    assert shown(), "the sidebar did not come back"
    assert page.errors == []


def _search_index():
    text = (SITE / "searchindex.js").read_text()
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_search_index_titles_are_plain_text():
    """Search results show the titles of pages and sections: none may contain TeX."""
    _need(PAGES)
    index = _search_index()
    bad = [t for t in index["titles"] if TEX.search(re.sub(r"<[^>]+>", "", t))]
    bad += [t for t in index.get("alltitles", {}) if TEX.search(t)]
    assert bad == []


@pytest.mark.xdist_group("search")
def test_search_results_read_as_plain_text(new_page):
    """A search as a reader types it: the result titles carry no TeX."""
    _need(PAGES)
    page = new_page(1280, 900, "search.html?q=recursion")
    page.wait_for_function("document.querySelectorAll('#search-results li a').length > 0", timeout=20_000)
    titles = page.eval_on_selector_all("#search-results li > a", "as => as.map(a => a.textContent)")
    assert titles and all(not TEX.search(t) for t in titles), titles
    assert page.errors == []


def test_no_empty_index_page():
    """The site has no generated index of terms (it would be empty): the book's index
    of symbols is its Notation page, and no page links to genindex.html."""
    _need(PAGES)
    assert not (SITE / "genindex.html").exists()
    linked = [p for p in PAGES if 'href="' in (SITE / p).read_text(errors="replace")
              and re.search(r'href="[^"]*genindex\.html', (SITE / p).read_text(errors="replace"))]
    assert linked == []


@pytest.mark.parametrize("page", CHAPTERS or ["<no chapter yet>"])
def test_launch_and_repository_buttons_use_the_configured_repository(page):
    """The Binder and Colab buttons and the repository button all point to
    repository.url of _config.yml (the one place the URL is set)."""
    if page == "<no chapter yet>":
        pytest.skip("no chapter page built yet")
    html = (SITE / page).read_text(errors="replace")
    owner_repo = urlsplit(REPO_URL).path.strip("/")
    stem = page.removesuffix(".html")
    binder = re.findall(r'href="(https://mybinder\.org[^"]+)"', html)
    colab = re.findall(r'href="(https://colab\.research\.google\.com[^"]+)"', html)
    assert binder and colab
    for href in binder:
        href = href.replace("&amp;", "&")
        assert urlsplit(href).path.startswith(f"/v2/gh/{owner_repo}/{BRANCH}"), href
        assert parse_qs(urlsplit(href).query)["urlpath"] == [f"lab/tree/{stem}.ipynb"], href
    for href in colab:
        assert href.endswith(f"/github/{owner_repo}/blob/{BRANCH}/{stem}.ipynb"), href
    assert f'href="{REPO_URL}"' in html, "the repository button does not point to repository.url"


@pytest.mark.xdist_group("drawers")
def test_animation_radio_buttons_in_the_dark_theme(browser, server):
    """In the dark theme the player's unselected Loop and Reflect look unselected:
    the centre of an unchecked radio button is as light as its panel, that of the
    checked one is not."""
    from io import BytesIO

    from PIL import Image

    pages = [p for p in CHAPTERS if 'class="anim-state"' in (SITE / p).read_text(errors="replace")]
    if not pages:
        pytest.skip("no animation on the site")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    try:
        page = context.new_page()
        page.goto(server + pages[0], wait_until="load")
        page.wait_for_load_state("networkidle")
        radios = page.locator(".animation .anim-state input[type=radio]")
        radios.first.scroll_into_view_if_needed()
        centre = []
        for i in range(3):
            shot = Image.open(BytesIO(radios.nth(i).screenshot())).convert("L")
            w, h = shot.size
            centre.append((radios.nth(i).is_checked(), shot.getpixel((w // 2, h // 2))))
    finally:
        context.close()
    checked = [v for is_checked, v in centre if is_checked]
    unchecked = [v for is_checked, v in centre if not is_checked]
    assert len(checked) == 1 and len(unchecked) == 2, centre
    assert min(unchecked) > 150, f"unchecked radio buttons look filled: {centre}"
    assert checked[0] < min(unchecked) - 40, f"the checked radio button does not stand out: {centre}"
