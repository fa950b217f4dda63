"""Write a batch's outputs into its folder, each file atomically (old or new, never half).

``results.json`` (every verdict, for the instructor), ``gradebook.csv`` (for the LMS) and
``feedback/*.md`` (one per learner, safe to hand out). Feedback files of learners no longer in
the batch are removed, so the folder always describes exactly one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trainer.atomic import atomic_write
from trainer.batch.gradebook import gradebook_csv
from trainer.batch.model import BatchResults
from trainer.errors import ResultsError

__all__ = ["FEEDBACK_DIR", "GRADEBOOK", "RESULTS", "load_results", "write_outputs"]

RESULTS = "results.json"
GRADEBOOK = "gradebook.csv"
FEEDBACK_DIR = "feedback"


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


def write_outputs(folder: Path, results: BatchResults, feedback: Mapping[str, str]) -> None:
    """Publish feedback first and the gradebook last: a reader never sees a row without its file."""
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
