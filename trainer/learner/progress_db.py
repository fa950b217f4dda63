"""The SQLite file under the progress store: opening it safely, its schema and migrations.

``<workspace>/.katas/progress.db`` is an SQLite database in WAL mode, so readers never block the
writer and a second process (the TUI next to ``katas check``) works at the same time. Every write
is one ``BEGIN IMMEDIATE`` transaction, waiting up to :data:`BUSY_TIMEOUT` seconds for another
writer; with ``synchronous=FULL`` a committed transaction survives a crash or ``kill -9`` of the
writer, and an interrupted one leaves no trace.

The schema version is ``PRAGMA user_version``; the store's migrations (``trainer.learner.progress``)
are applied in order, inside the transaction that bumps the version, so an older store migrates
in one step or not at all. ``PRAGMA application_id`` marks the file as ours.

Opening checks the file first (:func:`inspect`). A file that is not SQLite, is damaged, or is
another program's database is never fatal and never deleted: :func:`set_aside` renames it (with
its ``-wal``) to ``progress.db.corrupt-<UTC stamp>`` and a fresh store starts. A store written by
a newer torch-katas is refused (:class:`ProgressError`) rather than downgraded. Opening holds an
``flock`` on ``.katas/progress.lock`` so two processes never set the same file aside twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

from trainer.errors import ProgressError

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT",
    "V1_SQL",
    "V2_SQL",
    "V3_SQL",
    "Migration",
    "connect",
    "from_db",
    "inspect",
    "is_corruption",
    "locked",
    "migrate",
    "set_aside",
    "statements",
    "to_db",
]

APPLICATION_ID = 0x6B617461
"""``PRAGMA application_id`` of a torch-katas progress store ("kata" in ASCII)."""

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's transaction before giving up."""

SQLITE_HEADER = b"SQLite format 3\x00"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db(moment: datetime) -> str:
    """A UTC timestamp in one fixed-width format, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("progress timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def from_db(text: str) -> datetime:
    # fromisoformat reads the fixed format ten times faster than strptime (every row of the
    # store is parsed when the trainer starts); anything else goes to strptime, which says why
    if len(text) == 27 and text.endswith("Z"):
        try:
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)


# -- schema ---------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]

V1_SQL = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        kata_id TEXT NOT NULL,
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        checks_passed INTEGER NOT NULL,
        checks_total INTEGER NOT NULL,
        duration REAL NOT NULL,
        device TEXT NOT NULL,
        code_sha256 TEXT,
        starter INTEGER NOT NULL DEFAULT 0,
        imported INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX attempts_by_kata ON attempts (kata_id, id)",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kata_id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail INTEGER
    )""",
    "CREATE INDEX events_by_kata ON events (kata_id, id)",
)
"""Schema 1: graded attempts and events (``opened``, ``hint``, ``solution``, ``reset``)."""

V2_SQL = (
    "ALTER TABLE attempts ADD COLUMN review INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        kata_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        seconds REAL NOT NULL
    )""",
    "CREATE INDEX sessions_by_kata ON sessions (kata_id)",
    """CREATE TABLE cards (
        kata_id TEXT PRIMARY KEY,
        state INTEGER NOT NULL,
        step INTEGER,
        stability REAL,
        difficulty REAL,
        due TEXT NOT NULL,
        last_review TEXT,
        review_opened_at TEXT
    )""",
    """CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        kata_id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        rating TEXT NOT NULL,
        due TEXT NOT NULL
    )""",
    "CREATE INDEX reviews_by_kata ON reviews (kata_id, id)",
)
"""Schema 2: review attempts, time spent, FSRS cards and the review log."""

V3_SQL = ("ALTER TABLE sessions ADD COLUMN front_end TEXT",)
"""Schema 3: which front end had the kata open (NULL for time recorded before), so time in the
TUI is not told as time in ``katas watch``."""


def statements(*sql: str) -> Migration:
    """A migration that runs ``sql`` statements in order (inside the caller's transaction)."""

    def apply(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return apply


# -- opening --------------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are explicit (``BEGIN IMMEDIATE``)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or not a database (not merely busy or locked)."""
    if isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    text = str(exc)
    return "malformed" in text or "not a database" in text


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive ``flock`` between processes, held while the file is checked and migrated."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def inspect(path: Path, latest: int) -> str | None:
    """Why the file at ``path`` cannot be our store, or None if it is usable (or absent).

    Raises :class:`ProgressError` for a store from a newer torch-katas, and lets a busy or
    locked database's ``sqlite3.OperationalError`` through: neither is damage.
    """
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    if not header:
        return None  # an empty file is an empty database
    if header != SQLITE_HEADER:
        return "it is not an SQLite database"
    try:
        with contextlib.closing(connect(path)) as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                return f"it is damaged ({check})"
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.Error as exc:
        if is_corruption(exc):
            return f"it is damaged ({exc})"
        raise
    if app_id == 0 and version == 0 and objects == 0:
        return None
    if app_id != APPLICATION_ID:
        return "it is another program's database"
    if version > latest:
        raise ProgressError(
            f"{path} was written by a newer torch-katas (schema {version}, this one reads up to "
            f"{latest}); upgrade torch-katas"
        )
    return None


def set_aside(path: Path, now: datetime) -> Path:
    """Rename ``path`` (and its ``-wal``) to a fresh ``.corrupt-<stamp>`` name; return it."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():  # the caller holds the lock, so no one else is renaming now
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    path.rename(target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        wal.rename(target.with_name(target.name + "-wal"))
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    return target


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Apply ``migrations[user_version:]`` in one transaction; return the version found.

    ``migrations[n]`` takes a store from schema ``n`` to ``n + 1``; a published one is never
    edited, only followed by a new one.
    """
    latest = len(migrations)
    conn.execute("PRAGMA journal_mode = WAL")  # persistent; cannot change inside a transaction
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == latest:
        return latest  # the common case takes no write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > latest:
            raise ProgressError(
                f"the progress store was written by a newer torch-katas (schema {version}); "
                "upgrade torch-katas"
            )
        for migration in migrations[version:]:
            migration(conn)
        if version != latest:
            conn.execute(f"PRAGMA user_version = {latest}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version
