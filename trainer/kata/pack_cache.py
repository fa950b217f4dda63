"""A cache of loaded packs, so starting ``katas`` does not parse every ``kata.yaml`` again.

Parsing YAML and locating every key's line is most of what loading a catalog costs, and every
command and the trainer's first frame pay for it. A pack that loaded without a problem is
written here as JSON, with a fingerprint of every file its loading read: the size and
modification time of ``pack.yaml``, of each ``kata.yaml`` and of each kata's required files, and
the list of kata folders. When the fingerprint still matches, the specs are validated again by
the same pydantic models from that JSON (so a cache can never hold something the schema
refuses) and no YAML is read.

Packs with problems are never cached: their messages name files and lines, and must come from
the files as they are. A cache that cannot be read, or written (a read-only home), is ignored.
``KATAS_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from trainer import __version__
from trainer.atomic import atomic_write
from trainer.kata.model import REQUIRED_FILES, Kata, KataSpec

__all__ = ["CACHE_ENV", "NO_CACHE_ENV", "PackCache"]

CACHE_ENV = "KATAS_CACHE_DIR"
"""Where the cache lives; default: the user cache folder (``~/.cache/torch-katas`` on Linux)."""
NO_CACHE_ENV = "KATAS_NO_CACHE"
FORMAT = 1

M = TypeVar("M", bound=BaseModel)

Fingerprint = list[list[object]]


def _stat(path: Path) -> list[object]:
    try:
        st = path.stat()
    except OSError:
        return [path.name, None]
    return [path.name, st.st_size, st.st_mtime_ns]


def fingerprint(pack: Path, kata_dirs: Iterable[Path]) -> Fingerprint:
    """What loading ``pack`` read: a change to any of it makes the cached copy stale."""
    rows: Fingerprint = [_stat(pack / "pack.yaml")]
    for kata_dir in kata_dirs:
        rel = kata_dir.relative_to(pack).as_posix()
        rows.append([rel, *(_stat(kata_dir / name) for name in ("kata.yaml", *REQUIRED_FILES))])
    return rows


class PackCache:
    """One JSON file per pack folder, named after the folder's resolved path."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    @classmethod
    def default(cls, environ: Mapping[str, str] = os.environ) -> PackCache:
        if environ.get(NO_CACHE_ENV, "") not in ("", "0"):
            return cls(None)
        configured = environ.get(CACHE_ENV)
        if configured:
            return cls(Path(configured).expanduser())
        from platformdirs import user_cache_dir

        return cls(Path(user_cache_dir("torch-katas", appauthor=False)) / "packs")

    def _file(self, pack: Path) -> Path | None:
        if self.root is None:
            return None
        key = hashlib.sha256(str(pack.resolve()).encode("utf-8")).hexdigest()[:24]
        return self.root / f"{key}.json"

    def load(
        self, pack: Path, fingerprint: Fingerprint, manifest_model: type[M]
    ) -> tuple[M | None, list[Kata]] | None:
        """The pack's manifest and katas as cached, or None when there is no fresh copy.

        ``fingerprint`` is taken before the pack is read, by the caller, so that a file changed
        while it was being loaded leaves a stale fingerprint behind rather than a stale pack.
        """
        file = self._file(pack)
        if file is None:
            return None
        try:
            cached = json.loads(file.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(cached, dict) or cached.get("format") != FORMAT:
            return None
        if cached.get("trainer") != __version__ or cached.get("fingerprint") != fingerprint:
            return None
        try:
            manifest = cached["manifest"]
            katas = [
                Kata(spec=KataSpec.model_validate_json(spec), root=pack / rel, pack=pack)
                for rel, spec in cached["katas"]
            ]
            loaded = manifest_model.model_validate_json(manifest) if manifest is not None else None
        except (KeyError, TypeError, ValueError, ValidationError):
            return None
        return loaded, katas

    def store(
        self, pack: Path, fingerprint: Fingerprint, manifest: BaseModel | None, katas: list[Kata]
    ) -> None:
        """Keep the problem-free ``pack`` as loaded; any failure to write is ignored."""
        file = self._file(pack)
        if file is None:
            return
        document = {
            "format": FORMAT,
            "trainer": __version__,
            "pack": str(pack.resolve()),
            "fingerprint": fingerprint,
            "manifest": manifest.model_dump_json(by_alias=True) if manifest is not None else None,
            "katas": [
                [kata.root.relative_to(pack).as_posix(), kata.spec.model_dump_json(by_alias=True)]
                for kata in katas
            ],
        }
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(file, json.dumps(document, separators=(",", ":")).encode("utf-8"))
        except OSError:
            pass
