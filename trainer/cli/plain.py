"""``katas --plain``: the trainer as plain lines, for screen readers and dumb terminals.

No full-screen app, no box drawing, no colours, no glyphs: each thing said is a line of words
that a screen reader reads once, in order. It works like ``katas watch`` (it is its
:class:`~trainer.cli.watch.Watcher`, so every rule is the same): it says which kata is current,
where the file is and the task, then waits; each save is graded and told as a few lines
("Failed: 1 of 2 checks passed.", then one line per check that did not pass), and a pass moves on
to the next kata. Lines typed on stdin are commands: ``h`` a hint, ``n`` the next kata, ``q``
quit. They are read in a thread, so piped input works, and the end of input quits.

``katas`` alone starts it when ``TERM=dumb`` or ``NO_COLOR`` is set (:mod:`trainer.entry`).
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import re
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, TextIO

from rich.console import Console

from trainer.cli.common import catalog_for, workspace_for
from trainer.cli.watch import Watcher
from trainer.errors import UsageError
from trainer.grading.verdict import CheckStatus, Status, Verdict
from trainer.kata.model import Kata
from trainer.learner.history import FrontEnd
from trainer.learner.practice import Outcome, Practice
from trainer.marks import CHECK, VERDICT

__all__ = ["KEYS", "PlainSession", "cmd_plain", "paragraphs", "verdict_lines"]

KEYS = "Type h and Enter for a hint, n for the next kata, q to quit."
OUTPUT_LINES = 20
"""Lines of captured output told after a grading that did not pass (the last ones)."""

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")


def paragraphs(markdown: str) -> list[str]:
    """Markdown as plain lines: each paragraph, heading or list item on one line (wrapped lines
    joined, so a screen reader reads it in one go), an empty line after each paragraph and
    list, heading and bold marks dropped, links as "text (url)", and code blocks line by line
    between "Code:" and "End of code."."""
    lines: list[str] = []
    words: list[str] = []
    code: list[str] | None = None
    item = False  # the words are a list item
    in_list = False  # the last line out was a list item: an empty line ends the list

    def end_list() -> None:
        nonlocal in_list
        if in_list:
            lines.append("")
            in_list = False

    def flush() -> None:
        nonlocal item, in_list
        if words:
            if not item:
                end_list()
            lines.append(_LINK.sub(r"\1 (\2)", _STRONG.sub(r"\2", " ".join(words))))
            if item:
                in_list = True
            else:
                lines.append("")
            words.clear()
        item = False

    for raw in markdown.splitlines():
        if code is not None:
            if _FENCE.match(raw):
                lines += ["Code:", *code, "End of code.", ""]
                code = None
            else:
                code.append(raw.rstrip())
        elif _FENCE.match(raw):
            flush()
            end_list()
            code = []
        elif not raw.strip():
            flush()
        elif _ITEM.match(raw):
            flush()
            item = True
            words.append(raw.strip())
        elif _HEADING.match(raw):
            flush()
            end_list()
            lines += [_HEADING.sub("", raw).strip(), ""]
        else:
            words.append(raw.strip())
    if code is not None:  # a block never closed: still every line of it
        lines += ["Code:", *code, "End of code."]
    flush()
    end_list()
    while lines and not lines[-1]:
        lines.pop()
    return lines


def verdict_lines(verdict: Verdict) -> list[str]:
    """A verdict in words: "Failed: 1 of 2 checks passed.", then "failed: <check>: <message>"
    for each check that did not pass, then the end of the output of a grading that did not."""
    label = VERDICT[verdict.status].label
    summary = verdict.summary.strip()
    if summary.lower().startswith(label + ":"):  # "not verified here: …" says it already
        summary = summary[len(label) + 1 :].strip()
    said = summary.splitlines()
    total = len(verdict.checks)
    if total:
        checks = "check" if total == 1 else "checks"
        lines = [f"{label.capitalize()}: {verdict.passed_count} of {total} {checks} passed."]
        if verdict.status not in (Status.PASSED, Status.FAILED):
            lines += said  # why a timeout or a crash cut the checks short
    else:
        lines = [f"{label.capitalize()}: {said[0] if said else 'no check ran.'}", *said[1:]]
    for check in verdict.checks:
        if check.status is CheckStatus.PASSED:
            continue
        message = check.message.strip().splitlines() or [CHECK[check.status].label]
        lines.append(f"{CHECK[check.status].label}: {check.name}: {message[0]}")
        lines += message[1:]
    output = verdict.output.rstrip().splitlines()
    if output and not verdict.passed:
        shown = output[-OUTPUT_LINES:]
        what = f" (last {len(shown)} of {len(output)} lines)" if len(shown) < len(output) else ""
        lines.append(f"Your output{what}:")
        lines += shown
    return lines


def cmd_plain(args: argparse.Namespace, out: Console) -> int:
    """``katas --plain`` (and ``katas watch --plain``): stdout for what is said, stdin for
    commands."""
    catalog = catalog_for(args)
    kata_id = getattr(args, "kata_id", None)
    kata = catalog.get(kata_id) if kata_id else None
    workspace = workspace_for(args, out)
    session = PlainSession(
        Practice(catalog, workspace),
        sys.stdout,
        commands=sys.stdin,
        device=getattr(args, "device", None) or "cpu",
    )
    return session.run(kata, poll=getattr(args, "poll", False))


class PlainSession(Watcher):
    """The watcher, told in plain lines on ``out``, driven by lines read from ``commands``."""

    front_end: ClassVar[FrontEnd] = "plain"
    wake_ms: ClassVar[int] = 200  # a typed command is answered within this

    def __init__(
        self,
        practice: Practice,
        out: TextIO,
        *,
        commands: TextIO,
        device: str = "cpu",
        grader: Callable[[Kata, Path, str], Verdict] | None = None,
        review: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(practice, device=device, grader=grader, review=review, monotonic=monotonic)
        self.out = out
        self._commands = commands
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None

    def say(self, *lines: str) -> None:
        """Each line, wrapped between words at the terminal's width where it is one: a terminal
        that wraps by itself cuts words in two, and a screen reader reads the halves apart."""
        width = shutil.get_terminal_size((0, 0)).columns if self.out.isatty() else 0
        for line in lines:
            wrapped = textwrap.wrap(line, width, break_long_words=False) if width > 20 else []
            for part in wrapped or [line]:
                print(part, file=self.out, flush=True)

    # -- commands ------------------------------------------------------------------------------

    def run(
        self, kata: Kata | None, *, poll: bool = False, stop: threading.Event | None = None
    ) -> int:
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="plain-input", daemon=True)
            self._reader.start()  # daemon: a terminal's blocked read never holds up the exit
        return super().run(kata, poll=poll, stop=stop)

    def _read(self) -> None:
        try:
            for line in self._commands:
                self._lines.put(line)
        except (OSError, ValueError, UnicodeDecodeError):
            pass  # a closed or unreadable stdin ends the input like EOF
        finally:
            self._lines.put(None)

    def wake_up(self) -> bool:
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if not self.command(line):
                return False
        return super().wake_up()

    def command(self, line: str | None) -> bool:
        """Do what one line of input asks (None: the input ended); False to quit."""
        if line is None:
            self.say("End of input: stopped. Your work is saved.")
            return False
        word = line.strip().lower()
        if word in {"q", "quit"}:
            self.say("Stopped. Your work is saved.")
            return False
        if word in {"h", "hint"}:
            self.hint()
        elif word in {"n", "next"}:
            return self.open_next()
        elif word:
            self.say(f"Unknown command {line.strip()!r}. {KEYS}")
        else:
            self.say(f"Save the file to grade it. {KEYS}")
        return True

    def hint(self) -> None:
        assert self.current is not None
        kata = self.current
        try:
            index = self.practice.reveal_hint(kata)
        except UsageError as exc:
            self.say(str(exc))
            return
        text = " ".join(line for line in paragraphs(kata.spec.hints[index]) if line)
        total = len(kata.spec.hints)
        last = " (the last one)" if index + 1 == total else ""
        self.say(f"Hint {index + 1} of {total}{last}: {text}")

    def open_next(self) -> bool:
        """Open the next kata (as ``n`` in the TUI) and grade it; False when none is left."""
        assert self.current is not None
        nxt = self._next(self.current.id)
        if nxt is not None and nxt.id == self.current.id:
            self.say(f"No other kata is ready yet: {nxt.id} is still the current one.")
            return True
        if not self.start(nxt):
            return False
        if self.grade_current().passed:
            return self.after_pass()
        return True

    # -- what is said --------------------------------------------------------------------------

    def show_kata(self, kata: Kata, path: Path) -> None:
        spec = kata.spec
        ids = [k.id for k in self.catalog]
        what = "Review of kata" if self.review else "Kata"
        self.say(
            "",
            f"{what} {ids.index(kata.id) + 1} of {len(ids)}: {spec.title} ({kata.id}). "
            f"Topic {spec.topic}, "
            f"difficulty {spec.difficulty} of 5.",
            f"Your {'review ' if self.review else ''}file: {path}",
        )
        need = self.practice.needs(kata)
        if need:
            self.say(f"It needs {need}, which this machine lacks: it cannot be verified here.")
        self.say("Task:", *paragraphs(spec.description), "", f"Save the file to grade it. {KEYS}")

    def show_done(self) -> None:
        if self.review:
            self.say("No more reviews due.")
        else:
            self.say("Every kata in the catalog is solved.")

    @contextlib.contextmanager
    def grading(self, kata: Kata) -> Iterator[None]:
        self.say(f"Grading {kata.id} on {self.device}.")
        yield

    def show_outcome(self, kata: Kata, outcome: Outcome) -> None:
        self.say(*verdict_lines(outcome.verdict), *(note.text for note in outcome.notes))

    def show_explanation(self, kata: Kata) -> None:
        self.say("Why it works:", *paragraphs(kata.spec.explanation))

    def show_stopped(self) -> None:
        self.say("Stopped. Your work is saved.")
