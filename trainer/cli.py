"""The ``katas`` command. Every subcommand is a thin layer over the core modules.

Exit codes of ``katas check`` (and of ``katas validate``, which uses 0 and 1 only) let scripts
tell the verdicts apart; ``unavailable`` has its own code so "not verified here" is never read as
a pass or as a plain failure. Code 2 is a problem the user can fix: a usage error, or a
workspace or progress store that cannot be used.

``main`` takes an optional ``clock`` so tests can run the real commands at a fixed time: every
progress record and every "due" comparison uses it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from trainer import __version__
from trainer.atomic import atomic_write
from trainer.catalog import Catalog, UnknownKataError
from trainer.devices import DEVICE_CHOICES, missing_devices, parse_device
from trainer.model import Kata
from trainer.progress import Clock, KataProgress, ProgressError, sha256_hex, utc_now
from trainer.render import kata_panel, print_verdict, stars
from trainer.verdict import Status
from trainer.workspace import Workspace, WorkspaceError

EXIT_CODES: dict[Status, int] = {
    Status.PASSED: 0,
    Status.FAILED: 1,
    Status.ERROR: 3,
    Status.TIMEOUT: 4,
    Status.CRASHED: 5,
    Status.UNAVAILABLE: 6,
}
EXIT_USAGE = 2
DEVICES = DEVICE_CHOICES
T = TypeVar("T")
DEVICE_HELP = "cpu, cuda, cuda:N, mps or auto (a GPU when there is one); default cpu"


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


_device = parse_device
"""The ``--device`` type (kept under its old name; new code imports ``trainer.devices``)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="katas",
        description="A terminal kata trainer for PyTorch. Run without a command to start.",
    )
    parser.add_argument("--version", action="version", version=f"torch-katas {__version__}")
    parser.add_argument(
        "--pack",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="an extra kata pack (repeatable; KATAS_PATH works too)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="make a workspace folder for your kata files")
    p.add_argument("dir", nargs="?", type=Path, default=None)
    p.add_argument(
        "--assignment", type=Path, metavar="FILE", help="a workspace for this assignment.yaml"
    )
    p.add_argument("--learner", metavar="NAME", help="your name on submissions (default: login)")

    p = sub.add_parser("submit", help="write the archive to hand in for your assignment")
    p.add_argument("--learner", metavar="NAME", help="default: the name given at init")
    p.add_argument("--out", type=Path, metavar="FILE", help="default: NAME.ASSIGNMENT.katas.zip")

    p = sub.add_parser("new", help="scaffold a new kata (authors)")
    p.add_argument("kata_id", metavar="ID")
    p.add_argument("--pack", dest="new_pack", type=Path, required=True, metavar="DIR")
    p.add_argument("--topic", required=True, metavar="TOPIC")

    p = sub.add_parser("list", help="the catalog with your status per kata")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("show", help="a kata's description and where its file is")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("check", help="grade your file for a kata (exit 0 iff it passed)")
    p.add_argument("kata_id", metavar="ID")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--file", type=Path, help="grade this file instead of your workspace's")
    where.add_argument(
        "--review", action="store_true", help="grade the kata's review file (`katas review`)"
    )
    p.add_argument("--device", type=_device, default="cpu", help=DEVICE_HELP)
    p.add_argument("--timeout", type=float, help="seconds (default: the kata's own)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: the kata's, 4096)"
    )
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")

    p = sub.add_parser("hint", help="reveal the next hint for a kata")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("reset", help="start a kata over (your file is backed up first)")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("watch", help="grade on every save, then move to the next kata")
    p.add_argument("kata_id", metavar="ID", nargs="?")
    p.add_argument("--device", type=_device, default="cpu", help=DEVICE_HELP)
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")

    p = sub.add_parser("solution", help="reveal a kata's reference solution (asks first)")
    p.add_argument("kata_id", metavar="ID")
    p.add_argument("--yes", action="store_true", help="reveal without asking")

    p = sub.add_parser("progress", help="what you solved, per topic, streak, recent activity")
    p.add_argument("--json", action="store_true", help="print the documented JSON document")

    p = sub.add_parser("export", help="your attempt history as CSV or JSON")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")

    p = sub.add_parser("review", help="katas due for spaced review; opens the next one")
    p.add_argument("kata_id", metavar="ID", nargs="?", help="review this solved kata now")
    p.add_argument("--list", action="store_true", help="only list what is due")
    p.add_argument("--json", action="store_true", help="list what is due as JSON")
    p.add_argument("--fresh", action="store_true", help="restart a review in progress")
    p.add_argument("--no-watch", action="store_true", help="do not start watch mode")
    p.add_argument("--device", type=_device, default="cpu", help=DEVICE_HELP)
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")

    p = sub.add_parser("validate", help="prove katas right: solution passes, wrong ones fail")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="packs or kata folders")
    p.add_argument("--device", type=_device, default="cpu", help=DEVICE_HELP)
    p.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: cores)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: each kata's own)"
    )

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
    p.add_argument("--device", type=_device, default=None, help="default: the assignment's devices")
    p.add_argument("--timeout", type=float, help="seconds per file (default: each kata's own)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: each kata's own)"
    )
    p.add_argument("--merge", action="store_true", help="merge graded shard folders into --out")

    p = sub.add_parser("report", help="how a class did on a graded batch (tables and HTML)")
    p.add_argument("dir", type=Path, metavar="DIR", help="a `katas grade` output folder")
    p.add_argument("--html", type=Path, metavar="FILE", help="default: DIR/report.html")
    return parser


# -- helpers --------------------------------------------------------------------------------


def _catalog(args: argparse.Namespace, console: Console) -> Catalog:
    """The katas this workspace's learner sees: only an assignment's, in a workspace made
    from one (:meth:`Workspace.catalog`)."""
    workspace = Workspace.find()
    catalog = workspace.catalog(args.pack) if workspace else Catalog.default(extra=args.pack)
    for problem in catalog.problems:
        console.print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False)
    return catalog


def _kata(catalog: Catalog, kata_id: str) -> Kata:
    try:
        return catalog.get(kata_id)
    except UnknownKataError as exc:
        raise CliError(str(exc)) from None


def _clock(args: argparse.Namespace) -> Clock:
    clock: Clock = getattr(args, "clock", None) or utc_now
    return clock


def _workspace(args: argparse.Namespace, console: Console) -> Workspace:
    workspace, created = Workspace.locate()
    if created:
        console.print(
            f"Created your kata workspace at [bold]{escape(str(workspace.root))}[/] "
            "(set KATAS_WORKSPACE or run `katas init DIR` to use another folder)."
        )
    return workspace.with_clock(_clock(args))


def _found(args: argparse.Namespace) -> Workspace | None:
    """The workspace if there is one; commands that only read never create one."""
    workspace = Workspace.find()
    return workspace.with_clock(_clock(args)) if workspace else None


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


# -- commands -------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, out: Console) -> int:
    root = (args.dir or Path.cwd()).expanduser().resolve()
    if args.assignment is not None:
        from trainer import coursework as cw

        made = _coursework(cw.init_assignment, root, args.assignment, args.learner, _clock(args))
        cw.print_initialised(out, *made)
        return 0
    if args.learner is not None:
        raise CliError("--learner goes with --assignment FILE")
    workspace = Workspace.init(root)
    out.print(
        f"Workspace ready at [bold]{escape(str(workspace.root))}[/]. Run `katas` there to start."
    )
    return 0


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    catalog = _catalog(args, Console(stderr=True))
    workspace = _found(args)
    known = workspace.progress.katas() if workspace else {}
    status = {k.id: known[k.id].status if k.id in known else "new" for k in catalog}
    needs = {k.id: missing_devices(k.spec.devices) for k in catalog}  # a guess, without torch
    if args.json:
        rows = [
            {
                "id": k.id,
                "title": k.title,
                "topic": k.topic,
                "difficulty": k.spec.difficulty,
                "devices": list(k.spec.devices),
                "status": status[k.id],
                "available": not needs[k.id],
                "needs": list(k.spec.devices) if needs[k.id] else [],
            }
            for k in catalog
        ]
        print(json.dumps(rows, indent=2))
        return 0
    from trainer.coursework import assignment_header, solved_late

    rules = workspace.rules if workspace else None
    title = assignment_header(workspace, catalog)
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("id", "title", "topic", "level", "status"):
        table.add_column(column, overflow="fold")
    marks = {"new": "·  new", "attempted": "[red]✗[/] attempted", "solved": "[green]✓[/] solved"}
    for kata in catalog:
        mark = marks[status[kata.id]]
        if needs[kata.id]:  # the progress symbol, then why this machine cannot grade it
            symbol = "[cyan]⊘[/]" if status[kata.id] == "new" else mark.split(" ")[0]
            mark = f"{symbol} [cyan]needs {needs[kata.id]}[/]"
        elif "cpu" not in kata.spec.devices:
            mark += " [cyan](GPU)[/]"
        if rules is not None and solved_late(rules, known.get(kata.id)):
            mark += " [yellow]late[/]"
        table.add_row(kata.id, escape(kata.title), kata.topic, stars(kata.spec.difficulty), mark)
    out.print(table)
    return 0


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _found(args)
    location = str(workspace.file_for(kata)) if workspace else None
    out.print(kata_panel(kata, location))
    from trainer.coursework import show_rules

    show_rules(out, workspace, kata)
    if workspace:
        count = workspace.progress.hints_revealed(kata.id)
        for index, hint in enumerate(kata.spec.hints[:count]):
            out.print(f"[bold]Hint {index + 1}/{len(kata.spec.hints)}:[/]")
            out.print(Markdown(hint))
    return 0


def cmd_check(args: argparse.Namespace, out: Console) -> int:
    from trainer.grading import grade

    err = Console(stderr=True)
    kata = _kata(_catalog(args, err), args.kata_id)
    workspace: Workspace | None
    if args.file is not None:
        path = args.file.expanduser().resolve()
        workspace = _found(args)
    else:
        workspace = _workspace(args, err)
        path = workspace.review_file_for(kata) if args.review else workspace.open(kata)
        if args.review and not path.is_file():
            raise CliError(f"no review of {kata.id} is open: `katas review {kata.id}` opens one")
    code = _read(path)
    limits = None
    if args.memory_mb is not None:
        limits = kata.spec.limits.model_copy(update={"memory_mb": args.memory_mb})
    verdict = grade(kata, path, args.device, timeout=args.timeout, limits=limits)
    recorded = None
    if workspace is not None:
        own = workspace.file_for(kata).resolve()
        review = workspace.review_file_for(kata).resolve()
        if path.resolve() in (own, review):
            recorded = workspace.progress.record_attempt(
                kata.id,
                verdict,
                sha256_hex(code) if code is not None else None,
                starter=code == kata.starter.read_bytes(),
                review=path.resolve() == review,
            )
    if args.json:
        print(verdict.to_json())
    else:
        print_verdict(out, verdict, kata.title)
        from trainer.report import outcome_message

        message = outcome_message(recorded) if recorded else None
        if message:
            out.print(message)
        if workspace is not None:
            from trainer.coursework import late_note

            late = late_note(workspace.rules, recorded)
            if late:
                out.print(late)
    return EXIT_CODES[verdict.status]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def cmd_hint(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _workspace(args, Console(stderr=True))
    refusal = workspace.rules.hint_refusal()
    if refusal:
        raise CliError(refusal)
    total = len(kata.spec.hints)
    index = workspace.progress.reveal_hint(kata.id, total)
    out.print(f"[bold]Hint {index + 1}/{total}[/] for {escape(kata.title)}:")
    out.print(Markdown(kata.spec.hints[index]))
    if index + 1 == total:
        out.print("[dim]That was the last hint.[/]")
    return 0


def cmd_reset(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _workspace(args, Console(stderr=True))
    backup = workspace.reset(kata)
    if backup is not None:
        out.print(f"Your previous file is saved at [bold]{escape(str(backup))}[/].")
    out.print(f"{escape(str(workspace.file_for(kata)))} is the starter again.")
    return 0


def cmd_watch(args: argparse.Namespace, out: Console) -> int:
    from trainer.watch import WatchSession

    catalog = _catalog(args, Console(stderr=True))
    kata = _kata(catalog, args.kata_id) if args.kata_id else None
    workspace = _workspace(args, out)
    return WatchSession(catalog, workspace, out, device=args.device).run(kata, poll=args.poll)


def cmd_solution(args: argparse.Namespace, out: Console) -> int:
    """Show the reference solution, after a confirmation; the reveal is recorded."""
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _workspace(args, Console(stderr=True))
    refusal = workspace.rules.solution_refusal()
    if refusal:
        raise CliError(refusal)
    solved = workspace.progress.status_of(kata.id) == "solved"
    if not args.yes:
        if not _interactive():
            raise CliError("revealing a solution needs a yes: run it again with --yes")
        note = "" if solved else " You have not solved it yet: it will count as a reveal."
        if not _confirm(f"Show the reference solution of {kata.id}?{note}"):
            out.print("Not revealed.")
            return 1
    workspace.progress.record_solution(kata.id)
    out.print(f"[bold]Reference solution[/] of {escape(kata.title)} ({kata.spec.file}):")
    out.print(Syntax(kata.solution.read_text(encoding="utf-8"), "python", line_numbers=True))
    if not solved:
        out.print(
            "[dim]Recorded: revealing the solution before solving rates this kata's first "
            "review Again, so it comes back soon.[/]"
        )
    return 0


def cmd_progress(args: argparse.Namespace, out: Console) -> int:
    from trainer.report import build_report, render_report

    catalog = _catalog(args, Console(stderr=True))
    workspace = _workspace(args, Console(stderr=True))
    report = build_report(catalog, workspace.progress, workspace.root, now=_clock(args)())
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        out.print(f"[bold]Progress[/] · {escape(str(workspace.root))}")
        out.print(render_report(report))
    return 0


def cmd_export(args: argparse.Namespace, out: Console) -> int:
    from trainer.export import export_attempts

    catalog = _catalog(args, Console(stderr=True))
    workspace = _workspace(args, Console(stderr=True))
    text = export_attempts(
        workspace.progress.attempts(),
        catalog,
        args.format,
        workspace=str(workspace.root),
        now=_clock(args)(),
    )
    if args.output is None:
        sys.stdout.write(text)
        return 0
    target = args.output.expanduser().resolve()
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
    rows = text.count("\n") - 1 if args.format == "csv" else None
    what = f"{rows} attempts" if rows is not None else "the attempt history"
    Console(stderr=True).print(f"Wrote {what} to {escape(str(target))}.")
    return 0


def cmd_review(args: argparse.Namespace, out: Console) -> int:
    from trainer.watch import WatchSession, next_review, open_review

    catalog = _catalog(args, Console(stderr=True))
    workspace = _workspace(args, Console(stderr=True))
    now = _clock(args)()
    known = {k: p for k, p in workspace.progress.katas().items() if k in catalog}
    cards = sorted(
        (p for p in known.values() if p.card is not None),
        key=lambda p: (p.card.due if p.card else now, p.kata_id),
    )
    due = [p for p in cards if p.card is not None and p.card.is_due(now)]
    if args.json:
        print(json.dumps(_review_json(catalog, due, cards), indent=2))
        return 0
    if args.kata_id:
        kata = _kata(catalog, args.kata_id)
        card = known[kata.id].card if kata.id in known else None
        if card is None:
            raise CliError(f"{kata.id} is not solved yet: reviews are for solved katas")
        if not card.is_due(now):
            out.print(f"[dim]{kata.id} is not due until {_day(card.due)}; reviewing early.[/]")
    else:
        _print_due(out, catalog, due, cards)
        found = next_review(catalog, workspace) if due else None
        if args.list or found is None:
            return 0
        kata = found
    card = known[kata.id].card
    carry_on = (
        not args.fresh
        and card is not None
        and card.in_progress
        and workspace.review_file_for(kata).exists()
    )
    if args.fresh:
        path, backup = workspace.open_review(kata)
        workspace.progress.start_review(kata.id)
    else:
        path, backup = open_review(workspace, kata)
    out.print(kata_panel(kata, str(path)))
    what = "your review in progress (`--fresh` starts over)" if carry_on else "a fresh copy"
    out.print(
        f"Review file: [bold]{escape(str(path))}[/] — {what}; your solution in "
        f"{escape(str(workspace.file_for(kata)))} is untouched."
    )
    if backup is not None:
        out.print(f"Your previous review file is saved at {escape(str(backup))}.")
    if args.no_watch or not _interactive():
        out.print(f"Grade it with `katas check {kata.id} --review`; a pass reschedules it.")
        return 0
    session = WatchSession(catalog, workspace, out, device=args.device, review=True)
    return session.run(kata, poll=args.poll)


def _day(moment: datetime) -> str:
    """A date as the learner reads it: local time."""
    return moment.astimezone().strftime("%Y-%m-%d")


def _print_due(
    out: Console, catalog: Catalog, due: list[KataProgress], cards: list[KataProgress]
) -> None:
    if not due:
        upcoming = next((p for p in cards if p.card is not None), None)
        if upcoming is None or upcoming.card is None:
            out.print("Nothing to review yet: solved katas come back here for review.")
        else:
            out.print(f"Nothing due. Next review: {upcoming.kata_id} on {_day(upcoming.card.due)}.")
        return
    table = Table(title=f"{len(due)} due for review", title_justify="left")
    for column in ("id", "title", "topic", "due since", "last rating", "reviews"):
        table.add_column(column, overflow="fold")
    for p in due:
        assert p.card is not None
        kata = catalog.get(p.kata_id)
        grade = p.card.last_grade.value if p.card.last_grade else ""
        table.add_row(
            kata.id,
            escape(kata.title),
            kata.topic,
            _day(p.card.due),
            grade + (" · in progress" if p.card.in_progress else ""),
            str(p.card.reviews),
        )
    out.print(table)


def _review_json(
    catalog: Catalog, due: list[KataProgress], cards: list[KataProgress]
) -> dict[str, object]:
    def entry(p: KataProgress) -> dict[str, object]:
        assert p.card is not None
        kata = catalog.get(p.kata_id)
        return {
            "id": kata.id,
            "topic": kata.topic,
            "due": p.card.due.isoformat().replace("+00:00", "Z"),
            "last_rating": p.card.last_grade.value if p.card.last_grade else None,
            "reviews": p.card.reviews,
            "in_progress": p.card.in_progress,
        }

    due_ids = {p.kata_id for p in due}
    return {
        "due": [entry(p) for p in due],
        "upcoming": [entry(p) for p in cards if p.kata_id not in due_ids],
    }


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    from trainer.validate import TrialResult, validate

    katas, problems = _katas_for_validation(args)
    for problem in problems:
        out.print(f"[red]✗[/] {escape(problem)}", highlight=False)

    def progress(result: TrialResult) -> None:
        mark = "[green]✓[/]" if result.ok else "[cyan]⊘[/]" if result.unverifiable else "[red]✗[/]"
        out.print(
            f"{mark} {result.trial.kata.id} {result.trial.role}: {escape(result.explain())}",
            highlight=False,
        )

    reports = validate(
        katas, device=args.device, jobs=args.jobs, on_result=progress, memory_mb=args.memory_mb
    )
    bad = [r for r in reports if not r.ok]
    unverified = [r for r in reports if r.ok and not r.verified]
    out.print(
        f"\n{len(reports) - len(bad) - len(unverified)} katas valid, {len(bad)} broken, "
        f"{len(unverified)} not verified here (on {args.device}), {len(problems)} failed to load."
    )
    return 1 if bad or problems or not reports else 0


def _katas_for_validation(args: argparse.Namespace) -> tuple[list[Kata], list[str]]:
    from trainer.catalog import builtin_pack
    from trainer.loader import KataLoadError, load_kata

    paths: list[Path] = args.paths or [builtin_pack()]
    katas: list[Kata] = []
    problems: list[str] = []
    packs: list[Path] = []
    for path in paths:
        if (path / "kata.yaml").is_file():
            try:
                katas.append(load_kata(path, path.parent.parent))
            except KataLoadError as exc:
                problems += [str(p) for p in exc.problems]
        elif path.is_dir():
            packs.append(path)
        else:
            problems.append(f"{path}: no such pack or kata folder")
    for path in packs:
        # A topic folder inside a pack is checked with its whole pack loaded, so that its
        # katas' ``requires`` on katas elsewhere in the pack resolve; only its own are graded.
        pack = _enclosing_pack(path)
        catalog = Catalog.load([pack])
        inside = path.resolve()
        chosen = [k for k in catalog if k.root.resolve().is_relative_to(inside)]
        if not chosen and not catalog.problems:
            problems.append(f"{path}: no kata folder (one holding kata.yaml) under it")
        katas += chosen
        problems += [str(p) for p in catalog.problems if p.path.resolve().is_relative_to(inside)]
    return katas, problems


def _enclosing_pack(path: Path) -> Path:
    """``path``, or the nearest folder above it holding a ``pack.yaml``."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / "pack.yaml").is_file():
            return folder
    return path


def cmd_grade(args: argparse.Namespace, out: Console) -> int:
    from trainer.batch.commands import BatchUsageError, grade_command

    try:
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
        )
    except BatchUsageError as exc:
        raise CliError(str(exc)) from None


def cmd_report(args: argparse.Namespace, out: Console) -> int:
    from trainer.batch.commands import BatchUsageError, report_command

    try:
        return report_command(args.dir, out, html=args.html)
    except BatchUsageError as exc:
        raise CliError(str(exc)) from None


def cmd_submit(args: argparse.Namespace, out: Console) -> int:
    from trainer.coursework import submit

    return _coursework(submit, out, _found(args), args.learner, args.out)


def cmd_new(args: argparse.Namespace, out: Console) -> int:
    from trainer.coursework import new_kata

    taken = [k.id for k in Catalog.default(extra=args.pack)]
    return _coursework(new_kata, out, args.new_pack, args.kata_id, args.topic, taken)


def _coursework(command: Callable[..., T], *args: object) -> T:
    """Run a :mod:`trainer.coursework` command; its errors are the user's to fix (exit 2)."""
    from trainer.coursework import CourseworkError

    try:
        return command(*args)
    except CourseworkError as exc:
        raise CliError(str(exc)) from None


def cmd_start(args: argparse.Namespace, out: Console) -> int:
    """``katas`` alone: the TUI in a terminal; watch mode when only stdin is one; else a summary."""
    if not sys.stdin.isatty():
        catalog = _catalog(args, Console(stderr=True))
        workspace = _workspace(args, out)
        from trainer.watch import solved_ids

        solved = solved_ids(catalog, workspace)
        nxt = catalog.next_kata(solved)
        out.print(f"Workspace: {escape(str(workspace.root))} · {len(solved)}/{len(catalog)} solved")
        if nxt is not None:
            out.print(f"Next kata: {nxt.id} ({escape(nxt.title)}) — `katas watch` to start it.")
        return 0
    if sys.stdout.isatty():
        from trainer.tui import start

        return start(args.pack)
    args.kata_id, args.device, args.poll = None, "cpu", False
    return cmd_watch(args, out)


COMMANDS = {
    "init": cmd_init,
    "list": cmd_list,
    "show": cmd_show,
    "check": cmd_check,
    "hint": cmd_hint,
    "reset": cmd_reset,
    "watch": cmd_watch,
    "solution": cmd_solution,
    "progress": cmd_progress,
    "export": cmd_export,
    "review": cmd_review,
    "validate": cmd_validate,
    "submit": cmd_submit,
    "new": cmd_new,
    "grade": cmd_grade,
    "report": cmd_report,
}


class _WarningLine(logging.Handler):
    """Core modules' warnings (e.g. a damaged progress store set aside) as one stderr line."""

    def emit(self, record: logging.LogRecord) -> None:
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]warning:[/] {escape(record.getMessage())}", highlight=False
        )


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.clock = clock
    out = Console(highlight=False)
    handler = _WarningLine(logging.WARNING)
    logger = logging.getLogger("trainer")
    logger.addHandler(handler)
    try:
        if args.command is None:
            return cmd_start(args, out)
        return COMMANDS[args.command](args, out)
    except (CliError, ProgressError, WorkspaceError) as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        logger.removeHandler(handler)
