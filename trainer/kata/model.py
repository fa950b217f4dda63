"""The kata model: what a ``kata.yaml`` may say, validated strictly.

Strict on purpose: an unknown key is far more often a typo (``hint:`` for ``hints:``) than a
feature, and silently ignoring it would ship a kata without its hints.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trainer.grading.limits import Limits

SCHEMA_VERSION = 1
"""The newest ``schema`` value this trainer understands."""

Device = Literal["cpu", "cuda", "mps"]

KEBAB_CASE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Kata ids, topics and assignment ids: lowercase letters and digits joined by single dashes.
The one spelling of the rule; the catalog, scaffold, assignments and submissions use it."""
_PY_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
_SHADOWED = frozenset(
    {"torch", "numpy", "pytest", "_pytest", "pluggy", "trainer", "yaml", "pydantic", "conftest"}
)
"""Module names a learner file may not take: the grader imports it under its own name."""


class Reference(BaseModel):
    """A link a learner can follow to the relevant documentation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")


class Kept(BaseModel):
    """In a learner's copy of a pack (``katas handout``): what the instructor kept back.

    Written by the export, never by authors: the copy has no ``solution.py``, no ``wrong/`` and
    no ``hidden_checks.py``, and this is how the trainer knows that is on purpose and how many
    checks the learner will meet only when the instructor grades.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    hidden_checks: int = Field(default=0, ge=0)


class KataSpec(BaseModel):
    """The contents of one ``kata.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(alias="schema", ge=1)
    id: str
    title: str = Field(min_length=1)
    topic: str
    difficulty: int = Field(ge=1, le=5)
    order: int = Field(ge=0)
    requires: tuple[str, ...] = ()
    devices: tuple[Device, ...] = ("cpu", "cuda")
    timeout: float = Field(default=20.0, gt=0, le=600)
    limits: Limits = Limits()
    """Resource limits for grading (memory_mb, file_mb, processes, open_files)."""
    file: str
    concepts: tuple[str, ...] = ()
    tips: tuple[int, ...] = ()
    description: str = Field(min_length=1)
    hints: tuple[str, ...] = Field(min_length=1)
    explanation: str = Field(min_length=1)
    references: tuple[Reference, ...] = ()
    instructor_kept: Kept | None = None
    """Present only in a learner's copy: see :class:`Kept`."""

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"schema {value} is newer than this trainer understands ({SCHEMA_VERSION}); "
                "upgrade torch-katas"
            )
        return value

    @field_validator("id", "topic")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not KEBAB_CASE.match(value):
            raise ValueError(f"{value!r} must be kebab-case: lowercase letters, digits and '-'")
        return value

    @field_validator("requires")
    @classmethod
    def _kebab_all(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not KEBAB_CASE.match(item):
                raise ValueError(f"{item!r} is not a kata id (kebab-case)")
        return value

    @field_validator("file")
    @classmethod
    def _plain_py_file(cls, value: str) -> str:
        if not _PY_FILE.match(value):
            raise ValueError(
                f"{value!r} must be a plain Python file name such as 'scale.py' "
                "(an importable module name, no folders)"
            )
        stem = value.removesuffix(".py")
        if stem in sys.stdlib_module_names or stem in _SHADOWED:
            raise ValueError(
                f"{value!r} would shadow the module {stem!r} while grading; pick another name"
            )
        return value

    @field_validator("devices")
    @classmethod
    def _some_device(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one device, e.g. [cpu, cuda]")
        if len(set(value)) != len(value):
            raise ValueError("devices are listed twice")
        return value

    @field_validator("tips")
    @classmethod
    def _tip_numbers(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for tip in value:
            if not 1 <= tip <= 12:
                raise ValueError(
                    f"tip {tip} is not one of the tips 1-12 (katas/README.md, 'Tips → katas')"
                )
        return value

    @model_validator(mode="after")
    def _not_self_required(self) -> KataSpec:
        if self.id in self.requires:
            raise ValueError(f"kata {self.id!r} requires itself")
        return self


class Kata(BaseModel):
    """A loaded kata: its validated spec plus where its files are."""

    model_config = ConfigDict(frozen=True)

    spec: KataSpec
    root: Path
    pack: Path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def topic(self) -> str:
        return self.spec.topic

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def starter(self) -> Path:
        return self.root / "starter.py"

    @property
    def solution(self) -> Path:
        return self.root / "solution.py"

    @property
    def checks(self) -> Path:
        return self.root / "checks.py"

    @property
    def hidden_checks(self) -> Path:
        """Checks that run only when an instructor grades (``katas grade``), never in the
        learner's own gradings: a kata's otter-grader-style hidden tests. Optional."""
        return self.root / "hidden_checks.py"

    @property
    def learner_copy(self) -> bool:
        """A learner's copy (``katas handout``): the solution and hidden checks were kept back."""
        return self.spec.instructor_kept is not None

    @property
    def hidden_check_count(self) -> int:
        """How many checks run only when the instructor grades: the ``test_*`` functions of
        ``hidden_checks.py`` (a parametrized one counts once), or in a learner's copy the
        number the export recorded."""
        if self.spec.instructor_kept is not None:
            return self.spec.instructor_kept.hidden_checks
        return count_checks(self.hidden_checks)

    @property
    def wrong_variants(self) -> list[Path]:
        """The known-wrong answers, each of which the checks must reject."""
        wrong = self.root / "wrong"
        return sorted(wrong.glob("*.py")) if wrong.is_dir() else []

    def supports(self, device: str) -> bool:
        """Whether the kata is meant to be graded on ``device`` ('cuda:1' counts as 'cuda')."""
        return device.split(":", 1)[0] in self.spec.devices


REQUIRED_FILES = ("starter.py", "solution.py", "checks.py")
"""Files every kata folder must hold beside ``kata.yaml`` (a learner's copy: all but the
solution)."""


def count_checks(path: Path) -> int:
    """The top-level ``test_*`` functions of a checks file, read without importing it (0 if
    there is no such file or it does not parse)."""
    import ast

    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return 0
    return sum(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
        for node in tree.body
    )
