"""Pooling node features into one vector per graph, for a graph neural network whose batches
pack many small graphs into one (N, D) node-feature matrix."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    """(num_segments, D): row s is the sum of the rows values[i] (N, D) with seg[i] == s."""
    # num_segments rows, not seg.max() + 1: the last graphs of a batch may have no node
    out = values.new_zeros(num_segments, values.shape[1])
    # index_add accumulates every row into its segment, repeated ids included (out[seg] +=
    # values would keep only one write per id)
    return out.index_add(0, seg, values)


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    """(num_segments, D): row s is the mean of the rows with seg[i] == s, or zeros if none."""
    counts = torch.bincount(seg, minlength=num_segments)
    # an empty segment has sum 0 and count 0: dividing by 1 keeps it 0 instead of NaN
    return segment_sum(values, seg, num_segments) / counts.clamp(min=1)[:, None]


if __name__ == "__main__":
    values = torch.arange(12.0).reshape(6, 2)
    seg = torch.tensor([0, 2, 0, 2, 2, 0])  # graph 1 and graph 3 have no node
    print(segment_sum(values, seg, 4))
    print(segment_mean(values, seg, 4))
