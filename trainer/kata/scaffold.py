"""``katas new``: scaffold a kata that already works, so the author edits instead of guessing.

The new kata is a small complete example (scale a tensor without touching the input): its
solution passes, its starter makes the classic in-place mistake and fails, and
``wrong/detached.py`` fails the gradient check. ``katas validate`` passes on it straight away,
and every file says what to replace. A working example teaches the format better than
placeholders that fail validation, and keeps the author's loop (edit, validate) green-to-green.

The pack's ``pack.yaml`` is written when the folder has none; an existing one is never
rewritten (it may hold the author's comments): when the topic is missing from its ``topics``
the result carries a note saying so.
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from trainer.errors import KataLoadError, ScaffoldError
from trainer.kata.catalog import Catalog
from trainer.kata.loader import load_kata
from trainer.kata.model import KEBAB_CASE, Kata

__all__ = ["Scaffolded", "scaffold_kata", "suggest_id"]

_GRADER_MODULES = frozenset(
    {"torch", "numpy", "pytest", "_pytest", "pluggy", "trainer", "yaml", "pydantic", "conftest"}
)


@dataclass(frozen=True)
class Scaffolded:
    """What ``scaffold_kata`` wrote."""

    kata: Kata
    files: list[Path]
    pack_manifest_created: bool
    notes: list[str] = field(default_factory=list)
    """Things the author must do by hand (e.g. list the topic in an existing pack.yaml)."""


def suggest_id(text: str) -> str:
    """A kebab-case id close to ``text`` (``My_Kata`` -> ``my-kata``), for error messages."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-kata"


def _check_name(value: str, what: str) -> None:
    if not KEBAB_CASE.match(value):
        raise ScaffoldError(
            f"{value!r} is not a valid {what}: use kebab-case (lowercase letters, digits and "
            f"single '-' between them), e.g. {suggest_id(value)!r}"
        )


def _file_name(kata_id: str) -> str:
    """The learner's file: the id as a module name, unless that would shadow a module."""
    stem = kata_id.replace("-", "_")
    if stem[0].isdigit() or stem in sys.stdlib_module_names or stem in _GRADER_MODULES:
        stem = f"my_{stem}"
    return f"{stem}.py"


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "unknown"


KATA_YAML = """\
# The learner reads everything in this file. The example below is a complete kata (it passes
# `katas validate`); replace its text with your kata's. Every key: katas/README.md (kata.yaml).
schema: 1
id: {id}  # kebab-case, the folder's name, unique across packs
title: Scale a tensor without changing the input  # the task in the learner's words
topic: {topic}  # kebab-case; pack.yaml's topics list orders topics
difficulty: 1  # 1 (a nudge) to 5 (a puzzle)
order: {order}  # position inside the topic; leave gaps (10, 20, ...)
requires: []  # ids of katas to do first
devices: [cpu, cuda]  # [cuda] for a GPU-only kata
timeout: 20  # seconds for the whole grading run
file: {file}  # the file the learner edits (starter.py is copied to it)
concepts: [in-place operations]
description: |
  A small realistic scene, what to change, and the interface the checks call.

  `scale(x, factor)` in `{file}` should return `x * factor`, but the caller's `x` comes back
  changed too, and a model that uses it cannot be trained.

  Fix `scale(x: torch.Tensor, factor: float) -> torch.Tensor` so that it returns a new tensor,
  leaves `x` unchanged and lets gradients flow back to `x`.
hints:
  - Print `x` before and after calling `scale(x, 2.0)`.
  - A method whose name ends in `_` (`mul_`, `add_`) changes its tensor in place.
  - Use the out-of-place form, `x * factor` or `x.mul(factor)`.
explanation: |
  Shown after solving: why the mistake happens, and the rule to remember.

  `x.mul_(factor)` writes into `x` itself, so every other reference to `x` sees the change, and
  autograd refuses in-place writes to a leaf that requires grad. The rule: a trailing underscore
  means in place; without it a new tensor is returned.
references:
  - title: torch.Tensor.mul
    url: https://pytorch.org/docs/stable/generated/torch.Tensor.mul.html
"""

STARTER = '''\
"""Scale a tensor without changing the input.

starter.py is what the learner gets: it imports and runs, but it is wrong in exactly the way
the kata is about. Replace this example with your kata's starter and keep a TODO where the
learner works.
"""

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Return x * factor as a new tensor."""
    # TODO: this changes the caller's x too.
    return x.mul_(factor)
'''

SOLUTION = '''\
"""Scale a tensor without changing the input.

solution.py is the reference: it must pass every check, and learners see it only when they
ask for it. Replace this example with your kata's solution.
"""

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Return x * factor as a new tensor."""
    return x * factor
'''

CHECKS = '''\
"""The hidden checks (pytest), run in the judge: a process apart from the learner's code.

`learner` is a handle on the learner's file, imported afresh in the learner process for each
check: calls and attributes run there, values come back as plain copies. `remote` builds things
in the learner process (`remote.tensor(t)`: a tensor the learner's code can change or take the
gradient of); `device` is the torch.device being graded on.

The first docstring line of each check is its name for the learner; every failure message is
written for them. Test behaviour against an oracle, never the text of the code, so that any
correct solution passes. Rules, what runs where, and the trainer.checks helpers:
katas/README.md (Checks).
"""

import torch

from trainer.checks import assert_close, plain


def test_values(learner, device):
    """scale(x, factor) returns x * factor"""
    torch.manual_seed(0)
    for shape, factor in [((1,), 2.0), ((3, 5), -0.5)]:
        x = (torch.randn(shape) * 3 + 0.5).to(device)
        got = learner.scale(x, factor)
        assert_close(got, x * factor, what=f"scale(x, {factor})", inputs=f"x of shape {shape}")


def test_input_unchanged(learner, remote, device):
    """scale leaves x unchanged"""
    torch.manual_seed(1)
    before = torch.randn(4, 3).to(device)
    x = remote.tensor(before)  # the learner's code gets, and may change, this one
    learner.scale(x, 2.0)
    assert_close(
        plain(x, "x"),
        before,
        what="x after scale(x, 2.0)",
        hint="An in-place method such as mul_ writes into the caller's tensor",
    )


def test_gradient_flows(learner, remote, device):
    """gradients flow back to x"""
    torch.manual_seed(2)
    x = remote.tensor(torch.randn(2, 3, device=device).requires_grad_())
    try:
        out = learner.scale(x, 3.0)
        out.sum().backward()
    except RuntimeError as exc:
        raise AssertionError(
            f"scale(x, 3.0).sum().backward() raised: {exc}. An in-place write to a leaf that "
            "requires grad is not allowed"
        ) from None
    grad = x.grad
    assert grad is not None, (
        "x.grad is None after backward: the result is cut off from x (detach or a new tensor)"
    )
    expected = torch.full((2, 3), 3.0, device=device)
    assert_close(grad, expected, what="x.grad after scale(x, 3.0).sum()")
'''

WRONG = '''\
"""WRONG: the result is detached, so it is a new tensor but no gradient reaches x.

Every file in wrong/ is a mistake learners really make; each must import cleanly and fail at
least one check (`katas validate` proves it). Caught by: gradients flow back to x.
"""

import torch


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Return x * factor as a new tensor."""
    return (x * factor).detach()
'''


def _next_order(pack: Path, topic: str) -> int:
    """10 past the highest ``order`` in the topic's folder, so the new kata comes last."""
    orders = [0]
    for kata_yaml in (pack / topic).glob("*/kata.yaml"):
        try:
            data = yaml.safe_load(kata_yaml.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("order"), int):
            orders.append(data["order"])
    return max(orders) + 10


def _pack_manifest(pack: Path, topic: str) -> tuple[bool, list[str]]:
    """Write ``pack.yaml`` if missing; otherwise say whether the topic must be listed in it."""
    manifest = pack / "pack.yaml"
    if not manifest.exists():
        text = yaml.safe_dump(
            {"name": pack.name, "version": "0.1.0", "author": _default_author(), "topics": [topic]},
            sort_keys=False,
        )
        manifest.write_text(text, encoding="utf-8")
        return True, []
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False, [f"{manifest} does not parse; `katas validate` will say where"]
    topics = data.get("topics") if isinstance(data, dict) else None
    if isinstance(topics, list) and topics and topic not in topics:
        return False, [
            f"add {topic!r} to topics in {manifest} to place it; unlisted topics come after "
            "the listed ones, alphabetically"
        ]
    return False, []


def scaffold_kata(pack: Path, kata_id: str, topic: str, taken: Collection[str] = ()) -> Scaffolded:
    """Write ``<pack>/<topic>/<kata_id>/`` with every file; refuse a bad or taken id.

    ``taken`` is the ids of the other packs the author uses (the built-in one and
    ``KATAS_PATH``): ids are unique across packs. The pack itself is searched here.
    """
    _check_name(kata_id, "kata id")
    _check_name(topic, "topic")
    pack = pack.expanduser().resolve()
    if pack.exists() and not pack.is_dir():
        raise ScaffoldError(f"{pack} is a file, not a pack folder")
    kata_dir = pack / topic / kata_id
    if kata_dir.exists():
        raise ScaffoldError(f"{kata_dir} already exists; pick another id or remove that folder")
    own = Catalog.load([pack]) if pack.is_dir() else Catalog(())
    if kata_id in own:
        where = own.get(kata_id).root / "kata.yaml"
        raise ScaffoldError(f"kata id {kata_id!r} is taken: {where} already defines it")
    if kata_id in taken:
        raise ScaffoldError(
            f"kata id {kata_id!r} is taken by another pack you use (ids are unique across "
            "packs); pick another"
        )
    try:
        (kata_dir / "wrong").mkdir(parents=True)
    except OSError as exc:
        raise ScaffoldError(f"cannot create {kata_dir}: {exc.strerror or exc}") from None
    created, notes = _pack_manifest(pack, topic)
    file = _file_name(kata_id)
    texts = {
        "kata.yaml": KATA_YAML.format(
            id=kata_id, topic=topic, order=_next_order(pack, topic), file=file
        ),
        "starter.py": STARTER,
        "solution.py": SOLUTION,
        "checks.py": CHECKS,
        "wrong/detached.py": WRONG,
    }
    files = []
    for name, text in texts.items():
        path = kata_dir / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    try:
        kata = load_kata(kata_dir, pack)
    except KataLoadError as exc:  # a bug in the templates, never the author's doing
        raise ScaffoldError(f"the scaffold itself does not load: {exc}") from None
    return Scaffolded(kata, files, created, notes)
