"""The ``katas`` command. Every subcommand is a thin layer over the core modules.

Exit codes of ``katas check`` (and of ``katas validate``, which uses 0 and 1 only) let scripts
tell the verdicts apart; ``unavailable`` has its own code so "not verified here" is never read as
a pass or as a plain failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from trainer import __version__
from trainer.catalog import Catalog, UnknownKataError
from trainer.model import Kata
from trainer.render import kata_panel, print_verdict, stars
from trainer.verdict import Status
from trainer.workspace import Workspace

EXIT_CODES: dict[Status, int] = {
    Status.PASSED: 0,
    Status.FAILED: 1,
    Status.ERROR: 3,
    Status.TIMEOUT: 4,
    Status.CRASHED: 5,
    Status.UNAVAILABLE: 6,
}
EXIT_USAGE = 2
DEVICES = ("cpu", "cuda", "mps", "auto")


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _device(value: str) -> str:
    kind = value.split(":", 1)[0]
    if kind not in DEVICES or (":" in value and not value.split(":", 1)[1].isdigit()):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a device: use cpu, cuda, cuda:N, mps or auto"
        )
    return value


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

    p = sub.add_parser("list", help="the catalog with your status per kata")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("show", help="a kata's description and where its file is")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("check", help="grade your file for a kata (exit 0 iff it passed)")
    p.add_argument("kata_id", metavar="ID")
    p.add_argument("--file", type=Path, help="grade this file instead of your workspace's")
    p.add_argument("--device", type=_device, default="cpu", help="cpu, cuda, cuda:N, mps, auto")
    p.add_argument("--timeout", type=float, help="seconds (default: the kata's own)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")

    p = sub.add_parser("hint", help="reveal the next hint for a kata")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("reset", help="start a kata over (your file is backed up first)")
    p.add_argument("kata_id", metavar="ID")

    p = sub.add_parser("watch", help="grade on every save, then move to the next kata")
    p.add_argument("kata_id", metavar="ID", nargs="?")
    p.add_argument("--device", type=_device, default="cpu")
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")

    p = sub.add_parser("validate", help="prove katas right: solution passes, wrong ones fail")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="packs or kata folders")
    p.add_argument("--device", type=_device, default="cpu")
    p.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: cores)")
    return parser


# -- helpers --------------------------------------------------------------------------------


def _catalog(args: argparse.Namespace, console: Console) -> Catalog:
    catalog = Catalog.default(extra=args.pack)
    for problem in catalog.problems:
        console.print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False)
    return catalog


def _kata(catalog: Catalog, kata_id: str) -> Kata:
    try:
        return catalog.get(kata_id)
    except UnknownKataError as exc:
        raise CliError(str(exc)) from None


def _workspace(console: Console) -> Workspace:
    workspace, created = Workspace.locate()
    if created:
        console.print(
            f"Created your kata workspace at [bold]{escape(str(workspace.root))}[/] "
            "(set KATAS_WORKSPACE or run `katas init DIR` to use another folder)."
        )
    return workspace


# -- commands -------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, out: Console) -> int:
    root = (args.dir or Path.cwd()).expanduser().resolve()
    workspace = Workspace.init(root)
    out.print(
        f"Workspace ready at [bold]{escape(str(workspace.root))}[/]. Run `katas` there to start."
    )
    return 0


def cmd_list(args: argparse.Namespace, out: Console) -> int:
    catalog = _catalog(args, Console(stderr=True))
    workspace = Workspace.find()
    status = {k.id: workspace.state.status_of(k.id) if workspace else "new" for k in catalog}
    if args.json:
        rows = [
            {
                "id": k.id,
                "title": k.title,
                "topic": k.topic,
                "difficulty": k.spec.difficulty,
                "devices": list(k.spec.devices),
                "status": status[k.id],
            }
            for k in catalog
        ]
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(catalog)} katas", title_justify="left", expand=False)
    for column in ("id", "title", "topic", "level", "status"):
        table.add_column(column, overflow="fold")
    marks = {"new": "·  new", "attempted": "[red]✗[/] attempted", "solved": "[green]✓[/] solved"}
    for kata in catalog:
        mark = marks[status[kata.id]]
        if "cpu" not in kata.spec.devices:
            mark += " [cyan](GPU)[/]"
        table.add_row(kata.id, escape(kata.title), kata.topic, stars(kata.spec.difficulty), mark)
    out.print(table)
    return 0


def cmd_show(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = Workspace.find()
    location = str(workspace.file_for(kata)) if workspace else None
    out.print(kata_panel(kata, location))
    if workspace:
        revealed = workspace.state.load().katas.get(kata.id)
        count = revealed.hints_revealed if revealed else 0
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
        workspace = Workspace.find()
    else:
        workspace = _workspace(err)
        path = workspace.open(kata)
    verdict = grade(kata, path, args.device, timeout=args.timeout)
    if workspace is not None and path == workspace.file_for(kata).resolve():
        workspace.state.record_verdict(kata.id, verdict.status.value)
    if args.json:
        print(verdict.to_json())
    else:
        print_verdict(out, verdict, kata.title)
    return EXIT_CODES[verdict.status]


def cmd_hint(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _workspace(Console(stderr=True))
    total = len(kata.spec.hints)
    index = workspace.state.reveal_hint(kata.id, total)
    out.print(f"[bold]Hint {index + 1}/{total}[/] for {escape(kata.title)}:")
    out.print(Markdown(kata.spec.hints[index]))
    if index + 1 == total:
        out.print("[dim]That was the last hint.[/]")
    return 0


def cmd_reset(args: argparse.Namespace, out: Console) -> int:
    kata = _kata(_catalog(args, Console(stderr=True)), args.kata_id)
    workspace = _workspace(Console(stderr=True))
    backup = workspace.reset(kata)
    if backup is not None:
        out.print(f"Your previous file is saved at [bold]{escape(str(backup))}[/].")
    out.print(f"{escape(str(workspace.file_for(kata)))} is the starter again.")
    return 0


def cmd_watch(args: argparse.Namespace, out: Console) -> int:
    from trainer.watch import WatchSession

    catalog = _catalog(args, Console(stderr=True))
    kata = _kata(catalog, args.kata_id) if args.kata_id else None
    workspace = _workspace(out)
    return WatchSession(catalog, workspace, out, device=args.device).run(kata, poll=args.poll)


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

    reports = validate(katas, device=args.device, jobs=args.jobs, on_result=progress)
    bad = [r for r in reports if not r.ok]
    unverified = [r for r in reports if r.ok and not r.verified]
    out.print(
        f"\n{len(reports) - len(bad) - len(unverified)} katas valid, {len(bad)} broken, "
        f"{len(unverified)} not verifiable on {args.device}, {len(problems)} failed to load."
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
    if packs:
        catalog = Catalog.load(packs)
        katas += list(catalog)
        problems += [str(p) for p in catalog.problems]
    return katas, problems


def cmd_start(args: argparse.Namespace, out: Console) -> int:
    """``katas`` alone: open the workspace and start watching the next kata."""
    if not sys.stdin.isatty():
        catalog = _catalog(args, Console(stderr=True))
        workspace = _workspace(out)
        from trainer.watch import solved_ids

        solved = solved_ids(catalog, workspace)
        nxt = catalog.next_kata(solved)
        out.print(f"Workspace: {escape(str(workspace.root))} · {len(solved)}/{len(catalog)} solved")
        if nxt is not None:
            out.print(f"Next kata: {nxt.id} ({escape(nxt.title)}) — `katas watch` to start it.")
        return 0
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
    "validate": cmd_validate,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Console(highlight=False)
    try:
        if args.command is None:
            return cmd_start(args, out)
        return COMMANDS[args.command](args, out)
    except CliError as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
