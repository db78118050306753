"""The report as a PDF: WeasyPrint renders the standalone HTML (charts stay vector graphics).

Nothing is fetched over the network: the stylesheet is inlined and the charts are inline SVG, and the URL fetcher
refuses anything that is not a data: URL or a file inside the application's folder (a stray link in stored HTML
cannot make the server request an address).
"""
from pathlib import Path

from engage.reporting.document import render_document

APP_ROOT = Path(__file__).resolve().parent.parent.parent


def _fetcher():
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Serve data: URLs and files under the app's folder; refuse everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                from urllib.parse import unquote, urlsplit

                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(APP_ROOT):
                    return super().fetch(url, headers)
            raise ValueError(f"Engage reports do not fetch {url.split(':', 1)[0]} resources")

    return LocalOnlyFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def document_pdf(doc) -> bytes:
    """Render ``doc`` (an ``engage.services.reports.Document``) as PDF bytes, tagged for screen readers."""
    from weasyprint import HTML

    html = render_document(doc, standalone=True)
    return HTML(string=html, base_url=APP_ROOT.as_uri() + "/", url_fetcher=_fetcher()).write_pdf(pdf_tags=True)
