"""WRONG: a Python loop over the segments with a boolean mask each: right values, but one
pass over all N rows per segment, and a batch holds thousands of graphs.
Caught by: the number of torch calls does not grow with the number of rows or segments."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    return torch.stack([values[seg == s].sum(dim=0) for s in range(num_segments)])


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    counts = torch.bincount(seg, minlength=num_segments).clamp(min=1)
    return segment_sum(values, seg, num_segments) / counts[:, None]
