"""Write a batch's outputs into its folder, each file atomically (old or new, never half).

``results.json`` (every verdict, for the instructor), ``gradebook.csv`` (for the LMS),
``feedback/*.md`` (one per learner, safe to hand out), and what was graded: ``submitted/<name>/
<kata>.py`` (each learner's files, for ``katas similarity`` and a look at a disputed grade) and
``starters/<kata>.py`` (what the similarity check discounts). Files of learners no longer in the
batch are removed, so the folder always describes exactly one batch.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.batch.gradebook import gradebook_csv
from trainer.batch.model import BatchResults, LearnerResult
from trainer.errors import ResultsError

__all__ = [
    "FEEDBACK_DIR",
    "GRADEBOOK",
    "RESULTS",
    "STARTERS_DIR",
    "SUBMITTED_DIR",
    "load_results",
    "starter_file",
    "submitted_file",
    "write_outputs",
]

RESULTS = "results.json"
GRADEBOOK = "gradebook.csv"
FEEDBACK_DIR = "feedback"
SUBMITTED_DIR = "submitted"
STARTERS_DIR = "starters"


def submitted_file(folder: Path, row: LearnerResult, kata_id: str) -> Path:
    """Where a batch folder keeps the file this learner handed in for this kata."""
    return folder / SUBMITTED_DIR / Path(row.feedback).stem / f"{kata_id}.py"


def starter_file(folder: Path, kata_id: str) -> Path:
    return folder / STARTERS_DIR / f"{kata_id}.py"


def load_results(folder: Path) -> BatchResults:
    path = folder / RESULTS
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: no graded batch here ({exc.strerror or exc})") from None
    try:
        return BatchResults.model_validate_json(text)
    except ValueError as exc:
        raise ResultsError(f"{path}: not a results file this trainer can read: {exc}") from None


def write_outputs(
    folder: Path,
    results: BatchResults,
    feedback: Mapping[str, str],
    files: Mapping[str, Mapping[str, bytes]],
    starters: Mapping[str, bytes],
) -> None:
    """Publish feedback first and the gradebook last: a reader never sees a row without its file.

    ``files`` is each learner's handed-in files by kata id, ``starters`` each kata's starter.
    """
    for row in results.learners:
        for kata_id, data in files.get(row.learner, {}).items():
            path = submitted_file(folder, row, kata_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
    kept = {Path(row.feedback).stem for row in results.learners}
    for stale in (folder / SUBMITTED_DIR).glob("*") if (folder / SUBMITTED_DIR).is_dir() else ():
        if stale.name not in kept:
            shutil.rmtree(stale, ignore_errors=True)
    for kata_id, data in starters.items():
        path = starter_file(folder, kata_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    notes = folder / FEEDBACK_DIR
    notes.mkdir(parents=True, exist_ok=True)
    for learner in results.learners:
        name = Path(learner.feedback).name
        atomic_write(notes / name, feedback[learner.learner].encode("utf-8"))
    keep = {Path(learner.feedback).name for learner in results.learners}
    for stale in notes.glob("*.md"):
        if stale.name not in keep:
            stale.unlink(missing_ok=True)
    atomic_write(folder / RESULTS, results.model_dump_json(indent=1).encode("utf-8"))
    atomic_write(folder / GRADEBOOK, gradebook_csv(results).encode("utf-8"))
