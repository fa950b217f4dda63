"""What the learner's code printed during the last grading."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from trainer.grading.verdict import Verdict

NOTHING_YET = "Nothing graded yet."


class OutputPane(VerticalScroll):
    """The captured output of the last grading, as plain text (never markup)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = NOTHING_YET
        """What the pane shows now."""
        self._static = Static(NOTHING_YET, id="output-text", markup=False)

    def compose(self) -> ComposeResult:
        yield self._static

    def show(self, verdict: Verdict | None) -> None:
        if verdict is None:
            text = NOTHING_YET
        else:
            text = verdict.output.rstrip() or "(your code printed nothing)"
            if verdict.output_truncated:
                text += "\n… (output truncated)"
        self.text = text
        self._static.update(Text(text))
        self.scroll_home(animate=False)
