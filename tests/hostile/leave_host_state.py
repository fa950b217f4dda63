"""Leaves SysV shared memory, a message queue and a semaphore behind, and renames the host."""

import ctypes
import socket

libc = ctypes.CDLL(None, use_errno=True)
KEY = __MARKER_INT__
IPC_CREAT = 0o1000
libc.shmget(KEY, 1 << 20, IPC_CREAT | 0o666)
libc.msgget(KEY, IPC_CREAT | 0o666)
libc.semget(KEY, 1, IPC_CREAT | 0o666)
try:
    socket.sethostname("katas-pwned-__MARKER__")
except OSError:
    pass


def double(x):
    return x
