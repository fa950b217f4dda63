"""Planning a batch: identity, duplicates, bad archives, sharding, what gets graded."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from tests.batch_factory import ASSIGNMENT_ID, BY_ID, Course, make_class
from tests.kata_factory import make_kata
from trainer.batch.plan import (
    discover,
    kata_devices,
    kata_fingerprint,
    parse_shard,
    plan_batch,
    shard_of,
)
from trainer.coursework.assignment import LoadedAssignment, load_assignment
from trainer.errors import PlanError
from trainer.kata.loader import load_kata


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return make_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def loaded(course: Course) -> LoadedAssignment:
    return load_assignment(course.assignment)


def test_every_archive_is_one_learner_and_bad_ones_say_why(
    course: Course, loaded: LoadedAssignment
) -> None:
    plan = plan_batch(loaded, discover([course.submissions]))
    rows = {s.learner: s for s in plan.learners}
    assert sorted(rows) == sorted(course.expected_rows())
    assert plan.roster == tuple(s.learner for s in plan.learners)
    assert (
        rows["garbage.zip"].rejected == "the archive is not valid: garbage.zip: not a zip archive"
    )
    assert "climbs out of the archive" in (rows["sneaky.zip"].rejected or "")
    assert rows["foreign"].rejected == (
        f"this archive is for assignment 'week-4', not {ASSIGNMENT_ID!r}"
    )
    assert rows["foreign"].files == {}
    assert str(course.submissions) not in (rows["garbage.zip"].rejected or "")
    assert rows["wrong-3"].claims == dict.fromkeys(BY_ID, "passed")
    assert rows["correct-0"].rejected is None and set(rows["correct-0"].files) == set(BY_ID)


def test_learners_claiming_one_name_are_all_kept_and_told(
    course: Course, loaded: LoadedAssignment
) -> None:
    plan = plan_batch(loaded, discover([course.submissions]))
    twins = [s for s in plan.learners if s.learner.casefold().startswith("twin")]
    assert [t.learner for t in twins] == ["twin~twin-a.zip", "Twin~twin-b.zip"]
    assert [t.claimed for t in twins] == ["twin", "Twin"]
    for twin in twins:
        assert twin.problems[0].startswith("2 archives claim learner")
        assert "twin-a.zip, twin-b.zip" in twin.problems[0]


def test_an_archive_named_twice_on_the_command_line_counts_once(
    course: Course, loaded: LoadedAssignment
) -> None:
    archive = course.submissions / "correct-0.zip"
    plan = plan_batch(loaded, discover([archive, course.submissions / ".." / "submissions"]))
    assert len(plan.learners) == 30


def test_the_same_archive_under_two_names_is_a_duplicate(
    course: Course, loaded: LoadedAssignment, tmp_path: Path
) -> None:
    copy = tmp_path / "correct-0-again.zip"
    shutil.copy(course.submissions / "correct-0.zip", copy)
    plan = plan_batch(loaded, [course.submissions / "correct-0.zip", copy])
    assert [s.learner for s in plan.learners] == [
        "correct-0~correct-0-again.zip",
        "correct-0~correct-0.zip",
    ]


def test_only_assigned_katas_are_graded_and_extras_are_reported(
    course: Course, tmp_path: Path
) -> None:
    narrow = tmp_path / "assignment.yaml"
    spec = yaml.safe_load(course.assignment.read_text(encoding="utf-8"))
    spec.update(katas=["double-it", "add-one"], points={"default": 1})
    narrow.write_text(yaml.safe_dump(spec), encoding="utf-8")
    shutil.copytree(course.pack, tmp_path / "pack")
    loaded = load_assignment(narrow)
    plan = plan_batch(loaded, [course.submissions / "correct-0.zip"])
    (learner,) = plan.learners
    assert set(learner.files) == {"double-it", "add-one"}
    assert learner.problems == (
        "ignored files for katas not in this assignment: join-it, relu-it, square-it",
    )
    jobs = plan.jobs(loaded.katas)
    assert [(j.learner, j.kata.id) for j in jobs] == [
        ("correct-0", "double-it"),
        ("correct-0", "add-one"),
    ]
    assert jobs[0].sha256 == hashlib.sha256(jobs[0].data).hexdigest()


def test_shards_split_the_class_without_overlap(course: Course, loaded: LoadedAssignment) -> None:
    archives = discover([course.submissions])
    whole = plan_batch(loaded, archives)
    parts = [plan_batch(loaded, archives, parse_shard(f"{k}/3")) for k in (1, 2, 3)]
    names = [s.learner for part in parts for s in part.learners]
    assert sorted(names) == sorted(s.learner for s in whole.learners)
    assert all(part.roster == whole.roster for part in parts)
    assert all(part.learners for part in parts)
    twins = {s.learner for part in parts for s in part.learners if "twin" in s.learner.casefold()}
    assert any(twins <= {s.learner for s in part.learners} for part in parts)


def test_a_learners_shard_does_not_depend_on_who_else_handed_in() -> None:
    assert shard_of("ada", 4) == shard_of("ada", 4)
    spread = {shard_of(f"learner-{i}", 4) for i in range(40)}
    assert spread == {1, 2, 3, 4}


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(PlanError):
        parse_shard(text)


def test_a_good_shard_parses() -> None:
    shard = parse_shard(" 2 / 5 ")
    assert (shard.index, shard.count, shard.label) == (2, 5, "2/5")


def test_discover_refuses_nothing_to_grade(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such submission"):
        discover([tmp_path / "nowhere"])
    with pytest.raises(PlanError, match="no submission archives"):
        discover([tmp_path])


def test_the_fingerprint_follows_the_checks_not_the_solution(
    course: Course, tmp_path: Path
) -> None:
    shutil.copytree(course.pack, tmp_path / "pack")
    shutil.copy(course.assignment, tmp_path / "assignment.yaml")
    kata = next(k for k in load_assignment(tmp_path / "assignment.yaml").katas)
    before = kata_fingerprint(kata)
    kata.solution.write_text("def double(x):\n    return x * 2\n", encoding="utf-8")
    (kata.root / "wrong").mkdir(exist_ok=True)
    (kata.root / "wrong" / "off.py").write_text("def double(x):\n    return x\n")
    assert kata_fingerprint(kata) == before
    kata.checks.write_text(kata.checks.read_text() + "\n# changed\n", encoding="utf-8")
    assert kata_fingerprint(kata) != before


def test_each_kata_is_graded_on_the_first_assignment_device_it_runs_on(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    both = load_kata(make_kata(pack, "both", devices=["cpu", "cuda"]), pack)
    gpu = load_kata(make_kata(pack, "gpu-only", devices=["cuda"]), pack)
    assert kata_devices([both, gpu], ["cpu", "cuda"]) == {"both": "cpu", "gpu-only": "cuda"}
    assert kata_devices([both, gpu], ["cuda"]) == {"both": "cuda", "gpu-only": "cuda"}
    # A kata that cannot run on the device asked for is graded there anyway: "not verified here".
    assert kata_devices([both, gpu], ["cpu"]) == {"both": "cpu", "gpu-only": "cpu"}
    assert kata_devices([gpu], ["auto"]) == {"gpu-only": "auto"}


def test_bombs_and_huge_archives_are_rows_of_their_own_never_read(
    course: Course, loaded: LoadedAssignment, tmp_path: Path
) -> None:
    """``katas grade``'s reading of a class: a bzip2 bomb and a 2.5 GiB archive are each one
    rejected row with its reason; the class beside them is graded."""
    import zipfile

    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(course.submissions / "correct-0.zip", folder / "correct-0.zip")
    with zipfile.ZipFile(folder / "bomb.zip", "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("files/x/x.py", b"\0" * (64 * 1024 * 1024))
    with (folder / "huge.zip").open("wb") as handle:
        handle.truncate(5 * 1024**3 // 2)  # sparse: no disk used
    rows = {s.learner: s for s in plan_batch(loaded, discover([folder])).learners}
    assert set(rows) == {"correct-0", "bomb.zip", "huge.zip"}
    assert "is compressed with method 12" in (rows["bomb.zip"].rejected or "")
    assert "huge.zip: is 2684354560 bytes" in (rows["huge.zip"].rejected or "")
    assert rows["correct-0"].rejected is None and set(rows["correct-0"].files) == set(BY_ID)
