"""The grading child: run one kata's hidden checks with pytest against one learner file.

Cold path: ``python -m trainer.grading.child.run --request JSON --channel-fd N``. Warm path: a
child forked by ``trainer.grading.child.worker`` calls :func:`execute` directly. Either way the
child reports over the result channel (an inherited pipe) and ends with ``os._exit`` straight after
the final record, so ``atexit`` handlers and threads the learner left behind cannot change how the
run ends.
"""

from __future__ import annotations

import argparse
import linecache
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from trainer.grading.child import sandbox
from trainer.grading.devices import choose_device
from trainer.grading.layers import Containment
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


def resolve_device(requested: str, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """Pick the concrete device, or say why it cannot be graded here.

    The decision is :func:`trainer.grading.devices.choose_device`; this supplies torch's facts,
    asking only about what the request could use (a CPU grading never touches the CUDA driver). CUDA
    is probed here, in the child, never in the parent, so a forking parent stays safe.
    """
    import torch

    kind = requested.partition(":")[0]
    wants = {kind} if kind != "auto" else set(allowed)
    cuda_count = torch.cuda.device_count() if "cuda" in wants and "cuda" in allowed else 0
    mps = bool(
        "mps" in wants
        and "mps" in allowed
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    )
    return choose_device(requested, allowed, cuda_count=cuda_count, mps=mps)


def open_gpu(device: str) -> None:
    """Make ``device`` the current GPU and create its CUDA context, before the sandbox closes.

    Current, so that ``cuda``, ``torch.cuda.synchronize()`` and CUDA events in checks and learner
    code mean the GPU being graded (``cuda:1`` included). Created now, because a CUDA context
    opens the GPU's device files for writing, which Landlock refuses once it is on; the files
    stay open for the rest of the run, and the set-up time is not charged to the first check.
    """
    import torch

    target = torch.device(device)
    if target.index is not None:
        torch.cuda.set_device(target)
    torch.empty(0, device=target)


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


def run(request: RunRequest, channel: Channel, entered: Containment) -> int:
    """Run the checks in the current directory; returns pytest's exit code."""
    device, unavailable = resolve_device(request.device, request.allowed_devices)
    channel.send(_environment(device, usable=unavailable is None))
    if unavailable:
        channel.send(UnavailableRecord(reason=unavailable))
        return 0
    if device.startswith("cuda"):
        open_gpu(device)

    import pytest

    from trainer.grading.child import plugin

    workdir = Path.cwd()
    learner = workdir / Path(request.learner).name
    shutil.copyfile(request.learner, learner)  # read now: the sandbox may not reach the original
    checks = Path(request.checks).resolve()

    def contain() -> None:
        linecache.updatecache(str(checks))  # tracebacks through the checks keep their lines
        box = sandbox.contain(workdir, request, device, entered)
        channel.send(
            SandboxRecord(
                applied=(*entered.applied, *box.applied),
                missing=(*entered.missing, *box.missing),
            )
        )

    plugin.configure(
        plugin.Settings(
            learner_path=learner,
            device=device,
            channel=channel,
            module_name=request.module_name,
            memory_mb=request.limits.memory_mb,
            file_mb=request.limits.file_mb,
            before_tests=contain,
        )
    )
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    args = [str(checks), "-c", str(ini), "--rootdir", str(workdir)]
    args += ["--confcutdir", str(checks.parent), *PYTEST_ARGS]
    return int(pytest.main(args, plugins=[plugin]))


def execute(request: RunRequest, channel_fd: int) -> NoReturn:
    """Contain, run, send the final record, and leave at once, whatever the learner left running.

    The first containment steps come before anything else (see ``sandbox.enter``): the process
    that entered the namespaces waits as a relay while the trusted init waits for the grading
    process; when that ends, everything it started ends.
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
    entered = sandbox.enter(request)
    channel = Channel(os.fdopen(channel_fd, "w", encoding="utf-8"), request.token)
    code = run(request, channel, entered)
    channel.send(DoneRecord(exit_code=code))
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass  # the learner may have replaced or closed the stream
    os._exit(0)


def main(argv: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="python -m trainer.grading.child.run")
    parser.add_argument("--request", required=True, help="a RunRequest as JSON")
    parser.add_argument("--channel-fd", type=int, required=True)
    args = parser.parse_args(argv)
    execute(RunRequest.model_validate_json(args.request), args.channel_fd)


if __name__ == "__main__":
    main()
