"""The learner's workspace: found or created where documented, and their work never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trainer.learner.workspace
from tests.kata_factory import make_kata
from trainer.errors import WorkspaceError
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata
from trainer.learner.progress import ProgressStore
from trainer.learner.workspace import WORKSPACE_VERSION, Workspace, default_root


@pytest.fixture
def kata(tmp_path: Path) -> Kata:
    pack = tmp_path / "pack"
    return load_kata(make_kata(pack, "double-it", topic="tensors", file="double.py"), pack)


def test_init_creates_the_marker_and_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    workspace = Workspace.init(root)
    assert workspace.root == root.resolve()
    meta = json.loads((root / ".katas" / "workspace.json").read_text())
    assert meta["version"] == WORKSPACE_VERSION
    (root / "mine.py").write_text("keep me")
    assert Workspace.init(root) == workspace
    assert (root / "mine.py").read_text() == "keep me"
    assert json.loads((root / ".katas" / "workspace.json").read_text()) == meta


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(WorkspaceError, match="not a folder"):
        Workspace.init(tmp_path / "file")


def test_init_refuses_a_newer_workspace(tmp_path: Path) -> None:
    (tmp_path / ".katas").mkdir()
    (tmp_path / ".katas" / "workspace.json").write_text('{"version": 99}')
    with pytest.raises(WorkspaceError, match="newer"):
        Workspace.init(tmp_path)


def test_init_repairs_an_unreadable_marker(tmp_path: Path) -> None:
    (tmp_path / ".katas").mkdir()
    (tmp_path / ".katas" / "workspace.json").write_text("{garbage")
    Workspace.init(tmp_path)
    assert json.loads((tmp_path / ".katas" / "workspace.json").read_text())["version"] == 1


def test_find_walks_up_from_a_subfolder(tmp_path: Path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    deep = tmp_path / "ws" / "tensors" / "double-it"
    deep.mkdir(parents=True)
    assert Workspace.find(deep, environ={}) == workspace


def test_find_ignores_a_bare_katas_folder(tmp_path: Path) -> None:
    (tmp_path / "not-ws" / ".katas").mkdir(parents=True)
    assert Workspace.find(tmp_path / "not-ws", environ={}) is None


def test_find_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace.init(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert Workspace.find(environ={}) == workspace


def test_env_override_wins_and_is_created(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "walked")
    target = tmp_path / "from-env" / "nested"
    found = Workspace.find(tmp_path / "walked", environ={"KATAS_WORKSPACE": str(target)})
    assert found is not None
    assert found.root == target.resolve()
    assert (target / ".katas" / "workspace.json").is_file()


def test_env_override_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(WorkspaceError, match="KATAS_WORKSPACE"):
        Workspace.find(tmp_path, environ={"KATAS_WORKSPACE": str(tmp_path / "a-file")})


def test_default_root_is_pytorch_katas_in_home(tmp_path: Path) -> None:
    assert default_root({"HOME": str(tmp_path)}) == tmp_path / "pytorch-katas"


def test_locate_creates_the_default_once(tmp_path: Path, isolated_home: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {"HOME": str(isolated_home)}
    workspace, created = Workspace.locate(environ, cwd=elsewhere)
    assert created
    assert workspace.root == (isolated_home / "pytorch-katas").resolve()
    assert Workspace.locate(environ, cwd=elsewhere) == (workspace, False)


def test_locate_prefers_a_workspace_above_cwd(tmp_path: Path, isolated_home: Path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    found, created = Workspace.locate({"HOME": str(isolated_home)}, cwd=tmp_path / "ws")
    assert (found, created) == (workspace, False)
    assert not (isolated_home / "pytorch-katas").exists()


def test_locate_reports_an_env_workspace_it_created(tmp_path: Path) -> None:
    environ = {"KATAS_WORKSPACE": str(tmp_path / "env-ws")}
    assert Workspace.locate(environ, cwd=tmp_path)[1] is True
    assert Workspace.locate(environ, cwd=tmp_path)[1] is False


def test_file_for_is_topic_id_file(tmp_path: Path, kata: Kata) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    assert workspace.file_for(kata) == workspace.root / "tensors" / "double-it" / "double.py"


def test_open_writes_the_starter_once_and_never_overwrites(tmp_path: Path, kata: Kata) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    path = workspace.open(kata)
    assert path == workspace.file_for(kata)
    assert path.read_bytes() == kata.starter.read_bytes()

    path.write_text("def double(x):\n    return x + x  # my work\n")
    assert workspace.open(kata) == path
    assert "my work" in path.read_text()


def test_reset_backs_up_then_restores_the_starter(tmp_path: Path, kata: Kata) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    path = workspace.open(kata)
    path.write_text("my attempt")

    backup = workspace.reset(kata)
    assert backup is not None
    assert backup.read_text() == "my attempt"
    assert backup.parent == workspace.root / ".katas" / "backups" / "double-it"
    assert backup.name.endswith("-double.py")
    assert path.read_bytes() == kata.starter.read_bytes()
    assert workspace.backups(kata) == [backup]


def test_reset_without_a_file_just_writes_the_starter(tmp_path: Path, kata: Kata) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    assert workspace.reset(kata) is None
    assert workspace.file_for(kata).read_bytes() == kata.starter.read_bytes()
    assert workspace.backups(kata) == []


def test_backups_never_overwrite_each_other(
    tmp_path: Path, kata: Kata, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trainer.learner.workspace, "_utc_stamp", lambda: "20240101T000000.000000Z")
    workspace = Workspace.init(tmp_path / "ws")
    path = workspace.open(kata)
    for attempt in ("first try", "second try", "third try"):
        path.write_text(attempt)
        workspace.reset(kata)
    contents = sorted(p.read_text() for p in workspace.backups(kata))
    assert contents == ["first try", "second try", "third try"]


def test_progress_is_the_workspace_store(tmp_path: Path) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    assert isinstance(workspace.progress, ProgressStore)
    assert workspace.progress is workspace.progress
    workspace.progress.reveal_hint("k", total_hints=2)
    assert (workspace.root / ".katas" / "progress.db").is_file()


def test_opening_and_resetting_a_kata_are_recorded(tmp_path: Path, kata: Kata) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    workspace.open(kata)
    workspace.open(kata)  # already there: not a second opening
    workspace.reset(kata)
    assert [e.kind for e in workspace.progress.events(kata.id)] == ["opened", "reset"]


def test_a_review_file_is_a_fresh_starter_beside_the_untouched_solution(
    tmp_path: Path, kata: Kata
) -> None:
    workspace = Workspace.init(tmp_path / "ws")
    mine = workspace.open(kata)
    mine.write_text("# my solution\n")
    path, backup = workspace.open_review(kata)
    assert path == workspace.root / kata.topic / kata.id / "review" / kata.spec.file
    assert path.read_bytes() == kata.starter.read_bytes()
    assert backup is None
    assert mine.read_text() == "# my solution\n"

    path.write_text("# review work\n")
    again, backup = workspace.open_review(kata)
    assert again.read_bytes() == kata.starter.read_bytes()
    assert backup is not None and backup.read_text() == "# review work\n"
    assert backup.name.endswith("review-" + kata.spec.file)
