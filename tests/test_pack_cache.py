"""The pack cache: a clean pack loads once from YAML, then from the cache until it changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import trainer.kata.loader
from tests.kata_factory import kata_yaml, make_kata, make_pack
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.pack_cache import PackCache


@pytest.fixture
def cache(tmp_path: Path) -> PackCache:
    return PackCache(tmp_path / "cache")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    pack = make_pack(tmp_path / "pack", topics=["tensors"])
    make_kata(pack, "first-kata", order=10)
    make_kata(pack, "second-kata", order=20)
    return pack


def no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any YAML parse fail loudly: what loads now came from the cache."""

    def refuse(path: Path) -> object:
        raise AssertionError(f"parsed {path} although the cache is fresh")

    monkeypatch.setattr(trainer.kata.loader, "_parse", refuse)


def test_a_clean_pack_is_served_from_the_cache_the_second_time(
    pack: Path, cache: PackCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Catalog.load([pack], cache=cache)
    assert [k.id for k in fresh] == ["first-kata", "second-kata"]
    assert len(list(cache.root.glob("*.json"))) == 1  # type: ignore[union-attr]
    no_yaml(monkeypatch)
    cached = Catalog.load([pack], cache=cache)
    assert [k.spec for k in cached] == [k.spec for k in fresh]
    assert [k.root for k in cached] == [k.root for k in fresh]
    assert cached.packs[0].manifest == fresh.packs[0].manifest


def test_the_builtin_pack_reads_the_same_from_the_cache(
    cache: PackCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Catalog.load([builtin_pack()], cache=cache)
    no_yaml(monkeypatch)
    cached = Catalog.load([builtin_pack()], cache=cache)
    assert [(k.spec, k.root, k.pack) for k in cached] == [(k.spec, k.root, k.pack) for k in fresh]


def test_an_edited_kata_is_read_again(pack: Path, cache: PackCache) -> None:
    Catalog.load([pack], cache=cache)
    yaml_path = pack / "tensors" / "first-kata" / "kata.yaml"
    yaml_path.write_text(kata_yaml("first-kata", title="A new title", order=10))
    assert Catalog.load([pack], cache=cache).get("first-kata").title == "A new title"


def test_a_same_size_edit_is_caught_by_its_modification_time(pack: Path, cache: PackCache) -> None:
    Catalog.load([pack], cache=cache)
    yaml_path = pack / "tensors" / "first-kata" / "kata.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text.replace("Kata first-kata", "Kata FIRST-kata"))
    stamp = yaml_path.stat().st_mtime_ns + 1_000_000
    os.utime(yaml_path, ns=(stamp, stamp))
    assert Catalog.load([pack], cache=cache).get("first-kata").title == "Kata FIRST-kata"


def test_an_added_or_removed_kata_is_noticed(pack: Path, cache: PackCache) -> None:
    Catalog.load([pack], cache=cache)
    make_kata(pack, "third-kata", order=30)
    assert "third-kata" in Catalog.load([pack], cache=cache)
    (pack / "tensors" / "second-kata" / "solution.py").unlink()
    reloaded = Catalog.load([pack], cache=cache)
    assert "second-kata" not in reloaded
    assert any("solution.py" in str(p) for p in reloaded.problems)


def test_a_pack_with_problems_is_never_cached(tmp_path: Path, cache: PackCache) -> None:
    pack = make_pack(tmp_path / "broken", topics=["tensors"])
    make_kata(pack, "good-kata")
    make_kata(pack, "bad-kata", yaml_text=kata_yaml("bad-kata", difficulty=9))
    for _ in range(2):
        catalog = Catalog.load([pack], cache=cache)
        assert [k.id for k in catalog] == ["good-kata"]
        assert any("difficulty" in str(p) for p in catalog.problems)
    assert not cache.root or not list(cache.root.glob("*.json"))


def test_a_damaged_cache_file_is_ignored_and_replaced(pack: Path, cache: PackCache) -> None:
    Catalog.load([pack], cache=cache)
    assert cache.root is not None
    (file,) = cache.root.glob("*.json")
    for damage in (b"{not json", b"[]", b'{"format": 1, "trainer": "0"}', b""):
        file.write_bytes(damage)
        assert [k.id for k in Catalog.load([pack], cache=cache)] == ["first-kata", "second-kata"]
    assert file.read_bytes().startswith(b'{"format":1')


def test_a_cached_spec_the_schema_now_refuses_is_read_again(pack: Path, cache: PackCache) -> None:
    Catalog.load([pack], cache=cache)
    assert cache.root is not None
    (file,) = cache.root.glob("*.json")
    file.write_bytes(file.read_bytes().replace(b'\\"difficulty\\":1', b'\\"difficulty\\":99'))
    assert Catalog.load([pack], cache=cache).get("first-kata").spec.difficulty == 1


def test_an_unwritable_cache_folder_only_costs_speed(tmp_path: Path, pack: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    catalog = Catalog.load([pack], cache=PackCache(blocker / "cache"))
    assert [k.id for k in catalog] == ["first-kata", "second-kata"]


def test_the_default_cache_honours_its_environment(tmp_path: Path) -> None:
    assert PackCache.default({"KATAS_NO_CACHE": "1"}).root is None
    assert PackCache.default({"KATAS_CACHE_DIR": str(tmp_path)}).root == tmp_path
    home_cache = PackCache.default({"KATAS_NO_CACHE": "0"}).root
    assert home_cache is not None and home_cache.name == "packs"
