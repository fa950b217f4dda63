"""Plain-terminal rendering of katas and verdicts (rich, never textual).

Shared by ``katas check``, ``katas watch`` and ``katas validate`` so a verdict reads the same
wherever it appears.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from trainer.model import Kata
from trainer.verdict import CheckStatus, Status, Verdict

STATUS_STYLE: dict[Status, tuple[str, str]] = {
    Status.PASSED: ("✓", "bold green"),
    Status.FAILED: ("✗", "bold red"),
    Status.ERROR: ("!", "bold yellow"),
    Status.TIMEOUT: ("⏱", "bold magenta"),
    Status.CRASHED: ("☠", "bold red"),
    Status.UNAVAILABLE: ("⊘", "bold cyan"),
}

CHECK_STYLE: dict[CheckStatus, tuple[str, str]] = {
    CheckStatus.PASSED: ("✓", "green"),
    CheckStatus.FAILED: ("✗", "red"),
    CheckStatus.ERROR: ("!", "yellow"),
    CheckStatus.SKIPPED: ("○", "dim"),
    CheckStatus.TIMEOUT: ("⏱", "magenta"),
    CheckStatus.NOT_RUN: ("·", "dim"),
}

OUTPUT_LINES = 20
"""Lines of captured output shown under a verdict that did not pass."""


def stars(difficulty: int) -> str:
    return "★" * difficulty + "☆" * (5 - difficulty)


def verdict_renderable(verdict: Verdict, title: str | None = None) -> Group:
    mark, style = STATUS_STYLE[verdict.status]
    head = Text()
    head.append(f"{mark} {verdict.status.value}", style=style)
    head.append(f"  {title or verdict.kata_id}", style="bold")
    head.append(f"  · {verdict.device} · {verdict.duration:.1f} s", style="dim")
    parts: list[Text | Padding] = [head, Text(f"  {verdict.summary}")]
    for check in verdict.checks:
        cmark, cstyle = CHECK_STYLE[check.status]
        line = Text("  ")
        line.append(cmark, style=cstyle)
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
