"""Horizontal bar charts as plain SVG: no script, no inline styles, the same bytes for the same data.

The SVG sits inline in the HTML page and the PDF (WeasyPrint draws it as vector graphics). Colours and fonts are
presentation attributes, which the site's Content-Security-Policy allows where ``style=`` is refused. A hidden
value draws no bar and says so in words; its number is never passed in, so it cannot leak into the markup.
"""
import hashlib

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230  # room for the label column, right-aligned against the bars
BAR_X = 240
BAR_MAX = 290
ROW = 26
BAR_HEIGHT = 16
PAD = 8
LABEL_CHARS = 34  # about what fits in LABEL_WIDTH at 13px; the full label is in the row's title and the desc
# Text sits 4.5px below the row's middle: about half the cap height at 13px (dy and dominant-baseline vary by
# renderer, so the position is computed).
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
BAR_FILL = "#1d4f91"
TEXT_FILL = "#1b1b1b"
MUTED_FILL = "#4a4a4a"


def hidden_note(minimum: int) -> str:
    """The words shown instead of a hidden number (true for complementary cells too, so it reveals nothing)."""
    return f"hidden to protect groups under {minimum}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _chart_id(title: str, bars) -> str:
    digest = hashlib.sha1(repr((title, [(b[0], b[2]) for b in bars])).encode("utf-8")).hexdigest()
    return f"chart-{digest[:10]}"


def bar_chart(*, title: str, bars, minimum: int, unit: str = "share", ident: str | None = None) -> Markup:
    """An accessible SVG bar chart. ``bars`` are ``(label, value | None, text)``; None means hidden.

    ``unit="share"`` takes values from 0 to 1 (bar length is the share); ``unit="count"`` scales to the largest
    value shown. ``text`` is what is written after the bar (for example "35% (42)"). For a hidden bar the text is
    ignored and the chart says it is hidden. ``ident`` gives the SVG's id (a stable hash of the content otherwise).
    """
    if unit not in ("share", "count"):
        raise ValueError(f"unknown unit {unit!r}")
    bars = [(str(label), value, "" if value is None else str(text)) for label, value, text in bars]
    ident = ident or _chart_id(title, bars)
    shown = [value for _, value, _ in bars if value is not None]
    scale = 1.0 if unit == "share" else float(max(shown, default=0) or 1)
    height = PAD * 2 + ROW * max(len(bars), 1)
    spoken = [f"{label}: {hidden_note(minimum) if value is None else text}" for label, value, text in bars]
    desc = f"Bar chart. {'; '.join(spoken)}." if bars else "Bar chart with nothing to show."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{ident}-title {ident}-desc" id="{ident}" '
        f'font-family="{FONT}" font-size="13">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]
    for index, (label, value, text) in enumerate(bars):
        top = PAD + index * ROW
        middle = top + ROW / 2
        row_text = hidden_note(minimum) if value is None else text
        parts.append(f'<g><title>{escape(label)}: {escape(row_text)}</title>')
        parts.append(f'<text x="{LABEL_WIDTH}" y="{middle + 4.5:.1f}" text-anchor="end" '
                     f'fill="{TEXT_FILL}">{escape(_short(label))}</text>')
        if value is None:
            parts.append(f'<text x="{BAR_X}" y="{middle + 4.5:.1f}" fill="{MUTED_FILL}" '
                         f'font-style="italic">{escape(row_text)}</text>')
        else:
            length = max(0.0, min(float(value) / scale, 1.0)) * BAR_MAX
            parts.append(f'<rect x="{BAR_X}" y="{top + (ROW - BAR_HEIGHT) / 2:.1f}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{BAR_FILL}"/>')
            parts.append(f'<text x="{BAR_X + length + 6:.1f}" y="{middle + 4.5:.1f}" '
                         f'fill="{TEXT_FILL}">{escape(text)}</text>')
        parts.append("</g>")
    if not bars:
        parts.append(f'<text x="{PAD}" y="{PAD + ROW / 2 + 4.5:.1f}" fill="{MUTED_FILL}">Nothing to show.</text>')
    parts.append(f'<line x1="{BAR_X}" y1="{PAD}" x2="{BAR_X}" y2="{height - PAD}" stroke="{MUTED_FILL}" '
                 f'stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
