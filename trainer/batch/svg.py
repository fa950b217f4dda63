"""Small inline SVG charts for the class report: no plotting library, no scripts, no fetches.

Every label is escaped here: learner ids and check names come from archives and katas, and the
report must stay safe to open in a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "bar_chart", "column_chart"]

FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    """What is written at the end of the bar (a percentage, a count)."""


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, maximum: float, title: str, width: int = 640) -> str:
    """Horizontal bars, one per row, scaled to ``maximum``."""
    label_w, row_h, top = 240, 22, 28
    bar_w = width - label_w - 70
    height = top + row_h * max(1, len(bars)) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>',
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for row, bar in enumerate(bars):
        y = top + row * row_h
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum))
        length = round(bar_w * share, 1)
        parts += [
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(_clip(bar.label, 36))}</text>",
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" fill="#eee"/>',
            f'<rect x="{label_w}" y="{y + 3}" width="{length}" height="{row_h - 6}" '
            'fill="#4c78a8"/>',
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{escape(bar.text)}</text>',
        ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 14}" fill="#666">nothing to show</text>')
    parts.append("</svg>")
    return "\n".join(parts)


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
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>',
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
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
            f'fill="#4c78a8"><title>{escape(label)}: {value}</title></rect>',
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
