"""The house rules of DESIGN.md, enforced: core never imports textual, the UI side never imports
torch, and learner code only ever runs in a child process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.grading import grade
from trainer.loader import load_kata
from trainer.verdict import Status

PACKAGE = Path(__file__).resolve().parent.parent / "trainer"
CHILD_ONLY = {
    "trainer.runner",
    "trainer.plugin",
    "trainer.checks",
    "trainer.worker",
    "trainer.sandbox",
}
"""Modules that run only inside a grading child; they may import torch and pytest."""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "_katas" in rel.parts:
            continue
        name = ".".join(rel.parts).removesuffix(".__init__")
        names.append(name)
    return names


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_module_mentions_textual() -> None:
    offenders = [
        str(path)
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts and "textual" in _imported_roots(path)
    ]
    assert offenders == []


def test_importing_any_ui_side_module_loads_neither_torch_nor_textual() -> None:
    modules = [
        m
        for m in _modules()
        if m not in CHILD_ONLY and m != "trainer.__main__" and not m.startswith("trainer.tui")
    ]
    assert "trainer.cli" in modules and "trainer.grading" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'textual', 'pytest'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_child_only_modules_are_not_imported_by_the_core() -> None:
    for name in _modules():
        if name in CHILD_ONLY:
            continue
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in CHILD_ONLY:
                pytest.fail(f"{name} imports {node.module}, which must only run in a child")


def test_learner_code_runs_in_another_process(tmp_path: Path) -> None:
    checks = (
        "def test_ran(learner):\n"
        '    """the learner module was imported"""\n'
        "    assert learner.PID > 0, 'no pid'\n"
    )
    solution = "import os\nPID = os.getpid()\nprint('learner pid', os.getpid(), os.getppid())\n"
    root = make_kata(tmp_path / "pack", "where", checks=checks, solution=solution)
    verdict = grade(load_kata(root, tmp_path / "pack"), root / "solution.py")
    assert verdict.status is Status.PASSED
    pid = int(verdict.output.split("learner pid", 1)[1].split()[0])
    assert pid != os.getpid()
    assert "where" not in sys.modules and "learner" not in sys.modules
