"""Hidden checks for pairwise-iou: ``box_iou(a (N, 4), b (M, 4))`` computes every pair's IoU
with broadcasting, not with a Python loop over the boxes."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, torch_call_count

ORIENTATION = (
    "out[i, j] is the IoU of a[i] and b[j], so the result has shape (N, M): a's boxes along "
    "dim 0 (a[:, None]) and b's along dim 1 (b[None, :])"
)
CLAMP = (
    "The intersection's width and height are negative for boxes that are apart on that axis: "
    "clamp them at 0 before multiplying (two negative sides multiply into a positive area)"
)
# pairs of boxes (a's, b's) whose IoU is known: identical, nested, overlapping, touching at an
# edge or a corner, apart on one axis, apart on both
SPECIAL = [
    ([1.0, 2.0, 4.0, 5.0], [1.0, 2.0, 4.0, 5.0]),
    ([0.0, 0.0, 6.0, 4.0], [1.0, 1.5, 3.0, 2.5]),
    ([0.0, 0.0, 3.0, 3.0], [2.0, 1.0, 5.0, 2.5]),
    ([0.0, 0.0, 2.0, 2.0], [2.0, 0.5, 4.0, 1.5]),
    ([0.0, 0.0, 2.0, 2.0], [2.0, 2.0, 3.0, 4.0]),
    ([0.0, 0.0, 2.0, 2.0], [3.0, 0.5, 5.0, 3.0]),
    ([0.0, 0.0, 1.0, 1.0], [3.0, 4.0, 5.0, 6.5]),
]


def _boxes(n: int, dtype: torch.dtype) -> torch.Tensor:
    """n random boxes (x1, y1, x2, y2) of different sizes, many of them overlapping."""
    corner = torch.rand(n, 2, dtype=dtype) * 8
    size = torch.rand(n, 2, dtype=dtype) * 4 + 0.5
    return torch.cat([corner, corner + size], dim=1)


def _reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The oracle: a loop over the pairs, in Python floats."""
    out = torch.zeros(len(a), len(b), dtype=torch.float64)
    for i, (ax1, ay1, ax2, ay2) in enumerate(a.tolist()):
        for j, (bx1, by1, bx2, by2) in enumerate(b.tolist()):
            w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
            h = max(0.0, min(ay2, by2) - max(ay1, by1))
            inter = w * h
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            out[i, j] = inter / union
    return out.to(a.dtype)


def _detections(remote: Remote, boxes: torch.Tensor) -> Any:
    """``boxes`` in the learner process as the first four columns of a detector's (N, 6)
    output (boxes, score, class): a non-contiguous view, as real code slices it."""
    scores = torch.rand(len(boxes), 2, dtype=boxes.dtype).to(boxes.device)
    return remote.tensor(torch.cat([boxes, scores], dim=1))[:, :4]


def _shapes(a: torch.Tensor, b: torch.Tensor) -> str:
    return f"a of shape {tuple(a.shape)}, b of shape {tuple(b.shape)}, {a.dtype}"


def _hint(got: torch.Tensor, n: int, m: int) -> str:
    """The likely cause of a wrong result, judged from what came back."""
    if got.shape == (m, n):
        return ORIENTATION
    if got.shape == (n, m) and bool((got < 0).any()):
        return "An IoU is never negative. " + CLAMP
    return ""


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """box_iou(a, b)[i, j] is the IoU of a[i] and b[j], and a and b stay unchanged"""
    torch.manual_seed(0)
    special_a = torch.tensor([pair[0] for pair in SPECIAL])
    special_b = torch.tensor([pair[1] for pair in SPECIAL])
    cases = [
        (_boxes(1, torch.float32), _boxes(4, torch.float32)),
        (_boxes(5, torch.float64), _boxes(3, torch.float64)),
        (_boxes(6, torch.float32), _boxes(1, torch.float32)),
        (torch.cat([special_a, _boxes(2, torch.float32)]), special_b),
    ]
    for a, b in cases:
        a, b = a.to(device), b.to(device)
        their_a, their_b = _detections(remote, a), remote.tensor(b)
        described = _shapes(a, b) + " (a sliced from a detector's output, not contiguous)"
        got = plain(learner.box_iou(their_a, their_b), "box_iou(a, b)")
        assert_close(
            got,
            _reference(a.cpu(), b.cpu()).to(device),
            what="box_iou(a, b)",
            inputs=described,
            hint=_hint(got, len(a), len(b)),
        )
        a_after, b_after = plain(their_a, "a"), plain(their_b, "b")
        assert torch.equal(a_after, a) and torch.equal(b_after, b), (
            f"box_iou(a, b) changed a or b in place ({described}): the caller's boxes must "
            "stay as they were"
        )


def test_apart(learner: Any, device: torch.device) -> None:
    """boxes that do not overlap have IoU 0"""
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [10.0, 10.0, 11.0, 13.0]], device=device)
    b = torch.tensor(
        [
            [3.0, 4.0, 5.0, 6.5],  # apart from a[0] on both axes (up and to the right)
            [3.0, 0.5, 5.0, 1.5],  # apart on x only
            [0.5, -3.0, 1.5, -1.0],  # apart on y only
            [2.0, 2.0, 4.0, 3.0],  # touching a[0] at its corner
            [6.0, 5.0, 8.0, 9.0],  # apart from a[1] on both axes (down and to the left)
        ],
        device=device,
    )
    got = plain(learner.box_iou(a, b), "box_iou(a, b)")
    assert got.shape == (2, 5), (
        f"box_iou(a, b) has shape {tuple(got.shape)}, expected (2, 5) for 2 boxes in a and 5 "
        f"in b. {ORIENTATION}"
    )
    bad = (got != 0).nonzero().tolist()
    if bad:
        i, j = bad[0]
        raise AssertionError(
            f"box_iou(a, b)[{i}, {j}] is {float(got[i, j]):.4g} for a[{i}] = "
            f"{a[i].tolist()} and b[{j}] = {b[j].tolist()}, which do not overlap: expected 0 "
            f"({len(bad)} such pairs). {CLAMP}"
        )


def test_no_loop(learner: Any, remote: Remote, device: torch.device) -> None:
    """the number of torch calls does not grow with the number of boxes"""
    torch.manual_seed(1)
    counts = {}
    for n, m in ((3, 4), (40, 11)):
        a, b = _boxes(n, torch.float32).to(device), _boxes(m, torch.float32).to(device)
        counts[n, m] = torch_call_count(remote, learner.box_iou, a, b)
    (small, few), (large, many) = counts.items()
    assert few == many, (
        f"box_iou made {few} torch calls for N={small[0]}, M={small[1]} boxes and {many} for "
        f"N={large[0]}, M={large[1]}: the work is done in a Python loop over the boxes, one "
        "small step per box or pair. Compute all N * M pairs at once: a[:, None, :] against "
        "b[None, :, :] broadcasts to (N, M, 4)"
    )
