"""The learner process from its first instruction: contain, report the sandbox, then serve.

Forked by the judge before the kata's checks are loaded, so its memory holds nothing of them.
Its first message on the socket is the sandbox report, sent before any learner code has run (so
it is the trainer's, not the learner's); everything after is :mod:`.server`'s.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from trainer.grading.accelerator import open_gpu, resolve_device
from trainer.grading.learner import sandbox, server
from trainer.grading.protocol import RunRequest
from trainer.grading.wire import encode, send


def run(request: RunRequest, sock: socket.socket, learner: Path) -> NoReturn:
    """Become the learner process; never returns."""
    try:
        os.closerange(3, sock.fileno())  # the result channel and whatever else was inherited
        os.closerange(sock.fileno() + 1, 65536)
        entered = sandbox.enter(request)
        device, unavailable = resolve_device(request.device, request.allowed_devices)
        if unavailable is None and device.startswith("cuda"):
            open_gpu(device)  # before the sandbox closes: a CUDA context opens device files
        box = sandbox.contain(learner.parent, request, device, entered)
        report = [[*entered.applied, *box.applied], [*entered.missing, *box.missing]]
        send(sock, encode(report))
    except BaseException as exc:  # the trainer's own failure: say so on stderr, end
        print(f"the learner process could not start: {exc!r}", file=sys.stderr)
        os._exit(71)
    server.serve(sock, learner, request.module_name)
    os._exit(0)
