"""The built-in editor: Textual's code editor with Python highlighting."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea


class KataEditor(TextArea):
    """A ``TextArea.code_editor`` that posts :class:`KataEditor.Leave` on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "screen.save", "save", priority=True),
        Binding("escape", "leave", "leave editor"),
    ]

    class Leave(Message):
        """The learner pressed escape: give the keys back to the screen."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(
            text,
            language=None,
            theme="css",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            id=id,
        )
        self.cursor_blink = False
        self.saved_text = text

    def highlight(self) -> None:
        """Turn Python highlighting on: the screen calls this when the editor is first shown.

        Each document change re-prepares the tree-sitter query (tens of milliseconds), so a
        hidden editor stays plain text and start-up does not pay for it.
        """
        if self.language is None and "python" in self.available_languages:
            self.language = "python"

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text

    def load(self, text: str) -> None:
        """Show ``text`` as the saved state of the file."""
        self.saved_text = text
        self.load_text(text)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.post_message(self.Leave())
            return
        await super()._on_key(event)

    def action_leave(self) -> None:
        self.post_message(self.Leave())
