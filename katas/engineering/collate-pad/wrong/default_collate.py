"""WRONG: uses the default collate, which stacks the sequences: torch.stack raises for
sequences of different lengths, and there is no mask.
Caught by: tokens: row i is sequence i, padded on the right with pad_id to the longest."""

import torch
from torch.utils.data import default_collate


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return default_collate(batch)
