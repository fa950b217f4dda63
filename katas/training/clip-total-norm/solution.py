"""Gradient clipping by the total norm, written by hand (the training loop logs the norm)."""

import copy
from collections.abc import Iterable

import torch
from torch import nn


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    # one pass over params: a generator such as model.parameters() is empty the second time
    grads = [p.grad for p in params if p.grad is not None]
    # the L2 norm of all gradients together: the norm of the per-tensor norms
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    # one factor for every tensor, so the update keeps its direction; at most 1, so small
    # gradients are multiplied by exactly 1.0 and stay bitwise as they were
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.mul_(scale)  # in place: the same .grad tensors
    return total


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    model(torch.randn(16, 4)).pow(2).sum().backward()
    twin = copy.deepcopy(model)  # deepcopy leaves out .grad: copy it over
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        q.grad = p.grad.clone()
    expected = nn.utils.clip_grad_norm_(twin.parameters(), max_norm=1.0)
    norm = clip_(model.parameters(), max_norm=1.0)
    print(f"returned norm {norm.item():.4f}, clip_grad_norm_ returns {expected.item():.4f}")
    for (name, p), q in zip(model.named_parameters(), twin.parameters(), strict=True):
        print(f"{name}.grad norm after clipping: {p.grad.norm():.4f}, torch's: {q.grad.norm():.4f}")
