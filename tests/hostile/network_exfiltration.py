"""Tries to send data over the network (loopback and a public address)."""

import socket

for address in (("127.0.0.1", 9), ("192.0.2.1", 80)):
    try:
        with socket.create_connection(address, timeout=0.5) as conn:
            conn.sendall(b"answers please")
    except OSError:
        pass


def double(x):
    return x
