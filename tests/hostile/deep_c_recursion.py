"""Lifts the recursion limit and recurses without end (stack or memory runs out, or time)."""

import sys

sys.setrecursionlimit(10**7)


def double(x, depth=0):
    return double(x, depth + 1)
