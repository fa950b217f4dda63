"""Hidden checks for segment-sum: ``segment_sum`` and ``segment_mean(values (N, D), seg (N,),
num_segments)`` accumulate rows by segment id, repeated ids and empty segments included,
without a Python loop."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, gradcheck64, plain, torch_call_count

ACCUMULATE = (
    "Use an operation that accumulates: out.index_add(0, seg, values), or out.scatter_add(0, "
    "seg[:, None].expand_as(values), values)"
)
# (N, D, num_segments, seg): repeated ids out of order, an empty segment inside, empty segments
# at the end, a single row, a single segment
CASES: list[tuple[int, int, int, list[int]]] = [
    (7, 3, 5, [2, 0, 2, 2, 0, 4, 0]),  # segments 1 and 3 empty
    (6, 4, 6, [1, 1, 0, 3, 1, 0]),  # segments 2, 4 and 5 empty: the last two trail
    (1, 5, 3, [1]),
    (5, 2, 1, [0, 0, 0, 0, 0]),
]


def _values(n: int, d: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return (torch.randn(n, d, dtype=dtype) * 2 + 0.5).to(device)


def _reference(values: torch.Tensor, seg: list[int], num_segments: int, mean: bool) -> torch.Tensor:
    """The oracle: a loop over the segments, in float64."""
    out = torch.zeros(num_segments, values.shape[1], dtype=torch.float64)
    for s in range(num_segments):
        rows = [values[i].double().cpu() for i, k in enumerate(seg) if k == s]
        if rows:
            total = torch.stack(rows).sum(0)
            out[s] = total / len(rows) if mean else total
    return out.to(values.dtype).to(values.device)


def _hint(got: torch.Tensor, values: torch.Tensor, seg: list[int], num_segments: int) -> str:
    """The likely cause of a wrong segment_sum, judged from what came back."""
    if got.dim() == 2 and got.shape[0] == max(seg) + 1 < num_segments:
        return (
            f"The result must have num_segments = {num_segments} rows, even when the last "
            "segments are empty: seg.max() + 1 counts only up to the last id that appears"
        )
    if got.shape != (num_segments, values.shape[1]):
        return ""
    expected = _reference(values, seg, num_segments, mean=False).cpu()
    last = torch.zeros_like(expected)
    for i, s in enumerate(seg):  # what indexed assignment keeps: one write per id
        last[s] = values[i].cpu()
    if torch.allclose(got, last):
        return (
            "With repeated ids, out[seg] += values, index_put and scatter_ keep one write per "
            f"id, not the sum of them. {ACCUMULATE}"
        )
    if torch.allclose(got[:, 0], expected[:, 0]) and not torch.allclose(got, expected):
        return (
            "Only column 0 is right: scatter_add_ visits only the positions of its index, and "
            "an (N, 1) index covers column 0. Expand it to values' shape: "
            "seg[:, None].expand_as(values)"
        )
    return ""


def _mean_hint(got: torch.Tensor, values: torch.Tensor, seg: list[int], num_segments: int) -> str:
    """The likely cause of a wrong segment_mean, judged from what came back."""
    if got.shape != (num_segments, values.shape[1]):
        return _hint(got, values, seg, num_segments)
    if not bool(got.isfinite().all()):
        return (
            "An empty segment has a sum of 0 and a count of 0, and 0 / 0 is NaN: clamp the "
            "counts to at least 1"
        )
    total = _reference(values, seg, num_segments, mean=False).cpu()
    counts = torch.bincount(torch.tensor(seg), minlength=num_segments).to(total.dtype)
    if torch.allclose(got, total / (counts + 1)[:, None]):
        return (
            "Each mean is divided by one member too many: scatter_reduce(..., 'mean') counts "
            "the value it starts from (include_self=True, the default) as a member. Pass "
            "include_self=False, or divide the sum by the counts"
        )
    # the sums behind these means (an empty segment's 0 stays 0): a wrong sum shows there
    return _hint(got * counts.clamp(min=1)[:, None], values, seg, num_segments) or (
        "The mean of a segment is the sum of its rows divided by their number "
        "(torch.bincount(seg, minlength=num_segments))"
    )


def _run(
    fn: Any, remote: Remote, values: torch.Tensor, seg: torch.Tensor, num_segments: int
) -> tuple[torch.Tensor, str]:
    """fn(values, seg, num_segments) in the learner process, values given as a column slice
    (not contiguous) when it has several columns; the inputs must stay unchanged."""
    wide = torch.cat([values, torch.randn_like(values[:, :1])], dim=1)
    theirs = (remote.tensor(wide)[:, :-1], remote.tensor(seg))
    described = (
        f"values of shape {tuple(values.shape)}, {values.dtype}, seg = {seg.tolist()}, "
        f"num_segments = {num_segments}"
    )
    got = fn(*theirs, num_segments)
    values_after, seg_after = remote.value(theirs)
    assert torch.equal(values_after, values) and torch.equal(seg_after, seg), (
        f"{described}: the call changed values or seg in place; the caller's tensors must stay "
        "as they were (accumulate into a new tensor)"
    )
    return plain(got, "the result"), described


def test_sum(learner: Any, remote: Remote, device: torch.device) -> None:
    """segment_sum(values, seg, num_segments)[s] is the sum of the rows whose id is s"""
    torch.manual_seed(0)
    for k, (n, d, num_segments, ids) in enumerate(CASES):
        dtype = torch.float64 if k % 2 else torch.float32
        values = _values(n, d, dtype, device)
        seg = torch.tensor(ids, device=device)
        got, described = _run(learner.segment_sum, remote, values, seg, num_segments)
        assert_close(
            got,
            _reference(values, ids, num_segments, mean=False),
            what="segment_sum(values, seg, num_segments)",
            inputs=described,
            nondeterministic=True,  # index_add and scatter_add sum in any order on a GPU
            hint=_hint(got.cpu(), values.cpu(), ids, num_segments) or ACCUMULATE,
        )


def test_mean(learner: Any, remote: Remote, device: torch.device) -> None:
    """segment_mean(values, seg, num_segments)[s] is the mean of the rows whose id is s, or 0"""
    torch.manual_seed(1)
    for k, (n, d, num_segments, ids) in enumerate(CASES):
        dtype = torch.float32 if k % 2 else torch.float64
        values = _values(n, d, dtype, device)
        seg = torch.tensor(ids, device=device)
        got, described = _run(learner.segment_mean, remote, values, seg, num_segments)
        assert_close(
            got,
            _reference(values, ids, num_segments, mean=True),
            what="segment_mean(values, seg, num_segments)",
            inputs=described,
            nondeterministic=True,
            hint=_mean_hint(got.cpu(), values.cpu(), ids, num_segments),
        )


def test_gradcheck(learner: Any, device: torch.device) -> None:
    """segment_sum and segment_mean pass float64 gradcheck"""
    torch.manual_seed(2)
    values = _values(5, 3, torch.float64, device)
    seg = torch.tensor([3, 0, 3, 3, 1], device=device)  # segments 2 and 4 empty
    for name in ("segment_sum", "segment_mean"):
        gradcheck64(
            getattr(learner, name),
            values,
            seg,
            5,
            what=name,
            names=["values", "seg", "num_segments"],
        )


def test_no_loop(learner: Any, remote: Remote, device: torch.device) -> None:
    """the number of torch calls does not grow with the number of rows or segments"""
    torch.manual_seed(3)
    for name in ("segment_sum", "segment_mean"):
        counts = {}
        for n, num_segments in ((5, 3), (60, 8)):
            values = _values(n, 4, torch.float32, device)
            seg = torch.randint(0, num_segments, (n,), device=device)
            fn = getattr(learner, name)
            counts[n, num_segments] = torch_call_count(remote, fn, values, seg, num_segments)
        (small, few), (large, many) = counts.items()
        assert few == many, (
            f"{name} made {few} torch calls for N={small[0]} rows in {small[1]} segments and "
            f"{many} for N={large[0]} rows in {large[1]} segments: it loops in Python, one "
            "small step per row or per segment. Accumulate all rows in one call: "
            "index_add, scatter_add or index_put(..., accumulate=True); count with "
            "torch.bincount(seg, minlength=num_segments)"
        )
