"""The catalog: packs, ordering, problems that skip one kata, and what comes next."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import trainer
import trainer.kata.catalog
from tests.kata_factory import make_kata, make_pack
from trainer.errors import UnknownKataError
from trainer.kata.catalog import Catalog, PackManifest, builtin_pack
from trainer.kata.loader import load_yaml_model
from trainer.kata.model import Kata


def anywhere(_kata: Kata) -> bool:
    """A machine that can grade every kata."""
    return True


def ids(catalog: Catalog) -> list[str]:
    return [k.id for k in catalog.katas]


@pytest.fixture
def no_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Catalog.default without the real built-in katas, which other work may be changing."""
    empty = tmp_path / "builtin"
    empty.mkdir()
    monkeypatch.setattr(trainer.kata.catalog, "builtin_pack", lambda: empty)
    return empty


def test_orders_by_pack_topics_then_order_then_id(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack", topics=["tensors", "autograd"])
    make_kata(pack, "grad-one", topic="autograd", order=1)
    make_kata(pack, "late-tensor", topic="tensors", order=20)
    make_kata(pack, "early-tensor", topic="tensors", order=10)
    make_kata(pack, "b-same-order", topic="tensors", order=10)
    make_kata(pack, "zeta-kata", topic="zeta", order=1)
    make_kata(pack, "extra-kata", topic="extra", order=5)
    catalog = Catalog.load([pack])
    assert catalog.problems == ()
    assert ids(catalog) == [
        "b-same-order",
        "early-tensor",
        "late-tensor",
        "grad-one",
        "extra-kata",  # unlisted topics follow, alphabetically
        "zeta-kata",
    ]
    assert catalog.topics() == ["tensors", "autograd", "extra", "zeta"]
    by_topic = catalog.by_topic()
    assert list(by_topic) == catalog.topics()
    assert [k.id for k in by_topic["tensors"]] == ["b-same-order", "early-tensor", "late-tensor"]


def test_without_pack_yaml_topics_are_alphabetical(tmp_path: Path) -> None:
    make_kata(tmp_path, "m", topic="modules")
    make_kata(tmp_path, "a", topic="autograd")
    catalog = Catalog.load([tmp_path])
    assert catalog.topics() == ["autograd", "modules"]
    assert catalog.packs[0].manifest is None
    assert catalog.packs[0].name == tmp_path.name


def test_packs_come_in_the_order_given(tmp_path: Path) -> None:
    first = make_pack(tmp_path / "first", topics=["tensors"])
    second = make_pack(tmp_path / "second", topics=["autograd", "tensors"])
    make_kata(first, "one", topic="tensors", order=50)
    make_kata(second, "two", topic="autograd")
    make_kata(second, "three", topic="tensors", order=1)
    catalog = Catalog.load([first, second])
    assert ids(catalog) == ["one", "two", "three"]
    assert [p.name for p in catalog.packs] == ["first", "second"]
    assert catalog.get("two").pack == second


def test_a_broken_kata_is_skipped_and_the_rest_load(tmp_path: Path) -> None:
    make_kata(tmp_path, "good-one", order=1)
    broken = make_kata(tmp_path, "broken", yaml_text="id: broken\ntitle: [oops\n")
    make_kata(tmp_path, "good-two", order=2)
    catalog = Catalog.load([tmp_path])
    assert ids(catalog) == ["good-one", "good-two"]
    [problem] = catalog.problems
    assert problem.path == broken / "kata.yaml"
    assert problem.line is not None


def test_kata_subfolders_and_hidden_folders_are_not_searched(tmp_path: Path) -> None:
    kata_dir = make_kata(tmp_path, "outer")
    make_kata(kata_dir / "wrong", "nested")  # a kata.yaml inside a kata is not another kata
    make_kata(tmp_path / ".git", "hidden")
    assert ids(Catalog.load([tmp_path])) == ["outer"]


def test_duplicate_ids_name_both_paths_and_the_first_wins(tmp_path: Path) -> None:
    first = make_kata(tmp_path / "a", "same-id", topic="tensors", title="First")
    second = make_kata(tmp_path / "b", "same-id", topic="tensors", title="Second")
    catalog = Catalog.load([tmp_path / "a", tmp_path / "b"])
    assert catalog.get("same-id").title == "First"
    [problem] = catalog.problems
    assert problem.path == second / "kata.yaml"
    assert str(first / "kata.yaml") in problem.message
    assert str(second / "kata.yaml") in str(problem)
    assert problem.line == 2


def test_duplicate_ids_within_one_pack(tmp_path: Path) -> None:
    make_kata(tmp_path, "twin", topic="autograd")
    make_kata(tmp_path, "twin", topic="tensors")
    catalog = Catalog.load([tmp_path])
    assert len(catalog) == 1
    [problem] = catalog.problems
    assert "duplicate" in problem.message
    assert "autograd" in problem.message
    assert "tensors" in problem.message


def test_the_same_pack_twice_is_not_a_duplicate(tmp_path: Path) -> None:
    make_kata(tmp_path, "only")
    catalog = Catalog.load([tmp_path, tmp_path / "." / "tensors" / ".."])
    assert ids(catalog) == ["only"]
    assert catalog.problems == ()


def test_unknown_requires_is_a_problem_on_that_kata(tmp_path: Path) -> None:
    make_kata(tmp_path, "basics", order=1)
    needy = make_kata(tmp_path, "needy", order=2, requires=["basic"])
    catalog = Catalog.load([tmp_path])
    assert ids(catalog) == ["basics", "needy"]  # still offered
    [problem] = catalog.problems
    assert problem.path == needy / "kata.yaml"
    assert problem.field == "requires"
    assert "'basic'" in problem.message
    assert "did you mean 'basics'?" in problem.message
    text = (needy / "kata.yaml").read_text().splitlines()
    assert problem.line is not None
    assert "basic" in text[problem.line - 1]


def test_requires_cycle_is_a_problem(tmp_path: Path) -> None:
    make_kata(tmp_path, "chicken", requires=["egg"])
    make_kata(tmp_path, "egg", requires=["chicken"])
    [problem] = Catalog.load([tmp_path]).problems
    assert "cycle" in problem.message


def test_missing_pack_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    make_kata(tmp_path / "real", "here")
    catalog = Catalog.load([tmp_path / "nowhere", tmp_path / "real"])
    assert ids(catalog) == ["here"]
    [problem] = catalog.problems
    assert problem.path == tmp_path / "nowhere"
    assert "does not exist" in problem.message


def test_invalid_pack_yaml_is_reported_and_the_pack_still_loads(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "k", topic="tensors")
    (pack / "pack.yaml").write_text("name: p\ntopic: [tensors]\n")
    catalog = Catalog.load([pack])
    assert ids(catalog) == ["k"]
    [problem] = catalog.problems
    assert problem.path == pack / "pack.yaml"
    assert problem.line == 2
    assert "did you mean 'topics'?" in problem.message


def test_get_unknown_id_suggests_close_ones(tmp_path: Path) -> None:
    make_kata(tmp_path, "param-not-tensor")
    catalog = Catalog.load([tmp_path])
    assert "param-not-tensor" in catalog
    with pytest.raises(UnknownKataError) as caught:
        catalog.get("param-not-tensr")
    assert isinstance(caught.value, KeyError)
    assert "did you mean 'param-not-tensor'?" in str(caught.value)
    with pytest.raises(KeyError):
        catalog.get("something-else-entirely")


def test_next_kata_honours_requires_and_wraps(tmp_path: Path) -> None:
    make_kata(tmp_path, "a", order=1)
    make_kata(tmp_path, "b", order=2, requires=["a"])
    make_kata(tmp_path, "c", order=3)
    make_kata(tmp_path, "d", order=4, requires=["b", "c"])
    catalog = Catalog.load([tmp_path])

    def next_id(solved: set[str], after: str | None = None) -> str | None:
        kata = catalog.next_kata(solved, after, runnable=anywhere)
        return kata.id if kata else None

    assert next_id(set()) == "a"
    assert next_id(set(), after="a") == "c"  # b needs a
    assert next_id({"a"}, after="a") == "b"
    assert next_id({"a", "c"}, after="c") == "b"  # wraps round
    assert next_id({"a", "b"}, after="b") == "c"
    assert next_id({"a", "b", "c"}) == "d"
    assert next_id({"a", "b", "c", "d"}) is None
    assert next_id(set(), after="no-such-kata") == "a"


def test_next_kata_offers_the_current_one_last(tmp_path: Path) -> None:
    make_kata(tmp_path, "only")
    catalog = Catalog.load([tmp_path])
    kata = catalog.next_kata(set(), after="only", runnable=anywhere)
    assert kata is not None
    assert kata.id == "only"


def test_next_kata_ignores_unknown_requires(tmp_path: Path) -> None:
    make_kata(tmp_path, "typo", requires=["nope"])
    kata = Catalog.load([tmp_path]).next_kata(set(), runnable=anywhere)
    assert kata is not None
    assert kata.id == "typo"


def test_empty_catalog(tmp_path: Path) -> None:
    catalog = Catalog.load([tmp_path])
    assert catalog.next_kata(set(), runnable=anywhere) is None
    assert catalog.topics() == []
    assert catalog.by_topic() == {}


def test_default_adds_katas_path_then_extra(tmp_path: Path, no_builtin: Path) -> None:
    one = make_pack(tmp_path / "one")
    two = make_pack(tmp_path / "two")
    extra = make_pack(tmp_path / "extra")
    make_kata(one, "from-one")
    make_kata(two, "from-two")
    make_kata(extra, "from-extra")
    environ = {"KATAS_PATH": os.pathsep.join([str(one), "", str(two)])}
    catalog = Catalog.default(extra=[extra], environ=environ)
    assert [p.path for p in catalog.packs] == [no_builtin, one, two, extra]
    assert ids(catalog) == ["from-one", "from-two", "from-extra"]
    assert catalog.problems == ()


def test_default_reports_a_missing_katas_path_entry(tmp_path: Path, no_builtin: Path) -> None:
    catalog = Catalog.default(environ={"KATAS_PATH": str(tmp_path / "gone")})
    [problem] = catalog.problems
    assert problem.path == tmp_path / "gone"


def test_default_without_katas_path_is_the_builtin_pack(no_builtin: Path) -> None:
    catalog = Catalog.default(environ={})
    assert [p.path for p in catalog.packs] == [no_builtin]


def test_builtin_pack_in_a_checkout_is_the_repo_katas_folder() -> None:
    repo = Path(trainer.__file__).resolve().parent.parent
    assert builtin_pack() == repo / "katas"
    manifest = load_yaml_model(builtin_pack() / "pack.yaml", PackManifest)
    assert manifest.topics[0] == "tensors"


def test_builtin_pack_in_a_wheel_is_inside_the_package(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "trainer"
    (package / "_katas").mkdir(parents=True)
    assert builtin_pack(package) == package / "_katas"
    assert builtin_pack(tmp_path / "repo" / "trainer") == tmp_path / "repo" / "katas"


def test_next_offers_a_kata_this_machine_cannot_grade_only_when_nothing_else_is_left(
    tmp_path: Path,
) -> None:
    pack = make_pack(tmp_path / "pack", topics=["tensors", "cuda"])
    make_kata(pack, "gpu-first", topic="tensors", order=1, devices=["cuda"])
    make_kata(pack, "cpu-second", topic="tensors", order=2)
    catalog = Catalog.load([pack])

    def cpu_only(kata: Kata) -> bool:
        return kata.supports("cpu")

    assert catalog.next_kata(set(), runnable=anywhere).id == "gpu-first"  # type: ignore[union-attr]
    assert catalog.next_kata(set(), runnable=cpu_only).id == "cpu-second"  # type: ignore[union-attr]
    last = catalog.next_kata({"cpu-second"}, runnable=cpu_only)
    assert last is not None and last.id == "gpu-first"  # listed as needing a GPU, never hidden
    assert catalog.next_kata({"cpu-second", "gpu-first"}, runnable=cpu_only) is None
