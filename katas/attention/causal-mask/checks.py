"""Hidden checks for causal-mask: ``attend(q, k, v, lengths)`` lets query i of sequence b
attend to the keys j with j <= i and j < lengths[b], through one mask for SDPA."""

import math
from typing import Any, NamedTuple

import torch

from trainer.checks import LearnerRaised, Remote, assert_close, plain


class Case(NamedTuple):
    batch: int
    heads: int
    tokens: int
    dim: int
    value_dim: int
    lengths: tuple[int, ...]
    dtype: torch.dtype = torch.float32


# distinct sizes inside a case; B and H are 1 somewhere; lengths include 1 and T
CASES = [
    Case(3, 2, 5, 4, 4, (5, 1, 3)),
    Case(2, 1, 7, 6, 6, (2, 7)),
    Case(1, 3, 4, 5, 5, (4,), torch.float64),
    Case(4, 2, 6, 3, 3, (1, 6, 4, 2)),
]
F32 = {"rtol": 1e-5, "atol": 1e-6}
MASK_RULES = (
    "In F.scaled_dot_product_attention a boolean attn_mask is True where a query MAY attend "
    "(the opposite of nn.MultiheadAttention's key_padding_mask), and a float mask is added to "
    "the scores, so a 0/1 float mask only nudges them. Query i may see key j when j <= i: "
    "torch.ones(T, T, dtype=torch.bool).tril(), combined with & with the real keys"
)
PADDED_RULES = (
    "A padded position i must see the keys j <= i that are real tokens (j < lengths[b]), "
    "never padding: the causal mask alone lets it read the padding before it. Combine both "
    "conditions in one boolean mask whose last axis is the keys, and pass it as attn_mask"
)


def _inputs(case: Case, device: torch.device) -> tuple[torch.Tensor, ...]:
    shape = (case.batch, case.heads, case.tokens)
    q = torch.randn(*shape, case.dim, dtype=case.dtype) * 1.5 + 0.3
    k = torch.randn(*shape, case.dim, dtype=case.dtype) * 1.2 - 0.2
    v = torch.randn(*shape, case.value_dim, dtype=case.dtype) * 2.0 + 0.5
    lengths = torch.tensor(case.lengths)
    return q.to(device), k.to(device), v.to(device), lengths.to(device)


def _reference(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Softmax attention by a loop over sequences and queries, in float64: query i of
    sequence b sees the keys j <= i with j < lengths[b]."""
    q64, k64, v64 = (t.detach().double().cpu() for t in (q, k, v))
    batch, heads, tokens, dim = q64.shape
    out = torch.empty(batch, heads, tokens, v64.shape[-1], dtype=torch.float64)
    for b in range(batch):
        length = int(lengths[b])
        for i in range(tokens):
            seen = min(i + 1, length)  # keys 0 .. seen-1
            scores = q64[b, :, i : i + 1] @ k64[b, :, :seen].transpose(-1, -2) / math.sqrt(dim)
            out[b, :, i] = (scores.softmax(-1) @ v64[b, :, :seen])[:, 0]
    return out.to(q.dtype).to(q.device)


def _describe(case: Case) -> str:
    sizes = f"B={case.batch}, H={case.heads}, T={case.tokens}, D={case.dim}"
    if case.value_dim != case.dim:
        sizes += f", Dv={case.value_dim}"
    return f"{sizes}, lengths={list(case.lengths)}, {case.dtype}"


def _kind(exc: BaseException) -> str:
    """The name of an exception's class, as the learner's code raised it."""
    return exc.short_type if isinstance(exc, LearnerRaised) else type(exc).__name__


def _attend(learner: Any, case: Case, *inputs: Any) -> torch.Tensor:
    """The learner's output, fetched, after checking it is a tensor of the right shape."""
    out = plain(learner.attend(*inputs), "attend(q, k, v, lengths)")
    expected = (case.batch, case.heads, case.tokens, case.value_dim)
    assert tuple(out.shape) == expected, (
        f"attend(q, k, v, lengths) returned shape {tuple(out.shape)}, expected {expected} "
        f"(B, H, T, Dv) for {_describe(case)}"
    )
    return out


def _compare_rows(
    got: torch.Tensor, expected: torch.Tensor, case: Case, rows: str, inputs: str
) -> None:
    """Compare the real rows (rows="real") or the padded rows (rows="padded") of each
    sequence, with the hint for that part of the mask."""
    tolerance = F32 if case.dtype == torch.float32 else {}
    for b, length in enumerate(case.lengths):
        if rows == "real":
            assert_close(
                got[b, :, :length],
                expected[b, :, :length],
                what=f"attend(...)[{b}, :, :{length}] (the real tokens of sequence {b})",
                inputs=inputs,
                hint=MASK_RULES,
                **tolerance,
            )
        elif length < case.tokens:
            assert_close(
                got[b, :, length:],
                expected[b, :, length:],
                what=f"attend(...)[{b}, :, {length}:] (the padded positions of sequence {b}, "
                f"whose length is {length})",
                inputs=inputs,
                hint=PADDED_RULES,
                **tolerance,
            )


def test_real_tokens(learner: Any, remote: Remote, device: torch.device) -> None:
    """each real token attends to itself and the tokens before it, and q, k, v stay unchanged"""
    torch.manual_seed(0)
    for case in CASES:
        q, k, v, lengths = _inputs(case, device)
        theirs = remote.tensor((q, k, v, lengths))  # tensors there, to see in-place changes
        got = _attend(learner, case, *theirs)
        _compare_rows(got, _reference(q, k, v, lengths), case, "real", _describe(case))
        after = remote.value(theirs)
        for name, before, now in zip("qkv", (q, k, v), after[:3], strict=True):
            assert torch.equal(now, before), (
                f"attend(q, k, v, lengths) changed {name} in place ({_describe(case)}): the "
                "caller's tensors must stay as they were. Mask the scores, never the inputs"
            )


def test_padded_positions(learner: Any, remote: Remote, device: torch.device) -> None:
    """a padded position attends to the real tokens only"""
    torch.manual_seed(1)
    for case in CASES:
        q, k, v, lengths = _inputs(case, device)
        got = _attend(learner, case, q, k, v, lengths)
        _compare_rows(got, _reference(q, k, v, lengths), case, "padded", _describe(case))


def test_padding_content(learner: Any, remote: Remote, device: torch.device) -> None:
    """what sits in the padding changes no output"""
    torch.manual_seed(2)
    for case in CASES[:2] + CASES[3:]:
        q, k, v, lengths = _inputs(case, device)
        clean = _attend(learner, case, q, k, v, lengths)
        pad = torch.arange(case.tokens, device=device) >= lengths[:, None]  # (B, T)
        pad = pad[:, None, :, None]
        junk_k = torch.where(pad, torch.full_like(k, 1e4), k)
        junk_v = torch.where(pad, torch.full_like(v, -1e4), v)
        dirty = _attend(learner, case, q, junk_k, junk_v, lengths)
        assert_close(
            dirty,
            clean,
            what="attend(q, k, v, lengths) with padded keys set to 1e4 and padded values to -1e4",
            inputs=f"{_describe(case)}, compared with the same call on the original k and v",
            hint="Some query, real or padded, still attends to padded keys. Key j of sequence "
            "b is padding when j >= lengths[b]; mask it for every query",
            **(F32 if case.dtype == torch.float32 else {}),
        )


def test_value_size_and_layout(learner: Any, remote: Remote, device: torch.device) -> None:
    """works when v has its own feature size and q is a non-contiguous view"""
    torch.manual_seed(3)
    for case in (Case(2, 3, 6, 4, 7, (6, 3)), Case(3, 1, 5, 8, 2, (1, 5, 2))):
        q, k, v, lengths = _inputs(case, device)
        # q arrives as a transposed view, its last axis strided: built there, as layout
        # does not travel
        stored = remote.tensor(q.transpose(-1, -2).contiguous())
        theirs_q = remote.eval("stored.transpose(-1, -2)", stored=stored)
        try:
            got = _attend(learner, case, theirs_q, k, v, lengths)
        except RuntimeError as exc:
            why = (
                "PyTorch documents that SDPA raises when attn_mask and is_causal=True are "
                "given together. On CPU the fused kernel happens to combine them, but the math "
                "kernel, chosen for inputs like these (and on other devices), raises. Put the "
                "causal rule into attn_mask itself and leave is_causal False"
                if "is_causal" in str(exc)
                else "v's last size may differ from q's and k's (the output has v's), and q "
                "may be any view"
            )
            raise AssertionError(
                f"attend(q, k, v, lengths) raised {_kind(exc)}: {exc} (for "
                f"{_describe(case)}, q non-contiguous). {why}"
            ) from exc
        described = f"{_describe(case)}, q non-contiguous"
        expected = _reference(q, k, v, lengths)
        _compare_rows(got, expected, case, "real", described)
        _compare_rows(got, expected, case, "padded", described)
