"""The learner's workspace: their kata files plus ``.katas/`` (progress, backups).

A folder is a workspace when it holds ``.katas/workspace.json``. ``katas`` finds one by:

1. ``KATAS_WORKSPACE``, when set: that folder, created if need be;
2. else walking up from the current folder, like git finds ``.git``;
3. else the default, ``~/pytorch-katas`` (see :func:`default_root`), created on first use
   (``locate`` reports that it created it so the CLI can say where).

Learner files live at ``<root>/<topic>/<kata-id>/<file>``. A starter is written only when
the file does not exist yet, and ``reset`` always backs the learner's file up first: their
work is never overwritten without a copy under ``.katas/backups/``.

A review (``katas review``) works on a fresh copy of the starter at
``<root>/<topic>/<kata-id>/review/<file>``: beside the kata, so it is easy to find and compare,
in its own folder, so the solution the learner wrote the first time stays untouched and the file
keeps the name (and so the module name) the kata's checks expect. An earlier review file is
backed up before it is replaced.

The workspace's progress (:attr:`Workspace.progress`) is the SQLite store in
``.katas/progress.db``; opening a kata's file for the first time, and a reset, are recorded there.

A workspace made from an assignment (``katas init --assignment FILE``) also holds a copy of the
``assignment.yaml`` and ``assignment.json`` (the learner's name, where the packs are) in
``.katas/``; :attr:`Workspace.assignment` reads them and :attr:`Workspace.rules` gives the rules
the CLI and the TUI apply. Its ``workspace.json`` says version 2, so a torch-katas from before
assignments refuses it instead of ignoring its rules; plain workspaces stay at version 1.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from trainer.atomic import atomic_write, write_new
from trainer.coursework.assignment import LoadedAssignment, Rules, WorkspaceAssignment
from trainer.errors import AssignmentError, WorkspaceError
from trainer.kata.catalog import Catalog
from trainer.kata.model import KEBAB_CASE, Kata
from trainer.learner.progress import Clock, ProgressStore, utc_now

__all__ = [
    "ASSIGNMENT_WORKSPACE_VERSION",
    "DEFAULT_DIRNAME",
    "WORKSPACE_ENV",
    "WORKSPACE_VERSION",
    "Workspace",
    "WorkspaceMeta",
    "default_root",
]

WORKSPACE_ENV = "KATAS_WORKSPACE"
WORKSPACE_VERSION = 1
"""The layout version a plain workspace is written with."""
ASSIGNMENT_WORKSPACE_VERSION = 2
"""A workspace made from an assignment: older trainers must refuse it, not ignore its rules."""
NEWEST_VERSION = ASSIGNMENT_WORKSPACE_VERSION
"""The newest layout this trainer understands."""
DEFAULT_DIRNAME = "pytorch-katas"
DOT_DIR = ".katas"
META_FILE = "workspace.json"
REVIEW_DIR = "review"
LAST_OPENED_FILE = "last-opened"
"""In ``.katas/``: the id of the kata ``katas`` or ``katas watch`` opened last."""


class WorkspaceMeta(BaseModel):
    """``.katas/workspace.json``: marks the folder as a workspace and versions its layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = WORKSPACE_VERSION
    created_at: datetime | None = None


def default_root(environ: Mapping[str, str] = os.environ) -> Path:
    """``~/pytorch-katas``: where a workspace is created when none is found.

    A visible folder in the home directory, because the learner edits files in it.
    """
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return (Path(home) if home else Path.home()) / DEFAULT_DIRNAME


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


@dataclass(frozen=True)
class Workspace:
    """A workspace rooted at ``root`` (absolute). Build one with ``find``/``init``/``locate``."""

    root: Path
    clock: Clock = field(default=utc_now, compare=False, repr=False)
    """The time every progress record gets (tests fix it with :meth:`with_clock`)."""

    def with_clock(self, clock: Clock) -> Workspace:
        """The same workspace, recording progress at the times ``clock`` gives."""
        return replace(self, clock=clock)

    @property
    def dot_dir(self) -> Path:
        return self.root / DOT_DIR

    @property
    def meta_path(self) -> Path:
        return self.dot_dir / META_FILE

    @property
    def backups_dir(self) -> Path:
        return self.dot_dir / "backups"

    @cached_property
    def progress(self) -> ProgressStore:
        """The progress store in ``.katas/progress.db`` (opened, and checked, on first use)."""
        return ProgressStore(self.dot_dir, clock=self.clock)

    # ------------------------------------------------------------------ finding

    @classmethod
    def find(
        cls, start: Path | None = None, environ: Mapping[str, str] = os.environ
    ) -> Workspace | None:
        """``KATAS_WORKSPACE`` (created if missing), else the nearest workspace above ``start``,
        else the default workspace if it exists (never created here: reading commands use this).
        """
        from_env = cls._from_env(environ)
        if from_env is not None:
            return from_env[0]
        here = (start or Path.cwd()).resolve()
        default = default_root(environ)
        for folder in (here, *here.parents, default):
            if (folder / DOT_DIR / META_FILE).is_file():
                return cls.init(folder)
        return None

    @classmethod
    def locate(
        cls, environ: Mapping[str, str] = os.environ, cwd: Path | None = None
    ) -> tuple[Workspace, bool]:
        """The workspace to use, creating the default one if none is found.

        The flag says whether a new workspace was created, so the CLI can say where.
        """
        from_env = cls._from_env(environ)
        if from_env is not None:
            return from_env
        found = cls.find(cwd, environ={})
        if found is not None:
            return found, False
        root = default_root(environ)
        created = not (root / DOT_DIR / META_FILE).is_file()
        return cls.init(root), created

    @classmethod
    def _from_env(cls, environ: Mapping[str, str]) -> tuple[Workspace, bool] | None:
        value = environ.get(WORKSPACE_ENV, "")
        if not value:
            return None
        root = Path(value).expanduser()
        created = not (root / DOT_DIR / META_FILE).is_file()
        try:
            return cls.init(root), created
        except WorkspaceError as exc:
            raise WorkspaceError(f"{WORKSPACE_ENV}={value}: {exc}") from None

    @classmethod
    def init(cls, root: Path) -> Workspace:
        """Make ``root`` a workspace (``katas init [DIR]``); harmless if it already is one.

        An unreadable ``workspace.json`` is rewritten (it holds only the layout version);
        one from a newer torch-katas is refused rather than downgraded.
        """
        root = root.expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} is a file, not a folder")
        workspace = cls(root)
        try:
            workspace.dot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create {workspace.dot_dir}: {exc.strerror}") from None
        meta = workspace._read_meta()
        if meta is not None and meta.version > NEWEST_VERSION:
            raise WorkspaceError(
                f"{root} was made by a newer torch-katas (workspace version {meta.version}); "
                "upgrade torch-katas"
            )
        if meta is None:
            fresh = WorkspaceMeta(created_at=datetime.now(timezone.utc))
            data = (fresh.model_dump_json(indent=2) + "\n").encode("utf-8")
            try:
                atomic_write(workspace.meta_path, data)
            except OSError as exc:
                raise WorkspaceError(f"cannot write {workspace.meta_path}: {exc}") from None
        return workspace

    # ------------------------------------------------------------------ assignment

    @cached_property
    def assignment(self) -> WorkspaceAssignment | None:
        """The assignment this workspace was made from, or None for a plain workspace.

        A damaged or edited assignment copy is a :class:`WorkspaceError`: its rules must never
        silently fall away.
        """
        try:
            return WorkspaceAssignment.read(self.dot_dir)
        except AssignmentError as exc:
            raise WorkspaceError(str(exc)) from None

    @property
    def rules(self) -> Rules:
        """What the learner may do here (everything, without an assignment)."""
        found = self.assignment
        return found.rules if found is not None else Rules()

    def catalog(
        self, extra: Sequence[Path] = (), environ: Mapping[str, str] = os.environ
    ) -> Catalog:
        """The katas the learner sees here: the assignment's only, in a workspace made from one
        (``extra`` packs and ``KATAS_PATH`` are then ignored), else the default catalog."""
        found = self.assignment
        if found is not None:
            return found.catalog()
        return Catalog.default(extra=extra, environ=environ)

    def attach_assignment(self, loaded: LoadedAssignment, learner: str) -> WorkspaceAssignment:
        """Make this workspace the learner's copy of ``loaded`` and write its starters.

        Copies ``assignment.yaml`` into ``.katas/``, records ``learner`` and the pack folders,
        raises ``workspace.json`` to version 2, then writes each assigned kata's starter (never
        over an existing file). ``ValueError`` for an unusable learner name.
        """
        attached = WorkspaceAssignment.write(self.dot_dir, loaded, learner, self.clock())
        meta = self._read_meta() or WorkspaceMeta(created_at=self.clock())
        if meta.version < ASSIGNMENT_WORKSPACE_VERSION:
            upgraded = meta.model_copy(update={"version": ASSIGNMENT_WORKSPACE_VERSION})
            atomic_write(self.meta_path, (upgraded.model_dump_json(indent=2) + "\n").encode())
        self.__dict__["assignment"] = attached
        for kata in loaded.katas:
            self.open(kata)
        return attached

    def _read_meta(self) -> WorkspaceMeta | None:
        try:
            return WorkspaceMeta.model_validate_json(self.meta_path.read_bytes())
        except (OSError, ValidationError):
            return None

    # ------------------------------------------------------------------ learner files

    def file_for(self, kata: Kata) -> Path:
        """``<root>/<topic>/<kata-id>/<file>``: the file the learner edits."""
        return self.root / kata.topic / kata.id / kata.spec.file

    def review_file_for(self, kata: Kata) -> Path:
        """``<root>/<topic>/<kata-id>/review/<file>``: the file a review is done in."""
        return self.root / kata.topic / kata.id / REVIEW_DIR / kata.spec.file

    def open(self, kata: Kata) -> Path:
        """The learner's file, written from the starter the first time only (and recorded)."""
        target = self.file_for(kata)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            if write_new(target, kata.starter.read_bytes()):
                self.progress.record_opened(kata.id)
        return target

    def reset(self, kata: Kata) -> Path | None:
        """Back the learner's file up, then put the starter back; return the backup, if any."""
        target = self.file_for(kata)
        backup = self._back_up(kata, target) if target.exists() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, kata.starter.read_bytes())
        self.progress.record_reset(kata.id)
        return backup

    def open_review(self, kata: Kata) -> tuple[Path, Path | None]:
        """Write a fresh copy of the starter to the review file; return it and the backup.

        An earlier review file that differs from the starter is backed up first. The learner's
        kata file is not touched. Recording the review as started is the caller's part
        (:meth:`trainer.learner.progress.ProgressStore.start_review`).
        """
        target = self.review_file_for(kata)
        starter = kata.starter.read_bytes()
        backup = None
        if target.exists() and target.read_bytes() != starter:
            backup = self._back_up(kata, target, prefix="review-")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, starter)
        return target, backup

    # ------------------------------------------------------------------ the kata open last

    @property
    def last_opened_path(self) -> Path:
        return self.dot_dir / LAST_OPENED_FILE

    def remember_opened(self, kata_id: str) -> None:
        """Note ``kata_id`` as the kata a front end opened, as it opens it: the progress
        store's time record comes only when the learner leaves, and ``katas hint`` in another
        terminal must mean the kata ``katas watch`` has open now. Best effort: failing to note
        it must never stop a kata from opening."""
        with contextlib.suppress(OSError):
            atomic_write(self.last_opened_path, f"{kata_id}\n".encode())

    def last_opened(self) -> str | None:
        """The id :meth:`remember_opened` noted last; None if none (or the file is not one)."""
        try:
            text = self.last_opened_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text if KEBAB_CASE.match(text) else None

    def backups(self, kata: Kata) -> list[Path]:
        """This kata's backups, oldest first."""
        folder = self.backups_dir / kata.id
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def _back_up(self, kata: Kata, target: Path, prefix: str = "") -> Path:
        """Copy ``target`` to a fresh backup; an existing backup is never overwritten."""
        folder = self.backups_dir / kata.id
        folder.mkdir(parents=True, exist_ok=True)
        data = target.read_bytes()
        stamp = _utc_stamp()
        name = prefix + target.name
        backup = folder / f"{stamp}-{name}"
        counter = 1
        while not write_new(backup, data):
            counter += 1
            backup = folder / f"{stamp}-{counter}-{name}"
        return backup
