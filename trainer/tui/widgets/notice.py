"""The notice line under the header: what the learner must not miss, kept until dismissed.

A toast lasts seconds; a learner who reads "your workspace was created at …" and then goes off
to install torch comes back to a screen that no longer says where their files are. Notices
stay until the learner dismisses them (escape, a click) or opens another kata.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget

from trainer.marks import Tone
from trainer.tui.marks import colour

DISMISS = "esc: dismiss"
"""The hint at the end of the last notice."""


class NoticeBar(Widget):
    """Notices (text and tone), one paragraph each, hidden while there are none."""

    DEFAULT_CSS = """
    NoticeBar {
        height: auto;
        max-height: 6;
        padding: 0 1;
        background: $primary-muted;
    }
    """

    def __init__(
        self, notices: list[tuple[str, Tone]] | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.notices: list[tuple[str, Tone]] = list(notices or [])
        """What the bar shows now, oldest first."""
        self.display = bool(self.notices)

    def add(self, text: str, tone: Tone = Tone.MUTED) -> None:
        """Show ``text`` as well (once: the same notice twice is shown once)."""
        if (text, tone) in self.notices:
            return
        self.notices.append((text, tone))
        self._changed()

    def dismiss(self) -> None:
        """Hide every notice: the learner has read them."""
        if self.notices:
            self.notices.clear()
            self._changed()

    def _changed(self) -> None:
        self.display = bool(self.notices)
        self.refresh(layout=True)

    def render(self) -> Text:
        text = Text()
        for index, (notice, tone) in enumerate(self.notices):
            if index:
                text.append("\n")
            if tone is Tone.WARNING:
                text.append("! ", style=f"bold {colour(self.app, 'warning')}")
            text.append(notice)
        text.append(f"  {DISMISS}", style=colour(self.app, "foreground-muted"))
        return text

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.dismiss()
