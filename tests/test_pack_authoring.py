"""``katas new`` for kata authors: a fresh scaffold validates, bad or taken ids are refused."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from tests.kata_factory import make_kata, make_pack
from trainer.cli.app import main
from trainer.cli.author import _katas_for_validation
from trainer.errors import ScaffoldError
from trainer.kata.scaffold import scaffold_kata


def katas(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_a_fresh_scaffold_validates_as_an_external_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = katas(capsys, "new", "clip-grads", "--pack", "my-pack", "--topic", "training")
    assert code == 0, out
    kata = tmp_path / "my-pack" / "training" / "clip-grads"
    names = sorted(str(p.relative_to(kata)) for p in kata.rglob("*") if p.is_file())
    assert names == ["checks.py", "kata.yaml", "solution.py", "starter.py", "wrong/detached.py"]
    assert "katas validate" in out
    code, out, _ = katas(capsys, "validate", "my-pack", "--jobs", "2")
    assert code == 0, out
    assert "clip-grads solution: all 3 checks passed" in out
    assert "clip-grads starter: rejected by" in out
    assert "clip-grads wrong/detached.py: rejected by 'gradients flow back to x'" in out
    assert "1 kata valid, 0 broken" in out


def test_validate_takes_a_single_kata_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scaffold_kata(tmp_path / "pack", "one-kata", "basics")
    args = argparse.Namespace(paths=[Path("pack/basics/one-kata")])
    found, problems = _katas_for_validation(args)
    assert problems == []
    assert [k.id for k in found] == ["one-kata"]


def test_the_pack_manifest_is_created_once_and_never_rewritten(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    first = scaffold_kata(pack, "first-kata", "basics")
    assert first.pack_manifest_created
    manifest = yaml.safe_load((pack / "pack.yaml").read_text())
    assert manifest["name"] == "pack" and manifest["topics"] == ["basics"]
    assert set(manifest) == {"name", "version", "author", "topics"}
    before = (pack / "pack.yaml").read_text()

    second = scaffold_kata(pack, "second-kata", "basics")
    assert not second.pack_manifest_created and second.notes == []
    assert second.kata.spec.order == first.kata.spec.order + 10

    other = scaffold_kata(pack, "third-kata", "advanced")
    assert (pack / "pack.yaml").read_text() == before
    assert len(other.notes) == 1 and "add 'advanced' to topics" in other.notes[0]


@pytest.mark.parametrize(
    ("kata_id", "suggestion"),
    [
        ("Clip_Grads", "clip-grads"),
        ("trailing-", "trailing"),
        ("two--dashes", "two-dashes"),
        ("", ""),
    ],
)
def test_a_bad_id_is_refused_with_a_suggestion_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kata_id: str, suggestion: str
) -> None:
    code, _, err = katas(capsys, "new", kata_id, "--pack", str(tmp_path / "p"), "--topic", "t")
    assert code == 2
    assert "is not a valid kata id: use kebab-case" in err
    assert f"e.g. '{suggestion or 'my-kata'}'" in err
    assert not (tmp_path / "p").exists()


def test_a_bad_topic_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="'My Topic' is not a valid topic"):
        scaffold_kata(tmp_path / "p", "ok-id", "My Topic")


def test_an_id_taken_in_the_pack_or_by_the_builtin_pack_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = make_pack(tmp_path / "pack", topics=["basics"])
    make_kata(pack, "taken", "basics")
    with pytest.raises(ScaffoldError, match=r"kata id 'taken' is taken: .*kata\.yaml"):
        scaffold_kata(pack, "taken", "other-topic")
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold_kata(pack, "taken", "basics")
    code, _, err = katas(capsys, "new", "param-not-tensor", "--pack", str(pack), "--topic", "b")
    assert code == 2 and "is taken by another pack you use" in err


def test_a_file_name_never_shadows_a_module(tmp_path: Path) -> None:
    assert scaffold_kata(tmp_path / "p", "json", "basics").kata.spec.file == "my_json.py"
    assert scaffold_kata(tmp_path / "p", "2d-conv", "basics").kata.spec.file == "my_2d_conv.py"
    assert scaffold_kata(tmp_path / "p", "clip-grads", "basics").kata.spec.file == "clip_grads.py"


def test_a_pack_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ScaffoldError, match="is a file, not a pack folder"):
        scaffold_kata(tmp_path / "file", "ok-id", "basics")
