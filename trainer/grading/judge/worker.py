"""The warm grading worker: torch and pytest imported once, a fresh forked child per grading.

Started by :class:`trainer.grading.worker_client.WarmWorker` as
``python -m trainer.grading.judge.worker --socket-fd N``. It never runs a torch op itself (so
no intra-op thread pool exists to break across ``fork``) and never touches CUDA (the child
initialises it, when grading on a GPU). Each request arrives as a
:class:`~trainer.grading.protocol.RunRequest` with two descriptors attached (the child's output
pipe and its result channel); the forked child starts a new session, so the parent can kill its
whole process group, and runs exactly what the cold path runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import select
import signal
import socket
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from trainer.grading.protocol import WORKER_COMMAND, ArmRequest, RunRequest, WorkerMessage

WARM_MODULES = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.autograd",
    "torch.autograd.gradcheck",
    "torch.autograd.graph",
    "torch.testing",
    "torch.func",
    "torch.optim",
    "torch._dynamo",
    "torch.utils.data",
    "torch.utils.checkpoint",
    "torch.fx.experimental.symbolic_shapes",
    "sympy",
    "pytest",
    "trainer.grading.judge.plugin",
    "trainer.grading.judge.link",
    "trainer.grading.learner.server",
    "trainer.grading.learner.process",
    "trainer.checks",
)
"""Imported before the first request: what checks and learner files commonly pull in,
including modules torch imports lazily on first use (sympy on the first backward, dynamo on
the first optimizer), which would otherwise cost every forked child the same second."""

MESSAGE_SIZE = 1 << 16


def warm_up() -> None:
    """Import what every grading needs, let pytest load its lazy parts once, and compute what
    each child's sandbox needs (the seccomp program, the paths it may read)."""
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from trainer.grading.learner import isolation, seccomp

    seccomp.program()
    isolation.readable_paths()
    import pytest

    with tempfile.TemporaryDirectory(prefix="katas-warm-") as folder:
        test = Path(folder) / "test_warm.py"
        test.write_text("def test_warm():\n    pass\n", encoding="utf-8")
        ini = Path(folder) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1), os.dup(2)
        try:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            pytest.main(
                [str(test), "-q", "-c", str(ini), "--rootdir", folder, "-p", "no:cacheprovider"]
            )
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)


_running: int | None = None
"""The grading child now running (the leader of its own session), if any."""


def _exit_with_parent(fd: int) -> None:
    """Wait until the parent's end of the socket closes; then end the running grading and exit.

    The parent closes it on purpose or by dying (kill -9, a crash). Without this watch a worker
    whose trainer was killed would go on importing torch for seconds, and a grading child
    nobody supervises any more would run past its timeout.
    """
    poller = select.poll()
    poller.register(fd, select.POLLRDHUP)
    gone = select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL
    while not any(event & gone for _, event in poller.poll()):
        pass
    child = _running
    if child is not None:
        with contextlib.suppress(OSError):
            os.killpg(child, signal.SIGKILL)
    os._exit(0)


def _tell(sock: socket.socket, message: WorkerMessage) -> None:
    sock.send(message.model_dump_json().encode())


def _child(request: RunRequest, output_fd: int, channel_fd: int, sock: socket.socket) -> NoReturn:
    """In the forked child: become a session leader, wire up the pipes, run the checks."""
    try:
        os.setsid()
        sock.close()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        from trainer.grading.judge.run import execute

        execute(request, channel_fd)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        os._exit(70)


@dataclass
class _Armed:
    """The next grading, prepared: its judge (a session leader) and the socket to it."""

    spec: ArmRequest
    pid: int
    control: socket.socket

    def discard(self) -> None:
        self.control.close()
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _arm(spec: ArmRequest, sock: socket.socket) -> _Armed:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            ours.close()
            from trainer.grading.judge.run import armed

            armed(spec, theirs)
        except BaseException:
            with contextlib.suppress(Exception):
                traceback.print_exc()
        finally:
            os._exit(70)
    theirs.close()
    return _Armed(spec, pid, ours)


def serve(sock: socket.socket) -> None:
    """Answer requests until the parent closes its end of the socket.

    ``arm`` forks the next grading's judge and learner process ahead of time; ``run`` hands a
    request to the armed judge when it fits, else forks one for it now. Either way the parent
    hears ``started`` (the judge's pid, also its process group) and, once reaped, ``exited``.
    """
    global _running
    torch = sys.modules.get("torch")
    cuda_initialized = bool(torch is not None and torch.cuda.is_initialized())
    _tell(sock, WorkerMessage(kind="ready", pid=os.getpid(), cuda_initialized=cuda_initialized))
    armed: _Armed | None = None
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, MESSAGE_SIZE, 2)
        except (ConnectionResetError, OSError):
            return
        if not data:
            return
        try:
            command = WORKER_COMMAND.validate_json(data)
            if isinstance(command, RunRequest) and len(fds) != 2:
                raise ValueError(f"expected 2 descriptors, got {len(fds)}")
        except ValueError as exc:
            for fd in fds:
                os.close(fd)
            _tell(sock, WorkerMessage(kind="refused", pid=os.getpid(), reason=str(exc)))
            continue
        if isinstance(command, ArmRequest):
            if armed is not None:
                armed.discard()
            armed = _arm(command, sock)
            continue
        if armed is not None and armed.spec.fits(command):
            pid = armed.pid
            try:
                socket.send_fds(armed.control, [data], fds)
            except OSError:
                pid = 0
            armed.control.close()
            armed = None
        else:
            if armed is not None:
                armed.discard()
                armed = None
            pid = 0
        if pid == 0:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(command, fds[0], fds[1], sock)
        _running = pid
        for fd in fds:
            os.close(fd)
        _tell(sock, WorkerMessage(kind="started", pid=pid))
        _, status = os.waitpid(pid, 0)
        _running = None
        code = os.waitstatus_to_exitcode(status)
        _tell(sock, WorkerMessage(kind="exited", pid=pid, returncode=code))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m trainer.grading.judge.worker")
    parser.add_argument("--socket-fd", type=int, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.socket_fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    watch = threading.Thread(target=_exit_with_parent, args=(sock.fileno(),), daemon=True)
    watch.start()
    sys.dont_write_bytecode = True
    warm_up()
    gc.collect()
    gc.freeze()  # forked children never scan (and so never copy) the warm heap
    serve(sock)


if __name__ == "__main__":
    main()
