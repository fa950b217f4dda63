"""Every built-in kata accepts a second, differently written correct solution."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.catalog import Catalog, builtin_pack
from trainer.grading import grade_many

ALT = Path(__file__).resolve().parent / "alt_solutions"
CATALOG = Catalog.load([builtin_pack()])


def test_every_builtin_kata_has_a_second_solution() -> None:
    missing = [k.id for k in CATALOG if not (ALT / f"{k.id}.py").is_file()]
    assert missing == []
    strays = [p.stem for p in ALT.glob("*.py") if p.stem not in CATALOG]
    assert strays == []


def test_every_second_solution_differs_from_the_reference() -> None:
    same = [
        k.id
        for k in CATALOG
        if (ALT / f"{k.id}.py").is_file()
        and (ALT / f"{k.id}.py").read_text().split() == k.solution.read_text().split()
    ]
    assert same == []


def test_every_second_solution_passes() -> None:
    jobs = [(k, ALT / f"{k.id}.py") for k in CATALOG if (ALT / f"{k.id}.py").is_file()]
    if not jobs:
        pytest.fail("no second solutions found")
    verdicts = grade_many(jobs)
    failures = {
        v.kata_id: f"{v.status.value}: {v.summary}; "
        + "; ".join(f"{c.name}: {c.message}" for c in v.checks if c.message)
        for v in verdicts
        if not v.passed
    }
    assert failures == {}
