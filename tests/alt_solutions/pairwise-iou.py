"""Pairwise IoU from coordinate columns: each of a's columns made (N, 1) and each of b's
(1, M), so plain arithmetic on them broadcasts to (N, M)."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    ax1, ay1, ax2, ay2 = (c.unsqueeze(1) for c in a.unbind(dim=1))  # each (N, 1)
    bx1, by1, bx2, by2 = (c.unsqueeze(0) for c in b.unbind(dim=1))  # each (1, M)
    width = (torch.min(ax2, bx2) - torch.max(ax1, bx1)).clamp_min(0)
    height = (torch.min(ay2, by2) - torch.max(ay1, by1)).clamp_min(0)
    inter = width * height
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union
