"""``katas report DIR``: how a class did on a graded batch, for the instructor.

Per kata: how many learners passed, and how the others ended (failed, error, timeout, crashed,
missing, not attempted, rejected). The checks failed most often, by name, with how many of the
files that ran them they rejected: where the class is stuck. The distribution of total scores.
The HTML page adds a learners × katas grid, so who failed what is one look rather than a CSV or
forty feedback files. Printed as terminal tables and written as one self-contained HTML page
(inline CSS and SVG, no scripts, no network), safe to mail around since every string from an
archive is escaped. This module only renders; ``katas report`` writes the files.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from rich.console import Group, RenderableType
from rich.markup import escape as rich_escape
from rich.table import Table
from rich.text import Text

from trainer.batch.feedback import CSP
from trainer.batch.model import BatchResults, GradeStatus, Received, learner_order
from trainer.batch.svg import Bar, bar_chart, column_chart
from trainer.grading.verdict import CheckStatus
from trainer.marks import CSS_COLOUR, GRADE, Mark

__all__ = [
    "CheckStats",
    "ClassReport",
    "KataStats",
    "LearnerRow",
    "html_report",
    "summarise",
    "terminal_report",
]

TOP_CHECKS = 10
FAILING = {CheckStatus.FAILED, CheckStatus.ERROR, CheckStatus.TIMEOUT}
"""Check outcomes that count as the check rejecting a file."""
UNSCORED = (
    GradeStatus.FAILED,
    GradeStatus.ERROR,
    GradeStatus.TIMEOUT,
    GradeStatus.CRASHED,
    GradeStatus.UNAVAILABLE,
    GradeStatus.MISSING,
    GradeStatus.NOT_ATTEMPTED,
    GradeStatus.REJECTED,
)


@dataclass(frozen=True)
class KataStats:
    id: str
    title: str
    points: float
    learners: int
    statuses: dict[GradeStatus, int]

    @property
    def passed(self) -> int:
        return self.statuses.get(GradeStatus.PASSED, 0)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.learners if self.learners else 0.0


@dataclass(frozen=True)
class CheckStats:
    kata_id: str
    kata_title: str
    name: str
    failed: int
    ran: int
    """Graded files whose verdict lists this check."""

    @property
    def rate(self) -> float:
        return self.failed / self.ran if self.ran else 0.0


@dataclass(frozen=True)
class LearnerRow:
    """One learner's line of the grid: a status per kata, in the assignment's kata order."""

    learner: str
    statuses: tuple[GradeStatus, ...]
    total: float
    late: str = ""
    """``2 d, −20%`` (or ``past the last day``) for a late learner; empty when on time."""


@dataclass(frozen=True)
class ClassReport:
    assignment_id: str
    title: str
    device: str
    scoring: str
    shard: str | None
    learners: int
    total_points: float
    scores: list[float]
    katas: list[KataStats]
    checks: list[CheckStats]
    histogram: list[tuple[str, int]]
    rows: list[LearnerRow]
    """Every learner, sorted with :func:`~trainer.batch.model.learner_order`."""
    received_from: str | None = None
    """Where lateness was measured from (the report says it, so the instructor can judge)."""

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0

    @property
    def full_marks(self) -> int:
        return sum(s >= self.total_points for s in self.scores)


def _n(value: float) -> str:
    return f"{round(value, 2):g}"


def _histogram(scores: list[float], total: float, integral: bool) -> list[tuple[str, int]]:
    """One column per point when totals are small whole numbers, else ten equal bins."""
    if integral and total <= 20:
        counts = Counter(round(s) for s in scores)
        return [(str(p), counts.get(p, 0)) for p in range(round(total) + 1)]
    bins = [0] * 10
    for value in scores:
        share = value / total if total > 0 else 0.0
        bins[min(9, max(0, int(share * 10)))] += 1
    return [(f"{i * 10}–{(i + 1) * 10}%", count) for i, count in enumerate(bins)]


def summarise(results: BatchResults, top: int = TOP_CHECKS) -> ClassReport:
    """The numbers behind the report, computed once for both renderings."""
    katas = results.assignment.katas
    learners = results.learners
    stats: list[KataStats] = []
    failing: Counter[tuple[str, str]] = Counter()
    ran: Counter[tuple[str, str]] = Counter()
    titles = {k.id: k.title for k in katas}
    for column in katas:
        statuses: Counter[GradeStatus] = Counter()
        for row in learners:
            for result in row.katas:
                if result.kata_id != column.id:
                    continue
                statuses[result.status] += 1
                for check in result.verdict.checks if result.verdict else ():
                    ran[(column.id, check.name)] += 1
                    failing[(column.id, check.name)] += check.status in FAILING
        stats.append(KataStats(column.id, column.title, column.points, len(learners), statuses))
    checks = [
        CheckStats(kata_id, titles.get(kata_id, kata_id), name, count, ran[(kata_id, name)])
        for (kata_id, name), count in failing.items()
        if count
    ]
    checks.sort(key=lambda c: (-c.failed, -c.rate, c.kata_id, c.name))
    scores = sorted(row.total for row in learners)
    total = results.assignment.total_points
    integral = all(float(k.points).is_integer() for k in katas)
    rows = []
    for row in sorted(learners, key=lambda r: learner_order(r.learner)):
        by_kata = {r.kata_id: r.status for r in row.katas}
        marks = tuple(by_kata.get(k.id, GradeStatus.MISSING) for k in katas)
        rows.append(LearnerRow(row.learner, marks, row.total, _late(row.received)))
    return ClassReport(
        assignment_id=results.assignment.id,
        title=results.assignment.title,
        device=results.device,
        scoring=results.scoring,
        shard=results.shard.label if results.shard else None,
        learners=len(learners),
        total_points=total,
        scores=scores,
        katas=stats,
        checks=checks[:top],
        histogram=_histogram(scores, total, integral),
        rows=rows,
        received_from=results.received_from,
    )


def _late(received: Received | None) -> str:
    if received is None or not received.days:
        return ""
    if received.refused:
        return f"{received.days} d, past the last day"
    return f"{received.days} d, −{_n(received.penalty * 100)}%"


def _others(kata: KataStats) -> str:
    """``8 failed, 1 timeout, 3 missing``: how the learners who did not pass ended."""
    return ", ".join(
        f"{kata.statuses[s]} {GRADE[s].label}" for s in UNSCORED if kata.statuses.get(s)
    )


def _headline(report: ClassReport) -> str:
    shard = (
        f" (shard {report.shard} only: merge the shards for the whole class)"
        if report.shard
        else ""
    )
    if not report.scores:
        return f"{report.learners} learners{shard}"
    return (
        f"{report.learners} learners{shard} · mean {_n(report.mean)} / {_n(report.total_points)}"
        f" · median {_n(report.median)} · lowest {_n(report.scores[0])} · highest "
        f"{_n(report.scores[-1])} · full marks {report.full_marks} · scoring {report.scoring}"
        f" · graded on {report.device}"
        + (f" · lateness from {report.received_from}" if report.received_from else "")
    )


def terminal_report(report: ClassReport) -> RenderableType:
    """Tables for a terminal: katas, the most failed checks, and a text histogram."""
    head = Text(f"{report.title} ({report.assignment_id})", style="bold")
    katas = Table(title="Pass rate per kata", title_justify="left")
    katas.add_column("kata", overflow="fold")
    katas.add_column("points", justify="right")
    katas.add_column("passed", justify="right")
    katas.add_column("rate", justify="right")
    katas.add_column("the others", overflow="fold")
    for kata in report.katas:
        katas.add_row(
            rich_escape(kata.id),
            _n(kata.points),
            f"{kata.passed}/{kata.learners}",
            f"{kata.pass_rate:.0%}",
            _others(kata),
        )
    checks = Table(title="Checks failed most often", title_justify="left")
    for column in ("kata", "check"):
        checks.add_column(column, overflow="fold")
    checks.add_column("failed", justify="right")
    checks.add_column("of files", justify="right")
    for check in report.checks:
        checks.add_row(
            rich_escape(check.kata_id),
            rich_escape(check.name),
            str(check.failed),
            f"{check.ran} ({check.rate:.0%})",
        )
    peak = max((c for _, c in report.histogram), default=0) or 1
    width = max((len(label) for label, _ in report.histogram), default=1)
    bars = Text("Score distribution\n", style="bold")
    for label, count in report.histogram:
        bars.append(f"{label:>{width}} │ " + "█" * round(30 * count / peak) + f" {count}\n")
    parts: list[RenderableType] = [head, Text(_headline(report)), katas]
    parts.append(checks if report.checks else Text("No check failed."))
    parts.append(bars)
    return Group(*parts)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; padding: 0 1rem; max-width: 64rem;
  color: #222; }
svg { display: block; max-width: 100%; height: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th { vertical-align: bottom; }
td { vertical-align: top; }
th:first-child, td:first-child, .text { text-align: left; }
table.wide { width: 100%; }
table.wide td.text:not(.id) { min-width: 14rem; }
.id { white-space: nowrap; }
th.vertical span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
.grid th.vertical, .grid td.mark { text-align: center; padding: 0.2rem 0.35rem; }
.grid tbody tr:nth-child(even) { background: #f6f8fa; }
.muted { color: #666; }
""" + "".join(f".tone-{tone.value} {{ color: {colour}; }}\n" for tone, colour in CSS_COLOUR.items())


def _head(header: str | Mark, css: str) -> str:
    """A header cell; a status column's header is its mark (:mod:`trainer.marks`), in its tone."""
    if isinstance(header, str):
        return f"<th{css}>{escape(header)}</th>"
    mark = f"{escape(header.glyph)} {escape(header.label)}"
    return f'<th class="tone-{header.tone.value}">{mark}</th>'


def _table(
    headers: Sequence[str | Mark], rows: Sequence[Sequence[str]], kinds: str, css: str = ""
) -> str:
    """A table of plain strings; ``kinds`` has a letter per column: ``i`` an id (one line, left),
    ``t`` text (left), ``n`` a number (right).

    A column empty in every row is left out: a status nobody got is a column of blanks that only
    squeezes the others (and their ids onto three lines).
    """
    keep = [i for i in range(len(headers)) if not rows or any(row[i] for row in rows)]
    classes = {"i": ' class="text id"', "t": ' class="text"', "n": ""}
    head = "".join(_head(headers[i], classes[kinds[i]]) for i in keep)
    body = "".join(
        "<tr>" + "".join(f"<td{classes[kinds[i]]}>{escape(row[i])}</td>" for i in keep) + "</tr>"
        for row in rows
    )
    table = f'<table class="{css}">' if css else "<table>"
    return f"{table}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _mark_cell(status: GradeStatus) -> str:
    mark = GRADE[status]
    return (
        f'<td class="mark tone-{mark.tone.value}" title="{escape(mark.label)}">'
        f"{escape(mark.glyph)}</td>"
    )


def _grid(report: ClassReport, links: Mapping[str, str]) -> str:
    """Learners × katas: a mark per cell (its label as the tooltip), then the learner's total.

    Kata ids are written upwards in the header, so six long ids cost six narrow columns.
    """
    head = "".join(
        f'<th class="vertical id" title="{escape(k.title)}"><span>{escape(k.id)}</span></th>'
        for k in report.katas
    )
    late = any(row.late for row in report.rows)
    body = []
    for row in report.rows:
        name = escape(row.learner)
        if row.learner in links:
            name = f'<a href="{escape(links[row.learner])}">{name}</a>'
        cells = "".join(_mark_cell(status) for status in row.statuses)
        late_cell = f'<td class="text id">{escape(row.late)}</td>' if late else ""
        body.append(
            f'<tr><td class="text">{name}</td>{cells}{late_cell}<td>{_n(row.total)}</td></tr>'
        )
    seen = {status for row in report.rows for status in row.statuses}
    legend = " · ".join(
        f'<span class="tone-{GRADE[s].tone.value}">{escape(GRADE[s].glyph)}</span> '
        f"{escape(GRADE[s].label)}"
        for s in GradeStatus
        if s in seen
    )
    return (
        f'<table class="grid"><thead><tr><th>learner</th>{head}'
        + ("<th>late</th>" if late else "")
        + "<th>total</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
        + (f'<p class="muted">{legend}</p>' if legend else "")
    )


def html_report(report: ClassReport, feedback_links: Mapping[str, str] | None = None) -> str:
    """The report as one HTML page with inline SVG plots and nothing fetched from elsewhere.

    ``feedback_links`` maps a learner to the relative address of their HTML feedback; a learner
    without one is named without a link, so the page never points at a file nobody wrote.

    Each fact is shown once. The pass-rate chart gives each kata's rate; the kata table beside
    it the counts behind it (no rate column). The failed-checks chart carries everything about a
    check (kata, name, files rejected of files run) and has no table under it, whose rows would
    be the chart's bars again.
    """
    kata_rows = [
        [
            k.id,
            k.title,
            _n(k.points),
            f"{k.passed}/{k.learners}",
            *(str(k.statuses.get(s, 0) or "") for s in UNSCORED),
        ]
        for k in report.katas
    ]
    kata_table = _table(
        ["kata", "title", "points", "passed", *(GRADE[s] for s in UNSCORED)],
        kata_rows,
        "itnn" + "n" * len(UNSCORED),
        css="wide",
    )
    pass_chart = bar_chart(
        [Bar(k.id, k.pass_rate, f"{k.pass_rate:.0%}") for k in report.katas],
        maximum=1.0,
        title="Pass rate per kata",
    )
    if report.checks:
        checks = [
            '<p class="muted">Each bar: the files a check rejected, of the files that ran it. '
            "Checks are named as learners see them.</p>",
            bar_chart(
                [
                    Bar(
                        c.kata_id,
                        c.failed,
                        f"{c.failed} of {c.ran} files ({c.rate:.0%})",
                        detail=c.name,
                    )
                    for c in report.checks
                ],
                maximum=max(c.failed for c in report.checks),
                title="Files each check rejected",
            ),
        ]
    else:
        checks = ["<p>No check failed.</p>"]
    histogram = column_chart(
        report.histogram,
        title="Score distribution",
        x_label=f"total score (of {_n(report.total_points)} points)",
    )
    title = f"{report.title} ({report.assignment_id}): class report"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="muted">{escape(_headline(report))}</p>',
            "<h2>Katas</h2>",
            pass_chart,
            kata_table,
            "<h2>Checks failed most often</h2>",
            *checks,
            "<h2>Scores</h2>",
            histogram,
            "<h2>Learners</h2>",
            _grid(report, feedback_links or {}),
            "</body></html>",
            "",
        ]
    )
