"""The judge of one grading: run a kata's hidden checks with pytest against the learner process.

Cold path: ``python -m trainer.grading.judge.run --request JSON --channel-fd N``. Warm path: a
child forked by ``trainer.grading.judge.worker`` calls :func:`execute` directly. Either way the
judge forks the learner process first (:mod:`trainer.grading.learner.process`), talks to it over a
socket (:mod:`trainer.grading.judge.link`), reports over the result channel (an inherited pipe
the learner process never holds) and ends with ``os._exit`` straight after the final record. It
never imports the learner's file, never runs a line of it, and never unpickles what comes back.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from trainer.grading.accelerator import open_gpu, resolve_device
from trainer.grading.judge.link import Link, learner_pid_reason
from trainer.grading.layers import Containment
from trainer.grading.learner import isolation, process, sandbox
from trainer.grading.protocol import (
    Channel,
    DoneRecord,
    EnvRecord,
    RunRequest,
    SandboxRecord,
    UnavailableRecord,
)

UNUSED_PLUGINS = (
    "doctest",
    "junitxml",
    "pastebin",
    "setuponly",
    "setupplan",
    "debugging",
    "logging",
    "python_path",
    "legacypath",
)
"""Built-in pytest plugins a grading never uses; not loading them saves time on every run."""

PYTEST_ARGS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:terminal",
    "-p",
    "no:stepwise",
    "-p",
    "no:faulthandler",
    "-p",
    "no:unraisableexception",
    *(arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}")),
    "-s",
    "--assert=plain",
    "--import-mode=importlib",
)
"""Fixed pytest options: no terminal output to scrape, no cache, no assertion rewriting
(messages are the authors'), no ``sys.path`` changes that would let a learner import the
kata's files, and no unraisable-exception hook (its five full ``gc.collect`` passes over torch's
heap cost about a second per grading)."""


def _environment(device: str, usable: bool) -> EnvRecord:
    """Where this grading runs: the resolved device, and for a GPU its name and the CUDA
    (or ROCm) version torch was built with, so a verdict says what it was verified on."""
    import torch

    gpu = None
    if usable and device.startswith("cuda"):
        gpu = torch.cuda.get_device_name(torch.device(device))
    hip = getattr(torch.version, "hip", None)
    return EnvRecord(
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        torch=torch.__version__,
        cuda=torch.version.cuda or (f"ROCm {hip}" if hip else None),
        gpu=gpu,
        device=device,
    )


def run(request: RunRequest, channel: Channel, link: Link, judge: Containment) -> int:
    """Run the checks in the current directory against the learner process; pytest's exit code."""
    device, unavailable = resolve_device(request.device, request.allowed_devices)
    channel.send(_environment(device, usable=unavailable is None))
    if unavailable:
        channel.send(UnavailableRecord(reason=unavailable))
        return 0
    if device.startswith("cuda"):
        open_gpu(device)
    link.devices = frozenset({device.partition(":")[0]})

    import pytest

    from trainer.grading.judge import plugin

    checks = Path(request.checks).resolve()

    def sandbox_report() -> None:
        """The learner process's first message: which layers hold around it."""
        applied, missing = link.sandbox_report()
        channel.send(
            SandboxRecord(applied=(*judge.applied, *applied), missing=(*judge.missing, *missing))
        )

    plugin.configure(
        plugin.Settings(
            link=link,
            device=device,
            channel=channel,
            memory_mb=request.limits.memory_mb,
            file_mb=request.limits.file_mb,
            cpu_seconds=request.timeout,
            before_tests=sandbox_report,
        )
    )
    folder = Path.cwd() / ".judge"
    folder.mkdir(exist_ok=True)
    ini = folder / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    args = [str(checks), "-c", str(ini), "--rootdir", str(folder)]
    args += ["--confcutdir", str(checks.parent), *PYTEST_ARGS]
    return int(pytest.main(args, plugins=[plugin]))


def execute(request: RunRequest, channel_fd: int) -> NoReturn:
    """Be the judge of one grading: fork the learner process, run the checks, report, leave.

    The learner process is forked first, before anything of the kata is loaded here, so its
    memory holds no check. It gets a private copy of the learner's file and one end of a socket;
    this process keeps the result channel. When the checks are done it asks the learner process
    to end (its trusted init then ends everything the learner's code started), sends the final
    record and leaves at once with ``os._exit``.
    """
    sys.dont_write_bytecode = True
    if request.workdir is not None:
        os.chdir(request.workdir)
    scratch = str(Path.cwd())
    os.environ["TMPDIR"] = os.environ["HOME"] = tempfile.tempdir = scratch
    # torch's compiler caches default to a folder it may have named already (in the worker, or
    # inherited from the grader's environment): outside the scratch, where nothing may write.
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(scratch, ".torchinductor"))
    os.environ["TRITON_CACHE_DIR"] = str(Path(scratch, ".triton"))
    judge = Containment()
    isolation.die_with_parent()
    sandbox.join_cgroups(request, judge)
    learner = Path(scratch) / Path(request.learner).name
    shutil.copyfile(request.learner, learner)
    source = learner.read_text(encoding="utf-8", errors="replace")
    ours, theirs = socket.socketpair()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        ours.close()
        process.run(request, theirs, learner)
    theirs.close()
    # Not dumpable: a process of the same user (the learner's, where no PID namespace or
    # Landlock hides this one) cannot read this one's memory, where the checks now go.
    isolation.libc().prctl(isolation.PR_SET_DUMPABLE, 0, 0, 0, 0)
    link = Link(ours, source, str(learner))
    link.exit_reason = learner_pid_reason(pid)
    channel = Channel(os.fdopen(channel_fd, "w", encoding="utf-8"), request.token)
    code = run(request, channel, link, judge)
    link.close()
    _wait_for(pid)
    channel.send(DoneRecord(exit_code=code))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _wait_for(pid: int, seconds: float = 2.0) -> None:
    """Let the learner process end by itself (its init ends what it started), then make sure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.001)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def main(argv: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="python -m trainer.grading.judge.run")
    parser.add_argument("--request", required=True, help="a RunRequest as JSON")
    parser.add_argument("--channel-fd", type=int, required=True)
    args = parser.parse_args(argv)
    execute(RunRequest.model_validate_json(args.request), args.channel_fd)


if __name__ == "__main__":
    main()
