"""The learner process from its first instruction: contain, wait for the grading, serve.

Forked by the judge before the kata's checks are loaded, so its memory holds nothing of them.
It contains itself at once (:mod:`.sandbox`); on the warm path that happens ahead of the
grading's request. Then the judge sends the grading: the pipe for the learner's output (a
descriptor), and one frame with the learner's file, the module name, the limits and the CPU
budget. The process applies the limits, writes the file into its private scratch, reports its
sandbox (its first message: no learner code has run yet, so the report is the trainer's own
word) and serves (:mod:`.server`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from trainer.grading.accelerator import open_gpu, resolve_device
from trainer.grading.layers import Containment
from trainer.grading.learner import sandbox, server
from trainer.grading.limits import Limits
from trainer.grading.protocol import ArmRequest
from trainer.grading.wire import decode, encode, receive, send


def run(
    spec: ArmRequest, sock: socket.socket, scratch: Path, device: str, allowed: tuple[str, ...]
) -> NoReturn:
    """Become the learner process; never returns."""
    try:
        os.closerange(3, sock.fileno())  # the result channel and whatever else was inherited
        os.closerange(sock.fileno() + 1, 65536)
        entered, joined = sandbox.enter(spec)
        resolved, unavailable = resolve_device(device, allowed)
        if unavailable is None and resolved.startswith("cuda"):
            open_gpu(resolved)  # before the sandbox closes: a CUDA context opens device files
        box = sandbox.contain(scratch, spec, resolved, entered)
        box.applied[:0] = entered.applied
        box.missing[:0] = entered.missing
    except BaseException as exc:  # the trainer's own failure: say so on stderr, end
        print(f"the learner process could not start: {exc!r}", file=sys.stderr)
        os._exit(71)
    try:
        learner, module_name = _set_up(sock, scratch, spec, joined, box)
    except BaseException as exc:
        print(f"the learner process could not be set up: {exc!r}", file=sys.stderr)
        os._exit(72)
    server.serve(sock, learner, module_name)
    os._exit(0)


def _set_up(
    sock: socket.socket, scratch: Path, spec: ArmRequest, joined: bool, box: Containment
) -> tuple[Path, str]:
    """Take the grading from the judge: the output pipe, the file, the limits; report."""
    _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    if len(fds) != 1:
        os._exit(0)  # the judge went away before the grading came
    os.dup2(fds[0], 1)
    os.dup2(fds[0], 2)
    os.close(fds[0])
    frame = receive(sock)
    if frame is None:
        os._exit(0)
    setup = decode(frame)
    if type(setup) is not dict:
        raise ValueError("the judge's set-up is not a dict")
    cpu = setup.get("cpu")
    if type(cpu) is int:  # the judge's CPU: the two processes take turns, never run at once
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})
    limits = Limits.model_validate(setup["limits"])
    sandbox.apply_limits(limits, float(setup["timeout"]), spec.cgroup_layers, joined, box)
    learner = scratch / Path(str(setup["filename"])).name
    source = setup["source"]
    learner.write_bytes(source if type(source) is bytes else b"")
    send(sock, encode([list(box.applied), list(box.missing)]))
    return learner, str(setup["module_name"])
