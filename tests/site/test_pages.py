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


# --------------------------------------------------------------------------- issue 15: as readers meet it
TEX = re.compile(r"\\[A-Za-z]+|\\[()\[\]]|\$")
WIDGET_MANAGER = ("html-manager/embed-amd.js", "requirejs/require.js")


def _title_text(page):
    html = (SITE / page).read_text(errors="replace")
    m = re.search(r"<title>(.*?)</title>", html, re.S)
    return m.group(1) if m else ""


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_titles_are_plain_text(site, page):
    """The browser tab (and so bookmarks and link previews) and the print-only heading
    carry no TeX: chapter titles are plain Unicode text."""
    _need_site(page)
    title = _title_text(page)
    assert title and not TEX.search(title), title
    html = (SITE / page).read_text(errors="replace")
    printed = re.search(r'<div id="jb-print-docs-body" class="onlyprint">\s*<h1>(.*?)</h1>', html, re.S)
    if printed:
        assert not TEX.search(printed.group(1)), printed.group(1)


@pytest.mark.parametrize("page", CHAPTER_PARAMS or ["<no chapter yet>"])
def test_exercises_are_numbered_per_chapter(site, page):
    """Exercise 4.2 is the second exercise of chapter 4: Sphinx numbers the chapters
    (the Chapters part of _toc.yml is numbered) and the exercises within each."""
    if page == "<no chapter yet>":
        pytest.skip("no chapter page built yet")
    html = (SITE / page).read_text(errors="replace")
    chapter = re.search(r"<title>(\d+)\. ", html)
    assert chapter, "the chapter's title carries no section number from Sphinx"
    numbers = re.findall(r'<span class="caption-number">Exercise (\S+) </span>', html)
    expected = [f"{chapter.group(1)}.{i}" for i in range(1, len(numbers) + 1)]
    assert numbers == expected


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_solution_bar_opens_the_solution(site, page):
    """A click on the exercise link in a solution's bar opens the solution, stays on
    the page and raises nothing (togglebutton.js's 'button is not defined')."""
    _need_site(page)
    sol = site.visit(page).solution
    if not sol:
        pytest.skip("no solution on this page")
    assert sol["hidden_before"] is True, "solutions start hidden"
    assert sol["hidden_after"] is False, "the click did not open the solution"
    assert sol["url_after"] == sol["url_before"], "the click jumped to the exercise"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_nothing_overflows_at_desktop_width(site, page):
    """At 1280 px no code block needs sideways scrolling and no display equation is
    clipped; no figure is scaled down (its text would shrink)."""
    _need_site(page)
    layout = site.visit(page).layout[1280]
    assert layout["page_width"] <= layout["viewport"]
    assert layout["code"] == [], "code blocks wider than the column: (needed, available, longest line)"
    assert layout["math"] == [], "display equations wider than the column"
    shrunk = [f for f in layout["figures"] if f[1] < f[0] - 1]
    assert shrunk == [], "figures shown narrower than their natural width: (natural, shown)"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_phone_page_fits_the_screen(site, page):
    """At 390 px the page is no wider than the screen (long inline code and long words
    wrap; wide code and equations scroll inside their own box) and every animation
    control is on screen."""
    _need_site(page)
    layout = site.visit(page).layout[390]
    assert layout["page_width"] <= layout["viewport"], f"{layout['page_width']} px wide on a 390 px screen"
    assert layout["controls_outside"] == []


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_widget_manager_only_where_a_widget_shows(site, page):
    """The 3.6 MB widget manager (and require.js) load only on pages whose body shows a
    widget view; the live widgets' outputs are removed, so usually nowhere."""
    _need_site(page)
    v = site.visit(page)
    loaded = sorted({p for kind, p in v.local_paths if p.endswith(WIDGET_MANAGER)})
    if v.info["widget_views"] == 0:
        assert loaded == []
    html = (SITE / page).read_text(errors="replace")
    if "application/vnd.jupyter.widget-view+json" not in html:
        assert "application/vnd.jupyter.widget-state+json" not in html, "saved widget state on a page without views"


@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_no_console_warnings(site, page):
    _need_site(page)
    for mode in ("light", "dark"):
        assert site.visit(page, mode).console_warnings == [], mode


def _filtered(rgb, css_filter):
    """An sRGB colour (0..255) after CSS ``brightness(b) contrast(c)`` (the dark theme's image filter)."""
    x = [c / 255 for c in rgb[:3]]
    for name, amount in re.findall(r"(brightness|contrast)\(([\d.]+)\)", css_filter or ""):
        a = float(amount)
        x = [min(1.0, max(0.0, v * a if name == "brightness" else (v - 0.5) * a + 0.5)) for v in x]
    return [round(v * 255) for v in x]


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page", CHAPTER_PARAMS or ["<no chapter yet>"])
def test_figure_text_contrast(site, page, mode):
    """Figures are opaque, and their text colour (rnnlib.plots.style.TEXT) keeps at least
    4.5:1 against their background as the theme shows it (the dark theme dims images
    with a CSS filter); at 1280 px they are not scaled down, so their smallest text
    (style.MIN_TEXT_PT at style.DPI) is at least the page's small text."""
    if page == "<no chapter yet>":
        pytest.skip("no chapter page built yet")
    from matplotlib.colors import to_rgb

    from rnnlib.plots import style

    v = site.visit(page, mode)
    for fig in v.figures:
        assert fig["corner"][3] == 255, f"{fig['src']}: transparent figure background"
        text = _filtered([round(255 * c) for c in to_rgb(style.TEXT)], fig["filter"])
        background = _filtered(fig["corner"], fig["filter"])
        ratio = style.contrast_ratio([c / 255 for c in text], [c / 255 for c in background])
        assert ratio >= 4.5, f"{fig['src']}: text contrast {ratio:.2f}:1 in the {mode} theme"
    small_px = site.visit(page).layout[1280].get("small_text_px", 14.4)
    assert style.MIN_TEXT_PT * style.DPI / 72 >= small_px - 0.05
