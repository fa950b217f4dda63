"""Pairwise Euclidean distances between two sets of points, for a set-based loss."""

import torch


def pairwise_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out[i, j] = ||a[i] - b[j]|| for a of shape (N, D) and b of shape (M, D)."""
    # vector_norm's backward defines the gradient at a zero vector as 0, and the
    # differences are taken coordinate by coordinate, so nothing cancels.
    return torch.linalg.vector_norm(a.unsqueeze(1) - b.unsqueeze(0), dim=-1)
