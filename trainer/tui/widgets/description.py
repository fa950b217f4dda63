"""The task: the kata's description, the hints revealed so far, and after a pass, why."""

from __future__ import annotations

from rich.console import RenderableType
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from trainer.kata.model import Kata
from trainer.tui.markdown import MarkdownStyles, render_markdown
from trainer.tui.marks import colour


def task_markdown(
    kata: Kata,
    *,
    hints: int = 0,
    explanation: bool = False,
    solution: str | None = None,
    location: str | None = None,
) -> str:
    """The Markdown the Task tab shows for ``kata`` in its current state."""
    spec = kata.spec
    parts = [spec.description.rstrip()]
    if location:
        parts.append(f"Your file: `{location}`")
    for index in range(min(hints, len(spec.hints))):
        parts.append(f"**Hint {index + 1} of {len(spec.hints)}.** {spec.hints[index]}")
    if explanation:
        parts.append("## ✓ Solved: why it works\n\n" + spec.explanation.rstrip())
        if spec.references:
            parts.append("\n".join(f"- [{r.title}]({r.url})" for r in spec.references))
    if solution is not None:
        parts.append(f"## Reference solution\n\n```python\n{solution.rstrip()}\n```")
    return "\n\n".join(parts) + "\n"


class KataDescription(VerticalScroll):
    """The task as Markdown: one text widget in a scrolling container.

    Not Textual's ``Markdown``, which mounts a widget per paragraph, list and item: see
    :mod:`trainer.tui.markdown` for why, and for the Markdown drawn here.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = ""
        """The Markdown shown now (tests and the screen compare against it)."""
        self._text = Static("", classes="markdown")

    def compose(self) -> ComposeResult:
        yield self._text

    def show(self, text: str, *, end: bool = False) -> None:
        """Show ``text``, scrolled to the top, or to the end (a new hint, the explanation)."""
        if text == self.source:
            return
        self.source = text
        self._text.update(self._render_source())
        # after the layout settles (the tree may just have come back, rewrapping the text)
        if end:
            self.call_after_refresh(self.scroll_end, animate=False)
        else:
            self.call_after_refresh(self.scroll_home, animate=False)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())

    def _restyle(self) -> None:
        if self.source:
            self._text.update(self._render_source())

    def _render_source(self) -> RenderableType:
        app = self.app
        styles = MarkdownStyles(
            code=Style.parse(f"{colour(app, 'text-accent')} on {colour(app, 'surface')}"),
            link=Style.parse(f"underline {colour(app, 'text-primary')}"),
            url=Style.parse(colour(app, "foreground-muted")),
            heading=Style.parse(f"bold {colour(app, 'text-primary')}"),
            marker=Style.parse(f"bold {colour(app, 'text-secondary')}"),
            code_theme="github-dark" if app.current_theme.dark else "solarized-light",
        )
        return render_markdown(self.source, styles)
