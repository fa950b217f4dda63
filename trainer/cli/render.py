"""Plain-terminal rendering of katas and verdicts (rich, never textual); marks from
:mod:`trainer.marks`.

Shared by ``katas check``, ``katas watch`` and ``katas validate`` so a verdict reads the same
wherever it appears.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from trainer.grading.verdict import CheckStatus, Verdict
from trainer.kata.model import Kata
from trainer.learner.practice import Note
from trainer.learner.report import ProgressDocument
from trainer.marks import CHECK, RICH_STYLE, VERDICT, Mark, stars

OUTPUT_LINES = 20
"""Lines of captured output shown under a verdict that did not pass."""


def styled(mark: Mark, *, bold: bool = False) -> str:
    """A mark's glyph in rich markup, in its tone's style."""
    style = RICH_STYLE[mark.tone]
    return f"[{'bold ' if bold else ''}{style}]{mark.glyph}[/]"


def verdict_renderable(verdict: Verdict, title: str | None = None) -> Group:
    mark = VERDICT[verdict.status]
    style = f"bold {RICH_STYLE[mark.tone]}"
    head = Text()
    head.append(f"{mark.glyph} {mark.label}", style=style)
    head.append(f"  {title or verdict.kata_id}", style="bold")
    head.append(f"  · {verdict.device} · {verdict.duration:.1f} s", style="dim")
    # Padded, not prefixed: a summary's later lines (a syntax error's caret, where a timeout
    # stopped the code) keep their indentation under its first.
    parts: list[Text | Padding] = [head, Padding(Text(verdict.summary), (0, 0, 0, 2))]
    for check in verdict.checks:
        cmark = CHECK[check.status]
        cstyle = RICH_STYLE[cmark.tone]
        line = Text("  ")
        line.append(cmark.glyph, style=cstyle)
        line.append(f" {check.name}")
        parts.append(line)
        if check.message and check.status is not CheckStatus.PASSED:
            parts.append(Padding(Text(check.message, style=cstyle), (0, 0, 0, 6)))
    if verdict.output.strip() and not verdict.passed:
        lines = verdict.output.rstrip().splitlines()
        shown = lines[-OUTPUT_LINES:]
        label = "your output" + (
            f" (last {len(shown)} of {len(lines)} lines)" if len(lines) > len(shown) else ""
        )
        if verdict.output_truncated:
            label += ", truncated"
        parts.append(Text(f"  ─ {label} ─", style="dim"))
        parts.append(Padding(Text("\n".join(shown)), (0, 0, 0, 4)))
    return Group(*parts)


def print_verdict(console: Console, verdict: Verdict, title: str | None = None) -> None:
    console.print(verdict_renderable(verdict, title))


def kata_panel(kata: Kata, location: str | None = None) -> Panel:
    spec = kata.spec
    sub = f"{spec.topic} · {stars(spec.difficulty)}"
    if spec.devices == ("cuda",):
        sub += " · GPU only"
    body: list[Markdown | Text] = [Markdown(spec.description)]
    if location:
        body.append(Text(f"\nEdit: {location}", style="bold"))
    return Panel(Group(*body), title=f"[bold]{escape(spec.title)}[/] ({kata.id})", subtitle=sub)


# -- the progress report (katas progress) ----------------------------------------------------------


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the words that agree with it: ``plural(1, "kata", "katas")`` is
    "1 kata", ``plural(2, "kata is", "katas are")`` "2 katas are". ``plural_form`` defaults to
    ``singular + "s"``; a float prints as ``1.5``, never ``1.0``."""
    number = f"{count:g}" if isinstance(count, float) else str(count)
    words = singular if count == 1 else plural_form or singular + "s"
    return f"{number} {words}"


def render_report(doc: ProgressDocument, tz: tzinfo | None = None) -> RenderableType:
    t = doc.totals
    head = Text()
    head.append(f"{t.solved}/{t.katas} solved", style="bold green")
    head.append(f" · {t.attempted} attempted · {plural(t.attempts, 'attempt')}")
    head.append(f" · {plural(t.hints_used, 'hint')}")
    head.append(f" · {_duration(t.time_spent_seconds)} with a kata open")
    head.append(f"\nstreak: {plural(t.streak_days, 'day')}", style="bold")
    head.append(
        f" · reviews due: {t.reviews_due}", style="bold yellow" if t.reviews_due else "bold"
    )
    if t.reviews_due:
        head.append("  (`katas review`)", style="dim")

    topics = Table(box=None, show_header=False, padding=(0, 1))
    topics.add_column("topic")
    topics.add_column("bar")
    topics.add_column("solved", justify="right")
    topics.add_column("attempted", style="dim")
    for topic in doc.topics:
        bar = ProgressBar(total=max(topic.katas, 1), completed=topic.solved, width=30)
        attempted = f"{topic.attempted} attempted" if topic.attempted else ""
        topics.add_row(topic.topic, bar, f"{topic.solved}/{topic.katas}", attempted)

    parts: list[RenderableType] = [head, Text(""), topics]
    if doc.recent:
        recent = Table(box=None, show_header=False, padding=(0, 1), title_justify="left")
        recent.title = "Recent activity"
        for item in doc.recent:
            style = "green" if item.detail.startswith("passed") else ""
            recent.add_row(
                item.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                escape(item.kata_id),
                Text(item.detail, style=style),
            )
        parts += [Text(""), recent]
    return Group(*parts)


def print_notes(console: Console, notes: Iterable[Note]) -> None:
    """What a grading told the learner (:class:`trainer.learner.practice.Note`), styled."""
    for note in notes:
        console.print(f"[{RICH_STYLE[note.tone]}]{escape(note.text)}[/]", highlight=False)
