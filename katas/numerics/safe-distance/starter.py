"""Pairwise Euclidean distances between two sets of points, for a set-based loss."""

import torch


def pairwise_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out[i, j] = ||a[i] - b[j]|| for a of shape (N, D) and b of shape (M, D)."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)
    # TODO: NaN gradients when a point is compared with itself.
    return d2.sqrt()


if __name__ == "__main__":
    points = torch.randn(4, 3, requires_grad=True)
    d = pairwise_dist(points, points)
    crowding = torch.exp(-d).sum()  # penalise points that are close together
    crowding.backward()
    print("distances:", d.detach()[0].tolist())
    print("gradient of the first point:", points.grad[0].tolist())
