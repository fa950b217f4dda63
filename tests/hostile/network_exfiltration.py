"""Tries to send its answers over the network, to a server the test listens with on loopback."""

import socket

for address in (("127.0.0.1", __PORT__), ("localhost", __PORT__)):
    try:
        with socket.create_connection(address, timeout=0.5) as conn:
            conn.sendall(b"answers please")
    except OSError:
        pass


def double(x):
    return x
