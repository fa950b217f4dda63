"""The check list: one line and a mark per hidden check, the selected failure's message, and
what the grading means beyond its checks (the review it scheduled, checks still to come)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from trainer.grading.verdict import CheckStatus, Status, Verdict
from trainer.marks import CHECK, CHECK_PENDING, CHECK_RUNNING, THEME_VARIABLE, VERDICT, Tone
from trainer.tui.marks import colour, paint


class CheckList(Vertical):
    """The verdict of the last grading, check by check.

    The screen sets the state through :meth:`show`: ``running`` while a grading is in flight
    (the previous checks' names are kept, marked running), else the verdict (or none yet) and
    the notes that came with it. The notes are drawn here, with the verdict they belong to,
    rather than as toasts: a toast lands on this very list at 80x24, just when the learner
    looks at it.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.verdict: Verdict | None = None
        self.running = False
        self.notes: tuple[tuple[str, Tone], ...] = ()
        """(text, tone) of each note on the verdict shown."""
        self.border_title = "checks"
        self._option_list: OptionList | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield Static("", id="verdict-notes")
        yield Static("", id="check-message")

    def _options(self) -> OptionList:
        """The list of checks, mounted with the first verdict that has any: the first frame
        (before any grading) has nothing to list, and one widget fewer to draw."""
        if self._option_list is None:
            self._option_list = OptionList(id="check-options")
            self.mount(self._option_list, before="#check-message")
        return self._option_list

    def show(
        self,
        verdict: Verdict | None,
        *,
        running: bool = False,
        notes: Sequence[tuple[str, Tone]] = (),
    ) -> None:
        self.verdict = verdict
        self.running = running
        self.notes = () if running else tuple(notes)
        self._render_summary()
        self._render_notes()
        checks = verdict.checks if verdict is not None else ()
        if not checks and self._option_list is None:
            self._render_message()
            return
        options = self._options()
        highlighted = options.highlighted
        options.clear_options()
        for index, check in enumerate(checks):
            mark = CHECK_RUNNING if running else CHECK[check.status]
            line = Text(mark.glyph, style=f"bold {paint(self.app, mark)}")
            line.append(f" {check.name}")
            options.add_option(Option(line, id=f"check-{index}"))
        options.display = bool(checks)
        if checks:
            failing = [i for i, c in enumerate(checks) if c.status is not CheckStatus.PASSED]
            if running and highlighted is not None and highlighted < len(checks):
                options.highlighted = highlighted
            else:
                options.highlighted = failing[0] if failing else 0
        self._render_message()

    @property
    def selected_message(self) -> str:
        """The learner-facing message of the selected check ("" when it passed or has none)."""
        options = self._option_list
        if self.running or self.verdict is None or options is None:
            return ""
        if options.highlighted is None:
            return ""
        checks = self.verdict.checks
        if options.highlighted >= len(checks):
            return ""
        check = checks[options.highlighted]
        if check.status is CheckStatus.PASSED:
            return ""
        return check.message or CHECK[check.status].label

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._render_message()

    def _render_summary(self) -> None:
        summary = self.query_one("#summary", Static)
        verdict = self.verdict
        if self.running:
            text = Text(
                f"{CHECK_RUNNING.glyph} grading…", style=f"bold {paint(self.app, CHECK_RUNNING)}"
            )
            if verdict is None:
                text.append("  the first grading imports torch: a few seconds")
        elif verdict is None:
            pending = CHECK_PENDING
            text = Text(
                f"{pending.glyph} {pending.label}: save the file to grade it",
                style=paint(self.app, pending),
            )
        else:
            mark = VERDICT[verdict.status]
            text = Text(f"{mark.glyph} {mark.label}", style=f"bold {paint(self.app, mark)}")
            if verdict.checks:
                text.append(f"  {verdict.passed_count}/{len(verdict.checks)} checks")
            text.append(f" · {verdict.device}", style=colour(self.app, "foreground-muted"))
            if verdict.status is not Status.FAILED and not verdict.passed and verdict.summary:
                text.append(f"\n{verdict.summary}")
            if verdict.passed:
                text.append("  n: next kata", style=colour(self.app, "foreground-muted"))
        summary.update(text)

    def _render_notes(self) -> None:
        static = self.query_one("#verdict-notes", Static)
        static.display = bool(self.notes)
        text = Text()
        for index, (note, tone) in enumerate(self.notes):
            if index:
                text.append("\n")
            text.append(note, style=colour(self.app, THEME_VARIABLE[tone]))
        static.update(text)

    def _render_message(self) -> None:
        message = self.selected_message
        static = self.query_one("#check-message", Static)
        static.display = bool(message)
        static.update(Text(message, style=colour(self.app, "error")))
