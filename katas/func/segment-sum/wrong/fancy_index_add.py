"""WRONG: out[seg] += values looks vectorised, but it is out[seg] = out[seg] + values, an
indexed assignment: with repeated ids, one write per id survives instead of the sum.
Caught by: segment_sum(values, seg, num_segments)[s] is the sum of the rows whose id is s."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    out = values.new_zeros(num_segments, values.shape[1])
    out[seg] += values
    return out


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    counts = torch.bincount(seg, minlength=num_segments).clamp(min=1)
    return segment_sum(values, seg, num_segments) / counts[:, None]
