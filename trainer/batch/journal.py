"""The resume journal: one JSON line per graded file, appended, flushed and fsynced at once.

A re-run of the same batch reuses every entry whose key still matches, so a batch killed at
any moment (power cut, SIGKILL, a CI job's time limit) loses at most the gradings in flight.
The key is (learner, kata, sha256 of the file, grading key); the grading key covers the kata's
checks fingerprint, the device, and any timeout or memory override, so changing what grades a
file re-grades it instead of reusing a stale verdict. Points are not in the key: they are
applied when the gradebook is written.

Lines that do not parse (the last one, cut off by a kill) are skipped; the next append starts
on a fresh line. The first line is a header naming the assignment and shard, so two different
batches cannot share one folder by mistake.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from trainer.errors import JournalError
from trainer.grading.verdict import Verdict

__all__ = ["JOURNAL_NAME", "Journal", "JournalEntry", "grading_key"]

JOURNAL_NAME = "journal.jsonl"

EntryKey = tuple[str, str, str, str]


class _Header(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["header"] = "header"
    journal: Literal[1] = 1
    assignment: str
    shard: str | None


class JournalEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["result"] = "result"
    learner: str
    kata_id: str
    file_sha256: str
    key: str
    verdict: Verdict

    @property
    def ident(self) -> EntryKey:
        return (self.learner, self.kata_id, self.file_sha256, self.key)


def grading_key(fingerprint: str, device: str, timeout: float | None, memory_mb: int | None) -> str:
    """What, besides the file, decides a verdict; a change means the file is graded again."""
    text = json.dumps([fingerprint, device, timeout, memory_mb])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Journal:
    """The journal of one batch folder; appends are safe from several grading threads."""

    def __init__(self, folder: Path, assignment: str, shard: str | None) -> None:
        self.path = folder / JOURNAL_NAME
        self._header = _Header(assignment=assignment, shard=shard)
        self._entries: dict[EntryKey, Verdict] = {}
        self._lock = threading.Lock()
        self.skipped = 0
        """Lines that did not parse (normally only a last line cut off by a kill)."""
        needs_newline = self._load()
        self._file = self.path.open("ab")
        if needs_newline:
            self._write(b"\n")
        if self._file.tell() == 0:
            self._write(self._header.model_dump_json().encode() + b"\n")

    def _load(self) -> bool:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        lines = data.splitlines()
        header: _Header | None = None
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                if number == 0:
                    header = _Header.model_validate_json(line)
                    continue
                entry = JournalEntry.model_validate_json(line)
            except (ValidationError, ValueError):
                self.skipped += 1
                continue
            self._entries[entry.ident] = entry.verdict
        if header is not None and header != self._header:
            shard = f" shard {header.shard}" if header.shard else ""
            raise JournalError(
                f"{self.path.parent} holds the batch of assignment {header.assignment!r}{shard}; "
                "use another --out folder for this one"
            )
        return bool(data) and not data.endswith(b"\n")

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, learner: str, kata_id: str, file_sha256: str, key: str) -> Verdict | None:
        return self._entries.get((learner, kata_id, file_sha256, key))

    def append(self, entry: JournalEntry) -> None:
        """Record one verdict durably before anything else learns of it."""
        line = entry.model_dump_json().encode() + b"\n"
        with self._lock:
            self._write(line)
            self._entries[entry.ident] = entry.verdict

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
