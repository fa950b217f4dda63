"""Per-learner feedback in markdown: check names, statuses and learner-facing messages only.

What a learner may see is decided here, once. Shown: each kata's status, points and summary,
each check's name (its docstring's first line) with its status and message, and any problem
with the archive. Never shown: check ids (test function names), the hidden checks' source or
paths, the solution, the captured output (a learner's own prints, which an attack could fill
with whatever it managed to read). As a second line of defence the :class:`Redactor` blanks
any message line quoting a line of a kata's hidden checks, and every path inside the katas.

:func:`render_feedback_html` renders the same feedback, from the same data and under the same
rules, as a standalone HTML page (``feedback/<name>.html``, written by ``katas report``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from html import escape

from trainer.batch.model import AssignmentInfo, GradeStatus, KataResult, LearnerResult
from trainer.grading.verdict import CheckStatus
from trainer.kata.model import Kata
from trainer.marks import CHECK, CSS_COLOUR, GRADE, Mark

__all__ = [
    "CSP",
    "Redactor",
    "ShownIn",
    "feedback_name",
    "render_feedback",
    "render_feedback_html",
]

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


def _scoring_line(assignment: AssignmentInfo) -> str:
    if assignment.scoring == "per-check":
        return (
            "A kata earns its points in proportion to the checks that pass on the grading "
            "machine; the checks were run again on the files you handed in."
        )
    return (
        "A kata earns its points only when every hidden check passes on the grading machine; "
        "the checks were run again on the files you handed in."
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _late_lines(learner: LearnerResult, assignment: AssignmentInfo) -> list[str]:
    """When the instructor received the work, against the due date, and what that cost."""
    got, policy = learner.received, assignment.late
    if got is None or policy is None:
        return []
    where = "as the course recorded it" if got.source == "receipts" else "as the file's time"
    line = f"Received {_when(got.at)} ({where}); due {_when(policy.due)}."
    if got.refused:
        last = f" ({_when(policy.last_day)})" if policy.last_day else ""
        line += (
            f" That is after the last day accepted{last}, so this submission scores 0 "
            f"(before that: {_points(learner.points)} points)."
        )
    elif got.days:
        line += (
            f" Late by {got.days} day{'s' if got.days != 1 else ''} after the grace period: "
            f"{_points(got.penalty * 100)}% off, {_points(learner.points)} points before."
        )
    elif got.late_seconds:
        line += " Within the grace period: no penalty."
    return [line, ""]


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
        _scoring_line(assignment),
        "",
        *_late_lines(learner, assignment),
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


class ShownIn(Redactor):
    """The redactor for rendering a learner's feedback again once it is published.

    ``results.json`` keeps the raw verdicts, and the hidden checks and the grading's scratch
    paths that :class:`Redactor` needs are gone by then: a line is kept only when the learner's
    published markdown already shows it, so a later rendering can never show more than it.
    """

    REMOVED = "[a line not in your published feedback was removed]"

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self._shown = markdown

    def __call__(self, text: str) -> str:
        return "\n".join(
            line
            if not line.strip() or line in self._shown or _inline(line) in self._shown
            else self.REMOVED
            for line in text.splitlines()
        )


CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""For every page written: nothing may load or run even if an escaping bug let markup through."""

_PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; padding: 0 1rem; max-width: 50rem;
  color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; }
ul.checks { list-style: none; padding-left: 0.5rem; }
""" + "".join(f".tone-{tone.value} {{ color: {colour}; }}\n" for tone, colour in CSS_COLOUR.items())


def _h(text: str) -> str:
    """Text from an archive or a kata as HTML: escaped, whitespace flattened as by `_inline`."""
    return escape(" ".join(text.split()))


def _mark_html(mark: Mark, *, label: bool = True) -> str:
    text = f"{mark.glyph} {mark.label}" if label else mark.glyph
    return f'<span class="tone-{mark.tone.value}">{escape(text)}</span>'


def _pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def _kata_section_html(result: KataResult, title: str, redact: Redactor) -> list[str]:
    """:func:`_kata_section` as HTML: the same parts, shown under the same conditions."""
    status = result.status
    parts = [
        f"<h2>{_h(title)} (<code>{escape(result.kata_id)}</code>)</h2>",
        f"<p><strong>{_mark_html(GRADE[status])}</strong>: {_points(result.points)} / "
        f"{_points(result.max_points)} points; {escape(_REASONS[status])}.</p>",
    ]
    if result.summary and status is not GradeStatus.PASSED:
        parts.append(_pre(redact(result.summary)))
    verdict = result.verdict
    if verdict is not None and verdict.checks:
        parts.append('<ul class="checks">')
        for check in verdict.checks:
            mark = CHECK[check.status]
            item = (
                f"<li>{_mark_html(mark, label=False)} {_h(redact(check.name))} "
                f"({escape(mark.label)})"
            )
            if check.message and check.status is not CheckStatus.PASSED:
                item += _pre(redact(check.message))
            parts.append(item + "</li>")
        parts.append("</ul>")
    return parts


def render_feedback_html(
    learner: LearnerResult, assignment: AssignmentInfo, redact: Redactor, device: str
) -> str:
    """:func:`render_feedback` as a standalone HTML page: inline CSS, no scripts, nothing
    fetched, every string from an archive or a kata escaped (names and messages are untrusted).
    """
    total, possible = learner.total, assignment.total_points
    passed = sum(k.status is GradeStatus.PASSED for k in learner.katas)
    title = f"{assignment.title}: feedback for {learner.learner}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title><style>{_PAGE_CSS}</style></head><body>",
        f"<h1>{_h(title)}</h1>",
        f"<p><strong>Score: {_points(total)} / {_points(possible)} points</strong> "
        f"({passed} of {len(learner.katas)} katas passed), graded on {escape(device)}.</p>",
        "<p>A kata earns its points only when every hidden check passes on the grading "
        "machine; the checks were run again on the files you handed in.</p>",
    ]
    rejected = next((k.summary for k in learner.katas if k.status is GradeStatus.REJECTED), None)
    if rejected is not None:
        parts += ["<p><strong>Your submission could not be graded:</strong></p>"]
        parts.append(_pre(redact(rejected)))
    if learner.problems:
        parts.append("<p>Problems with your submission:</p><ul>")
        parts += [f"<li>{_h(redact(p))}</li>" for p in learner.problems]
        parts.append("</ul>")
    titles = {k.id: k.title for k in assignment.katas}
    parts.append("<table><thead><tr><th>kata</th><th>status</th><th>points</th></tr></thead>")
    parts.append("<tbody>")
    for result in learner.katas:
        parts.append(
            f"<tr><td>{_h(titles.get(result.kata_id, result.kata_id))}</td>"
            f"<td>{_mark_html(GRADE[result.status])}</td>"
            f"<td>{_points(result.points)} / {_points(result.max_points)}</td></tr>"
        )
    parts.append("</tbody></table>")
    for result in learner.katas:
        if result.status is GradeStatus.REJECTED:
            continue  # said once, above
        parts += _kata_section_html(result, titles.get(result.kata_id, result.kata_id), redact)
    parts += ["</body></html>", ""]
    return "\n".join(parts)
