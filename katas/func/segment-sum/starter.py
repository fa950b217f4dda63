"""Pooling node features into one vector per graph, for a graph neural network whose batches
pack many small graphs into one (N, D) node-feature matrix."""

import torch


def segment_sum(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    """(num_segments, D): row s is the sum of the rows values[i] (N, D) with seg[i] == s."""
    # TODO: right, but one Python step per node; a batch has a million nodes. Vectorise.
    out = values.new_zeros(num_segments, values.shape[1])
    for i in range(len(seg)):
        out[seg[i]] += values[i]
    return out


def segment_mean(values: torch.Tensor, seg: torch.Tensor, num_segments: int) -> torch.Tensor:
    """(num_segments, D): row s is the mean of the rows with seg[i] == s, or zeros if none."""
    # TODO: NaN for a graph with no node.
    counts = torch.zeros(num_segments, dtype=values.dtype, device=values.device)
    for i in range(len(seg)):
        counts[seg[i]] += 1
    return segment_sum(values, seg, num_segments) / counts[:, None]


if __name__ == "__main__":
    values = torch.arange(12.0).reshape(6, 2)
    seg = torch.tensor([0, 2, 0, 2, 2, 0])  # graph 1 and graph 3 have no node
    print(segment_sum(values, seg, 4))
    print(segment_mean(values, seg, 4))
