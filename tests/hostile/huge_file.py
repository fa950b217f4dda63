"""Writes a 500 MB file into its working directory."""

with open("dump.bin", "wb") as handle:
    for _ in range(500):
        handle.write(b"\0" * 2**20)


def double(x):
    return 2 * x
