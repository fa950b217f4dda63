"""The ``katas`` command as a user drives it: exit codes, JSON, state it leaves behind."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from trainer.cli.app import EXIT_CODES, main
from trainer.grading.verdict import Status
from trainer.kata.catalog import builtin_pack

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
    assert "1 kata valid, 0 broken" in out


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
    assert "1 kata valid" in out


# -- progress, export, review, solution -----------------------------------------------------


def katas_at(
    clock: FixedClock, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


WRONG = "def double(x):\n    return x + 1\n"


def test_starter_fail_pass_is_two_attempts_solved_in_progress_and_exported(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path, tmp_path: Path
) -> None:
    clock = FixedClock()

    def run(*argv: str) -> tuple[int, str, str]:
        return katas_at(clock, capsys, "--pack", str(pack), *argv)

    learner_file = workspace / "tensors" / "double-it" / "answer.py"
    assert run("check", "double-it")[0] == EXIT_CODES[Status.FAILED]  # the starter
    learner_file.write_text(WRONG)
    clock.advance(minutes=2)
    assert run("check", "double-it")[0] == EXIT_CODES[Status.FAILED]
    learner_file.write_text(SOLUTION)
    clock.advance(minutes=2)
    code, out, _ = run("check", "double-it")
    assert code == 0
    assert "Solved." in out and "first review on 2024-05-03" in out  # good: due in 2 days
    solved_at = clock.now

    clock.advance(hours=1)
    code, out, _ = run("progress", "--json")
    assert code == 0
    doc = json.loads(out)
    [entry] = [k for k in doc["katas"] if k["id"] == "double-it"]
    assert entry["status"] == "solved"
    assert entry["attempts"] == 2  # the untouched starter's grading is not an attempt
    assert entry["attempts_to_solve"] == 2
    assert entry["hints_used"] == 0
    assert entry["topic"] == "tensors"
    assert datetime.fromisoformat(entry["solved_at"]) == solved_at
    assert datetime.fromisoformat(entry["next_review"]) == solved_at + timedelta(days=2)
    assert entry["last_rating"] == "good"
    totals = doc["totals"]
    assert (totals["solved"], totals["attempts"], totals["streak_days"]) == (1, 2, 1)
    assert totals["katas"] == len(doc["katas"]) > 1  # the built-in katas are listed too
    assert [a["kind"] for a in doc["recent"][:4]] == ["attempt", "attempt", "attempt", "opened"]

    code, out, _ = run("export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["status"] for r in rows] == ["failed", "failed", "passed"]
    assert {r["kata_id"] for r in rows} == {"double-it"}
    assert [r["starter"] for r in rows] == ["true", "false", "false"]
    assert rows[2]["checks_passed"] == rows[2]["checks_total"] == "1"
    assert rows[2]["code_sha256"] == hashlib.sha256(SOLUTION.encode()).hexdigest()
    assert rows[0]["at"] == "2024-05-01T12:00:00Z"

    target = tmp_path / "history.json"
    code, _, err = run("export", "--format", "json", "--output", str(target))
    assert code == 0 and "Wrote" in err
    exported = json.loads(target.read_text())
    assert [a["status"] for a in exported["attempts"]] == ["failed", "failed", "passed"]

    code, out, _ = run("progress")
    assert code == 0
    assert "1/" in out and "streak: 1 day" in out and "Recent activity" in out


def test_review_opens_a_fresh_copy_and_passing_it_reschedules(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    clock = FixedClock()

    def run(*argv: str) -> tuple[int, str, str]:
        return katas_at(clock, capsys, "--pack", str(pack), *argv)

    learner_file = workspace / "tensors" / "double-it" / "answer.py"
    review_file = workspace / "tensors" / "double-it" / "review" / "answer.py"
    code, _, err = run("review", "double-it")
    assert code == 2 and "not solved yet" in err
    run("check", "double-it")
    learner_file.write_text(SOLUTION)
    clock.advance(minutes=1)
    assert run("check", "double-it")[0] == 0  # first try, fast: easy, due in 8 days

    code, out, _ = run("review")
    assert code == 0 and "Nothing due. Next review: double-it on 2024-05-09" in out
    assert not review_file.exists()
    code, _, err = run("check", "double-it", "--review")
    assert code == 2 and "katas review double-it" in err

    clock.advance(days=10)
    due = json.loads(run("review", "--json")[1])
    assert [d["id"] for d in due["due"]] == ["double-it"]
    assert due["due"][0]["last_rating"] == "easy"
    code, out, _ = run("review")
    assert code == 0
    assert "1 due for review" in out and "katas check double-it --review" in out
    starter = (pack / "tensors" / "double-it" / "starter.py").read_text()
    assert review_file.read_text() == starter
    assert learner_file.read_text() == SOLUTION  # the earlier solution is untouched

    review_file.write_text("# halfway\n")
    code, out, _ = run("review")  # a review in progress carries on
    assert code == 0 and "in progress" in out and review_file.read_text() == "# halfway\n"
    code, out, _ = run("review", "--fresh")
    assert code == 0 and review_file.read_text() == starter
    [backup] = (workspace / ".katas" / "backups" / "double-it").glob("*review-answer.py")
    assert backup.read_text() == "# halfway\n"

    assert run("check", "double-it", "--review")[0] == 1  # the fresh starter fails
    review_file.write_text(SOLUTION)
    clock.advance(minutes=3)
    code, out, _ = run("check", "double-it", "--review")
    assert code == 0 and "Review passed." in out and "easy" in out

    due = json.loads(run("review", "--json")[1])
    assert due["due"] == []
    [upcoming] = due["upcoming"]
    assert upcoming["reviews"] == 1
    assert datetime.fromisoformat(upcoming["due"]) > clock.now + timedelta(days=8)
    entry = next(
        k for k in json.loads(run("progress", "--json")[1])["katas"] if k["id"] == "double-it"
    )
    # the first solve is the one attempt; the review's fresh starter is not one
    assert (entry["attempts"], entry["reviews"], entry["review_due"]) == (1, 1, False)
    rows = list(csv.DictReader(io.StringIO(run("export")[1])))
    assert [r["review"] for r in rows] == ["false", "false", "true", "true"]


def test_solution_asks_first_and_records_the_reveal(
    capsys: pytest.CaptureFixture[str],
    workspace: Path,
    pack: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = katas(capsys, "--pack", str(pack), "solution", "double-it")
    assert code == 2 and "--yes" in err  # no terminal to ask in

    monkeypatch.setattr("trainer.cli.common.interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out, _ = katas(capsys, "--pack", str(pack), "solution", "double-it")
    assert code == 1 and "Not revealed." in out and "return 2 * x" not in out

    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _ = katas(capsys, "--pack", str(pack), "solution", "double-it")
    assert code == 0 and "return 2 * x" in out and "Again" in out
    code, out, _ = katas(capsys, "--pack", str(pack), "solution", "double-it", "--yes")
    assert code == 0 and "return 2 * x" in out

    _, out, _ = katas(capsys, "--pack", str(pack), "progress", "--json")
    assert json.loads(out)["totals"]["solutions_revealed"] == 1
    _, out, _ = katas(capsys, "--pack", str(pack), "export", "--format", "json")
    assert json.loads(out)["attempts"] == []  # revealing is not an attempt


def test_a_corrupt_progress_store_is_one_warning_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    katas(capsys, "--pack", str(pack), "hint", "double-it")
    store = workspace / ".katas" / "progress.db"
    store.write_bytes(b"\x00garbage" * 512)
    code, out, err = katas(capsys, "--pack", str(pack), "list", "--json")
    assert code == 0
    assert next(r for r in json.loads(out) if r["id"] == "double-it")["status"] == "new"
    [line] = err.strip().splitlines()
    assert line.startswith("warning:") and "progress.db.corrupt-" in line
    assert "Traceback" not in err
    [aside] = (workspace / ".katas").glob("progress.db.corrupt-*")
    assert aside.read_bytes() == b"\x00garbage" * 512
    _, _, err = katas(capsys, "--pack", str(pack), "list", "--json")
    assert err == ""  # said once


def test_check_takes_a_memory_limit_per_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    greedy = tmp_path / "greedy.py"
    greedy.write_text(
        "import torch\nBIG = torch.empty(512 * 2**20, dtype=torch.uint8)\n"
        + (BUILTIN / "tensors" / "param-not-tensor" / "solution.py").read_text()
    )
    argv = ["check", "param-not-tensor", "--file", str(greedy), "--json"]
    code, out, _ = katas(capsys, *argv)
    assert code == 0, out
    code, out, _ = katas(capsys, *argv, "--memory-mb", "256")
    assert code == EXIT_CODES[Status.ERROR]
    assert "exceeded the memory limit of 256 MB" in json.loads(out)["summary"]


def test_reading_commands_see_the_default_workspace(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    katas(capsys, "check", "param-not-tensor")  # creates ~/pytorch-katas and grades the starter
    [answer] = (Path.home() / "pytorch-katas" / "tensors" / "param-not-tensor").glob("*.py")
    answer.write_text(answer.read_text() + "\n# still wrong\n")
    katas(capsys, "check", "param-not-tensor")  # an edit: an attempt, recorded there
    _, out, _ = katas(capsys, "list", "--json")
    row = next(r for r in json.loads(out) if r["id"] == "param-not-tensor")
    assert row["status"] == "attempted"
    assert not (elsewhere / ".katas").exists()
