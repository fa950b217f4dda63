"""A learner's first hour in the TUI at 80x24: what a new user met in tmux, each fixed.

The workspace notice stays until dismissed and ``katas`` says on exit where the workspace is;
after a pass no toast covers the check list; reference URLs, the title line and an
assignment's header fit 80 columns; ``h`` and ``s`` leave the key bar where the rules refuse
them. Fake grader throughout, no file watcher: each test takes well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static
from textual.widgets._toast import Toast

from tests.assignment_factory import make_assignment, make_course_pack
from tests.kata_factory import SOLUTION, make_kata
from tests.test_tui import FakeGrader, main_screen, tiny_pack, until, workspace_at
from trainer.grading.verdict import Environment, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import FOLD_ABOVE
from trainer.learner.workspace import Workspace
from trainer.tui.app import KatasApp
from trainer.tui.markdown import render_markdown
from trainer.tui.widgets import CheckList, KatasHeader, KataTree, NoticeBar
from trainer.tui.widgets.keybar import KeyBar

pytestmark = pytest.mark.anyio

LONG_URL = "https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_parameter"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def app_for(
    catalog: Catalog,
    workspace: Workspace,
    *,
    notes: Sequence[str] = (),
    grader: FakeGrader | None = None,
) -> KatasApp:
    return KatasApp(
        catalog,
        workspace,
        grader=grader or FakeGrader(),
        present=frozenset({"cpu"}),
        watch_files=False,
        animations=False,
        notes=notes,
    )


class PartialSandboxGrader(FakeGrader):
    """Grades as :class:`FakeGrader` on a platform without read isolation: the verdict
    carries the sandbox warning Practice gives once a session."""

    def grade(
        self, kata: Kata, path: Path, device: str = "cpu", *, supersede: bool = False
    ) -> Verdict:
        verdict = super().grade(kata, path, device, supersede=supersede)
        environment = Environment(
            trainer="test",
            python="3",
            platform="test",
            sandbox=("rlimits",),
            sandbox_missing=("mount-namespace", "landlock"),
        )
        return verdict.model_copy(update={"environment": environment})


def keys_offered(app: KatasApp) -> set[str]:
    return {key for key, _shown, _description, _enabled in main_screen(app).query_one(KeyBar).keys}


# -- 1. the new workspace: said until dismissed, and again on exit ------------------------------


async def test_the_new_workspace_notice_stays_until_escape(tmp_path: Path) -> None:
    note = "Created your kata workspace at ~/pytorch-katas (set KATAS_WORKSPACE …)."
    app = app_for(tiny_pack(tmp_path / "pack"), workspace_at(tmp_path / "ws"), notes=[note])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        notice = screen.query_one(NoticeBar)
        assert notice.display and [text for text, _ in notice.notices] == [note]
        assert not app._notifications  # a notice line, not a toast that times out
        assert "Created your kata workspace" in str(notice.render())
        await pilot.press("r")  # grading again (time passing, keys pressed) keeps it
        await until(pilot, lambda: screen.gradings >= 2)
        assert notice.display
        await pilot.press("escape")
        dismissed = screen.query_one(NoticeBar)  # (a fresh name: mypy keeps the narrowing)
        assert not dismissed.display and not dismissed.notices


async def test_opening_another_kata_dismisses_the_notice(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    app = app_for(catalog, workspace_at(tmp_path / "ws"), notes=["A note."])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        assert screen.query_one(NoticeBar).display  # opening the first kata kept it
        screen.open_kata(catalog.get("second"))
        await pilot.pause()
        assert not screen.query_one(NoticeBar).display


def test_katas_says_on_exit_where_the_workspace_is(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``katas`` in a fresh home makes ~/pytorch-katas: the notice goes to the screen, and once
    the app is gone the terminal keeps the folder and the way back."""
    import trainer.tui

    seen: dict[str, list[str]] = {}

    def fake_run(catalog: Catalog, workspace: Workspace, **options: object) -> int:
        notes = options["notes"]
        assert isinstance(notes, list)
        seen["notes"] = notes
        return 0

    monkeypatch.setattr(trainer.tui, "run", fake_run)
    monkeypatch.setenv("KATAS_NO_CACHE", "1")
    assert trainer.tui.start() == 0
    assert (isolated_home / "pytorch-katas").is_dir()
    assert "Created your kata workspace at ~/pytorch-katas" in seen["notes"][0]
    out = capsys.readouterr().out
    assert out == (
        "Your kata workspace: ~/pytorch-katas. To come back: cd ~/pytorch-katas && katas\n"
    )


def test_the_way_back_is_a_command_a_shell_runs(isolated_home: Path) -> None:
    from trainer.tui import come_back

    assert come_back(isolated_home / "my katas").endswith("cd ~/'my katas' && katas")
    assert (
        come_back(Path("/srv/ws"))
        == "Your kata workspace: /srv/ws. To come back: cd /srv/ws && katas"
    )


# -- 3. a pass: the verdict pane says it, no toast over the check list --------------------------


async def test_after_a_pass_no_toast_covers_the_check_list(tmp_path: Path) -> None:
    catalog = tiny_pack(tmp_path / "pack")
    workspace = workspace_at(tmp_path / "ws")
    workspace.open(catalog.get("first")).write_text(SOLUTION, encoding="utf-8")
    app = app_for(catalog, workspace, grader=PartialSandboxGrader())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:  # toasts drawn
        screen = main_screen(app)
        await until(pilot, lambda: screen.verdict is not None and screen.verdict.passed)
        await pilot.pause(0.2)  # toasts are mounted a few turns after the notification
        checks = screen.query_one(CheckList)
        toasts = [toast.region for toast in app.screen.query(Toast)]
        assert not [t for t in toasts if t.overlaps(checks.region)], (toasts, checks.region)
        summary = str(checks.query_one("#summary", Static).render())
        assert "passed" in summary and "n: next kata" in summary
        # what the pass scheduled is said with the verdict, in the pane
        notes = str(checks.query_one("#verdict-notes", Static).render())
        assert "Solved. Rated" in notes and "first review on" in notes
        # the partial sandbox warning waits in the notice line, not over the checks
        [(warning, _tone)] = screen.query_one(NoticeBar).notices
        assert warning.startswith("Graded with a partial sandbox")


# -- 4. 80 columns: URLs, the title, an assignment's header -------------------------------------


def test_a_reference_url_wraps_and_is_never_cut() -> None:
    console = Console(width=50, color_system=None, record=True)
    console.print(render_markdown(f"- [nn.Module]({LONG_URL})\n- [Short](https://x.org)\n"))
    text = console.export_text()
    assert "…" not in text
    joined = "".join(line.strip() for line in text.splitlines())
    assert LONG_URL in joined


async def test_a_long_title_wraps_instead_of_being_cut(tmp_path: Path) -> None:
    title = "Build the adapter, and reset it without replacing its parameters"
    catalog = tiny_pack(tmp_path / "pack", title=title)
    app = app_for(catalog, workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        line = screen.query_one("#title", Static)
        shown = " ".join(
            strip.text.strip() for strip in line.render_lines(line.region.reset_offset)
        )
        assert title in " ".join(shown.split()) and "★" in shown and "…" not in shown


async def test_an_assignments_header_keeps_the_count_and_the_device_at_80_columns(
    tmp_path: Path, isolated_home: Path
) -> None:
    make_course_pack(tmp_path)
    from trainer.coursework.assignment import load_assignment

    loaded = load_assignment(
        make_assignment(
            tmp_path,
            title="Week 1: tensors and autograd, the basics",
            katas=["double-it", "grad-a"],
            due="2030-01-31T23:59:00+01:00",
        )
    )
    workspace = workspace_at(isolated_home / "a-rather-long-folder-name" / "for-the-workspace")
    workspace.attach_assignment(loaded, "ada")
    app = app_for(workspace.catalog(), workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        header = screen.query_one(KatasHeader)
        line = str(header.render())
        assert len(line) <= 80
        assert "0/2 solved" in line and " cpu " in line and "due 2030-01-31 23:59 +0100" in line
        assert "Week 1" in line and "for-the-workspace" not in line  # the folder went first
    async with app_for(workspace.catalog(), workspace).run_test(size=(200, 24)) as pilot:
        await pilot.pause()
        assert "for-the-workspace" in str(pilot.app.screen.query_one(KatasHeader).render())


class LongCheckNames(FakeGrader):
    """:class:`FakeGrader` with param-not-tensor's check names: one is a column too wide for
    the list at 80x24 once its scrollbar shows."""

    NAMES = (
        "Scale(init)(x) returns x * init",
        "alpha is one of Scale's parameters",
        "alpha requires grad and backward fills alpha.grad",
        "one SGD step on model.parameters() moves alpha",
        "model.double() and model.to(device) convert alpha with the module",
    )

    def grade(
        self, kata: Kata, path: Path, device: str = "cpu", *, supersede: bool = False
    ) -> Verdict:
        verdict = super().grade(kata, path, device, supersede=supersede)
        first = verdict.checks[0]
        checks = tuple(
            first.model_copy(update={"id": f"c{index}", "name": name})
            for index, name in enumerate(self.NAMES)
        )
        return verdict.model_copy(update={"checks": checks})


async def test_check_names_keep_their_wrapped_line_after_the_editor(tmp_path: Path) -> None:
    """Saved from the editor (the list 78 wide), back to the tree (50 wide plus a scrollbar):
    a name that wraps only beside the scrollbar lost its second line."""
    app = app_for(
        tiny_pack(tmp_path / "pack"), workspace_at(tmp_path / "ws"), grader=LongCheckNames()
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        await pilot.press("c", "ctrl+s")
        await until(pilot, lambda: screen.gradings >= 2)
        await pilot.press("escape")
        await pilot.pause()
        options = screen.query_one("#check-options")
        lines = [strip.text for strip in options.render_lines(options.region.reset_offset)]
        shown = " ".join(" ".join(lines).split())
        for name in LongCheckNames.NAMES[:3]:  # the first three are in view, unscrolled
            assert name in shown, lines


# -- 5. h and s: offered only where the rules allow them ----------------------------------------


async def test_hint_and_solution_keys_leave_the_bar_when_the_assignment_turns_them_off(
    tmp_path: Path,
) -> None:
    make_course_pack(tmp_path)
    from trainer.coursework.assignment import load_assignment

    loaded = load_assignment(
        make_assignment(tmp_path, katas=["double-it"], hints=False, solutions=False)
    )
    workspace = workspace_at(tmp_path / "ws")
    workspace.attach_assignment(loaded, "ada")
    app = app_for(workspace.catalog(), workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        offered = keys_offered(app)
        assert "h" not in offered and "s" not in offered and {"c", "r", "n"} <= offered
        titles = {command.title for command in app.get_system_commands(screen)}
        assert "Reveal the next hint" not in titles and "Reveal the solution" not in titles
        await pilot.press("h")  # pressed anyway, the keys still say why, in the rules' words
        await pilot.press("s")
        await pilot.pause()
        messages = " ".join(n.message for n in app._notifications)
        assert "hints are off" in messages and "revealing solutions is off" in messages
    assert workspace.progress.hints_revealed("double-it") == 0


async def test_a_learners_copy_without_its_solution_hides_s_only(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "kept", solution=None, instructor_kept={"hidden_checks": 0})
    catalog = Catalog.load([pack])
    assert catalog.get("kept").learner_copy
    app = app_for(catalog, workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        offered = keys_offered(app)
        assert "s" not in offered and "h" in offered


async def test_a_plain_workspace_offers_both(tmp_path: Path) -> None:
    app = app_for(tiny_pack(tmp_path / "pack"), workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        assert {"h", "s"} <= keys_offered(app)
        await pilot.press("c")  # the editor has the letters: none is offered
        await pilot.pause()
        assert not {"h", "s"} & keys_offered(app)


async def test_a_large_catalog_opens_only_the_current_topic_in_the_tree(tmp_path: Path) -> None:
    """The built-in catalog (more than FOLD_ABOVE katas): every topic line with its count, the
    open kata's topic unfolded, and moving to another topic folds the one left."""
    catalog = Catalog.default()
    assert len(catalog) > FOLD_ABOVE
    by_topic = catalog.by_topic()
    app = app_for(catalog, workspace_at(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.gradings >= 1)
        tree = screen.query_one(KataTree)
        first = screen.kata
        assert first is not None

        def unfolded() -> list[str]:
            return [str(node.label).split()[0] for node in tree.root.children if node.is_expanded]

        assert unfolded() == [first.topic]
        labels = [str(node.label) for node in tree.root.children]
        assert labels == [f"{t}  0/{len(k)}" for t, k in by_topic.items()]  # topic, solved/all
        assert tree.last_line < 24  # the folded tree fits the screen

        elsewhere = next(k for k in catalog if k.topic != first.topic)
        screen.open_kata(elsewhere, grade=False)
        await pilot.pause()
        assert unfolded() == [elsewhere.topic]
        assert tree.cursor_node is not None and tree.cursor_node.data == elsewhere.id
