"""The house rules (README "Develop"), enforced on the source: each layer imports only what it
may, front ends reach the practice rules only through ``trainer.learner.practice``, and
learner code only ever runs in a child process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.kata_factory import make_kata
from trainer.grading.grader import grade
from trainer.grading.verdict import Status
from trainer.kata.loader import load_kata

PACKAGE = Path(__file__).resolve().parent.parent / "trainer"
FRONT_ENDS = ("trainer.cli", "trainer.tui")
CHILD_SIDE = ("trainer.grading.judge", "trainer.grading.learner", "trainer.checks")
"""Modules that run only in the processes of a grading (the judge, the learner process); they
may import torch and pytest."""
TOP = ("trainer", "trainer.__main__", "trainer.entry")
"""The entry point: above the front ends, it picks one."""


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "_katas" in rel.parts:
            continue
        found[".".join(rel.parts).removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """Every absolute import in ``path``: (line, module, names imported from it)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = tuple(alias.name for alias in node.names)
            yield node.lineno, node.module, names
            for name in names:  # ``from trainer.grading import child`` imports a module too
                yield node.lineno, f"{node.module}.{name}", ()


def _offenders(owners: tuple[str, ...] | None, banned: tuple[str, ...]) -> list[str]:
    """``module:line`` for each module (among ``owners``; None: all but the
    banned ones themselves) importing a module under ``banned``."""
    found = []
    for name, path in MODULES.items():
        if owners is not None and not _under(name, owners):
            continue
        if owners is None and _under(name, banned):
            continue
        for line, target, _names in _imports(path):
            if _under(target, banned):
                found.append(f"{name}:{line}")
    return sorted(set(found))


def test_the_layers_are_where_the_readme_says() -> None:
    packages = {n for n, p in MODULES.items() if p.name == "__init__.py"}
    assert {
        "trainer.kata",
        "trainer.grading",
        "trainer.grading.judge",
        "trainer.grading.learner",
        "trainer.learner",
        "trainer.coursework",
        "trainer.batch",
        "trainer.cli",
        "trainer.tui",
    } <= packages
    top_modules = {n for n in MODULES if n.count(".") == 1 and n not in packages}
    assert top_modules == {
        "trainer.__main__",
        "trainer.atomic",
        "trainer.checks",
        "trainer.entry",
        "trainer.errors",
        "trainer.marks",
    }


def test_only_the_tui_imports_textual() -> None:
    offenders = [
        f"{name}:{line}"
        for name, path in MODULES.items()
        if not _under(name, ("trainer.tui",))
        for line, target, _ in _imports(path)
        if target.split(".")[0] == "textual"
    ]
    assert offenders == []


def test_nothing_below_the_front_ends_imports_them() -> None:
    below = tuple(n for n in MODULES if not _under(n, FRONT_ENDS) and n not in TOP)
    assert _offenders(below, FRONT_ENDS) == []


def test_one_front_end_never_imports_the_other() -> None:
    assert _offenders(("trainer.tui",), ("trainer.cli",)) == []
    # The one exception: ``katas`` alone in a terminal starts the TUI (trainer.cli.study.start).
    starts = _offenders(("trainer.cli",), ("trainer.tui",))
    assert len(starts) == 1 and starts[0].startswith("trainer.cli.study:")


def test_the_child_side_is_imported_only_by_the_child_side() -> None:
    assert _offenders(None, CHILD_SIDE) == []


RULE_METHODS = {
    "record_attempt": "grading is recorded by Practice.attempt",
    "next_kata": "the catalog's order is applied by Practice.next_kata",
    "start_review": "reviews are opened by Practice.open_review",
    "due": "what is due comes from Practice.review_queue / next_review / reviews_due",
    "is_due": "what is due comes from Practice.review_queue / next_review / reviews_due",
    "is_late": "lateness comes from Practice.solved_late and the outcome's notes",
    "status_of": "solved or not comes from Practice.is_solved / solved",
    "reveal_hint": "hints are revealed (or refused) by Practice.reveal_hint",
    "hint_refusal": "hints are revealed (or refused) by Practice.reveal_hint",
    "record_solution": "the solution is revealed (or refused) by Practice.reveal_solution",
    "solution_refusal": "the solution is refused by Practice.check_solution_allowed",
    "record_time": "time with a kata open is recorded by Practice.visit",
}
"""Methods of the store, the catalog and the rules that front ends call only as ``practice.X``."""
RULE_IMPORTS = {
    "missing_devices": "what this machine can grade is Practice.runnable / needs",
    "present_devices": "the devices offered are Practice.devices",
    "sha256_hex": "the graded code's hash is recorded by Practice.attempt",
}


def test_front_ends_reach_the_practice_rules_only_through_practice() -> None:
    """A front end that records a grading, orders the katas, decides what is runnable here or
    what is due by itself holds a copy of a rule: the copies drifted apart before."""
    front = {n: p for n, p in MODULES.items() if _under(n, FRONT_ENDS)}
    assert len(front) > 10
    assert _rule_copies(front) == []


def _rule_copies(modules: dict[str, Path]) -> list[str]:
    offenders = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in RULE_METHODS
            ):
                owner = node.func.value
                named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if named != "practice":
                    method = node.func.attr
                    offenders.append(f"{name}:{node.lineno} .{method}(): {RULE_METHODS[method]}")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in RULE_IMPORTS:
                        offenders.append(f"{name}:{node.lineno} {RULE_IMPORTS[alias.name]}")
    return offenders


def test_the_trainers_own_process_imports_neither_torch_nor_textual_nor_pytest() -> None:
    """Every module outside the child side and the TUI, imported at once, loads none of them."""
    modules = [m for m in MODULES if not _under(m, (*CHILD_SIDE, "trainer.tui")) and m not in TOP]
    assert "trainer.cli.app" in modules and "trainer.learner.practice" in modules
    assert _loaded_by(modules, ("torch", "textual", "pytest")) == []


def test_the_tui_process_never_imports_torch() -> None:
    """The TUI's modules (every screen and widget) load neither torch nor pytest."""
    modules = [m for m in MODULES if _under(m, ("trainer.tui",))] + ["trainer.entry"]
    assert _loaded_by(modules, ("torch", "pytest")) == []


def _loaded_by(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_the_rules_checks_catch_a_front_end_that_copies_a_rule(tmp_path: Path) -> None:
    """The AST check above is not vacuous: it flags the drifted copies it was written for."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from trainer.grading.devices import missing_devices\n"
        "def f(app, kata):\n"
        "    app.catalog.next_kata(set(), runnable=lambda k: True)\n"
        "    app.workspace.progress.record_attempt(kata.id, None, None)\n",
        encoding="utf-8",
    )
    found = "\n".join(_rule_copies({"trainer.tui.bad": bad}))
    assert "Practice.next_kata" in found and "record_attempt" in found
    assert "Practice.runnable" in found


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


JUDGE_SIDE = ("trainer.grading.judge", "trainer.checks")
LEARNER_SIDE = ("trainer.grading.learner",)


def test_the_learner_side_never_imports_the_judge_side_or_pytest() -> None:
    """The learner process serves the learner's objects; the checks, the plugin and pytest
    belong to the judge (the learner process is forked before any check is loaded)."""
    offenders = _offenders(LEARNER_SIDE, (*JUDGE_SIDE, "pytest", "_pytest"))
    assert offenders == []


def _decoders(modules: dict[str, Path]) -> list[str]:
    """Places in ``modules`` that unpickle, unmarshal or evaluate: ``module:line what``."""
    banned_modules = ("pickle", "cPickle", "marshal", "dill", "shelve", "copyreg")
    offenders = []
    for name, path in modules.items():
        for line, target, _ in _imports(path):
            if _under(target, banned_modules):
                offenders.append(f"{name}:{line} imports {target}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            builtin_eval = isinstance(func, ast.Name) and called in {"eval", "exec"}
            if builtin_eval or (called in {"load", "loads"} and owner != "json"):
                offenders.append(f"{name}:{node.lineno} {ast.unparse(func)}()")
    return offenders


def test_the_judge_side_never_unpickles_or_evaluates_what_it_receives() -> None:
    """No pickle, marshal, torch.load, eval or exec anywhere on the judge side: what comes from
    the learner process is decoded by trainer.grading.wire alone, which builds plain data."""
    judge = {n: p for n, p in MODULES.items() if _under(n, (*JUDGE_SIDE, "trainer.grading.wire"))}
    assert "trainer.grading.judge.link" in judge
    assert _decoders(judge) == []


def test_the_decoder_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import pickle\nimport torch\n\n"
        "def f(data, path):\n"
        "    torch.load(path)\n    eval(data)\n    pickle.loads(data)\n",
        encoding="utf-8",
    )
    found = "\n".join(_decoders({"planted": planted}))
    for what in ("imports pickle", "torch.load()", "eval()", "pickle.loads()"):
        assert what in found


def test_the_judge_never_runs_a_line_of_the_learners_file(tmp_path: Path) -> None:
    """A learner file that marks whatever interpreter imports it, and checks that look for the
    mark in the interpreter they run in: the judge's. A pass means the learner's code and the
    checks ran in different processes, and the checks saw nothing of it."""
    checks = (
        "import sys\n"
        "import builtins\n\n\n"
        "def test_apart(learner):\n"
        '    """the checks run where the learner\'s code never did"""\n'
        "    assert learner.PID > 0\n"
        "    assert not hasattr(builtins, 'LEARNER_WAS_HERE'), 'learner code ran in the judge'\n"
        "    assert 'answer' not in sys.modules, 'the learner module is in the judge'\n"
        "    assert learner.judge_modules() == [], 'the learner process can see the checks'\n"
    )
    solution = (
        "import builtins, os, sys\n"
        "builtins.LEARNER_WAS_HERE = True\n"
        "PID = os.getpid()\n\n\n"
        "def judge_modules():\n"
        "    return sorted(m for m in sys.modules if 'checks' in m and 'trainer' not in m)\n"
    )
    root = make_kata(tmp_path / "pack", "apart", checks=checks, solution=solution)
    verdict = grade(load_kata(root, tmp_path / "pack"), root / "solution.py")
    assert verdict.status is Status.PASSED, (verdict.summary, verdict.checks)
