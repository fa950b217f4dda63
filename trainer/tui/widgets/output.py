"""What the learner's code printed during the last grading."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from trainer.verdict import Verdict


class OutputPane(VerticalScroll):
    """The captured output of the last grading, as plain text (never markup)."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("Nothing graded yet.", id="output-text", markup=False)

    def show(self, verdict: Verdict | None) -> None:
        static = self.query_one("#output-text", Static)
        if verdict is None:
            static.update("Nothing graded yet.")
            return
        text = verdict.output.rstrip() or "(your code printed nothing)"
        if verdict.output_truncated:
            text += "\n… (output truncated)"
        static.update(Text(text))
        self.scroll_home(animate=False)
