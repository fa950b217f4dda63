"""Unbounded recursion inside the graded function."""


def double(x):
    return double(x)
