"""WRONG: swaps add_ for +=, believing it is out of place. On a tensor, += is add_: it raises
for several walkers and writes into start for one.
Caught by: random_walk(start, steps)[b] is start + ... (the RuntimeError) and start and
steps are unchanged after the call."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    positions = start.expand(steps.shape[1], -1)
    for step in steps:
        positions += step
    return positions
