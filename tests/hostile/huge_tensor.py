"""Asks for a 50 GB tensor."""

import torch

BIG = torch.empty(50 * 2**30, dtype=torch.uint8)


def double(x):
    return 2 * x
