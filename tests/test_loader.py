"""Loading one kata folder: a valid kata loads, and every broken one says where and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.kata_factory import MISSING, kata_yaml, make_kata
from trainer.errors import KataLoadError
from trainer.kata.loader import LoadProblem, load_kata, yaml_loader


def problems_of(kata_dir: Path, pack: Path) -> list[LoadProblem]:
    with pytest.raises(KataLoadError) as caught:
        load_kata(kata_dir, pack)
    assert caught.value.problems, "a KataLoadError must carry at least one problem"
    return caught.value.problems


def line_of(text: str, start: str) -> int:
    """1-based line of the first line that starts with ``start``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def only(problems: list[LoadProblem], field: str | None) -> LoadProblem:
    matching = [p for p in problems if p.field == field]
    assert len(matching) == 1, problems
    return matching[0]


def test_valid_kata_loads(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "double-it", topic="tensors", order=3, difficulty=2)
    kata = load_kata(kata_dir, tmp_path)
    assert kata.id == "double-it"
    assert kata.topic == "tensors"
    assert kata.spec.order == 3
    assert kata.spec.hints == ("Multiply.", "By two.")
    assert kata.root == kata_dir
    assert kata.pack == tmp_path
    assert kata.starter.read_text().startswith('"""Return')


def test_wrong_variants_are_optional_and_listed(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", wrong={"plus_one.py": "def double(x):\n    return x + 1\n"})
    assert [p.name for p in load_kata(kata_dir, tmp_path).wrong_variants] == ["plus_one.py"]


def test_uses_libyaml_when_available() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert yaml_loader() is yaml.CSafeLoader
    else:
        assert yaml_loader() is yaml.SafeLoader


def test_bad_yaml_reports_its_line(tmp_path: Path) -> None:
    text = "schema: 1\nid: k\n  title: indented by mistake\ntopic: tensors\n"
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    [problem] = problems_of(kata_dir, tmp_path)
    assert problem.path == kata_dir / "kata.yaml"
    assert problem.line == 3
    assert "invalid YAML" in problem.message


def test_unclosed_bracket_names_where_it_opened(tmp_path: Path) -> None:
    text = "schema: 1\nid: k\ntitle: [unclosed\ntopic: tensors\n"
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    [problem] = problems_of(kata_dir, tmp_path)
    assert problem.line == 4  # where the parser gave up
    assert "starts on line 3" in problem.message


def test_tab_indentation_is_a_yaml_error_with_line(tmp_path: Path) -> None:
    text = kata_yaml("k") + "hints:\n\t- tabbed\n"
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problems = problems_of(kata_dir, tmp_path)
    assert problems[0].line == len(text.splitlines())
    assert "invalid YAML" in problems[0].message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", yaml_text="- id: k\n- title: x\n")
    [problem] = problems_of(kata_dir, tmp_path)
    assert "mapping" in problem.message
    assert problem.line == 1


def test_empty_yaml(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", yaml_text="# nothing yet\n")
    [problem] = problems_of(kata_dir, tmp_path)
    assert "empty" in problem.message


def test_unknown_key_suggests_the_yaml_name_and_gives_its_line(tmp_path: Path) -> None:
    text = kata_yaml("k").replace("hints:", "hint:")
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problems = problems_of(kata_dir, tmp_path)
    unknown = only(problems, "hint")
    assert unknown.line == line_of(text, "hint:")
    assert "did you mean 'hints'?" in unknown.message
    # hints is required, so its absence is reported too
    assert "missing" in only(problems, "hints").message


def test_python_field_name_suggests_the_alias(tmp_path: Path) -> None:
    text = kata_yaml("k").replace("schema: 1", "schema_version: 1")
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    unknown = only(problems_of(kata_dir, tmp_path), "schema_version")
    assert "did you mean 'schema'?" in unknown.message
    assert unknown.line == 1


def test_unknown_key_without_a_close_match_lists_allowed_keys(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", references=[{"title": "t", "url": "https://x.org", "q": 1}])
    problem = only(problems_of(kata_dir, tmp_path), "references[0].q")
    assert "title, url" in problem.message


def test_wrong_type_points_at_that_field(tmp_path: Path) -> None:
    text = kata_yaml("k", difficulty="hard")
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "difficulty")
    assert problem.line == line_of(text, "difficulty:")
    assert "integer" in problem.message


def test_string_where_a_list_is_expected(tmp_path: Path) -> None:
    text = kata_yaml("k", hints="just one hint")
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "hints")
    assert problem.line == line_of(text, "hints:")
    assert "list" in problem.message


def test_nested_error_points_at_the_nested_line(tmp_path: Path) -> None:
    refs = [{"title": "ok", "url": "https://ok.org"}, {"title": "bad", "url": "not a url"}]
    text = kata_yaml("k", references=refs)
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "references[1].url")
    assert problem.line == line_of(text, "  url: not a url")


def test_bad_list_item_points_at_the_item(tmp_path: Path) -> None:
    text = kata_yaml("k", devices=["cpu", "tpu"])
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "devices[1]")
    assert problem.line == line_of(text, "- tpu")


def test_missing_field_points_at_the_mapping(tmp_path: Path) -> None:
    text = "# a comment first\n" + kata_yaml("k", title=MISSING)
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "title")
    assert problem.line == 2
    assert "missing" in problem.message


def test_newer_schema_says_to_upgrade(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", schema=2)
    problem = only(problems_of(kata_dir, tmp_path), "schema")
    assert "newer" in problem.message
    assert problem.line == 1


def test_id_must_match_folder(tmp_path: Path) -> None:
    text = kata_yaml("other-name")
    kata_dir = make_kata(tmp_path, "other-name", folder="folder-name", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "id")
    assert "folder-name" in problem.message
    assert "other-name" in problem.message
    assert problem.line == line_of(text, "id:")


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    text = kata_yaml("k") + "order: 99\n"
    kata_dir = make_kata(tmp_path, "k", yaml_text=text)
    problem = only(problems_of(kata_dir, tmp_path), "order")
    assert problem.line == len(text.splitlines())
    assert f"line {line_of(text, 'order:')}" in problem.message


@pytest.mark.parametrize("name", ["starter.py", "solution.py", "checks.py"])
def test_missing_required_file_is_named(tmp_path: Path, name: str) -> None:
    files = {"starter": "x = 1\n", "solution": "x = 2\n", "checks": "def test(): pass\n"}
    files[name.removesuffix(".py")] = None  # type: ignore[assignment]
    kata_dir = make_kata(tmp_path, "k", **files)  # type: ignore[arg-type]
    [problem] = problems_of(kata_dir, tmp_path)
    assert problem.path == kata_dir / name
    assert "missing" in problem.message


def test_blank_required_file_is_a_problem(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", checks="\n   \n")
    [problem] = problems_of(kata_dir, tmp_path)
    assert problem.path == kata_dir / "checks.py"
    assert "empty" in problem.message


def test_missing_kata_yaml(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k")
    (kata_dir / "kata.yaml").unlink()
    [problem] = problems_of(kata_dir, tmp_path)
    assert problem.path == kata_dir / "kata.yaml"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    kata_dir = make_kata(
        tmp_path, "k", folder="f", hintz=["x"], difficulty=9, title=MISSING, solution=None
    )
    problems = problems_of(kata_dir, tmp_path)
    fields = {p.field for p in problems}
    assert {"hintz", "difficulty", "title", "id"} <= fields
    assert any(p.path == kata_dir / "solution.py" for p in problems)


def test_problem_reads_like_a_compiler_message(tmp_path: Path) -> None:
    problem = LoadProblem(tmp_path / "kata.yaml", 12, "hints", "needs at least 1 item(s)")
    assert str(problem) == f"{tmp_path / 'kata.yaml'}:12: field 'hints': needs at least 1 item(s)"
    assert str(LoadProblem(tmp_path / "x.py", None, None, "is empty")).endswith("x.py: is empty")


def test_problem_paths_are_shown_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problem = LoadProblem(tmp_path / "katas" / "t" / "k" / "kata.yaml", 3, None, "bad")
    assert str(problem) == "katas/t/k/kata.yaml:3: bad"


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "k", difficulty=0, checks=None)
    with pytest.raises(KataLoadError) as caught:
        load_kata(kata_dir, tmp_path)
    text = str(caught.value)
    assert "difficulty" in text
    assert "checks.py" in text


def test_core_modules_import_neither_torch_nor_textual() -> None:
    code = (
        "import sys, trainer.kata.loader, trainer.kata.catalog\n"
        "import trainer.learner.progress, trainer.learner.workspace\n"
        "bad = sorted(m for m in ('torch', 'textual') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", ["copy.py", "torch.py", "conftest.py"])
def test_a_learner_file_may_not_shadow_a_module(tmp_path: Path, name: str) -> None:
    root = make_kata(tmp_path / "pack", "shadow", file=name)
    with pytest.raises(KataLoadError) as exc:
        load_kata(root, tmp_path / "pack")
    assert any("would shadow the module" in str(p) for p in exc.value.problems)
