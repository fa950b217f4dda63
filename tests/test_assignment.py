"""Assignments: loading ``assignment.yaml``, resolving katas, the rules, and the workspace copy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.assignment_factory import make_assignment, make_course_pack
from tests.fixed_clock import NOON, FixedClock
from tests.kata_factory import make_kata
from trainer.coursework.assignment import ASSIGNMENT_COPY, ASSIGNMENT_RECORD, Rules, load_assignment
from trainer.errors import AssignmentError, WorkspaceError
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.learner.workspace import ASSIGNMENT_WORKSPACE_VERSION, WORKSPACE_VERSION, Workspace


@pytest.fixture
def course(tmp_path: Path) -> Path:
    make_course_pack(tmp_path)
    return tmp_path


def problem_text(exc: pytest.ExceptionInfo[AssignmentError]) -> str:
    return str(exc.value)


def test_ids_and_topic_globs_resolve_in_teaching_order_with_points(course: Path) -> None:
    path = make_assignment(
        course,
        katas=["autograd/*", "double-it"],
        points={"default": 2, "grad-b": 5},
        due="2025-03-14T23:59:00+01:00",
    )
    loaded = load_assignment(path)
    assert [k.id for k in loaded.katas] == ["double-it", "grad-a", "grad-b"]
    assert loaded.points("double-it") == 2
    assert loaded.points("grad-b") == 5
    assert loaded.points("view-one") == 0
    assert loaded.total_points == 9
    assert loaded.due == datetime(2025, 3, 14, 22, 59, tzinfo=timezone.utc)
    assert [k.id for k in loaded.restricted()] == ["double-it", "grad-a", "grad-b"]
    assert len(loaded.catalog) == 4
    assert loaded.packs == ((course / "pack").resolve(),)


def test_defaults_one_point_hints_on_solutions_off_cpu(course: Path) -> None:
    loaded = load_assignment(make_assignment(course, katas=["view-*"]))
    assert [k.id for k in loaded.katas] == ["view-one"]
    assert loaded.total_points == 1
    rules = loaded.rules
    assert rules.hints_allowed and not rules.solutions_allowed
    assert rules.devices == ("cpu",) and rules.due is None


def test_a_number_for_points_is_the_default(course: Path) -> None:
    loaded = load_assignment(make_assignment(course, points=3))
    assert loaded.total_points == 9


def test_no_packs_means_the_builtin_pack(tmp_path: Path) -> None:
    path = make_assignment(tmp_path, packs=[], katas=["param-not-tensor"])
    loaded = load_assignment(path)
    assert loaded.packs == (builtin_pack(),)
    assert [k.id for k in loaded.katas] == ["param-not-tensor"]


def test_a_bare_date_is_due_at_the_end_of_that_day_utc(course: Path) -> None:
    end = datetime(2025, 3, 14, 23, 59, 59, tzinfo=timezone.utc)
    for due in ("2025-03-14", "'2025-03-14'"):
        text = f"schema: 1\nid: w\ntitle: W\npacks: [pack]\nkatas: [double-it]\ndue: {due}\n"
        assert load_assignment(make_assignment(course, text=text)).due == end


def test_a_due_time_without_a_zone_is_refused_with_its_line(course: Path) -> None:
    text = (
        "schema: 1\nid: w\ntitle: W\npacks: [pack]\nkatas: [double-it]\ndue: 2025-03-14 23:59:00\n"
    )
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, text=text))
    assert "assignment.yaml:6: field 'due'" in problem_text(exc)
    assert "no time zone" in problem_text(exc)


def test_an_unknown_key_names_the_line_and_suggests(course: Path) -> None:
    text = "schema: 1\nid: w\ntitle: W\npacks: [pack]\nkatas: [double-it]\nhint: false\n"
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, text=text))
    assert "assignment.yaml:6: field 'hint': unknown key; did you mean 'hints'?" in problem_text(
        exc
    )


def test_an_id_that_matches_nothing_is_refused_with_a_suggestion(course: Path) -> None:
    text = "schema: 1\nid: w\ntitle: W\npacks: [pack]\nkatas:\n  - double-it\n  - grad-c\n"
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, text=text))
    message = problem_text(exc)
    assert "assignment.yaml:7: field 'katas[1]'" in message
    assert "'grad-c' matches no kata" in message and "did you mean 'grad-" in message


def test_an_empty_glob_is_refused(course: Path) -> None:
    with pytest.raises(AssignmentError, match=r"'modules/\*' matches no kata"):
        load_assignment(make_assignment(course, katas=["modules/*"]))


def test_points_for_a_kata_not_assigned_is_a_typo(course: Path) -> None:
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, points={"grad-x": 2}))
    assert "field 'points.grad-x'" in problem_text(exc)
    assert "not one of the assigned katas" in problem_text(exc)


def test_a_missing_pack_folder_is_named(course: Path) -> None:
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, packs=["pack", "nowhere"]))
    assert "field 'packs[1]'" in problem_text(exc)
    assert "nowhere does not exist" in problem_text(exc)


def test_a_gpu_only_kata_cannot_be_graded_on_cpu(course: Path) -> None:
    make_kata(course / "pack", "gpu-only", "tensors", devices=["cuda"])
    with pytest.raises(AssignmentError, match="runs only on cuda, but this assignment is graded"):
        load_assignment(make_assignment(course, katas=["gpu-only"]))
    loaded = load_assignment(make_assignment(course, katas=["gpu-only"], devices=["cuda"]))
    assert [k.id for k in loaded.katas] == ["gpu-only"]


def test_a_bad_id_and_a_bad_pattern_are_refused(course: Path) -> None:
    with pytest.raises(AssignmentError) as exc:
        load_assignment(make_assignment(course, id="Week 1", katas=["Double_It"]))
    assert "field 'id'" in problem_text(exc) and "kebab-case" in problem_text(exc)
    assert "field 'katas'" in problem_text(exc) and "'Double_It'" in problem_text(exc)


def test_a_missing_file_is_an_assignment_error(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match="file is missing"):
        load_assignment(tmp_path / "nope.yaml")


def test_rules_refuse_in_words_and_lateness_is_strictly_after_the_due_date() -> None:
    due = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc)
    rules = Rules("Week 1", hints_allowed=False, solutions_allowed=False, due=due)
    assert "hints are off for the assignment 'Week 1'" in (rules.hint_refusal() or "")
    assert "revealing solutions is off" in (rules.solution_refusal() or "")
    assert not rules.is_late(due) and rules.is_late(due + timedelta(seconds=1))
    assert not rules.is_late(None)
    assert rules.due_text() == "due 2025-03-14 12:00 UTC"
    free = Rules()
    assert free.hint_refusal() is None and free.solution_refusal() is None
    assert not free.is_late(due) and free.due_text() is None


def test_restrict_keeps_order_and_only_the_problems_of_kept_katas(course: Path) -> None:
    make_kata(course / "pack", "broken", "tensors", title="")
    catalog = Catalog.load([course / "pack"])
    assert len(catalog.problems) == 1
    restricted = catalog.restrict(["grad-b", "double-it"])
    assert [k.id for k in restricted] == ["double-it", "grad-b"]
    assert restricted.problems == ()
    assert len(catalog.restrict(["broken"]).problems) == 1


# -- the workspace side ---------------------------------------------------------------------


def test_attaching_copies_the_file_records_the_learner_and_writes_starters(course: Path) -> None:
    loaded = load_assignment(make_assignment(course, hints=False))
    workspace = Workspace.init(course / "ws").with_clock(FixedClock())
    workspace.attach_assignment(loaded, "Ada  Lovelace")
    dot = workspace.dot_dir
    assert (dot / ASSIGNMENT_COPY).read_bytes() == loaded.path.read_bytes()
    record = json.loads((dot / ASSIGNMENT_RECORD).read_text())
    assert record["learner"] == "Ada Lovelace"
    assert record["packs"] == [str((course / "pack").resolve())]
    meta = json.loads(workspace.meta_path.read_text())
    assert meta["version"] == ASSIGNMENT_WORKSPACE_VERSION
    assert sorted(p.name for p in workspace.root.glob("*/*/*.py")) == [
        "double_it.py",
        "grad_a.py",
        "grad_b.py",
    ]

    again = Workspace.init(course / "ws")
    found = again.assignment
    assert found is not None and found.learner == "Ada Lovelace"
    assert not again.rules.hints_allowed
    assert [k.id for k in found.catalog()] == ["double-it", "grad-a", "grad-b"]
    assert found.record.created_at == NOON


def test_a_plain_workspace_has_no_assignment_and_stays_version_1(tmp_path: Path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    assert workspace.assignment is None
    assert workspace.rules == Rules()
    assert json.loads(workspace.meta_path.read_text())["version"] == WORKSPACE_VERSION


def test_the_workspace_copy_still_works_when_the_original_moves(course: Path) -> None:
    loaded = load_assignment(make_assignment(course))
    Workspace.init(course / "ws").attach_assignment(loaded, "ada")
    loaded.path.unlink()
    found = Workspace.init(course / "ws").assignment
    assert found is not None and len(found.loaded.katas) == 3


def test_an_edited_copy_is_refused_rather_than_obeyed(course: Path) -> None:
    loaded = load_assignment(make_assignment(course, hints=False))
    workspace = Workspace.init(course / "ws")
    workspace.attach_assignment(loaded, "ada")
    copy = workspace.dot_dir / ASSIGNMENT_COPY
    copy.write_text(copy.read_text().replace("hints: false", "hints: true"))
    with pytest.raises(WorkspaceError, match="was changed after `katas init --assignment`"):
        _ = Workspace.init(course / "ws").rules


def test_a_damaged_record_is_a_workspace_error(course: Path) -> None:
    loaded = load_assignment(make_assignment(course))
    workspace = Workspace.init(course / "ws")
    workspace.attach_assignment(loaded, "ada")
    (workspace.dot_dir / ASSIGNMENT_RECORD).write_text('{"version": 1}')
    with pytest.raises(WorkspaceError, match=r"assignment\.json.*damaged"):
        _ = Workspace.init(course / "ws").assignment


def test_an_empty_learner_name_is_refused(course: Path) -> None:
    loaded = load_assignment(make_assignment(course))
    with pytest.raises(ValueError, match="learner name is empty"):
        Workspace.init(course / "ws").attach_assignment(loaded, "  ")


def test_a_newer_workspace_version_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / ".katas").mkdir()
    (tmp_path / ".katas" / "workspace.json").write_text('{"version": 3}')
    with pytest.raises(WorkspaceError, match="newer torch-katas"):
        Workspace.init(tmp_path)
