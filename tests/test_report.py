"""The progress report and the export: streaks, the documented JSON shape, CSV details."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta, timezone
from pathlib import Path

from tests.fixed_clock import NOON, FixedClock
from tests.kata_factory import make_kata
from tests.test_progress import verdict
from trainer.grading.verdict import Status
from trainer.kata.catalog import Catalog
from trainer.learner.export import AttemptRow, export_attempts
from trainer.learner.progress import ProgressStore
from trainer.learner.report import ProgressDocument, build_report, streak_days

README = Path(__file__).resolve().parent.parent / "README.md"
TODAY = date(2024, 5, 10)


def days_ago(*offsets: int) -> set[date]:
    return {TODAY - timedelta(days=n) for n in offsets}


def test_the_streak_counts_days_in_a_row_ending_today_or_yesterday() -> None:
    assert streak_days(days_ago(0, 1, 2, 4), TODAY) == 3
    assert streak_days(days_ago(1, 2), TODAY) == 2  # today is not over yet
    assert streak_days(days_ago(2, 3), TODAY) == 0
    assert streak_days(set(), TODAY) == 0


def test_the_readme_documents_the_progress_json_exactly() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("**`katas progress --json`**") :]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    ProgressDocument.model_validate(json.loads(block.group(1)))  # extra or missing keys fail


def test_the_report_covers_every_catalog_kata_and_its_topics(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "one", order=1)
    make_kata(pack, "two", order=2)
    make_kata(pack, "three", "autograd", order=3)
    catalog = Catalog.load([pack])
    clock = FixedClock()
    store = ProgressStore(tmp_path / ".katas", clock=clock)
    store.record_attempt("one", verdict(Status.FAILED, "one"), "a")
    clock.advance(days=1)
    store.record_attempt("one", verdict(Status.PASSED, "one"), "b")
    store.record_attempt("gone", verdict(Status.PASSED, "gone"), "c")  # not in the catalog
    clock.advance(minutes=1)
    store.reveal_hint("two", 2)

    doc = build_report(catalog, store, tmp_path, now=clock.now, tz=timezone.utc)
    assert [k.id for k in doc.katas] == [k.id for k in catalog]  # catalog order
    assert {k.id: (k.status, k.attempts) for k in doc.katas} == {
        "one": ("solved", 2),
        "two": ("new", 0),
        "three": ("new", 0),
    }
    assert {(t.topic, t.katas, t.solved) for t in doc.topics} == {
        ("tensors", 2, 1),
        ("autograd", 1, 0),
    }
    t = doc.totals
    assert (t.katas, t.solved, t.new, t.attempts, t.hints_used, t.streak_days) == (
        3,
        1,
        2,
        2,
        1,
        2,
    )
    assert all(item.kata_id != "gone" for item in doc.recent)
    assert doc.recent[0].detail.startswith("hint 1")


def test_the_csv_export_has_one_row_per_attempt_in_the_documented_columns(
    tmp_path: Path,
) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "one")
    catalog = Catalog.load([pack])
    store = ProgressStore(tmp_path / ".katas", clock=FixedClock())
    store.record_attempt("one", verdict(Status.FAILED, "one"), "a", starter=True)
    store.record_attempt("gone", verdict(Status.ERROR, "gone", passed=0), None)
    text = export_attempts(store.attempts(), catalog, "csv", workspace="ws", now=NOON)
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == list(AttemptRow.model_fields)
    readme = README.read_text(encoding="utf-8")
    assert ", ".join(header) in " ".join(readme.split())  # the README lists them in order
    first, second = (dict(zip(header, row, strict=True)) for row in rows)
    assert (first["topic"], first["starter"], first["review"], first["code_sha256"]) == (
        "tensors",
        "true",
        "false",
        "a",
    )
    assert (second["topic"], second["status"], second["code_sha256"]) == ("", "error", "")
