"""The parent's handle on one warm worker process (see ``trainer.grading.judge.worker``).

The worker imports torch and pytest once; each grading is a child it forks. This side sends the
request with the child's output pipe and result channel attached (``SCM_RIGHTS``), learns the
child's pid, and supervises it exactly as the cold path supervises its own process: same
timeout, same output cap, same process-group kill. The parent never imports torch.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
from typing import TYPE_CHECKING, BinaryIO

from trainer.errors import WorkerLost
from trainer.grading.cgroups import RunGroup
from trainer.grading.protocol import ArmRequest, RunRequest, WorkerMessage
from trainer.grading.supervise import OUTPUT_LIMIT, RunEvidence, child_env, kill_group, supervise

if TYPE_CHECKING:
    from trainer.grading.grader import Armed

WALL_FACTOR = 4.0
"""The wall-clock backstop as a multiple of a kata's CPU budget: a loaded machine slows a grading
without charging it, and only a run that waits (sleeps, blocks) meets the backstop."""

READY_TIMEOUT = 120.0
"""Seconds a worker may take to import torch and pytest before it counts as broken."""

START_TIMEOUT = 10.0
"""Seconds between sending a request and hearing which child runs it."""


def warm_supported() -> bool:
    """The warm path needs ``fork`` and descriptor passing over Unix sockets (Linux, macOS)."""
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


class _ForkedRun:
    """One child forked by the worker, observed through the worker's socket."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.pid = pid
        self._sock = sock
        self._returncode: int | None = None
        self._lost = False

    @property
    def wake_fd(self) -> int | None:
        return None if self._lost else self._sock.fileno()

    def _receive(self, block: bool, timeout: float | None = None) -> None:
        if self._returncode is not None or self._lost:
            return
        self._sock.settimeout(timeout if block else 0.0)
        try:
            data = self._sock.recv(4096)
        except (BlockingIOError, TimeoutError):
            return
        except OSError:
            self._lost = True
            return
        if not data:
            self._lost = True
            return
        message = WorkerMessage.model_validate_json(data)
        if message.kind == "exited" and message.pid == self.pid:
            self._returncode = message.returncode

    def finished(self) -> bool:
        self._receive(block=False)
        return self._returncode is not None or self._lost

    def wait(self, timeout: float) -> int | None:
        self._receive(block=True, timeout=timeout)
        return self._returncode

    def close(self) -> None:
        """Nothing to release: the socket belongs to the worker handle."""

    @property
    def lost(self) -> bool:
        return self._lost


class WarmWorker:
    """One worker process. Not thread-safe: a :class:`trainer.grading.grader.Grader` owns each
    one."""

    def __init__(self, python: str = sys.executable) -> None:
        self._python = python
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ready = False
        self.cuda_initialized = False
        """Whether the warm-up initialised CUDA; then GPU gradings must go cold."""
        self._log: BinaryIO | None = None
        self.starts = 0
        self._ending: _ForkedRun | None = None
        self.cpu: int | None = None
        """The CPU this worker's gradings run on (their two processes take turns on it)."""
        self.armed: Armed | None = None
        """The next grading this worker has prepared (the grader's to use or discard)."""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the worker without waiting for it: it warms up while the caller goes on."""
        self.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile(prefix="katas-worker-")  # noqa: SIM115 - lives with the worker
        try:
            self._proc = subprocess.Popen(
                [
                    self._python,
                    "-m",
                    "trainer.grading.judge.worker",
                    "--socket-fd",
                    str(theirs.fileno()),
                ],
                env=child_env(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._sock = ours
        self._ready = False
        self.starts += 1

    def _startup_log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-2000:].decode("utf-8", errors="replace").strip()

    def _receive(self, timeout: float) -> WorkerMessage:
        assert self._sock is not None
        self._sock.settimeout(timeout)
        try:
            data = self._sock.recv(4096)
        except (TimeoutError, OSError) as exc:
            raise WorkerLost(f"the grading worker did not answer ({exc})") from None
        if not data:
            log = self._startup_log()
            raise WorkerLost("the grading worker exited" + (f":\n{log}" if log else ""))
        return WorkerMessage.model_validate_json(data)

    def is_ready(self) -> bool:
        """Warm and alive, without waiting or reading anything."""
        return self._ready and self.alive()

    def arm(self, spec: ArmRequest) -> None:
        """Have the worker prepare the next grading in ``spec``'s sandbox now."""
        self.ensure_ready()
        self._settle()
        assert self._sock is not None
        try:
            self._sock.send(spec.model_dump_json().encode())
        except OSError as exc:
            raise WorkerLost(f"the grading worker did not take the request ({exc})") from None

    def poll_ready(self) -> bool:
        """Whether the worker has finished warming up, without waiting for it."""
        if self._ready:
            return True
        if not self.alive() or self._sock is None:
            return False
        try:
            self.ensure_ready(timeout=0.001)
        except WorkerLost:
            if self.alive():
                return False  # still importing; a later call will see 'ready'
            raise
        return True

    def ensure_ready(self, timeout: float = READY_TIMEOUT) -> None:
        if not self.alive() or self._sock is None:
            self.start()
        if self._ready:
            return
        message = self._receive(timeout)
        if message.kind != "ready":
            raise WorkerLost(f"the grading worker said {message.kind!r} before 'ready'")
        self._ready = True
        self.cuda_initialized = message.cuda_initialized

    def run(
        self,
        request: RunRequest,
        *,
        timeout: float,
        output_limit: int = OUTPUT_LIMIT,
        cancel: threading.Event | None = None,
        group: RunGroup | None = None,
    ) -> RunEvidence:
        """Grade one request in a child forked by the worker; raises WorkerLost before it starts.

        ``timeout`` is the CPU budget; the wall-clock backstop is ``WALL_FACTOR`` times it."""
        self.ensure_ready()
        self._settle()
        assert self._sock is not None
        out_read, out_write = os.pipe()
        chan_read, chan_write = os.pipe()
        try:
            socket.send_fds(
                self._sock, [request.model_dump_json().encode()], [out_write, chan_write]
            )
            message = self._receive(START_TIMEOUT)
        except (OSError, WorkerLost) as exc:
            for fd in (out_read, chan_read):
                os.close(fd)
            self.stop()
            raise WorkerLost(str(exc)) from None
        finally:
            os.close(out_write)
            os.close(chan_write)
        if message.kind != "started":
            for fd in (out_read, chan_read):
                os.close(fd)
            raise WorkerLost(f"the grading worker refused the request: {message.reason}")
        run = _ForkedRun(self._sock, message.pid)
        evidence = supervise(
            run,
            output_fd=out_read,
            channel_fd=chan_read,
            timeout=timeout * WALL_FACTOR,
            token=request.token,
            output_limit=output_limit,
            cancel=cancel,
            group=group,
            cpu_budget=timeout,
        )
        if run.lost:
            kill_group(run.pid)
            self.stop()
        elif not run.finished():
            self._ending = run  # the judge reported and is ending: heard of before the next send
        return evidence

    def _settle(self) -> None:
        """Wait for the last grading's judge to have ended (its ``exited`` message), so the
        next message the worker answers is the next one's."""
        run, self._ending = self._ending, None
        if run is not None and run.wait(START_TIMEOUT) is None and not run.lost:
            self.stop()
            raise WorkerLost("the grading worker did not say its last grading ended")

    def stop(self) -> None:
        """Close the socket (the worker exits on EOF) and make sure the process is gone."""
        self._ending = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                kill_group(self._proc.pid)
                self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        self._ready = False
