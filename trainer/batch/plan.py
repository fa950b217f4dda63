"""From submission archives to learners and grading jobs: identity, sharding, what to grade.

Nothing from an archive is trusted: the file contents are graded, their hashes computed here,
the manifest's verdicts kept as information only. Every archive becomes exactly one learner, so
a malformed archive is a row of zeros with its reason, never an exception that ends the batch.

Identity is the manifest's learner name when the archive is valid, else the archive's file name.
When several archives claim the same learner (compared case-insensitively), none overwrites
another: each becomes ``<learner>~<archive file name>`` and every one of them says so.

A shard holds the learners whose identity hashes to it, so a learner's shard never depends on
who else handed in, and all archives claiming one learner land in the same shard.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from trainer.batch.model import (
    AssignmentInfo,
    KataColumn,
    LatePolicyInfo,
    Scoring,
    ShardInfo,
    learner_order,
)
from trainer.errors import PlanError, SubmissionError
from trainer.grading.verdict import Status
from trainer.kata.model import Kata

__all__ = [
    "AssignmentLike",
    "Job",
    "Plan",
    "SubmissionLike",
    "Submitted",
    "assignment_info",
    "discover",
    "kata_devices",
    "kata_fingerprint",
    "parse_shard",
    "plan_batch",
    "shard_of",
]

MAX_LEARNER = 128
"""Longest learner name taken from a manifest; longer ones fall back to the archive's name."""

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


# -- what this package needs from trainer.coursework.assignment and trainer.coursework.submission --


class _LateLike(Protocol):
    @property
    def grace(self) -> timedelta: ...
    @property
    def penalty_per_day(self) -> float: ...
    @property
    def last_day(self) -> datetime | None: ...


class _SpecLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def devices(self) -> Sequence[str]: ...
    @property
    def due(self) -> datetime | None: ...
    @property
    def late(self) -> _LateLike | None: ...
    @property
    def scoring(self) -> Scoring: ...
    @property
    def weights(self) -> Mapping[str, Mapping[str, float]]: ...


class AssignmentLike(Protocol):
    """The part of ``trainer.coursework.assignment.LoadedAssignment`` batch grading uses."""

    @property
    def spec(self) -> _SpecLike: ...
    @property
    def katas(self) -> Sequence[Kata]: ...
    def points(self, kata_id: str) -> float: ...


class _VerdictClaim(Protocol):
    @property
    def status(self) -> Status: ...


class _ManifestLike(Protocol):
    @property
    def learner(self) -> str: ...
    @property
    def assignment_id(self) -> str: ...
    @property
    def verdicts(self) -> Mapping[str, _VerdictClaim]: ...


class SubmissionLike(Protocol):
    """The part of ``trainer.coursework.submission.Submission`` batch grading uses."""

    @property
    def manifest(self) -> _ManifestLike: ...
    @property
    def files(self) -> Mapping[str, bytes]: ...
    @property
    def problems(self) -> Sequence[str]: ...


Reader = Callable[[Path], SubmissionLike]


def _read_submission(path: Path) -> SubmissionLike:
    from trainer.coursework.submission import read_submission

    submission: SubmissionLike = read_submission(path)
    return submission


# -- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """One archive as one learner: who, what they handed in, and what was wrong with it."""

    learner: str
    claimed: str | None
    archive: Path
    archive_sha256: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Kata id -> file contents, for this assignment's katas only (and only for this shard)."""
    claims: Mapping[str, str] = field(default_factory=dict)
    """Kata id -> the status the manifest reported (information only)."""
    problems: tuple[str, ...] = ()
    rejected: str | None = None
    """Why nothing in this archive can be graded; None when it can."""


@dataclass(frozen=True)
class Job:
    """One file to grade against one kata."""

    learner: str
    kata: Kata
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Plan:
    assignment: AssignmentInfo
    learners: list[Submitted]
    """This shard's learners, sorted by id."""
    roster: tuple[str, ...]
    """Every learner id of the batch, all shards."""

    def jobs(
        self, katas: Sequence[Kata], starters: Mapping[str, bytes | None] | None = None
    ) -> list[Job]:
        """Every file to grade, learner by learner, so a killed run leaves whole learners done.

        A file byte-identical to its kata's starter is not one: it is ``not-attempted``.
        """
        starters = starters_of(katas) if starters is None else starters
        jobs = []
        for learner in self.learners:
            for kata in katas:
                data = learner.files.get(kata.id)
                if data is not None and learner.rejected is None and data != starters[kata.id]:
                    digest = hashlib.sha256(data).hexdigest()
                    jobs.append(Job(learner.learner, kata, data, digest))
        return jobs


def starter_bytes(kata: Kata) -> bytes | None:
    """The kata's starter as handed out, or None where the pack has none to compare with."""
    try:
        return kata.starter.read_bytes()
    except OSError:
        return None


def starters_of(katas: Sequence[Kata]) -> dict[str, bytes | None]:
    return {kata.id: starter_bytes(kata) for kata in katas}


def parse_shard(text: str) -> ShardInfo:
    """``K/N`` with 1 <= K <= N, as ``--shard`` takes it."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise PlanError(f"{text!r} is not a shard: write K/N, e.g. 2/4")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise PlanError(f"shard {text!r} is out of range: K must be between 1 and N")
    return ShardInfo(index=index, count=count)


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of an identity key: a hash, stable whoever else is in the batch."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def kata_fingerprint(kata: Kata) -> str:
    """sha256 of everything that grades the kata: its folder minus starter, solution, wrong/."""
    digest = hashlib.sha256()
    skip = {"starter.py", "solution.py"}
    for path in sorted(kata.root.rglob("*")):
        rel = path.relative_to(kata.root)
        if (
            not path.is_file()
            or rel.parts[0] in {"wrong", "__pycache__"}
            or str(rel) in skip
            or path.suffix == ".pyc"
        ):
            continue
        digest.update(f"{rel.as_posix()}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def kata_devices(katas: Sequence[Kata], preference: Sequence[str]) -> dict[str, str]:
    """Where each kata is graded: the first preferred device it runs on, else the first one
    (then its verdict says "not verified here" and it scores 0, never a silent pass)."""
    first = preference[0] if preference else "cpu"
    return {k.id: next((d for d in preference if k.supports(d)), first) for k in katas}


def assignment_info(assignment: AssignmentLike) -> AssignmentInfo:
    spec = assignment.spec
    late = None
    if spec.due is not None:  # without a policy: lateness recorded, no penalty
        policy = spec.late
        late = LatePolicyInfo(
            due=spec.due,
            grace_seconds=policy.grace.total_seconds() if policy else 0.0,
            penalty_per_day=policy.penalty_per_day if policy else 0.0,
            last_day=policy.last_day if policy else None,
        )
    return AssignmentInfo(
        id=spec.id,
        title=spec.title,
        due=spec.due,
        late=late,
        scoring=spec.scoring,
        weights={k: dict(w) for k, w in spec.weights.items()},
        katas=tuple(
            KataColumn(
                id=k.id,
                title=k.title,
                points=assignment.points(k.id),
                fingerprint=kata_fingerprint(k),
            )
            for k in assignment.katas
        ),
    )


def discover(paths: Iterable[Path]) -> list[Path]:
    """Archives named on the command line: files as given, folders for their ``*.zip`` files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.zip") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise PlanError(f"{path}: no such submission archive or folder")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise PlanError("no submission archives found (give .zip files or folders holding them)")
    return unique


def _usable_name(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not name or len(name) > MAX_LEARNER or _UNSAFE.search(name):
        return None
    return name


@dataclass
class _Read:
    path: Path
    sha256: str
    key: str
    claimed: str | None
    files: dict[str, bytes]
    claims: dict[str, str]
    problems: list[str]
    rejected: str | None


def _read(path: Path, assignment_id: str, kata_ids: Sequence[str], reader: Reader) -> _Read:
    """Read one archive; whatever goes wrong becomes the learner's ``rejected`` reason."""
    from trainer.coursework.submission import check_archive_size

    try:
        check_archive_size(path)  # before a byte is read: a huge file is refused by its size
        raw = path.read_bytes()
    except SubmissionError as exc:
        reason = str(exc).replace(str(path), path.name)
        return _Read(path, "", path.name, None, {}, {}, [], f"the archive is not valid: {reason}")
    except OSError as exc:
        return _Read(path, "", path.name, None, {}, {}, [], f"cannot read the archive: {exc}")
    sha = hashlib.sha256(raw).hexdigest()
    try:
        submission = reader(path)
        manifest = submission.manifest
        claimed_raw = manifest.learner
        archive_assignment = manifest.assignment_id
        files = dict(submission.files)
        problems = [str(p) for p in submission.problems]
        claims = {k: v.status.value for k, v in manifest.verdicts.items()}
    except Exception as exc:  # every failure of an archive is that learner's, never the batch's
        # The reader names the archive by its full path; the learner knows it by its name.
        reason = str(exc).strip().replace(str(path), path.name) or type(exc).__name__
        return _Read(path, sha, path.name, None, {}, {}, [], f"the archive is not valid: {reason}")
    claimed = _usable_name(claimed_raw)
    if claimed is None:
        problems.insert(0, f"the manifest's learner name {str(claimed_raw)[:40]!r} is not usable")
    key = claimed or path.name
    if archive_assignment != assignment_id:
        reason = f"this archive is for assignment {archive_assignment!r}, not {assignment_id!r}"
        return _Read(path, sha, key, claimed, {}, {}, problems, reason)
    extra = sorted(set(files) - set(kata_ids))
    if extra:
        problems.append("ignored files for katas not in this assignment: " + ", ".join(extra))
    wanted = {k: v for k, v in files.items() if k in kata_ids}
    return _Read(path, sha, key, claimed, wanted, claims, problems, None)


def _unique_ids(reads: list[_Read]) -> dict[Path, str]:
    """Final ids: a name claimed by several archives becomes ``name~archive`` for each of them."""
    groups: dict[str, list[_Read]] = {}
    for read in reads:
        groups.setdefault(read.key.casefold(), []).append(read)
    ids: dict[Path, str] = {}
    taken: set[str] = set()
    for group in groups.values():
        if len(group) == 1:
            ids[group[0].path] = group[0].key
            taken.add(group[0].key.casefold())
            continue
        names = ", ".join(r.path.name for r in group)
        for read in group:
            read.problems.insert(
                0,
                f"{len(group)} archives claim learner {read.key!r} ({names}); each is graded "
                "under its own name, so decide which one counts",
            )
    for group in groups.values():
        if len(group) == 1:
            continue
        for read in sorted(group, key=lambda r: str(r.path)):
            base = f"{read.key}~{read.path.name}"
            candidate, n = base, 2
            while candidate.casefold() in taken:
                candidate, n = f"{base}~{n}", n + 1
            taken.add(candidate.casefold())
            ids[read.path] = candidate
    return ids


def plan_batch(
    assignment: AssignmentLike,
    archives: Sequence[Path],
    shard: ShardInfo | None = None,
    *,
    reader: Reader | None = None,
) -> Plan:
    """Read every archive (identities need all of them); keep file contents for this shard only."""
    info = assignment_info(assignment)
    kata_ids = [k.id for k in info.katas]
    read = reader or _read_submission
    reads: list[_Read] = []
    for path in archives:
        item = _read(path, info.id, kata_ids, read)
        if shard is not None and shard_of(item.key.casefold(), shard.count) != shard.index:
            item.files = {}  # another shard grades it; only its identity matters here
        reads.append(item)
    ids = _unique_ids(reads)
    roster = tuple(sorted(ids.values(), key=learner_order))
    learners = [
        Submitted(
            learner=ids[r.path],
            claimed=r.claimed if r.claimed != ids[r.path] else None,
            archive=r.path,
            archive_sha256=r.sha256,
            files=r.files,
            claims=r.claims,
            problems=tuple(r.problems),
            rejected=r.rejected,
        )
        for r in reads
        if shard is None or shard_of(r.key.casefold(), shard.count) == shard.index
    ]
    learners.sort(key=lambda s: learner_order(s.learner))
    return Plan(info, learners, roster)
