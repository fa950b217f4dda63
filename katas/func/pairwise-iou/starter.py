"""Intersection over union (IoU) between two sets of boxes, for matching detections to
ground truth."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), as an (N, M) tensor.

    Boxes are (x1, y1, x2, y2) with x1 < x2 and y1 < y2.
    """
    # TODO: this is right, but it makes N * M small Python steps: matching 3000 anchors to
    # 40 targets takes seconds per image. Compute all pairs at once with broadcasting.
    out = torch.zeros(len(a), len(b), dtype=a.dtype, device=a.device)
    for i in range(len(a)):
        for j in range(len(b)):
            w = torch.clamp(torch.min(a[i, 2], b[j, 2]) - torch.max(a[i, 0], b[j, 0]), min=0)
            h = torch.clamp(torch.min(a[i, 3], b[j, 3]) - torch.max(a[i, 1], b[j, 1]), min=0)
            inter = w * h
            area_a = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1])
            area_b = (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1])
            out[i, j] = inter / (area_a + area_b - inter)
    return out


if __name__ == "__main__":
    import time

    torch.manual_seed(0)
    corners = torch.rand(300, 2) * 100
    anchors = torch.cat([corners, corners + torch.rand(300, 2) * 20 + 1], dim=1)
    targets = anchors[:40] + torch.randn(40, 4)
    start = time.perf_counter()
    iou = box_iou(anchors, targets)
    print(f"IoU of {tuple(iou.shape)} pairs in {time.perf_counter() - start:.2f} s")
