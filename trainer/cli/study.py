"""Self-study commands: ``katas`` alone, ``list``, ``show``, ``check``, ``hint``, ``reset`` and
``solution``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from trainer.cli import common
from trainer.cli.common import (
    EXIT_CODES,
    add_device,
    catalog_for,
    confirm,
    found_workspace,
    stderr,
    workspace_for,
)
from trainer.cli.render import kata_panel, print_notes, print_verdict, styled
from trainer.errors import UsageError
from trainer.learner.practice import Practice
from trainer.marks import NEEDS_DEVICE, PROGRESS, RICH_STYLE, stars

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["register", "start"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("list", help="the catalog with your status per kata")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("show", help="a kata's description and where its file is")
    p.add_argument("kata_id", metavar="ID")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("check", help="grade your file for a kata (exit 0 iff it passed)")
    p.add_argument("kata_id", metavar="ID")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--file", type=Path, help="grade this file instead of your workspace's")
    where.add_argument(
        "--review", action="store_true", help="grade the kata's review file (`katas review`)"
    )
    add_device(p)
    p.add_argument("--timeout", type=float, help="seconds (default: the kata's own)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: the kata's, 4096)"
    )
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("hint", help="reveal the next hint for a kata")
    p.add_argument("kata_id", metavar="ID")
    p.set_defaults(run=cmd_hint)

    p = sub.add_parser("reset", help="start a kata over (your file is backed up first)")
    p.add_argument("kata_id", metavar="ID")
    p.set_defaults(run=cmd_reset)

    p = sub.add_parser("solution", help="reveal a kata's reference solution (asks first)")
    p.add_argument("kata_id", metavar="ID")
    p.add_argument("--yes", action="store_true", help="reveal without asking")
    p.set_defaults(run=cmd_solution)


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    workspace = found_workspace(args)
    practice = Practice(catalog, workspace)
    known = practice.known()
    status = {k.id: known[k.id].status if k.id in known else "new" for k in catalog}
    needs = {k.id: practice.needs(k) for k in catalog}  # a guess, without torch
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
    from trainer.cli.coursework import assignment_header

    table = Table(title=assignment_header(workspace, catalog), title_justify="left", expand=False)
    for column in ("id", "title", "topic", "level", "status"):
        table.add_column(column, overflow="fold")
    for kata in catalog:
        progress = PROGRESS[status[kata.id]]
        mark = f"{styled(progress)} {progress.label}"
        if needs[kata.id]:  # the progress mark, or the device mark while new, then why
            glyph = styled(NEEDS_DEVICE if status[kata.id] == "new" else progress)
            style = RICH_STYLE[NEEDS_DEVICE.tone]
            mark = f"{glyph} [{style}]{NEEDS_DEVICE.label} {needs[kata.id]}[/]"
        elif "cpu" not in kata.spec.devices:
            mark += " [cyan](GPU)[/]"
        if practice.solved_late(kata.id, known):
            mark += " [yellow]late[/]"
        table.add_row(kata.id, escape(kata.title), kata.topic, stars(kata.spec.difficulty), mark)
    out.print(table)
    return 0


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    kata = catalog.get(args.kata_id)
    workspace = found_workspace(args)
    location = str(workspace.file_for(kata)) if workspace else None
    out.print(kata_panel(kata, location))
    from trainer.cli.coursework import show_rules

    show_rules(out, Practice(catalog, workspace), kata)
    if workspace:
        count = workspace.progress.hints_revealed(kata.id)
        for index, hint in enumerate(kata.spec.hints[:count]):
            out.print(f"[bold]Hint {index + 1}/{len(kata.spec.hints)}:[/]")
            out.print(Markdown(hint))
    return 0


def cmd_check(args: argparse.Namespace, out: Console) -> int:
    from trainer.grading.grader import grade

    err = stderr()
    catalog = catalog_for(args, err)
    kata = catalog.get(args.kata_id)
    if args.file is not None:
        path = args.file.expanduser().resolve()
        workspace = found_workspace(args)
    else:
        workspace = workspace_for(args, err)
        path = workspace.review_file_for(kata) if args.review else workspace.open(kata)
        if args.review and not path.is_file():
            raise UsageError(f"no review of {kata.id} is open: `katas review {kata.id}` opens one")
    limits = None
    if args.memory_mb is not None:
        limits = kata.spec.limits.model_copy(update={"memory_mb": args.memory_mb})
    practice = Practice(catalog, workspace)
    outcome = practice.attempt(
        kata,
        path,
        lambda k, p, device: grade(k, p, device, timeout=args.timeout, limits=limits),
        args.device,
    )
    if args.json:
        print(outcome.verdict.to_json())
    else:
        print_verdict(out, outcome.verdict, kata.title)
        print_notes(out, outcome.notes)
    if outcome.unrecorded is not None:
        raise outcome.unrecorded
    return EXIT_CODES[outcome.verdict.status]


def cmd_hint(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    kata = catalog.get(args.kata_id)
    practice = Practice(catalog, workspace_for(args, stderr()))
    total = len(kata.spec.hints)
    index = practice.reveal_hint(kata)
    out.print(f"[bold]Hint {index + 1}/{total}[/] for {escape(kata.title)}:")
    out.print(Markdown(kata.spec.hints[index]))
    if index + 1 == total:
        out.print("[dim]That was the last hint.[/]")
    return 0


def cmd_reset(args: argparse.Namespace, out: Console) -> int:
    kata = catalog_for(args).get(args.kata_id)
    workspace = workspace_for(args, stderr())
    backup = workspace.reset(kata)
    if backup is not None:
        out.print(f"Your previous file is saved at [bold]{escape(str(backup))}[/].")
    out.print(f"{escape(str(workspace.file_for(kata)))} is the starter again.")
    return 0


def cmd_solution(args: argparse.Namespace, out: Console) -> int:
    """Show the reference solution, after a confirmation; the reveal is recorded."""
    catalog = catalog_for(args)
    kata = catalog.get(args.kata_id)
    practice = Practice(catalog, workspace_for(args, stderr()))
    practice.check_solution_allowed(kata)
    solved = practice.is_solved(kata.id)
    if not args.yes:
        if not common.interactive():
            raise UsageError("revealing a solution needs a yes: run it again with --yes")
        note = "" if solved else " You have not solved it yet: it will count as a reveal."
        if not confirm(f"Show the reference solution of {kata.id}?{note}"):
            out.print("Not revealed.")
            return 1
    text = practice.reveal_solution(kata)
    out.print(f"[bold]Reference solution[/] of {escape(kata.title)} ({kata.spec.file}):")
    out.print(Syntax(text, "python", line_numbers=True))
    if not solved:
        out.print(
            "[dim]Recorded: revealing the solution before solving rates this kata's first "
            "review Again, so it comes back soon.[/]"
        )
    return 0


def start(args: argparse.Namespace, out: Console) -> int:
    """``katas`` alone: the TUI in a terminal; watch mode when only stdin is one; else a summary."""
    if not sys.stdin.isatty():
        catalog = catalog_for(args)
        workspace = workspace_for(args, out)
        practice = Practice(catalog, workspace)
        solved = practice.solved()
        nxt = practice.next_kata()
        out.print(f"Workspace: {escape(str(workspace.root))} · {len(solved)}/{len(catalog)} solved")
        if nxt is not None:
            out.print(f"Next kata: {nxt.id} ({escape(nxt.title)}) — `katas watch` to start it.")
        return 0
    if sys.stdout.isatty():
        from trainer.tui import start as start_tui

        return start_tui(args.pack)
    from trainer.cli.watch import cmd_watch

    args.kata_id, args.device, args.poll = None, "cpu", False
    return cmd_watch(args, out)
