"""The ``katas grade`` and ``katas report`` commands, behind ``trainer.cli``'s thin wrappers.

Every problem the instructor can fix (an assignment that does not load, no archives, a folder
holding another batch, shards that do not fit) is raised as :class:`BatchUsageError`, which the
CLI prints as one line with exit code 2. A learner's problem is never one of those: it is in
their row of the gradebook.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.atomic import atomic_write
from trainer.batch.journal import JournalError
from trainer.batch.merge import MergeError, merge_batches
from trainer.batch.model import BatchResults, KataStatus
from trainer.batch.plan import Job, PlanError, discover, parse_shard
from trainer.batch.publish import GRADEBOOK, RESULTS, ResultsError, load_results
from trainer.batch.report import html_report, summarise, terminal_report
from trainer.batch.run import BatchBusy, BatchOptions, grade_batch
from trainer.verdict import Status, Verdict

if TYPE_CHECKING:
    from trainer.assignment import LoadedAssignment

__all__ = ["BatchUsageError", "grade_command", "report_command"]

REPORT_HTML = "report.html"

_MARKS = {
    Status.PASSED: "[green]✓[/]",
    Status.FAILED: "[red]✗[/]",
    Status.UNAVAILABLE: "[cyan]⊘[/]",
}


class BatchUsageError(Exception):
    """A problem with the command that the instructor can fix."""


def _load(path: Path) -> LoadedAssignment:
    from trainer.assignment import AssignmentError, load_assignment

    if path.is_dir():
        path = path / "assignment.yaml"
    try:
        return load_assignment(path)
    except AssignmentError as exc:
        raise BatchUsageError(str(exc)) from None


def _summary(out: Console, results: BatchResults, folder: Path) -> None:
    rows = results.learners
    rejected = sum(any(k.status is KataStatus.REJECTED for k in r.katas) for r in rows)
    total = results.assignment.total_points
    full = sum(r.total >= total for r in rows)
    shard = f" (shard {results.shard.label})" if results.shard else ""
    out.print(
        f"{len(rows)} learners{shard}: {full} with full marks ({total:g} points), "
        f"{rejected} archives rejected. Wrote {escape(str(folder / GRADEBOOK))}, "
        f"{RESULTS} and feedback/."
    )


def grade_command(
    paths: Sequence[Path],
    out_dir: Path,
    out: Console,
    *,
    merge: bool = False,
    jobs: int | None = None,
    shard: str | None = None,
    device: str | None = None,
    timeout: float | None = None,
    memory_mb: int | None = None,
) -> int:
    """``katas grade ASSIGNMENT SUBMISSIONS... --out DIR`` or ``katas grade --merge DIR...``."""
    folder = out_dir.expanduser().resolve()
    try:
        if merge:
            results = merge_batches([p.expanduser() for p in paths], folder)
            out.print(f"Merged {len(paths)} shard folders.")
            _summary(out, results, folder)
            return 0
        if len(paths) < 2:
            raise BatchUsageError("give the assignment, then the submission archives or folders")
        if jobs is not None and jobs < 1:
            raise BatchUsageError("--jobs must be at least 1")
        loaded = _load(paths[0].expanduser())
        archives = discover(p.expanduser() for p in paths[1:])
        options = BatchOptions(
            jobs=jobs,
            shard=parse_shard(shard) if shard else None,
            device=device,
            timeout=timeout,
            memory_mb=memory_mb,
        )
        lock = threading.Lock()

        def progress(done: int, total: int, job: Job, verdict: Verdict) -> None:
            mark = _MARKS.get(verdict.status, "[yellow]![/]")
            with lock:
                out.print(
                    f"[{done:>{len(str(total))}}/{total}] {mark} {escape(job.learner)} · "
                    f"{job.kata.id}: {verdict.status.value}",
                    highlight=False,
                )

        run = grade_batch(loaded, archives, folder, options, progress=progress)
    except (PlanError, JournalError, BatchBusy, MergeError) as exc:
        raise BatchUsageError(str(exc)) from None
    out.print(
        f"Graded {run.graded} files, reused {run.reused} from an earlier run"
        + (f", {run.retry} to retry (run the same command again)" if run.retry else "")
        + "."
    )
    _summary(out, run.results, folder)
    return 0


def report_command(folder: Path, out: Console, *, html: Path | None = None) -> int:
    """``katas report DIR``: tables here, and the HTML page (default ``DIR/report.html``)."""
    folder = folder.expanduser().resolve()
    try:
        results = load_results(folder)
    except ResultsError as exc:
        raise BatchUsageError(str(exc)) from None
    report = summarise(results)
    out.print(terminal_report(report))
    target = (html or folder / REPORT_HTML).expanduser().resolve()
    try:
        atomic_write(target, html_report(report).encode("utf-8"))
    except OSError as exc:
        raise BatchUsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    out.print(f"Wrote {escape(str(target))}.")
    return 0
