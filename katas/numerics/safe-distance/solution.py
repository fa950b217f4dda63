"""Pairwise Euclidean distances between two sets of points, for a set-based loss."""

import torch


def pairwise_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out[i, j] = ||a[i] - b[j]|| for a of shape (N, D) and b of shape (M, D)."""
    # Differences coordinate by coordinate: exact for nearby points, even far from the
    # origin, where ||a||² + ||b||² - 2 a·b would cancel catastrophically.
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1)
    # sqrt's derivative is infinite at 0, and 0 * inf = NaN even in a branch that where()
    # discards: give the root a harmless 1 where d2 is 0, then select 0 after it.
    apart = d2 > 0
    safe = torch.where(apart, d2, torch.ones_like(d2))
    return torch.where(apart, safe.sqrt(), torch.zeros_like(d2))


if __name__ == "__main__":
    points = torch.randn(4, 3, requires_grad=True)
    d = pairwise_dist(points, points)
    crowding = torch.exp(-d).sum()  # penalise points that are close together
    crowding.backward()
    print("distances:", d.detach()[0].tolist())
    print("gradient of the first point:", points.grad[0].tolist())
