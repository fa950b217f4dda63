"""WRONG: does the reshuffle in NumPy. The values are right, but the result is a new leaf
with no autograd history: nothing before merge_heads (the attention, the q/k/v projections)
gets a gradient.
Caught by: gradients flow back through merge_heads to x."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    array = x.detach().cpu().numpy().transpose(0, 2, 1, 3).reshape(batch, tokens, -1)
    return torch.from_numpy(array.copy()).to(x.device)
