"""Raises an exception whose message is 100 MB, and whose __str__ raises again."""


class Loud(Exception):
    def __str__(self):
        raise RuntimeError("x" * 10**6)


def double(x):
    if x.dim() == 2 and x.shape[1] == 1:
        raise Loud()
    raise ValueError("y" * 10**8)
