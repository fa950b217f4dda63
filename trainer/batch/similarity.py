"""``katas similarity DIR``: which learners handed in look-alike files, per kata, for a human look.

Every pair of learners who handed in a kata's file (and changed its starter) is compared with
copydetect's fingerprints, MOSS's method: the code is tokenised, every name becomes one letter
(so renaming variables changes nothing), and hashes of k characters of that are kept as a set
(so reordering functions changes little). Two kinds of shared code are evidence of nothing and
are dropped before comparing: every k-gram of the kata's starter (MOSS's base file), and, in a
large class, whatever more than ``common`` files share (MOSS's ``-m``: the kata's one obvious
fix, written alike by most of the class). A high score is a reason to read two files, not proof.
"""

from __future__ import annotations

import bisect
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from itertools import combinations
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape as rich_escape
from rich.table import Table
from rich.text import Text

from trainer.batch.model import learner_order
from trainer.batch.publish import load_results, starter_file, submitted_file

__all__ = [
    "COMMON",
    "TOP",
    "WINDOW",
    "K",
    "KataSimilarity",
    "Lines",
    "Pair",
    "Side",
    "SimilarityReport",
    "compare_kata",
    "html_page",
    "similarity",
    "terminal_tables",
]

K = 25
"""Characters of tokenised code per fingerprint (copydetect's noise threshold): below this,
a match is too short to mean anything (``V=V.V(V,V)`` is in every file)."""
WINDOW = 1
"""Winnowing window: 1 keeps every k-gram, so any shared run of ``K`` is found. Kata files
are small, so the index size that a larger window saves is not worth the missed matches."""
COMMON = 10
"""Code in more than this many files of one kata is ignored as common (MOSS's default ``-m``).
High enough that a small class's copy ring is never hidden as "common"."""
TOP = 10


@dataclass(frozen=True)
class Lines:
    """A run of matched lines, 1-based and inclusive."""

    first: int
    last: int


@dataclass(frozen=True)
class Side:
    """One file of a pair."""

    learner: str
    share: float
    """How much of this file's own code (the starter's taken out) is also in the other, 0..1."""
    lines: tuple[Lines, ...]
    """Where that code is, for highlighting."""

    @property
    def line_count(self) -> int:
        return sum(span.last - span.first + 1 for span in self.lines)


@dataclass(frozen=True)
class Pair:
    a: Side
    b: Side
    score: float
    """The larger of the two shares: a file wholly inside a larger one scores 1 (as copydetect
    flags a pair when either side passes its threshold); the mean would halve that case."""
    overlap: int
    """Characters of tokenised code matched (in ``a``): breaks ties between equal scores, so a
    pair sharing a whole solution ranks above one sharing a single line."""


@dataclass(frozen=True)
class KataSimilarity:
    kata_id: str
    title: str
    starter: bool
    """Whether the folder had the kata's starter to discount (folders before it had none)."""
    code: Mapping[str, str]
    """Each compared learner's file, as compared and shown (newlines normalised)."""
    pairs: tuple[Pair, ...]
    """Every pair of ``code``'s learners, most similar first."""


@dataclass(frozen=True)
class SimilarityReport:
    assignment_id: str
    title: str
    katas: tuple[KataSimilarity, ...]


def _text(data: bytes) -> str:
    """Decoded as pygments would lex it (no BOM, ``\\n`` newlines), so positions agree."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _positions(text: str, filtered: str) -> tuple[list[int], list[int]] | None:
    """Where each character of copydetect's filtered code comes from in ``text``: start, end.

    copydetect 0.5 maps matches back itself, but it records a class name's offset as the name's
    length and its lexer drops leading blank lines, so a highlight can land lines away. This
    walks the same tokens with the same rules (``copydetect.utils.filter_code``), newlines kept.
    None when the walk does not rebuild ``filtered`` (another copydetect): its own mapping is used.
    """
    from copydetect.utils import lexers, token  # pygments, as copydetect imports it

    names = {token.Name, token.Name.Variable, token.Name.Attribute}
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    at = 0
    for kind, value in lexers.PythonLexer(stripnl=False, ensurenl=False).get_tokens(text):
        start, at = at, at + len(value)
        if kind in names:
            piece = "V"
        elif kind in token.Name.Function:
            piece = "F"
        elif kind in token.Name.Class:
            piece = "O"
        elif kind in (token.Comment.Preproc, token.Comment.Hashbang):
            piece = "P"
        elif kind in token.Text or kind in token.Comment:
            continue
        elif kind in token.Literal.String:
            piece = '"' if value in ("'", '"') else "S"
        else:
            out.append(value)
            starts.extend(range(start, at))
            ends.extend(range(start + 1, at + 1))
            continue
        out.append(piece)
        starts.append(start)
        ends.append(at)
    if at != len(text) or "".join(out) != filtered:
        return None
    return starts, ends


class _Doc:
    """One file's fingerprint, with what turns its matches into lines."""

    def __init__(self, text: str, k: int, window: int) -> None:
        import copydetect

        self.text = text
        self.fingerprint: Any = copydetect.CodeFingerprint(
            "submission.py", k, window, filter=True, language="python", fp=io.StringIO(text)
        )
        self.positions = _positions(text, self.fingerprint.filtered_code)
        if self.positions is not None:
            self.fingerprint.offsets = []  # compare_files then leaves slices in filtered code
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    @property
    def hashes(self) -> set[int]:
        return set(self.fingerprint.hash_idx)

    def discount(self, drop: set[int]) -> None:
        """Forget fingerprints of shared-by-right code; the share is then of what is left.

        Done here, not by copydetect's ``boilerplate=``: that removes one occurrence of a
        repeated k-gram (``np.intersect1d`` with ``assume_unique`` on a list with repeats).
        """
        from copydetect.utils import get_token_coverage

        kept = {h: at for h, at in self.fingerprint.hash_idx.items() if h not in drop}
        self.fingerprint.hash_idx = kept
        self.fingerprint.hashes = set(kept)
        self.fingerprint.token_coverage = get_token_coverage(
            kept, self.fingerprint.k, len(self.fingerprint.filtered_code)
        )

    def lines(self, slices: Any) -> tuple[Lines, ...]:
        """Matched slices (2 x N: starts, ends) as merged runs of whole lines.

        A slice of several lines that only covers the tail of its first line (or the head of its
        last) leaves that line out, and blank lines at its edges: a k-gram reaching into the
        line before a copy, often the starter's, is not that line being copied.
        """
        runs: list[Lines] = []
        for start, end in zip(*(list(map(int, row)) for row in slices), strict=True):
            if self.positions is not None:
                first, past = self.positions
                start, end = first[start], past[min(end, len(past)) - 1]
            start, end = max(0, min(start, len(self.text))), max(0, min(end, len(self.text)))
            while end > start and self.text[end - 1].isspace():
                end -= 1
            if end <= start:
                continue
            top = bisect.bisect_right(self.line_starts, start)
            bottom = bisect.bisect_right(self.line_starts, end - 1)
            if top < bottom and self.text[self.line_starts[top - 1] : start].strip():
                top += 1
            if top < bottom and self.text[end : self._line_end(bottom)].strip():
                bottom -= 1
            while top < bottom and not self._line(top).strip():
                top += 1
            while top < bottom and not self._line(bottom).strip():
                bottom -= 1
            if runs and top <= runs[-1].last + 1:
                runs[-1] = Lines(runs[-1].first, max(runs[-1].last, bottom))
            else:
                runs.append(Lines(top, bottom))
        return tuple(runs)

    def _line(self, number: int) -> str:
        return self.text[self.line_starts[number - 1] : self._line_end(number)]

    def _line_end(self, number: int) -> int:
        """Where line ``number`` (1-based) ends, its newline excluded."""
        if number < len(self.line_starts):
            return self.line_starts[number] - 1
        return len(self.text)


def _pair(a: str, b: str, docs: Mapping[str, _Doc]) -> Pair:
    from copydetect import compare_files

    overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(
        docs[a].fingerprint, docs[b].fingerprint
    )
    side_a = Side(a, float(share_a), docs[a].lines(_sorted_slices(slices_a)))
    side_b = Side(b, float(share_b), docs[b].lines(_sorted_slices(slices_b)))
    return Pair(side_a, side_b, max(side_a.share, side_b.share), int(overlap))


def _sorted_slices(slices: Any) -> list[list[int]]:
    """copydetect's 2 x N slices, sorted by start (empty when nothing matched)."""
    if len(slices) < 2 or not len(slices[0]):
        return [[], []]
    spans = sorted(zip(map(int, slices[0]), map(int, slices[1]), strict=True))
    return [[s for s, _ in spans], [e for _, e in spans]]


def compare_kata(
    kata_id: str,
    title: str,
    files: Mapping[str, bytes],
    starter: bytes | None,
    *,
    k: int = K,
    window: int = WINDOW,
    common: int = COMMON,
) -> KataSimilarity:
    """Every pair of ``files`` (learner -> file), most similar first, the starter discounted.

    A file byte-identical to the starter is left out: it has nothing of its own to compare.
    """
    code = {
        learner: _text(data)
        for learner, data in sorted(files.items(), key=lambda item: learner_order(item[0]))
        if data != starter
    }
    docs = {learner: _Doc(text, k, window) for learner, text in code.items()}
    drop: set[int] = set()
    if starter is not None:
        drop |= _Doc(_text(starter), k, 1).hashes  # every k-gram, as copydetect's boilerplate
    counts = Counter(h for doc in docs.values() for h in doc.hashes - drop)
    drop |= {h for h, n in counts.items() if n > common}
    for doc in docs.values():
        doc.discount(drop)
    pairs = [_pair(a, b, docs) for a, b in combinations(code, 2)]
    pairs.sort(
        key=lambda p: (-p.score, -p.overlap, learner_order(p.a.learner), learner_order(p.b.learner))
    )
    return KataSimilarity(kata_id, title, starter is not None, code, tuple(pairs))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def similarity(
    folder: Path, *, k: int = K, window: int = WINDOW, common: int = COMMON
) -> SimilarityReport:
    """Compare the files a ``katas grade`` folder kept, kata by kata (see the module)."""
    results = load_results(folder)
    katas = []
    for column in results.assignment.katas:
        files = {}
        for row in results.learners:
            data = _read(submitted_file(folder, row, column.id))
            if data is not None:
                files[row.learner] = data
        starter = _read(starter_file(folder, column.id))
        katas.append(
            compare_kata(column.id, column.title, files, starter, k=k, window=window, common=common)
        )
    return SimilarityReport(results.assignment.id, results.assignment.title, tuple(katas))


def _shown(kata: KataSimilarity, top: int) -> tuple[Pair, ...]:
    """The ``top`` pairs that share anything: a pair at 0 is no lead, so it is not listed."""
    return tuple(p for p in kata.pairs[:top] if p.score > 0)


def _none(kata: KataSimilarity) -> str:
    if len(kata.code) < 2:
        return "Fewer than two files to compare."
    return "No two files share code" + (" beyond the starter." if kata.starter else ".")


def _about(kata: KataSimilarity) -> str:
    discounted = "starter discounted" if kata.starter else "no starter here: nothing discounted"
    return f"{len(kata.code)} files compared, {discounted}"


def terminal_tables(report: SimilarityReport, top: int = TOP) -> RenderableType:
    """One table per kata: its ``top`` pairs, most similar first."""
    parts: list[RenderableType] = [
        Text(f"{report.title} ({report.assignment_id}): similarity", style="bold")
    ]
    for kata in report.katas:
        heading = f"{rich_escape(kata.kata_id)}: {rich_escape(kata.title)} ({_about(kata)})"
        pairs = _shown(kata, top)
        if not pairs:
            parts.append(Text.from_markup(f"{heading}\n{_none(kata)}\n"))
            continue
        table = Table(title=heading, title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("learner", overflow="fold")
        table.add_column("learner", overflow="fold")
        table.add_column("score", justify="right")
        table.add_column("shares", justify="right")
        table.add_column("lines matched", justify="right")
        for rank, pair in enumerate(pairs, 1):
            table.add_row(
                str(rank),
                rich_escape(pair.a.learner),
                rich_escape(pair.b.learner),
                f"{pair.score:.0%}",
                f"{pair.a.share:.0%} · {pair.b.share:.0%}",
                f"{pair.a.line_count} · {pair.b.line_count}",
            )
        parts.append(table)
    return Group(*parts)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 76rem; padding: 0 1rem;
  color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th.text, td.text { text-align: left; }
.muted { color: #666; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; }
.pair h4 { margin: 0.5rem 0; font-weight: normal; }
pre { margin: 0; padding: 0.5rem 0; background: #f7f7f7; border: 1px solid #ddd;
  overflow-x: auto; font-size: 0.8rem; line-height: 1.35; }
pre span.line { display: block; padding-right: 0.5rem; white-space: pre; }
pre span.hit { background: #ffe08a; }
pre span.no { display: inline-block; width: 3.5em; padding-right: 0.75em; text-align: right;
  color: #999; user-select: none; }
"""


def _code(text: str, lines: Iterable[Lines]) -> str:
    """The file, a line a row, matched lines highlighted; every character escaped."""
    hit: set[int] = set()
    for span in lines:
        hit.update(range(span.first, span.last + 1))
    rows = [
        f'<span class="line{" hit" if number in hit else ""}"><span class="no">{number}</span>'
        f"{escape(line)}</span>"
        for number, line in enumerate(text.split("\n"), 1)
    ]
    return f"<pre>{''.join(rows)}</pre>"


def _side(kata: KataSimilarity, side: Side) -> str:
    spans = ", ".join(
        str(s.first) if s.first == s.last else f"{s.first}–{s.last}" for s in side.lines
    )
    where = f"lines {spans}" if spans else "nothing matched"
    return (
        f"<div><h4><strong>{escape(side.learner)}</strong> · {side.share:.0%} of this file "
        f'· <span class="muted">{escape(where)}</span></h4>'
        f"{_code(kata.code[side.learner], side.lines)}</div>"
    )


def _kata_html(index: int, kata: KataSimilarity, top: int) -> list[str]:
    parts = [
        f"<h2>{escape(kata.kata_id)}: {escape(kata.title)}</h2>",
        f'<p class="muted">{escape(_about(kata))}</p>',
    ]
    pairs = _shown(kata, top)
    if not pairs:
        return [*parts, f"<p>{escape(_none(kata))}</p>"]
    rows = "".join(
        f'<tr><td><a href="#k{index}-p{rank}">{rank}</a></td>'
        f'<td class="text">{escape(p.a.learner)}</td><td class="text">{escape(p.b.learner)}</td>'
        f"<td>{p.score:.0%}</td><td>{p.a.share:.0%} · {p.b.share:.0%}</td>"
        f"<td>{p.a.line_count} · {p.b.line_count}</td></tr>"
        for rank, p in enumerate(pairs, 1)
    )
    parts.append(
        '<table><thead><tr><th>#</th><th class="text">learner</th><th class="text">learner</th>'
        "<th>score</th><th>shares</th><th>lines matched</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    for rank, pair in enumerate(pairs, 1):
        parts.append(
            f'<h3 id="k{index}-p{rank}">{rank}. {escape(pair.a.learner)} and '
            f"{escape(pair.b.learner)} · {pair.score:.0%}</h3>"
            f'<div class="pair">{_side(kata, pair.a)}{_side(kata, pair.b)}</div>'
        )
    return parts


def html_page(report: SimilarityReport, top: int = TOP) -> str:
    """One self-contained page (inline CSS, no scripts): per kata, the top pairs side by side.

    Learner code is hostile, so every string from a submission is escaped and nothing runs.
    """
    title = f"{report.title} ({report.assignment_id}): similarity"
    body = [part for i, kata in enumerate(report.katas) for part in _kata_html(i, kata, top)]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            '<p class="muted">Score: the larger of the two shares, a share being how much of '
            "one file's own code (the kata's starter taken out) is also in the other file. "
            "Renamed names and reordered functions still match. Highlighted lines are the "
            "shared code. A high score is a reason to read the two files, not proof.</p>",
            *body,
            "</body></html>",
            "",
        ]
    )
