"""The footer, recomposed once per batch of binding changes."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KatasFooter(Footer):
    """Textual's ``Footer`` that coalesces recomposes.

    Every focus change and ``refresh_bindings`` asks the footer to recompose after the next
    refresh; at start-up that is several in a row, each rebuilding and restyling every key.
    The footer reads the screen's bindings when it recomposes, so one pending recompose shows
    the latest state just as well.
    """

    _recompose_pending = False
    _composed: tuple[tuple[str, str, str, bool, str], ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_pending = False
        shown = self._shown()
        if shown == self._composed:
            return  # the same keys, enabled the same: nothing to rebuild
        self._composed = shown
        await self.recompose()

    def _shown(self) -> tuple[tuple[str, str, str, bool, str], ...]:
        """What :meth:`compose` would show now: each shown binding, enabled or not."""
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
