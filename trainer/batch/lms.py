"""``katas lms-export``: a graded batch's totals as a file the class's LMS imports.

The instructor downloads the LMS's own roster (Canvas: Grades > Export; Moodle: Grades > Export
> Plain text file) and we match every graded learner to exactly one of its rows. Why a key
rather than the learner's name alone: the learner id is what the learner typed into ``katas
submit --learner`` (or the archive's file name), so it may be a login, an e-mail address or a
name. The id is compared, case-insensitively, trimmed and with runs of spaces made one, to these
columns in order; the first column with exactly one hit wins:

- Canvas: ``SIS Login ID``, ``SIS User ID``, ``ID``, then ``Student`` (Canvas writes "Last,
  First"; the "First Last" form is tried against it too).
- Moodle: ``Email address``, ``ID number``, then ``First name`` + " " + ``Last name``.

A learner whose id hits two roster rows (two students of one name), who hits none, or whose row
another learner hit as well, is *unmatched* with the reason, never guessed and never dropped:
:func:`write_export` lists them in ``DIR/lms-unmatched.csv``. Roster students without a graded
learner are reported as information; their cells are left as they were, never zeroed.

Canvas gets a copy of its own export with one column filled: ``--column`` (which must exist),
else the column named like the assignment's title (``Week 1 (12345)``), else a new column named
after the title, which Canvas turns into a new assignment on import (its ``Points Possible`` row
gets the assignment's total). Every other row (``Points Possible``, ``Muted`` / ``Manual
Posting``) and column is kept in content and order. Moodle gets its grade-import CSV: the
identifier (``Email address`` when the roster has one, else ``ID number``) and one grade column,
named ``--column`` or the title; Moodle's import asks the instructor to map both columns to a
user field and a grade item, so the name need not exist yet.

Every cell written is guarded like ``gradebook.csv``'s: text that would start a spreadsheet
formula gets a leading ``'`` (a plain number such as ``-2.5`` is left alone), so opening a file
never runs what a learner typed as a name. Files are UTF-8 with ``\\r\\n`` line ends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainer.atomic import atomic_write
from trainer.batch.gradebook import number_text, safe_cell
from trainer.batch.model import BatchResults, LearnerResult, learner_order
from trainer.errors import RosterError

__all__ = [
    "LMS",
    "UNMATCHED",
    "Export",
    "Match",
    "Unmatched",
    "canvas_export",
    "default_output",
    "export",
    "moodle_export",
    "read_roster",
    "unmatched_csv",
    "write_export",
]

Lms = Literal["canvas", "moodle"]
LMS: tuple[Lms, ...] = ("canvas", "moodle")
UNMATCHED = "lms-unmatched.csv"
"""Written into the batch folder on every export, so it never lists an earlier export's."""

_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_POINTS_POSSIBLE = "points possible"
_CANVAS_IDS = ("Student", "ID", "SIS User ID", "SIS Login ID")
_CANVAS_FIXED = frozenset({*_CANVAS_IDS, "Integration ID", "Section"})
"""Canvas's columns before the assignments': never the one an assignment's totals go in."""
_CANVAS_ASSIGNMENT = re.compile(r".*\(\d+\)\s*$")
"""Canvas names an assignment's column ``Title (assignment id)``."""


@dataclass(frozen=True)
class Match:
    learner: str
    total: float
    row: int
    """The roster row, counted from 1 at the header, as a spreadsheet shows it."""
    key: str
    """The roster column the learner id matched."""


@dataclass(frozen=True)
class Unmatched:
    learner: str
    total: float
    reason: str


@dataclass(frozen=True)
class Export:
    """What an export found and the file text to write."""

    lms: Lms
    text: str
    column: str
    """The column (Canvas) or grade item (Moodle) holding the totals."""
    new_column: bool
    matched: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    ungraded: tuple[str, ...]
    """Roster students no graded learner matched (information: their cells are kept)."""
    notes: tuple[str, ...] = ()


def _guard(text: str) -> str:
    """``gradebook.csv``'s formula guard, sparing plain numbers (``-2`` is a grade, not a
    formula, and must reach the LMS unchanged)."""
    return text if _NUMBER.fullmatch(text) else safe_cell(text)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_guard(cell) for cell in row])
    return buffer.getvalue()


def read_roster(path: Path) -> list[list[str]]:
    """The roster's rows as the LMS wrote them (UTF-8, with or without a byte order mark)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise RosterError(f"cannot read the roster {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise RosterError(f"{path}: not a CSV file ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RosterError(f"{path}: the roster is empty (no header row)")
    return rows


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Each column's index by its trimmed name (the first of two of one name)."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        found.setdefault(name.strip(), index)
    return found


def _get(row: Sequence[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


Key = tuple[str, Callable[[Sequence[str]], tuple[str, ...]]]
"""A roster column's name, and the forms of a row's value a learner id may equal."""


def _column_key(name: str, index: int) -> Key:
    return name, lambda row: (_get(row, index),)


def _match(
    learners: Sequence[LearnerResult], rows: dict[int, Sequence[str]], keys: Sequence[Key]
) -> tuple[list[Match], list[Unmatched]]:
    """Each learner's roster row by the first key with exactly one hit (see the module); two
    learners on one row are both unmatched, since neither total may overwrite the other."""
    index: list[dict[str, list[int]]] = []
    for _name, forms in keys:
        table: dict[str, list[int]] = {}
        for number, row in rows.items():
            for value in dict.fromkeys(_norm(form) for form in forms(row)):
                if value:
                    table.setdefault(value, []).append(number)
        index.append(table)
    found: dict[str, Match] = {}
    unmatched: list[Unmatched] = []
    for learner in sorted(learners, key=lambda r: learner_order(r.learner)):
        wanted = _norm(learner.learner)
        ambiguous: list[str] = []
        for (name, _forms), table in zip(keys, index, strict=True):
            hits = table.get(wanted, []) if wanted else []
            if len(hits) == 1:
                found[learner.learner] = Match(learner.learner, learner.total, hits[0], name)
                break
            if hits:
                ambiguous.append(f"roster rows {', '.join(map(str, hits))} by {name}")
        else:
            reason = (
                "ambiguous: matches " + "; ".join(ambiguous) if ambiguous else "not on the roster"
            )
            unmatched.append(Unmatched(learner.learner, learner.total, reason))
    by_row: dict[int, list[Match]] = {}
    for match in found.values():
        by_row.setdefault(match.row, []).append(match)
    matched = []
    for number, shared in sorted(by_row.items()):
        if len(shared) == 1:
            matched.append(shared[0])
            continue
        names = ", ".join(m.learner for m in shared)
        reason = f"roster row {number} is matched by several learners: {names}"
        unmatched += [Unmatched(m.learner, m.total, reason) for m in shared]
    unmatched.sort(key=lambda u: learner_order(u.learner))
    return matched, unmatched


def _first_last(student: str) -> str:
    """Canvas's "Last, First" as "First Last"."""
    last, comma, first = student.rpartition(",")
    return f"{first.strip()} {last.strip()}" if comma else student


def _canvas_column(header: Sequence[str], title: str, column: str | None) -> int | None:
    """The index of the column to fill, or None for a new one (see the module)."""
    columns = _columns(header)
    if column is not None:
        if column.strip() in _CANVAS_FIXED:
            raise RosterError(f"--column {column!r} is a Canvas student column, not an assignment")
        if column.strip() in columns:
            return columns[column.strip()]
        like = [name for name in header if _CANVAS_ASSIGNMENT.fullmatch(name)]
        listed = ", ".join(repr(n) for n in like) if like else "none"
        raise RosterError(f"the roster has no column {column!r}; its assignment columns: {listed}")
    wanted = _norm(title)
    named = [
        index
        for index, name in enumerate(header)
        if name.strip() not in _CANVAS_FIXED
        and _norm(name).startswith(wanted)
        and (len(_norm(name)) == len(wanted) or _norm(name)[len(wanted) :].lstrip()[:1] == "(")
    ]
    if len(named) > 1:
        listed = ", ".join(repr(header[i]) for i in named)
        raise RosterError(f"several columns are named like {title!r} ({listed}): give --column")
    return named[0] if named else None


def _is_student(row: Sequence[str], columns: dict[str, int]) -> bool:
    """Canvas's ``Points Possible`` row, and the ``Muted`` / ``Manual Posting`` row that
    identifies no one, are the export's own: kept as they are, never matched."""
    if _norm(_get(row, columns.get("Student"))) == _POINTS_POSSIBLE:
        return False
    return any(_get(row, columns.get(name)).strip() for name in _CANVAS_IDS)


def canvas_export(
    results: BatchResults, roster: Sequence[Sequence[str]], column: str | None = None
) -> Export:
    """The Canvas roster with the assignment's column filled for every matched learner."""
    header = list(roster[0])
    columns = _columns(header)
    if "Student" not in columns or "ID" not in columns:
        raise RosterError(
            "not a Canvas gradebook export (it has no Student and ID columns); "
            "for a Moodle roster use --to moodle"
        )
    title = results.assignment.title
    total_points = results.assignment.total_points
    target = _canvas_column(header, title, column)
    new_column = target is None
    if target is None:
        target = len(header)
        header.append(title)
    students = {n: r for n, r in enumerate(roster[1:], start=2) if _is_student(r, columns)}
    student = columns["Student"]

    def name(row: Sequence[str]) -> tuple[str, ...]:
        return (_get(row, student), _first_last(_get(row, student)))

    keys = [
        _column_key(k, columns[k]) for k in ("SIS Login ID", "SIS User ID", "ID") if k in columns
    ]
    matched, unmatched = _match(results.learners, students, [*keys, ("Student", name)])
    totals = {m.row: number_text(m.total) for m in matched}
    notes = []
    rows: list[list[str]] = [header]
    for number, original in enumerate(roster[1:], start=2):
        row = list(original)
        points_possible = _norm(_get(row, student)) == _POINTS_POSSIBLE
        if number in totals or (new_column and points_possible):
            row += [""] * (target + 1 - len(row))
            row[target] = totals.get(number, number_text(total_points))
        elif new_column and len(row) == target:
            row.append("")
        if points_possible and not new_column:
            given = _get(row, target).strip()
            if _NUMBER.fullmatch(given) and float(given) != total_points:
                notes.append(
                    f"{header[target]!r} is out of {given} points in Canvas, the assignment "
                    f"out of {number_text(total_points)}: the totals are written as they are"
                )
        rows.append(row)
    graded = {m.row for m in matched}
    ungraded = tuple(_get(r, student) for n, r in students.items() if n not in graded)
    return Export(
        "canvas",
        _csv(rows),
        header[target],
        new_column,
        tuple(matched),
        tuple(unmatched),
        ungraded,
        tuple(notes),
    )


def moodle_export(
    results: BatchResults, roster: Sequence[Sequence[str]], column: str | None = None
) -> Export:
    """Moodle's grade-import CSV: the identifier and the total, one row per matched learner."""
    columns = _columns(roster[0])
    first, last = columns.get("First name"), columns.get("Last name")
    ident = next((c for c in ("Email address", "ID number") if c in columns), None)
    if first is None or last is None or ident is None:
        raise RosterError(
            "not a Moodle grade export (it needs First name, Last name and an Email address or "
            "ID number column); for a Canvas roster use --to canvas"
        )
    identity = [first, last, *(columns[c] for c in ("Email address", "ID number") if c in columns)]
    students = {
        n: r for n, r in enumerate(roster[1:], start=2) if any(_get(r, i).strip() for i in identity)
    }

    def name(row: Sequence[str]) -> tuple[str, ...]:
        return (f"{_get(row, first)} {_get(row, last)}",)

    keys = [_column_key(k, columns[k]) for k in ("Email address", "ID number") if k in columns]
    found, unmatched = _match(results.learners, students, [*keys, ("First name Last name", name)])
    matched = []
    for match in found:
        if _get(students[match.row], columns[ident]).strip():
            matched.append(match)
        else:
            reason = f"roster row {match.row} has no {ident}, which Moodle's import needs"
            unmatched.append(Unmatched(match.learner, match.total, reason))
    unmatched.sort(key=lambda u: learner_order(u.learner))
    item = column.strip() if column and column.strip() else results.assignment.title
    rows = [[ident, item]]
    rows += [[_get(students[m.row], columns[ident]).strip(), number_text(m.total)] for m in matched]
    graded = {m.row for m in matched}
    ungraded = tuple(
        " ".join(f"{_get(r, first)} {_get(r, last)}".split())
        for n, r in students.items()
        if n not in graded
    )
    return Export("moodle", _csv(rows), item, False, tuple(matched), tuple(unmatched), ungraded)


def export(results: BatchResults, roster: Path, lms: Lms, column: str | None = None) -> Export:
    """Read ``roster`` and export ``results`` for ``lms``."""
    rows = read_roster(roster)
    if lms == "canvas":
        return canvas_export(results, rows, column)
    return moodle_export(results, rows, column)


def unmatched_csv(unmatched: Sequence[Unmatched]) -> str:
    """``lms-unmatched.csv``: every graded learner the export could not place, and why."""
    rows = [["learner", "total", "reason"]]
    rows += [[u.learner, number_text(u.total), u.reason] for u in unmatched]
    return _csv(rows)


def default_output(folder: Path, lms: Lms) -> Path:
    return folder / f"{lms}-import.csv"


def write_export(folder: Path, result: Export, target: Path) -> Path:
    """Write the import file to ``target`` and ``lms-unmatched.csv`` into the batch folder
    (header only when every learner matched); return the latter's path."""
    listing = folder / UNMATCHED
    atomic_write(target, result.text.encode("utf-8"))
    atomic_write(listing, unmatched_csv(result.unmatched).encode("utf-8"))
    return listing
