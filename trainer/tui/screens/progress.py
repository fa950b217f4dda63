"""Progress: solved per topic as bars, the streak, and the review queue."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar, Static

from trainer.kata.catalog import Catalog
from trainer.learner.report import ProgressDocument, build_report
from trainer.learner.workspace import Workspace
from trainer.tui.widgets.header import home_relative


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class ProgressScreen(Screen[None]):
    """Read-only; escape, p or q goes back."""

    CSS_PATH = Path(__file__).with_name("progress.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,p,q", "app.pop_screen", "back")]

    def __init__(self, catalog: Catalog, workspace: Workspace, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.workspace = workspace
        self.tz = tz
        self.document: ProgressDocument = build_report(
            catalog,
            workspace.progress,
            workspace.root,
            now=workspace.clock(),
            tz=tz,
        )

    def compose(self) -> ComposeResult:
        doc = self.document
        t = doc.totals
        with VerticalScroll(id="progress-body"):
            yield Static(f"Progress · {home_relative(self.workspace.root)}", id="progress-title")
            yield Static(
                f"{t.solved}/{t.katas} solved · {t.attempted} attempted · "
                f"{_plural(t.attempts, 'attempt')} · {_plural(t.hints_used, 'hint')} · "
                f"{_plural(t.solutions_revealed, 'solution')} revealed",
                id="totals",
            )
            yield Static(
                f"streak: {_plural(t.streak_days, 'day')} · reviews due: {t.reviews_due}",
                id="streak",
            )
            width = max(len(topic.topic) for topic in doc.topics) if doc.topics else 8
            for topic in doc.topics:
                with Horizontal(classes="topic-row"):
                    yield Label(topic.topic.ljust(width), classes="topic-name")
                    bar = ProgressBar(
                        total=max(topic.katas, 1), show_eta=False, show_percentage=False
                    )
                    bar.progress = topic.solved
                    yield bar
                    yield Label(f"{topic.solved}/{topic.katas}", classes="topic-count")
                    if topic.attempted:
                        yield Label(f"{topic.attempted} attempted", classes="topic-attempted")
            yield Static("Review queue", classes="section")
            due = [k for k in doc.katas if k.review_due]
            upcoming = sorted(
                (k for k in doc.katas if k.next_review is not None and not k.review_due),
                key=lambda k: (k.next_review, k.id),
            )
            if not due and not upcoming:
                yield Static("Nothing to review yet: solved katas come back here.", classes="dim")
            for entry in due:
                yield Static(Text(f"due  {entry.id}  ({entry.title})"), classes="due")
            for entry in upcoming[:5]:
                assert entry.next_review is not None
                when = entry.next_review.astimezone(self.tz).strftime("%Y-%m-%d")
                yield Static(Text(f"{when}  {entry.id}"), classes="dim")
        yield Footer()
