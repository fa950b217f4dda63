"""Progress that lasts: every graded attempt, hint, solution reveal, reset, review and minute.

:class:`ProgressStore` keeps a workspace's history in ``<workspace>/.katas/progress.db``, an
SQLite database (see :mod:`trainer.learner.progress_db` for the file's safety: WAL mode, one
transaction
per write, migrations, corrupt files set aside). Everything that grades records through it:
``katas check``, ``katas watch``, ``katas --plain`` and the TUI. What comes out is typed (frozen
dataclasses), never loose rows.

What the summaries mean (status, attempts, hints used …) is in :mod:`trainer.learner.history`. The
first pass gives the kata a review card, and each pass of an opened review reschedules it,
with a rating derived from what happened (:mod:`trainer.learner.review`).

A workspace from before this store kept ``.katas/state.json``; it is imported once, the first time
the store opens (see :func:`import_state_json`), then renamed ``state.json.imported``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer.errors import ProgressError
from trainer.grading.verdict import Status, Verdict
from trainer.learner import progress_db as db
from trainer.learner.history import (
    Attempt,
    Clock,
    Event,
    EventKind,
    FrontEnd,
    KataHistory,
    KataProgress,
    ProgressNotice,
    ProgressStatus,
    Recorded,
    ReviewCard,
    ReviewRecord,
    RoundKind,
    Session,
    review_evidence,
    sha256_hex,
    solve_evidence,
    summarize,
    utc_now,
)
from trainer.learner.progress_db import from_db, to_db
from trainer.learner.review import Grade, RoundEvidence, derive_rating, schedule

__all__ = [
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Attempt",
    "Clock",
    "Event",
    "EventKind",
    "FrontEnd",
    "KataProgress",
    "ProgressNotice",
    "ProgressStatus",
    "ProgressStore",
    "Recorded",
    "ReviewCard",
    "ReviewRecord",
    "Session",
    "sha256_hex",
    "utc_now",
]

log = logging.getLogger(__name__)

_EVENT_KINDS: frozenset[str] = frozenset(get_args(EventKind))

DB_NAME = "progress.db"
LEGACY_STATE = "state.json"

# -- rows -----------------------------------------------------------------------------------

_ATTEMPT_COLUMNS = (
    "id, kata_id, at, status, checks_passed, checks_total, duration, device, code_sha256, "
    "starter, review, imported"
)


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        return Status.FAILED


def _attempt(row: tuple[object, ...]) -> Attempt:
    (ident, kata_id, at, status, passed, total, duration, device, code, starter, review, imp) = row
    return Attempt(
        id=cast(int, ident),
        kata_id=cast(str, kata_id),
        at=from_db(cast(str, at)),
        status=_status(cast(str, status)),
        checks_passed=cast(int, passed),
        checks_total=cast(int, total),
        duration=cast(float, duration),
        device=cast(str, device),
        code_sha256=cast("str | None", code),
        starter=bool(starter),
        review=bool(review),
        imported=bool(imp),
    )


def _event(row: tuple[object, ...]) -> Event:
    ident, kata_id, at, kind, detail = row
    return Event(
        id=cast(int, ident),
        kata_id=cast(str, kata_id),
        at=from_db(cast(str, at)),
        kind=cast(EventKind, kind),
        detail=cast("int | None", detail),
    )


_SESSION_COLUMNS = "id, kata_id, started_at, seconds, front_end"
_FRONT_ENDS: frozenset[str] = frozenset(get_args(FrontEnd))


def _session(row: tuple[object, ...]) -> Session:
    ident, kata_id, started_at, seconds, front_end = row
    return Session(
        id=cast(int, ident),
        kata_id=cast(str, kata_id),
        started_at=from_db(cast(str, started_at)),
        seconds=cast(float, seconds),
        front_end=cast(FrontEnd, front_end) if front_end in _FRONT_ENDS else None,
    )


def _review(row: tuple[object, ...]) -> ReviewRecord:
    ident, kata_id, at, kind, grade, due = row
    return ReviewRecord(
        id=cast(int, ident),
        kata_id=cast(str, kata_id),
        at=from_db(cast(str, at)),
        kind=cast(RoundKind, kind),
        grade=Grade(cast(str, grade)),
        due=from_db(cast(str, due)),
    )


def _card(row: tuple[object, ...], log: Sequence[ReviewRecord]) -> ReviewCard:
    kata_id, state, step, stability, difficulty, due, last_review, opened = row
    return ReviewCard(
        kata_id=cast(str, kata_id),
        state=cast(int, state),
        step=cast("int | None", step),
        stability=cast("float | None", stability),
        difficulty=cast("float | None", difficulty),
        due=from_db(cast(str, due)),
        last_review=from_db(cast(str, last_review)) if last_review else None,
        review_opened_at=from_db(cast(str, opened)) if opened else None,
        reviews=sum(r.kind == "review" for r in log),
        last_grade=log[-1].grade if log else None,
    )


_WHERE_KATA = " WHERE kata_id = ?"


def _load(
    conn: sqlite3.Connection, kata_id: str | None = None, *, sessions: bool = True
) -> dict[str, KataHistory]:
    """Every kata's history (or one kata's), read in the caller's transaction; without its
    ``sessions`` when the table is not at the latest schema yet (inside a migration)."""
    where, args = (_WHERE_KATA, (kata_id,)) if kata_id is not None else ("", ())

    def rows(sql: str) -> list[tuple[object, ...]]:
        return list(conn.execute(sql + where + " ORDER BY id", args))

    attempts = [_attempt(r) for r in rows(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts")]
    events = [_event(r) for r in rows("SELECT id, kata_id, at, kind, detail FROM events")]
    times = (
        [_session(r) for r in rows(f"SELECT {_SESSION_COLUMNS} FROM sessions")] if sessions else []
    )
    reviews = [_review(r) for r in rows("SELECT id, kata_id, at, kind, rating, due FROM reviews")]
    card_rows = list(
        conn.execute(
            "SELECT kata_id, state, step, stability, difficulty, due, last_review, "
            "review_opened_at FROM cards" + where,
            args,
        )
    )
    ids = {a.kata_id for a in attempts} | {e.kata_id for e in events}
    ids |= {s.kata_id for s in times} | {r.kata_id for r in reviews}
    ids |= {cast(str, row[0]) for row in card_rows}
    if kata_id is not None:
        ids.add(kata_id)
    out: dict[str, KataHistory] = {}
    for ident in sorted(ids):
        log_ = tuple(r for r in reviews if r.kata_id == ident)
        card_row = next((row for row in card_rows if row[0] == ident), None)
        out[ident] = KataHistory(
            kata_id=ident,
            attempts=tuple(a for a in attempts if a.kata_id == ident),
            events=tuple(e for e in events if e.kata_id == ident),
            sessions=tuple(s for s in times if s.kata_id == ident),
            reviews=log_,
            card=_card(card_row, log_) if card_row is not None else None,
        )
    return out


def _history(conn: sqlite3.Connection, kata_id: str) -> KataHistory:
    return _load(conn, kata_id)[kata_id]


def _insert_attempt(conn: sqlite3.Connection, attempt: Attempt) -> Attempt:
    cursor = conn.execute(
        "INSERT INTO attempts (kata_id, at, status, checks_passed, checks_total, duration, "
        "device, code_sha256, starter, review, imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            attempt.kata_id,
            to_db(attempt.at),
            attempt.status.value,
            attempt.checks_passed,
            attempt.checks_total,
            attempt.duration,
            attempt.device,
            attempt.code_sha256,
            int(attempt.starter),
            int(attempt.review),
            int(attempt.imported),
        ),
    )
    return replace(attempt, id=cast(int, cursor.lastrowid))


def _insert_event(
    conn: sqlite3.Connection, kata_id: str, at: datetime, kind: EventKind, detail: int | None
) -> Event:
    if kind not in _EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    cursor = conn.execute(
        "INSERT INTO events (kata_id, at, kind, detail) VALUES (?, ?, ?, ?)",
        (kata_id, to_db(at), kind, detail),
    )
    return Event(cast(int, cursor.lastrowid), kata_id, at, kind, detail)


def _rate(
    conn: sqlite3.Connection,
    history: KataHistory,
    kind: RoundKind,
    evidence: RoundEvidence,
    at: datetime,
) -> tuple[Grade, ReviewCard]:
    """Rate the round, reschedule the card and log it; the round (if a review) is closed."""
    grade = derive_rating(evidence)
    previous = history.card.card_state if history.card else None
    new = schedule(history.kata_id, previous, grade, at)
    conn.execute(
        "INSERT INTO cards (kata_id, state, step, stability, difficulty, due, last_review, "
        "review_opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (kata_id) DO UPDATE SET "
        "state = excluded.state, step = excluded.step, stability = excluded.stability, "
        "difficulty = excluded.difficulty, due = excluded.due, "
        "last_review = excluded.last_review, review_opened_at = NULL",
        (
            history.kata_id,
            new.state,
            new.step,
            new.stability,
            new.difficulty,
            to_db(new.due),
            to_db(new.last_review) if new.last_review else None,
        ),
    )
    conn.execute(
        "INSERT INTO reviews (kata_id, at, kind, rating, due) VALUES (?, ?, ?, ?, ?)",
        (history.kata_id, to_db(at), kind, grade.value, to_db(new.due)),
    )
    card = _load(conn, history.kata_id, sessions=False)[history.kata_id].card  # (migrations too)
    assert card is not None
    return grade, card


def backfill_cards(conn: sqlite3.Connection, *, sessions: bool = True) -> None:
    """Give every solved kata without a review card one, rated from its history."""
    for history in _load(conn, sessions=sessions).values():
        first = history.first_pass
        if first is not None and history.card is None:
            _rate(conn, history, "solve", solve_evidence(history, first), first.at)


# -- migrations -----------------------------------------------------------------------------


def _v2(conn: sqlite3.Connection) -> None:
    db.statements(*db.V2_SQL)(conn)
    # katas solved before reviews existed; the sessions table is new (empty) here, and has not
    # the columns later schemas add
    backfill_cards(conn, sessions=False)


MIGRATIONS: tuple[db.Migration, ...] = (
    db.statements(*db.V1_SQL),
    _v2,
    db.statements(*db.V3_SQL),
)
"""Schema 1: attempts and events. Schema 2: review files, time spent, review cards. Schema 3:
the front end of each stretch of time spent."""

SCHEMA_VERSION = len(MIGRATIONS)


# -- the old state.json ---------------------------------------------------------------------


class _LegacyKata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hints_revealed: int = Field(default=0, ge=0)
    last_status: str | None = None
    solved_at: datetime | None = None
    attempts: int = Field(default=0, ge=0)


class _LegacyState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    katas: dict[str, _LegacyKata] = Field(default_factory=dict)


def _legacy_rows(kata_id: str, old: _LegacyKata, written: datetime) -> Iterator[Attempt | Event]:
    """Rows that reproduce what ``state.json`` counted (it kept counts, not history).

    A solved kata gets its failed attempts, then the pass at ``solved_at``, then (when the last
    status was not a pass) one more attempt with that status at the file's time. Hints count as
    revealed before the solve. Times the old file did not keep are the file's modification time.
    """
    solved = old.solved_at.astimezone(timezone.utc) if old.solved_at else None
    hint_at = solved - timedelta(microseconds=1) if solved else written
    for index in range(old.hints_revealed):
        yield Event(0, kata_id, hint_at, "hint", index)
    last = _status(old.last_status or "failed")

    def attempt(at: datetime, status: Status) -> Attempt:
        return Attempt(0, kata_id, at, status, 0, 0, 0.0, "", None, imported=True)

    if solved is None:
        for index in range(old.attempts):
            yield attempt(written, last if index == old.attempts - 1 else Status.FAILED)
        return
    trailing = last is not Status.PASSED and old.attempts >= 2
    for _ in range(max(0, old.attempts - 1 - trailing)):
        yield attempt(solved, Status.FAILED)
    yield attempt(solved, Status.PASSED)
    if trailing:
        yield attempt(max(written, solved), last)


def import_state_json(conn: sqlite3.Connection, path: Path) -> str | None:
    """Import the old ``state.json`` once (in the caller's transaction); return a notice."""
    done = conn.execute("SELECT value FROM meta WHERE key = 'state_json'").fetchone()
    if done is not None:
        return None
    try:
        raw = path.read_bytes()
        written = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except FileNotFoundError:
        return None
    try:
        state = _LegacyState.model_validate_json(raw)
    except ValidationError:
        conn.execute("INSERT INTO meta (key, value) VALUES ('state_json', 'unreadable')")
        return f"{path} could not be read, so it was not imported; it is left as it was"
    for kata_id, old in state.katas.items():
        for row in _legacy_rows(kata_id, old, written):
            if isinstance(row, Attempt):
                _insert_attempt(conn, row)
            else:
                _insert_event(conn, kata_id, row.at, row.kind, row.detail)
    conn.execute("INSERT INTO meta (key, value) VALUES ('state_json', 'imported')")
    backfill_cards(conn)
    return None


# -- the store ------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite failures into one-line :class:`ProgressError` messages (never a traceback)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            store = cast(ProgressStore, args[0])
            if db.is_corruption(exc):
                raise ProgressError(
                    f"the progress store {store.path} is damaged ({exc}); run the command again "
                    "to set it aside and start a fresh one"
                ) from None
            raise ProgressError(f"the progress store {store.path} is unusable: {exc}") from None
        except OSError as exc:
            raise ProgressError(
                f"cannot use the progress store: {exc.filename}: {exc.strerror}"
            ) from None

    return wrapper


class ProgressStore:
    """A workspace's progress: ``<dot_dir>/progress.db``, opened (and checked) on first use.

    Connections are opened per operation, so one store may be used from several threads and
    from a forked child; each write is one transaction. ``clock`` gives every record its time
    (tests pass a fixed one).
    """

    def __init__(self, dot_dir: Path, *, clock: Clock = utc_now) -> None:
        self.dir = dot_dir
        self.path = dot_dir / DB_NAME
        self.clock = clock
        self._ready = False
        self._notices: list[ProgressNotice] = []

    # ------------------------------------------------------------------ notices

    @property
    def notices(self) -> tuple[ProgressNotice, ...]:
        return tuple(self._notices)

    def take_notices(self) -> list[ProgressNotice]:
        """Notices since the last call, for the UI to show once."""
        taken, self._notices = self._notices, []
        return taken

    def _notice(self, message: str, moved_to: Path | None = None) -> None:
        self._notices.append(ProgressNotice(message, moved_to))
        log.warning("%s", message)

    # ------------------------------------------------------------------ opening

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the progress clock must return timezone-aware times")
        return now.astimezone(timezone.utc)

    def _prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with db.locked(self.dir / "progress.lock"):
            problem = db.inspect(self.path, SCHEMA_VERSION)
            if problem is not None:
                moved = db.set_aside(self.path, self._now())
                self._notice(
                    f"{self.path} could not be used ({problem}); it was moved to {moved.name} "
                    "and a fresh progress store started",
                    moved,
                )
            conn = db.connect(self.path)
            try:
                db.migrate(conn, MIGRATIONS)
                self._import_legacy(conn)
            finally:
                conn.close()
        self._ready = True

    def _import_legacy(self, conn: sqlite3.Connection) -> None:
        legacy = self.dir / LEGACY_STATE
        if not legacy.is_file():
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            message = import_state_json(conn, legacy)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if message is not None:
            self._notice(message)
            return
        # Imported and marked so in the store, so a failed rename cannot import it twice.
        with contextlib.suppress(OSError):
            legacy.rename(legacy.with_name(LEGACY_STATE + ".imported"))

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self._prepare()
        return db.connect(self.path)

    def _transaction(self, mode: str) -> _Transaction:
        return _Transaction(self._connect(), mode)

    def _write(self) -> _Transaction:
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> _Transaction:
        return self._transaction("BEGIN")

    # ------------------------------------------------------------------ writing

    @_guarded
    def record_attempt(
        self,
        kata_id: str,
        verdict: Verdict,
        code_sha256: str | None,
        *,
        starter: bool = False,
        review: bool = False,
    ) -> Recorded:
        """Record one grading; a first pass gives a review card, a review pass reschedules it.

        ``starter`` says the graded code was the untouched starter: it is kept (the export shows
        it) but is no attempt and never a pass (:mod:`trainer.learner.history`). ``review`` says
        the graded file was the kata's review file.
        """
        at = self._now()
        with self._write() as conn:
            attempt = _insert_attempt(
                conn,
                Attempt(
                    id=0,
                    kata_id=kata_id,
                    at=at,
                    status=verdict.status,
                    checks_passed=verdict.passed_count,
                    checks_total=len(verdict.checks),
                    duration=verdict.duration,
                    device=verdict.device,
                    code_sha256=code_sha256,
                    starter=starter,
                    review=review,
                ),
            )
            history = _history(conn, kata_id)
            if not attempt.passed or starter:  # the untouched starter is never a pass
                return Recorded(attempt, card=history.card)
            if not review:
                first = history.first_pass
                if first is None or first.id != attempt.id:
                    return Recorded(attempt, card=history.card)
                evidence = solve_evidence(history, attempt)
                grade, card = _rate(conn, history, "solve", evidence, at)
                return Recorded(attempt, first_solve=True, grade=grade, card=card)
            opened = history.round_start()
            if opened is None:
                return Recorded(attempt, card=history.card, review_not_open=True)
            evidence = review_evidence(history, attempt, opened)
            grade, card = _rate(conn, history, "review", evidence, at)
            return Recorded(attempt, grade=grade, card=card)

    @_guarded
    def reveal_hint(self, kata_id: str, total_hints: int) -> int:
        """Reveal the next hint; return its 0-based index (the last one again once all are out).

        During a review the hints start again from the first.
        """
        if total_hints < 1:
            raise ValueError("a kata has at least one hint")
        with self._write() as conn:
            history = _history(conn, kata_id)
            shown = history.hints_between(history.round_start(), None)
            index = min(shown, total_hints - 1)
            _insert_event(conn, kata_id, self._now(), "hint", index)
        return index

    def record_solution(self, kata_id: str) -> Event:
        """The learner revealed the reference solution (``katas solution``)."""
        return self._record(kata_id, "solution")

    def record_reset(self, kata_id: str) -> Event:
        return self._record(kata_id, "reset")

    def record_opened(self, kata_id: str) -> Event:
        """The kata's starter was written to the workspace (its first opening)."""
        return self._record(kata_id, "opened")

    @_guarded
    def _record(self, kata_id: str, kind: EventKind, detail: int | None = None) -> Event:
        with self._write() as conn:
            return _insert_event(conn, kata_id, self._now(), kind, detail)

    @_guarded
    def start_review(self, kata_id: str) -> ReviewCard:
        """Open a review round for a solved kata (``katas review`` wrote a fresh review file)."""
        at = self._now()
        with self._write() as conn:
            if _history(conn, kata_id).card is None:
                raise ValueError(f"{kata_id} has no review card: it is not solved yet")
            conn.execute(
                "UPDATE cards SET review_opened_at = ? WHERE kata_id = ?", (to_db(at), kata_id)
            )
            _insert_event(conn, kata_id, at, "review", None)
            card = _history(conn, kata_id).card
        assert card is not None
        return card

    @_guarded
    def record_time(
        self,
        kata_id: str,
        seconds: float,
        *,
        started_at: datetime | None = None,
        front_end: FrontEnd | None = None,
    ) -> Session | None:
        """Add time ``front_end`` had ``kata_id`` open; nothing for a non-positive duration."""
        if seconds <= 0:
            return None
        if front_end is not None and front_end not in _FRONT_ENDS:
            raise ValueError(f"unknown front end {front_end!r}")
        start = started_at or self._now() - timedelta(seconds=seconds)
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sessions (kata_id, started_at, seconds, front_end) "
                "VALUES (?, ?, ?, ?)",
                (kata_id, to_db(start), float(seconds), front_end),
            )
            return Session(cast(int, cursor.lastrowid), kata_id, start, float(seconds), front_end)

    # ------------------------------------------------------------------ reading

    @_guarded
    def kata(self, kata_id: str) -> KataProgress:
        with self._read() as conn:
            return summarize(_history(conn, kata_id))

    def status_of(self, kata_id: str) -> ProgressStatus:
        return self.kata(kata_id).status

    def hints_revealed(self, kata_id: str) -> int:
        return self.kata(kata_id).hints_revealed

    @_guarded
    def katas(self) -> dict[str, KataProgress]:
        """Every kata the store has a record of (a kata without one is ``new``)."""
        with self._read() as conn:
            return {ident: summarize(h) for ident, h in _load(conn).items()}

    @_guarded
    def attempts(self, kata_id: str | None = None) -> list[Attempt]:
        """Graded attempts, oldest first."""
        where, args = (_WHERE_KATA, (kata_id,)) if kata_id else ("", ())
        with self._read() as conn:
            sql = f"SELECT {_ATTEMPT_COLUMNS} FROM attempts{where} ORDER BY id"
            return [_attempt(row) for row in conn.execute(sql, args)]

    @_guarded
    def events(self, kata_id: str | None = None) -> list[Event]:
        where, args = (_WHERE_KATA, (kata_id,)) if kata_id else ("", ())
        with self._read() as conn:
            sql = f"SELECT id, kata_id, at, kind, detail FROM events{where} ORDER BY id"
            return [_event(row) for row in conn.execute(sql, args)]

    @_guarded
    def sessions(self, kata_id: str | None = None) -> list[Session]:
        """Time spent with katas open, oldest first."""
        where, args = (_WHERE_KATA, (kata_id,)) if kata_id else ("", ())
        with self._read() as conn:
            sql = f"SELECT {_SESSION_COLUMNS} FROM sessions{where} ORDER BY id"
            return [_session(row) for row in conn.execute(sql, args)]

    @_guarded
    def review_log(self) -> list[ReviewRecord]:
        with self._read() as conn:
            sql = "SELECT id, kata_id, at, kind, rating, due FROM reviews ORDER BY id"
            return [_review(row) for row in conn.execute(sql)]

    def cards(self) -> dict[str, ReviewCard]:
        return {k: p.card for k, p in self.katas().items() if p.card is not None}

    def due(
        self, now: datetime | None = None, among: Iterable[str] | None = None
    ) -> list[ReviewCard]:
        """Cards due at ``now`` (default: the clock), most overdue first."""
        moment = now or self._now()
        wanted = set(among) if among is not None else None
        cards = [c for c in self.cards().values() if wanted is None or c.kata_id in wanted]
        return sorted((c for c in cards if c.is_due(moment)), key=lambda c: (c.due, c.kata_id))


class _Transaction:
    """``with store._write() as conn``: one transaction on a fresh connection, then closed."""

    def __init__(self, conn: sqlite3.Connection, begin: str) -> None:
        self.conn = conn
        self.begin = begin

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute(self.begin)
        except BaseException:
            self.conn.close()
            raise
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        finally:
            self.conn.close()
