"""WRONG: scatter_add_ with an (N, 1) index: scatter visits only the positions of its index,
so column 0 is summed and every other column stays 0.
Caught by: segment_sum(values, seg, num_segments)[s] is the sum of the rows whose id is s."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    return out.scatter_add_(0, seg[:, None], values)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    counts = torch.bincount(seg, minlength=num_segments).clamp(min=1)
    return segment_sum(values, seg, num_segments) / counts[:, None]
