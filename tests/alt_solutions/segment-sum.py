"""Segment reductions with index_put(accumulate=True) for the sum and scatter_reduce with
include_self=False for the mean: an empty segment keeps the zero it starts from."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = torch.zeros(num_segments, values.shape[1], dtype=values.dtype, device=values.device)
    return out.index_put((seg,), values, accumulate=True)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = torch.zeros(num_segments, values.shape[1], dtype=values.dtype, device=values.device)
    index = seg.unsqueeze(1).expand(-1, values.shape[1])
    return out.scatter_reduce(0, index, values, reduce="mean", include_self=False)
