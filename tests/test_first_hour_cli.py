"""A learner's first hour with ``katas`` at 80 columns, as the README's tour leads it: a list
that fits and filters, commands that know the current kata, a ``show`` that never points at a
missing file, a kata from a broken pack named as such, counts that agree with their nouns, and
a ``submit`` that says what each handed-in file is."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.assignment_factory import fake_verdict, make_assignment, make_course_pack
from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata, make_pack
from trainer.cli.app import main
from trainer.cli.render import plural
from trainer.coursework.submission import read_submission
from trainer.errors import KataNotLoadedError, UnknownKataError
from trainer.grading.verdict import Status
from trainer.kata.catalog import Catalog
from trainer.learner.history import sha256_hex
from trainer.learner.practice import FOLD_ABOVE, Practice
from trainer.learner.workspace import Workspace


def katas(
    capsys: pytest.CaptureFixture[str], *argv: str, clock: FixedClock | None = None
) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def flat(text: str) -> str:
    """Rich wraps at the terminal's width; compare words, not line breaks."""
    return " ".join(text.split())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The learner's workspace, on an 80-column terminal."""
    root = tmp_path / "ws"
    monkeypatch.setenv("KATAS_WORKSPACE", str(root))
    monkeypatch.setenv("COLUMNS", "80")
    return root


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    pack = make_pack(tmp_path / "pack")
    make_kata(pack, "double-it", order=1)
    make_kata(pack, "triple-it", order=2)
    return pack


# -- 6. katas list ---------------------------------------------------------------------------


def _ids(capsys: pytest.CaptureFixture[str], *options: str) -> list[str]:
    code, out, err = katas(capsys, "list", "--json", *options)
    assert code == 0, err
    return [row["id"] for row in json.loads(out)]


def test_a_large_catalog_lists_folded_with_the_current_topic_open(
    capsys: pytest.CaptureFixture[str], workspace: Path
) -> None:
    """More katas than FOLD_ABOVE: a line per topic with its counts, then the current kata's
    topic; the rest is one option away."""
    catalog = Catalog.default()
    assert len(catalog) > FOLD_ABOVE
    by_topic = catalog.by_topic()
    ws = Workspace.init(workspace)
    ws.progress.record_attempt("retain-graph", fake_verdict("retain-graph", Status.PASSED), None)
    ws.progress.record_attempt("grad-accum", fake_verdict("grad-accum", Status.FAILED), None)
    ws.remember_opened("grad-accum")

    code, out, _ = katas(capsys, "list")
    assert code == 0
    assert len(out.splitlines()) <= 2 * len(by_topic) + 10  # a screen, not the whole catalog
    rows: dict[str, list[str]] = {}
    for words in _rows(out):  # a topic's row comes before the line that names it again
        rows.setdefault(words[0], words)
    for topic, members in by_topic.items():
        assert rows[topic][1] == str(len(members)), topic  # every topic, with its count
    assert rows["autograd"][2:4] == ["1", "1"]  # solved, tried
    assert "▾ below" in out.split("autograd", 1)[1].splitlines()[0]
    listed = [word for word in rows if word in catalog]
    assert listed == [k.id for k in by_topic["autograd"]]  # only the open topic's katas
    assert f"autograd · {len(by_topic['autograd'])} katas · current: grad-accum" in out
    assert "`katas list --all` every kata" in flat(out)

    code, out, _ = katas(capsys, "list", "--all")
    assert code == 0 and "progress" not in out
    assert [w[0] for w in _rows(out) if w[0] in catalog] == [k.id for k in catalog]
    code, out, _ = katas(capsys, "list", "--topic", "tensors")
    assert code == 0 and "progress" not in out and "--all" not in out
    assert [w[0] for w in _rows(out) if w[0] in catalog] == [k.id for k in by_topic["tensors"]]


def _rows(out: str) -> list[list[str]]:
    """The words of each non-blank line."""
    return [line.split() for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("columns", [80, 50])
def test_list_is_one_line_per_kata_with_every_id_whole(
    capsys: pytest.CaptureFixture[str],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    ids = _ids(capsys)
    assert len(ids) >= 40, "the built-in catalog"
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = katas(capsys, "list", "--all")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) <= len(ids) + 3  # the count, the header and its rule
    assert max(cell_len(line) for line in lines) <= columns
    firsts = [line.split()[0] for line in lines if line.strip()]
    assert [word for word in firsts if word in ids] == ids  # each whole, on a line of its own
    if columns == 80:
        assert lines[1].split() == ["id", "title", "topic", "level", "status"]
        assert "…" in out  # long titles are cut, not wrapped
    else:
        assert lines[1].split() == ["id", "title", "status"]  # level and topic made room


def test_list_filters_by_topic_and_status(
    capsys: pytest.CaptureFixture[str], workspace: Path
) -> None:
    store = Workspace.init(workspace).progress
    store.record_attempt("param-not-tensor", fake_verdict("param-not-tensor", Status.PASSED), None)
    store.record_attempt("grad-accum", fake_verdict("grad-accum", Status.FAILED), None)
    _, out, _ = katas(capsys, "list", "--json")
    rows = json.loads(out)
    by_topic = [r["id"] for r in rows if r["topic"] in {"tensors", "cuda"}]

    assert _ids(capsys, "--status", "solved") == ["param-not-tensor"]
    assert _ids(capsys, "--status", "attempted,solved") == ["param-not-tensor", "grad-accum"]
    assert _ids(capsys, "--status", "solved", "--status", "attempted") == [
        "param-not-tensor",
        "grad-accum",
    ]
    assert _ids(capsys, "--topic", "tensors,cuda") == by_topic
    assert _ids(capsys, "--topic", "cuda", "--topic", "tensors") == by_topic
    new_autograd = [r["id"] for r in rows if r["topic"] == "autograd" and r["id"] != "grad-accum"]
    assert _ids(capsys, "--topic", "autograd", "--status", "new") == new_autograd

    code, out, _ = katas(capsys, "list", "--topic", "tensors,cuda")
    assert code == 0
    assert out.splitlines()[0].strip() == f"{len(by_topic)} of {len(rows)} katas"
    code, out, _ = katas(capsys, "list", "--topic", "cuda", "--status", "solved")
    assert code == 0 and "No kata matches --topic cuda --status solved" in flat(out)


def test_list_filters_say_what_they_accept(
    capsys: pytest.CaptureFixture[str], workspace: Path
) -> None:
    code, _, err = katas(capsys, "list", "--topic", "autgrad")
    assert code == 2
    assert "--topic 'autgrad': no such topic; did you mean 'autograd'?" in flat(err)
    code, _, err = katas(capsys, "list", "--status", "done")
    assert code == 2
    assert "--status 'done': no such status; choose from new, attempted, solved" in flat(err)


# -- 7. the current kata -------------------------------------------------------------------


def test_without_an_id_commands_use_the_kata_opened_last_and_say_so(
    capsys: pytest.CaptureFixture[str], workspace: Path, pack: Path
) -> None:
    first = Practice(Catalog.default(extra=[pack]), None).next_kata()
    assert first is not None
    code, out, _ = katas(capsys, "--pack", str(pack), "show")
    assert code == 0
    assert flat(out).startswith(f"{first.id} (the next kata to do: you have not opened one yet")

    # what `katas watch triple-it` (or the TUI) does on opening it, in another terminal
    practice = Practice(Catalog.default(extra=[pack]), Workspace.init(workspace))
    visit = practice.visit("triple-it", time.monotonic)

    code, out, _ = katas(capsys, "--pack", str(pack), "hint")
    assert code == 0
    said = flat(out)
    assert said.startswith("triple-it (the kata you opened last; `katas hint ID` for another)")
    assert "Hint 1/2 for Kata triple-it" in said

    code, out, err = katas(capsys, "--pack", str(pack), "check", "--json")
    assert json.loads(out)["kata_id"] == "triple-it"  # stdout stays JSON
    assert "triple-it (the kata you opened last" in flat(err)
    assert code == 1  # the starter fails

    (workspace / "tensors" / "triple-it" / "answer.py").write_text("# mine\n")
    code, out, _ = katas(capsys, "--pack", str(pack), "reset")
    assert code == 0 and flat(out).startswith("triple-it (the kata you opened last")
    assert "answer.py is the starter again" in flat(out)

    code, out, _ = katas(capsys, "--pack", str(pack), "solution", "--yes")
    assert code == 0 and "Reference solution of Kata triple-it" in flat(out)
    visit.leave()

    code, out, _ = katas(capsys, "--pack", str(pack), "show", "double-it")
    assert code == 0 and "opened last" not in out  # an id given is the kata meant


def test_current_kata_falls_back_to_the_next_one_and_says_why(tmp_path: Path, pack: Path) -> None:
    catalog = Catalog.load([pack])
    workspace = Workspace.init(tmp_path / "ws")
    practice = Practice(catalog, workspace)
    workspace.remember_opened("from-another-pack")
    current = practice.current_kata()
    assert current is not None and current.kata.id == "double-it"
    assert current.why == (
        "the next kata to do: from-another-pack, opened last, is not in this catalog"
    )
    for kata_id in ("double-it", "triple-it"):
        workspace.progress.record_attempt(kata_id, fake_verdict(kata_id, Status.PASSED), None)
    assert practice.current_kata() is None  # nothing open here and nothing left to do
    practice.visit("double-it", time.monotonic).leave()
    current = practice.current_kata()
    assert current is not None and current.kata.id == "double-it"
    assert current.why == "the kata you opened last"


def test_with_nothing_open_and_nothing_left_the_cli_asks_for_an_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_course_pack(tmp_path)
    make_assignment(tmp_path, katas=["double-it"])
    code, _, err = katas(
        capsys, "init", "--assignment", str(tmp_path / "assignment.yaml"), str(tmp_path / "ws")
    )
    assert code == 0, err
    monkeypatch.chdir(tmp_path / "ws")
    store = Workspace.init(tmp_path / "ws").progress
    store.record_attempt("double-it", fake_verdict("double-it", Status.PASSED), None)
    code, _, err = katas(capsys, "hint")
    assert code == 2
    assert "which kata? None is open and none is left to do here: name one, `katas hint ID`" in (
        flat(err)
    )


# -- 8. show before the file exists -----------------------------------------------------------


def test_show_never_points_at_a_file_that_is_not_there(
    capsys: pytest.CaptureFixture[str],
    workspace: Path,
    pack: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # long temporary paths on one line
    learner_file = workspace / "tensors" / "double-it" / "answer.py"
    code, out, _ = katas(capsys, "--pack", str(pack), "show", "double-it")
    assert code == 0 and not learner_file.exists()
    assert "Edit:" not in out
    assert (
        f"Your file, {learner_file}, is not written yet: `katas watch double-it` (or `katas "
        "check double-it`) writes it from the starter, then grades it."
    ) in flat(out)

    katas(capsys, "--pack", str(pack), "check", "double-it")  # what the note promised
    assert learner_file.read_text() == (pack / "tensors" / "double-it" / "starter.py").read_text()
    _, out, _ = katas(capsys, "--pack", str(pack), "show", "double-it")
    assert f"Edit: {learner_file}" in out and "not written yet" not in out


def test_show_without_a_workspace_says_what_makes_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = katas(capsys, "show", "param-not-tensor")
    assert code == 0 and "Edit:" not in out
    assert (
        "You have no workspace yet: `katas watch param-not-tensor` (or `katas check "
        "param-not-tensor`) makes one and writes your file there from the starter"
    ) in flat(out)


# -- 10. a kata whose pack did not load -------------------------------------------------------


def test_a_kata_that_failed_to_load_is_named_with_its_pack_and_reason(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # long temporary paths on one line
    extra = make_pack(tmp_path / "my-pack")
    make_kata(extra, "fine")
    broken = make_kata(
        extra, "clip-grads", "training", yaml_text="id: clip-grads\ntitle: [unclosed\n"
    )
    (broken / "checks.py").unlink()

    code, _, err = katas(capsys, "--pack", str(extra), "show", "clip-grads")
    assert code == 2
    error = flat(err.split("error:", 1)[1])
    assert error.startswith("clip-grads is in pack my-pack, but it did not load: ")
    assert "training/clip-grads/kata.yaml:3: invalid YAML" in error
    assert f"(and 1 more problem: `katas validate {broken}` lists them)" in error

    code, _, err = katas(capsys, "--pack", str(extra), "show", "clip-grad")
    assert code == 2 and "no kata with id 'clip-grad'" in err  # a typo stays a typo

    with pytest.raises(KataNotLoadedError) as raised:
        Catalog.load([extra]).get("clip-grads")
    assert isinstance(raised.value, UnknownKataError) and isinstance(raised.value, KeyError)
    assert raised.value.pack == "my-pack" and len(raised.value.problems) == 2


# -- 14. counts agree with their nouns --------------------------------------------------------


def test_plural_agrees_with_its_count() -> None:
    assert plural(1, "kata") == "1 kata"
    assert plural(0, "kata") == "0 katas"
    assert plural(2, "kata is", "katas are") == "2 katas are"
    assert plural(1.0, "point") == "1 point"
    assert plural(1.5, "point") == "1.5 points"


def test_one_of_anything_reads_in_the_singular(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    make_course_pack(tmp_path)
    make_assignment(tmp_path, katas=["double-it"])
    code, out, err = katas(
        capsys, "init", "--assignment", str(tmp_path / "assignment.yaml"), str(tmp_path / "ws")
    )
    assert code == 0, err
    assert "1 kata, 1 point · " in out
    monkeypatch.chdir(tmp_path / "ws")
    _, out, _ = katas(capsys, "list")
    assert "Week 1 · 1 kata, 1 point · " in out
    _, out, _ = katas(capsys, "show", "double-it")
    assert "Week 1: 1 point · " in out

    solo = make_pack(tmp_path / "solo")
    make_kata(solo, "double-it")
    code, out, err = katas(capsys, "handout", str(solo), str(tmp_path / "copy"))
    assert code == 0, err
    assert "Wrote the learners' copy of 1 kata to " in out and "0 hidden checks." in out


# -- 15. katas submit says what each file is -------------------------------------------------


def test_submit_says_for_each_file_whether_it_was_graded_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    make_course_pack(tmp_path)
    make_assignment(tmp_path)  # double-it, grad-a, grad-b
    root = tmp_path / "ws"
    clock = FixedClock()
    assignment = str(tmp_path / "assignment.yaml")
    code, _, err = katas(
        capsys, "init", "--assignment", assignment, str(root), "--learner", "Ada", clock=clock
    )
    assert code == 0, err
    monkeypatch.chdir(root)
    store = Workspace.init(root).progress
    double = root / "tensors" / "double-it" / "double_it.py"
    double.write_text(SOLUTION)
    verdict = fake_verdict("double-it", Status.PASSED)
    store.record_attempt("double-it", verdict, sha256_hex(SOLUTION.encode()))
    grad_a = root / "autograd" / "grad-a" / "grad_a.py"
    grad_a.write_text("# edited, never graded\n")

    code, out, err = katas(capsys, "submit", clock=clock)
    assert code == 0, err
    lines = [flat(line) for line in out.splitlines()]
    assert "✓ double-it: passed (2/2 checks)" in lines
    assert (
        "• grad-a: edited, never graded (run `katas check grad-a` first if you want to know)"
    ) in lines
    assert "○ grad-b: the starter, unchanged: it will be not-attempted" in lines
    assert "new" not in out.split("Wrote", 1)[0]

    edited = "# edited since\n"
    store.record_attempt(
        "grad-a", fake_verdict("grad-a", Status.FAILED), sha256_hex(grad_a.read_bytes())
    )
    double.write_text(SOLUTION + edited)
    code, out, err = katas(capsys, "submit", clock=clock)
    assert code == 0, err
    lines = [flat(line) for line in out.splitlines()]
    assert (
        "• double-it: edited since it was graded (passed): run `katas check double-it` first "
        "if you want to know"
    ) in lines
    assert "✗ grad-a: failed (1/2 checks)" in lines
    archive = read_submission(root / "Ada.week-1.katas.zip")
    assert archive.files["double-it"] == (SOLUTION + edited).encode()
