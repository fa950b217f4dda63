"""Changes what it may not write: mode, owner, times, extended attributes and chattr flags, on the canary and the kata's files."""

import fcntl
import os
import struct
import sys

targets = ["__CANARY__"]
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None) or ""
    if path.endswith("checks.py") and "trainer" not in path:
        targets += [path, os.path.dirname(path)]
for path in targets:
    for attempt in (
        lambda: os.chmod(path, 0o777),
        lambda: os.chown(path, 65534, 65534),
        lambda: os.utime(path, (0, 0)),
        lambda: os.setxattr(path, "user.katas", b"x"),
    ):
        try:
            attempt()
        except OSError:
            pass
    try:
        fd = os.open(path, os.O_RDONLY)
        fcntl.ioctl(fd, 0x40086602, struct.pack("i", 0x10))  # FS_IOC_SETFLAGS: immutable
        os.close(fd)
    except OSError:
        pass


def double(x):
    return x
