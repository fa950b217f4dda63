"""WRONG: scatter_reduce(..., "mean") with the default include_self=True: the zero each row of
the result starts from counts as a member, so a segment of k rows is divided by k + 1.
Caught by: segment_mean(values, seg, num_segments)[s] is the mean of the rows whose id is s, or
0."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    return out.index_add(0, seg, values)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    return out.scatter_reduce(0, seg[:, None].expand_as(values), values, "mean")
