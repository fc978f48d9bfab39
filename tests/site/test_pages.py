"""Every page of the built site, as a reader's browser sees it (light and dark theme)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from sitecheck import SITE, is_chapter, is_redirect, site_pages

PAGES = [p for p in site_pages() if not is_redirect(p)]
CHAPTERS = [p for p in PAGES if is_chapter(p)]
MAX_PAGE_BYTES = 3 * 1024 * 1024
IMAGE_FILE = re.compile(r"^[\w./\\:-]+\.(png|jpe?g|gif|svg|webp)$", re.I)

# If the site is missing, say so once instead of collecting nothing.
if not PAGES:
    PAGES = ["<no built site>"]
# With pytest-xdist (--dist loadgroup) all tests of one page run on one worker, which
# loads the page once per theme; without xdist the marks are ignored.
PAGE_PARAMS = [pytest.param(p, marks=pytest.mark.xdist_group(p), id=p) for p in PAGES]
CHAPTER_PARAMS = [pytest.param(p, marks=pytest.mark.xdist_group(p), id=p) for p in CHAPTERS]


def _need_site(page):
    if page == "<no built site>":
        pytest.fail(f"no built pages under {SITE}: run `make book` or `make test-build` first")


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_no_console_errors(site, page):
    _need_site(page)
    for mode in ("light", "dark"):
        assert site.visit(page, mode).console_errors == [], mode


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_no_failed_requests(site, page):
    """Nothing 404s: MathJax fonts, the widget manager's icon fonts, images, scripts."""
    _need_site(page)
    for mode in ("light", "dark"):
        assert site.visit(page, mode).failed == [], mode


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_no_third_party_requests(site, page):
    """At view time the page asks nothing of any host but the one serving the site."""
    _need_site(page)
    for mode in ("light", "dark"):
        assert site.visit(page, mode).external == [], mode


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_mathjax_has_typeset(site, page):
    _need_site(page)
    info = site.visit(page).info
    if is_chapter(page):
        assert info["mathjax_loaded"], "a chapter page without MathJax: no equations at all?"
    if is_chapter(page) or info["math_nodes"]:
        assert info["mjx"] > 0, "MathJax typeset nothing"
    assert info["math_untypeset"] == [], "math left untypeset"
    assert info["mjx_errors"] == 0, "MathJax reported TeX errors (mjx-merror)"
    assert info["raw_math"] == [], "raw TeX left in the page's text"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_images_load(site, page):
    _need_site(page)
    bad = [i["src"][:120] for i in site.visit(page).info["images"]
           if not i["complete"] or i["width"] <= 0]
    assert bad == []


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_images_have_meaningful_alt_text(site, page):
    """Non-empty alt text that describes the image: not a file name, at least two words."""
    _need_site(page)
    bad = []
    for img in site.visit(page).info["images"]:
        alt = (img["alt"] or "").strip()
        name = Path(urlsplit(img["src"]).path).name if not img["src"].startswith("data:") else ""
        if (not alt or IMAGE_FILE.match(alt) or alt == name or len(alt.split()) < 2):
            bad.append((img["src"][:80], img["alt"]))
    assert bad == []


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_animation_next_frame_changes_image(site, page):
    """The kernel-free counterparts work: "Next frame" shows a different frame."""
    _need_site(page)
    v = site.visit(page)
    assert len(v.animations) == v.info["animations"]
    assert [a for a in v.animations if not a["ok"]] == []


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_animation_buttons_show_icons(site, page):
    """The player's fa-* icons render with the theme's bundled Font Awesome."""
    _need_site(page)
    icons = site.visit(page).info["anim_icons"]
    assert all(icons), f"{icons.count(False)} of {len(icons)} animation buttons show no icon"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_saved_widget_state_renders(site, page):
    _need_site(page)
    info = site.visit(page).info
    if info["widget_views"]:
        assert info["widgets_rendered"] > 0, "saved widget views were not rendered"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_page_weight(site, page):
    """The HTML plus every image it shows stays under 3 MB."""
    _need_site(page)
    v = site.visit(page)
    files = {page} | {p for kind, p in v.local_paths if kind == "image"}
    total = sum((SITE / p).stat().st_size for p in files if (SITE / p).is_file())
    site.weights[page] = total
    assert total <= MAX_PAGE_BYTES, f"{total / 1e6:.2f} MB"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_binder_links_open_the_page_notebook(site, page):
    _need_site(page)
    for href in site.visit(page).info["binder"]:
        urlpath = parse_qs(urlsplit(href).query).get("urlpath", [""])[0]
        assert urlpath.startswith("lab/tree/notebooks/") and urlpath.endswith(".ipynb"), href
        if is_chapter(page):
            assert urlpath == f"lab/tree/{page.removesuffix('.html')}.ipynb", href


@pytest.mark.parametrize("page", CHAPTER_PARAMS or ["<no chapter yet>"])
def test_chapter_has_launch_and_download_buttons(site, page):
    if page == "<no chapter yet>":
        pytest.skip("no chapter page built yet")
    info = site.visit(page).info
    stem = page.removesuffix(".html")
    assert len(info["binder"]) >= 1, "no Binder launch button"
    assert any(h.endswith(f"/blob/main/{stem}.ipynb") for h in info["colab"]), info["colab"]
    ipynb = [h for h in info["downloads"] if h.endswith(".ipynb")]
    assert ipynb, "no .ipynb download button"
    for href in ipynb:
        assert (SITE / page).parent.joinpath(href).resolve().is_file(), href


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_accessibility_axe(site, page, mode):
    """axe-core finds no serious or critical violation, in either theme."""
    _need_site(page)
    v = site.visit(page, mode)
    if mode == "dark":
        assert v.theme == "dark", "the dark theme was not applied"
    assert v.axe_serious == []
