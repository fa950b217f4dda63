"""``katas grade --merge``: join the shards of one batch, graded on several machines, into one.

A merge is refused rather than guessed when the shards disagree: another assignment, other
checks or points (the assignment fingerprint), another device, a different class roster, a
shard missing or given twice, or a learner graded in two shards. The merged folder is exactly
what one unsharded run writes: the same gradebook, the same results, each learner's feedback
file and handed-in files copied from the shard that graded them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from trainer.batch.model import FORMAT, BatchResults, Isolation, LearnerResult, learner_order
from trainer.batch.publish import (
    FEEDBACK_DIR,
    load_results,
    starter_file,
    submitted_file,
    write_outputs,
)
from trainer.errors import MergeError, ResultsError

__all__ = ["merge_batches"]


def _check_same(batches: Sequence[tuple[Path, BatchResults]]) -> None:
    first_dir, first = batches[0]
    for folder, batch in batches:
        if batch.format > FORMAT:
            raise MergeError(f"{folder}: results format {batch.format} is newer than this trainer")
        if batch.assignment.id != first.assignment.id:
            raise MergeError(
                f"{folder} is assignment {batch.assignment.id!r} but {first_dir} is "
                f"{first.assignment.id!r}"
            )
        if batch.assignment.fingerprint != first.assignment.fingerprint:
            raise MergeError(
                f"{folder} and {first_dir} were graded with different katas, checks or points"
            )
        if batch.device != first.device:
            raise MergeError(
                f"{folder} was graded on {batch.device}, {first_dir} on {first.device}"
            )
        if batch.roster != first.roster:
            raise MergeError(
                f"{folder} and {first_dir} were given different submissions "
                "(every shard must be run with the same archives)"
            )


def _check_shards(batches: Sequence[tuple[Path, BatchResults]]) -> None:
    shards = [(folder, b.shard) for folder, b in batches]
    counts = {s.count for _, s in shards if s is not None}
    if len(counts) > 1:
        raise MergeError(f"the shards split the batch differently: {sorted(counts)} ways")
    seen: dict[int, Path] = {}
    for folder, shard in shards:
        if shard is None:
            continue
        if shard.index in seen:
            raise MergeError(
                f"shard {shard.label} is given twice: {seen[shard.index]} and {folder}"
            )
        seen[shard.index] = folder
    if counts:
        count = counts.pop()
        missing = sorted(set(range(1, count + 1)) - seen.keys())
        if missing:
            labels = ", ".join(f"{m}/{count}" for m in missing)
            raise MergeError(f"shard {labels} is missing; merge every shard of the batch")


def merge_batches(folders: Sequence[Path], out: Path) -> BatchResults:
    """Merge graded shard folders into ``out``; raises :class:`MergeError` when they do not fit."""
    if not folders:
        raise MergeError("give the folders of the shards to merge")
    out_resolved = out.resolve()
    batches: list[tuple[Path, BatchResults]] = []
    for folder in folders:
        if folder.resolve() == out_resolved:
            raise MergeError(f"{folder} is both a shard and the output; merge into a new folder")
        try:
            batches.append((folder, load_results(folder)))
        except ResultsError as exc:
            raise MergeError(str(exc)) from None
    _check_same(batches)
    _check_shards(batches)
    owner: dict[str, Path] = {}
    rows: list[LearnerResult] = []
    feedback: dict[str, str] = {}
    files: dict[str, dict[str, bytes]] = {}
    starters: dict[str, bytes] = {}
    for folder, batch in batches:
        for kata in batch.assignment.katas:
            with contextlib.suppress(OSError):
                starters.setdefault(kata.id, starter_file(folder, kata.id).read_bytes())
        for row in batch.learners:
            if row.learner in owner:
                raise MergeError(
                    f"learner {row.learner!r} was graded in both {owner[row.learner]} and {folder}"
                )
            owner[row.learner] = folder
            rows.append(row)
            try:
                note = folder / FEEDBACK_DIR / Path(row.feedback).name
                feedback[row.learner] = note.read_text(encoding="utf-8")
            except OSError as exc:
                raise MergeError(f"{note}: {exc.strerror or exc}") from None
            kept = files.setdefault(row.learner, {})
            for result in row.katas:
                with contextlib.suppress(OSError):  # none for a missing or rejected kata
                    kept[result.kata_id] = submitted_file(folder, row, result.kata_id).read_bytes()
    first = batches[0][1]
    absent = sorted(set(first.roster) - owner.keys())
    if absent:
        shown = ", ".join(repr(a) for a in absent[:5])
        raise MergeError(f"{len(absent)} learners of the batch are in no shard given: {shown}")
    merged = BatchResults(
        assignment=first.assignment,
        device=first.device,
        shard=None,
        roster=first.roster,
        isolation=Isolation.combine([batch.isolation for _, batch in batches]),
        learners=tuple(sorted(rows, key=lambda r: learner_order(r.learner))),
    )
    out.mkdir(parents=True, exist_ok=True)
    write_outputs(out, merged, feedback, files, starters)
    return merged
