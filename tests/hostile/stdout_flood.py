"""Floods stdout with 200 MB, then answers wrongly."""

import sys

chunk = "spam " * 2000
for _ in range(20000):
    sys.stdout.write(chunk)


def double(x):
    return x
