"""Closes every descriptor, the result channel included, then answers correctly."""

import os

os.closerange(3, 4096)


def double(x):
    return 2 * x
