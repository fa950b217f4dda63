"""The TUI (issue 6), driven through Textual's Pilot: the whole loop, hints, the solution, reset,
external saves, timeouts, and the rule that the TUI process never imports torch.

No test sleeps: each waits on the app's state with a bounded deadline (:func:`until`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from trainer.grading.grader import Grader
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.workspace import Workspace
from trainer.tui.app import KatasApp
from trainer.tui.screens import ConfirmScreen, DeviceScreen, MainScreen, ProgressScreen
from trainer.tui.widgets import CheckList, KataDescription, KataEditor

GRADED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

WRONG = SOLUTION.replace("2 * x", "x + x - x")
"""A wrong answer that is not the starter: grading it is an attempt, whatever the rule for
gradings of the untouched starter."""

CHECKS_TWO = '''def test_doubles(learner):
    """doubles a number"""
    assert learner.double(3) == 6, f"double(3) returned {learner.double(3)!r}, expected 6"


def test_doubles_zero(learner):
    """doubles zero"""
    assert learner.double(0) == 0
'''


class FakeGrader:
    """Passes a file that doubles (``2 * x``), fails any other; no child process at all."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def grade(
        self, kata: Kata, path: Path, device: str = "cpu", *, supersede: bool = False
    ) -> Verdict:
        self.calls.append((kata.id, device))
        right = "2 * x" in path.read_text(encoding="utf-8")
        first = CheckResult(
            id="checks.py::test_doubles",
            name="doubles a number",
            status=CheckStatus.PASSED if right else CheckStatus.FAILED,
            message="" if right else "double(3) returned 3, expected 6",
        )
        second = CheckResult(
            id="checks.py::test_doubles_zero", name="doubles zero", status=CheckStatus.PASSED
        )
        return Verdict(
            kata_id=kata.id,
            status=Status.PASSED if right else Status.FAILED,
            summary="2 of 2 checks passed" if right else "1 of 2 checks passed",
            checks=(first, second),
            output="" if right else "double(3) = 3\n",
            device=device,
            file=str(path),
            environment=Environment(trainer="test", python="3", platform="test"),
            graded_at=GRADED_AT,
        )

    def close(self) -> None:
        pass


def tiny_pack(root: Path, **first: object) -> Catalog:
    """Two katas: ``first``, and ``second`` which requires it."""
    make_kata(root, "first", order=1, **first)  # type: ignore[arg-type]
    make_kata(root, "second", order=2, requires=["first"], file="second.py")
    return Catalog.load([root])


def workspace_at(root: Path, clock: FixedClock | None = None) -> Workspace:
    return Workspace.init(root).with_clock(clock or FixedClock())


def quiet_app(catalog: Catalog, workspace: Workspace) -> KatasApp:
    """The app with a fake grader, no file watcher and no animations: the usual test set-up."""
    return KatasApp(catalog, workspace, grader=FakeGrader(), watch_files=False, animations=False)


def main_screen(app: KatasApp) -> MainScreen:
    screen = app.main
    assert isinstance(screen, MainScreen)
    return screen


def top(app: KatasApp) -> Screen[Any]:
    """The screen on top (a function, so mypy does not keep an earlier narrowing)."""
    return app.screen


async def until(
    pilot: Pilot[int], condition: Callable[[], bool], seconds: float = 90.0, what: str = ""
) -> None:
    """Let the app run until ``condition`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- the loop -----------------------------------------------------------------------------------


async def test_whole_loop_fix_in_the_editor_save_pass_next(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack", checks=CHECKS_TWO)
    workspace = workspace_at(tmp_path / "ws")
    with Grader(1) as grader:
        app = KatasApp(catalog, workspace, grader=grader, watch_files=False, animations=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = main_screen(app)
            await until(pilot, lambda: screen.gradings >= 1, what="the first grading")
            assert screen.kata is not None and screen.kata.id == "first"
            assert screen.verdict is not None and screen.verdict.status is Status.FAILED
            checks = screen.query_one(CheckList)
            assert [c.status for c in screen.verdict.checks] == [
                CheckStatus.FAILED,
                CheckStatus.PASSED,
            ]
            assert "expected 6" in checks.selected_message

            await pilot.press("c")
            editor = screen.query_one(KataEditor)
            assert screen.focused is editor
            assert screen.has_class("-narrow-editing")  # at 80 columns the tree makes room
            editor.move_cursor((4, len("    return ")))
            await pilot.press("2", "space", "asterisk", "space")
            assert "return 2 * x" in editor.text and editor.dirty
            await pilot.press("ctrl+s")
            assert workspace.file_for(catalog.get("first")).read_text() == editor.text
            await until(
                pilot,
                lambda: screen.verdict is not None and screen.verdict.passed,
                what="a pass",
            )
            assert all(c.status is CheckStatus.PASSED for c in screen.verdict.checks)
            assert workspace.progress.status_of("first") == "solved"
            assert "Doubling is multiplying by two." in screen.query_one(KataDescription).source
            # the keys are the trainer's again (focus moves on the next message-loop turn)
            await until(pilot, lambda: screen.focused is not editor, what="focus on the tree")
            await pilot.pause()
            assert not screen.has_class("-narrow-editing")

            await pilot.press("n")
            assert screen.kata.id == "second"
            assert workspace.file_for(catalog.get("second")).exists()
            await until(pilot, lambda: screen.verdict is not None, what="second graded")
            assert screen.verdict.kata_id == "second"
    attempts = workspace.progress.attempts("first")
    assert [a.status for a in attempts] == [Status.FAILED, Status.PASSED]
    assert attempts[0].starter and not attempts[1].starter
    assert [s.kata_id for s in workspace.progress.sessions()] == ["first", "second"]


async def test_next_honours_requires(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("n")  # second requires first, which is not solved: first again
        assert screen.kata is not None and screen.kata.id == "first"


async def test_hint_is_revealed_and_recorded(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        description = screen.query_one(KataDescription)
        assert "Multiply." not in description.source
        await pilot.press("h")
        assert workspace.progress.hints_revealed("first") == 1
        await until(pilot, lambda: "**Hint 1 of 2.** Multiply." in description.source)
        await pilot.press("h")
        await until(pilot, lambda: "**Hint 2 of 2.** By two." in description.source)
    assert workspace.progress.hints_revealed("first") == 2


async def test_solution_asks_first_and_is_recorded(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("s")
        assert isinstance(top(app), ConfirmScreen)
        await pilot.press("n")  # no: nothing shown, nothing recorded
        assert top(app) is screen and not screen.solution
        assert [e.kind for e in workspace.progress.events("first")] == ["opened"]
        await pilot.press("s")
        assert isinstance(top(app), ConfirmScreen)
        await pilot.press("y")
        assert top(app) is screen
        assert screen.solution == SOLUTION
        description = screen.query_one(KataDescription)
        await until(pilot, lambda: "Reference solution" in description.source)
    assert [e.kind for e in workspace.progress.events("first")] == ["opened", "solution"]
    assert workspace.progress.kata("first").solution_revealed


async def test_reset_asks_and_backs_the_file_up(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    kata = catalog.get("first")
    target = workspace.open(kata)
    target.write_text("# my attempt\n", encoding="utf-8")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        assert screen.query_one(KataEditor).text == "# my attempt\n"
        await pilot.press("x")
        assert isinstance(top(app), ConfirmScreen)
        await pilot.press("y")
        assert target.read_bytes() == kata.starter.read_bytes()
        assert screen.query_one(KataEditor).text == kata.starter.read_text()
        await until(pilot, lambda: screen.gradings >= 2, what="a grading after the reset")
    [backup] = workspace.backups(kata)
    assert backup.read_text() == "# my attempt\n"
    assert "reset" in [e.kind for e in workspace.progress.events("first")]


async def test_an_external_write_regrades(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    app = KatasApp(catalog, workspace, grader=FakeGrader(), poll=True, animations=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        assert screen.verdict is not None and not screen.verdict.passed
        target = workspace.file_for(catalog.get("first"))
        staged = target.with_name(".answer.py.swp")  # save by rename, as vim does
        staged.write_text(SOLUTION, encoding="utf-8")
        staged.replace(target)
        await until(
            pilot, lambda: screen.verdict is not None and screen.verdict.passed, what="regrade"
        )
        assert screen.query_one(KataEditor).text == SOLUTION  # the editor follows the file
    assert workspace.progress.status_of("first") == "solved"


async def test_a_timeout_shows_as_such(tmp_path: Path) -> None:
    looping = '"""Never returns."""\n\n\ndef double(x):\n    while True:\n        pass\n'
    catalog = tiny_pack(tmp_path / "pack", starter=looping, timeout=2)
    workspace = workspace_at(tmp_path / "ws")
    with Grader(1, warm=False) as grader:
        app = KatasApp(catalog, workspace, grader=grader, watch_files=False, animations=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = main_screen(app)
            await until(pilot, lambda: screen.gradings >= 1, what="the timeout")
            assert screen.verdict is not None and screen.verdict.status is Status.TIMEOUT
            summary = screen.query_one("#summary", Static)
            assert "timed out" in str(summary.render())
            assert workspace.progress.attempts("first")[0].status is Status.TIMEOUT


async def test_device_switch_offers_cuda_only_when_present(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    grader = FakeGrader()
    app = KatasApp(
        catalog,
        workspace,
        grader=grader,
        present=frozenset({"cpu"}),
        watch_files=False,
        animations=False,
    )
    assert app.practice.devices() == ["cpu", "auto"]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("d")
        assert isinstance(top(app), DeviceScreen)
        await pilot.press("down", "enter")
        assert app.device == "auto"
        await until(pilot, lambda: screen.gradings >= 2)
        assert grader.calls[-1] == ("first", "auto")
    with_gpu = KatasApp(catalog, workspace, grader=grader, present=frozenset({"cpu", "cuda"}))
    assert with_gpu.practice.devices() == ["cpu", "auto", "cuda"]


async def test_progress_screen_and_command_palette(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    # a wrong answer, not the untouched starter: attempted however starters are counted
    workspace.open(catalog.get("first")).write_text(WRONG, encoding="utf-8")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        titles = [c.title for c in app.get_system_commands(screen)]
        for title in ("Reveal the next hint", "Reveal the solution", "Reset the kata", "Next kata"):
            assert title in titles
        await pilot.press("p")
        assert isinstance(top(app), ProgressScreen)
        progress = top(app)
        assert isinstance(progress, ProgressScreen)
        assert progress.document.totals.attempted == 1
        await pilot.press("escape")
        assert top(app) is screen


# -- torch stays out of the TUI process ----------------------------------------------------------

NO_TORCH_SCRIPT = """
import asyncio, json, sys, time
from pathlib import Path
from trainer.kata.catalog import Catalog
from trainer.grading.grader import Grader
from trainer.grading.grader import Grader
from trainer.tui.app import KatasApp
from trainer.learner.workspace import Workspace

async def main() -> None:
    catalog = Catalog.load([Path(sys.argv[1])])
    workspace = Workspace.init(Path(sys.argv[2]))
    with Grader(1) as grader:
        app = KatasApp(catalog, workspace, grader=grader, watch_files=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.main
            deadline = time.monotonic() + 120
            while screen.gradings < 1 and time.monotonic() < deadline:
                await pilot.pause(0.05)
            status = screen.verdict.status.value if screen.verdict else None
    torch = sorted(m for m in sys.modules if m.split(".")[0] == "torch")
    print(json.dumps({"status": status, "torch": torch}))

asyncio.run(main())
"""


def test_the_tui_process_never_imports_torch(tmp_path: Path) -> None:
    tiny_pack(tmp_path / "pack")
    result = subprocess.run(
        [sys.executable, "-c", NO_TORCH_SCRIPT, str(tmp_path / "pack"), str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"status": "failed", "torch": []}


# -- the external editor, an assignment's rules, the mouse ---------------------------------------


async def test_e_opens_the_file_in_the_learners_editor_and_grades_the_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``e`` suspends the app, runs $VISUAL on the file, and grades what the editor saved."""
    import contextlib

    editor = tmp_path / "fake-editor"
    editor.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" > {tmp_path / 'edited'}\n"
        'for last in "$@"; do :; done\n'
        f'cp {tmp_path / "solution.py"} "$last"\n',
        encoding="utf-8",
    )
    editor.chmod(0o755)
    (tmp_path / "solution.py").write_text(SOLUTION, encoding="utf-8")
    monkeypatch.setenv("VISUAL", f"{editor} --wait")
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    app = quiet_app(catalog, workspace)
    suspended: list[bool] = []

    @contextlib.contextmanager
    def suspend() -> Any:
        suspended.append(True)  # the headless test driver cannot really suspend
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("e")
        await until(pilot, lambda: screen.verdict is not None and screen.verdict.passed)
        assert suspended == [True]
        target = workspace.file_for(catalog.get("first"))
        assert (tmp_path / "edited").read_text().split() == ["--wait", str(target)]
        assert screen.query_one(KataEditor).text == SOLUTION


async def test_e_without_an_editor_says_how_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    app = quiet_app(tiny_pack(tmp_path / "pack"), workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("e")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Set $VISUAL or $EDITOR" in m for m in messages), messages
        assert screen.gradings == 1


async def test_an_assignment_workspace_shows_only_its_katas_and_applies_its_rules(
    tmp_path: Path,
) -> None:
    from tests.assignment_factory import make_assignment, make_course_pack
    from trainer.coursework.assignment import load_assignment

    make_course_pack(tmp_path)
    loaded = load_assignment(
        make_assignment(
            tmp_path, katas=["double-it", "grad-a"], hints=False, solutions=False, due="2030-01-31"
        )
    )
    workspace = workspace_at(tmp_path / "ws")
    workspace.attach_assignment(loaded, "ada")
    app = quiet_app(workspace.catalog(), workspace)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        assert [k.id for k in app.catalog] == ["double-it", "grad-a"]
        header = str(screen.query_one("#header").render())
        assert "Week 1" in header and "due 2030-01-31" in header
        await pilot.press("h")
        await pilot.press("s")
        await pilot.pause()
        assert top(app) is screen  # no confirmation: the solution is simply off
        messages = " ".join(n.message for n in app._notifications)
        assert "hints are off" in messages and "Week 1" in messages
        assert "solution" in messages
        description = screen.query_one(KataDescription)
        assert "Hint 1" not in description.source and screen.solution is None
    assert workspace.progress.hints_revealed("double-it") == 0


async def test_the_tab_line_and_the_key_bar_answer_the_mouse(tmp_path: Path) -> None:
    from trainer.tui.widgets.keybar import KeyBar
    from trainer.tui.widgets.tabbar import TabBar

    app = quiet_app(tiny_pack(tmp_path / "pack"), workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        tabs = screen.query_one(TabBar)
        output_x = next(x for x in range(tabs.size.width) if tabs.pane_at(x) == "output")
        await pilot.click(TabBar, offset=(output_x, 0))
        assert screen.pane == "output"
        code_x = next(x for x in range(tabs.size.width) if tabs.pane_at(x) == "code")
        await pilot.click(TabBar, offset=(code_x, 0))
        assert screen.pane == "code" and screen.focused is screen.query_one(KataEditor)
        await pilot.press("escape")
        assert screen.focused is not screen.query_one(KataEditor)
        keys = screen.query_one(KeyBar)
        hint_x = next(x for x in range(keys.size.width) if keys.key_at(x) == "h")
        await pilot.click(KeyBar, offset=(hint_x, 0))
        await pilot.pause()
        assert screen.pane == "task"
        assert workspace_hints(app) == 1


def workspace_hints(app: KatasApp) -> int:
    return app.workspace.progress.hints_revealed("first")


async def test_a_long_task_scrolls_and_a_pass_scrolls_to_the_explanation(tmp_path: Path) -> None:
    long = "\n\n".join(f"Paragraph {i}: " + "words to wrap " * 12 for i in range(20)) + "\n"
    catalog = tiny_pack(tmp_path / "pack", description=long)
    workspace = workspace_at(tmp_path / "ws")
    workspace.open(catalog.get("first")).write_text(SOLUTION, encoding="utf-8")
    app = quiet_app(catalog, workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.verdict is not None and screen.verdict.passed)
        description = screen.query_one(KataDescription)
        await until(
            pilot,
            lambda: (
                description.max_scroll_y > 0 and description.scroll_y == description.max_scroll_y
            ),
            what="the explanation scrolled into view",
        )
        await pilot.press("n")  # second: its task starts at the top
        await until(pilot, lambda: screen.kata is not None and screen.kata.id == "second")
        await pilot.pause()
        assert description.scroll_y == 0
