"""Holds more than the memory limit across shared memory and three forks (per-process limits miss it)."""

import mmap
import os

LIMIT = 1024 * 1024 * 1024  # the hostile kata's memory_mb
PAGE = 4096


def touch(buffer):
    for offset in range(0, len(buffer), PAGE):
        buffer[offset] = 1


held = False
try:
    shared = mmap.mmap(-1, LIMIT * 3 // 2, flags=mmap.MAP_SHARED)
    touch(shared)
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            private = bytearray(LIMIT // 2)
            touch(private)
            os._exit(0)
        children.append(pid)
    held = all(os.waitpid(pid, 0)[1] == 0 for pid in children)
except (OSError, MemoryError, ValueError):
    held = False

if held:

    def double(x):
        return 2 * x

else:

    def double(x):
        return x
