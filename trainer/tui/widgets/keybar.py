"""The bottom line: the keys the focused screen offers now, each clickable."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget

from trainer.tui.marks import colour


class KeyBar(Widget):
    """``c code  e edit  h hint …``: the shown bindings, dimmed while they are disabled.

    One widget that draws one line, where Textual's ``Footer`` mounts a widget per key: the
    main screen's first frame is the trainer's start-up time. It redraws when the screen's
    bindings change (focus moves into the editor and the letters type there instead), and a
    click on a key presses it.
    """

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $panel;
    }
    """

    keys: reactive[tuple[tuple[str, str, str, bool], ...]] = reactive(())
    """(key, key as shown, description, enabled) for each shown binding."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys = self._shown(screen)
        if keys != self.keys:
            self.keys = keys

    def _shown(self, screen: Screen[object]) -> tuple[tuple[str, str, str, bool], ...]:
        app = self.app
        return tuple(
            (binding.key, app.get_key_display(binding), binding.description, enabled)
            for (_node, binding, enabled, _tooltip) in screen.active_bindings.values()
            if binding.show
        )

    def render(self) -> Text:
        if not self.keys and self.is_attached:
            # drawn before its Mount arrived (the first frame): read the keys now
            self.set_reactive(KeyBar.keys, self._shown(self.screen))
        app = self.app
        key_style = f"bold {colour(app, 'text-accent')}"
        muted = colour(app, "foreground-muted")
        # two spaces between keys where they fit, else one (the keys' colour still sets them
        # apart), else the line ends in an ellipsis
        labels = sum(len(shown) + 1 + len(description) for _, shown, description, _ in self.keys)
        gap = "  " if 1 + labels + 2 * len(self.keys) <= self.size.width else " "
        line = Text(" ", no_wrap=True, overflow="ellipsis", end="")
        self._spans = []
        for key, shown, description, enabled in self.keys:
            start = line.cell_len
            line.append(shown, style=key_style if enabled else muted)
            line.append(f" {description}", style="" if enabled else muted)
            self._spans.append((start, line.cell_len, key))
            line.append(gap)
        return line

    def key_at(self, x: int) -> str | None:
        """The key whose label covers column ``x``."""
        for start, end, key in self._spans:
            if start <= x < end:
                return key
        return None

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is not None:
            event.stop()
            self.app.simulate_key(key)
