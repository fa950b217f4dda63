"""Hidden checks for safe-distance: ``pairwise_dist(a, b)``, accurate far from the origin and
with finite gradients where points coincide."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
GRAD_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
DIRECT = "donot_use_mm_for_euclid_dist"
DOUBLE_WHERE = (
    "The root must never see 0: safe = torch.where(d2 > 0, d2, torch.ones_like(d2)), then "
    "torch.where(d2 > 0, safe.sqrt(), torch.zeros_like(d2)) (or d2.clamp_min(1e-30).sqrt())"
)
NO_EXPANSION = (
    "||a||² + ||b||² - 2 a·b subtracts numbers in the millions for coordinates around 1000, "
    "and float32 knows them only to about 0.1 (torch.cdist uses that formula too, for more "
    "than 25 points). Compute the differences directly: ((a[:, None] - b[None]) ** 2).sum(-1)"
)


def _reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact distances: float64, differences taken coordinate by coordinate."""
    return torch.cdist(a.double(), b.double(), compute_mode=DIRECT)


def _sets(n: int, m: int, d: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Two random point sets; b holds copies of some of a's points (distance 0)."""
    a = torch.randn(n, d, dtype=torch.float64) * 2 + 0.5
    b = torch.randn(m, d, dtype=torch.float64) * 2 - 0.3
    shared = min(n, m, 3)
    b[:shared] = a[torch.randperm(n)[:shared]]
    return a.to(dtype), b.to(dtype)


def _value_hint(got: torch.Tensor, expected: torch.Tensor, far: bool) -> str:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return ""
    if bool(got.isnan().any()):
        return "A squared distance came out negative before the root. " + NO_EXPANSION
    off = (got - expected).abs() > TOLERANCE["atol"] + TOLERANCE["rtol"] * expected.abs()
    zero = expected == 0
    if bool(off.any()) and bool((off <= zero).all()) and bool((got[off].abs() < 1e-3).all()):
        return (
            "Where points coincide the distance must be 0 (within 1e-5): an eps inside the "
            "root must be tiny (sqrt(d2 + 1e-12) is 1e-6 at 0, sqrt(d2 + 1e-8) is 1e-4)"
        )
    if far or (got.shape[0] > 25 and got.shape[1] > 25):
        return NO_EXPANSION
    return ""


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """pairwise_dist(a, b) gives the (N, M) Euclidean distances, 0 where points coincide"""
    torch.manual_seed(0)
    for n, m, d in ((1, 4, 3), (5, 6, 2), (4, 3, 1), (30, 28, 3)):
        for dtype in (torch.float32, torch.float64):
            a, b = (t.to(device) for t in _sets(n, m, d, dtype))
            got = plain(learner.pairwise_dist(a, b), "pairwise_dist(a, b)")
            expected = _reference(a, b).to(dtype)
            assert_close(
                got,
                expected,
                what="pairwise_dist(a, b)",
                inputs=f"{dtype} a of shape {(n, d)} and b of shape {(m, d)}, some points shared",
                hint=_value_hint(got, expected, far=False),
                **TOLERANCE,
            )
    a, b = (t.to(device) for t in _sets(6, 5, 3, torch.float32))
    theirs = remote.eval("(a.t().contiguous().t(), b.t().contiguous().t())", a=a, b=b)
    got = plain(learner.pairwise_dist(*theirs), "pairwise_dist(a, b)")
    assert_close(
        got,
        _reference(a, b).float(),
        what="pairwise_dist(a, b)",
        inputs="non-contiguous a (6, 3) and b (5, 3), stored column by column",
        **TOLERANCE,
    )


def test_far_from_origin(learner: Any, device: torch.device) -> None:
    """float32 points around 1000 give exact distances, and 0 (not NaN) on the diagonal"""
    torch.manual_seed(1)
    for n, d in ((30, 3), (4, 2)):
        a = (torch.randn(n, d, dtype=torch.float64) * 2 + 1000).float().to(device)
        got = plain(learner.pairwise_dist(a, a), "pairwise_dist(a, a)")
        expected = _reference(a, a).float()
        assert_close(
            got,
            expected,
            what="pairwise_dist(a, a)",
            inputs=f"float32 a of shape {(n, d)}, coordinates around 1000",
            hint=_value_hint(got, expected, far=True),
            **TOLERANCE,
        )


def _learner_grads(
    learner: Any, remote: Remote, a: torch.Tensor, b: torch.Tensor | None, upstream: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    """a.grad and b.grad after (pairwise_dist(a, b) * upstream).sum().backward(), computed in
    the learner process; b None means pairwise_dist(a, a)."""
    leaf_a = remote.tensor(a.clone().requires_grad_())
    leaf_b = leaf_a if b is None else remote.tensor(b.clone().requires_grad_())
    call = "pairwise_dist(a, a)" if b is None else "pairwise_dist(a, b)"
    out = learner.pairwise_dist(leaf_a, leaf_b)
    # (out * g).sum() rather than out.backward(g): the same gradient, without the slow
    # first import that an explicit gradient costs in torch 2.13
    (out * upstream).sum().backward()
    grad_a, grad_b = remote.fetch("(a.grad, b.grad)", a=leaf_a, b=leaf_b)
    assert grad_a is not None, f"a.grad is None after {call}.backward(g): no gradient reached a"
    if b is None:
        return plain(grad_a, "a.grad"), None, call
    assert grad_b is not None, f"b.grad is None after {call}.backward(g): no gradient reached b"
    return plain(grad_a, "a.grad"), plain(grad_b, "b.grad"), call


def _reference_grads(
    a: torch.Tensor, b: torch.Tensor | None, upstream: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The exact gradients, float64: cdist's direct form, whose gradient at 0 is 0."""
    leaf_a = a.double().requires_grad_()
    leaf_b = leaf_a if b is None else b.double().requires_grad_()
    (torch.cdist(leaf_a, leaf_b, compute_mode=DIRECT) * upstream.double()).sum().backward()
    assert leaf_a.grad is not None and leaf_b.grad is not None
    grad_a = leaf_a.grad.to(a.dtype)
    return grad_a, None if b is None else leaf_b.grad.to(a.dtype)


def _check_grads(
    learner: Any,
    remote: Remote,
    a: torch.Tensor,
    b: torch.Tensor | None,
    described: str,
    hint: str,
) -> None:
    upstream = torch.randn(a.shape[0], a.shape[0] if b is None else b.shape[0], dtype=a.dtype)
    upstream = upstream.to(a.device)
    got_a, got_b, call = _learner_grads(learner, remote, a, b, upstream)
    want_a, want_b = _reference_grads(a, b, upstream)
    pairs = [("a.grad", got_a, want_a)]
    if got_b is not None and want_b is not None:
        pairs.append(("b.grad", got_b, want_b))
    for name, got, want in pairs:
        finite = bool(got.isfinite().all())
        assert_close(
            got,
            want,
            what=f"{name} after ({call} * g).sum().backward()",
            inputs=described + ", random upstream gradient g",
            hint=hint if not finite else "",
            **GRAD_TOLERANCE,
        )


def test_gradient_apart(learner: Any, remote: Remote, device: torch.device) -> None:
    """where all points differ, the gradients are exact"""
    torch.manual_seed(2)
    for n, m, d, dtype in ((5, 4, 3, torch.float64), (1, 6, 2, torch.float32)):
        a = (torch.randn(n, d, dtype=dtype) * 2).to(device)
        b = (torch.randn(m, d, dtype=dtype) * 2 + 0.1).to(device)
        _check_grads(
            learner,
            remote,
            a,
            b,
            f"{dtype} a of shape {(n, d)} and b of shape {(m, d)}, no point shared",
            "",
        )


def test_gradient_coincident(learner: Any, remote: Remote, device: torch.device) -> None:
    """where points coincide, the gradients stay finite: 0 from those pairs, as torch.cdist"""
    torch.manual_seed(3)
    hint = (
        "sqrt's derivative is infinite at 0, and the chain rule multiplies it by 0 there: "
        "0 * inf is NaN. Adding eps after the root, or a single torch.where(d2 > 0, "
        "d2.sqrt(), 0), keeps the NaN, because autograd differentiates the unused branch too. "
        + DOUBLE_WHERE
    )
    for n, d, dtype in ((5, 3, torch.float64), (7, 2, torch.float32)):
        a = (torch.randn(n, d, dtype=dtype) * 2).to(device)
        _check_grads(
            learner, remote, a, None, f"{dtype} a of shape {(n, d)}, compared with itself", hint
        )
    a, b = (t.to(device) for t in _sets(4, 5, 3, torch.float64))
    _check_grads(learner, remote, a, b, "a (4, 3) and b (5, 3) sharing 3 points", hint)


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """pairwise_dist leaves a and b unchanged"""
    torch.manual_seed(4)
    a, b = (t.to(device) for t in _sets(5, 4, 3, torch.float32))
    theirs = (remote.tensor(a), remote.tensor(b))
    learner.pairwise_dist(*theirs)
    after = remote.value(theirs)
    for name, before, now in zip(("a", "b"), (a, b), after, strict=True):
        assert torch.equal(plain(now, name), before), (
            f"pairwise_dist(a, b) changed {name} in place (float32 a of shape (5, 3), b of "
            "shape (4, 3)): the caller's points must stay as they were (centring them, say, "
            "must happen on copies)"
        )
