"""One line: the workspace, the device being graded on, overall progress, reviews due."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from trainer.tui.marks import colour


def home_relative(path: Path) -> str:
    """``path`` with the home folder written ``~``."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class KatasHeader(Widget):
    """`` torch-katas · ~/pytorch-katas · cpu · 7/44 solved          review: 2 due``."""

    workspace: reactive[str] = reactive("")
    device: reactive[str] = reactive("cpu")
    solved: reactive[int] = reactive(0)
    total: reactive[int] = reactive(0)
    due: reactive[int] = reactive(0)
    assignment: reactive[str] = reactive("")
    """The assignment's title in a workspace made from one."""
    due_text: reactive[str] = reactive("")
    """When the assignment is due ("due 2025-03-14 12:00 UTC")."""

    def render(self) -> Text:
        left = Text(" ")
        left.append("torch-katas", style="bold")
        if self.assignment:  # before the folder: a long path must not push it off the line
            left.append(f" · {self.assignment}", style="bold")
        left.append(f" · {self.workspace} · ")
        left.append(self.device, style=f"bold {colour(self.app, 'accent')}")
        left.append(f" · {self.solved}/{self.total} solved")
        right = Text()
        if self.due_text:
            right.append(f"{self.due_text} ", style=colour(self.app, "warning"))
        if self.due:
            right.append(f"review: {self.due} due ", style=colour(self.app, "warning"))
        else:
            right.append("^p commands ", style=colour(self.app, "foreground-muted"))
        gap = self.size.width - left.cell_len - right.cell_len
        if gap < 1:
            left.truncate(max(0, self.size.width - right.cell_len - 1), overflow="ellipsis")
            gap = 1
        return left + Text(" " * gap) + right
