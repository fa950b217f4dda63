"""The tab line above the task, the editor and the output: which one shows, and switching."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from trainer.tui.marks import colour

TABS = (("task", "Task"), ("code", "Code"), ("output", "Output"))
"""(pane id, label), left to right."""


class TabBar(Widget):
    """``Task  Code ●  Output``, the shown pane underlined; a click posts :class:`Chosen`.

    Drawn as one line by one widget rather than Textual's ``TabbedContent`` (a widget per tab,
    an animated underline and their styles): it is part of the trainer's first frame.
    """

    DEFAULT_CSS = """
    TabBar {
        height: 1;
    }
    """

    active: reactive[str] = reactive("task")
    dirty: reactive[bool] = reactive(False)
    """The editor holds unsaved text: the Code tab says so."""

    @dataclass
    class Chosen(Message):
        """The learner clicked the tab of ``pane``."""

        pane: str

    def labels(self) -> list[tuple[str, str]]:
        return [
            (pane, f"{label} ●" if pane == "code" and self.dirty else label) for pane, label in TABS
        ]

    def render(self) -> Text:
        app = self.app
        line = Text(no_wrap=True, overflow="ellipsis")
        for pane, label in self.labels():
            line.append(" ")
            if pane == self.active:
                line.append(f" {label} ", style=f"bold underline {colour(app, 'text-accent')}")
            else:
                line.append(f" {label} ", style=colour(app, "foreground-muted"))
        return line

    def pane_at(self, x: int) -> str | None:
        """The pane whose tab covers column ``x``."""
        position = 0
        for pane, label in self.labels():
            start = position + 1
            end = start + len(label) + 2
            if start <= x < end:
                return pane
            position = end
        return None

    def on_click(self, event: events.Click) -> None:
        pane = self.pane_at(event.x)
        if pane is not None:
            event.stop()
            self.post_message(self.Chosen(pane))
