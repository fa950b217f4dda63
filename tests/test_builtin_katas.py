"""The built-in catalog: it loads cleanly, ships inside the wheel, and every kata is sound."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trainer.grading.verdict import Status
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.validate import validate

REPO = Path(__file__).resolve().parent.parent


def test_the_builtin_catalog_loads_without_problems() -> None:
    catalog = Catalog.default()
    assert [str(p) for p in catalog.problems] == []
    assert len(catalog) >= 3
    assert catalog.topics()[0] == "tensors"


def test_every_builtin_kata_is_valid() -> None:
    """`katas validate`: each solution passes, each starter and wrong variant fails."""
    katas = list(Catalog.load([builtin_pack()]))
    reports = validate(katas)
    problems = [
        f"{r.trial.kata.id} {r.trial.role}: {r.explain()}"
        for report in reports
        for r in report.results
        if not (r.ok or r.unverifiable)
    ]
    assert problems == []
    for report in reports:
        assert len(report.kata.wrong_variants) >= 1, f"{report.kata.id} has no wrong/ variants"
        if report.kata.supports("cpu"):
            assert report.verified, f"{report.kata.id} was not verified on the CPU"
        else:  # GPU-only: "not verified here", never a pass (tests/test_devices.py: stand-ins)
            statuses = {r.verdict.status for r in report.results}
            assert statuses == {Status.UNAVAILABLE}, (report.kata.id, statuses)
            assert not report.verified
    assert any(not r.kata.supports("cpu") for r in reports), "the CUDA katas are missing"


def test_the_wheel_ships_the_catalog(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("torch_katas-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "trainer/_katas/pack.yaml" in names
    for kata_yaml in builtin_pack().rglob("kata.yaml"):
        rel = kata_yaml.relative_to(builtin_pack()).as_posix()
        assert f"trainer/_katas/{rel}" in names
    assert not any("__pycache__" in name for name in names)


def test_the_learning_path_reaches_every_kata() -> None:
    """Solving katas in `next_kata` order from nothing visits each one: no cycle, no dead end."""
    catalog = Catalog.load([builtin_pack()])
    solved: list[str] = []
    while (kata := catalog.next_kata(solved, runnable=lambda _kata: True)) is not None:
        assert kata.id not in solved
        assert set(kata.spec.requires) <= set(solved), f"{kata.id} offered before its requires"
        solved.append(kata.id)
    assert sorted(solved) == sorted(k.id for k in catalog)


def _tips_table() -> dict[int, set[str]]:
    """Tip number -> the kata ids its row names as `topic/kata-id`."""
    rows: dict[int, set[str]] = {}
    for line in (REPO / "katas" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows[int(cells[0])] = set(re.findall(r"`[a-z0-9-]+/([a-z0-9-]+)`", cells[2]))
    return rows


def test_the_tips_table_matches_the_katas() -> None:
    """katas/README.md maps each seed tip to exactly the katas whose `tips` name it."""
    catalog = Catalog.load([builtin_pack()])
    expected = {tip: {k.id for k in catalog if tip in k.spec.tips} for tip in range(1, 13)}
    assert _tips_table() == expected
    untaught = [tip for tip, katas in expected.items() if not katas]
    assert untaught == [], f"tips with no kata: {untaught}"
