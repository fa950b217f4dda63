"""Assignments: which katas a class does, for how many points, by when, under which rules.

An instructor writes an ``assignment.yaml`` and hands it out with the pack folder(s) it names::

    schema: 1
    id: week-3-autograd             # kebab-case; matches submissions to this assignment
    title: "Week 3: autograd"
    packs: [./week3-pack]           # folders relative to this file; empty or absent: built-in
    katas:
      - param-not-tensor            # a kata id
      - autograd/*                  # a topic glob: topic/id, each part an fnmatch pattern
      - tensors/view-*
    points: {default: 1, custom-fn: 3}
    due: 2025-03-14T23:59:00+01:00  # with a time zone; a bare date is the end of that day, UTC
    hints: true                     # may learners reveal hints? (default true)
    solutions: false                # may they reveal reference solutions? (default false)
    devices: [cpu]                  # where submissions are graded (default [cpu])
    late:                           # optional; needs a due date
      grace: 15m                    # on time until due + grace (s, m, h or d; default 0)
      penalty_per_day: 10           # percent off the score per day, or part of one, after it
      last_day: 2025-03-21          # received later: accepted for the record, scored 0
    scoring: per-check              # default all-or-nothing (see trainer.batch.model)
    weights: {custom-fn: {test_backward: 3}}   # per-check only; a check's weight, default 1

The schema is strict like ``kata.yaml``: an unknown key is an error with file, line and a
suggestion, because ``hint: false`` silently ignored would leave hints on. ``packs`` may also
name ``builtin`` beside folders.

:func:`load_assignment` reads the file, loads its packs and resolves the katas (an id or glob
that matches nothing, a points entry for a kata not assigned, a kata that cannot run on the
assignment's devices: each is an :class:`AssignmentError` with file, line and field).
:class:`Rules` is what the CLI and the TUI apply to a learner: hints, solutions, the due date;
a pass after the due date is late (information for the instructor, never a refusal).

The workspace side (the copy in ``.katas/`` and who the learner is) is
:class:`WorkspaceAssignment`, exposed as ``Workspace.assignment`` and ``Workspace.rules``.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from trainer.atomic import atomic_write
from trainer.errors import AssignmentError, KataLoadError
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.loader import LoadProblem, load_yaml_model, locate_key
from trainer.kata.model import KEBAB_CASE, Device, Kata

__all__ = [
    "ASSIGNMENT_COPY",
    "ASSIGNMENT_RECORD",
    "ASSIGNMENT_SCHEMA",
    "BUILTIN",
    "Assignment",
    "AssignmentRecord",
    "LoadedAssignment",
    "Rules",
    "WorkspaceAssignment",
    "format_points",
    "load_assignment",
]

ASSIGNMENT_SCHEMA = 1
"""The newest ``schema`` of ``assignment.yaml`` this trainer understands."""

BUILTIN = "builtin"
"""The name that stands for the built-in pack in ``packs``."""

ASSIGNMENT_COPY = "assignment.yaml"
"""The verbatim copy of the assignment inside a workspace's ``.katas/``."""

ASSIGNMENT_RECORD = "assignment.json"
"""Beside the copy: the learner, and where the packs were (:class:`AssignmentRecord`)."""

_PATTERN = re.compile(r"^[a-z0-9*?\[\]!-]+(?:/[a-z0-9*?\[\]!-]+)?$")
_GLOB_CHARS = frozenset("*?[")
_DEFAULT = "default"


# --------------------------------------------------------------------------- the YAML schema


def _aware_due(value: object) -> object:
    """A date means the end of that day in UTC; a time must say its zone, because instructor
    and learner machines rarely share one and a naive time would fall due at different moments.
    """
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, datetime):
        day = value.date()
        raise ValueError(
            f"{value.isoformat()} has no time zone; write e.g. {day}T23:59:00+01:00 "
            f"(or ...Z for UTC), or the date {day} alone for the end of that day, UTC"
        )
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), tzinfo=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return _aware_due(date.fromisoformat(text))
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date: write 2025-03-14 or 2025-03-14T23:59:00+01:00"
            ) from None
        return _aware_due(parsed)
    raise ValueError(f"should be a date such as 2025-03-14, not {type(value).__name__}")


def _is_glob(pattern: str) -> bool:
    return "/" in pattern or bool(_GLOB_CHARS & set(pattern))


def _matches(pattern: str, kata: Kata) -> bool:
    """``topic/id`` globs match both parts; a bare pattern matches the id."""
    if "/" in pattern:
        topic, ident = pattern.split("/", 1)
        return fnmatch.fnmatchcase(kata.topic, topic) and fnmatch.fnmatchcase(kata.id, ident)
    return fnmatch.fnmatchcase(kata.id, pattern)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LatePolicy(BaseModel):
    """How work received after the due date is scored (applied by ``trainer.batch.lateness``).
    The learner's clock is never asked: ``katas grade`` takes when the instructor received each
    archive (``--receipts``, else the archive's modification time) and says which."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace: timedelta = timedelta(0)
    penalty_per_day: float = Field(default=0.0, ge=0, le=100)
    """Percent of the score taken off per day late, a started day counting whole."""
    last_day: datetime | None = None
    """Received after it: graded for the record, scored 0."""

    @field_validator("grace", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            match = _DURATION.match(value)
            if match is None:
                raise ValueError(f"{value!r} is not a duration: write e.g. 90s, 15m, 2h or 1d")
            return timedelta(seconds=float(match[1]) * _UNIT[match[2]])
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"write the unit: {value}m, {value}h or {value}d")
        return value

    @field_validator("grace")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("a grace period cannot be negative")
        return value

    @field_validator("last_day", mode="before")
    @classmethod
    def _last_day(cls, value: object) -> object:
        return _aware_due(value)


class Assignment(BaseModel):
    """The contents of ``assignment.yaml``, validated strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(alias="schema", ge=1)
    id: str
    title: str = Field(min_length=1)
    packs: tuple[str, ...] = ()
    katas: tuple[str, ...] = Field(min_length=1)
    points: dict[str, float] = Field(default_factory=lambda: {_DEFAULT: 1.0})
    due: datetime | None = None
    hints: bool = True
    solutions: bool = False
    devices: tuple[Device, ...] = ("cpu",)
    late: LatePolicy | None = None
    scoring: Literal["all-or-nothing", "per-check"] = "all-or-nothing"
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)
    """``scoring: per-check`` only: kata id -> check (its function name) -> weight (default 1)."""

    @model_validator(mode="after")
    def _late_needs_due(self) -> Assignment:
        if self.late is not None and self.due is None:
            raise ValueError("'late' needs a 'due' date to be late against")
        last = self.late.last_day if self.late is not None else None
        if last is not None and self.due is not None and last < self.due:
            raise ValueError("late.last_day is before the due date")
        if self.weights and self.scoring != "per-check":
            raise ValueError("'weights' apply only with 'scoring: per-check'")
        for kata_id, checks in self.weights.items():
            for name, weight in checks.items():
                if weight < 0:
                    raise ValueError(f"weights.{kata_id}.{name}: a weight cannot be negative")
        return self

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > ASSIGNMENT_SCHEMA:
            raise ValueError(
                f"schema {value} is newer than this trainer understands ({ASSIGNMENT_SCHEMA}); "
                "upgrade torch-katas"
            )
        return value

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not KEBAB_CASE.match(value):
            raise ValueError(f"{value!r} must be kebab-case: lowercase letters, digits and '-'")
        return value

    @field_validator("katas")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            if not _PATTERN.match(pattern):
                raise ValueError(
                    f"{pattern!r} is neither a kata id (kebab-case) nor a glob such as "
                    "'autograd/*' or 'tensors/view-*'"
                )
        if len(set(value)) != len(value):
            twice = next(p for p in value if value.count(p) > 1)
            raise ValueError(f"{twice!r} is listed twice")
        return value

    @field_validator("points", mode="before")
    @classmethod
    def _number_is_default(cls, value: object) -> object:
        """``points: 2`` is short for ``points: {default: 2}``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {_DEFAULT: value}
        return value

    @field_validator("points")
    @classmethod
    def _point_keys(cls, value: dict[str, float]) -> dict[str, float]:
        for key, points in value.items():
            if key != _DEFAULT and not KEBAB_CASE.match(key):
                raise ValueError(f"{key!r} is neither 'default' nor a kata id")
            if points < 0:
                raise ValueError(f"{key}: points cannot be negative ({points:g})")
        return value

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: object) -> object:
        return _aware_due(value)

    @field_validator("packs")
    @classmethod
    def _unique_packs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a pack is listed twice")
        return value

    @field_validator("devices")
    @classmethod
    def _some_devices(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one device, e.g. [cpu]")
        if len(set(value)) != len(value):
            raise ValueError("a device is listed twice")
        return value

    @property
    def default_points(self) -> float:
        return self.points.get(_DEFAULT, 1.0)


# --------------------------------------------------------------------------- rules


def _when(moment: datetime) -> str:
    """A due date as people read it: to the minute, in the zone it was written in."""
    text = moment.strftime("%Y-%m-%d %H:%M")
    offset = moment.utcoffset()
    return text + (" UTC" if offset is not None and not offset else moment.strftime(" %z"))


def format_points(points: float) -> str:
    """``3`` rather than ``3.0``; ``1.5`` stays ``1.5``."""
    return f"{points:g}"


@dataclass(frozen=True)
class Rules:
    """What a learner may do in a workspace. Without an assignment everything is allowed.

    The CLI and the TUI ask here rather than reading the assignment, so both refuse in the
    same words.
    """

    title: str | None = None
    hints_allowed: bool = True
    solutions_allowed: bool = True
    due: datetime | None = None
    devices: tuple[str, ...] = ()
    """Where the instructor grades; empty without an assignment."""

    def hint_refusal(self) -> str | None:
        """Why a hint may not be revealed, or None when it may."""
        if self.hints_allowed:
            return None
        return f"hints are off for the assignment {self.title!r} (your instructor's rule)"

    def solution_refusal(self) -> str | None:
        """Why the reference solution may not be revealed, or None when it may."""
        if self.solutions_allowed:
            return None
        return (
            f"revealing solutions is off for the assignment {self.title!r} (your instructor's rule)"
        )

    def summary(self) -> str:
        """The rules in one line: the due date, hints and solutions on or off."""
        parts = [self.due_text() or "no due date"]
        parts.append("hints on" if self.hints_allowed else "hints off")
        parts.append("solutions on" if self.solutions_allowed else "solutions off")
        return " · ".join(parts)

    def is_late(self, moment: datetime | None) -> bool:
        """Whether something done at ``moment`` (timezone-aware) is past the due date."""
        return self.due is not None and moment is not None and moment > self.due

    def due_text(self) -> str | None:
        """``due 2025-03-14 23:59 +0100``, or None without a due date."""
        return f"due {_when(self.due)}" if self.due is not None else None


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadedAssignment:
    """An ``assignment.yaml`` with its packs loaded and its katas resolved."""

    spec: Assignment
    path: Path
    catalog: Catalog
    """Every kata of the assignment's packs (assigned or not)."""
    katas: list[Kata]
    """The assigned katas, in the catalog's teaching order."""
    packs: tuple[Path, ...]
    """The pack folders, absolute, in the order the file lists them."""
    sha256: str
    """Of the file's bytes: tells two versions of one assignment apart."""

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def due(self) -> datetime | None:
        return self.spec.due

    @property
    def rules(self) -> Rules:
        spec = self.spec
        return Rules(spec.title, spec.hints, spec.solutions, spec.due, tuple(spec.devices))

    def is_late(self, moment: datetime | None) -> bool:
        return self.rules.is_late(moment)

    def points(self, kata_id: str) -> float:
        """What ``kata_id`` is worth: its own entry, else the default; 0 when not assigned."""
        if not any(k.id == kata_id for k in self.katas):
            return 0.0
        return self.spec.points.get(kata_id, self.spec.default_points)

    @property
    def total_points(self) -> float:
        return sum(self.points(k.id) for k in self.katas)

    def restricted(self) -> Catalog:
        """The catalog a learner sees: only the assigned katas, in teaching order."""
        return self.catalog.restrict(k.id for k in self.katas)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _problem(path: Path, loc: tuple[str | int, ...], message: str) -> LoadProblem:
    name = str(loc[0]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
    return LoadProblem(path, locate_key(path, loc), name, message)


def _pack_folders(path: Path, spec: Assignment) -> list[Path]:
    if not spec.packs:
        return [builtin_pack()]
    folders: list[Path] = []
    problems: list[LoadProblem] = []
    for index, name in enumerate(spec.packs):
        folder = builtin_pack() if name == BUILTIN else (path.parent / name).resolve()
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            message = f"pack folder {folder} {what} (write '{BUILTIN}' for the built-in pack)"
            problems.append(_problem(path, ("packs", index), message))
        folders.append(folder)
    if problems:
        raise AssignmentError(problems)
    return folders


def _no_match(path: Path, index: int, pattern: str, catalog: Catalog) -> LoadProblem:
    broken = [p for p in catalog.problems if p.path.parent.name == pattern]
    if broken:
        return _problem(path, ("katas", index), f"kata {pattern!r} failed to load: {broken[0]}")
    packs = ", ".join(p.name for p in catalog.packs) or "none"
    message = f"{pattern!r} matches no kata in the packs ({packs})"
    if not _is_glob(pattern):
        close = difflib.get_close_matches(pattern, [k.id for k in catalog], n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
    return _problem(path, ("katas", index), message)


def _resolve(path: Path, spec: Assignment, catalog: Catalog) -> list[Kata]:
    problems: list[LoadProblem] = []
    chosen: set[str] = set()
    for index, pattern in enumerate(spec.katas):
        found = [k.id for k in catalog if _matches(pattern, k)]
        if not found:
            problems.append(_no_match(path, index, pattern, catalog))
        chosen.update(found)
    for key in spec.points:
        if key != _DEFAULT and key not in chosen:
            message = f"{key!r} is not one of the assigned katas"
            problems.append(_problem(path, ("points", key), message))
    katas = [k for k in catalog if k.id in chosen]
    for kata in katas:
        if not any(kata.supports(device) for device in spec.devices):
            message = (
                f"kata {kata.id!r} runs only on {', '.join(kata.spec.devices)}, but this "
                f"assignment is graded on {', '.join(spec.devices)}"
            )
            problems.append(_problem(path, ("devices",), message))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise AssignmentError(problems)
    return katas


def load_assignment(path: Path, *, packs: Sequence[Path] | None = None) -> LoadedAssignment:
    """Load ``assignment.yaml`` and its packs; raise :class:`AssignmentError` when unusable.

    Pack folders are resolved against the file's own folder and must exist. ``packs`` replaces
    them: a workspace's copy uses the folders recorded when the workspace was made.
    """
    path = path.expanduser().resolve()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AssignmentError([LoadProblem(path, None, None, "file is missing")]) from None
    except OSError as exc:
        message = f"cannot be read: {exc.strerror or exc}"
        raise AssignmentError([LoadProblem(path, None, None, message)]) from None
    try:
        spec = load_yaml_model(path, Assignment)
    except KataLoadError as exc:
        raise AssignmentError(exc.problems) from None
    folders = [Path(p) for p in packs] if packs is not None else _pack_folders(path, spec)
    catalog = Catalog.load(folders)
    katas = _resolve(path, spec, catalog)
    return LoadedAssignment(spec, path, catalog, katas, tuple(folders), _sha256(data))


# --------------------------------------------------------------------------- in a workspace


class AssignmentRecord(BaseModel):
    """``.katas/assignment.json``: what a workspace made from an assignment remembers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    assignment_id: str
    learner: str = Field(min_length=1)
    source: str
    """The ``assignment.yaml`` it was made from, for the learner's information."""
    sha256: str
    """Of the copy in ``.katas/``: an edited copy is refused, not silently obeyed."""
    packs: tuple[str, ...]
    """Absolute pack folders, as resolved from the original file's folder."""
    created_at: datetime


def clean_learner_name(value: str) -> str:
    """One line of printable text: it goes into a manifest and a file name."""
    name = " ".join(value.split())
    if not name:
        raise ValueError("the learner name is empty")
    if len(name) > 100:
        raise ValueError("the learner name is longer than 100 characters")
    if not name.isprintable():
        raise ValueError("the learner name holds control characters")
    return name


@dataclass(frozen=True)
class WorkspaceAssignment:
    """The assignment a workspace was made from, read from its copy, and the record."""

    loaded: LoadedAssignment
    record: AssignmentRecord

    @property
    def learner(self) -> str:
        return self.record.learner

    @property
    def rules(self) -> Rules:
        return self.loaded.rules

    def catalog(self) -> Catalog:
        """The learner's catalog: only the assigned katas of the assignment's packs."""
        return self.loaded.restricted()

    @classmethod
    def read(cls, dot_dir: Path) -> WorkspaceAssignment | None:
        """The assignment of the workspace whose ``.katas/`` is ``dot_dir``; None if it has none.

        A damaged record or an edited copy raises :class:`AssignmentError`: the rules must not
        silently fall away.
        """
        record_path = dot_dir / ASSIGNMENT_RECORD
        copy = dot_dir / ASSIGNMENT_COPY
        again = "run `katas init --assignment FILE` again"
        try:
            raw = record_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            message = f"cannot be read: {exc.strerror or exc}"
            raise AssignmentError([LoadProblem(record_path, None, None, message)]) from None
        try:
            record = AssignmentRecord.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            message = f"damaged ({first['msg']}); {again}"
            raise AssignmentError([LoadProblem(record_path, None, where, message)]) from None
        try:
            data = copy.read_bytes()
        except OSError:
            raise AssignmentError([LoadProblem(copy, None, None, f"is missing; {again}")]) from None
        if _sha256(data) != record.sha256:
            message = f"was changed after `katas init --assignment`; {again} with the original"
            raise AssignmentError([LoadProblem(copy, None, None, message)])
        loaded = load_assignment(copy, packs=[Path(p) for p in record.packs])
        return cls(loaded, record)

    @classmethod
    def write(
        cls, dot_dir: Path, loaded: LoadedAssignment, learner: str, now: datetime
    ) -> WorkspaceAssignment:
        """Copy the assignment into ``dot_dir`` and record the learner; ``ValueError`` for a
        bad learner name."""
        record = AssignmentRecord(
            assignment_id=loaded.id,
            learner=clean_learner_name(learner),
            source=str(loaded.path),
            sha256=loaded.sha256,
            packs=tuple(str(p) for p in loaded.packs),
            created_at=now,
        )
        atomic_write(dot_dir / ASSIGNMENT_COPY, loaded.path.read_bytes())
        text = record.model_dump_json(indent=2) + "\n"
        atomic_write(dot_dir / ASSIGNMENT_RECORD, text.encode("utf-8"))
        copy = load_assignment(dot_dir / ASSIGNMENT_COPY, packs=loaded.packs)
        return cls(copy, record)
