"""Authoring commands: ``katas new`` scaffolds a kata, ``katas validate`` proves katas sound."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.cli.common import add_device
from trainer.cli.render import plural, styled
from trainer.errors import KataLoadError
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.marks import VERDICT

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("new", help="scaffold a new kata (authors)")
    p.add_argument("kata_id", metavar="ID")
    p.add_argument("--pack", dest="new_pack", type=Path, required=True, metavar="DIR")
    p.add_argument("--topic", required=True, metavar="TOPIC")
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("validate", help="prove katas right: solution passes, wrong ones fail")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="packs or kata folders")
    add_device(p)
    p.add_argument("--jobs", type=int, default=None, help="parallel gradings (default: cores)")
    p.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit (default: each kata's own)"
    )
    p.set_defaults(run=cmd_validate)


def cmd_new(args: argparse.Namespace, out: Console) -> int:
    taken = [k.id for k in Catalog.default(extra=args.pack)]
    return new_kata(out, args.new_pack, args.kata_id, args.topic, taken)


def new_kata(out: Console, pack: Path, kata_id: str, topic: str, taken: list[str]) -> int:
    """Scaffold a kata and tell the author what to write next."""
    from trainer.kata.scaffold import scaffold_kata

    made = scaffold_kata(pack, kata_id, topic, taken)
    root = made.kata.root
    if made.pack_manifest_created:
        out.print(f"Created {escape(str(root.parent.parent / 'pack.yaml'))}.")
    out.print(f"Created the kata [bold]{kata_id}[/] at {escape(str(root))}:")
    for path in made.files:
        out.print(f"  {escape(str(path.relative_to(root)))}")
    out.print(
        "It is a working example (scale a tensor without changing the input): the solution "
        "passes, the starter and wrong/detached.py fail. Make it yours:\n"
        "  1. kata.yaml: title, description, hints, explanation, concepts, references\n"
        "  2. starter.py: the learner's file, wrong in exactly the way the kata is about\n"
        "  3. solution.py: the reference; checks.py: behaviour checks against an oracle\n"
        "  4. wrong/*.py: the mistakes learners really make, one file each\n"
        f"  5. `katas validate {escape(str(root))}` proves the checks tell them apart"
    )
    for note in made.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    return 0


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    from trainer.kata.validate import TrialResult, validate

    katas, problems = _katas_for_validation(args)
    for problem in problems:
        out.print(f"[red]✗[/] {escape(problem)}", highlight=False)

    def progress(result: TrialResult) -> None:
        status = "passed" if result.ok else "unavailable" if result.unverifiable else "failed"
        mark = styled(VERDICT[status])
        out.print(
            f"{mark} {result.trial.kata.id} {result.trial.role}: {escape(result.explain())}",
            highlight=False,
        )

    reports = validate(
        katas, device=args.device, jobs=args.jobs, on_result=progress, memory_mb=args.memory_mb
    )
    bad = [r for r in reports if not r.ok]
    unverified = [r for r in reports if r.ok and not r.verified]
    valid = plural(len(reports) - len(bad) - len(unverified), "kata", "katas")
    out.print(
        f"\n{valid} valid, {len(bad)} broken, {len(unverified)} not verified here "
        f"(on {args.device}), {len(problems)} failed to load."
    )
    return 1 if bad or problems or not reports else 0


def _katas_for_validation(args: argparse.Namespace) -> tuple[list[Kata], list[str]]:
    from trainer.kata.catalog import builtin_pack
    from trainer.kata.loader import load_kata

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
    copies = [k for k in katas if k.learner_copy]
    katas = [k for k in katas if not k.learner_copy]
    problems += [
        f"{k.root}: a learner's copy (katas handout): its solution stayed with the instructor; "
        "validate the instructor's pack"
        for k in copies
    ]
    for path in packs:
        # A topic folder inside a pack is checked with its whole pack loaded, so that its
        # katas' ``requires`` on katas elsewhere in the pack resolve; only its own are graded.
        pack = _enclosing_pack(path)
        catalog = Catalog.load([pack])
        inside = path.resolve()
        chosen = [k for k in catalog if k.root.resolve().is_relative_to(inside)]
        if not chosen and not catalog.problems:
            problems.append(f"{path}: no kata folder (one holding kata.yaml) under it")
        katas += [k for k in chosen if not k.learner_copy]
        problems += [
            f"{k.root}: a learner's copy (katas handout): its solution stayed with the "
            "instructor; validate the instructor's pack"
            for k in chosen
            if k.learner_copy
        ]
        problems += [str(p) for p in catalog.problems if p.path.resolve().is_relative_to(inside)]
    return katas, problems


def _enclosing_pack(path: Path) -> Path:
    """``path``, or the nearest folder above it holding a ``pack.yaml``."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / "pack.yaml").is_file():
            return folder
    return path
