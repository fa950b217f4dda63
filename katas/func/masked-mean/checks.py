"""Hidden checks for masked-mean: ``masked_mean(x (B, T, D), mask (B, T))`` averages the valid
steps of each row, whatever the padding holds, with 0 for a row that has none."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

SELECT = (
    "Multiplying by the mask does not remove a padded value: NaN * 0 and inf * 0 are NaN. "
    "Select instead: torch.where(mask[..., None], x, 0), or x.masked_fill(~mask[..., None], 0)"
)
CLAMP = (
    "A row with no valid step has a sum of 0 and a count of 0, and 0 / 0 is NaN: clamp the "
    "count to at least 1 (count.clamp(min=1)), so that row's result is 0"
)
NONFINITE = [float("nan"), float("inf"), float("-inf"), float("nan")]


def _mask(lengths: list[int], t: int, device: torch.device) -> torch.Tensor:
    """(B, T) mask with lengths[b] valid steps in row b, scattered (not only a prefix)."""
    rows = []
    for n in lengths:
        row = torch.zeros(t, dtype=torch.bool)
        row[torch.randperm(t)[:n]] = True
        rows.append(row)
    return torch.stack(rows).to(device)


def _x(b: int, t: int, d: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return (torch.randn(b, t, d, dtype=dtype) * 2 + 0.7).to(device)


def _pad(x: torch.Tensor, mask: torch.Tensor, values: list[float]) -> torch.Tensor:
    """x with its padded steps overwritten by ``values``, in turn."""
    x = x.clone()
    for k, (b, t) in enumerate((~mask).nonzero().tolist()):
        x[b, t, :] = values[k % len(values)]
    return x


def _reference(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The oracle: a loop over the rows and steps, in float64."""
    out = torch.zeros(x.shape[0], x.shape[2], dtype=torch.float64)
    for b in range(x.shape[0]):
        valid = [x[b, t].double().cpu() for t in range(x.shape[1]) if mask[b, t]]
        if valid:
            out[b] = torch.stack(valid).sum(0) / len(valid)
    return out.to(x.dtype).to(x.device)


def _describe(x: torch.Tensor, mask: torch.Tensor, padding: str) -> str:
    return (
        f"x of shape {tuple(x.shape)}, {x.dtype}, {mask.sum(1).tolist()} valid steps per row, "
        f"padded steps holding {padding}"
    )


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal shapes and values, NaN matching NaN."""
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


def _run(learner: Any, remote: Remote, x: torch.Tensor, mask: torch.Tensor, seq_first: bool) -> Any:
    """masked_mean(x, mask) on the learner's copies, checking that they stay unchanged. With
    ``seq_first``, x is handed over as an RNN's (T, B, D) output transposed: not contiguous."""
    if seq_first:
        their_x = remote.tensor(x.transpose(0, 1).contiguous()).transpose(0, 1)
    else:
        their_x = remote.tensor(x)
    their_mask = remote.tensor(mask)
    got = learner.masked_mean(their_x, their_mask)
    x_after, mask_after = remote.value((their_x, their_mask))
    assert _same(x_after, x), (
        "masked_mean(x, mask) changed x in place: the caller's hidden states must stay as they "
        "were (masked_fill_ and x[~mask] = 0 write into x: use masked_fill or torch.where, "
        "which return a new tensor)"
    )
    assert torch.equal(mask_after, mask), "masked_mean(x, mask) changed mask in place"
    return got


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """masked_mean(x, mask)[b] is the mean of x[b, t] over the valid steps t of row b"""
    torch.manual_seed(0)
    # (B, T, D, valid steps per row, dtype, x transposed from a (T, B, D) tensor)
    cases = [
        (1, 5, 3, [2], torch.float32, False),
        (4, 6, 3, [6, 1, 3, 5], torch.float64, False),
        (3, 7, 2, [1, 7, 4], torch.float32, True),
    ]
    for b, t, d, lengths, dtype, seq_first in cases:
        mask = _mask(lengths, t, device)
        x = _x(b, t, d, dtype, device)  # the padding holds ordinary numbers here
        described = _describe(x, mask, "ordinary numbers")
        if seq_first:
            described += ", x a transposed (T, B, D) tensor (not contiguous)"
        got = _run(learner, remote, x, mask, seq_first)
        assert_close(
            got,
            _reference(x, mask),
            what="masked_mean(x, mask)",
            inputs=described,
            hint="Divide each row's sum over its valid steps by that row's number of valid "
            "steps (mask.sum(1)), not by T; and average within each row, not over the batch",
        )


def test_nonfinite_padding(learner: Any, remote: Remote, device: torch.device) -> None:
    """NaN or inf at padded steps does not reach the result"""
    torch.manual_seed(1)
    for lengths, dtype in (([3, 1, 5, 2], torch.float32), ([4], torch.float64)):
        mask = _mask(lengths, 6, device)
        x = _pad(_x(len(lengths), 6, 3, dtype, device), mask, NONFINITE)
        got = plain(_run(learner, remote, x, mask, False), "masked_mean(x, mask)")
        expected = _reference(x, mask)
        assert_close(
            got,
            expected,
            what="masked_mean(x, mask)",
            inputs=_describe(x, mask, "NaN, inf and -inf"),
            hint="The padding reached the result. " + SELECT if got.shape == expected.shape else "",
        )


def test_empty_rows(learner: Any, remote: Remote, device: torch.device) -> None:
    """a row with no valid step gives zeros"""
    torch.manual_seed(2)
    mask = _mask([2, 0, 5, 0, 0], 5, device)  # empty rows inside and at the end of the batch
    x = _x(5, 5, 4, torch.float32, device)
    got = plain(_run(learner, remote, x, mask, False), "masked_mean(x, mask)")
    assert_close(
        got,
        _reference(x, mask),
        what="masked_mean(x, mask)",
        inputs=_describe(x, mask, "ordinary numbers"),
        hint=CLAMP if not bool(got.isfinite().all()) else "",
    )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """x.grad is finite: the valid steps' share of the upstream gradient, 0 at padded steps"""
    torch.manual_seed(3)
    mask = _mask([3, 0, 1, 6], 6, device)
    clean = _x(4, 6, 3, torch.float64, device)
    upstream = (torch.randn(4, 3, dtype=torch.float64) + 0.5).to(device)
    for padding, x in (
        ("ordinary numbers", clean),
        ("NaN, inf and -inf", _pad(clean, mask, NONFINITE)),
    ):
        described = _describe(x, mask, padding) + ", a random upstream gradient"
        leaf = remote.tensor(x.clone().requires_grad_())
        learner.masked_mean(leaf, mask).backward(upstream)
        grad = leaf.grad
        assert grad is not None, (
            f"x.grad is None after masked_mean(x, mask).backward(g) ({described})"
        )
        grad = plain(grad, "x.grad")
        # the oracle: each valid step of row b gets g[b] / (its number of valid steps)
        count = mask.sum(1).clamp(min=1).to(torch.float64)
        expected = torch.where(mask[..., None], (upstream / count[:, None])[:, None, :], 0.0)
        bad = ~grad.isfinite()
        if bool(bad.any()):
            b, t, _ = (int(i) for i in bad.nonzero()[0])
            raise AssertionError(
                f"x.grad[{b}, {t}] is {grad[b, t].tolist()} after masked_mean(x, mask)."
                f"backward(g) ({described}; row {b} has {int(mask[b].sum())} valid steps): "
                "gradients must be finite, or one bad row turns every weight into NaN at the "
                "next optimizer step. "
                + (CLAMP if not mask[b].any() else SELECT)
                + ". A where() that hides a NaN in the forward pass does not hide it from "
                "backward: keep NaN out of every branch"
            )
        assert_close(grad, expected, what="x.grad", inputs=described)
