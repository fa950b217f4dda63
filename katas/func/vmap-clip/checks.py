"""Hidden checks for vmap-clip: ``clip_norm(x (D,))`` scales x to norm 1 when it is longer,
works under ``torch.func.vmap``, and has finite gradients, at the zero vector too."""

from typing import Any

import torch

from trainer.checks import LearnerRaised, Remote, assert_close, gradcheck64, plain

ARITHMETIC = (
    "Under vmap, the norm holds one value per row, so a Python if (or .item()) on it has no "
    "single answer. Write the clip as arithmetic: x / norm.clamp(min=1) divides long rows "
    "by their norm and short ones by 1"
)
FINITE = (
    "For the zero row, x / norm is 0 / 0 (and 1 / norm is 1 / 0), even where torch.where or a "
    "clamp then discards that value: backward still multiplies through its derivative, which "
    "is infinite there, and 0 * inf is NaN. Never divide by a value that can be 0: "
    "x / norm.clamp(min=1)"
)


def _rows(d: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Rows of norm 0 (the zero row), below 1 and above 1, in a shuffled order."""
    directions = torch.randn(6, d, dtype=dtype)
    directions /= torch.linalg.vector_norm(directions, dim=1, keepdim=True)
    norms = torch.tensor([0.0, 0.35, 0.8, 1.6, 4.0, 25.0], dtype=dtype)
    rows = directions * norms[:, None]
    return rows[torch.randperm(6)].to(device)


def _reference(rows: torch.Tensor) -> torch.Tensor:
    """The oracle: a loop over the rows, in float64."""
    out = []
    for row in rows.double().cpu():
        norm = float(torch.linalg.vector_norm(row))
        out.append(row / norm if norm > 1 else row)
    return torch.stack(out).to(rows.dtype).to(rows.device)


def _norms(rows: torch.Tensor) -> str:
    return "[" + ", ".join(f"{n:.3g}" for n in torch.linalg.vector_norm(rows, dim=1).tolist()) + "]"


def _vmapped(remote: Remote, learner: Any) -> Any:
    """vmap(clip_norm), built in the learner process."""
    return remote.torch.func.vmap(learner.clip_norm)


def _call_vmapped(fn: Any, x: Any, described: str) -> Any:
    try:
        return fn(x)
    except LearnerRaised as exc:
        if "vmap" not in str(exc):
            raise
        raise AssertionError(
            f"vmap(clip_norm)(x) raised {exc.short_type} ({described}): "
            f"{str(exc).split('. ')[0]}. {ARITHMETIC}"
        ) from None


def test_one_vector(learner: Any, remote: Remote, device: torch.device) -> None:
    """clip_norm(x) keeps a vector of norm at most 1 and scales a longer one to norm 1"""
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        rows = _rows(5, dtype, device)
        expected = _reference(rows)
        for row, want in zip(rows, expected, strict=True):
            theirs = remote.tensor(row)
            norm = float(torch.linalg.vector_norm(row))
            described = f"x of shape (5,), {dtype}, norm {norm:.3g}"
            got = learner.clip_norm(theirs)
            assert torch.equal(plain(theirs, "x"), row), (
                f"clip_norm(x) changed x in place ({described}): the caller's tensor must stay "
                "as it was (x /= ... writes into it; x / ... makes a new tensor)"
            )
            assert_close(got, want, what="clip_norm(x)", inputs=described)


def test_vmap(learner: Any, remote: Remote, device: torch.device) -> None:
    """vmap(clip_norm) clips each row of a batch on its own"""
    torch.manual_seed(1)
    clip = _vmapped(remote, learner)
    batches = [_rows(4, torch.float32, device), _rows(7, torch.float64, device)[:1]]
    for rows in batches:
        theirs = remote.tensor(rows)
        described = f"x of shape {tuple(rows.shape)}, {rows.dtype}, row norms {_norms(rows)}"
        got = _call_vmapped(clip, theirs, described)
        assert torch.equal(plain(theirs, "x"), rows), (
            f"vmap(clip_norm)(x) changed x in place ({described}): under vmap, an in-place "
            "operation on the argument writes into the caller's batch. Return a new tensor"
        )
        assert_close(got, _reference(rows), what="vmap(clip_norm)(x)", inputs=described)


def _reference_grad(rows: torch.Tensor, upstream: torch.Tensor) -> torch.Tensor:
    """d(sum(upstream * clip(rows))) / d rows, row by row, from the formula: g for a row of
    norm at most 1; (g - (g . u) u) / norm, with u = row / norm, for a longer one."""
    grads = []
    for row, g in zip(rows.double().cpu(), upstream.double().cpu(), strict=True):
        norm = float(torch.linalg.vector_norm(row))
        if norm <= 1:
            grads.append(g)
        else:
            u = row / norm
            grads.append((g - (g @ u) * u) / norm)
    return torch.stack(grads).to(rows.dtype).to(rows.device)


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """x.grad through vmap(clip_norm) is finite and right, for the zero row too"""
    torch.manual_seed(2)
    clip = _vmapped(remote, learner)
    rows = _rows(5, torch.float64, device)
    upstream = (torch.randn(6, 5, dtype=torch.float64) + 0.3).to(device)
    described = f"x of shape (6, 5), float64, row norms {_norms(rows)}, a random upstream gradient"
    leaf = remote.tensor(rows.clone().requires_grad_())
    _call_vmapped(clip, leaf, described).backward(upstream)
    grad = leaf.grad
    assert grad is not None, f"x.grad is None after vmap(clip_norm)(x).backward(g) ({described})"
    grad = plain(grad, "x.grad")
    bad = (~grad.isfinite()).any(dim=1).nonzero().flatten().tolist()
    if bad:
        norm = float(torch.linalg.vector_norm(rows[bad[0]]))
        raise AssertionError(
            f"x.grad[{bad[0]}] is {grad[bad[0]].tolist()} after vmap(clip_norm)(x).backward(g) "
            f"({described}); that row has norm {norm:.3g}. One NaN gradient turns every weight "
            f"into NaN at the next step. {FINITE}"
        )
    assert_close(grad, _reference_grad(rows, upstream), what="x.grad", inputs=described)


def test_gradcheck(learner: Any, remote: Remote, device: torch.device) -> None:
    """vmap(clip_norm) passes float64 gradcheck, with a zero row"""
    torch.manual_seed(3)
    rows = _rows(3, torch.float64, device)
    gradcheck64(_vmapped(remote, learner), rows, what="vmap(clip_norm)", names=["x"])
