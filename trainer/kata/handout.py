"""``katas handout``: the copy of a pack or an assignment that learners get, without the answers.

An instructor's pack holds what grades it: every kata's ``solution.py`` (the reference that
``katas validate`` proves), its ``wrong/`` answers and, optionally, ``hidden_checks.py`` (checks
that only ``katas grade`` runs). None of that may reach a learner. The copy keeps the kata text,
the starter, the public ``checks.py`` and any other file of the kata folder (data, a helper the
public checks import), and each ``kata.yaml`` gains an ``instructor_kept`` block: how many hidden
checks there are, so the learner's verdicts can say so, and that the missing solution is on
purpose. The copy is then walked: no file may be named like an answer or hold an answer's bytes.

An assignment is copied with the packs it names, each into a folder beside the new
``assignment.yaml``, whose ``packs:`` entry is rewritten to point at them (only that span of the
file changes; comments and the rest stay as written). Katas of the built-in pack are not copied:
they ship with every installation of torch-katas, solutions included, so an assignment that
must keep its answers from learners uses a pack of its own; the result says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from trainer.errors import HandoutError
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.model import Kata

__all__ = ["KEPT_NAMES", "Handout", "find_leaks", "handout"]

KEPT_NAMES = frozenset({"solution.py", "hidden_checks.py", "wrong"})
"""What stays with the instructor in every kata folder."""

_NEVER_COPIED = frozenset({"__pycache__", ".pytest_cache"})


@dataclass
class Handout:
    """What ``katas handout`` wrote."""

    out: Path
    katas: list[Kata] = field(default_factory=list)
    """The katas copied (the instructor's, not the copies)."""
    hidden_checks: int = 0
    """Hidden checks kept back, over all katas."""
    builtin: list[str] = field(default_factory=list)
    """Built-in katas an assignment uses: not copied, their solutions ship with the trainer."""
    assignment: Path | None = None
    """The copy's ``assignment.yaml``, for an assignment."""


def _ignore(kata_roots: set[Path]) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in _NEVER_COPIED or n.endswith(".pyc")}
        if Path(folder).resolve() in kata_roots:
            skipped |= {n for n in names if n in KEPT_NAMES}
        return skipped

    return ignore


def _mark_kept(copy_root: Path, kata: Kata) -> None:
    """Append ``instructor_kept`` to the copy's kata.yaml, leaving the author's text as is."""
    path = copy_root / "kata.yaml"
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += (
        "# Written by `katas handout`: the solution, wrong answers and hidden checks stayed\n"
        "# with the instructor.\n"
        f"instructor_kept:\n  hidden_checks: {kata.hidden_check_count}\n"
    )
    path.write_text(text, encoding="utf-8")


def _copy_pack(pack: Path, dest: Path, katas: Iterable[Kata]) -> None:
    roots = {k.root.resolve() for k in katas}
    shutil.copytree(pack, dest, ignore=_ignore(roots), symlinks=False)
    for kata in katas:
        _mark_kept(dest / kata.root.resolve().relative_to(pack.resolve()), kata)


def _answers(katas: Iterable[Kata]) -> dict[bytes, str]:
    """Every answer's bytes (stripped) and what it is, to search the copy for."""
    found: dict[bytes, str] = {}
    for kata in katas:
        files = [kata.solution, kata.hidden_checks, *kata.wrong_variants]
        for path in files:
            try:
                data = path.read_bytes().strip()
            except OSError:
                continue
            if data:
                found[data] = f"{kata.id}/{path.relative_to(kata.root).as_posix()}"
    return found


def find_leaks(out: Path, katas: Iterable[Kata]) -> list[str]:
    """What in ``out`` a learner must not have: a file or folder named like an answer, or a
    file whose bytes are an answer's (a renamed copy). Empty when the copy is clean."""
    answers = _answers(katas)
    leaks = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.name in KEPT_NAMES:
            leaks.append(f"{rel}: named like an answer")
        elif path.is_file() and not path.is_symlink():
            what = answers.get(path.read_bytes().strip())
            if what is not None:
                leaks.append(f"{rel}: the same bytes as {what}")
    return leaks


def _fresh(out: Path) -> None:
    """Refuse a folder in use; an empty one is taken away so the copy can take its place."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HandoutError(f"{out} exists and is not an empty folder; choose a new one")
    if out.exists():
        out.rmdir()


def _check_source(katas: list[Kata], where: Path) -> None:
    copies = [k.id for k in katas if k.learner_copy]
    if copies:
        raise HandoutError(
            f"{where} is already a learner's copy ({', '.join(copies[:3])}): hand out the "
            "instructor's pack"
        )


def _finish(result: Handout) -> Handout:
    leaks = find_leaks(result.out, result.katas)
    if leaks:  # never leave a leaking copy where it could be handed out by mistake
        shutil.rmtree(result.out, ignore_errors=True)
        raise HandoutError(f"the copy would give away answers, so none was written: {leaks[0]}")
    return result


def handout_pack(pack: Path, out: Path) -> Handout:
    """The learner's copy of one pack folder."""
    pack = pack.resolve()
    catalog = Catalog.load([pack])
    if catalog.problems:
        raise HandoutError(f"{catalog.problems[0]} (fix the pack before handing it out)")
    katas = list(catalog)
    if not katas:
        raise HandoutError(f"{pack}: no kata folder (one holding kata.yaml) in it")
    _check_source(katas, pack)
    _fresh(out)
    _copy_pack(pack, out, katas)
    hidden = sum(k.hidden_check_count for k in katas)
    return _finish(Handout(out=out, katas=katas, hidden_checks=hidden))


def _packs_span(text: str) -> tuple[int, int, bool] | None:
    """From the end of the ``packs`` key to the end of its value in the assignment's text, and
    whether the value is a block list (which ends at the start of the next line)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "packs":
            block = isinstance(value, yaml.SequenceNode) and not value.flow_style
            return key.end_mark.index, value.end_mark.index, block
    return None


def handout_assignment(path: Path, out: Path) -> Handout:
    """The learner's copy of an assignment: its file and its own packs, answers kept back."""
    from trainer.coursework.assignment import BUILTIN, load_assignment

    loaded = load_assignment(path)
    builtin = builtin_pack().resolve()
    own = [p for p in loaded.packs if p.resolve() != builtin]
    katas = [k for k in loaded.katas if k.pack.resolve() != builtin]
    _check_source([k for k in loaded.catalog if k.pack.resolve() != builtin], path)
    if any(out.is_relative_to(p.resolve()) for p in own):
        raise HandoutError(f"{out} is inside one of the assignment's packs; write it elsewhere")
    _fresh(out)
    out.mkdir(parents=True)
    names: list[str] = []
    for pack in own:
        name = pack.name
        while name in names or name == "assignment.yaml":
            name += "-pack"
        names.append(name)
        pack_katas = [k for k in loaded.catalog if k.pack.resolve() == pack.resolve()]
        _copy_pack(pack, out / name, pack_katas)
    text = loaded.path.read_text(encoding="utf-8")
    entries = [f"./{n}" for n in names]
    if len(own) < len(loaded.packs) and loaded.spec.packs:
        entries.append(BUILTIN)
    span = _packs_span(text)
    if span is not None:
        start, end, block = span
        flow = "[" + ", ".join(entries) + "]"
        text = text[:start] + ": " + flow + ("\n" if block else "") + text[end:]
    target = out / "assignment.yaml"
    target.write_text(text, encoding="utf-8")
    copied = [k for k in loaded.catalog if k.pack.resolve() != builtin]
    result = Handout(
        out=out,
        katas=copied,
        hidden_checks=sum(k.hidden_check_count for k in katas),
        builtin=[k.id for k in loaded.katas if k.pack.resolve() == builtin],
        assignment=target,
    )
    return _finish(result)


def handout(source: Path, out: Path) -> Handout:
    """A pack folder, an ``assignment.yaml``, or a folder holding one."""
    source = source.expanduser()
    out = out.expanduser().resolve()
    if source.is_dir() and (source / "assignment.yaml").is_file():
        source = source / "assignment.yaml"
    if source.is_file():
        if source.suffix not in {".yaml", ".yml"}:
            raise HandoutError(f"{source}: give a pack folder or an assignment.yaml")
        return handout_assignment(source, out)
    if source.is_dir():
        if out.is_relative_to(source.resolve()):
            raise HandoutError(f"{out} is inside the pack {source}; write the copy elsewhere")
        return handout_pack(source, out)
    raise HandoutError(f"{source}: no such pack folder or assignment file")
