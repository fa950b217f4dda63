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


GAP = 2
"""The fewest spaces between the line's left part and its right part."""


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
        """The fullest line that fits. When it does not, what goes first is what the learner
        needs least: the folder (the task names the file), the command hint, the product's
        name, then the end of the assignment's title. The device and the count stay."""
        width = self.size.width
        full, bare = self._right(commands=True), self._right(commands=False)
        for left, right in (
            (self._left(brand=True, workspace=True), full),
            (self._left(brand=True, workspace=False), full),
            (self._left(brand=True, workspace=False), bare),
            (self._left(brand=False, workspace=False), bare),
        ):
            if left.cell_len + GAP + right.cell_len <= width:
                return self._spread(left, right, width)
        right = bare
        left = self._left(brand=False, workspace=False, assignment="")
        room = width - GAP - right.cell_len - left.cell_len - len(" · ")
        if self.assignment and room >= 4:
            title = Text(self.assignment, style="bold")
            title.truncate(room, overflow="ellipsis")
            left = self._left(brand=False, workspace=False, assignment=title)
        left.truncate(max(0, width - right.cell_len - GAP), overflow="ellipsis")
        return self._spread(left, right, width)

    def _left(self, *, brand: bool, workspace: bool, assignment: Text | str | None = None) -> Text:
        parts: list[Text] = []
        if brand:
            parts.append(Text("torch-katas", style="bold"))
        if assignment is None:
            assignment = self.assignment
        if assignment:  # before the folder: a long path must not push it off the line
            parts.append(assignment if isinstance(assignment, Text) else Text(assignment, "bold"))
        if workspace:
            parts.append(Text(self.workspace))
        parts.append(Text(self.device, style=f"bold {colour(self.app, 'accent')}"))
        parts.append(Text(f"{self.solved}/{self.total} solved"))
        return Text(" ") + Text(" · ").join(parts)

    def _right(self, *, commands: bool) -> Text:
        right = Text()
        if self.due_text:
            right.append(f"{self.due_text} ", style=colour(self.app, "warning"))
        if self.due:
            right.append(f"review: {self.due} due ", style=colour(self.app, "warning"))
        elif commands:
            right.append("^p commands ", style=colour(self.app, "foreground-muted"))
        return right

    @staticmethod
    def _spread(left: Text, right: Text, width: int) -> Text:
        gap = max(GAP, width - left.cell_len - right.cell_len)
        return left + Text(" " * gap) + right
