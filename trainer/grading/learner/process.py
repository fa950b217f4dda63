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
import faulthandler
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import NoReturn

from trainer.grading.accelerator import open_gpu, resolve_device
from trainer.grading.layers import Containment
from trainer.grading.learner import sandbox, server
from trainer.grading.limits import Limits
from trainer.grading.protocol import ArmRequest
from trainer.grading.stacks import STACK_SIGNAL
from trainer.grading.wire import decode, encode, receive, send


def run(
    spec: ArmRequest, sock: socket.socket, scratch: Path, device: str, allowed: tuple[str, ...]
) -> NoReturn:
    """Become the learner process; never returns."""
    began = time.perf_counter()
    # Ignored here, so the relay and the trusted init (which share this process group) never
    # die of it; the process that serves registers its stack dump on it (_report_stacks).
    signal.signal(STACK_SIGNAL, signal.SIG_IGN)
    try:
        os.closerange(3, sock.fileno())  # the result channel and whatever else was inherited
        os.closerange(sock.fileno() + 1, 65536)
        entered, joined = sandbox.enter(spec)
        entered_at = time.perf_counter()
        resolved, unavailable = resolve_device(device, allowed)
        if unavailable is None and resolved.startswith("cuda"):
            open_gpu(resolved)  # before the sandbox closes: a CUDA context opens device files
        box = sandbox.contain(scratch, spec, resolved, entered)
        box.applied[:0] = entered.applied
        box.missing[:0] = entered.missing
        timing = {"enter": entered_at - began, "contain": time.perf_counter() - entered_at}
        warmed_at = time.perf_counter()
        _warm_up()
        timing["warm_up"] = time.perf_counter() - warmed_at
    except BaseException as exc:  # the trainer's own failure: say so on stderr, end
        print(f"the learner process could not start: {exc!r}", file=sys.stderr)
        os._exit(71)
    try:
        learner, module_name = _set_up(sock, scratch, spec, joined, box, timing)
    except BaseException as exc:
        print(f"the learner process could not be set up: {exc!r}", file=sys.stderr)
        os._exit(72)
    _report_stacks()
    server.serve(sock, learner, module_name)
    os._exit(0)


def _report_stacks() -> None:
    """Write every thread's stack to the captured output on :data:`STACK_SIGNAL` (a grading
    out of time asks before it kills) and on ``SIGXCPU`` (this process's own CPU limit, which
    still ends it): a timeout can then say where the learner's code was.

    Registered before the learner's file is imported, on a descriptor of its own (the learner's
    code redirecting fd 1 or 2 leaves it be). ``faulthandler`` writes from the signal handler
    itself, so a loop inside a long C call (a torch op) is caught where it is. The learner's
    code may undo all this; then a timeout just names no frames (:mod:`trainer.grading.stacks`).
    Processes it forks do not answer (a fork bomb would flood the output, and a child's stack
    is not the one that was graded): the signal is ignored there, as before registering.
    """
    if not hasattr(faulthandler, "register"):  # pragma: no cover - Windows has no such signals
        return
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        fd = os.dup(1)
        faulthandler.register(STACK_SIGNAL, file=fd, all_threads=True)
        faulthandler.register(signal.SIGXCPU, file=fd, all_threads=True, chain=True)
        os.register_at_fork(after_in_child=_no_stacks)


def _no_stacks() -> None:
    """In a process the learner's code forked: back to ignoring the request, default SIGXCPU."""
    faulthandler.unregister(STACK_SIGNAL)
    faulthandler.unregister(signal.SIGXCPU)


def _warm_up() -> None:
    """Run once what nearly every grading runs first (a module's forward and backward, a
    custom Function, a gradient of a gradient), while the grading is not yet asked for.

    torch builds much lazily on first use (dispatch entries, autograd's graph machinery,
    imports); paid here, in a process that is already sandboxed, it is not paid inside the
    first check. Nothing of it is visible to the learner's code: no tensor survives, and the
    random generator is put back as it was.
    """
    import torch
    from torch import nn

    rng = torch.get_rng_state()
    try:
        layer = nn.Linear(3, 2)
        x = torch.ones(4, 3, requires_grad=True)
        out = torch.nn.functional.silu(layer(x)).sum()
        (grad,) = torch.autograd.grad(out, x, create_graph=True)
        grad.sum().backward()  # type: ignore[no-untyped-call]

        class _Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx: object, value: torch.Tensor) -> torch.Tensor:
                ctx.save_for_backward(value)  # type: ignore[attr-defined]
                return value * value

            @staticmethod
            def backward(ctx: object, upstream: torch.Tensor) -> torch.Tensor:
                (value,) = ctx.saved_tensors  # type: ignore[attr-defined]
                doubled: torch.Tensor = 2 * value * upstream
                return doubled

        squared = _Square.apply(torch.arange(3.0, requires_grad=True))  # type: ignore[no-untyped-call]
        squared.sum().backward()
        with torch.no_grad():
            layer.weight -= 0.1 * layer.weight.grad  # type: ignore[operator]
    except Exception:
        pass  # a warm-up is an optimisation; whatever fails here fails in the grading too
    finally:
        torch.set_rng_state(rng)


def _set_up(
    sock: socket.socket,
    scratch: Path,
    spec: ArmRequest,
    joined: bool,
    box: Containment,
    timing: dict[str, float],
) -> tuple[Path, str]:
    """Take the grading from the judge: the output pipe, the file, the limits; report."""
    idle = time.perf_counter()
    _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    timing["waited"] = time.perf_counter() - idle
    got_request = time.perf_counter()
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
    timing["set_up"] = time.perf_counter() - got_request
    send(sock, encode([list(box.applied), list(box.missing), timing]))
    return learner, str(setup["module_name"])
