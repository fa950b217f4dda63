"""Build a small course on disk for tests: a pack of four katas and an ``assignment.yaml``.

No kata here is ever graded by these helpers; tests that grade do it themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.kata_factory import make_kata, make_pack
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict

__all__ = ["fake_verdict", "make_assignment", "make_course_pack"]

KATAS = {
    "double-it": "tensors",
    "view-one": "tensors",
    "grad-a": "autograd",
    "grad-b": "autograd",
}


def make_course_pack(root: Path) -> Path:
    """``<root>/pack`` with two topics (tensors before autograd) and four katas."""
    pack = make_pack(root / "pack", topics=["tensors", "autograd"])
    for order, (kata_id, topic) in enumerate(KATAS.items()):
        make_kata(pack, kata_id, topic, order=order * 10, file=f"{kata_id.replace('-', '_')}.py")
    return pack


def make_assignment(root: Path, text: str | None = None, **fields: Any) -> Path:
    """``<root>/assignment.yaml`` over ``<root>/pack``: ``text`` verbatim, else ``fields``
    on top of a valid default."""
    path = root / "assignment.yaml"
    if text is None:
        data: dict[str, Any] = {
            "schema": 1,
            "id": "week-1",
            "title": "Week 1",
            "packs": ["pack"],
            "katas": ["double-it", "autograd/*"],
        }
        data.update(fields)
        text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def fake_verdict(kata_id: str, status: Status, passed: int = 1, total: int = 2) -> Verdict:
    """A verdict as the grader would return it, without grading anything."""
    passed = total if status is Status.PASSED else passed
    checks = tuple(
        CheckResult(
            id=f"c{i}",
            name=f"check {i}",
            status=CheckStatus.PASSED if i < passed else CheckStatus.FAILED,
        )
        for i in range(total)
    )
    return Verdict(
        kata_id=kata_id,
        status=status,
        summary="",
        checks=checks,
        device="cpu",
        file="answer.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)
