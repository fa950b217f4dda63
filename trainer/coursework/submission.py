"""Submissions: one zip a learner hands in, and the instructor's safe reading of it.

The archive (``<learner>.<assignment-id>.katas.zip`` by default) holds ``manifest.json`` and
``files/<kata-id>/<learner file name>`` for every assigned kata the learner has a file for::

    {"format": 1, "learner": "Ada", "assignment_id": "week-3", "assignment_title": "Week 3",
     "assignment_sha256": "…", "created_at": "…", "trainer_version": "0.1.0",
     "torch_version": "2.4.0", "python": "3.11.9",
     "files": {"custom-fn": {"path": "files/custom-fn/silu.py", "sha256": "…"}},
     "verdicts": {"custom-fn": {"status": "passed", "passed": 5, "total": 5, "at": "…",
                                "solved_at": "…", "late": false, "code_sha256": "…"}}}

The verdicts are the learner's own and are information only: a grader grades the files again.

The archive is deterministic: members sorted, stored uncompressed (deflate output varies with
the zlib build), every timestamp fixed at 1980-01-01 and permissions fixed, so it is a pure
function of the manifest and the files. Two submissions of the same work differ only by
``created_at``; file hashes never depend on when or where the archive was made.

:func:`read_submission` treats the archive as hostile. What makes it unusable raises
:class:`SubmissionError` with the archive's path and the reason: not a zip, a missing or
invalid manifest, an absolute or ``..`` member path, a link or special file, an encrypted or
corrupt member, more than 256 members, a member over 1 MiB or more than 8 MiB in all
(uncompressed, measured while reading, not trusted from the headers).

Bounds hold before anything is read: the archive's size is checked with ``stat`` (at most
:data:`MAX_ARCHIVE_BYTES`), members must be stored or deflated (:data:`METHODS`: bzip2 and
LZMA decompress a whole block at once, so a few KB can become gigabytes before any cap
applies; deflate is inflated at most the bytes asked for), and the decompressed bytes of the
whole archive are counted as they stream, against :data:`MAX_TOTAL_BYTES`. What is worth reporting
but not fatal lands in ``Submission.problems``: a file whose hash differs from the manifest
(graded as found), a listed file missing, an entry the manifest does not list (ignored).
"""

from __future__ import annotations

import io
import json
import platform
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trainer import __version__
from trainer.atomic import atomic_write
from trainer.coursework.assignment import LoadedAssignment, clean_learner_name
from trainer.errors import SubmissionError
from trainer.grading.verdict import Status
from trainer.kata.model import KEBAB_CASE
from trainer.learner.history import Attempt, sha256_hex
from trainer.learner.workspace import Workspace

__all__ = [
    "FORMAT",
    "MANIFEST_NAME",
    "MAX_ARCHIVE_BYTES",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "METHODS",
    "FileState",
    "Manifest",
    "ManifestFile",
    "ManifestVerdict",
    "Submission",
    "SubmittedFile",
    "archive_bytes",
    "build_manifest",
    "check_archive_size",
    "default_name",
    "file_states",
    "read_submission",
    "write_submission",
]

FORMAT = 1
"""The newest manifest ``format`` this trainer writes and reads."""
MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
MAX_MEMBERS = 256
MAX_MEMBER_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024
MAX_ARCHIVE_BYTES = MAX_TOTAL_BYTES + 2 * 1024 * 1024
"""The largest archive read at all: every member stored, plus room for the zip's headers."""
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
"""The compression methods a member may use; anything else is refused unread."""
_CHUNK = 64 * 1024
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_PY_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------- the manifest


class ManifestFile(BaseModel):
    """Where one kata's file is in the archive, and its SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    sha256: str = Field(pattern=_SHA256.pattern)


class ManifestVerdict(BaseModel):
    """The learner's own last verdict for a kata (information only, never trusted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status
    passed: int = Field(ge=0)
    """Checks passed."""
    total: int = Field(ge=0)
    """Checks run."""
    at: datetime
    solved_at: datetime | None = None
    """The learner's first pass, if any."""
    late: bool = False
    """The first pass came after the due date."""
    code_sha256: str | None = None
    """Of the code that verdict graded: equal to the file's hash when it is the submitted one."""


class Manifest(BaseModel):
    """``manifest.json``: who submitted what, for which assignment, with which tools."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = FORMAT
    learner: str = Field(min_length=1)
    assignment_id: str
    assignment_title: str
    assignment_sha256: str | None = None
    """Of the learner's copy of ``assignment.yaml``: shows which version they worked from."""
    created_at: datetime
    trainer_version: str
    torch_version: str | None = None
    python: str
    files: dict[str, ManifestFile] = Field(default_factory=dict)
    verdicts: dict[str, ManifestVerdict] = Field(default_factory=dict)

    @field_validator("files")
    @classmethod
    def _file_paths(cls, value: dict[str, ManifestFile]) -> dict[str, ManifestFile]:
        for kata_id, entry in value.items():
            if not KEBAB_CASE.match(kata_id):
                raise ValueError(f"{kata_id!r} is not a kata id")
            parts = PurePosixPath(entry.path).parts
            if len(parts) != 3 or parts[:2] != (FILES_DIR, kata_id) or not _PY_FILE.match(parts[2]):
                raise ValueError(
                    f"{kata_id}: path {entry.path!r} should be {FILES_DIR}/{kata_id}/<name>.py"
                )
        return value


# --------------------------------------------------------------------------- writing


def default_name(learner: str, assignment_id: str) -> str:
    """``<learner>.<assignment-id>.katas.zip``, the learner part reduced to safe characters."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", learner).strip("-") or "learner"
    return f"{slug}.{assignment_id}.katas.zip"


def _torch_version() -> str | None:
    """From the installed package's metadata: the parent process never imports torch."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def _verdict(attempts: list[Attempt], loaded: LoadedAssignment) -> ManifestVerdict | None:
    own = [a for a in attempts if not a.review]
    if not own:
        return None
    last = own[-1]
    first_pass = next((a for a in own if a.passed), None)
    solved_at = first_pass.at if first_pass else None
    return ManifestVerdict(
        status=last.status,
        passed=last.checks_passed,
        total=last.checks_total,
        at=last.at,
        solved_at=solved_at,
        late=loaded.is_late(solved_at),
        code_sha256=last.code_sha256,
    )


def build_manifest(
    workspace: Workspace, loaded: LoadedAssignment, learner: str, now: datetime
) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest and the member bytes (archive path -> content) for ``workspace``.

    Raises :class:`SubmissionError` for a learner file over the size a reader accepts, and
    ``ValueError`` for an unusable learner name.
    """
    name = clean_learner_name(learner)
    attempts: dict[str, list[Attempt]] = {}
    for attempt in workspace.progress.attempts():
        attempts.setdefault(attempt.kata_id, []).append(attempt)
    files: dict[str, ManifestFile] = {}
    verdicts: dict[str, ManifestVerdict] = {}
    members: dict[str, bytes] = {}
    for kata in loaded.katas:
        source = workspace.file_for(kata)
        if source.is_file():
            data = source.read_bytes()
            if len(data) > MAX_MEMBER_BYTES:
                raise SubmissionError(
                    f"{source} is {len(data)} bytes; a submitted file may be at most "
                    f"{MAX_MEMBER_BYTES} bytes"
                )
            member = f"{FILES_DIR}/{kata.id}/{kata.spec.file}"
            files[kata.id] = ManifestFile(path=member, sha256=sha256_hex(data))
            members[member] = data
        verdict = _verdict(attempts.get(kata.id, []), loaded)
        if verdict is not None:
            verdicts[kata.id] = verdict
    manifest = Manifest(
        learner=name,
        assignment_id=loaded.id,
        assignment_title=loaded.title,
        assignment_sha256=loaded.sha256,
        created_at=now,
        trainer_version=__version__,
        torch_version=_torch_version(),
        python=platform.python_version(),
        files=files,
        verdicts=verdicts,
    )
    return manifest, members


def archive_bytes(manifest: Manifest, members: dict[str, bytes]) -> bytes:
    """The zip as bytes: sorted members, stored, fixed times and permissions."""
    entries = {**members, MANIFEST_NAME: (manifest.model_dump_json(indent=2) + "\n").encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, wherever it is written, so the bytes do not vary
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, entries[name])
    return buffer.getvalue()


def write_submission(
    workspace: Workspace,
    loaded: LoadedAssignment,
    learner: str,
    out: Path | None,
    *,
    now: datetime | None = None,
) -> Path:
    """Write the submission archive to ``out`` (default: :func:`default_name` in the current
    folder), replacing any earlier one atomically; return its absolute path."""
    moment = now if now is not None else workspace.clock()
    manifest, members = build_manifest(workspace, loaded, learner, moment)
    target = (out or Path(default_name(manifest.learner, loaded.id))).expanduser().resolve()
    if target.is_dir():
        target = target / default_name(manifest.learner, loaded.id)
    try:
        atomic_write(target, archive_bytes(manifest, members))
    except OSError as exc:
        raise SubmissionError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


FileState = Literal["graded", "changed", "never-graded", "starter"]
"""Where a submitted file stands by the learner's own gradings: ``graded`` (this very code,
:attr:`SubmittedFile.verdict` says how it went), ``changed`` since the last grading,
``never-graded`` (edited, never graded), or the ``starter`` unchanged, which ``katas grade``
scores as not-attempted without grading it."""


@dataclass(frozen=True)
class SubmittedFile:
    """One file in a submission, and what the learner knows of it before handing it in."""

    kata_id: str
    state: FileState
    verdict: ManifestVerdict | None
    """The learner's last grading of the kata (of this code only when ``state`` is graded)."""


def file_states(manifest: Manifest, loaded: LoadedAssignment) -> list[SubmittedFile]:
    """Each file ``manifest`` lists, in the assignment's order, with its :data:`FileState`:
    a status shown for a kata must be the status of the file handed in, not of an earlier one.
    """
    found = []
    for kata in loaded.katas:
        entry = manifest.files.get(kata.id)
        if entry is None:
            continue
        verdict = manifest.verdicts.get(kata.id)
        try:
            starter = sha256_hex(kata.starter.read_bytes())
        except OSError:  # a pack without its starter: nothing to compare with
            starter = None
        state: FileState
        if entry.sha256 == starter:
            state = "starter"
        elif verdict is None:
            state = "never-graded"
        elif verdict.code_sha256 == entry.sha256:
            state = "graded"
        else:
            state = "changed"
        found.append(SubmittedFile(kata.id, state, verdict))
    return found


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Submission:
    """A submission that was safe to read. ``files`` maps kata ids to the bytes found."""

    path: Path
    manifest: Manifest
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Worth reporting, not fatal: hash mismatches, missing files, unlisted entries."""

    def file_name(self, kata_id: str) -> str | None:
        """The learner file's name for ``kata_id`` as submitted (``silu.py``)."""
        entry = self.manifest.files.get(kata_id)
        return PurePosixPath(entry.path).name if entry else None

    def extract(self, kata_id: str, folder: Path) -> Path | None:
        """Write ``kata_id``'s file into ``folder`` under its own name; None if not submitted."""
        name = self.file_name(kata_id)
        if name is None or kata_id not in self.files:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        target.write_bytes(self.files[kata_id])
        return target


def _safe_name(name: str) -> str | None:
    """Why an entry name is unsafe to use, or None when it is a plain relative path."""
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "climbs out of the archive with '..'"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' path part"
    if any(not p.isprintable() for p in parts):
        return "holds control characters"
    return None


def _kind_problem(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if not info.is_dir() and info.compress_type not in METHODS:
        return (
            f"is compressed with method {info.compress_type}; a submission's members are "
            "stored or deflated (as `katas submit` writes them)"
        )
    return None


def _entries(where: str, archive: zipfile.ZipFile) -> Iterator[zipfile.ZipInfo]:
    """The file entries, after every check that needs no reading."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SubmissionError(
            f"{where}: holds {len(infos)} entries; a submission holds at most {MAX_MEMBERS}"
        )
    seen: set[str] = set()
    declared = 0
    for info in infos:
        problem = _safe_name(info.filename) or _kind_problem(info)
        if problem:
            raise SubmissionError(f"{where}: entry {info.filename!r} {problem}")
        if info.filename in seen:
            raise SubmissionError(f"{where}: entry {info.filename!r} appears twice")
        seen.add(info.filename)
        if info.is_dir():
            continue
        declared += info.file_size
        if info.file_size > MAX_MEMBER_BYTES:
            raise SubmissionError(
                f"{where}: entry {info.filename!r} is {info.file_size} bytes uncompressed; "
                f"at most {MAX_MEMBER_BYTES} per file"
            )
        if declared > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{where}: more than {MAX_TOTAL_BYTES} bytes uncompressed in all")
        yield info


class _Budget:
    """What is left of :data:`MAX_TOTAL_BYTES` for the archive's decompressed bytes."""

    def __init__(self) -> None:
        self.left = MAX_TOTAL_BYTES


def _read_member(
    where: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> bytes:
    """At most the caps, whatever the header claims (a zip bomb lies about its sizes), read
    in chunks so no more than one chunk past a cap is ever inflated."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                budget.left -= len(chunk)
                if size > MAX_MEMBER_BYTES:
                    raise SubmissionError(
                        f"{where}: entry {info.filename!r} holds more than {MAX_MEMBER_BYTES} bytes"
                    )
                if budget.left < 0:
                    raise SubmissionError(
                        f"{where}: more than {MAX_TOTAL_BYTES} bytes uncompressed in all"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{where}: entry {info.filename!r} is corrupt: {exc}") from None
    return b"".join(chunks)


def check_archive_size(path: Path) -> int:
    """The archive's size from ``stat``, or :class:`SubmissionError` when it is too large to
    be a submission (nothing of it is read)."""
    where = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SubmissionError(f"{where}: no such file") from None
    except OSError as exc:
        raise SubmissionError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    if size > MAX_ARCHIVE_BYTES:
        raise SubmissionError(
            f"{where}: is {size} bytes; a submission archive is at most {MAX_ARCHIVE_BYTES}"
        )
    return size


def _manifest(where: str, raw: bytes) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{where}: {MANIFEST_NAME} is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{where}: {MANIFEST_NAME} is not JSON: {exc.msg} (line {exc.lineno})"
        ) from None
    if not isinstance(data, dict):
        raise SubmissionError(f"{where}: {MANIFEST_NAME} should hold a JSON object")
    version = data.get("format")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
        raise SubmissionError(
            f"{where}: made by a newer torch-katas (manifest format {version}, this one "
            f"reads {FORMAT}); upgrade torch-katas"
        )
    if version != FORMAT:
        raise SubmissionError(
            f"{where}: {MANIFEST_NAME} is not a torch-katas submission manifest "
            f"(format {version!r}, expected {FORMAT})"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SubmissionError(f"{where}: {MANIFEST_NAME}: field '{loc}': {message}{more}") from None


def read_submission(path: Path) -> Submission:
    """Read and check a submission archive; raise :class:`SubmissionError` when unusable."""
    where = str(path)
    if path.is_dir():
        raise SubmissionError(f"{where}: is a folder, not a submission archive")
    check_archive_size(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise SubmissionError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise SubmissionError(f"{where}: is a folder, not a submission archive") from None
    except zipfile.BadZipFile:
        raise SubmissionError(f"{where}: not a zip archive") from None
    except (OSError, EOFError, ValueError) as exc:
        raise SubmissionError(f"{where}: cannot be read as a zip archive: {exc}") from None
    with archive:
        entries = {info.filename: info for info in _entries(where, archive)}
        if MANIFEST_NAME not in entries:
            raise SubmissionError(f"{where}: has no {MANIFEST_NAME}; is it a katas submission?")
        budget = _Budget()
        manifest = _manifest(where, _read_member(where, archive, entries[MANIFEST_NAME], budget))
        files: dict[str, bytes] = {}
        problems: list[str] = []
        listed = {MANIFEST_NAME}
        for kata_id, entry in manifest.files.items():
            listed.add(entry.path)
            info = entries.get(entry.path)
            if info is None:
                problems.append(f"{kata_id}: {entry.path} is listed but not in the archive")
                continue
            data = _read_member(where, archive, info, budget)
            if sha256_hex(data) != entry.sha256:
                problems.append(
                    f"{kata_id}: {entry.path} does not match its hash in the manifest "
                    "(changed after submitting); graded as found"
                )
            files[kata_id] = data
        for name in sorted(set(entries) - listed):
            if not entries[name].is_dir():
                problems.append(f"unexpected entry {name!r} (ignored)")
    return Submission(path, manifest, files, problems)
