"""The catalog: every kata from the built-in pack and any extra packs, in teaching order.

A pack is a folder; every folder under it holding a ``kata.yaml`` is a kata (normally
``<pack>/<topic>/<id>/``). An optional ``<pack>/pack.yaml`` names the pack and fixes the
order of its topics. Loading never stops at a broken kata: it is skipped and recorded in
``Catalog.problems`` so one typo cannot hide the other forty katas.

Extra packs come from ``KATAS_PATH`` (folders separated by ``os.pathsep``) and from
``--pack DIR``; they follow the built-in pack, and when two katas share an id the first one
(in pack order) wins.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trainer.errors import KataLoadError, KataNotLoadedError, UnknownKataError
from trainer.kata.loader import LoadProblem, load_kata, load_yaml_model, locate_key
from trainer.kata.model import KEBAB_CASE, Kata
from trainer.kata.pack_cache import PackCache, fingerprint

__all__ = [
    "KATAS_PATH_ENV",
    "Catalog",
    "Pack",
    "PackManifest",
    "builtin_pack",
]

KATAS_PATH_ENV = "KATAS_PATH"
"""Environment variable listing extra pack folders, separated like ``PATH``."""

_SKIPPED_DIRS = {"__pycache__", "node_modules"}


class PackManifest(BaseModel):
    """The contents of ``pack.yaml``: strict for the same reason ``kata.yaml`` is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = "0"
    author: str | None = None
    topics: tuple[str, ...] = ()

    @field_validator("topics")
    @classmethod
    def _kebab_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for topic in value:
            if not KEBAB_CASE.match(topic):
                raise ValueError(f"topic {topic!r} must be kebab-case")
        if len(set(value)) != len(value):
            raise ValueError("a topic is listed twice")
        return value


@dataclass(frozen=True)
class Pack:
    """One loaded pack folder; ``manifest`` is None when it has no (valid) ``pack.yaml``."""

    path: Path
    manifest: PackManifest | None = None

    @property
    def name(self) -> str:
        return self.manifest.name if self.manifest else self.path.name

    def topic_rank(self, topic: str) -> tuple[int, str]:
        """Listed topics in manifest order, then the rest alphabetically."""
        listed = self.manifest.topics if self.manifest else ()
        if topic in listed:
            return listed.index(topic), ""
        return len(listed), topic


def builtin_pack(package_dir: Path | None = None) -> Path:
    """The built-in catalog: ``trainer/_katas`` in a wheel, ``<repo>/katas`` in a checkout.

    The wheel ships ``katas/`` inside the package (hatch ``force-include``) because an
    installed package has no repository around it. ``package_dir`` is for tests.
    """
    package = package_dir or Path(__file__).resolve().parent.parent  # the trainer package
    installed = package / "_katas"
    return installed if installed.is_dir() else package.parent / "katas"


def _kata_dirs(pack: Path) -> Iterator[Path]:
    """Folders holding ``kata.yaml``, in a stable order; a kata's subfolders are not searched."""
    for here, dirs, files in os.walk(pack):
        if "kata.yaml" in files:
            dirs[:] = []
            yield Path(here)
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)


def _suggest(word: str, choices: Collection[str]) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)


def _load_pack(
    path: Path, problems: list[LoadProblem], cache: PackCache | None = None
) -> tuple[Pack, list[Kata]]:
    kata_dirs = list(_kata_dirs(path))
    stamp = fingerprint(path, kata_dirs) if cache is not None else []
    cached = cache.load(path, stamp, PackManifest) if cache is not None else None
    if cached is not None:
        manifest, katas = cached
        pack = Pack(path, manifest)
    else:
        found: list[LoadProblem] = []
        manifest = None
        manifest_path = path / "pack.yaml"
        if manifest_path.is_file():
            try:
                manifest = load_yaml_model(manifest_path, PackManifest)
            except KataLoadError as exc:
                found.extend(exc.problems)
        pack = Pack(path, manifest)
        katas = []
        for kata_dir in kata_dirs:
            try:
                katas.append(load_kata(kata_dir, path))
            except KataLoadError as exc:
                found.extend(exc.problems)
        if cache is not None and not found:
            cache.store(path, stamp, manifest, katas)
        problems.extend(found)
    katas.sort(key=lambda k: (pack.topic_rank(k.topic), k.spec.order, k.id))
    return pack, katas


def _cycles(katas: Mapping[str, Kata]) -> list[list[str]]:
    """Each ``requires`` cycle once: katas on one are never offered by ``next_kata``."""
    done: set[str] = set()
    found: list[list[str]] = []

    def visit(kata_id: str, trail: list[str]) -> None:
        if kata_id in trail:
            found.append([*trail[trail.index(kata_id) :], kata_id])
            return
        if kata_id in done:
            return
        trail.append(kata_id)
        for required in katas[kata_id].spec.requires:
            if required in katas:
                visit(required, trail)
        trail.pop()
        done.add(kata_id)

    for kata_id in katas:
        visit(kata_id, [])
    return found


@dataclass(frozen=True)
class Catalog:
    """All loaded katas, in order: (pack, topic in that pack, ``order``, id)."""

    katas: tuple[Kata, ...]
    problems: tuple[LoadProblem, ...] = ()
    packs: tuple[Pack, ...] = ()
    _by_id: dict[str, Kata] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {k.id: k for k in reversed(self.katas)})

    @classmethod
    def load(cls, packs: Sequence[Path], *, cache: PackCache | None = None) -> Catalog:
        """Load ``packs`` in order. Never raises for bad content: see ``problems``.

        ``cache`` serves packs unchanged since they last loaded cleanly without reading their
        YAML (see :mod:`trainer.kata.pack_cache`); :meth:`default` uses the user's cache.
        """
        problems: list[LoadProblem] = []
        loaded: list[Pack] = []
        ordered: list[Kata] = []
        seen_paths: set[Path] = set()
        for pack_path in packs:
            resolved = pack_path.expanduser().resolve()
            if resolved in seen_paths:  # the same pack twice (KATAS_PATH and --pack): harmless
                continue
            seen_paths.add(resolved)
            if not resolved.is_dir():
                what = "is not a folder" if resolved.exists() else "does not exist"
                problems.append(LoadProblem(pack_path, None, None, f"pack folder {what}"))
                continue
            pack, katas = _load_pack(pack_path.expanduser(), problems, cache)
            loaded.append(pack)
            ordered.extend(katas)

        unique: dict[str, Kata] = {}
        for kata in ordered:
            first = unique.get(kata.id)
            if first is None:
                unique[kata.id] = kata
                continue
            yaml_path = kata.root / "kata.yaml"
            message = (
                f"duplicate kata id {kata.id!r}: {first.root / 'kata.yaml'} already defines it, "
                f"so {yaml_path} is skipped"
            )
            problems.append(LoadProblem(yaml_path, locate_key(yaml_path, ("id",)), "id", message))

        for kata in unique.values():
            for index, required in enumerate(kata.spec.requires):
                if required in unique:
                    continue
                yaml_path = kata.root / "kata.yaml"
                message = f"requires unknown kata {required!r}"
                close = _suggest(required, unique)
                if close:
                    message += f"; did you mean {close[0]!r}?"
                line = locate_key(yaml_path, ("requires", index))
                problems.append(LoadProblem(yaml_path, line, "requires", message))

        for cycle in _cycles(unique):
            yaml_path = unique[cycle[0]].root / "kata.yaml"
            message = "requires form a cycle: " + " -> ".join(cycle)
            line = locate_key(yaml_path, ("requires",))
            problems.append(LoadProblem(yaml_path, line, "requires", message))

        return cls(tuple(unique.values()), tuple(problems), tuple(loaded))

    @classmethod
    def default(
        cls, extra: Sequence[Path] = (), environ: Mapping[str, str] = os.environ
    ) -> Catalog:
        """The built-in pack, then each folder in ``KATAS_PATH``, then ``extra`` (``--pack``)."""
        from_env = [Path(p) for p in environ.get(KATAS_PATH_ENV, "").split(os.pathsep) if p]
        return cls.load([builtin_pack(), *from_env, *extra], cache=PackCache.default(environ))

    def restrict(self, ids: Iterable[str]) -> Catalog:
        """Only the katas in ``ids`` (an assignment's), in this catalog's order.

        Keeps the problems of those katas (a broken one stays visible) and drops the rest: a
        learner on an assignment should not be warned about katas they were never given.
        """
        keep = set(ids)
        katas = tuple(k for k in self.katas if k.id in keep)
        roots = [k.root for k in katas]
        problems = tuple(
            p
            for p in self.problems
            if p.path.parent.name in keep or any(p.path.is_relative_to(r) for r in roots)
        )
        return Catalog(katas, problems, self.packs)

    def __len__(self) -> int:
        return len(self.katas)

    def __iter__(self) -> Iterator[Kata]:
        return iter(self.katas)

    def __contains__(self, kata_id: object) -> bool:
        return kata_id in self._by_id

    def get(self, kata_id: str) -> Kata:
        """The kata with this id, or :class:`UnknownKataError` naming the closest ids; when a
        kata folder of that name failed to load, :class:`KataNotLoadedError` saying why."""
        try:
            return self._by_id[kata_id]
        except KeyError:
            not_loaded = self._not_loaded(kata_id)
            if not_loaded is not None:
                raise not_loaded from None
            raise UnknownKataError(kata_id, _suggest(kata_id, self._by_id)) from None

    def _not_loaded(self, kata_id: str) -> KataNotLoadedError | None:
        """The load problems of a kata folder named ``kata_id`` (its id, by convention), with
        the pack it is in; None if no such folder had one."""
        for pack in self.packs:
            root = pack.path.resolve()
            kata_dir: Path | None = None
            problems: list[LoadProblem] = []
            for problem in self.problems:
                path = problem.path.resolve()
                if not path.is_relative_to(root):
                    continue
                inside = [f for f in path.relative_to(root).parents if f.name == kata_id]
                if inside and kata_dir in (None, pack.path / inside[0]):
                    kata_dir = pack.path / inside[0]
                    problems.append(problem)
            if kata_dir is not None:
                return KataNotLoadedError(kata_id, pack.name, kata_dir, problems)
        return None

    def topics(self) -> list[str]:
        """Topics that have katas, in catalog order."""
        return list(dict.fromkeys(k.topic for k in self.katas))

    def by_topic(self) -> dict[str, list[Kata]]:
        """Katas grouped by topic; both the groups and their katas keep catalog order."""
        groups: dict[str, list[Kata]] = {}
        for kata in self.katas:
            groups.setdefault(kata.topic, []).append(kata)
        return groups

    def next_kata(
        self,
        solved: Collection[str],
        after: str | None = None,
        *,
        runnable: Callable[[Kata], bool],
    ) -> Kata | None:
        """The first unsolved kata whose prerequisites are solved, searching after ``after``.

        The search wraps round to the start, so skipped katas come back. A ``requires`` entry
        naming no loaded kata is ignored here (it is already a problem): otherwise a typo
        would make a kata unreachable. ``runnable`` (whether this machine can grade a kata)
        puts the katas it cannot grade last, so a learner without a GPU is not sent to a
        GPU-only kata while others wait. It is required, so no caller can forget it: front
        ends call :meth:`trainer.learner.practice.Practice.next_kata`, which supplies it.
        """
        if not self.katas:
            return None
        start = 0
        if after is not None and after in self._by_id:
            start = next(i for i, k in enumerate(self.katas) if k.id == after) + 1
        count = len(self.katas)
        ready = [
            kata
            for step in range(count)
            if (kata := self.katas[(start + step) % count]).id not in solved
            and all(r in solved for r in kata.spec.requires if r in self._by_id)
        ]
        here = [kata for kata in ready if runnable(kata)]
        return here[0] if here else ready[0] if ready else None
