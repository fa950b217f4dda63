"""Batch grading throughput: ``katas grade`` (warm workers, jobs=2) against a sequential cold run.

Builds a class of submission archives over four built-in katas (each learner hands in the
reference for some katas and the starter or a known-wrong file for others), then grades the same
archives twice in this one run, each into a fresh folder so nothing is reused:

- cold: one grading at a time, each in a fresh ``python -m trainer.grading.judge.run`` (the way a
naive
  grader runs ``pytest`` per file);
- batch: ``jobs`` gradings at once over warm workers, as ``katas grade --jobs 2`` does.

Prints submissions (and files) per minute for both, the ratio, and whether the two gradebooks
are identical (they must be: the path changes the speed, never the verdict).

    python benchmarks/batch_throughput.py [--learners 8] [--jobs 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from trainer.batch.plan import discover
from trainer.batch.run import BatchOptions, BatchRun, grade_batch
from trainer.coursework.assignment import LoadedAssignment, load_assignment
from trainer.coursework.submission import Manifest, ManifestFile, archive_bytes

KATAS = ("param-not-tensor", "view-vs-reshape", "containers", "custom-fn")


def make_class(root: Path, learners: int) -> tuple[LoadedAssignment, Path]:
    spec = {
        "schema": 1,
        "id": "bench",
        "title": "Benchmark",
        "packs": ["builtin"],
        "katas": list(KATAS),
    }
    (root / "assignment.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    loaded = load_assignment(root / "assignment.yaml")
    folder = root / "submissions"
    folder.mkdir()
    for index in range(learners):
        members: dict[str, bytes] = {}
        files: dict[str, ManifestFile] = {}
        for position, kata in enumerate(loaded.katas):
            choices = [kata.solution, kata.solution, kata.starter, *kata.wrong_variants]
            source = choices[(index + position) % len(choices)]
            data = source.read_bytes()
            member = f"files/{kata.id}/{kata.spec.file}"
            members[member] = data
            files[kata.id] = ManifestFile(path=member, sha256=hashlib.sha256(data).hexdigest())
        manifest = Manifest(
            learner=f"learner-{index:03d}",
            assignment_id=loaded.id,
            assignment_title=loaded.title,
            created_at=datetime.now(timezone.utc),
            trainer_version="bench",
            python="3",
            files=files,
        )
        archive = folder / f"learner-{index:03d}.bench.katas.zip"
        archive.write_bytes(archive_bytes(manifest, members))
    return loaded, folder


def timed(
    loaded: LoadedAssignment, archives: list[Path], out: Path, options: BatchOptions
) -> tuple[BatchRun, float]:
    start = time.perf_counter()
    run = grade_batch(loaded, archives, out, options)
    return run, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="katas-bench-") as scratch:
        root = Path(scratch)
        loaded, folder = make_class(root, args.learners)
        archives = discover([folder])
        files = args.learners * len(KATAS)
        print(
            f"{args.learners} submissions x {len(KATAS)} katas = {files} files, "
            f"{os.cpu_count()} cores"
        )
        rates: dict[str, float] = {}
        books: dict[str, bytes] = {}
        for label, options in (
            ("cold, sequential", BatchOptions(jobs=1, warm=False)),
            (f"batch, jobs={args.jobs}", BatchOptions(jobs=args.jobs, warm=True)),
        ):
            out = root / label.split(",")[0]
            run, wall = timed(loaded, archives, out, options)
            assert run.graded == files and run.reused == 0, (run.graded, run.reused)
            rates[label] = args.learners / wall * 60
            books[label] = (out / "gradebook.csv").read_bytes()
            print(
                f"{label:>18}: {wall:6.1f} s wall, {rates[label]:6.1f} submissions/min, "
                f"{files / wall * 60:6.1f} files/min"
            )
        cold, batch = rates.values()
        print(f"throughput ratio batch/cold: {batch / cold:.2f}x")
        print(f"gradebooks identical: {'yes' if len(set(books.values())) == 1 else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
