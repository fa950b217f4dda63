"""The ``katas`` command as a user drives it: exit codes, JSON, state it leaves behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.catalog import builtin_pack
from trainer.cli import EXIT_CODES, main
from trainer.verdict import Status

BUILTIN = builtin_pack()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    monkeypatch.setenv("KATAS_WORKSPACE", str(root))
    return root


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    make_kata(pack, "double-it", file="answer.py", hints=["Multiply.", "By **two**.", "`2 * x`"])
    return pack


def katas(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_the_reference_solution_prints_a_passed_verdict_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    solution = BUILTIN / "tensors" / "param-not-tensor" / "solution.py"
    code, out, _ = katas(capsys, "check", "param-not-tensor", "--file", str(solution), "--json")
    assert code == 0
    verdict = json.loads(out)
    assert verdict["status"] == "passed"
    assert verdict["kata_id"] == "param-not-tensor"
    assert verdict["checks"] and all(c["status"] == "passed" for c in verdict["checks"])


def test_check_the_starter_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    starter = BUILTIN / "tensors" / "param-not-tensor" / "starter.py"
    code, out, _ = katas(capsys, "check", "param-not-tensor", "--file", str(starter))
    assert code == 1
    assert "failed" in out


def test_exit_codes_are_distinct_per_status() -> None:
    assert EXIT_CODES[Status.PASSED] == 0
    assert EXIT_CODES[Status.FAILED] == 1
    assert len(set(EXIT_CODES.values())) == len(Status)
    assert 2 not in EXIT_CODES.values()


def test_check_grades_the_workspace_file_and_records_it(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    code, _, _ = katas(capsys, "--pack", str(pack), "check", "double-it")
    assert code == EXIT_CODES[Status.FAILED]
    learner_file = workspace / "tensors" / "double-it" / "answer.py"
    assert learner_file.is_file()
    learner_file.write_text((pack / "tensors" / "double-it" / "solution.py").read_text())
    code, out, _ = katas(capsys, "--pack", str(pack), "check", "double-it")
    assert code == 0, out
    _, out, _ = katas(capsys, "--pack", str(pack), "list", "--json")
    row = next(r for r in json.loads(out) if r["id"] == "double-it")
    assert row["status"] == "solved"


def test_check_of_an_unavailable_device_says_not_verified_here(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, workspace: Path
) -> None:
    pack = tmp_path / "gpu-pack"
    make_kata(pack, "gpu-only", devices=["cuda"])
    code, out, _ = katas(capsys, "--pack", str(pack), "check", "gpu-only")
    assert code == EXIT_CODES[Status.UNAVAILABLE]
    assert "not verified here" in out
    _, out, _ = katas(capsys, "--pack", str(pack), "list", "--json")
    assert next(r for r in json.loads(out) if r["id"] == "gpu-only")["status"] != "solved"


def test_an_unknown_kata_exits_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = katas(capsys, "check", "param-not-tensr")
    assert code == 2
    assert "param-not-tensor" in err


def test_a_bad_device_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "param-not-tensor", "--device", "tpu"])
    assert exc.value.code == 2
    assert "not a device" in capsys.readouterr().err


def test_list_shows_the_builtin_katas(capsys: pytest.CaptureFixture[str], workspace: Path) -> None:
    code, out, _ = katas(capsys, "list", "--json")
    assert code == 0
    ids = [row["id"] for row in json.loads(out)]
    assert {"param-not-tensor", "containers", "custom-fn"} <= set(ids)
    code, out, _ = katas(capsys, "list")
    assert code == 0
    assert "param-not-tensor" in out


def test_hints_are_revealed_one_at_a_time_and_stop_at_the_last(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    outs = [katas(capsys, "--pack", str(pack), "hint", "double-it")[1] for _ in range(4)]
    assert "Hint 1/3" in outs[0] and "Multiply." in outs[0]
    assert "Hint 2/3" in outs[1] and "By two." in outs[1]
    assert "Hint 3/3" in outs[2] and "last hint" in outs[2]
    assert "Hint 3/3" in outs[3]
    _, out, _ = katas(capsys, "--pack", str(pack), "show", "double-it")
    assert "Hint 3/3" in out


def test_reset_backs_up_the_learners_file(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    katas(capsys, "--pack", str(pack), "show", "double-it")
    learner_file = workspace / "tensors" / "double-it" / "answer.py"
    katas(capsys, "--pack", str(pack), "check", "double-it")
    learner_file.write_text("# my precious work\n")
    code, out, _ = katas(capsys, "--pack", str(pack), "reset", "double-it")
    assert code == 0
    assert learner_file.read_text() == (pack / "tensors" / "double-it" / "starter.py").read_text()
    backups = list((workspace / ".katas" / "backups" / "double-it").iterdir())
    assert [b.read_text() for b in backups] == ["# my precious work\n"]
    assert "saved at" in out


def test_init_makes_a_workspace_that_is_found_from_below(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mine"
    code, out, _ = katas(capsys, "init", str(root))
    assert "Workspace ready" in out
    assert code == 0
    assert (root / ".katas" / "workspace.json").is_file()
    (root / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(root / "deep" / "er")
    katas(capsys, "check", "param-not-tensor")
    assert (root / "tensors" / "param-not-tensor").is_dir()


def test_katas_without_a_terminal_creates_the_default_workspace_and_says_where(
    tmp_path: Path, isolated_home: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trainer"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        timeout=60,
        env={"HOME": str(isolated_home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert "Created your kata workspace at" in result.stdout
    assert str(isolated_home / "pytorch-katas") in result.stdout
    assert "Next kata:" in result.stdout
    assert (isolated_home / "pytorch-katas" / ".katas" / "workspace.json").is_file()


def test_validate_passes_a_sound_kata(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "sound", wrong={"plus_one.py": "def double(x):\n    return x + 1\n"})
    code, out, _ = katas(capsys, "validate", str(pack))
    assert code == 0, out
    assert "wrong/plus_one.py: rejected by 'doubles a number'" in out
    assert "1 katas valid, 0 broken" in out


def test_validate_catches_a_starter_that_already_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    solution = "def double(x):\n    return 2 * x\n"
    make_kata(pack, "too-easy", starter=solution)
    code, out, _ = katas(capsys, "validate", str(pack))
    assert code == 1
    assert "too-easy starter: passes every check" in out


def test_validate_catches_a_wrong_variant_the_checks_miss_and_a_bad_solution(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    make_kata(
        pack,
        "leaky",
        solution="def double(x):\n    return x\n",
        wrong={"same.py": "def double(x):\n    return x * 2\n"},
    )
    code, out, _ = katas(capsys, "validate", str(pack / "tensors" / "leaky"))
    assert code == 1
    assert "leaky solution: the reference should pass but failed" in out
    assert "leaky wrong/same.py: passes every check" in out


def test_validate_reports_a_kata_that_does_not_load(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "fine")
    make_kata(pack, "typo", hint=["oops"])
    code, out, _ = katas(capsys, "validate", str(pack))
    assert code == 1
    assert "did you mean 'hints'" in out
    assert "1 katas valid" in out
