"""learner.practice: the one implementation of grade -> record -> outcome, solved, runnable,
next and due, and the drifts between front ends it removed (each test here failed before)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from tests.test_progress import verdict
from trainer.cli.app import main
from trainer.cli.render import verdict_renderable
from trainer.errors import ProgressError
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice
from trainer.learner.workspace import Workspace
from trainer.marks import CHECK, GRADE, PROGRESS, VERDICT, Tone

CPU = frozenset({"cpu"})


def gpu_first_pack(root: Path) -> Catalog:
    """A GPU-only kata first in order, a CPU kata second, an mps-or-cuda kata third."""
    make_kata(root, "gpu-first", order=1, devices=["cuda"])
    make_kata(root, "cpu-second", order=2, file="second.py")
    make_kata(root, "apple-third", order=3, devices=["cuda", "mps"], file="third.py")
    return Catalog.load([root])


def passing(kata: Kata, path: Path, device: str) -> Verdict:
    status = Status.PASSED if path.read_text(encoding="utf-8") == SOLUTION else Status.FAILED
    return verdict(status, kata.id)


def test_runnable_and_devices_follow_what_the_machine_has(tmp_path: Path) -> None:
    catalog = gpu_first_pack(tmp_path / "pack")
    apple = catalog.get("apple-third")
    cpu_only = Practice(catalog, None, present=CPU)
    mac = Practice(catalog, None, present=frozenset({"cpu", "mps"}))
    gpu = Practice(catalog, None, present=frozenset({"cpu", "cuda"}))
    assert not cpu_only.runnable(apple) and cpu_only.needs(apple) == "cuda or mps"
    assert mac.runnable(apple) and not mac.runnable(catalog.get("gpu-first"))
    assert gpu.runnable(apple) and gpu.runnable(catalog.get("gpu-first"))
    assert cpu_only.devices() == ["cpu", "auto"]
    assert mac.devices() == ["cpu", "auto", "mps"]
    assert gpu.devices() == ["cpu", "auto", "cuda"]


def test_next_kata_sends_gpu_only_katas_last_where_there_is_no_gpu(tmp_path: Path) -> None:
    catalog = gpu_first_pack(tmp_path / "pack")
    workspace = Workspace.init(tmp_path / "ws")
    practice = Practice(catalog, workspace, present=CPU)
    assert practice.next_kata() == catalog.get("cpu-second")
    assert practice.first_kata() == catalog.get("cpu-second")
    assert practice.first_kata("apple-third") == catalog.get("apple-third")
    workspace.progress.record_attempt("cpu-second", verdict(Status.PASSED, "cpu-second"), "x")
    assert practice.solved() == {"cpu-second"}
    assert practice.next_kata(after="cpu-second") == catalog.get("apple-third")  # only GPU left


def test_attempt_grades_records_and_tells_the_learner(tmp_path: Path) -> None:
    make_kata(tmp_path / "pack", "first", order=1)
    catalog = Catalog.load([tmp_path / "pack"])
    kata = catalog.get("first")
    workspace = Workspace.init(tmp_path / "ws").with_clock(FixedClock())
    practice = Practice(catalog, workspace, present=CPU)
    path = workspace.open(kata)
    starter = practice.attempt(kata, path, passing, "cpu")
    assert starter.verdict.status is Status.FAILED and starter.notes == ()
    assert workspace.progress.attempts("first")[0].starter  # the untouched starter, marked so
    path.write_text(SOLUTION, encoding="utf-8")
    solved = practice.attempt(kata, path, passing, "cpu")
    assert solved.passed and solved.recorded is not None and solved.recorded.first_solve
    assert [n.tone for n in solved.notes] == [Tone.SUCCESS]
    assert solved.notes[0].text.startswith("Solved. Rated good for spaced review")
    assert "[" not in solved.notes[0].text  # plain text: each front end styles it
    elsewhere = tmp_path / "copy.py"
    elsewhere.write_text(SOLUTION, encoding="utf-8")
    outside = practice.attempt(kata, elsewhere, passing, "cpu")
    assert outside.passed and outside.recorded is None  # --file elsewhere: graded, not recorded
    assert len(workspace.progress.attempts("first")) == 2


def test_a_store_that_cannot_record_keeps_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_kata(tmp_path / "pack", "first", order=1)
    catalog = Catalog.load([tmp_path / "pack"])
    kata = catalog.get("first")
    workspace = Workspace.init(tmp_path / "ws")
    path = workspace.open(kata)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ProgressError("progress store is read-only")

    monkeypatch.setattr(workspace.progress, "record_attempt", refuse)
    outcome = Practice(catalog, workspace, present=CPU).attempt(kata, path, passing, "cpu")
    assert outcome.verdict.status is Status.FAILED and outcome.recorded is None
    assert str(outcome.unrecorded) == "progress store is read-only"


def test_a_late_first_pass_says_so(tmp_path: Path) -> None:
    from tests.assignment_factory import make_assignment, make_course_pack
    from trainer.coursework.enrol import init_assignment

    course = tmp_path / "course"
    make_course_pack(course)
    clock = FixedClock()
    assignment = make_assignment(course, due="2020-01-01")
    workspace, _attached, _ = init_assignment(tmp_path / "ws", assignment, "Ada", clock)
    catalog = workspace.catalog(())
    kata = next(iter(catalog))
    path = workspace.open(kata)
    path.write_text(kata.solution.read_text(encoding="utf-8"), encoding="utf-8")

    def passes(kata: Kata, path: Path, device: str) -> Verdict:
        return verdict(Status.PASSED, kata.id)

    practice = Practice(catalog, workspace, present=CPU)
    outcome = practice.attempt(kata, path, passes, "cpu")
    late = [n for n in outcome.notes if n.tone is Tone.WARNING]
    assert len(late) == 1 and late[0].text.startswith("Passed after the due date (due 2020-01-01")
    assert practice.solved_late(kata.id)


def test_piped_katas_names_a_next_kata_this_machine_can_grade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Drift: the piped ``katas`` passed no runnable rule, so on a CPU machine it named a
    GPU-only kata as the next one while ``katas watch`` and the TUI named a CPU one."""
    catalog = gpu_first_pack(tmp_path / "pack")
    monkeypatch.setenv("KATAS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setattr("trainer.cli.study.catalog_for", lambda *_args: catalog)
    monkeypatch.setattr("trainer.grading.devices.present_here", lambda: CPU)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    assert main([]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the console wraps at its width
    assert "Next kata: cpu-second" in out and "0/3 solved" in out


@pytest.mark.anyio
async def test_the_tui_grades_mps_katas_on_a_mac(tmp_path: Path) -> None:
    """Drift: the TUI judged cpu and cuda only, so on a Mac a kata for cuda or mps was marked
    as needing a GPU, skipped by ``n`` and mps never offered, where ``katas watch`` graded it."""
    from tests.test_tui import FakeGrader
    from trainer.tui.app import KatasApp
    from trainer.tui.widgets.kata_tree import KataTree

    catalog = gpu_first_pack(tmp_path / "pack")
    workspace = Workspace.init(tmp_path / "ws").with_clock(FixedClock())
    app = KatasApp(
        catalog,
        workspace,
        grader=FakeGrader(),
        present=frozenset({"cpu", "mps"}),
        watch_files=False,
        animations=False,
    )
    assert app.practice.devices() == ["cpu", "auto", "mps"]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(KataTree)
        assert not tree.needs_gpu(catalog.get("apple-third"))
        assert tree.needs_gpu(catalog.get("gpu-first"))


def _name(status: CheckStatus) -> str:
    return "check " + status.name.lower().replace("_", " ")


def _every_check() -> Verdict:
    checks = tuple(
        CheckResult(
            id=f"c{i}", name=f"check {s.name.lower().replace('_', ' ')}", status=s, message="why"
        )
        for i, s in enumerate(CheckStatus)
    )
    return Verdict(
        kata_id="k",
        status=Status.FAILED,
        summary="",
        checks=checks,
        device="cpu",
        file="k.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


def test_every_front_end_draws_a_status_with_the_same_glyph_and_label() -> None:
    """Drift: skipped was ○ in the CLI, ⊘ in the TUI and – in the feedback; error was ! in
    one and ✗ in another. Now each reads :mod:`trainer.marks`."""
    from trainer.batch.feedback import Redactor, _kata_section
    from trainer.batch.model import GradeStatus, KataResult

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(verdict_renderable(_every_check()))
    cli = console.file.getvalue()  # type: ignore[attr-defined]
    result = KataResult(
        kata_id="k",
        status=GradeStatus.FAILED,
        points=0,
        max_points=1,
        summary="a check failed",
        verdict=_every_check(),
    )
    feedback = "\n".join(_kata_section(result, "K", Redactor()))
    for status in CheckStatus:
        mark = CHECK[status]
        assert f"{mark.glyph} check {status.name.lower().replace('_', ' ')}" in cli
        assert (
            f"- {mark.glyph} check {status.name.lower().replace('_', ' ')} ({mark.label})"
            in feedback
        )
    assert f"{VERDICT['failed'].glyph} {VERDICT['failed'].label}" in cli
    assert f"**{GRADE['failed'].glyph} {GRADE['failed'].label}**" in feedback


def test_the_status_tables_cover_every_status() -> None:
    from trainer.batch.model import GradeStatus

    assert set(VERDICT) == {s.value for s in Status}
    assert set(CHECK) == {s.value for s in CheckStatus}
    assert set(GRADE) == {s.value for s in GradeStatus}
    assert set(PROGRESS) == {"new", "attempted", "solved"}
    glyphs = {m.glyph for m in VERDICT.values()}
    assert len(glyphs) == len(VERDICT)  # no two verdicts look alike


def test_the_class_report_names_statuses_with_the_same_marks() -> None:
    """The HTML report's status columns and the terminal report's counts use the same words."""
    from trainer.batch.model import GradeStatus
    from trainer.batch.report import KataStats, _others, _table

    stats = KataStats("k", "K", 1.0, 3, {GradeStatus.TIMEOUT: 1, GradeStatus.UNAVAILABLE: 2})
    assert _others(stats) == "1 timed out, 2 not verified here"
    html = _table(["kata", GRADE["timeout"]], [["k", "1"]], "in")
    assert '<th class="tone-warning">⏱ timed out</th>' in html


def test_a_grading_without_read_isolation_says_so_once_a_session(tmp_path: Path) -> None:
    """Self-study grades with whatever sandbox the platform has, and tells the learner once."""
    catalog = gpu_first_pack(tmp_path / "pack")
    kata = catalog.get("cpu-second")
    workspace = Workspace.init(tmp_path / "ws")
    path = workspace.open(kata)
    layers = {
        "linux": (("own mount namespace", "reads only Python and the scratch (landlock)"), ()),
        "bare": (("no terminal (own session, stdin /dev/null)",), ("own mount namespace",)),
    }

    def graded_on(platform: str) -> Callable[[Kata, Path, str], Verdict]:
        applied, missing = layers[platform]
        env = Environment(trainer="0", python="3", platform="x", sandbox=applied,
                          sandbox_missing=missing)  # fmt: skip
        return lambda kata, path, device: passing(kata, path, device).model_copy(
            update={"environment": env}
        )

    practice = Practice(catalog, workspace, present=CPU)
    outcome = practice.attempt(kata, path, graded_on("linux"), "cpu")
    assert not any("partial sandbox" in note.text for note in outcome.notes)
    first = practice.attempt(kata, path, graded_on("bare"), "cpu")
    (note,) = [n for n in first.notes if "partial sandbox" in n.text]
    assert note.tone is Tone.WARNING and "Threat model" in note.text
    again = practice.attempt(kata, path, graded_on("bare"), "cpu")
    assert not any("partial sandbox" in n.text for n in again.notes)
