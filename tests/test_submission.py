"""Submission archives: what ``write_submission`` puts in, and ``read_submission``'s refusals."""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.assignment_factory import fake_verdict, make_assignment, make_course_pack
from tests.fixed_clock import NOON, FixedClock
from trainer import __version__
from trainer.coursework.assignment import LoadedAssignment, load_assignment
from trainer.coursework.submission import (
    MANIFEST_NAME,
    MAX_ARCHIVE_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    Manifest,
    archive_bytes,
    build_manifest,
    default_name,
    read_submission,
    write_submission,
)
from trainer.errors import SubmissionError
from trainer.grading.verdict import Status
from trainer.learner.workspace import Workspace


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedAssignment:
    make_course_pack(tmp_path)
    due = (NOON + timedelta(hours=1)).isoformat()
    return load_assignment(make_assignment(tmp_path, due=due))


@pytest.fixture
def workspace(tmp_path: Path, loaded: LoadedAssignment) -> Workspace:
    """double-it passed on time, grad-a passed late after a failure, grad-b never opened."""
    clock = FixedClock()
    ws = Workspace.init(tmp_path / "ws").with_clock(clock)
    ws.attach_assignment(loaded, "Ada Lovelace")
    double, _, grad_b = loaded.katas
    ws.file_for(grad_b).unlink()
    ws.file_for(double).write_text("def double(x):\n    return 2 * x\n")
    ws.progress.record_attempt("double-it", fake_verdict("double-it", Status.PASSED), "aa" * 32)
    clock.advance(hours=2)
    ws.progress.record_attempt("grad-a", fake_verdict("grad-a", Status.FAILED), None)
    ws.progress.record_attempt("grad-a", fake_verdict("grad-a", Status.PASSED, total=3), None)
    return ws


def test_round_trip_keeps_files_hashes_and_the_learners_verdicts(
    tmp_path: Path, workspace: Workspace, loaded: LoadedAssignment
) -> None:
    out = write_submission(workspace, loaded, "Ada Lovelace", tmp_path / "out.zip")
    submission = read_submission(out)
    assert submission.problems == []
    manifest = submission.manifest
    assert (manifest.learner, manifest.assignment_id) == ("Ada Lovelace", "week-1")
    assert manifest.assignment_title == "Week 1"
    assert manifest.assignment_sha256 == loaded.sha256
    assert manifest.trainer_version == __version__ and manifest.format == 1
    assert manifest.created_at == NOON + timedelta(hours=2)
    assert sorted(submission.files) == ["double-it", "grad-a"]
    own = workspace.file_for(loaded.katas[0]).read_bytes()
    assert submission.files["double-it"] == own
    assert manifest.files["double-it"].path == "files/double-it/double_it.py"
    assert manifest.files["double-it"].sha256 == hashlib.sha256(own).hexdigest()
    on_time, late = manifest.verdicts["double-it"], manifest.verdicts["grad-a"]
    assert on_time.status is Status.PASSED and not on_time.late
    assert (late.status, late.passed, late.total, late.late) == (Status.PASSED, 3, 3, True)
    assert "grad-b" not in manifest.verdicts
    extracted = submission.extract("grad-a", tmp_path / "x")
    assert extracted is not None and extracted.name == "grad_a.py"
    assert submission.extract("grad-b", tmp_path / "x") is None


def test_the_archive_is_deterministic_sorted_stored_and_timeless(
    tmp_path: Path, workspace: Workspace, loaded: LoadedAssignment
) -> None:
    first = write_submission(workspace, loaded, "Ada Lovelace", tmp_path / "a.zip").read_bytes()
    second = write_submission(workspace, loaded, "Ada Lovelace", tmp_path / "b.zip").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED


def test_the_default_name_is_learner_dot_assignment(
    tmp_path: Path, workspace: Workspace, loaded: LoadedAssignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = write_submission(workspace, loaded, "Ada Lovelace", None)
    assert out == tmp_path / "Ada-Lovelace.week-1.katas.zip"
    assert default_name("../../etc", "w") == "etc.w.katas.zip"


# -- malformed archives ----------------------------------------------------------------------


def good_manifest(
    workspace: Workspace, loaded: LoadedAssignment
) -> tuple[Manifest, dict[str, bytes]]:
    return build_manifest(workspace, loaded, "ada", NOON)


def zip_of(path: Path, entries: dict[str, bytes], **attrs: Any) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            for key, value in attrs.get(name, {}).items():
                setattr(info, key, value)
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


@pytest.fixture
def manifest_data(workspace: Workspace, loaded: LoadedAssignment) -> dict[str, Any]:
    manifest, _ = good_manifest(workspace, loaded)
    data: dict[str, Any] = json.loads(manifest.model_dump_json())
    return data


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    path.write_text("hello")
    with pytest.raises(SubmissionError, match=re.escape("s.zip: not a zip archive")):
        read_submission(path)
    with pytest.raises(SubmissionError, match="no such file"):
        read_submission(tmp_path / "absent.zip")


def test_no_manifest(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "s.zip", {"files/a/b.py": b"x"})
    with pytest.raises(SubmissionError, match=re.escape("has no manifest.json")):
        read_submission(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "manifest.json is not JSON"),
        (b"\xff\xfe", "manifest.json is not UTF-8"),
        (b"[1, 2]", "should hold a JSON object"),
        (b'{"format": 7}', "made by a newer torch-katas"),
        (b'{"format": "one"}', "not a torch-katas submission manifest"),
    ],
)
def test_an_unreadable_manifest(tmp_path: Path, raw: bytes, message: str) -> None:
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: raw})
    with pytest.raises(SubmissionError, match=message):
        read_submission(path)


def test_an_invalid_manifest_names_the_field(tmp_path: Path, manifest_data: dict[str, Any]) -> None:
    manifest_data["files"]["double-it"]["sha256"] = "short"
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: manifest_bytes(manifest_data)})
    with pytest.raises(SubmissionError, match=r"field 'files\.double-it\.sha256'"):
        read_submission(path)
    manifest_data["files"]["double-it"]["sha256"] = "0" * 64
    manifest_data["files"]["double-it"]["path"] = "files/other/x.py"
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: manifest_bytes(manifest_data)})
    with pytest.raises(SubmissionError, match=re.escape("should be files/double-it/<name>.py")):
        read_submission(path)
    del manifest_data["learner"]
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: manifest_bytes(manifest_data)})
    with pytest.raises(SubmissionError, match="field 'learner': Field required"):
        read_submission(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/passwd", "is an absolute path"),
        ("C:/x.py", "is an absolute path"),
        ("files\\a.py", "is an absolute path"),
        ("files/../../x.py", "climbs out of the archive"),
        ("files//x.py", "empty or '.' path part"),
    ],
)
def test_unsafe_entry_names(tmp_path: Path, name: str, message: str) -> None:
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: b"{}", name: b"x"})
    with pytest.raises(SubmissionError, match=message):
        read_submission(path)


def test_links_special_files_and_encrypted_entries(tmp_path: Path) -> None:
    link = {"external_attr": (stat.S_IFLNK | 0o777) << 16}
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: b"{}", "l": b"/etc"}, l=link)
    with pytest.raises(SubmissionError, match="'l' is a symbolic link"):
        read_submission(path)
    fifo = {"external_attr": (stat.S_IFIFO | 0o644) << 16}
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: b"{}", "f": b""}, f=fifo)
    with pytest.raises(SubmissionError, match="'f' is not a regular file"):
        read_submission(path)
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: b"{}", "e": b""})
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last entry's central header; flags at offset 8
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match="'e' is encrypted"):
        read_submission(path)


def test_too_many_members(tmp_path: Path) -> None:
    entries = {f"f{i}": b"" for i in range(MAX_MEMBERS + 1)}
    path = zip_of(tmp_path / "s.zip", entries)
    with pytest.raises(SubmissionError, match=f"holds {MAX_MEMBERS + 1} entries"):
        read_submission(path)


def test_a_member_too_large_and_too_much_in_all(tmp_path: Path) -> None:
    big = b"\0" * (MAX_MEMBER_BYTES + 1)
    path = zip_of(tmp_path / "s.zip", {MANIFEST_NAME: b"{}", "big": big})
    with pytest.raises(SubmissionError, match="'big' is 1048577 bytes uncompressed"):
        read_submission(path)
    many = {f"part{i}": b"\0" * MAX_MEMBER_BYTES for i in range(9)}
    path = zip_of(tmp_path / "s.zip", many)
    with pytest.raises(SubmissionError, match="more than 8388608 bytes uncompressed in all"):
        read_submission(path)


def test_a_header_that_lies_about_its_size_is_caught_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    zip_of(path, {MANIFEST_NAME: b"\0" * (MAX_MEMBER_BYTES + 10)})
    data = bytearray(path.read_bytes())
    # Rewrite the uncompressed size in the central directory (offset 24 of its header) to 10.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match=r"manifest.json' (holds more than|is corrupt)"):
        read_submission(path)


def test_duplicate_entries(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST_NAME, b"{}")
        archive.writestr(MANIFEST_NAME, b"{}")
    with pytest.raises(SubmissionError, match=re.escape("'manifest.json' appears twice")):
        read_submission(path)


def test_a_corrupt_member(tmp_path: Path, workspace: Workspace, loaded: LoadedAssignment) -> None:
    manifest, members = good_manifest(workspace, loaded)
    data = bytearray(archive_bytes(manifest, members))
    spot = data.find(b"return 2 * x")
    data[spot] ^= 0xFF
    path = tmp_path / "s.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(
        SubmissionError, match=re.escape("'files/double-it/double_it.py' is corrupt")
    ):
        read_submission(path)


# -- reported, not fatal ---------------------------------------------------------------------


def test_hash_mismatch_missing_file_and_extra_entries_are_problems(
    tmp_path: Path, manifest_data: dict[str, Any]
) -> None:
    entries = {
        MANIFEST_NAME: manifest_bytes(manifest_data),
        "files/double-it/double_it.py": b"def double(x):\n    return x + x\n",
        "notes.txt": b"hello",
    }
    submission = read_submission(zip_of(tmp_path / "s.zip", entries))
    assert submission.files["double-it"].startswith(b"def double")
    assert len(submission.problems) == 3
    text = "\n".join(submission.problems)
    assert "double-it: files/double-it/double_it.py does not match its hash" in text
    assert "grad-a: files/grad-a/grad_a.py is listed but not in the archive" in text
    assert "unexpected entry 'notes.txt' (ignored)" in text


# -- bounds that hold before anything is read (issue: archives bounded before reading) -------


@pytest.mark.parametrize(("method", "number"), [(zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14)])
def test_a_bzip2_or_lzma_bomb_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: int, number: int
) -> None:
    """A few KB of bzip2 inflate to gigabytes in one block, before any cap could apply: such
    members are refused from their header, and no member of the archive is ever opened."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr(MANIFEST_NAME, b"{}")
        archive.writestr("files/x/x.py", b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros
    assert path.stat().st_size < 64 * 1024  # the bomb is small on disk
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(getattr(name, "filename", name)))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(SubmissionError, match=f"is compressed with method {number}"):
        read_submission(path)
    assert opened == []


def test_an_archive_too_large_is_refused_by_its_size_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2.5 GiB (sparse: nothing is written) is refused from ``stat``, never opened as a zip."""
    path = tmp_path / "huge.zip"
    with path.open("wb") as handle:
        handle.truncate(5 * 1024**3 // 2)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # any attempt to read it would fail loudly
    with pytest.raises(
        SubmissionError, match=f"is 2684354560 bytes; .* at most {MAX_ARCHIVE_BYTES}"
    ):
        read_submission(path)


def test_decompressed_bytes_are_counted_across_the_archive_as_they_stream(tmp_path: Path) -> None:
    """Every member read draws on one budget for the archive, counted while inflating (the
    headers' sizes are checked first, and zipfile stops at them; this holds without them)."""
    from trainer.coursework import submission

    members = {f"part{i}": b"\0" * (200 * 1024) for i in range(3)}
    path = zip_of(tmp_path / "s.zip", members)
    budget = submission._Budget()
    budget.left = 500 * 1024
    with zipfile.ZipFile(path) as archive:
        for name in ("part0", "part1"):
            assert len(submission._read_member("s.zip", archive, archive.getinfo(name), budget))
        with pytest.raises(SubmissionError, match="more than 8388608 bytes uncompressed in all"):
            submission._read_member("s.zip", archive, archive.getinfo("part2"), budget)
