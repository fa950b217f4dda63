"""A class on disk for the batch-grading tests: a five-kata assignment and 30 archives.

Every archive is built from a recipe (which file each kata gets), and the expected score of
every gradebook cell follows from the recipe alone: a kata earns its points only for a file
that is correct, and nothing else (wrong, hostile, empty, missing, or in an archive that cannot
be graded) earns any. Archives are written with ``trainer.coursework.submission``'s own
``Manifest`` and ``archive_bytes``, exactly as ``katas submit`` writes them.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from tests.kata_factory import make_kata, make_pack
from trainer.coursework.submission import Manifest, ManifestFile, ManifestVerdict, archive_bytes
from trainer.grading.verdict import Status

__all__ = ["ASSIGNMENT_ID", "KATAS", "Course", "Learner", "make_class"]

ASSIGNMENT_ID = "week-5"
HOSTILE = Path(__file__).resolve().parent / "hostile"
MOMENT = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class KataDef:
    id: str
    topic: str
    file: str
    points: float
    checks: str
    solution: str
    wrong: str


DOUBLE_CHECKS = '''
import torch

from trainer.checks import assert_close


def test_doubles(learner, device):
    """doubles a tensor"""
    torch.manual_seed(0)
    x = torch.randn(3, 5, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (3, 5)")


def test_doubles_a_column(learner, device):
    """doubles a column vector"""
    torch.manual_seed(1)
    x = torch.randn(4, 1, dtype=torch.float64, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (4, 1)")
'''


def _plain_checks(function: str, cases: list[tuple[str, str]], name: str) -> str:
    """Two pure-Python checks (fast to grade); the secret marker proves no source leaks."""
    lines = []
    for index, (args, expected) in enumerate(cases):
        lines += [
            f"def test_{name}_{index}(learner):",
            f'    """{name} case {index}"""',
            f"    got = learner.{function}({args})  # SECRET-CHECK-SOURCE-{name}-{index}",
            f'    want = f"{function}({args}) should be {expected}"',
            f'    assert got == {expected}, f"{{want}}, got {{got!r}}"',
            "",
        ]
    return "\n".join(lines)


KATAS: tuple[KataDef, ...] = (
    KataDef(
        "double-it",
        "tensors",
        "double.py",
        2.0,
        DOUBLE_CHECKS,
        "def double(x):\n    return 2 * x\n",
        "def double(x):\n    return x + 1\n",
    ),
    KataDef(
        "add-one",
        "tensors",
        "add_one.py",
        1.0,
        _plain_checks("add_one", [("3", "4"), ("-1", "0")], "adds"),
        "def add_one(x):\n    return x + 1\n",
        "def add_one(x):\n    return x\n",
    ),
    KataDef(
        "square-it",
        "basics",
        "square.py",
        1.0,
        _plain_checks("square", [("3", "9"), ("-2", "4")], "squares"),
        "def square(x):\n    return x * x\n",
        "def square(x):\n    return 2 * x\n",
    ),
    KataDef(
        "relu-it",
        "basics",
        "relu.py",
        1.0,
        _plain_checks("relu", [("-3", "0"), ("5", "5")], "relus"),
        "def relu(x):\n    return max(0, x)\n",
        "def relu(x):\n    return abs(x)\n",
    ),
    KataDef(
        "join-it",
        "basics",
        "join.py",
        0.5,
        _plain_checks("join", [("'a', 'b'", "'ab'"), ("'', 'x'", "'x'")], "joins"),
        "def join(a, b):\n    return a + b\n",
        "def join(a, b):\n    return b + a\n",
    ),
)
BY_ID = {k.id: k for k in KATAS}


@dataclass(frozen=True)
class Learner:
    """One archive: who, which file per kata (``correct``, ``wrong``, ``empty``, or
    ``hostile:<attack>``), and how the archive is damaged, if at all."""

    archive: str
    name: str
    files: dict[str, str] = field(default_factory=dict)
    damage: str | None = None
    """``not-a-zip``, ``climbs-out``, ``other-assignment``, or None."""
    claims: dict[str, Status] = field(default_factory=dict)
    row: str | None = None
    """The gradebook row it must land in (default: ``name``)."""

    def expected(self, kata_id: str) -> float:
        """The cell's score, from the recipe alone."""
        if self.damage is not None:
            return 0.0
        return BY_ID[kata_id].points if self.files.get(kata_id) == "correct" else 0.0

    @property
    def expected_total(self) -> float:
        return sum(self.expected(k.id) for k in KATAS)


def _everything(kind: str) -> dict[str, str]:
    return {k.id: kind for k in KATAS}


def roster() -> list[Learner]:
    """Thirty archives: correct, wrong, partial, hostile, empty, malformed, foreign, twins."""
    learners = [
        Learner(f"correct-{i}.zip", f"correct-{i}", _everything("correct")) for i in range(8)
    ]
    wrong_sets = [
        ["double-it"],
        ["add-one", "square-it"],
        ["relu-it", "join-it", "double-it"],
        list(BY_ID),
        ["join-it"],
        ["square-it", "relu-it"],
    ]
    for i, wrong in enumerate(wrong_sets):
        files = {k: "wrong" if k in wrong else "correct" for k in BY_ID}
        # A wrong learner who claims to have passed everything: claims are never scored.
        claims = dict.fromkeys(BY_ID, Status.PASSED) if i == 3 else {}
        learners.append(Learner(f"wrong-{i}.zip", f"wrong-{i}", files, claims=claims))
    partial_sets = [["double-it"], ["add-one", "join-it"], ["square-it", "relu-it", "join-it"]]
    for i, present in enumerate(partial_sets):
        learners.append(
            Learner(f"partial-{i}.zip", f"partial-{i}", dict.fromkeys(present, "correct"))
        )
    learners.append(
        Learner("partial-3.zip", "partial-3", {"double-it": "wrong", "add-one": "correct"})
    )
    for attack in (
        "sleep_forever",
        "os_exit_at_import",
        "forge_channel_in_order",
        "fake_equal_object",
        "read_checks_echo",
    ):
        files = _everything("correct")
        files["double-it"] = f"hostile:{attack}"
        learners.append(Learner(f"hostile-{attack}.zip", f"hostile-{attack}", files))
    learners.append(Learner("empty-0.zip", "empty-0", {}))
    learners.append(Learner("empty-1.zip", "empty-1", dict.fromkeys(BY_ID, "empty")))
    learners.append(Learner("garbage.zip", "", damage="not-a-zip", row="garbage.zip"))
    learners.append(
        Learner("sneaky.zip", "", _everything("correct"), damage="climbs-out", row="sneaky.zip")
    )
    learners.append(
        Learner("foreign.zip", "foreign", _everything("correct"), damage="other-assignment")
    )
    learners.append(Learner("twin-a.zip", "twin", _everything("correct"), row="twin~twin-a.zip"))
    learners.append(Learner("twin-b.zip", "Twin", _everything("wrong"), row="Twin~twin-b.zip"))
    assert len(learners) == 30
    return learners


def _content(kind: str, kata: KataDef) -> bytes:
    if kind == "correct":
        return kata.solution.encode()
    if kind == "wrong":
        return kata.wrong.encode()
    if kind == "empty":
        return b""
    attack = kind.removeprefix("hostile:")
    return (HOSTILE / f"{attack}.py").read_bytes()


def _archive(learner: Learner) -> bytes:
    if learner.damage == "not-a-zip":
        return b"this is not a zip archive at all\n" * 20
    members: dict[str, bytes] = {}
    files: dict[str, ManifestFile] = {}
    for kata_id, kind in learner.files.items():
        kata = BY_ID[kata_id]
        member = f"files/{kata_id}/{kata.file}"
        data = _content(kind, kata)
        members[member] = data
        files[kata_id] = ManifestFile(path=member, sha256=hashlib.sha256(data).hexdigest())
    verdicts = {
        kata_id: ManifestVerdict(status=status, passed=2, total=2, at=MOMENT)
        for kata_id, status in learner.claims.items()
    }
    assignment = "week-4" if learner.damage == "other-assignment" else ASSIGNMENT_ID
    manifest = Manifest(
        learner=learner.name or "someone",
        assignment_id=assignment,
        assignment_title="Week",
        created_at=MOMENT,
        trainer_version="0.1.0",
        python="3.11",
        files=files,
        verdicts=verdicts,
    )
    data = archive_bytes(manifest, members)
    if learner.damage == "climbs-out":
        buffer = io.BytesIO(data)
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("../../outside.py", "print('escaped')\n")
        data = buffer.getvalue()
    return data


@dataclass(frozen=True)
class Course:
    root: Path
    pack: Path
    assignment: Path
    submissions: Path
    learners: list[Learner]

    def expected_rows(self) -> dict[str, dict[str, float]]:
        """Gradebook row -> kata id (and ``total``) -> expected score."""
        rows: dict[str, dict[str, float]] = {}
        for learner in self.learners:
            cells = {k.id: learner.expected(k.id) for k in KATAS}
            cells["total"] = learner.expected_total
            rows[learner.row or learner.name] = cells
        return rows


def make_class(root: Path) -> Course:
    """The pack, ``assignment.yaml`` and ``submissions/`` (30 archives) under ``root``."""
    pack = make_pack(root / "pack", topics=["tensors", "basics"])
    for order, kata in enumerate(KATAS):
        make_kata(
            pack,
            kata.id,
            kata.topic,
            order=order * 10,
            file=kata.file,
            checks=kata.checks,
            solution=kata.solution,
            starter="# your answer goes here\n" + kata.wrong,
            timeout=20,
            limits={"memory_mb": 1024},
        )
    points = {k.id: k.points for k in KATAS if k.points != 1.0}
    spec = {
        "schema": 1,
        "id": ASSIGNMENT_ID,
        "title": "Week 5: small functions",
        "packs": ["pack"],
        "katas": ["tensors/*", "basics/*"],
        "points": {"default": 1, **points},
    }
    assignment = root / "assignment.yaml"
    assignment.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    submissions = root / "submissions"
    submissions.mkdir()
    learners = roster()
    for learner in learners:
        (submissions / learner.archive).write_bytes(_archive(learner))
    return Course(root, pack, assignment, submissions, learners)
