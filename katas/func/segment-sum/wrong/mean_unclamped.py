"""WRONG: divides by the raw counts: an empty segment gives 0 / 0 = NaN.
Caught by: segment_mean(values, seg, num_segments)[s] is the mean of the rows whose id is s, or
0."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    return out.index_add(0, seg, values)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    counts = torch.bincount(seg, minlength=num_segments)
    return segment_sum(values, seg, num_segments) / counts[:, None]
