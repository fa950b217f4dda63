"""Progress commands: ``katas progress``, ``katas export`` and ``katas review``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trainer.atomic import atomic_write
from trainer.cli import common
from trainer.cli.common import (
    add_device,
    catalog_for,
    clock_of,
    stderr,
    workspace_for,
)
from trainer.cli.render import kata_panel, plural
from trainer.errors import UsageError
from trainer.kata.catalog import Catalog
from trainer.learner.history import KataProgress
from trainer.learner.practice import Practice

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("progress", help="what you solved, per topic, streak, recent activity")
    p.add_argument("--json", action="store_true", help="print the documented JSON document")
    p.set_defaults(run=cmd_progress)

    p = sub.add_parser("export", help="your attempt history as CSV or JSON")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("review", help="katas due for spaced review; opens the next one")
    p.add_argument("kata_id", metavar="ID", nargs="?", help="review this solved kata now")
    p.add_argument("--list", action="store_true", help="only list what is due")
    p.add_argument("--json", action="store_true", help="list what is due as JSON")
    p.add_argument("--fresh", action="store_true", help="restart a review in progress")
    p.add_argument("--no-watch", action="store_true", help="do not start watch mode")
    add_device(p)
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")
    p.set_defaults(run=cmd_review)


def cmd_progress(args: argparse.Namespace, out: Console) -> int:
    from trainer.cli.render import render_report
    from trainer.learner.report import build_report

    catalog = catalog_for(args)
    workspace = workspace_for(args, stderr())
    report = build_report(catalog, workspace.progress, workspace.root, now=clock_of(args)())
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        out.print(f"[bold]Progress[/] · {escape(str(workspace.root))}")
        out.print(render_report(report))
    return 0


def cmd_export(args: argparse.Namespace, out: Console) -> int:
    from trainer.learner.export import export_attempts

    catalog = catalog_for(args)
    workspace = workspace_for(args, stderr())
    text = export_attempts(
        workspace.progress.attempts(),
        catalog,
        args.format,
        workspace=str(workspace.root),
        now=clock_of(args)(),
    )
    if args.output is None:
        sys.stdout.write(text)
        return 0
    target = args.output.expanduser().resolve()
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    rows = text.count("\n") - 1 if args.format == "csv" else None
    what = plural(rows, "attempt") if rows is not None else "the attempt history"
    stderr().print(f"Wrote {what} to {escape(str(target))}.")
    return 0


def cmd_review(args: argparse.Namespace, out: Console) -> int:
    from trainer.cli.watch import WatchSession

    catalog = catalog_for(args)
    workspace = workspace_for(args, stderr())
    practice = Practice(catalog, workspace)
    now = clock_of(args)()
    known = practice.known()
    due, cards = practice.review_queue(now)
    if args.json:
        print(json.dumps(_review_json(catalog, due, cards), indent=2))
        return 0
    if args.kata_id:
        kata = catalog.get(args.kata_id)
        card = known[kata.id].card if kata.id in known else None
        if card is None:
            raise UsageError(f"{kata.id} is not solved yet: reviews are for solved katas")
        if kata.id not in {p.kata_id for p in due}:
            out.print(f"[dim]{kata.id} is not due until {_day(card.due)}; reviewing early.[/]")
    else:
        _print_due(out, catalog, due, cards)
        found = practice.next_review() if due else None
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
    path, backup = practice.open_review(kata, fresh=args.fresh)
    out.print(kata_panel(kata, str(path)))
    what = "your review in progress (`--fresh` starts over)" if carry_on else "a fresh copy"
    out.print(
        f"Review file: [bold]{escape(str(path))}[/] — {what}; your solution in "
        f"{escape(str(workspace.file_for(kata)))} is untouched."
    )
    if backup is not None:
        out.print(f"Your previous review file is saved at {escape(str(backup))}.")
    if args.no_watch or not common.interactive():
        out.print(f"Grade it with `katas check {kata.id} --review`; a pass reschedules it.")
        return 0
    session = WatchSession(practice, out, device=args.device, review=True)
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
