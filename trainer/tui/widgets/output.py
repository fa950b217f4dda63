"""What the learner's code printed during the last grading."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from trainer.verdict import Verdict

NOTHING_YET = "Nothing graded yet."


class OutputPane(Static):
    """The captured output of the last grading, as plain text (never markup).

    One widget that scrolls its own text (``overflow-y: auto`` in the stylesheet): it is
    mounted, hidden, in the first frame.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(NOTHING_YET, id=id, markup=False)
        self.text = NOTHING_YET
        """What the pane shows now."""

    def show(self, verdict: Verdict | None) -> None:
        if verdict is None:
            text = NOTHING_YET
        else:
            text = verdict.output.rstrip() or "(your code printed nothing)"
            if verdict.output_truncated:
                text += "\n… (output truncated)"
        self.text = text
        self.update(Text(text))
        self.scroll_home(animate=False)
