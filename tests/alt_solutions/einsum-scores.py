"""Second solution for einsum-scores: move the heads in front, then a batched matmul."""

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    # (B, Tq, H, D) -> (B, H, Tq, D) and (B, Tk, H, D) -> (B, H, D, Tk): matmul then
    # contracts D and treats (B, H) as batch axes.
    scale = q.shape[-1] ** -0.5
    return torch.matmul(q.transpose(1, 2) * scale, k.permute(0, 2, 3, 1))
