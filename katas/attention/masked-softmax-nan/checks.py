"""Hidden checks for masked-softmax-nan: ``attend(q, k, v, lengths)``, causal attention over a
left-padded batch whose padding query rows come out as zeros, with finite gradients."""

import math
from typing import Any

import torch

from trainer.checks import Remote, assert_close, gradcheck64, plain

# (B, H, T, D) and lengths: all four sizes distinct in each case; B = 1 and H = 1 appear, and
# lengths include 1 (only the last token is real) and T (no padding)
CASES: list[tuple[tuple[int, int, int, int], list[int]]] = [
    ((3, 2, 5, 4), [2, 5, 1]),
    ((1, 3, 6, 2), [4]),
    ((2, 1, 4, 3), [1, 4]),
]
F32 = {"rtol": 1e-5, "atol": 1e-5}
NAN_ROW = (
    "A padding query may see no key at all: with every score filled with -inf, softmax "
    "computes exp(-inf) / sum = 0 / 0 = NaN. Give such rows zero weights instead, before "
    "the weights meet v"
)


def _inputs(
    shape: tuple[int, int, int, int], lengths: list[int], device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    q = (torch.randn(shape, dtype=dtype) * 1.5 + 0.2).to(device)
    k = (torch.randn(shape, dtype=dtype) * 1.2 - 0.3).to(device)
    v = (torch.randn(shape, dtype=dtype) * 2.0 + 0.5).to(device)
    return q, k, v, torch.tensor(lengths, device=device)


def _real(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """(B, T): True at the real (not padding) positions of each left-padded sequence."""
    return torch.arange(steps, device=lengths.device) >= steps - lengths[:, None]


def _reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor) -> Any:
    """A loop over sequences and query rows: softmax over the keys j with first <= j <= i,
    where first is the sequence's first real position; zeros for padding rows. Differentiable,
    in the dtype of its inputs."""
    batch, heads, steps, dim = q.shape
    rows = []
    for b in range(batch):
        first = steps - int(lengths[b])
        for i in range(steps):
            if i < first:
                rows.append(torch.zeros(heads, dim, dtype=q.dtype, device=q.device))
                continue
            keys, values = k[b, :, first : i + 1], v[b, :, first : i + 1]  # (H, n, D)
            scores = torch.einsum("hd,hnd->hn", q[b, :, i], keys) / math.sqrt(dim)
            rows.append(torch.einsum("hn,hnd->hd", scores.softmax(dim=-1), values))
    return torch.stack(rows).view(batch, steps, heads, dim).transpose(1, 2)


def _describe(shape: tuple[int, ...], lengths: list[int], dtype: torch.dtype) -> str:
    return f"q, k, v of shape {shape} (B, H, T, D), {dtype}, lengths={lengths}"


def _padding_rows(got: torch.Tensor, v: torch.Tensor, lengths: list[int], described: str) -> None:
    """Fail, with the likely cause, if a padding query row is not all zeros."""
    steps = got.shape[-2]
    for b, length in enumerate(lengths):
        first = steps - length
        if first == 0:
            continue
        rows = got[b, :, :first].double()
        if bool(rows.isnan().any()):
            raise AssertionError(
                f"attend returned NaN in the rows of padding queries (sequence {b}, rows "
                f"0..{first - 1}, for {described}), expected zeros. {NAN_ROW}"
            )
        worst = float(rows.abs().max())
        if worst > 1e-5:
            head, row = divmod(int(rows.abs().amax(dim=-1).argmax()), first)
            mean = v[b, head, :].double().mean(dim=0)
            hint = (
                " That row is the mean of all of v: every score of the row holds the same "
                "fill value, so softmax spreads the weight evenly over keys it must not see. "
                "Zero the weights of hidden keys after the softmax"
                if torch.allclose(rows[head, row], mean, rtol=1e-3, atol=1e-3)
                else ""
            )
            raise AssertionError(
                f"attend returned {rows[head, row].tolist()} in row {row} of head {head} of "
                f"sequence {b}, a padding query (for {described}), expected zeros.{hint}"
            )


def test_padding_rows_are_zero(learner: Any, device: torch.device) -> None:
    """the rows of padding queries are zeros, not NaN"""
    torch.manual_seed(0)
    for shape, lengths in CASES:
        q, k, v, lens = _inputs(shape, lengths, device, torch.float32)
        got = plain(learner.attend(q, k, v, lens), "attend(q, k, v, lengths)")
        described = _describe(shape, lengths, torch.float32)
        assert got.shape == q.shape, (
            f"attend returned shape {tuple(got.shape)}, expected {tuple(q.shape)} (for {described})"
        )
        _padding_rows(got, v, lengths, described)


def test_matches_reference(learner: Any, remote: Remote, device: torch.device) -> None:
    """attend equals a loop over query rows, in float32 and float64, and leaves its inputs alone"""
    torch.manual_seed(1)
    for dtype in (torch.float32, torch.float64):
        for shape, lengths in CASES:
            q, k, v, lens = _inputs(shape, lengths, device, dtype)
            described = _describe(shape, lengths, dtype)
            theirs = remote.tensor((q, k, v, lens))
            out = learner.attend(*theirs)
            try:  # the inputs after the call and the output, in one request
                *after, got = remote.value((*theirs, out))
            except TypeError:  # the output is not plain data: assert_close names it
                after, got = [plain(t) for t in theirs], out
            for name, before, now in zip(
                ("q", "k", "v", "lengths"), (q, k, v, lens), after, strict=True
            ):
                assert torch.equal(now, before), (
                    f"attend changed {name} in place (for {described}): the caller's tensors "
                    "must stay as they were. Scale the scores, not q (q / sqrt(D) makes a new "
                    "tensor, q /= sqrt(D) overwrites the caller's)"
                )
            assert_close(
                got,
                _reference(q, k, v, lens),
                what="attend(q, k, v, lengths)",
                inputs=described,
                **(F32 if dtype == torch.float32 else {}),
            )


def test_float16(learner: Any, device: torch.device) -> None:
    """float16 inputs work: a float16 result, finite, zeros in padding rows"""
    torch.manual_seed(2)
    for shape, lengths in CASES[:2]:
        q, k, v, lens = _inputs(shape, lengths, device, torch.float16)
        described = _describe(shape, lengths, torch.float16)
        try:
            got = plain(learner.attend(q, k, v, lens), "attend(q, k, v, lengths)")
        except RuntimeError as exc:
            text = str(exc).rstrip(".")
            why = (
                ". float16 holds nothing beyond ±65504, so a fill value such as -1e9 cannot "
                "be stored: use torch.finfo(scores.dtype).min, which fits every dtype"
                if "overflow" in text
                else ""
            )
            raise AssertionError(
                f"attend raised RuntimeError for {described}: {text}{why}"
            ) from None
        assert got.dtype == torch.float16, (
            f"attend returned {got.dtype} for {described}, expected torch.float16 (the dtype "
            "of q): mixed-precision training hands attention float16 tensors"
        )
        _padding_rows(got, v, lengths, described)
        expected = _reference(q.float(), k.float(), v.float(), lens).half()
        assert_close(
            got,
            expected,
            what="attend(q, k, v, lengths)",
            inputs=described + ", compared with a float32 reference",
            rtol=1e-2,
            atol=1e-2,
        )


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """a loss over the real rows has finite gradients for q, k and v that match the reference"""
    torch.manual_seed(3)
    for shape, lengths in CASES:
        q, k, v, lens = _inputs(shape, lengths, device, torch.float64)
        described = _describe(shape, lengths, torch.float64)
        # a random weight per output value, zero in the padding rows: the padding rows are
        # left out of the loss, as a masked language-model loss leaves them out
        weight = torch.randn(shape, dtype=torch.float64).to(device)
        weight = weight * _real(lens, shape[2])[:, None, :, None]
        leaves = [remote.tensor(t.clone().requires_grad_()) for t in (q, k, v)]
        out = learner.attend(*leaves, lens)
        forward_finite = bool(plain(out, "attend(q, k, v, lengths)").isfinite().all())
        (out * weight).sum().backward()
        expected = [t.clone().requires_grad_() for t in (q, k, v)]
        (_reference(*expected, lens) * weight).sum().backward()
        for name, leaf, ref in zip("qkv", leaves, expected, strict=True):
            grad = leaf.grad
            assert grad is not None, (
                f"{name}.grad is None after backward (for {described}): the output is not "
                f"connected to {name}"
            )
            grad = plain(grad, f"{name}.grad")
            assert ref.grad is not None
            if not bool(grad.isfinite().all()):
                why = (
                    "The output is finite, but backward still multiplies by the NaN weights "
                    "of the padding rows (torch.where or nan_to_num on the output hides the "
                    "NaN from the forward pass only): 0 * NaN = NaN"
                    if forward_finite
                    else "The output itself holds NaN, and weight * NaN = NaN even where "
                    "weight is 0"
                )
                raise AssertionError(
                    f"{name}.grad holds {int((~grad.isfinite()).sum())} NaN or inf values after "
                    f"(out * weight).sum().backward(), with weight zero in the padding rows "
                    f"(for {described}). {why}. Keep NaN out of the attention weights "
                    "themselves, before they meet v"
                )
            assert_close(
                grad,
                ref.grad,
                what=f"{name}.grad after (out * weight).sum().backward()",
                inputs=described + ", weight random and zero in the padding rows",
            )


def test_gradcheck(learner: Any, device: torch.device) -> None:
    """attend passes float64 gradcheck, padding rows included"""
    torch.manual_seed(4)
    # small, so that finite differences stay cheap; sequence 0 has two padding rows
    q, k, v, lens = _inputs((2, 1, 3, 2), [1, 3], device, torch.float64)
    gradcheck64(
        learner.attend,
        q,
        k,
        v,
        lens,
        what="attend(q, k, v, lengths)",
        names=["q", "k", "v", "lengths"],
    )
