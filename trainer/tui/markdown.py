"""The small Markdown the katas are written in, drawn as one Rich renderable.

Kata descriptions, hints and explanations use paragraphs, bullet and numbered lists (items
may wrap onto indented lines), ``inline code``, **bold**, *italic*, links, ``##`` headings
and fenced code. Drawing that as one renderable in one widget keeps the main screen's first
frame cheap: Textual's ``Markdown`` widget mounts a widget per block and imports a full
CommonMark parser, and together they cost the trainer more start-up time than the rest of
the screen. Anything outside this subset is shown as the text it is, never dropped.

Colours come from the app's theme, so the text reads on light and dark themes alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

__all__ = ["MarkdownStyles", "render_markdown"]

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|(?P<link>\[(?P<link_text>[^\]]+)\]\((?P<url>[^)\s]+)\))"
    r"|(?P<strong>\*\*(?P<strong_text>\S(?:.*?\S)?)\*\*|__(?P<strong_u>\S(?:.*?\S)?)__)"
    r"|(?P<em>(?<![\w*])\*(?P<em_text>[^*\s](?:[^*]*?[^*\s])?)\*(?![\w*])"
    r"|(?<![\w])_(?P<em_u>[^_\s](?:[^_]*?[^_\s])?)_(?![\w]))"
    r"|\\(?P<escaped>[\\`*_\[\]()#+\-.!])"
)


@dataclass(frozen=True)
class MarkdownStyles:
    """The styles text is drawn with; the widget builds them from the app's theme."""

    code: Style = field(default_factory=lambda: Style(bold=True))
    link: Style = field(default_factory=lambda: Style(underline=True))
    url: Style = field(default_factory=lambda: Style(dim=True))
    heading: Style = field(default_factory=lambda: Style(bold=True))
    marker: Style = field(default_factory=lambda: Style(bold=True))
    code_theme: str = "github-dark"


def inline(text: str, styles: MarkdownStyles) -> Text:
    """``text`` with its inline markup (code, bold, italic, links, escapes) turned into styles."""
    out = Text()
    position = 0
    for match in _INLINE.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        if match["code"]:
            out.append(match["code_text"].strip() or match["code_text"], style=styles.code)
        elif match["link"]:
            out.append_text(_styled(inline(match["link_text"], styles), styles.link))
            out.append(f" ({match['url']})", style=styles.url)
        elif match["strong"]:
            strong = match["strong_text"] or match["strong_u"]
            out.append_text(_styled(inline(strong, styles), Style(bold=True)))
        elif match["em"]:
            emphasis = match["em_text"] or match["em_u"]
            out.append_text(_styled(inline(emphasis, styles), Style(italic=True)))
        else:
            out.append(match["escaped"])
    out.append(text[position:])
    return out


def _styled(text: Text, style: Style) -> Text:
    text.stylize(style)
    return text


@dataclass
class _Item:
    marker: str
    lines: list[str]


@dataclass(frozen=True)
class _Heading:
    title: str


@dataclass(frozen=True)
class _Fence:
    language: str
    code: str


@dataclass(frozen=True)
class _List:
    items: list[_Item]


@dataclass(frozen=True)
class _Paragraph:
    text: str


_Block = _Heading | _Fence | _List | _Paragraph


def _blocks(lines: list[str]) -> Iterator[_Block]:
    """Split ``lines`` into headings, fenced code, lists and paragraphs."""
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            indent, ticks, language = fence.groups()
            body: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(ticks[:3]):
                body_line = lines[index]
                body.append(body_line[len(indent) :] if body_line.startswith(indent) else body_line)
                index += 1
            index += 1  # the closing fence (or the end of the text)
            yield _Fence(language, "\n".join(body))
            continue
        heading = _HEADING.match(line)
        if heading:
            yield _Heading(heading[2])
            index += 1
            continue
        if _ITEM.match(line):
            items, index = _list(lines, index)
            yield _List(items)
            continue
        paragraph = [line.strip()]
        index += 1
        while index < len(lines):
            nxt = lines[index]
            if not nxt.strip() or _FENCE.match(nxt) or _HEADING.match(nxt) or _ITEM.match(nxt):
                break
            paragraph.append(nxt.strip())
            index += 1
        yield _Paragraph(" ".join(paragraph))


def _list(lines: list[str], index: int) -> tuple[list[_Item], int]:
    """One list from ``lines[index]``: items with their wrapped and nested lines, dedented."""
    first = _ITEM.match(lines[index])
    assert first is not None
    base = len(first[1])
    items: list[_Item] = []
    while index < len(lines):
        line = lines[index]
        item = _ITEM.match(line)
        if item and len(item[1]) == base:
            items.append(_Item(item[2], [item[3]]))
            index += 1
            continue
        if not line.strip():
            # a blank line ends the list unless the item goes on, indented, after it
            ahead = index + 1
            if ahead < len(lines) and _indent(lines[ahead]) > base and lines[ahead].strip():
                items[-1].lines.append("")
                index += 1
                continue
            break
        if _indent(line) > base or not (_FENCE.match(line) or _HEADING.match(line) or item):
            if _indent(line) < base:
                break
            items[-1].lines.append(line)
            index += 1
            continue
        break
    for entry in items:
        entry.lines = [entry.lines[0], *_dedent(entry.lines[1:])]
    return items, index


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(lines: list[str]) -> list[str]:
    widths = [_indent(line) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] for line in lines]


def render_markdown(
    source: str,
    styles: MarkdownStyles | None = None,
    *,
    highlight: Callable[[str, str, str], RenderableType] | None = None,
) -> RenderableType:
    """``source`` as one renderable: blocks one blank line apart, lists with hanging indents.

    ``highlight(code, language, theme)`` draws fenced code; by default Rich's ``Syntax``,
    imported only when a fence is there to draw.
    """
    styles = styles or MarkdownStyles()
    parts: list[RenderableType] = []
    for block in _blocks(source.expandtabs(4).splitlines()):
        if parts:
            parts.append(Text())
        parts.append(_block(block, styles, highlight or _syntax))
    return Group(*parts)


def _block(
    block: _Block,
    styles: MarkdownStyles,
    highlight: Callable[[str, str, str], RenderableType],
) -> RenderableType:
    if isinstance(block, _Heading):
        return _styled(inline(block.title, styles), styles.heading)
    if isinstance(block, _Fence):
        return highlight(block.code, block.language or "text", styles.code_theme)
    if isinstance(block, _List):
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True, style=styles.marker)
        grid.add_column(ratio=1, overflow="fold")  # a long URL breaks across lines, never cut
        for item in block.items:
            marker = "•" if item.marker in "-*+" else item.marker
            body = render_markdown("\n".join(item.lines), styles, highlight=highlight)
            grid.add_row(marker, body)
        return grid
    return inline(block.text, styles)


def _syntax(code: str, language: str, theme: str) -> RenderableType:
    from rich.syntax import Syntax

    return Syntax(code, language, theme=theme, word_wrap=True, padding=(0, 1))
