"""``katas validate``: prove that a kata's checks tell right from wrong.

For every kata: its reference solution must pass, its starter must fail (import cleanly and fail
a check), and every ``wrong/*.py`` must fail a check too. A kata whose checks pass the starter,
or reject the reference, is a broken kata, whatever its YAML says. Every trial runs the hidden
checks too (``hidden_checks.py``), as ``katas grade`` will. A learner's copy (``katas handout``)
cannot be validated: its solution and hidden checks stayed with the instructor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from trainer.grading.grader import Grader
from trainer.grading.verdict import CheckStatus, Status, Verdict
from trainer.kata.model import Kata


@dataclass(frozen=True)
class Trial:
    """One file graded during validation, and what its verdict had to be."""

    kata: Kata
    role: str
    """``solution``, ``starter`` or ``wrong/<name>.py``."""
    path: Path
    expect: Status


@dataclass(frozen=True)
class TrialResult:
    trial: Trial
    verdict: Verdict

    @property
    def unverifiable(self) -> bool:
        return self.verdict.status is Status.UNAVAILABLE

    @property
    def ok(self) -> bool:
        return self.verdict.status is self.trial.expect

    def explain(self) -> str:
        """Why this trial did or did not meet its expectation, in an author's terms."""
        verdict = self.verdict
        if self.unverifiable:
            return verdict.summary
        failing = [c for c in verdict.checks if c.status is not CheckStatus.PASSED]
        if self.ok and self.trial.expect is Status.FAILED:
            names = ", ".join(f"'{c.name}'" for c in failing)
            return f"rejected by {names}"
        if self.ok:
            return verdict.summary
        if self.trial.expect is Status.PASSED:
            detail = "; ".join(
                f"'{c.name}': {c.message.splitlines()[0] if c.message else c.status.value}"
                for c in failing[:3]
            )
            return (
                f"the reference should pass but {verdict.status.value}: {detail or verdict.summary}"
            )
        if verdict.status is Status.PASSED:
            return "passes every check: the checks do not catch this mistake"
        return (
            f"should fail a check but came back {verdict.status.value}: {verdict.summary}"
            " (a wrong answer must import cleanly and be rejected by a check)"
        )


@dataclass
class KataReport:
    kata: Kata
    results: list[TrialResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok or r.unverifiable for r in self.results)

    @property
    def verified(self) -> bool:
        return bool(self.results) and not any(r.unverifiable for r in self.results)


def trials_for(kata: Kata) -> list[Trial]:
    trials = [
        Trial(kata, "solution", kata.solution, Status.PASSED),
        Trial(kata, "starter", kata.starter, Status.FAILED),
    ]
    trials += [
        Trial(kata, f"wrong/{path.name}", path, Status.FAILED) for path in kata.wrong_variants
    ]
    return trials


def validate(
    katas: Sequence[Kata],
    *,
    device: str = "cpu",
    jobs: int | None = None,
    on_result: Callable[[TrialResult], None] | None = None,
    warm: bool = True,
    memory_mb: int | None = None,
) -> list[KataReport]:
    """Grade every trial of every kata over a pool of warm workers as wide as the machine."""
    trials = [t for kata in katas for t in trials_for(kata)]
    reports = {kata.id: KataReport(kata) for kata in katas}
    workers = max(1, min(jobs or os.cpu_count() or 2, len(trials) or 1))

    with Grader(workers, warm=warm) as grader:

        def run(trial: Trial) -> TrialResult:
            limits = trial.kata.spec.limits
            if memory_mb is not None:
                limits = limits.model_copy(update={"memory_mb": memory_mb})
            verdict = grader.grade(
                trial.kata, trial.path, device, limits=limits, hidden_checks=True
            )
            result = TrialResult(trial, verdict)
            if on_result is not None:
                on_result(result)
            return result

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(run, trials):
                reports[result.trial.kata.id].results.append(result)
    return [reports[kata.id] for kata in katas]
