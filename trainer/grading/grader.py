"""Grade a learner file against a kata's hidden checks, in a child process, fail-closed.

Two paths, one contract. :func:`grade` starts a fresh ``python -m trainer.grading.judge.run`` per
grading (cold: about the cost of importing torch). :class:`Grader` keeps warm workers that fork a
child per grading (a fraction of that). Both run the same runner in its own process group and
scratch directory, under the kata's timeout, with output captured and capped, and both turn what
they observed into a :class:`~trainer.grading.verdict.Verdict` with
:func:`trainer.grading.evidence.assemble`. This module never imports torch.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from trainer.errors import GradingCancelled, WorkerLost
from trainer.grading import cgroups
from trainer.grading.cgroups import RunGroup
from trainer.grading.evidence import assemble, environment
from trainer.grading.layers import Layer, read_isolated
from trainer.grading.limits import Limits
from trainer.grading.protocol import SANDBOX_SKIPS, ArmRequest, RunRequest
from trainer.grading.supervise import OUTPUT_LIMIT, RunEvidence, child_env, run_cold
from trainer.grading.verdict import Status, Verdict
from trainer.grading.worker_client import WALL_FACTOR, WarmWorker, warm_supported
from trainer.kata.model import Kata

__all__ = ["OUTPUT_LIMIT", "WALL_FACTOR", "Grader", "grade", "grade_many"]


def sandbox_skips() -> tuple[str, ...]:
    """Layers ``KATAS_SANDBOX_SKIP`` (comma-separated) leaves out: a platform without them,
    emulated for tests and for checking what ``katas grade`` does there."""
    asked = os.environ.get("KATAS_SANDBOX_SKIP", "")
    return tuple(name for name in SANDBOX_SKIPS if name in {a.strip() for a in asked.split(",")})


@dataclass(frozen=True)
class SandboxReport:
    """Which layers a grading child gets on this machine, as the probe found them."""

    applied: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def read_isolated(self) -> bool:
        return read_isolated(self.applied)


def probe_sandbox(timeout: float = 30.0) -> SandboxReport:
    """Take a grading child's containment steps in a throwaway child, without grading."""
    argv = [sys.executable, "-m", "trainer.grading.learner.probe", *sandbox_skips()]
    with tempfile.TemporaryDirectory(prefix="katas-probe-") as folder:
        try:
            done = subprocess.run(
                argv,
                cwd=folder,
                env=child_env(os.environ),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            found = json.loads(
                done.stdout.decode("utf-8", errors="replace").strip().splitlines()[-1]
            )
            return SandboxReport(tuple(found["applied"]), tuple(found["missing"]))
        except (subprocess.TimeoutExpired, ValueError, IndexError, KeyError, OSError):
            return SandboxReport((), Layer.READ_ISOLATION)


def hidden_folders(kata: Kata) -> tuple[str, ...]:
    """Folders learner code must never read even where they lie inside the installation."""
    from trainer.kata.catalog import builtin_pack

    return tuple(sorted({str(kata.root.resolve()), str(kata.pack.resolve()), str(builtin_pack())}))


def _builtin_hidden() -> tuple[str, ...]:
    from trainer.kata.catalog import builtin_pack

    return (str(builtin_pack()),)


@dataclass
class Armed:
    """A worker's next grading, prepared: its sandbox's spec, cgroup and token."""

    spec: ArmRequest
    group: RunGroup | None
    token: str

    def discard(self) -> None:
        """Remove what was made for it (the worker ends the armed processes themselves)."""
        if self.group is not None:
            self.group.remove()
        shutil.rmtree(self.spec.workdir, ignore_errors=True)


def _fail_fast(kata: Kata, path: Path, device: str, status: Status, summary: str) -> Verdict:
    return Verdict(
        kata_id=kata.id,
        status=status,
        summary=summary,
        device=device,
        file=str(path),
        environment=environment(None),
    )


def _precheck(kata: Kata, path: Path, device: str) -> Verdict | None:
    """Verdicts that need no child: a device the kata does not list, a file that is not there."""
    if device != "auto" and not kata.supports(device):
        devices = " or ".join(kata.spec.devices)
        return _fail_fast(
            kata,
            path,
            device,
            Status.UNAVAILABLE,
            f"not verified here: this kata runs on {devices}, not on {device}; "
            f"grade it on {kata.spec.devices[0]} (or auto) on a machine that has one",
        )
    if not path.is_file():
        return _fail_fast(kata, path, device, Status.ERROR, f"there is no file at {path}")
    return None


def _request(
    kata: Kata,
    path: Path,
    device: str,
    timeout: float,
    limits: Limits | None = None,
    workdir: str | None = None,
    group: RunGroup | None = None,
    token: str | None = None,
    hidden_checks: bool = False,
) -> RunRequest:
    kept = kata.hidden_checks if hidden_checks and kata.hidden_checks.is_file() else None
    return RunRequest(
        token=token or secrets.token_hex(16),
        limits=limits or kata.spec.limits,
        timeout=timeout,
        checks=str(kata.checks.resolve()),
        hidden_checks=str(kept.resolve()) if kept else None,
        learner=str(path.resolve()),
        device=device,
        allowed_devices=kata.spec.devices,
        module_name=Path(kata.spec.file).stem,
        workdir=workdir,
        cgroups=group.procs if group else (),
        cgroup_layers=group.layers if group else {},
        hidden=hidden_folders(kata),
        skip=sandbox_skips(),
    )


def _run_cold(
    request: RunRequest,
    workdir: str,
    timeout: float,
    output_limit: int,
    cancel: threading.Event | None = None,
    group: RunGroup | None = None,
) -> RunEvidence:
    read_fd, write_fd = os.pipe()
    argv = [
        sys.executable,
        "-m",
        "trainer.grading.judge.run",
        "--request",
        request.model_dump_json(exclude={"workdir"}),
        "--channel-fd",
        str(write_fd),
    ]
    return run_cold(
        argv,
        cwd=Path(workdir),
        channel_read=read_fd,
        channel_write=write_fd,
        timeout=timeout * WALL_FACTOR,
        token=request.token,
        output_limit=output_limit,
        cancel=cancel,
        group=group,
        cpu_budget=timeout,
    )


def grade(
    kata: Kata,
    path: Path,
    device: str = "cpu",
    *,
    timeout: float | None = None,
    output_limit: int = OUTPUT_LIMIT,
    limits: Limits | None = None,
    hidden_checks: bool = False,
) -> Verdict:
    """Grade ``path`` against ``kata``'s checks on ``device`` in a fresh child process.

    ``device`` is ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``; the child resolves it, so
    this process never imports torch. ``hidden_checks``: run the checks an instructor keeps for
    grading too (``katas grade`` and ``katas validate``; a learner's own gradings never do).
    """
    with Grader(1, warm=False) as cold:
        return cold.grade(
            kata,
            path,
            device,
            timeout=timeout,
            output_limit=output_limit,
            limits=limits,
            hidden_checks=hidden_checks,
        )


class Grader:
    """Grades through warm workers: the same contract as :func:`grade`, a fraction of the wait.

    Use it as a context manager. Workers start in the background on entry, so the first save
    does not wait for torch to import unless it comes very early. A worker that dies is
    restarted on the next grading; where workers cannot run at all (no ``fork``), or one fails
    to start, grading falls back to the cold path. ``workers`` gradings run at once; more wait
    their turn, and ``supersede=True`` cancels those in flight first (the newest save wins).
    """

    def __init__(self, workers: int = 1, *, warm: bool = True) -> None:
        self.warm = warm and warm_supported()
        self._workers = [WarmWorker() for _ in range(max(1, workers))] if self.warm else []
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        for index, worker in enumerate(self._workers):
            # A grading's judge and learner process take turns, never run at once: on one CPU
            # each turn costs a fifth of a wake-up on another (tens of microseconds, hundreds
            # of turns a grading). One CPU per worker, so parallel gradings do not share one.
            worker.cpu = cpus[index % len(cpus)] if cpus else None
        self._idle: queue.Queue[WarmWorker] = queue.Queue()
        for worker in self._workers:
            self._idle.put(worker)
        self._slots = threading.Semaphore(max(1, workers))
        self._inflight: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._cleaner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="katas-cleanup")
        self._cleanups: set[Future[None]] = set()
        self.swept = [] if "cgroups" in sandbox_skips() else cgroups.sweep()
        """Cgroups that graders killed before they could clean up, removed on start."""

    def __enter__(self) -> Grader:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start every worker now, without waiting for any of them to be ready."""
        for worker in self._workers:
            if not worker.alive():
                worker.start()

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until every worker is warm and armed (benchmarks and tests, before any grading;
        grading never needs to)."""
        for worker in self._workers:
            worker.ensure_ready(timeout)
            self._arm(worker, _builtin_hidden())

    @property
    def armed_paths(self) -> frozenset[str]:
        """The scratch folders and cgroup folders of gradings armed and waiting for their
        request (their judge and learner process are running already)."""
        paths: set[str] = set()
        for worker in self._workers:
            armed = worker.armed
            if armed is not None:
                paths.add(armed.spec.workdir)
                if armed.group is not None:
                    paths.update(str(folder) for folder in armed.group.folders)
        return frozenset(paths)

    @property
    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers if w.pid is not None and w.alive()]

    def cancel(self) -> None:
        """Cancel every grading in flight; their callers get :class:`GradingCancelled`."""
        with self._lock:
            for event in self._inflight:
                event.set()

    def grade(
        self,
        kata: Kata,
        path: Path,
        device: str = "cpu",
        *,
        timeout: float | None = None,
        output_limit: int = OUTPUT_LIMIT,
        limits: Limits | None = None,
        supersede: bool = False,
        hidden_checks: bool = False,
    ) -> Verdict:
        """Like :func:`grade`; raises :class:`GradingCancelled` if a newer grading won."""
        if self._closed:
            raise RuntimeError("this Grader is closed")
        path = Path(path)
        limit = kata.spec.timeout if timeout is None else timeout
        early = _precheck(kata, path, device)
        if early is not None:
            return early
        cancel = threading.Event()
        if supersede:
            self.cancel()
        with self._lock:
            self._inflight.add(cancel)
        run_limits = limits or kata.spec.limits
        try:
            with self._slots:
                if cancel.is_set():
                    raise GradingCancelled(kata.id)
                worker = self._idle.get() if self.warm else None
                try:
                    evidence = self._grade_on(
                        worker,
                        kata,
                        path,
                        device,
                        limit,
                        run_limits,
                        output_limit,
                        cancel,
                        hidden_checks,
                    )
                finally:
                    if worker is not None:
                        self._release(worker, hidden_folders(kata))
                evidence.memory_mb = run_limits.memory_mb
        finally:
            with self._lock:
                self._inflight.discard(cancel)
        if evidence.cancelled:
            raise GradingCancelled(kata.id)
        return assemble(kata.id, path, device, limit, evidence)

    def _grade_on(
        self,
        worker: WarmWorker | None,
        kata: Kata,
        path: Path,
        device: str,
        limit: float,
        run_limits: Limits,
        output_limit: int,
        cancel: threading.Event,
        hidden_checks: bool = False,
    ) -> RunEvidence:
        """One grading, on the armed sandbox of ``worker`` when it fits, else on a new one."""
        armed, hidden = None, hidden_folders(kata)
        if worker is not None:
            armed, worker.armed = worker.armed, None
        skip = sandbox_skips()
        fits = armed is not None and (
            device == "cpu"
            and armed.spec.skip == skip
            and armed.spec.file_mb == run_limits.file_mb
            and set(hidden) <= set(armed.spec.hidden)
        )
        if armed is not None and fits:
            token, group, workdir = armed.token, armed.group, armed.spec.workdir
            hidden = armed.spec.hidden
            if group is not None:
                group.set_limits(run_limits)
        else:
            if armed is not None:
                armed.discard()
            token = secrets.token_hex(16)
            group = None if "cgroups" in skip else cgroups.create(token, run_limits)
            workdir = tempfile.mkdtemp(prefix="katas-grade-")
        try:
            request = _request(
                kata, path, device, limit, run_limits, workdir, group, token, hidden_checks
            )
            cpu = worker.cpu if worker is not None else None
            request = request.model_copy(update={"hidden": hidden, "cpu": cpu})
            evidence = self._run(worker, request, limit, output_limit, cancel, group)
            # Where the learner process had the file: its scratch is the judge's working
            # directory (symbolic links resolved), at the same path inside its private root.
            scratch = Path(os.path.realpath(workdir))
            evidence.learner_file = str(scratch / Path(request.learner).name)
            return evidence
        finally:
            self._clean_up(group, workdir)

    def _clean_up(self, group: RunGroup | None, workdir: str) -> None:
        """Remove a finished grading's cgroup and scratch once its last process has gone.

        In the background: the verdict does not wait for the learner process's memory to be
        torn down. :meth:`settle` waits for it (tests, and :meth:`close`).
        """

        def clean() -> None:
            if group is not None:
                group.remove()
            shutil.rmtree(workdir, ignore_errors=True)

        future = self._cleaner.submit(clean)
        with self._lock:
            self._cleanups.add(future)
        future.add_done_callback(self._cleanups.discard)

    def settle(self) -> None:
        """Wait until every finished grading's processes, cgroup and scratch are gone."""
        with self._lock:
            pending = list(self._cleanups)
        for future in pending:
            future.result()

    def _release(self, worker: WarmWorker, hidden: tuple[str, ...]) -> None:
        """Arm ``worker`` for its next grading, then let the next grading have it: in the
        background, after the last one's clean-up, so the verdict waits for neither."""

        def arm_then_release() -> None:
            try:
                self._arm(worker, hidden)
            finally:
                self._idle.put(worker)

        future = self._cleaner.submit(arm_then_release)
        with self._lock:
            self._cleanups.add(future)
        future.add_done_callback(self._cleanups.discard)

    def _arm(self, worker: WarmWorker, hidden: tuple[str, ...]) -> None:
        """Prepare ``worker``'s next grading now, while nobody waits for it."""
        if self._closed or worker.armed is not None or not worker.is_ready():
            return
        token = secrets.token_hex(16)
        skip = sandbox_skips()
        defaults = Limits()
        group = None if "cgroups" in skip else cgroups.create(token, defaults)
        spec = ArmRequest(
            workdir=tempfile.mkdtemp(prefix="katas-grade-"),
            cgroups=group.procs if group else (),
            cgroup_layers=group.layers if group else {},
            hidden=hidden,
            skip=skip,
            file_mb=defaults.file_mb,
        )
        armed = Armed(spec, group, token)
        try:
            worker.arm(spec)
        except WorkerLost:
            armed.discard()
            worker.stop()
            return
        worker.armed = armed

    def _run(
        self,
        worker: WarmWorker | None,
        request: RunRequest,
        timeout: float,
        output_limit: int,
        cancel: threading.Event,
        group: RunGroup | None = None,
    ) -> RunEvidence:
        assert request.workdir is not None
        if worker is None:
            return _run_cold(request, request.workdir, timeout, output_limit, cancel, group)
        try:
            warmed = worker.poll_ready()
        except WorkerLost:
            worker.stop()
            warmed = False
        if not warmed:
            if not worker.alive():
                worker.start()
            # Still importing torch: grading cold now beats waiting for the warm-up.
            return _run_cold(request, request.workdir, timeout, output_limit, cancel, group)
        if request.device != "cpu" and worker.cuda_initialized:
            # A forked child cannot use CUDA its parent initialised (a safety net: the
            # worker's warm-up is meant never to touch CUDA).
            return _run_cold(request, request.workdir, timeout, output_limit, cancel, group)
        for _attempt in range(2):
            try:
                return worker.run(
                    request,
                    timeout=timeout,
                    output_limit=output_limit,
                    cancel=cancel,
                    group=group,
                )
            except WorkerLost:
                worker.stop()  # restarted by the next attempt's ensure_ready
        return _run_cold(request, request.workdir, timeout, output_limit, cancel, group)

    def close(self) -> None:
        self._closed = True
        self.cancel()
        self.settle()  # clean-ups and arming under way (arming stops once closed)
        for worker in self._workers:
            worker.stop()
            if worker.armed is not None:
                worker.armed.discard()
                worker.armed = None
        self.settle()
        self._cleaner.shutdown(wait=True)


def grade_many(
    jobs: Iterable[tuple[Kata, Path]],
    device: str = "cpu",
    *,
    workers: int | None = None,
    warm: bool = True,
) -> list[Verdict]:
    """Grade several files at once, as many at a time as the machine has cores."""
    items = list(jobs)
    width = max(1, min(workers or os.cpu_count() or 2, len(items) or 1))
    with Grader(width, warm=warm) as grader, ThreadPoolExecutor(max_workers=width) as pool:
        return list(pool.map(lambda job: grader.grade(job[0], job[1], device), items))
