"""Small inline SVG charts for the class report: no plotting library, no scripts, no fetches.

Every label is escaped here: learner ids and check names come from archives and katas, and the
report must stay safe to open in a browser.

Labels are never cut. SVG text does not wrap by itself and a browser's font is unknown here, so
widths are estimated generously (:func:`text_width`) and a label too wide for its line is
wrapped onto more lines (:func:`wrap`): an id or check name clipped with an ellipsis, or from the
left, reads the same as its neighbours, which is how the failed-checks chart became useless.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["FONT_SIZE", "Bar", "bar_chart", "column_chart", "text_width", "wrap"]

FONT_SIZE = 13
FONT = f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}"'
LINE = 17
"""Height of one line of label text."""
BAR_COLOUR = "#4c78a8"

_NARROW = frozenset("ijlI.,:;'|!()[]{}/\\-`")
_WIDE = frozenset("mwMW@%")


@dataclass(frozen=True)
class Bar:
    label: str
    """Written in bold on the bar's first line (a kata id)."""
    value: float
    text: str
    """What is written at the end of the bar (a percentage, a count)."""
    detail: str = ""
    """Written after the label, wrapping onto further lines if need be (a check's name)."""


def _em(char: str) -> float:
    if char == " ":
        return 0.34
    if char in _NARROW:
        return 0.4
    if char in _WIDE:
        return 1.0
    if not char.isascii():
        return 1.05 if unicodedata.east_asian_width(char) in "WF" else 0.8
    if char.islower():
        return 0.64
    if char.isdigit():
        return 0.7
    return 0.8 if char.isupper() else 0.86


def text_width(text: str, size: float = FONT_SIZE, *, bold: bool = False) -> float:
    """Rendered width, over- rather than under-estimated, so layout wraps early, never cuts.

    Per-character widths in em, on the wide side of common sans-serif fonts: measured in
    Chromium, DejaVu Sans (the widest usual fallback for ``system-ui``), Noto Sans and
    Liberation Sans all render at most 0.95 of this estimate.
    """
    return sum(_em(char) for char in text) * size * (1.1 if bold else 1.0)


def _split_word(word: str, width: float, size: float, bold: bool) -> list[str]:
    """A word wider than a line, broken after ``-``, ``_``, ``.`` or ``/`` where possible."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and text_width(current + char, size, bold=bold) > width:
            cut = max(current.rfind(c) for c in "-_./")
            if cut > 0:
                pieces.append(current[: cut + 1])
                current = current[cut + 1 :]
            else:
                pieces.append(current)
                current = ""
        current += char
    return [*pieces, current] if current else pieces


def wrap(
    text: str, width: float, size: float = FONT_SIZE, *, bold: bool = False, first: float = 0.0
) -> list[str]:
    """``text`` as lines no wider than ``width``; every character is kept, only spaces between
    lines are dropped. ``first`` is what the first line already holds before the text."""
    lines: list[str] = []
    current = ""
    room = width - first
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= room:
            current = candidate
            continue
        if current or room < width:  # a full line, or a first line already partly taken
            lines.append(current)
            current, room = "", width
        if text_width(word, size, bold=bold) <= room:
            current = word
        else:
            *full, current = _split_word(word, room, size, bold)
            lines += full
    if current or not lines:
        lines.append(current)
    return lines


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>',
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
    ]


def _label_lines(bar: Bar, width: float) -> list[str]:
    """The label (bold) then its detail, as ``<text>`` rows starting at y=0, one per line."""
    rows: list[str] = []
    label_lines = wrap(bar.label, width, bold=True)
    if not bar.detail:
        return [f'<tspan font-weight="bold">{escape(line)}</tspan>' for line in label_lines]
    joiner = " · "
    used = text_width(label_lines[-1], bold=True) + text_width(joiner)
    detail_lines = wrap(bar.detail, width, first=used)
    for line in label_lines[:-1]:
        rows.append(f'<tspan font-weight="bold">{escape(line)}</tspan>')
    last = f'<tspan font-weight="bold">{escape(label_lines[-1])}</tspan>'
    head, *rest = detail_lines
    if head:  # the detail's first words share the label's last line
        rows.append(f"{last}<tspan>{escape(joiner + head)}</tspan>")
    else:
        rows.append(last)
    rows += [f"<tspan>{escape(line)}</tspan>" for line in rest]
    return rows


def bar_chart(bars: Sequence[Bar], *, maximum: float, title: str, width: int = 900) -> str:
    """Horizontal bars scaled to ``maximum``, each under its own label.

    The label takes the chart's full width above its bar rather than a column beside it, so a
    long kata id and check name stay on one line at most widths and wrap when they do not.
    """
    gap, bar_h, top = 8, 13, 28
    value_w = max((text_width(b.text) for b in bars), default=0.0) + 12
    track = round(width - value_w, 1)
    parts: list[str] = []
    y = top
    for bar in bars:
        rows = _label_lines(bar, width)
        full = escape(f"{bar.label} · {bar.detail}" if bar.detail else bar.label)
        for index, row in enumerate(rows):
            parts.append(
                f'<text x="0" y="{y + FONT_SIZE + index * LINE}"><title>{full}</title>{row}</text>'
            )
        y += len(rows) * LINE + 2
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum))
        parts += [
            f'<rect x="0" y="{y}" width="{track}" height="{bar_h}" fill="#eee"/>',
            f'<rect x="0" y="{y}" width="{round(track * share, 1)}" height="{bar_h}" '
            f'fill="{BAR_COLOUR}"/>',
            f'<text x="{round(track + 6, 1)}" y="{y + 11}">{escape(bar.text)}</text>',
        ]
        y += bar_h + gap
    if not bars:
        parts.append(f'<text x="0" y="{top + 14}" fill="#666">nothing to show</text>')
        y += 22
    return "\n".join([*_svg_open(width, y, title), *parts, "</svg>"])


def column_chart(
    columns: Sequence[tuple[str, int]], *, title: str, x_label: str, width: int = 640
) -> str:
    """Vertical columns (a histogram): ``(label, count)`` left to right."""
    top, bottom, left = 40, 40, 36
    plot_h = 160
    height = top + plot_h + bottom
    count = max(1, len(columns))
    slot = (width - left - 10) / count
    peak = max((c for _, c in columns), default=0) or 1
    parts = [
        *_svg_open(width, height, title),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#999"/>',
    ]
    for index, (label, value) in enumerate(columns):
        h = round(plot_h * value / peak, 1)
        x = round(left + index * slot + slot * 0.1, 1)
        w = round(slot * 0.8, 1)
        centre = round(left + index * slot + slot / 2, 1)
        parts += [
            f'<rect x="{x}" y="{round(top + plot_h - h, 1)}" width="{w}" height="{h}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>',
            f'<text x="{centre}" y="{top + plot_h + 14}" text-anchor="middle">'
            f"{escape(label)}</text>",
        ]
        if value:
            parts.append(
                f'<text x="{centre}" y="{round(top + plot_h - h - 4, 1)}" '
                f'text-anchor="middle">{value}</text>'
            )
    parts.append(
        f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle" fill="#666">'
        f"{escape(x_label)}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
