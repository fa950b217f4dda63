"""The main screen: the kata tree, the task, the editor, the checks and the output.

It holds the session's state (the open kata, its file, the last verdict) and runs the loop the
plain ``katas watch`` runs: every save is graded in a worker thread and recorded, a pass shows
the explanation, ``n`` opens the next kata whose prerequisites are solved. Widgets get their
state set from here and post messages up; gradings come back as :class:`Graded` messages.
"""

from __future__ import annotations

import gc
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Static, Tree

from trainer.atomic import atomic_write
from trainer.errors import UsageError
from trainer.grading.verdict import Verdict
from trainer.kata.model import Kata
from trainer.learner.history import KataProgress
from trainer.learner.practice import Outcome
from trainer.marks import Tone, stars
from trainer.tui.widgets.checks import CheckList
from trainer.tui.widgets.description import KataDescription, task_markdown
from trainer.tui.widgets.header import KatasHeader, home_relative
from trainer.tui.widgets.kata_tree import KataTree
from trainer.tui.widgets.keybar import KeyBar
from trainer.tui.widgets.notice import NoticeBar
from trainer.tui.widgets.output import OutputPane
from trainer.tui.widgets.tabbar import TabBar

if TYPE_CHECKING:
    from textual.widgets import TextArea
    from watchfiles import Change

    from trainer.tui.app import KatasApp
    from trainer.tui.widgets.editor import KataEditor

LETTER_ACTIONS = frozenset(
    {
        "edit",
        "code",
        "hint",
        "run",
        "next",
        "solution",
        "reset",
        "progress",
        "device",
        "quit",
        "refused",
    }
)
"""Actions on plain letters: off while the built-in editor has the keys (they type there)."""


SETTLE_SECONDS = 0.1
"""How long after its first frame the screen starts its background work."""

PANES = {"task": "description", "code": "code", "output": "output-pane"}
"""The widget each tab shows, by the tab's name."""


@dataclass
class Graded(Message):
    """A grading finished (and was recorded); ``generation`` tells stale ones apart."""

    generation: int
    kata_id: str
    outcome: Outcome


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "code", "code"),
        Binding("e", "edit", "edit"),
        Binding("h", "hint", "hint"),
        # where the rules refuse hints or the solution, the key leaves the bar but still says why
        Binding("h", "refused('hint')", show=False),
        Binding("r", "run", "run"),
        Binding("n", "next", "next"),
        Binding("s", "solution", "solution"),
        Binding("s", "refused('solution')", show=False),
        Binding("x", "reset", "reset"),
        Binding("p", "progress", "progress"),
        Binding("d", "device", "device"),
        Binding("t", "tab('task')", "task", show=False),
        Binding("o", "tab('output')", "output", show=False),
        Binding("q", "quit", "quit"),
        Binding("escape", "dismiss_notice", "dismiss", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kata: Kata | None = None
        self.path: Path | None = None
        self.verdict: Verdict | None = None
        self.running = False
        self.hints = 0
        self.solution: str | None = None
        self.generation = 0
        self.graded_bytes: bytes | None = None
        self.gradings = 0
        """Gradings finished on this screen (tests wait on it)."""
        self._editor: KataEditor | None = None
        self._editor_text = ""
        """The file's text as last loaded, for the editor until it is mounted."""
        self._first: Kata | None = None
        self._shown_title = ""
        self._known: dict[str, KataProgress] | None = None
        self.refused: frozenset[str] = frozenset()
        """Which of ``hint`` and ``solution`` the rules refuse for the open kata."""

    @property
    def katas_app(self) -> KatasApp:
        from trainer.tui.app import KatasApp

        assert isinstance(self.app, KatasApp)
        return self.app

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Everything the first frame shows is known here, so it is drawn complete at once;
        # filled in from on_mount, it would take a second frame, after the deferred work.
        app = self.katas_app
        rules = app.workspace.rules
        self._known = app.workspace.progress.katas()  # read once for the whole first frame
        self._first = app.practice.first_kata(app.kata_id, self._known)
        header = KatasHeader(id="header")
        header.set_reactive(KatasHeader.workspace, home_relative(app.workspace.root))
        header.set_reactive(KatasHeader.device, app.device)
        header.set_reactive(KatasHeader.total, len(app.catalog))
        header.set_reactive(KatasHeader.assignment, rules.title or "")
        header.set_reactive(KatasHeader.due_text, rules.due_text() or "")
        yield header
        yield NoticeBar([(note, Tone.MUTED) for note in app.notes], id="notice")
        with Horizontal(id="body"):
            yield KataTree(
                app.catalog,
                runnable=app.practice.runnable,
                folded=app.practice.folds(),
                id="tree",
            )
            with Vertical(id="main"):
                self._shown_title = self._title(self._first)
                yield Static(self._shown_title, id="title")
                yield TabBar(id="tabs")
                with ContentSwitcher(id="panes", initial=PANES["task"]):
                    yield KataDescription(id=PANES["task"])
                    yield Vertical(id=PANES["code"])  # the editor: mounted on first use
                    yield OutputPane(id=PANES["output"])
                yield CheckList(id="checks")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        first = self._first
        if first is not None:
            self.open_kata(first, grade=False)
        else:
            self.refresh_progress()
        self.query_one(KataTree).focus()
        # The rest waits until the first frame is on screen and has settled (its last
        # touches, such as scrolling the tree to the open kata, take a frame or two more):
        # the grader's warm-up, the first grading's thread and child processes, the editor
        # and the file watcher would otherwise compete with drawing it.
        self.call_after_refresh(self.set_timer, SETTLE_SECONDS, self._started)

    def _started(self) -> None:
        if not gc.isenabled():  # ``katas`` starts with the collector off (trainer.entry)
            gc.freeze()
            gc.enable()
        app = self.katas_app
        app.start_grader()
        self.editor()  # the Code tab is not in the first frame
        if self.kata is not None and self.verdict is None and not self.running:
            self.grade()
        if app.watch_files:
            self.watch_workspace()

    # ------------------------------------------------------------------ state

    def refresh_progress(self) -> None:
        app = self.katas_app
        known, self._known = self._known or app.workspace.progress.katas(), None
        statuses = {kata_id: p.status for kata_id, p in known.items()}
        self.query_one(KataTree).show_statuses(statuses)
        header = self.query_one(KatasHeader)
        header.solved = len(app.practice.solved(known))
        header.due = app.practice.reviews_due()

    def show_task(self, *, end: bool = False) -> None:
        if self.kata is None:
            return
        passed = self.verdict is not None and self.verdict.passed
        location = home_relative(self.path) if self.path is not None else None
        self.query_one(KataDescription).show(
            task_markdown(
                self.kata,
                hints=self.hints,
                explanation=passed,
                solution=self.solution,
                location=location,
            ),
            end=end,
        )

    def open_kata(self, kata: Kata, *, grade: bool = True) -> None:
        """Leave the open kata (its time recorded), write the starter if new, grade it.

        Opening another kata dismisses the notices: the learner has moved on.
        """
        app = self.katas_app
        app.leave_kata()
        if self.kata is not None and self.kata is not kata:
            self.query_one(NoticeBar).dismiss()
        self.kata = kata
        self.refused = self._refusals(kata)
        self.path = app.workspace.open(kata)
        app.opened_kata(kata)
        self.verdict = None
        self.graded_bytes = None
        self.solution = None
        self.hints = app.workspace.progress.hints_revealed(kata.id)
        title = self._title(kata)
        if title != self._shown_title:  # the first kata's title is drawn from compose
            self._shown_title = title
            self.query_one("#title", Static).update(title)
        self.load_editor()
        self.show_task()
        self.query_one(CheckList).show(None)
        self.query_one(OutputPane).show(None)
        self.query_one(KataTree).select_kata(kata.id)
        self.show_pane("task")
        self.refresh_progress()
        self.refresh_bindings()
        if grade:
            self.grade()

    def _refusals(self, kata: Kata) -> frozenset[str]:
        """Which of hint and solution the rules refuse for ``kata``: asked of the rules (the
        assignment's, a learner's copy without its solution), never decided here."""
        app = self.katas_app
        refused = set()
        try:
            app.practice.check_hint_allowed()
        except UsageError:
            refused.add("hint")
        try:
            app.practice.check_solution_allowed(kata)
        except UsageError:
            refused.add("solution")
        return frozenset(refused)

    @staticmethod
    def _title(kata: Kata | None) -> str:
        """The kata's title and difficulty, wrapped if need be. Its id and topic are left to
        the tree, where the cursor shows them: at 80 columns they cut the title off."""
        if kata is None:
            return ""
        spec = kata.spec
        devices = "" if kata.supports("cpu") else " · needs a GPU"
        return (
            f"[b]{escape(spec.title)}[/b]  [$foreground-muted]{stars(spec.difficulty)}{devices}[/]"
        )

    def editor(self) -> KataEditor:
        """The built-in editor, mounted in the Code tab the first time it is needed."""
        if self._editor is None:
            from trainer.tui.widgets.editor import KataEditor

            self._editor = KataEditor(self._editor_text, id="editor")
            self.query_one("#code", Vertical).mount(self._editor)
        return self._editor

    def _editing(self) -> bool:
        return self._editor is not None and self.focused is self._editor

    def load_editor(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8") if self.path is not None else ""
        except (OSError, UnicodeDecodeError):
            text = ""
        self._editor_text = text
        if self._editor is not None:
            self._editor.load(text)
        self._mark_dirty(False)

    def _mark_dirty(self, dirty: bool) -> None:
        self.query_one(TabBar).dirty = dirty

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._mark_dirty(self.editor().dirty)

    def on_kata_editor_leave(self) -> None:
        self.query_one(KataTree).focus()

    @on(Tree.NodeSelected)
    def _kata_selected(self, event: Tree.NodeSelected[str]) -> None:
        kata_id = event.node.data
        if kata_id is None:
            return
        if self.kata is not None and kata_id == self.kata.id:
            return
        self.open_kata(self.katas_app.catalog.get(kata_id))

    def on_descendant_focus(self) -> None:
        self._focus_changed()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._focus_changed)

    def _focus_changed(self) -> None:
        """At 80 columns the editor takes the tree's room while it has the keys."""
        editing = self._editing()
        self.set_class(editing and self.size.width < 120, "-narrow-editing")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters are off while the editor has the keys; ``h`` and ``s`` leave the key bar
        where the rules refuse them; escape dismisses the notices while there are any."""
        if action in LETTER_ACTIONS and self._editing():
            return False
        if action in ("hint", "solution"):
            return action not in self.refused
        if action == "refused":
            return bool(parameters) and parameters[0] in self.refused
        if action == "dismiss_notice":
            return any(bar.notices for bar in self.query(NoticeBar))
        return True

    def offers(self, action: str) -> bool:
        """Whether the rules leave ``action`` (hint, solution) to the learner for the open kata:
        the command palette offers what the key bar does."""
        return action not in self.refused

    # ------------------------------------------------------------------ grading

    def grade(self) -> None:
        """Grade the file as it is on disk now; a grading in flight is superseded."""
        if self.kata is None or self.path is None:
            return
        self.generation += 1
        self.graded_bytes = self._content()
        self.running = True
        self.query_one(CheckList).show(self.verdict, running=True)
        self._grade(self.generation, self.kata, self.path, self.katas_app.device)

    @work(thread=True, group="grade", exit_on_error=False)
    def _grade(self, generation: int, kata: Kata, path: Path, device: str) -> None:
        app = self.katas_app
        from trainer.errors import GradingCancelled

        def newest_wins(kata: Kata, path: Path, device: str) -> Verdict:
            return app.grader.grade(kata, path, device, supersede=True)

        try:
            outcome = app.practice.attempt(kata, path, newest_wins, device)
        except GradingCancelled:
            return
        if outcome.unrecorded is not None:
            app.call_from_thread(app.notify, str(outcome.unrecorded), severity="error")
        self.post_message(Graded(generation, kata.id, outcome))

    @on(Graded)
    def _graded(self, message: Graded) -> None:
        self.gradings += 1
        if self.kata is None or message.kata_id != self.kata.id:
            self.refresh_progress()
            return
        if message.generation != self.generation:
            return  # a newer save is being graded
        self.running = False
        verdict = self.verdict = message.outcome.verdict
        # warnings (a partial sandbox, a late pass) stay in the notice line until dismissed;
        # the rest (the review scheduled, checks still to come) go with the verdict
        notes = message.outcome.notes
        self.query_one(CheckList).show(
            verdict, notes=[(n.text, n.tone) for n in notes if n.tone is not Tone.WARNING]
        )
        notice = self.query_one(NoticeBar)
        for note in notes:
            if note.tone is Tone.WARNING:
                notice.add(note.text, Tone.WARNING)
        self.query_one(OutputPane).show(verdict)
        self.refresh_progress()
        passed = verdict.passed
        if passed:
            self.show_pane("task")
            self.query_one(KataTree).focus()  # the keys are the trainer's: n is next
        self.show_task(end=passed)  # the verdict pane says it passed: no toast over it

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _content(self) -> bytes | None:
        return self._read(self.path) if self.path is not None else None

    # ------------------------------------------------------------------ watching

    def _is_current(self, change: Change, path: str) -> bool:
        from watchfiles import Change

        return (
            self.path is not None
            and change is not Change.deleted
            and Path(path).resolve() == self.path.resolve()
        )

    @work(group="watch", exit_on_error=False)
    async def watch_workspace(self) -> None:
        """Re-grade whenever the open kata's file changes on disk, whoever wrote it.

        The folder is watched, not the file, so editors that save by renaming a new file over
        the old one still count; the content is compared on every wake-up as well.
        """
        from watchfiles import awatch

        app = self.katas_app
        async for _changes in awatch(
            app.workspace.root,
            watch_filter=self._is_current,
            force_polling=app.poll,
            poll_delay_ms=200,
            stop_event=app.stop_watching,
            rust_timeout=500,
            yield_on_timeout=True,
        ):
            self.file_may_have_changed()

    def file_may_have_changed(self) -> None:
        content = self._content()
        if content is None or content == self.graded_bytes or self.kata is None:
            return
        editor = self.editor()
        if not editor.dirty:
            self.load_editor()
        else:
            self.app.notify(
                "The file changed on disk; the editor keeps your unsaved text.",
                severity="warning",
            )
        self.grade()

    # ------------------------------------------------------------------ actions

    @property
    def pane(self) -> str:
        """Which of task, code and output shows."""
        return self.query_one(TabBar).active

    def show_pane(self, pane: str) -> None:
        """Show the task, the built-in editor or the output (the tab line follows)."""
        self.query_one(ContentSwitcher).current = PANES[pane]
        self.query_one(TabBar).active = pane
        if pane == "code":
            self.editor().highlight()

    @on(TabBar.Chosen)
    def _tab_clicked(self, message: TabBar.Chosen) -> None:
        if message.pane == "code":
            self.action_code()
        else:
            self.show_pane(message.pane)

    def action_tab(self, tab: str) -> None:
        self.show_pane(tab)

    def action_code(self) -> None:
        """Open the built-in editor (escape gives the keys back)."""
        self.show_pane("code")
        self.editor().focus()

    def action_save(self) -> None:
        """Write the built-in editor's text to the learner's file, atomically, and grade it."""
        if self.path is None:
            return
        editor = self.editor()
        text = editor.text
        try:
            atomic_write(self.path, text.encode("utf-8"))
        except OSError as exc:
            self.app.notify(f"Could not save {self.path}: {exc}", severity="error")
            return
        editor.saved_text = text
        self._mark_dirty(False)
        self.grade()

    def action_run(self) -> None:
        self.grade()

    def action_edit(self) -> None:
        """Open the file in $VISUAL/$EDITOR, the app suspended; the watcher grades the save."""
        if self.path is None:
            return
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.app.notify(
                "Set $VISUAL or $EDITOR to edit in your own editor; c opens the built-in one.",
                severity="warning",
            )
            return
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(command), str(self.path)], check=False)
        except Exception as exc:  # SuspendNotSupported, a missing editor
            self.app.notify(f"Could not run {command}: {exc}", severity="error")
            return
        self.file_may_have_changed()

    def action_hint(self) -> None:
        if self.kata is None:
            return
        try:
            index = self.katas_app.practice.reveal_hint(self.kata)
        except UsageError as refusal:
            self.app.notify(str(refusal), severity="warning")
            return
        self.hints = max(self.hints, index + 1)
        self.show_pane("task")
        self.show_task(end=True)  # "Hint 2 of 3." in the task: no toast over the checks

    def action_solution(self) -> None:
        kata = self.kata
        if kata is None:
            return
        practice = self.katas_app.practice
        try:
            practice.check_solution_allowed(kata)
        except UsageError as refusal:
            self.app.notify(str(refusal), severity="warning")
            return
        solved = practice.is_solved(kata.id)
        note = "" if solved else "\nYou have not solved it yet: it will count as a reveal."
        question = f"Show the reference solution of {kata.id}?{note}"

        def answer(yes: bool | None) -> None:
            if not yes or self.kata is not kata:
                return
            self.solution = practice.reveal_solution(kata)
            self.show_pane("task")
            self.show_task(end=True)

        from trainer.tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, yes="Show it"), answer)

    def action_reset(self) -> None:
        kata = self.kata
        if kata is None:
            return
        question = f"Put the starter file of {kata.id} back?\nYour file is backed up first."

        def answer(yes: bool | None) -> None:
            if not yes or self.kata is not kata:
                return
            backup = self.katas_app.workspace.reset(kata)
            self.load_editor()
            if backup is not None:
                self.app.notify(f"Backed up to {home_relative(backup)}", title="Reset")
            self.grade()

        from trainer.tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, yes="Reset"), answer)

    def action_next(self) -> None:
        app = self.katas_app
        after = self.kata.id if self.kata is not None else None
        nxt = app.practice.next_kata(after=after)
        if nxt is None:
            self.app.notify("Every kata in the catalog is solved. 🎉", title="Done")
            return
        self.open_kata(nxt)

    def action_progress(self) -> None:
        from trainer.tui.screens.progress import ProgressScreen

        app = self.katas_app
        self.app.push_screen(ProgressScreen(app.catalog, app.workspace, app.tz))

    def action_device(self) -> None:
        app = self.katas_app

        def chosen(device: str | None) -> None:
            if device is None or device == app.device:
                return
            app.device = device
            self.query_one(KatasHeader).device = device
            self.grade()

        from trainer.tui.screens.device import DeviceScreen

        self.app.push_screen(DeviceScreen(app.practice.devices(), app.device), chosen)

    def action_refused(self, what: str) -> None:
        """``h`` or ``s`` where the rules refuse them: the refusal, in the rules' words."""
        if what == "hint":
            self.action_hint()
        elif what == "solution":
            self.action_solution()

    def action_dismiss_notice(self) -> None:
        self.query_one(NoticeBar).dismiss()
        self.refresh_bindings()

    def action_quit(self) -> None:
        self.app.exit(0)
