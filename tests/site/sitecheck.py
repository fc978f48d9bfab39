"""What the browser tests need to know about the built site (shared by conftest and tests)."""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BPTT_SITE", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = Path(os.environ.get("BPTT_SCREENSHOTS", SITE.parent / "screenshots")).resolve()
CHROMIUM = os.environ.get("BPTT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Folders of the built site that hold assets, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads", "reports", "@jupyter-widgets",
             "jupyter_execute", ".doctrees"}


def site_pages() -> list[str]:
    """Every HTML page of the built site, as a path relative to its root (e.g. ``notebooks/01_x.html``).

    The pages of the *current* build are the documents in Sphinx's search index plus
    the generated pages (index, genindex, search); stale HTML left in the folder by an
    earlier build with another table of contents is not part of the site.  Without a
    search index, every HTML file outside the asset folders counts.
    """
    if not SITE.is_dir():
        return []
    index = SITE / "searchindex.js"
    if index.exists():
        text = index.read_text()
        data = json.loads(text[text.index("(") + 1:text.rindex(")")])
        pages = {f"{doc}.html" for doc in data["docnames"]}
        pages |= {p for p in ("index.html", "genindex.html", "search.html") if (SITE / p).exists()}
        return sorted(p for p in pages if (SITE / p).exists())
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        rel = path.relative_to(SITE)
        if NOT_PAGES.isdisjoint(rel.parts):
            pages.append(rel.as_posix())
    return pages


def is_chapter(page: str) -> bool:
    """Chapter pages are the notebooks; they carry the launch and download buttons."""
    return page.startswith("notebooks/")


def is_redirect(page: str) -> bool:
    """Jupyter Book writes index.html as a bare meta-refresh to the root page."""
    text = (SITE / page).read_text(errors="replace")
    return 'http-equiv="Refresh"' in text and "<body" not in text.lower()
