"""Monte Carlo rollouts: B walkers leave the same start point and take T random steps."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Where each walker ends: result[b] = start + steps[0, b] + ... + steps[T - 1, b].

    start: (N,), the common start point; steps: (T, B, N). Returns a new (B, N) tensor that
    the caller goes on updating in place; start and steps stay as they were.
    """
    walkers = steps.shape[1]
    # TODO: expand() gives every walker a view of the same N numbers in start's memory.
    positions = start.expand(walkers, -1)
    for step in steps:
        positions.add_(step)
    return positions


if __name__ == "__main__":
    start = torch.zeros(3)
    print(random_walk(start, torch.randn(10, 1, 3)), "start is now", start)
    print(random_walk(start, torch.randn(10, 4, 3)))
