"""The progress report and the export: streaks, the documented JSON shape, CSV details. And the
instructor's class report (``katas report``): its learners × katas grid, the feedback pages it
links to, and charts and tables that cut nothing."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

from rich.console import Console

from tests.fixed_clock import NOON, FixedClock
from tests.kata_factory import make_kata
from tests.test_progress import verdict
from trainer.batch.feedback import (
    Redactor,
    ShownIn,
    feedback_name,
    render_feedback,
    render_feedback_html,
)
from trainer.batch.model import (
    AssignmentInfo,
    BatchResults,
    GradeStatus,
    KataColumn,
    KataResult,
    LearnerResult,
    learner_order,
    score,
)
from trainer.batch.publish import write_outputs
from trainer.batch.report import html_report, summarise
from trainer.batch.svg import text_width
from trainer.cli.batch import report_command
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.learner.export import AttemptRow, export_attempts
from trainer.learner.progress import ProgressStore
from trainer.learner.report import ProgressDocument, build_report, streak_days
from trainer.marks import GRADE

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


# The class report (``katas report``), on a batch made here: no grading needed.

KATA_IDS = (
    "broadcast-bias-add-shape-mismatch",
    "optimizer-zero-grad-accumulation-bug",
    "device-mismatch-in-custom-module-buffers",
)
CLASS = AssignmentInfo(
    id="week-3",
    title="Week 3: debugging training code",
    katas=tuple(
        KataColumn(id=k, title=f"The {k} kata, with a long title", points=2.0, fingerprint=k)
        for k in KATA_IDS
    ),
)
SGD = "param-not-tensor: one SGD step on m"
CHECKS = (f"{SGD} moves every parameter", f"{SGD} matches a fresh reference optimizer")
EVIL = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
P, F, M, N = (
    GradeStatus.PASSED,
    GradeStatus.FAILED,
    GradeStatus.MISSING,
    GradeStatus.NOT_ATTEMPTED,
)
GRADED = (P, F)
CLASS_STATUSES = {
    "zoë": (P, P, P),
    EVIL: (F, M, P),
    "Ada Lovelace": (P, F, N),
    "bob": (F, F, M),
    "Chen": (M, P, F),
}
"""No timeout, error, crash, rejection: those columns must not appear in the kata table."""


def _class_verdict(kata_id: str, status: GradeStatus) -> Verdict:
    failed = status is F
    checks = tuple(
        CheckResult(
            id=f"test_{i}",
            name=name,
            status=CheckStatus.FAILED if failed else CheckStatus.PASSED,
            message=f"expected 1, got 2\n{IMG}" if failed else "",
        )
        for i, name in enumerate(CHECKS)
    )
    return Verdict(
        kata_id=kata_id,
        status=Status(status.value),
        summary="all checks passed" if not failed else "2 of 2 checks failed",
        checks=checks,
        device="cpu",
        file="x.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


def _class_results() -> BatchResults:
    taken: set[str] = set()
    rows = []
    for learner, statuses in CLASS_STATUSES.items():
        katas = tuple(
            KataResult(
                kata_id=column.id,
                status=status,
                points=score(status, column.points),
                max_points=column.points,
                summary="why",
                verdict=_class_verdict(column.id, status) if status in GRADED else None,
            )
            for column, status in zip(CLASS.katas, statuses, strict=True)
        )
        rows.append(
            LearnerResult(
                learner=learner,
                archive="a.zip",
                archive_sha256="0" * 64,
                katas=katas,
                feedback=f"feedback/{feedback_name(learner, taken)}",
            )
        )
    return BatchResults(assignment=CLASS, device="cpu", learners=tuple(rows))


def _graded_folder(folder: Path) -> BatchResults:
    results = _class_results()
    feedback = {r.learner: render_feedback(r, CLASS, Redactor(), "cpu") for r in results.learners}
    write_outputs(folder, results, feedback, {}, {})
    return results


Cell = tuple[dict[str, str], str, str | None]
"""A table cell: its attributes, its text, and the href of a link in it."""


class _Tables(HTMLParser):
    """Every table of a page as its header row and body rows of cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[Cell], list[list[Cell]]]] = []
        self._cell: tuple[dict[str, str], list[str], list[str]] | None = None
        self._row: list[Cell] = []
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append((found.get("class", ""), [], []))
        elif tag in ("thead", "tbody"):
            self._head = tag == "thead"
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = (found, [], [])
        elif tag == "a" and self._cell is not None:
            self._cell[2].append(found["href"])

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            attrs, text, links = self._cell
            self._row.append((attrs, "".join(text).strip(), links[0] if links else None))
            self._cell = None
        elif tag == "tr":
            _, head, body = self.tables[-1]
            if self._head:
                head.extend(self._row)
            else:
                body.append(self._row)


def _tables(page: str) -> dict[str, tuple[list[Cell], list[list[Cell]]]]:
    """The page's tables by CSS class (``table-N`` for one without)."""
    parser = _Tables()
    parser.feed(page)
    return {css or f"table-{i}": (head, body) for i, (css, head, body) in enumerate(parser.tables)}


def test_the_grid_shows_every_learners_mark_per_kata_and_links_their_feedback(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "batch"
    results = _graded_folder(folder)
    elsewhere = tmp_path / "mail" / "report.html"  # --html outside the batch folder
    elsewhere.parent.mkdir()
    for target in (folder / "report.html", elsewhere):
        console = Console(file=io.StringIO(), width=100)
        assert report_command(folder, console, html=target if target == elsewhere else None) == 0
        head, body = _tables(target.read_text(encoding="utf-8"))["grid"]
        assert [text for _, text, _ in head] == ["learner", *KATA_IDS, "total"]
        learners = sorted(CLASS_STATUSES, key=learner_order)
        assert [row[0][1] for row in body] == learners
        for row, learner in zip(body, learners, strict=True):
            name, *marks, total = row
            for (attrs, glyph, _), status in zip(marks, CLASS_STATUSES[learner], strict=True):
                mark = GRADE[status]
                assert (glyph, attrs["title"]) == (mark.glyph, mark.label), (learner, status)
                assert f"tone-{mark.tone.value}" in attrs["class"].split()
            expected = sum(2 for status in CLASS_STATUSES[learner] if status is P)
            assert total[1] == f"{expected:g}"
            href = name[2]
            assert href is not None and "://" not in href and not href.startswith("/")
            page = target.parent / href
            assert page.is_file() and page.suffix == ".html", href
            (row_result,) = (r for r in results.learners if r.learner == learner)
            assert page.with_suffix(".md").name == Path(row_result.feedback).name


def test_feedback_pages_escape_names_and_messages_and_leave_nothing_stale(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "batch"
    _graded_folder(folder)
    stale = folder / "feedback" / "someone-gone.html"
    stale.write_text("old", encoding="utf-8")
    assert report_command(folder, Console(file=io.StringIO())) == 0
    assert not stale.exists()
    (page,) = (folder / "feedback").glob("script_alert*.html")
    text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text and "<img" not in text
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report


def test_feedback_html_shows_what_the_markdown_shows_and_never_more() -> None:
    results = _class_results()
    (row,) = (r for r in results.learners if r.learner == "bob")
    markdown = render_feedback(row, CLASS, Redactor(), "cpu")
    page = render_feedback_html(row, CLASS, ShownIn(markdown), "cpu")
    assert page == render_feedback_html(row, CLASS, Redactor(), "cpu")  # nothing was redacted
    for name in CHECKS:
        assert page.count(name) == markdown.count(name) == 2  # both failing katas list it
    assert page.count("expected 1, got 2") == markdown.count("expected 1, got 2") == 4
    # A line the published markdown had redacted stays out of the page rendered later.
    secret = Redactor(quoted=["expected 1, got 2 (the hidden formula)"])
    leaky = row.model_copy(
        update={
            "katas": tuple(
                k.model_copy(update={"summary": "expected 1, got 2 (the hidden formula)"})
                for k in row.katas
            )
        }
    )
    published = render_feedback(leaky, CLASS, secret, "cpu")
    assert "hidden formula" not in published
    later = render_feedback_html(leaky, CLASS, ShownIn(published), "cpu")
    assert "hidden formula" not in later and ShownIn.REMOVED in later


def test_the_kata_table_has_no_empty_column_and_ids_on_one_line() -> None:
    page = html_report(summarise(_class_results()))
    head, body = _tables(page)["wide"]
    headers = [text for _, text, _ in head]
    assert headers == [
        "kata",
        "title",
        "points",
        "passed",
        f"{GRADE[F].glyph} {GRADE[F].label}",
        f"{GRADE[M].glyph} {GRADE[M].label}",
        f"{GRADE[N].glyph} {GRADE[N].label}",
    ]
    for column in range(len(headers)):
        assert any(row[column][1] for row in body), headers[column]
    assert [row[0][1] for row in body] == list(KATA_IDS)
    assert all("id" in row[0][0]["class"].split() for row in body)
    assert re.search(r"\.id\s*\{[^}]*white-space:\s*nowrap", page)
    for _, table_body in _tables(page).values():  # and no other table either
        for column in range(len(table_body[0]) if table_body else 0):
            assert any(row[column][1] for row in table_body)


SVG = "{http://www.w3.org/2000/svg}"


def _visible(element: ET.Element) -> list[tuple[str, bool]]:
    """A ``<text>``'s visible runs (its ``<title>`` tooltip left out), each with its boldness."""
    runs = [(element.text or "", element.get("font-weight") == "bold")]
    for child in element:
        if child.tag != f"{SVG}title":
            runs.append(("".join(child.itertext()), child.get("font-weight") == "bold"))
        runs.append((child.tail or "", False))
    return [(text, bold) for text, bold in runs if text]


def test_chart_labels_are_whole_unambiguous_and_fit_their_chart() -> None:
    results = _class_results()
    long = "x" * 30 + "-" + "y" * 200  # one word wider than the chart: wrapped, not cut
    failing = _class_verdict(KATA_IDS[0], F)
    failing = failing.model_copy(
        update={"checks": (failing.checks[0].model_copy(update={"name": long}),)}
    )
    first = results.learners[0]
    kata = first.katas[0].model_copy(update={"status": F, "points": 0.0, "verdict": failing})
    row = first.model_copy(update={"katas": (kata, *first.katas[1:])})
    results = results.model_copy(update={"learners": (row, *results.learners[1:])})
    report = summarise(results)
    page = html_report(report)
    assert "…" not in page
    charts = [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", page, re.S)]
    labels: dict[str, list[str]] = {}
    for chart in charts:
        width = float(chart.get("viewBox", "").split()[2])
        for text in chart.iter(f"{SVG}text"):
            runs = _visible(text)
            size = sum(text_width(t, bold=b) for t, b in runs)
            x = float(text.get("x", "0"))
            left = x - size / 2 if text.get("text-anchor") == "middle" else x
            assert left >= 0 and left + size <= width, ("".join(t for t, _ in runs), size)
            tooltip = text.find(f"{SVG}title")
            if tooltip is not None and tooltip.text:
                labels.setdefault(tooltip.text, []).append("".join(t for t, _ in runs))
    expected = [f"{c.kata_id} · {c.name}" for c in report.checks] + list(KATA_IDS)
    assert sorted(labels) == sorted(expected)  # every bar's label, each told apart
    for full, lines in labels.items():  # written whole: wrapped at spaces or after a "-" only
        shown = "".join(lines)  # (no " · " when the check name starts a line of its own)
        assert re.sub("[ ·]", "", shown) == re.sub("[ ·]", "", full), full
    assert len(labels[f"{KATA_IDS[0]} · {long}"]) > 2
