"""trainer.errors: one family, every class in it, its tree drawn truly, caught once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import trainer.errors as errors
from trainer.cli.app import main

PACKAGE = Path(errors.__file__).resolve().parent


def _family() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.KatasError)
    }


def test_no_exception_class_lives_outside_the_family() -> None:
    """An exception class defined elsewhere would need its own ``except`` in every front end."""
    strays = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" or "_katas" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(re.search(r"(Exception|Error)$", b) for b in bases):
                    strays.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert strays == []


def test_the_docstring_tree_is_the_class_tree() -> None:
    """The tree drawn in the module docstring names each class under its real parent."""
    doc = errors.__doc__ or ""
    tree = doc[doc.index("```") + 3 : doc.rindex("```")].strip("\n").splitlines()
    depth_of: dict[str, int] = {}
    parents: dict[str, str] = {}
    stack: list[str] = []
    for line in tree:
        match = re.match(r"^([│ ├└─]*)(\w+)", line)
        assert match, line
        depth = len(match.group(1)) // 4
        name = match.group(2)
        del stack[depth:]
        if stack:
            parents[name] = stack[-1]
        stack.append(name)
        depth_of[name] = depth
    family = _family()
    named = {n for n in depth_of if not n.startswith("_")}
    assert named == {n for n in family if not n.startswith("_")}
    for name, parent in parents.items():
        cls = family[name]
        assert issubclass(cls, family[parent]), f"{name} is drawn under {parent}"
        direct = [b.__name__ for b in cls.__mro__[1:] if b.__name__ in named]
        assert direct[0] == parent, f"{name}'s nearest drawn base is {direct[0]}, not {parent}"


@pytest.mark.parametrize(
    "error", [errors.BatchBusy("another katas grade writes here"), errors.ProgressError("locked")]
)
def test_any_usage_error_from_any_depth_is_one_line_and_exit_2(
    error: errors.UsageError,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> int:
        raise error

    monkeypatch.setattr("trainer.cli.study.cmd_list", fail)
    monkeypatch.setenv("KATAS_WORKSPACE", str(tmp_path / "ws"))
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {error}"


def test_an_unknown_kata_names_the_closest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KATAS_WORKSPACE", str(tmp_path / "ws"))
    assert main(["show", "param-not-tenser"]) == 2
    err = capsys.readouterr().err
    assert "no kata with id 'param-not-tenser'; did you mean 'param-not-tensor'?" in err
    assert isinstance(errors.UnknownKataError("x"), KeyError)  # catalog lookups stay KeyErrors
