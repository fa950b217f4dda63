"""Hidden checks for view-vs-reshape: ``merge_heads`` turns (B, H, T, D) into (B, T, H*D)."""

from collections.abc import Callable
from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

Shape = tuple[int, int, int, int]
# (B, H, T, D), all distinct within a shape; size 1 in each position in turn
SHAPES: list[Shape] = [(2, 3, 5, 4), (1, 4, 6, 2), (3, 1, 7, 5), (2, 5, 1, 3), (4, 2, 3, 1)]

ORDER_HINT = (
    "out[b, t] must hold token t's features from head 0, then head 1, and so on: move the "
    "head axis next to the feature axis, (B, H, T, D) -> (B, T, H, D), before flattening. "
    "A view or reshape alone keeps the memory order and mixes tokens with heads"
)


def _reference(x: torch.Tensor) -> torch.Tensor:
    """A loop: out[b, t, h*D:(h+1)*D] = x[b, h, t, :]."""
    batch, n_heads, tokens, head_dim = x.shape
    out = torch.empty(batch, tokens, n_heads * head_dim, dtype=x.dtype, device=x.device)
    for b in range(batch):
        for h in range(n_heads):
            for t in range(tokens):
                out[b, t, h * head_dim : (h + 1) * head_dim] = x[b, h, t]
    return out


def _merge(learner: Any, x: Any, described: str) -> Any:
    try:
        return learner.merge_heads(x)
    except RuntimeError as exc:
        error = str(exc).rstrip(".")
        why = (
            ". view() never copies: it only re-labels memory, so it fails when the elements "
            "are not laid out in the order the new shape needs, as after transpose()"
            if "view size is not compatible" in error
            else ""
        )
        raise AssertionError(
            f"merge_heads(x) raised RuntimeError for {described}: {error}{why}"
        ) from None


def _describe(x: torch.Tensor, layout: str) -> str:
    return f"x of shape {tuple(x.shape)}, {x.dtype}, {layout}"


def test_contiguous(learner: Any, remote: Remote, device: torch.device) -> None:
    """merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d]"""
    torch.manual_seed(0)
    for i, shape in enumerate(SHAPES):
        dtype = torch.float64 if i % 2 else torch.float32
        before = (torch.randn(shape, dtype=dtype) * 2 + 0.5).to(device)
        described = _describe(before, "contiguous")
        x = remote.tensor(before)  # in the learner process, so that changes to it can be seen
        got = _merge(learner, x, described)
        # moving values never changes them, so the comparison is exact
        assert_close(
            got,
            _reference(before),
            what="merge_heads(x)",
            inputs=described,
            rtol=0,
            atol=0,
            hint=ORDER_HINT,
        )
        after = plain(x, "x")
        assert after.shape == before.shape and torch.equal(after, before), (
            f"merge_heads(x) changed x in place ({described}; afterwards x has shape "
            f"{tuple(after.shape)}): methods with a trailing underscore (transpose_, add_) "
            "modify the tensor they are called on, and the caller still needs x"
        )


def _randn(*size: int, device: torch.device) -> torch.Tensor:
    """Random values made on the CPU (the same on every device), then moved."""
    return (torch.randn(size) * 2 - 0.5).to(device)


# Each layout is a contiguous tensor and the view to make of it. The view is made on the
# device itself (.to(device) would compact a strided tensor), here and, since tensors travel
# to the learner process as contiguous copies, there as well.
View = Callable[[Any], Any]


def _transposed(shape: Shape, device: torch.device) -> tuple[torch.Tensor, View]:
    """The usual attention layout: computed as (B, T, H, D), then transpose(1, 2)."""
    batch, n_heads, tokens, head_dim = shape
    base = _randn(batch, tokens, n_heads, head_dim, device=device)
    return base, lambda t: t.transpose(1, 2)


def _sliced(shape: Shape, device: torch.device) -> tuple[torch.Tensor, View]:
    """Every other feature of a wider tensor."""
    return _randn(*shape[:3], 2 * shape[3], device=device), lambda t: t[..., ::2]


def _expanded(shape: Shape, device: torch.device) -> tuple[torch.Tensor, View]:
    """One head broadcast to all heads (stride 0 along H)."""
    batch, _, tokens, head_dim = shape
    return _randn(batch, 1, tokens, head_dim, device=device), lambda t: t.expand(shape)


def _as_strided(shape: Shape, device: torch.device) -> tuple[torch.Tensor, View]:
    """Memory ordered T, D, B, H (H innermost, padded by one), starting at an offset."""
    batch, n_heads, tokens, head_dim = shape
    s_h = 1
    s_b = n_heads + 1
    s_d = batch * s_b
    s_t = head_dim * s_d
    flat = _randn(3 + tokens * s_t, device=device)
    return flat, lambda t: t.as_strided(shape, (s_b, s_h, s_t, s_d), storage_offset=3)


LAYOUTS: list[tuple[str, Callable[[Shape, torch.device], tuple[torch.Tensor, View]]]] = [
    ("made by transpose(1, 2) of a (B, T, H, D) tensor", _transposed),
    ("a slice x[..., ::2] of a wider tensor", _sliced),
    ("expanded from one head", _expanded),
    ("made by as_strided with memory ordered T, D, B, H", _as_strided),
]


def test_non_contiguous(learner: Any, remote: Remote, device: torch.device) -> None:
    """merge_heads works on non-contiguous x: transposed, sliced, expanded, as_strided"""
    torch.manual_seed(1)
    for layout, make in LAYOUTS:
        for shape in ((2, 3, 5, 4), (3, 4, 2, 1), (1, 2, 6, 3)):
            base, view = make(shape, device)
            x = view(base)
            described = _describe(x, layout)
            expected = _reference(x)
            assert_close(
                _merge(learner, view(remote.tensor(base)), described),
                expected,
                what="merge_heads(x)",
                inputs=described,
                rtol=0,
                atol=0,
                hint=ORDER_HINT,
            )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients flow back through merge_heads to x"""
    torch.manual_seed(2)
    for shape in ((2, 3, 5, 4), (1, 2, 1, 3)):
        start = torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
        described = _describe(start, "requiring grad")
        x = remote.tensor(start)  # a leaf in the learner process, where backward runs
        out = _merge(learner, x, described)
        assert isinstance(out, torch.Tensor) and out.requires_grad, (
            f"merge_heads(x) does not require grad ({described}): the result must be computed "
            "from x with torch operations, so that training can backpropagate through it (no "
            ".detach(), .data, NumPy or .tolist() round trip)"
        )
        batch, n_heads, tokens, head_dim = shape
        expected = (batch, tokens, n_heads * head_dim)
        got = tuple(plain(out, "merge_heads(x)").shape)
        assert got == expected, f"merge_heads(x) has shape {got}, expected {expected} ({described})"
        upstream = torch.randn(expected, dtype=torch.float64).to(device)
        # (out * g).sum().backward() is out.backward(g); a scalar loss, as in training
        (out * upstream).sum().backward()
        leaf = start.detach().clone().requires_grad_()
        (_reference(leaf) * upstream).sum().backward()
        grad = x.grad
        assert grad is not None, f"x.grad is None after backward ({described})"
        assert_close(
            grad,
            leaf.grad,
            what="x.grad after merge_heads(x).backward(g)",
            inputs=f"{described} and a random upstream gradient g",
        )


def test_split_heads_unchanged(learner: Any, device: torch.device) -> None:
    """split_heads still splits (B, T, H*D) into (B, H, T, D)"""
    torch.manual_seed(3)
    for batch, n_heads, tokens, head_dim in ((2, 3, 5, 4), (1, 4, 1, 2)):
        y = (torch.randn(batch, tokens, n_heads * head_dim) * 2 + 0.5).to(device)
        expected = torch.empty(batch, n_heads, tokens, head_dim, device=device)
        for h in range(n_heads):
            expected[:, h] = y[:, :, h * head_dim : (h + 1) * head_dim]
        assert_close(
            learner.split_heads(y, n_heads),
            expected,
            what=f"split_heads(y, n_heads={n_heads})",
            inputs=f"y of shape {tuple(y.shape)}",
            rtol=0,
            atol=0,
            hint="split_heads was correct: out[b, h, t, d] == y[b, t, h*D + d]. Leave it as it "
            "was and fix merge_heads alone",
        )
