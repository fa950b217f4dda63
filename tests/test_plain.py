"""``katas --plain``: the trainer as plain lines, driven by lines on stdin.

One test grades for real (the grader's child processes, a kata from ``kata_factory``) through
``katas --plain`` with stdin a pipe; the others use a fake grader and are quick.
"""

from __future__ import annotations

import io
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from tests.test_progress import verdict
from trainer import entry
from trainer.cli import plain
from trainer.cli.app import main
from trainer.cli.plain import PlainSession, paragraphs, verdict_lines
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice
from trainer.learner.workspace import Workspace

FRILLS = re.compile(r"[\x1b─━│┃┌┐└┘╭╮╯╰═✓✗☠⏱⊘★☆◌•]")
"""What plain output never holds: escape codes (colour), box drawing, status glyphs."""


def _wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def fake_grade(kata: Kata, path: Path, device: str) -> Verdict:
    right = "2 * x" in path.read_text(encoding="utf-8")
    return verdict(Status.PASSED if right else Status.FAILED, kata.id)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1, description="Make `double`\nreturn twice its input.\n")
    make_kata(pack, "second", order=2, requires=["first"], file="second.py")
    return Catalog.load([pack])


def session(
    catalog: Catalog, tmp_path: Path, commands: str, **kwargs: object
) -> tuple[PlainSession, io.StringIO, Workspace]:
    workspace = Workspace.init(tmp_path / "ws").with_clock(FixedClock())
    out = io.StringIO()
    practice = Practice(catalog, workspace, present=frozenset({"cpu"}))
    made = PlainSession(practice, out, commands=io.StringIO(commands), **kwargs)  # type: ignore[arg-type]
    return made, out, workspace


# -- what is said ----------------------------------------------------------------------------------


def test_a_verdict_is_told_in_words() -> None:
    env = Environment(trainer="0", python="3", platform="test")
    checks = (
        CheckResult(id="a", name="doubles a number", status=CheckStatus.FAILED, message="got 3"),
        CheckResult(id="b", name="doubles zero", status=CheckStatus.PASSED),
        CheckResult(id="c", name="keeps the dtype", status=CheckStatus.ERROR, message="x\ny"),
    )
    failed = Verdict(
        kata_id="k",
        status=Status.FAILED,
        summary="1 of 3 checks passed",
        checks=checks,
        output="double(3) = 3\n",
        device="cpu",
        file="answer.py",
        environment=env,
    )
    assert verdict_lines(failed) == [
        "Failed: 1 of 3 checks passed.",
        "failed: doubles a number: got 3",
        "error: keeps the dtype: x",
        "y",
        "Your output:",
        "double(3) = 3",
    ]
    broken = failed.model_copy(
        update={"status": Status.ERROR, "checks": (), "summary": "your file does not import"}
    )
    assert verdict_lines(broken) == [
        "Error: your file does not import",
        "Your output:",
        "double(3) = 3",
    ]
    elsewhere = broken.model_copy(
        update={
            "status": Status.UNAVAILABLE,
            "summary": "not verified here: needs cuda",
            "output": "",
        }
    )
    assert verdict_lines(elsewhere) == ["Not verified here: needs cuda"]
    passed = failed.model_copy(update={"status": Status.PASSED, "checks": checks[1:2]})
    assert verdict_lines(passed) == ["Passed: 1 of 1 check passed."]


def test_markdown_becomes_plain_paragraphs() -> None:
    text = (
        "# Task\nA multi-task model shares\na trunk, see [the docs](https://x.org).\n\n"
        "Keep **this**:\n\n- `Net(sizes)`: the\n  trunk widths\n- `net(x)` returns\n\n"
        "```python\nx = 1\n```\nAfter.\n"
    )
    assert paragraphs(text) == [
        "Task",
        "",
        "A multi-task model shares a trunk, see the docs (https://x.org).",
        "",
        "Keep this:",
        "",
        "- `Net(sizes)`: the trunk widths",
        "- `net(x)` returns",
        "",
        "Code:",
        "x = 1",
        "End of code.",
        "",
        "After.",
    ]
    assert paragraphs("1. one\n\n2. two\n\nThen\nmore.\n") == ["1. one", "2. two", "", "Then more."]


# -- commands, with a fake grader -------------------------------------------------------------


def test_hint_next_and_quit_from_piped_lines(catalog: Catalog, tmp_path: Path) -> None:
    ticks = iter(float(t) for t in range(0, 10_000, 60))
    run, out, workspace = session(
        catalog,
        tmp_path,
        "h\nh\n\nbogus\nn\nq\n",
        grader=fake_grade,
        monotonic=lambda: next(ticks),
    )
    assert run.run(catalog.get("first")) == 0
    text = out.getvalue()
    assert FRILLS.search(text) is None
    assert "Kata 1 of 2: Kata first (first). Topic tensors, difficulty 1 of 5." in text
    assert f"Your file: {workspace.file_for(catalog.get('first'))}" in text
    assert "Make `double` return twice its input." in text  # the wrapped line, joined
    assert "Failed: 1 of 2 checks passed.\nfailed: check 1: failed\n" in text
    assert "Hint 1 of 2: Multiply.\nHint 2 of 2 (the last one): By two.\n" in text
    assert "Unknown command 'bogus'. Type h and Enter for a hint" in text
    assert "No other kata is ready yet: first is still the current one." in text  # needs first
    assert text.rstrip().endswith("Stopped. Your work is saved.")
    assert workspace.progress.hints_revealed("first") == 2
    assert workspace.progress.kata("first").status == "new"  # only the starter was graded
    sessions = workspace.progress.sessions()
    assert [(s.kata_id, s.seconds, s.front_end) for s in sessions] == [("first", 60.0, "plain")]


def test_the_end_of_input_quits_and_next_moves_on(catalog: Catalog, tmp_path: Path) -> None:
    run, out, workspace = session(catalog, tmp_path, "n\n", grader=fake_grade)
    workspace.open(catalog.get("first")).write_text(SOLUTION, encoding="utf-8")
    assert run.run(catalog.get("first")) == 0  # passes at once, moves on, then reads "n"
    text = out.getvalue()
    assert "Passed: 2 of 2 checks passed." in text and "Why it works:" in text
    assert "Kata 2 of 2: Kata second (second)" in text
    assert "Every kata in the catalog is solved." not in text
    assert "No other kata is ready yet: second is still the current one." in text
    assert text.rstrip().endswith("End of input: stopped. Your work is saved.")
    assert [s.kata_id for s in workspace.progress.sessions()] == ["first", "second"]


def test_a_closed_stdin_quits_cleanly(catalog: Catalog, tmp_path: Path) -> None:
    commands = io.StringIO()
    commands.close()  # reading it raises ValueError: the same as the end of input
    workspace = Workspace.init(tmp_path / "ws")
    out = io.StringIO()
    run = PlainSession(Practice(catalog, workspace), out, commands=commands, grader=fake_grade)
    assert run.run(None) == 0
    assert "End of input" in out.getvalue()


# -- a real grading, through `katas --plain`, stdin a pipe --------------------------------------


@pytest.fixture
def piped_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    read_end, write_end = os.pipe()
    reader = os.fdopen(read_end, "r", encoding="utf-8")
    writer = os.fdopen(write_end, "w", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", reader)

    def send(line: str) -> None:
        writer.write(line + "\n")
        writer.flush()

    yield send
    writer.close()
    reader.close()


def test_katas_plain_grades_for_real_on_save_and_moves_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piped_stdin: Callable[[str], None]
) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1)
    make_kata(pack, "second", order=2, requires=["first"], file="second.py")
    root = tmp_path / "ws"
    monkeypatch.setenv("KATAS_WORKSPACE", str(root))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            main(["--plain", "--pack", str(pack), "watch", "first", "--poll"])
        )
    )
    thread.start()
    try:
        assert _wait_for(lambda: "Failed: 0 of 1 check passed." in out.getvalue())
        assert "failed: doubles a number: " in out.getvalue()
        piped_stdin("h")
        assert _wait_for(lambda: "Hint 1 of 2: Multiply." in out.getvalue())
        target = root / "tensors" / "first" / "answer.py"
        staged = target.with_name(".answer.py.swp")
        staged.write_text(SOLUTION, encoding="utf-8")
        staged.replace(target)  # a save by rename, as editors do
        assert _wait_for(lambda: ": Kata second (second). Topic tensors" in out.getvalue())
        piped_stdin("q")
        thread.join(timeout=60)
    finally:
        piped_stdin("q")  # never leave the session waiting
        thread.join(timeout=60)
    assert not thread.is_alive() and codes == [0]
    text = out.getvalue()
    assert "Passed: 1 of 1 check passed." in text
    assert "Solved. Rated" in text and "Why it works:" in text
    assert "Doubling is multiplying by two." in text
    assert text.rstrip().endswith("Stopped. Your work is saved.")
    assert FRILLS.search(text) is None


# -- how it is started -----------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replaces the plain trainer with a note of how it was asked for."""
    calls: list[object] = []

    def fake(args: object, out: object) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(plain, "cmd_plain", fake)
    return calls


def test_the_plain_option_starts_it_with_or_without_watch(started: list[object]) -> None:
    assert main(["--plain"]) == 0
    assert main(["watch", "--plain"]) == 0
    assert len(started) == 2


def _cli_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Replaces the CLI's ``main`` with a note of the argv it was given."""
    calls: list[list[str] | None] = []

    def cli_main(argv: list[str] | None = None) -> int:
        calls.append(argv)
        return 0

    monkeypatch.setattr("trainer.cli.app.main", cli_main)
    return calls


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "plain_wanted"),
    [
        ({"TERM": "dumb"}, True),
        ({"NO_COLOR": "1"}, True),
        ({"NO_COLOR": ""}, False),  # no-color.org: set and not empty
        ({"TERM": "xterm-256color"}, False),
    ],
)
def test_katas_alone_in_a_dumb_or_colourless_terminal_is_plain(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], plain_wanted: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert entry.plain_terminal(os.environ) is plain_wanted
    argvs = _cli_calls(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["katas"])
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal: no TUI either way
    assert entry.main() == 0
    assert argvs == [["--plain"] if plain_wanted else None]


def test_piped_katas_alone_still_prints_where_you_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR in a script's environment does not turn ``katas | cat`` into a session."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys, "argv", ["katas"])
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    argvs = _cli_calls(monkeypatch)
    assert entry.main() == 0
    assert argvs == [None]
