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
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from trainer.grading.accelerator import open_gpu, resolve_device
from trainer.grading.judge.link import Link, learner_pid_reason
from trainer.grading.layers import Layer
from trainer.grading.learner import isolation, process
from trainer.grading.protocol import (
    ArmRequest,
    Channel,
    DoneRecord,
    EnvRecord,
    RunRequest,
    SandboxRecord,
    UnavailableRecord,
)
from trainer.grading.stacks import STACK_SIGNAL
from trainer.grading.wire import encode, send

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
    "--noconftest",
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


def run(request: RunRequest, channel: Channel, link: Link, pytest_config: Any = None) -> int:
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
    hidden = [str(Path(request.hidden_checks).resolve())] if request.hidden_checks else []

    _PHASES["pytest start"] = time.perf_counter()

    def sandbox_report() -> None:
        """The learner process's first message: which layers hold around it."""
        _PHASES["collect"] = time.perf_counter() - _PHASES.pop("pytest start")
        applied, missing = link.sandbox_report()
        channel.send(SandboxRecord(applied=applied, missing=missing))

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
    config = pytest_config or configure_pytest()
    if config is None:  # pytest's private API changed: the public entry point, all at once
        folder = Path.cwd() / ".judge"
        args = [str(checks), *hidden, "-c", str(folder / "pytest.ini"), "--rootdir", str(folder)]
        return int(pytest.main([*args, *PYTEST_ARGS], plugins=[plugin]))
    config.args = [str(checks), *hidden]
    os.environ["PYTEST_VERSION"] = pytest.__version__
    try:
        return int(config.hook.pytest_cmdline_main(config=config))
    finally:
        config._ensure_unconfigure()


def _warm_up() -> None:
    """What every judge does first (a tensor decoded, a comparison, a reference gradient),
    done while the grading is not yet asked for: torch builds much lazily on first use."""
    import torch

    from trainer.checks import assert_close
    from trainer.grading.wire import decode, encode

    rng = torch.get_rng_state()
    try:
        value = decode(encode(torch.arange(6.0).reshape(2, 3))[4:])
        assert_close(value, torch.arange(6.0).reshape(2, 3))
        leaf = torch.ones(3, requires_grad=True)
        torch.nn.functional.silu(leaf * 2).sum().backward()  # type: ignore[no-untyped-call]
    except Exception:
        pass  # an optimisation only
    finally:
        torch.set_rng_state(rng)


def configure_pytest() -> Any:
    """pytest's configuration, made before the grading's request where the judge is armed.

    ``pytest.main`` spends most of its 30 ms parsing options and registering its plugins; none
    of that depends on the kata, so an armed judge does it while the learner types, and the
    request only names the checks file (``config.args``) and runs the session, as
    ``pytest.main`` would. Through ``_pytest.config._prepareconfig``: None where that private
    function is gone, and grading falls back to ``pytest.main``. ``--noconftest``: a kata's
    ``checks.py`` is self-contained, and no ``conftest.py`` of a pack is ever imported.
    """
    from trainer.grading.judge import plugin

    folder = Path.cwd() / ".judge"
    folder.mkdir(exist_ok=True)
    ini = folder / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    try:
        from _pytest.config import _prepareconfig

        args = [str(folder), "-c", str(ini), "--rootdir", str(folder), *PYTEST_ARGS]
        return _prepareconfig(args, plugins=[plugin])
    except Exception:
        return None


_PHASES: dict[str, float] = {}
"""Seconds this judge spent on each step, for the final record."""


@dataclass
class Prepared:
    """A learner process forked and sandboxing itself, and this judge's end of its socket."""

    sock: socket.socket
    pid: int


def prepare(spec: ArmRequest, device: str, allowed: tuple[str, ...]) -> Prepared:
    """Fork the learner process now, before anything of a kata is loaded here.

    It contains itself in the current directory (its scratch) and waits for the grading. This
    process then makes itself undumpable: a process of the same user (the learner's, where no
    PID namespace or Landlock hides this one) cannot read its memory, where the checks will be.
    """
    ours, theirs = socket.socketpair()
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(STACK_SIGNAL, signal.SIG_IGN)  # until there is a learner process to ask
    pid = os.fork()
    if pid == 0:
        ours.close()
        process.run(spec, theirs, Path.cwd(), device, allowed)
    theirs.close()
    isolation.libc().prctl(isolation.PR_SET_DUMPABLE, 0, 0, 0, 0)
    return Prepared(ours, pid)


def _pass_on_stack_requests(learner: int, link: Link) -> None:
    """The grader, out of time, asks this process for the learner's stacks (it cannot tell the
    learner process apart, in its own session and maybe its own PID namespace): pass the
    signal on to the learner process's group (its relay, init and serving process; the first
    two ignore it). Never once the learner process is gone: its pid may then be reused.
    """

    def ask(signum: int, frame: object) -> None:
        if link.gone is None:
            with contextlib.suppress(OSError):
                os.killpg(learner, STACK_SIGNAL)

    signal.signal(STACK_SIGNAL, ask)


def _enter_workdir(workdir: str | None) -> None:
    """The grading's scratch folder: the working directory, TMPDIR and HOME of both processes."""
    sys.dont_write_bytecode = True
    if workdir is not None:
        os.chdir(workdir)
    scratch = str(Path.cwd())
    os.environ["TMPDIR"] = os.environ["HOME"] = tempfile.tempdir = scratch
    # torch's compiler caches default to a folder it may have named already (in the worker, or
    # inherited from the grader's environment): outside the scratch, where nothing may write.
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(scratch, ".torchinductor"))
    os.environ["TRITON_CACHE_DIR"] = str(Path(scratch, ".triton"))


def judge(
    request: RunRequest, prepared: Prepared, channel_fd: int, pytest_config: Any = None
) -> NoReturn:
    """Hand the learner process its grading, run the checks, report, leave.

    The learner process gets this process's output pipe (fd 1), the learner's file as bytes,
    the limits and the CPU budget. When the checks are done it is asked to end (its trusted
    init then ends everything the learner's code started); where neither a PID namespace nor
    this process's death would end those, the judge waits for that before its final record.
    Then it leaves at once with ``os._exit``.
    """
    began = time.perf_counter()
    if request.cpu is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {request.cpu})
    source = Path(request.learner).read_bytes()
    filename = Path(request.learner).name
    link = Link(prepared.sock, source.decode("utf-8", errors="replace"), filename)
    link.exit_reason = learner_pid_reason(prepared.pid)
    _pass_on_stack_requests(prepared.pid, link)
    channel = Channel(os.fdopen(channel_fd, "w", encoding="utf-8"), request.token)
    try:
        socket.send_fds(prepared.sock, [b"F"], [1])
        send(
            prepared.sock,
            encode(
                {
                    "source": source,
                    "filename": filename,
                    "module_name": request.module_name,
                    "limits": request.limits.model_dump(),
                    "timeout": request.timeout,
                    "cpu": request.cpu,
                }
            ),
        )
    except OSError as exc:
        link.gone = f"could not start: {exc}"
    code = run(request, channel, link, pytest_config)
    checked = time.perf_counter()
    link.close()
    if Layer.PID_NS not in link.layers:
        _wait_for(prepared.pid)  # its init sweeps what the learner's code left, then ends
    phases = {
        **{f"learner {k}": v for k, v in link.prepared.items()},
        **_PHASES,
        "judge": checked - began,
        "round trips": link.seconds,
        "requests": float(link.requests),
        "learner ending": time.perf_counter() - checked,
    }
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    channel.send(DoneRecord(exit_code=code, phases=phases))
    channel.close()  # the grader has its verdict now, before this process has finished ending
    os._exit(0)


def execute(request: RunRequest, channel_fd: int) -> NoReturn:
    """One grading from nothing (the cold path, or a warm worker with nothing armed)."""
    _enter_workdir(request.workdir)
    isolation.die_with_parent()
    prepared = prepare(ArmRequest.for_request(request), request.device, request.allowed_devices)
    judge(request, prepared, channel_fd)


def armed(spec: ArmRequest, control: socket.socket) -> NoReturn:
    """A warm worker's next grading, prepared before its request: wait for it, then judge it.

    Forked by the worker with ``control`` (the worker's end of a socket pair); the request
    arrives there with the output pipe and the result channel attached. A closed ``control``
    means the armed grading is not wanted: the learner process ends with this one.
    """
    os.setsid()
    isolation.die_with_parent()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    _enter_workdir(spec.workdir)
    prepared = prepare(spec, "cpu", ("cpu",))
    pytest_config = configure_pytest()
    _warm_up()
    try:
        data, fds, _, _ = socket.recv_fds(control, 1 << 16, 2)
        request = RunRequest.model_validate_json(data)
        if len(fds) != 2:
            raise ValueError(f"expected 2 descriptors, got {len(fds)}")
    except (OSError, ValueError):
        os._exit(0)
    control.close()
    os.dup2(fds[0], 1)
    os.dup2(fds[0], 2)
    os.close(fds[0])
    judge(request, prepared, fds[1], pytest_config)


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
