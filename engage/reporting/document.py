"""The What We Heard document as HTML: a standalone, printable file, or the body the public page wraps.

The same template makes the web page, the HTML export and (through WeasyPrint) the PDF, so they say the same
thing. Section HTML arrives rendered (``engage.services.reports.render_section``: sanitised Markdown with its
blocks already in place) and is used as it is.
"""
import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from engage.reporting.blocks import block_language, localize_blocks, long_date, template_env

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
CSS_FILE = "css/report.css"
TEMPLATE = "report/document.html"


def section_anchor(key: str) -> str:
    return "section-" + (re.sub(r"[^a-z0-9-]+", "-", str(key).lower()).strip("-") or "part")


def render_document(doc, *, standalone: bool) -> str:
    """The report as HTML. ``doc`` is an ``engage.services.reports.Document`` (or anything with its attributes).

    ``standalone=True`` is a complete page with the stylesheet inlined (the HTML export and the PDF work offline);
    ``standalone=False`` is the body partial that the site's own layout places inside its page; that page links
    ``static/css/report.css`` in its head.
    Needs no request or database: an app context is used for templates when there is one.
    """
    data = doc.data or {}
    sections = [
        {"key": s["key"], "title": s["title"], "anchor": section_anchor(s["key"]),
         "html": localize_blocks(s.get("html", ""), data)}
        for s in doc.sections
    ]
    context = {
        "doc": doc,
        "data": data,
        "sections": sections,
        "standalone": standalone,
        "consultation": data.get("consultation") or data.get("review") or {},
        "public_min": data.get("public_min", 10),
        "identity_min": data.get("identity_min", data.get("public_min", 10)),
        "published_text": long_date(doc.published_on),
        "generated_text": long_date(data.get("generated_on")),
        "corrections": [dict(c, published_text=long_date(c.get("published_on"))) for c in doc.corrections or []],
        "css": Markup(stylesheet()) if standalone else None,
        # The page's words (headings, notes, blocks) are in the reader's language; what staff wrote is in the
        # consultation's own, marked as such so that screen readers pronounce each part right.
        "page_lang": block_language(),
        "written_lang": getattr(doc, "language", None) or "en",
    }
    return template_env().get_template(TEMPLATE).render(**context)


@lru_cache(maxsize=1)
def _read_css(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The report stylesheet's text, for inlining (re-read when the file changes)."""
    path = STATIC / CSS_FILE
    return _read_css(str(path), path.stat().st_mtime)



def stylesheet_csp_source() -> str:
    """The CSP source that allows the standalone page's inline stylesheet, e.g. for ``style-src 'self' <this>``.

    The site's policy refuses inline styles; a page serving the standalone HTML adds this hash to let exactly
    this stylesheet (and nothing else) apply.
    """
    digest = hashlib.sha256(stylesheet().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
