"""Writes bytes that are not a message onto the judge's socket, then keeps serving."""

import os
import socket
import struct

for fd in range(3, 64):
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    try:
        if sock.type == socket.SOCK_STREAM:
            sock.send(struct.pack("<I", 40) + b"\xff" * 40)
            sock.send(struct.pack("<I", 2**31))
    except OSError:
        pass
    finally:
        sock.close()


def double(x):
    return x
