"""Horizontal bar charts as plain SVG: no script, no inline styles, the same bytes for the same data.

The SVG sits inline in the HTML page and the PDF (WeasyPrint draws it as vector graphics). Colours and fonts are
presentation attributes, which the site's Content-Security-Policy allows where ``style=`` is refused. A hidden
value draws no bar and says so in words; its number is never passed in, so it cannot leak into the markup.

Phones: each label sits on its own line(s) above its bar, wrapped at word breaks rather than cut short, and the
drawing is narrow (WIDTH user units), so scaled to a 320 px screen's column (about 288 px) its 13-unit text is
still about 12.5 CSS px. report.css lets it fill the column (``width: 100%``) up to a width where the text is
about body size. The chart's words (the hidden note, the description) are in the page's language.
"""
import hashlib

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 300  # the viewBox's width; see the module docstring for why it is narrow
FONT_SIZE = 13
PAD = 4
LINE = 16  # one line of 13-unit text
LABEL_X = 0  # labels start at the left edge, above their bar
BAR_X = 0
BAR_MAX = 180  # leaves room after the longest bar for its words, e.g. "100 % (12 345)"
BAR_HEIGHT = 14
GAP = 10  # between one row's bar and the next row's label
LINE_CHARS = 36  # about what fits in WIDTH at 13 units; longer labels wrap at spaces
MAX_LINES = 6  # a label longer than this many lines ends in "…" (the whole label is in the row's title and desc)
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
BAR_FILL = "#1d4f91"
TEXT_FILL = "#1b1b1b"
MUTED_FILL = "#4a4a4a"


def hidden_note(minimum: int) -> str:
    """The words shown instead of a hidden number (true for complementary cells too, so it reveals nothing)."""
    return _("hidden to protect groups under %(minimum)s", minimum=minimum)


def wrap(text: str, width: int = LINE_CHARS, max_lines: int = MAX_LINES) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces (a longer word is cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def _chart_id(title: str, bars) -> str:
    digest = hashlib.sha1(repr((title, [(b[0], b[2]) for b in bars])).encode("utf-8")).hexdigest()
    return f"chart-{digest[:10]}"


def _lines(lines: list[str], top: float, **attributes) -> str:
    """One <text> whose lines are <tspan>s; each line but the last keeps its space, so the text reads whole."""
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    spans = "".join(f'<tspan x="{LABEL_X}" y="{top + LINE * i:.1f}">{escape(line)}{" " if i < len(lines) - 1 else ""}'
                    "</tspan>" for i, line in enumerate(lines))
    return f"<text{extra}>{spans}</text>"


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
    shown = [value for _label, value, _text in bars if value is not None]
    scale = 1.0 if unit == "share" else float(max(shown, default=0) or 1)
    note = hidden_note(minimum)
    spoken = [_("%(label)s: %(value)s", label=label, value=note if value is None else text)
              for label, value, text in bars]
    desc = _("Bar chart. %(values)s.", values="; ".join(spoken)) if bars else _("Bar chart with nothing to show.")
    rows = []
    y = PAD
    for (label, value, text), words in zip(bars, spoken):
        label_lines = wrap(label)
        parts = [f"<g><title>{escape(words)}</title>",
                 _lines(label_lines, y + FONT_SIZE - 1, fill=TEXT_FILL)]
        band = y + len(label_lines) * LINE + 2  # top of the bar
        baseline = band + BAR_HEIGHT / 2 + 4.5  # text sits about half a cap height below the bar's middle
        if value is None:
            note_lines = wrap(note)
            parts.append(_lines(note_lines, baseline, fill=MUTED_FILL, font_style="italic"))
            height = max(BAR_HEIGHT, LINE * len(note_lines))
        else:
            length = max(0.0, min(float(value) / scale, 1.0)) * BAR_MAX
            parts.append(f'<rect x="{BAR_X}" y="{band:.1f}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                         f'fill="{BAR_FILL}"/>')
            parts.append(f'<text x="{BAR_X + length + 6:.1f}" y="{baseline:.1f}" fill="{TEXT_FILL}">'
                         f"{escape(text)}</text>")
            height = BAR_HEIGHT
        parts.append("</g>")
        rows.append("".join(parts))
        y = band + height + GAP
    if not bars:
        rows.append(f'<text x="{LABEL_X}" y="{PAD + FONT_SIZE + 4:.1f}" fill="{MUTED_FILL}">'
                    f'{escape(_("Nothing to show."))}</text>')
        y = PAD + LINE + 2 * PAD + GAP
    height = int(y - GAP + PAD + 0.999)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{ident}-title {ident}-desc" id="{ident}" '
            f'font-family="{FONT}" font-size="{FONT_SIZE}">'
            f'<title id="{ident}-title">{escape(title)}</title>'
            f'<desc id="{ident}-desc">{escape(desc)}</desc>')
    return Markup(head + "".join(rows) + "</svg>")
