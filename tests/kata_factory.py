"""Build kata folders for tests: ``make_kata(pack, "my-kata", order=3)``.

Shared by every test module that needs a catalog on disk. The defaults make a valid kata
whose checks pass the solution and fail the starter, so tests override only what they test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["MISSING", "kata_yaml", "make_kata", "make_pack", "spec_dict"]

MISSING: Any = object()
"""Pass as an override (``title=MISSING``) to leave that key out of ``kata.yaml``."""

STARTER = '''"""Return the input doubled."""


def double(x):
    return x
'''

SOLUTION = '''"""Return the input doubled."""


def double(x):
    return 2 * x
'''

CHECKS = '''def test_doubles(learner):
    """doubles a number"""
    assert learner.double(3) == 6
'''


def spec_dict(kata_id: str, topic: str = "tensors", **overrides: Any) -> dict[str, Any]:
    """A complete, valid ``kata.yaml`` mapping (YAML key names), with ``overrides`` applied."""
    spec: dict[str, Any] = {
        "schema": 1,
        "id": kata_id,
        "title": f"Kata {kata_id}",
        "topic": topic,
        "difficulty": 1,
        "order": 10,
        "requires": [],
        "devices": ["cpu", "cuda"],
        "timeout": 20,
        "file": "answer.py",
        "concepts": ["testing"],
        "description": "Make `double` return twice its input.\n",
        "hints": ["Multiply.", "By two."],
        "explanation": "Doubling is multiplying by two.\n",
        "references": [{"title": "Python", "url": "https://docs.python.org/3/"}],
    }
    for key, value in overrides.items():
        if value is MISSING:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def kata_yaml(kata_id: str, topic: str = "tensors", **overrides: Any) -> str:
    """``spec_dict`` as YAML text, keys in the order a human would write them."""
    return yaml.safe_dump(spec_dict(kata_id, topic, **overrides), sort_keys=False)


def make_kata(
    pack_dir: Path,
    id: str,
    topic: str = "tensors",
    *,
    folder: str | None = None,
    yaml_text: str | None = None,
    starter: str | None = STARTER,
    solution: str | None = SOLUTION,
    checks: str | None = CHECKS,
    wrong: dict[str, str] | None = None,
    **overrides: Any,
) -> Path:
    """Write ``<pack_dir>/<topic>/<folder or id>/`` and return that kata folder.

    ``overrides`` replace ``kata.yaml`` keys (YAML names, e.g. ``schema=2``; ``MISSING``
    drops a key); ``yaml_text`` replaces the whole file; a file argument of ``None`` leaves
    that file out; ``wrong`` maps file names in ``wrong/`` to their text.
    """
    kata_dir = pack_dir / topic / (folder or id)
    kata_dir.mkdir(parents=True, exist_ok=True)
    text = yaml_text if yaml_text is not None else kata_yaml(id, topic, **overrides)
    (kata_dir / "kata.yaml").write_text(text, encoding="utf-8")
    for name, content in (
        ("starter.py", starter),
        ("solution.py", solution),
        ("checks.py", checks),
    ):
        if content is not None:
            (kata_dir / name).write_text(content, encoding="utf-8")
    if wrong:
        (kata_dir / "wrong").mkdir(exist_ok=True)
        for name, content in wrong.items():
            (kata_dir / "wrong" / name).write_text(content, encoding="utf-8")
    return kata_dir


def make_pack(pack_dir: Path, topics: list[str] | None = None, **manifest: Any) -> Path:
    """Write ``<pack_dir>/pack.yaml`` (name defaults to the folder name) and return the pack."""
    pack_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"name": pack_dir.name, "version": "0.1.0", "author": "tests"}
    if topics is not None:
        data["topics"] = topics
    data.update(manifest)
    (pack_dir / "pack.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return pack_dir
