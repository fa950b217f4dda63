"""Per-learner feedback in markdown: check names, statuses and learner-facing messages only.

What a learner may see is decided here, once. Shown: each kata's status, points and summary,
each check's name (its docstring's first line) with its status and message, and any problem
with the archive. Never shown: check ids (test function names), the hidden checks' source or
paths, the solution, the captured output (a learner's own prints, which an attack could fill
with whatever it managed to read). As a second line of defence the :class:`Redactor` blanks
any message line quoting a line of a kata's hidden checks, and every path inside the katas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from trainer.batch.model import AssignmentInfo, GradeStatus, KataResult, LearnerResult
from trainer.grading.verdict import CheckStatus
from trainer.kata.model import Kata
from trainer.marks import CHECK, GRADE

__all__ = ["Redactor", "feedback_name", "render_feedback"]

MIN_QUOTED = 16
"""Shortest checks-source line (stripped) whose appearance in a message counts as a quote."""

HIDDEN = "[hidden]"

_REASONS = {
    GradeStatus.PASSED: "every check passed",
    GradeStatus.FAILED: "a check failed",
    GradeStatus.ERROR: "your file could not be graded",
    GradeStatus.TIMEOUT: "the grading ran out of time",
    GradeStatus.CRASHED: "the grading process died",
    GradeStatus.UNAVAILABLE: "not verified on the grading machine",
    GradeStatus.MISSING: "no file for this kata in your submission",
    GradeStatus.NOT_ATTEMPTED: "your file is the starter, unchanged: not graded",
    GradeStatus.REJECTED: "your submission could not be graded",
}


class Redactor:
    """Removes what belongs to the hidden checks from a message before a learner sees it."""

    def __init__(self, quoted: Iterable[str] = (), paths: Iterable[str] = ()) -> None:
        self._quoted = sorted({q for q in quoted if len(q) >= MIN_QUOTED}, key=len, reverse=True)
        self._paths = sorted({p for p in paths if len(p) > 1}, key=len, reverse=True)

    @classmethod
    def for_katas(cls, katas: Sequence[Kata], extra_paths: Iterable[str] = ()) -> Redactor:
        quoted: list[str] = []
        paths: list[str] = list(extra_paths)
        for kata in katas:
            for folder in (kata.root, kata.pack):
                paths += [str(folder), str(folder.resolve())]
            for source in sorted(kata.root.rglob("*.py")):
                rel = source.relative_to(kata.root)
                if rel.parts[0] == "wrong" or rel.name in {"starter.py", "solution.py"}:
                    continue
                try:
                    text = source.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                quoted += [line.strip() for line in text.splitlines()]
        return cls(quoted, paths)

    def __call__(self, text: str) -> str:
        lines = []
        for line in text.splitlines():
            if any(q in line for q in self._quoted):
                lines.append("[a line quoting the hidden checks was removed]")
                continue
            for path in self._paths:
                line = line.replace(path, HIDDEN)
            lines.append(re.sub(r"\bchecks\.py\b", HIDDEN, line))
        return "\n".join(lines)


def feedback_name(learner: str, taken: set[str]) -> str:
    """A safe, unique file name for a learner's feedback (ids may hold any character)."""
    stem = re.sub(r"[^A-Za-z0-9._@-]+", "_", learner).strip("._") or "learner"
    stem = stem[:80]
    name, n = f"{stem}.md", 2
    while name.casefold() in taken:
        name, n = f"{stem}-{n}.md", n + 1
    taken.add(name.casefold())
    return name


def _inline(text: str) -> str:
    """Text from an archive or a kata, safe in a markdown line: no markup, no raw HTML."""
    flat = " ".join(text.split())
    return re.sub(r"([\\`*_\[\]|<>~])", r"\\\1", flat)


def _block(text: str) -> list[str]:
    """A message as a fenced block, fenced longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *text.splitlines(), fence]


def _grade(status: GradeStatus) -> str:
    mark = GRADE[status]
    return f"{mark.glyph} {mark.label}"


def _points(value: float) -> str:
    return f"{value:g}"


def _kata_section(result: KataResult, title: str, redact: Redactor) -> list[str]:
    status = result.status
    lines = [
        f"## {_inline(title)} (`{result.kata_id}`)",
        "",
        f"**{_grade(status)}**: {_points(result.points)} / {_points(result.max_points)} "
        f"points; {_REASONS[status]}.",
        "",
    ]
    if result.summary and status is not GradeStatus.PASSED:
        lines += [*_block(redact(result.summary)), ""]
    verdict = result.verdict
    if verdict is not None and verdict.checks:
        for check in verdict.checks:
            mark = CHECK[check.status]
            lines.append(f"- {mark.glyph} {_inline(redact(check.name))} ({mark.label})")
            if check.message and check.status is not CheckStatus.PASSED:
                lines += ["", *("  " + line for line in _block(redact(check.message))), ""]
        lines.append("")
    return lines


def render_feedback(
    learner: LearnerResult, assignment: AssignmentInfo, redact: Redactor, device: str
) -> str:
    """The markdown a learner receives; see the module docstring for what it may contain."""
    total, possible = learner.total, assignment.total_points
    passed = sum(k.status is GradeStatus.PASSED for k in learner.katas)
    lines = [
        f"# {_inline(assignment.title)}: feedback for {_inline(learner.learner)}",
        "",
        f"**Score: {_points(total)} / {_points(possible)} points** "
        f"({passed} of {len(learner.katas)} katas passed), graded on {device}.",
        "",
        "A kata earns its points only when every hidden check passes on the grading machine; "
        "the checks were run again on the files you handed in.",
        "",
    ]
    rejected = next((k.summary for k in learner.katas if k.status is GradeStatus.REJECTED), None)
    if rejected is not None:
        lines += ["**Your submission could not be graded:**", "", *_block(redact(rejected)), ""]
    if learner.problems:
        lines += ["Problems with your submission:", ""]
        lines += [f"- {_inline(redact(p))}" for p in learner.problems]
        lines.append("")
    titles = {k.id: k.title for k in assignment.katas}
    lines += ["| kata | status | points |", "| --- | --- | --- |"]
    for result in learner.katas:
        title = _inline(titles.get(result.kata_id, result.kata_id))
        lines.append(
            f"| {title} | {_grade(result.status)} | "
            f"{_points(result.points)} / {_points(result.max_points)} |"
        )
    lines.append("")
    for result in learner.katas:
        if result.status is GradeStatus.REJECTED:
            continue  # said once, above
        lines += _kata_section(result, titles.get(result.kata_id, result.kata_id), redact)
    return "\n".join(lines).rstrip() + "\n"
