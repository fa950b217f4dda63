"""Grade a batch: plan it, reuse what the journal already holds, grade the rest in parallel.

Every file is graded with the kata's hidden checks too (``hidden_checks.py``): this is the
instructor's grading, the only one that runs them.

Every file goes through :class:`trainer.grading.grader.Grader` (warm workers, a forked child per
file, the kata's timeout and limits), ``jobs`` at a time. Each verdict is journalled before anything
else sees it, so a killed run resumes where it stopped. A grading that fails inside this
process (not in the learner's child) becomes that file's ``crashed`` result and is *not*
journalled, so the next run tries it again. Only a bad command stops the batch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer.batch.feedback import Redactor, feedback_name, render_feedback
from trainer.batch.journal import Journal, JournalEntry, grading_key
from trainer.batch.lateness import Receipts, assess, read_receipts, received_at
from trainer.batch.model import (
    AssignmentInfo,
    BatchResults,
    GradeStatus,
    Isolation,
    KataResult,
    LatePolicyInfo,
    LearnerResult,
    Received,
    ShardInfo,
    score,
)
from trainer.batch.plan import (
    AssignmentLike,
    Job,
    Plan,
    Reader,
    Submitted,
    kata_devices,
    plan_batch,
    starters_of,
)
from trainer.batch.publish import FEEDBACK_DIR, write_outputs
from trainer.errors import BatchBusy, NotIsolated, PlanError
from trainer.grading.evidence import environment
from trainer.grading.grader import Grader, probe_sandbox
from trainer.grading.layers import Layer
from trainer.grading.verdict import Status, Verdict
from trainer.kata.model import Kata

__all__ = ["BatchOptions", "BatchRun", "grade_batch"]

LOCK_NAME = ".lock"

Progress = Callable[[int, int, Job, Verdict], None]
"""Called after each grading: files done, files to grade in this run, the job, its verdict."""


@dataclass(frozen=True)
class BatchOptions:
    jobs: int | None = None
    """Gradings at once (default: the machine's cores)."""
    shard: ShardInfo | None = None
    device: str | None = None
    """Grade every kata here; None: each on the first of the assignment's devices it runs on."""
    timeout: float | None = None
    """Seconds per file, overriding every kata's own timeout."""
    memory_mb: int | None = None
    warm: bool = True
    allow_unisolated: bool = False
    """Grade even where learner code could read other files (the gradebook then says so)."""
    receipts: Path | None = None
    """When each archive was received (see :mod:`trainer.batch.lateness`); else mtimes."""
    regrade: frozenset[str] = frozenset()
    """Learner ids and kata ids graded again whatever the journal holds (``all``: everyone)."""


@dataclass(frozen=True)
class BatchRun:
    results: BatchResults
    folder: Path
    graded: int
    """Files graded by this run."""
    reused: int
    """Verdicts taken from the journal of an earlier run."""
    retry: int
    """Files whose grading failed in this process; the next run grades them again."""
    reruns: int = 0
    """Wall-clock timeouts graded once more, alone, before they were scored."""


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no advisory locks here: nothing to guard with
        yield
        return
    with (folder / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchBusy(f"another `katas grade` is writing {folder}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _in_process_failure(job: Job, device: str, exc: BaseException) -> Verdict:
    return Verdict(
        kata_id=job.kata.id,
        status=Status.CRASHED,
        summary=(
            f"the grader failed on this file ({type(exc).__name__}: {exc}); "
            "it is graded again when the batch is run again"
        ),
        device=device,
        file="",
        environment=environment(None),
    )


class _Gate:
    """Gradings share it; the re-run of a wall-clock timeout has it alone.

    A wall-clock timeout under load may be the machine's fault, not the learner's: the file is
    graded once more with nothing else running before the timeout is scored.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._alone and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._alone and not self._shared)
            self._waiting -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()


class _Grading:
    """The gradings of one run, over one pool of warm workers."""

    def __init__(
        self,
        options: BatchOptions,
        journal: Journal,
        keys: dict[str, str],
        devices: dict[str, str],
    ) -> None:
        self.options = options
        self.journal = journal
        self.keys = keys
        self.devices = devices
        self.retry: set[tuple[str, str]] = set()
        self.reruns = 0
        """Wall-clock timeouts graded again alone."""
        self._gate = _Gate()
        self._lock = threading.Lock()
        self._done = 0

    def grade_one(
        self,
        grader: Grader,
        scratch: Path,
        index: int,
        job: Job,
        archive: str,
        total: int,
        progress: Progress | None,
    ) -> Verdict:
        options = self.options
        folder = scratch / str(index)
        try:
            folder.mkdir()
            path = folder / job.kata.spec.file
            path.write_bytes(job.data)
            limits = job.kata.spec.limits
            if options.memory_mb is not None:
                limits = limits.model_copy(update={"memory_mb": options.memory_mb})
            device = self.devices[job.kata.id]
            grade = functools.partial(
                grader.grade,
                job.kata,
                path,
                device,
                timeout=options.timeout,
                limits=limits,
                hidden_checks=True,
            )
            with self._gate.shared():
                verdict = grade()
            if verdict.status is Status.TIMEOUT and verdict.clock == "wall":
                with self._gate.alone():
                    verdict = grade()
                with self._lock:
                    self.reruns += 1
                if verdict.status is Status.TIMEOUT and verdict.clock == "wall":
                    verdict = verdict.model_copy(
                        update={"summary": verdict.summary + " (also when graded again alone)"}
                    )
            verdict = verdict.model_copy(
                update={"file": f"{archive}!files/{job.kata.id}/{job.kata.spec.file}"}
            )
            self.journal.append(
                JournalEntry(
                    learner=job.learner,
                    kata_id=job.kata.id,
                    file_sha256=job.sha256,
                    key=self.keys[job.kata.id],
                    verdict=verdict,
                )
            )
        except Exception as exc:  # this process failed, not the learner's code: retry next run
            verdict = _in_process_failure(job, self.devices[job.kata.id], exc)
            with self._lock:
                self.retry.add((job.learner, job.kata.id))
        finally:
            # Graded from a private copy; gone from the shared tree before the next learner's
            # turn, so even a batch graded without read isolation has no classmates to read.
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._done += 1
            done = self._done
        if progress is not None:
            progress(done, total, job, verdict)
        return verdict


def _grade_all(
    grading: _Grading,
    scratch: Path,
    todo: list[Job],
    archives: dict[str, str],
    progress: Progress | None,
) -> dict[tuple[str, str], Verdict]:
    options = grading.options
    width = max(1, min(options.jobs or os.cpu_count() or 2, len(todo)))
    verdicts: dict[tuple[str, str], Verdict] = {}
    with Grader(width, warm=options.warm) as grader:
        if grader.warm:
            # Grading cold while torch imports would slow the batch; a worker that cannot
            # start is no reason to stop: the grader falls back to the cold path.
            with contextlib.suppress(Exception):
                grader.wait_ready()
        pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="katas-batch")
        futures: list[tuple[Job, Future[Verdict]]] = []
        try:
            for index, job in enumerate(todo):
                future = pool.submit(
                    grading.grade_one,
                    grader,
                    scratch,
                    index,
                    job,
                    archives[job.learner],
                    len(todo),
                    progress,
                )
                futures.append((job, future))
            for job, future in futures:
                verdicts[(job.learner, job.kata.id)] = future.result()
        except BaseException:
            grader.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    return verdicts


def _kata_result(
    learner: Submitted,
    kata: Kata,
    info: AssignmentInfo,
    job: Job | None,
    verdict: Verdict | None,
    starter: bytes | None,
) -> KataResult:
    points = next(k.points for k in info.katas if k.id == kata.id)
    claimed = learner.claims.get(kata.id)
    if learner.rejected is not None:
        return KataResult(
            kata_id=kata.id,
            status=GradeStatus.REJECTED,
            points=0.0,
            max_points=points,
            summary=learner.rejected,
        )
    if job is None and starter is not None and learner.files.get(kata.id) == starter:
        return KataResult(
            kata_id=kata.id,
            status=GradeStatus.NOT_ATTEMPTED,
            points=0.0,
            max_points=points,
            summary="the file is the starter, unchanged",
            file_sha256=hashlib.sha256(starter).hexdigest(),
            claimed=claimed,
        )
    if job is None or verdict is None:
        return KataResult(
            kata_id=kata.id,
            status=GradeStatus.MISSING,
            points=0.0,
            max_points=points,
            summary="the archive holds no file for this kata",
            claimed=claimed,
        )
    status = GradeStatus.of(verdict.status)
    return KataResult(
        kata_id=kata.id,
        status=status,
        points=score(status, points, verdict, info.scoring, info.weights.get(kata.id)),
        max_points=points,
        summary=verdict.summary,
        file_sha256=job.sha256,
        claimed=claimed,
        verdict=verdict,
    )


def _feedback_names(roster: Sequence[str]) -> dict[str, str]:
    """Names from the whole batch's roster, so every shard names a learner's file alike."""
    taken: set[str] = set()
    return {learner: f"{FEEDBACK_DIR}/{feedback_name(learner, taken)}" for learner in roster}


def _received(learner: Submitted, policy: LatePolicyInfo, receipts: Receipts | None) -> Received:
    at, source = received_at(learner.archive, learner.learner, receipts)
    return assess(policy, at, source)


def assemble_results(
    plan: Plan,
    katas: Sequence[Kata],
    jobs: Sequence[Job],
    verdicts: dict[tuple[str, str], Verdict],
    device: str,
    shard: ShardInfo | None,
    receipts: Receipts | None = None,
    starters: Mapping[str, bytes | None] | None = None,
) -> BatchResults:
    by_key = {(j.learner, j.kata.id): j for j in jobs}
    names = _feedback_names(plan.roster)
    starters = starters_of(katas) if starters is None else starters
    policy = plan.assignment.late
    rows = []
    for learner in plan.learners:
        results = []
        for kata in katas:
            key = (learner.learner, kata.id)
            results.append(
                _kata_result(
                    learner,
                    kata,
                    plan.assignment,
                    by_key.get(key),
                    verdicts.get(key),
                    starters[kata.id],
                )
            )
        rows.append(
            LearnerResult(
                learner=learner.learner,
                claimed=learner.claimed,
                archive=learner.archive.name,
                archive_sha256=learner.archive_sha256,
                problems=learner.problems,
                katas=tuple(results),
                feedback=names[learner.learner],
                received=_received(learner, policy, receipts) if policy else None,
            )
        )
    sources = {row.received.source for row in rows if row.received is not None}
    said = {"receipts": f"receipts {receipts.path.name}" if receipts else "receipts"}
    said["mtime"] = "archive modification times"
    return BatchResults(
        assignment=plan.assignment,
        device=device,
        shard=shard,
        roster=plan.roster,
        learners=tuple(rows),
        received_from=" and ".join(said[s] for s in ("receipts", "mtime") if s in sources) or None,
    )


def grade_batch(
    assignment: AssignmentLike,
    archives: Sequence[Path],
    out: Path,
    options: BatchOptions | None = None,
    *,
    reader: Reader | None = None,
    progress: Progress | None = None,
) -> BatchRun:
    """Grade ``archives`` against ``assignment`` into ``out`` (resuming what is there)."""
    options = options or BatchOptions()
    isolation = _isolation(options)
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out), tempfile.TemporaryDirectory(prefix="katas-batch-") as scratch_dir:
        scratch = Path(scratch_dir)
        plan = plan_batch(assignment, archives, options.shard, reader=reader)
        known = {"all", *plan.roster, *(k.id for k in assignment.katas)}
        unknown = sorted(options.regrade - known)
        if unknown:
            raise PlanError(
                f"--regrade {unknown[0]!r} is neither a learner of this batch, a kata of the "
                "assignment, nor 'all'"
            )
        katas = list(assignment.katas)
        columns = {k.id: k for k in plan.assignment.katas}
        preference = (options.device,) if options.device else tuple(assignment.spec.devices)
        devices = kata_devices(katas, preference)
        device = ", ".join(dict.fromkeys(devices[k.id] for k in katas)) or preference[0]
        keys = {
            k.id: grading_key(
                columns[k.id].fingerprint, devices[k.id], options.timeout, options.memory_mb
            )
            for k in katas
        }
        shard = options.shard.label if options.shard else None
        # read once, and before any grading: a bad receipts file stops the batch at once
        receipts = read_receipts(options.receipts) if options.receipts else None
        starters = starters_of(katas)
        with Journal(out, plan.assignment.id, shard) as journal:
            jobs = plan.jobs(katas, starters)
            verdicts: dict[tuple[str, str], Verdict] = {}
            todo: list[Job] = []
            for job in jobs:
                found = journal.get(job.learner, job.kata.id, job.sha256, keys[job.kata.id])
                again = options.regrade & {"all", job.learner, job.kata.id}
                if found is None or again:
                    todo.append(job)
                else:
                    verdicts[(job.learner, job.kata.id)] = found
            reused = len(verdicts)
            grading = _Grading(options, journal, keys, devices)
            if todo:
                archive_names = {s.learner: s.archive.name for s in plan.learners}
                verdicts.update(_grade_all(grading, scratch, todo, archive_names, progress))
        results = assemble_results(
            plan, katas, jobs, verdicts, device, options.shard, receipts, starters
        )
        results = results.model_copy(update={"isolation": isolation})
        redact = Redactor.for_katas(katas, [str(scratch), str(scratch.resolve())])
        feedback = {
            row.learner: render_feedback(row, results.assignment, redact, device)
            for row in results.learners
        }
        files = {s.learner: dict(s.files) for s in plan.learners if s.rejected is None}
        kept = {k: data for k, data in starters.items() if data is not None}
        write_outputs(out, results, feedback, files, kept)
    return BatchRun(
        results=results,
        folder=out,
        graded=len(todo) - len(grading.retry),
        reused=reused,
        retry=len(grading.retry),
        reruns=grading.reruns,
    )


def _isolation(options: BatchOptions) -> Isolation:
    """Probe the sandbox; refuse a batch whose learner code could read other files, unless told."""
    found = probe_sandbox()
    isolation = Isolation(
        read_isolated=found.read_isolated,
        layers=found.applied,
        allowed_unisolated=options.allow_unisolated and not found.read_isolated,
    )
    if not found.read_isolated and not options.allow_unisolated:
        raise NotIsolated(
            "learner code would not be read-isolated on this machine (neither "
            f"{' nor '.join(repr(layer) for layer in Layer.READ_ISOLATION)} holds), so a "
            "submission could read the solutions and other learners' files; grade where user "
            "namespaces or Landlock are available (README: 'Threat model'), or pass "
            "--allow-unisolated to grade anyway, and the gradebook says so"
        )
    return isolation
