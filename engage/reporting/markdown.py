"""Report sections in Markdown, rendered to HTML that is safe to publish: markdown-it-py, then an nh3 allow-list.

Raw HTML in the Markdown is shown as text, never interpreted. The sanitiser runs after rendering anyway, so nothing
outside the allow-list survives even if a Markdown extension misbehaved: no scripts, event handlers, ``style``
attributes, images (they would fetch), or links other than http, https and mailto.
"""
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre", "br", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}  # th/td classes: allowed_classes below
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
URL_SCHEMES = {"http", "https", "mailto"}
# The section's own heading is an h2 in the document, so headings written inside a section start at h3.
TOP_HEADING, BOTTOM_HEADING = 3, 4

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES},
    clean_content_tags={"script", "style"},
    url_schemes=URL_SCHEMES,
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def render_markdown(text: str) -> Markup:
    """Section Markdown (CommonMark plus tables) as sanitised HTML.

    Headings keep their relative depth: the shallowest level used becomes h3 and anything deeper h4, whether the
    writer used ``#`` or ``###``. Table alignment becomes a class, because inline styles are not allowed. An image
    becomes its description.
    """
    tokens = _markdown.parse(text or "")
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    shift = {level: min(TOP_HEADING + rank, BOTTOM_HEADING) for rank, level in enumerate(levels)}
    for token in tokens:
        if token.type == "inline" and token.children:
            # An image would be fetched from elsewhere; keep its description as text instead.
            token.children = [Token("text", "", 0, content=c.content) if c.type == "image" else c
                              for c in token.children]
        elif token.type in ("heading_open", "heading_close"):
            token.tag = f"h{shift[int(token.tag[1])]}"
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrs["class"] = f"align-{style.partition(':')[2].strip()}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Markup(_cleaner.clean(html))

