"""Hidden checks for batched-jacobian: ``jacobians(f, x (B, n), W)`` returns the (B, m, n)
per-sample Jacobians of f(x[b], W) with respect to x[b], W shared."""

from typing import Any

import torch

from trainer.checks import LearnerRaised, Remote, assert_close, plain

VMAP = "vmap(jacrev(f), in_dims=(0, None))(x, W): one Jacobian per row of x, W shared"
F32 = {"rtol": 1e-4, "atol": 1e-5}


def _quadratic(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """A layer with a quadratic term; x (n,) or (B, n), W (m, n)."""
    z = x @ W.T
    return torch.tanh(z) + 0.1 * z * z


def _gated(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """A gate scaled by the sample's norm, so every output depends on every input."""
    return torch.sigmoid(x @ W.T) * torch.linalg.vector_norm(x, dim=-1, keepdim=True)


FUNCTIONS = {"quadratic": _quadratic, "gated": _gated}
# (f, B, n, m, dtype, W requires grad): m != n, and B differs from both
CASES = [
    ("quadratic", 5, 4, 3, torch.float64, False),
    ("quadratic", 1, 4, 3, torch.float64, True),
    ("gated", 5, 2, 6, torch.float64, True),
    ("gated", 7, 3, 2, torch.float32, False),
]


def _inputs(
    b: int, n: int, m: int, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    x = (torch.randn(b, n, dtype=dtype) * 0.8 + 0.2).to(device)
    W = (torch.randn(m, n, dtype=dtype) * 0.7).to(device)
    return x, W


def _reference(name: str, x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """The oracle: torch.autograd.functional.jacobian, sample by sample, in float64."""
    f, W64 = FUNCTIONS[name], W.detach().double()
    rows = [
        torch.autograd.functional.jacobian(lambda xi: f(xi, W64), xi) for xi in x.detach().double()
    ]
    return torch.stack(rows).to(x.dtype)


def _describe(name: str, x: torch.Tensor, W: torch.Tensor, trained: bool) -> str:
    b, n = x.shape
    m = W.shape[0]
    grad = ", W requires grad" if trained else ""
    return f"f = {name}, x of shape ({b}, {n}), W of shape ({m}, {n}), {x.dtype}{grad}"


def _call(learner: Any, remote: Remote, case: tuple[Any, ...], device: torch.device) -> Any:
    """jacobians(f, x, W) in the learner process with f defined there; the learner's x and W,
    the expected result and a description come back too."""
    name, b, n, m, dtype, trained = case
    x, W = _inputs(b, n, m, dtype, device)
    f = remote.define(FUNCTIONS[name])
    their_x, their_W = remote.tensor(x), remote.tensor(W.clone().requires_grad_(trained))
    described = _describe(name, x, W, trained)
    try:
        got = learner.jacobians(f, their_x, their_W)
    except LearnerRaised as exc:
        if "vmap" not in str(exc) or "size" not in str(exc):
            raise
        raise AssertionError(
            f"jacobians(f, x, W) raised {exc.short_type} ({described}): {exc}. vmap splits "
            "every argument along dim 0 unless told otherwise, so it tried to split W's "
            f"{m} rows across the {b} samples. Share W: {VMAP}"
        ) from None
    return got, (their_x, their_W), (x, W), described


def _shape_hint(got: torch.Size, b: int, n: int, m: int) -> str:
    if tuple(got) == (b, m, b, n):
        return (
            "jacrev(f)(x, W) on the whole batch differentiates every output of every sample "
            "by every sample's input: B * B blocks, of which only the B on the diagonal are "
            f"wanted, at B times the cost. {VMAP}"
        )
    if tuple(got) == (b, n):
        return (
            "That is a gradient, one vector per sample: autograd.grad(f(x, W).sum(), x) sums "
            f"each Jacobian's m rows into one. A Jacobian has a row per output. {VMAP}"
        )
    if tuple(got) == (b, m, m, n):
        return (
            "That is each sample's Jacobian with respect to W (argnums=1), the shared weight: "
            f"differentiate with respect to the sample, argument 0. {VMAP}"
        )
    if tuple(got) == (b, n, m):
        return "J[b, i, j] is d f(x[b])[i] / d x[b, j]: outputs along dim 1, inputs along dim 2"
    return VMAP


def test_shape(learner: Any, remote: Remote, device: torch.device) -> None:
    """jacobians(f, x, W) holds one (m, n) Jacobian per sample: shape (B, m, n)"""
    torch.manual_seed(0)
    for case in CASES:
        got, _, (x, W), described = _call(learner, remote, case, device)
        got = plain(got, "jacobians(f, x, W)")
        b, n, m = x.shape[0], x.shape[1], W.shape[0]
        assert got.shape == (b, m, n), (
            f"jacobians(f, x, W) has shape {tuple(got.shape)}, expected ({b}, {m}, {n}) "
            f"({described}). {_shape_hint(got.shape, b, n, m)}"
        )


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """jacobians(f, x, W)[b] is the Jacobian of f(x[b], W) with respect to x[b]"""
    torch.manual_seed(1)
    for case in CASES:
        got, _, (x, W), described = _call(learner, remote, case, device)
        tolerance = F32 if x.dtype == torch.float32 else {}
        assert_close(
            got,
            _reference(case[0], x.cpu(), W.cpu()).to(device),
            what="jacobians(f, x, W)",
            inputs=described,
            hint=f"Row b must be the Jacobian of sample b alone, with the same W: {VMAP}",
            **tolerance,
        )


def test_inputs_untouched(learner: Any, remote: Remote, device: torch.device) -> None:
    """jacobians leaves x and W as they were, requires_grad included"""
    torch.manual_seed(2)
    for case in CASES[:3]:
        _, theirs, (x, W), described = _call(learner, remote, case, device)
        flags = remote.fetch("(x.requires_grad, W.requires_grad)", x=theirs[0], W=theirs[1])
        after_x, after_W = remote.fetch("(x.detach(), W.detach())", x=theirs[0], W=theirs[1])
        assert torch.equal(after_x, x) and torch.equal(after_W, W), (
            f"jacobians(f, x, W) changed x or W in place ({described})"
        )
        assert flags == (False, case[5]), (
            f"after jacobians(f, x, W), x.requires_grad is {flags[0]} and W.requires_grad is "
            f"{flags[1]}, expected {False} and {case[5]} as the caller passed them "
            f"({described}). x.requires_grad_() changes the caller's tensor: every later use "
            "of x (the loss, the next layer) now builds a graph back to it. Work on "
            f"x.detach().requires_grad_() if you need a leaf, or let torch.func do it: {VMAP}"
        )
