"""WRONG: scatter_ writes, it does not add: with repeated ids, one row per id survives.
Caught by: segment_sum(values, seg, num_segments)[s] is the sum of the rows whose id is s."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    return out.scatter_(0, seg[:, None].expand_as(values), values)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    counts = torch.bincount(seg, minlength=num_segments).clamp(min=1)
    return segment_sum(values, seg, num_segments) / counts[:, None]
