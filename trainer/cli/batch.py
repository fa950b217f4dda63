"""Instructor commands: ``katas grade`` (batch grading into a gradebook) and ``katas report``.

Every problem the instructor can fix (an assignment that does not load, no archives, a folder
holding another batch, shards that do not fit) is a :class:`~trainer.errors.UsageError`, which
the CLI prints as one line with exit code 2. A learner's problem is never one of those: it is
in their row of the gradebook.
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape

from trainer.atomic import atomic_write
from trainer.batch.feedback import ShownIn, render_feedback_html
from trainer.batch.merge import merge_batches
from trainer.batch.model import BatchResults, GradeStatus
from trainer.batch.plan import Job, discover, parse_shard
from trainer.batch.publish import FEEDBACK_DIR, GRADEBOOK, RESULTS, load_results
from trainer.batch.report import html_report, summarise, terminal_report
from trainer.batch.run import BatchOptions, grade_batch
from trainer.cli.render import plural, styled
from trainer.errors import UsageError
from trainer.grading.devices import parse_device
from trainer.grading.verdict import Verdict
from trainer.marks import VERDICT

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands
    from trainer.coursework.assignment import LoadedAssignment

__all__ = ["grade_command", "register", "report_command"]

REPORT_HTML = "report.html"


def register(sub: Subcommands) -> None:
    p = sub.add_parser("grade", help="grade submission archives into a gradebook (instructors)")
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="ASSIGNMENT then SUBMISSIONS (archives or folders); with --merge, shard folders",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the batch's folder")
    p.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: cores)")
    p.add_argument("--shard", metavar="K/N", help="grade only the K-th of N parts of the class")
    p.add_argument(
        "--device", type=parse_device, default=None, help="default: the assignment's devices"
    )
    p.add_argument("--timeout", type=float, help="seconds per file (default: each kata's own)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: each kata's own)"
    )
    p.add_argument("--merge", action="store_true", help="merge graded shard folders into --out")
    p.add_argument(
        "--allow-unisolated",
        action="store_true",
        help="grade even where learner code could read other files (the gradebook says so)",
    )
    p.add_argument(
        "--receipts",
        type=Path,
        metavar="CSV",
        help="when each archive was received (archive or learner, received); default: mtimes",
    )
    p.add_argument(
        "--regrade",
        action="append",
        default=[],
        metavar="WHO",
        help="grade this learner or kata id again whatever the journal holds (repeatable; all)",
    )
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("report", help="how a class did on a graded batch (tables and HTML)")
    p.add_argument("dir", type=Path, metavar="DIR", help="a `katas grade` output folder")
    p.add_argument("--html", type=Path, metavar="FILE", help="default: DIR/report.html")
    p.set_defaults(run=cmd_report)


def cmd_grade(args: argparse.Namespace, out: Console) -> int:
    return grade_command(
        args.paths,
        args.out,
        out,
        merge=args.merge,
        jobs=args.jobs,
        shard=args.shard,
        device=args.device,
        timeout=args.timeout,
        memory_mb=args.memory_mb,
        allow_unisolated=args.allow_unisolated,
        receipts=args.receipts,
        regrade=tuple(args.regrade),
    )


def cmd_report(args: argparse.Namespace, out: Console) -> int:
    return report_command(args.dir, out, html=args.html)


def _load(path: Path) -> LoadedAssignment:
    from trainer.coursework.assignment import load_assignment

    if path.is_dir():
        path = path / "assignment.yaml"
    return load_assignment(path)


def _summary(out: Console, results: BatchResults, folder: Path) -> None:
    rows = results.learners
    rejected = sum(any(k.status is GradeStatus.REJECTED for k in r.katas) for r in rows)
    total = results.assignment.total_points
    full = sum(r.total >= total for r in rows)
    shard = f" (shard {results.shard.label})" if results.shard else ""
    out.print(
        f"{plural(len(rows), 'learner')}{shard}: {full} with full marks "
        f"({plural(float(total), 'point')}), {plural(rejected, 'archive')} rejected. "
        f"Wrote {escape(str(folder / GRADEBOOK))}, {RESULTS} and feedback/."
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
    allow_unisolated: bool = False,
    receipts: Path | None = None,
    regrade: Sequence[str] = (),
) -> int:
    """``katas grade ASSIGNMENT SUBMISSIONS... --out DIR`` or ``katas grade --merge DIR...``."""
    folder = out_dir.expanduser().resolve()
    if merge:
        results = merge_batches([p.expanduser() for p in paths], folder)
        out.print(f"Merged {plural(len(paths), 'shard folder')}.")
        _summary(out, results, folder)
        return 0
    if len(paths) < 2:
        raise UsageError("give the assignment, then the submission archives or folders")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1")
    loaded = _load(paths[0].expanduser())
    archives = discover(p.expanduser() for p in paths[1:])
    options = BatchOptions(
        jobs=jobs,
        shard=parse_shard(shard) if shard else None,
        device=device,
        timeout=timeout,
        memory_mb=memory_mb,
        allow_unisolated=allow_unisolated,
        receipts=receipts.expanduser() if receipts else None,
        regrade=frozenset(regrade),
    )
    lock = threading.Lock()

    def progress(done: int, total: int, job: Job, verdict: Verdict) -> None:
        mark = styled(VERDICT[verdict.status])
        with lock:
            out.print(
                f"[{done:>{len(str(total))}}/{total}] {mark} {escape(job.learner)} · "
                f"{job.kata.id}: {verdict.status.value}",
                highlight=False,
            )

    run = grade_batch(loaded, archives, folder, options, progress=progress)
    out.print(
        f"Graded {plural(run.graded, 'file')}, reused {run.reused} from an earlier run"
        + (f", {run.retry} to retry (run the same command again)" if run.retry else "")
        + (f", {plural(run.reruns, 'wall-clock timeout')} graded again alone" if run.reruns else "")
        + "."
    )
    source = run.results.received_from
    if source is not None:
        late = sum(r.received is not None and r.received.days > 0 for r in run.results.learners)
        out.print(f"Lateness from {escape(source)}: {plural(late, 'learner')} late.")
    isolation = run.results.isolation
    if isolation is not None and not isolation.read_isolated:
        out.print(
            "[bold red]Graded without read isolation[/] (--allow-unisolated): learner code "
            "could read other files; gradebook.csv says so in its last column."
        )
    _summary(out, run.results, folder)
    return 0


def _feedback_pages(folder: Path, results: BatchResults, report_dir: Path) -> dict[str, str]:
    """Write ``feedback/<name>.html`` beside each learner's ``.md``; return each learner's link,
    relative to ``report_dir`` so the folder can be zipped and opened anywhere.

    Written by this command rather than by :mod:`trainer.batch.report`, which only renders (pure,
    tested without files): writing, removing the pages of learners no longer in the batch, and
    turning an unwritable folder into a :class:`UsageError` are the command's, as for the report.
    The pages are rendered under :class:`ShownIn` the published markdown, since ``results.json``
    keeps raw verdicts and the hidden checks are not at hand here: a page never shows a line its
    markdown does not. A learner whose markdown is missing gets no page and no link.
    """
    notes = folder / FEEDBACK_DIR
    links: dict[str, str] = {}
    written: set[str] = set()
    for row in results.learners:
        markdown = notes / Path(row.feedback).name
        try:
            published = markdown.read_text(encoding="utf-8")
        except OSError:
            continue
        page = markdown.with_suffix(".html")
        html = render_feedback_html(row, results.assignment, ShownIn(published), results.device)
        atomic_write(page, html.encode("utf-8"))
        written.add(page.name)
        links[row.learner] = quote(Path(os.path.relpath(page, report_dir)).as_posix())
    for stale in notes.glob("*.html") if notes.is_dir() else ():
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return links


def report_command(folder: Path, out: Console, *, html: Path | None = None) -> int:
    """``katas report DIR``: tables here, and the HTML page (default ``DIR/report.html``) with
    each learner's feedback as HTML in ``DIR/feedback/``, written first so its links resolve."""
    folder = folder.expanduser().resolve()
    results = load_results(folder)
    report = summarise(results)
    out.print(terminal_report(report))
    target = (html or folder / REPORT_HTML).expanduser().resolve()
    try:
        links = _feedback_pages(folder, results, target.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {folder / FEEDBACK_DIR}: {exc.strerror or exc}") from None
    try:
        atomic_write(target, html_report(report, links).encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    out.print(f"Wrote {escape(str(target))} and {plural(len(links), 'feedback page')}.")
    return 0
