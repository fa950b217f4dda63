"""Per-workspace learner state: hints revealed, last verdict, when each kata was solved.

Kept in ``<workspace>/.katas/state.json`` until the SQLite progress store arrives. The TUI,
``katas watch`` and ``katas check`` may run at once in one workspace, so every change is a
read-modify-write under an exclusive ``flock`` on ``.katas/lock``, and every write is atomic
(temp file in the same folder, fsync, ``os.replace``): a crash leaves the old file, never a
half-written one. Locking uses ``fcntl``, so this module is POSIX-only, like the forking grader.

A file we cannot read (corrupt, or written by a newer torch-katas) is never fatal and never
deleted: it is renamed to ``state.json.corrupt-<UTC timestamp>``, a fresh state starts, and a
:class:`StateNotice` says so (see :meth:`StateStore.take_notices`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trainer.atomic import atomic_write

__all__ = [
    "STATE_VERSION",
    "KataState",
    "KataStatus",
    "StateNotice",
    "StateStore",
    "WorkspaceState",
]

STATE_VERSION = 1
"""The ``version`` this trainer writes and understands in ``state.json``."""

KataStatus = Literal["new", "attempted", "solved"]


class KataState(BaseModel):
    """What we remember about one kata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hints_revealed: int = Field(default=0, ge=0)
    last_status: str | None = None
    solved_at: datetime | None = None
    attempts: int = Field(default=0, ge=0)


class WorkspaceState(BaseModel):
    """The whole of ``state.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = STATE_VERSION
    katas: dict[str, KataState] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != STATE_VERSION:
            raise ValueError(f"state version {value} is not {STATE_VERSION}")
        return value

    def kata(self, kata_id: str) -> KataState:
        return self.katas.get(kata_id) or KataState()


@dataclass(frozen=True)
class StateNotice:
    """Something the learner should be told, e.g. that an unreadable state file was set aside."""

    message: str
    moved_to: Path | None = None

    def __str__(self) -> str:
        return self.message


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class StateStore:
    """Reads and updates ``<workspace_dir>/.katas/state.json`` safely between processes."""

    def __init__(self, workspace_dir: Path) -> None:
        self.dir = workspace_dir / ".katas"
        self.path = self.dir / "state.json"
        self.lock_path = self.dir / "lock"
        self._notices: list[StateNotice] = []

    # ------------------------------------------------------------------ notices

    @property
    def notices(self) -> tuple[StateNotice, ...]:
        return tuple(self._notices)

    def take_notices(self) -> list[StateNotice]:
        """Notices since the last call, for the UI to show once."""
        taken, self._notices = self._notices, []
        return taken

    # ------------------------------------------------------------------ reading

    def load(self) -> WorkspaceState:
        """The current state; a missing file is an empty state, a bad one is set aside."""
        state = self._parse()
        if state is not None:
            return state
        with self._locked():
            return self._read_locked()

    def kata(self, kata_id: str) -> KataState:
        return self.load().kata(kata_id)

    def status_of(self, kata_id: str) -> KataStatus:
        kata = self.kata(kata_id)
        if kata.solved_at is not None:
            return "solved"
        if kata.attempts or kata.last_status is not None:
            return "attempted"
        return "new"

    # ------------------------------------------------------------------ updates

    def reveal_hint(self, kata_id: str, total_hints: int) -> int:
        """Reveal the next hint; return its 0-based index (the last one again once all are out)."""
        if total_hints < 1:
            raise ValueError("a kata has at least one hint")
        revealed = 0

        def change(kata: KataState) -> KataState:
            nonlocal revealed
            revealed = min(kata.hints_revealed, total_hints - 1)
            count = max(kata.hints_revealed, revealed + 1)
            return kata.model_copy(update={"hints_revealed": count})

        self._update(kata_id, change)
        return revealed

    def record_verdict(self, kata_id: str, status: str, *, at: datetime | None = None) -> None:
        """Count a graded attempt; the first ``passed`` sets ``solved_at`` for good."""
        when = at or _utc_now()

        def change(kata: KataState) -> KataState:
            update: dict[str, object] = {"last_status": status, "attempts": kata.attempts + 1}
            if status == "passed" and kata.solved_at is None:
                update["solved_at"] = when
            return kata.model_copy(update=update)

        self._update(kata_id, change)

    def _update(self, kata_id: str, change: Callable[[KataState], KataState]) -> KataState:
        with self._locked():
            state = self._read_locked()
            new = change(state.kata(kata_id))
            self._write_locked(state.model_copy(update={"katas": {**state.katas, kata_id: new}}))
            return new

    # ------------------------------------------------------------------ file handling

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive lock between processes; not re-entrant, so never nest it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _parse(self) -> WorkspaceState | None:
        """The state on disk, an empty one if there is no file, None if it is unreadable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return WorkspaceState()
        try:
            return WorkspaceState.model_validate_json(raw)
        except ValidationError:
            return None

    def _read_locked(self) -> WorkspaceState:
        state = self._parse()
        if state is not None:
            return state
        moved = self._set_aside()
        self._notices.append(
            StateNotice(
                f"{self.path} could not be read (corrupt, or from a newer torch-katas); "
                f"it was moved to {moved.name} and a fresh state started",
                moved,
            )
        )
        return WorkspaceState()

    def _set_aside(self) -> Path:
        stamp = _utc_now().strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():  # we hold the lock, so no one else is renaming now
            counter += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
        self.path.rename(target)
        return target

    def _write_locked(self, state: WorkspaceState) -> None:
        atomic_write(self.path, (state.model_dump_json(indent=2) + "\n").encode("utf-8"))
