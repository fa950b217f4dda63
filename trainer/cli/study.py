"""Self-study commands: ``katas`` alone, ``list``, ``show``, ``check``, ``hint``, ``reset`` and
``solution``."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

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
from trainer.cli.render import kata_panel, plural, print_notes, print_verdict, styled
from trainer.errors import UsageError
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.history import KataProgress
from trainer.learner.practice import Practice
from trainer.marks import NEEDS_DEVICE, PROGRESS, RICH_STYLE, stars

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["register", "start"]

STATUSES = ("new", "attempted", "solved")
"""What ``katas list --status`` filters on: a kata's standing in the progress store."""
MIN_TITLE = 16
"""``katas list`` drops the level, then the topic column, before it leaves a title less room."""


def register(sub: Subcommands) -> None:
    p = sub.add_parser("list", help="the catalog with your status per kata")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument(
        "--all",
        action="store_true",
        help="every kata, not topics folded (a large catalog lists a line per topic and opens "
        "only your current kata's topic)",
    )
    p.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="TOPIC",
        help="only these topics (repeatable, or a comma list: --topic tensors,autograd)",
    )
    p.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="STATUS",
        help="only katas that are new, attempted or solved (repeatable, or a comma list)",
    )
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("show", help="a kata's description and where its file is")
    _kata_id(p)
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("check", help="grade your file for a kata (exit 0 iff it passed)")
    _kata_id(p)
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
    _kata_id(p)
    p.set_defaults(run=cmd_hint)

    p = sub.add_parser("reset", help="start a kata over (your file is backed up first)")
    _kata_id(p)
    p.set_defaults(run=cmd_reset)

    p = sub.add_parser("solution", help="reveal a kata's reference solution (asks first)")
    _kata_id(p)
    p.add_argument("--yes", action="store_true", help="reveal without asking")
    p.set_defaults(run=cmd_solution)


def _kata_id(parser: argparse.ArgumentParser) -> None:
    """The optional ``ID`` of show, check, hint, reset and solution (the current kata if left
    out: :meth:`Practice.current_kata`)."""
    parser.add_argument(
        "kata_id",
        metavar="ID",
        nargs="?",
        help="default: the kata you opened last in `katas` or `katas watch`, else the next one",
    )


def _kata(practice: Practice, named: Kata | None, command: str, say: Console) -> Kata:
    """The kata named on the command line, else the current one, said with why it was chosen."""
    if named is not None:
        return named
    current = practice.current_kata()
    if current is None:
        raise UsageError(
            f"which kata? None is open and none is left to do here: name one, "
            f"`katas {command} ID` (`katas list` shows the ids)"
        )
    say.print(
        f"[bold]{current.kata.id}[/] [dim]({escape(current.why)}; "
        f"`katas {command} ID` for another)[/]",
        highlight=False,
    )
    return current.kata


def _named(catalog: Catalog, args: argparse.Namespace) -> Kata | None:
    return catalog.get(args.kata_id) if args.kata_id is not None else None


def _choices(values: list[str], known: list[str], option: str, noun: str) -> set[str]:
    """``--topic``/``--status`` values, repeated or comma-separated, each one checked."""
    wanted = {v.strip() for value in values for v in value.split(",") if v.strip()}
    for value in sorted(wanted - set(known)):
        close = difflib.get_close_matches(value, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(
            f"{option} {value!r}: no such {noun}; {hint}choose from {', '.join(known)}"
        )
    return wanted


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    workspace = found_workspace(args)
    practice = Practice(catalog, workspace)
    known = practice.known()
    status = {k.id: known[k.id].status if k.id in known else "new" for k in catalog}
    topics = _choices(args.topic, catalog.topics(), "--topic", "topic")
    statuses = _choices(args.status, list(STATUSES), "--status", "status")
    shown = [
        k
        for k in catalog
        if (not topics or k.topic in topics) and (not statuses or status[k.id] in statuses)
    ]
    needs = {k.id: practice.needs(k) for k in shown}  # a guess, without torch
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
            for k in shown
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not shown:
        asked = [f"--topic {','.join(sorted(topics))}"] * bool(topics)
        asked += [f"--status {','.join(sorted(statuses))}"] * bool(statuses)
        out.print(
            f"No kata matches {' '.join(asked)} (of {plural(len(catalog), 'kata')}; "
            "`katas list` shows them all)."
        )
        return 0
    from trainer.cli.coursework import assignment_header

    header = assignment_header(workspace, catalog, shown=len(shown))
    folded = practice.folds() and not (topics or statuses or args.all)
    if folded:
        current = practice.current_kata()
        opened = current.kata.topic if current is not None else None
        out.print(_topic_table(practice, known, opened, header))
        shown = [k for k in shown if k.topic == opened]
        if current is not None:
            header = (
                f"\n[bold]{opened}[/] · {plural(len(shown), 'kata')} · current: {current.kata.id}"
            )
    marks = {}
    for kata in shown:
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
        marks[kata.id] = Text.from_markup(mark)
    if shown:
        out.print(_list_table(shown, marks, header, out.width, topic=not folded))
    if folded:
        out.print(
            "[dim]`katas list --topic NAME` lists a topic · `katas list --all` every kata[/]",
            highlight=False,
        )
    return 0


def _table(header: str) -> Table:
    """The look of both ``katas list`` tables: a rule under the column names, no frame."""
    return Table(
        title=header,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
        expand=False,
    )


def _topic_table(
    practice: Practice, known: Mapping[str, KataProgress], opened: str | None, header: str
) -> Table:
    """A folded catalog: a line per topic, its counts, and a mark on the one listed below."""
    table = _table(header)
    for name in ("topic", "katas", "solved", "tried", "progress"):
        table.add_column(
            name, no_wrap=True, justify="left" if name in ("topic", "progress") else "right"
        )
    by_topic = practice.catalog.by_topic()
    for count in practice.topic_counts(known):
        done = round(10 * count.solved / count.total)
        bar = Text("█" * done, style="green")
        bar.append("░" * (10 - done), style="dim")
        needs = {practice.needs(k) for k in by_topic[count.topic]}
        if "" not in needs:  # no kata of the topic runs here
            bar.append(f"  needs {' or '.join(sorted(needs))}", style=RICH_STYLE[NEEDS_DEVICE.tone])
        elif count.topic == opened:
            bar.append("  ▾ below", style="bold")
        table.add_row(
            Text(count.topic, style="bold" if count.topic == opened else ""),
            str(count.total),
            str(count.solved),
            str(count.attempted),
            bar,
        )
    return table


def _list_table(
    katas: list[Kata], marks: dict[str, Text], header: str, width: int, *, topic: bool = True
) -> Table:
    """One line per kata at any width: ids and statuses whole, titles cut with an ellipsis,
    and the level, then the topic column left out where they would squeeze titles below
    :data:`MIN_TITLE` (or always, without ``topic``: one topic's katas under its name)."""
    cells: dict[str, list[str | Text]] = {
        "id": [k.id for k in katas],
        "topic": [k.topic for k in katas],
        "level": [stars(k.spec.difficulty) for k in katas],
        "status": [marks[k.id] for k in katas],
    }
    natural = {
        name: max(len(name), *(c.cell_len if isinstance(c, Text) else cell_len(c) for c in column))
        for name, column in cells.items()
    }
    kept = ["id", "topic", "level", "status"] if topic else ["id", "level", "status"]
    for optional in ("level", "topic")[: 2 if topic else 1]:
        columns = len(kept) + 1  # and the title
        room = width - sum(natural[n] for n in kept) - (2 * columns - 1)  # padding, rules
        if room >= MIN_TITLE:
            break
        kept.remove(optional)
    table = _table(header)
    order = [n for n in ("id", "title", "topic", "level", "status") if n == "title" or n in kept]
    for name in order:
        table.add_column(name, no_wrap=name != "title")  # a title column may shrink, not wrap
    for index, kata in enumerate(katas):
        title = Text(kata.title, no_wrap=True, overflow="ellipsis")
        table.add_row(*(title if n == "title" else cells[n][index] for n in order))
    return table


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    named = _named(catalog, args)
    workspace = found_workspace(args)
    practice = Practice(catalog, workspace)
    kata = _kata(practice, named, "show", out)
    path = workspace.file_for(kata) if workspace else None
    exists = path is not None and path.is_file()
    out.print(kata_panel(kata, str(path) if exists else None))
    if not exists:  # never a path as if it were there: say what writes it, and where
        writes = f"`katas watch {kata.id}` (or `katas check {kata.id}`)"
        if path is None:
            said = f"You have no workspace yet: {writes} makes one and writes your file there"
        else:
            said = f"Your file, {escape(str(path))}, is not written yet: {writes} writes it"
        out.print(f"{said} from the starter, then grades it.", highlight=False)
    from trainer.cli.coursework import show_rules

    show_rules(out, practice, kata)
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
    named = _named(catalog, args)  # an unknown id fails before a workspace is made
    workspace = found_workspace(args) if args.file is not None else workspace_for(args, err)
    practice = Practice(catalog, workspace)
    kata = _kata(practice, named, "check", err if args.json else out)
    if args.file is not None:
        path = args.file.expanduser().resolve()
    else:
        assert workspace is not None  # workspace_for always gives one
        path = workspace.review_file_for(kata) if args.review else workspace.open(kata)
        if args.review and not path.is_file():
            raise UsageError(f"no review of {kata.id} is open: `katas review {kata.id}` opens one")
    limits = None
    if args.memory_mb is not None:
        limits = kata.spec.limits.model_copy(update={"memory_mb": args.memory_mb})
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
    named = _named(catalog, args)
    practice = Practice(catalog, workspace_for(args, stderr()))
    kata = _kata(practice, named, "hint", out)
    total = len(kata.spec.hints)
    index = practice.reveal_hint(kata)
    out.print(f"[bold]Hint {index + 1}/{total}[/] for {escape(kata.title)}:")
    out.print(Markdown(kata.spec.hints[index]))
    if index + 1 == total:
        out.print("[dim]That was the last hint.[/]")
    return 0


def cmd_reset(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    named = _named(catalog, args)
    workspace = workspace_for(args, stderr())
    kata = _kata(Practice(catalog, workspace), named, "reset", out)
    backup = workspace.reset(kata)
    if backup is not None:
        out.print(f"Your previous file is saved at [bold]{escape(str(backup))}[/].")
    out.print(f"{escape(str(workspace.file_for(kata)))} is the starter again.")
    return 0


def cmd_solution(args: argparse.Namespace, out: Console) -> int:
    """Show the reference solution, after a confirmation; the reveal is recorded."""
    catalog = catalog_for(args)
    named = _named(catalog, args)
    practice = Practice(catalog, workspace_for(args, stderr()))
    kata = _kata(practice, named, "solution", out)
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
