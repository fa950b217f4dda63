"""Returns a list that contains itself, holding a tensor of a billion elements described by a lying shape."""

import torch

loop = []
loop.append(loop)
loop.append(torch.zeros(2))


class Sprawling(list):
    def __len__(self):
        return 10**12


def double(x):
    deep = [2 * x]
    for _ in range(5000):
        deep = [deep]
    return {"a": loop, "b": deep, "c": Sprawling([2 * x])}
