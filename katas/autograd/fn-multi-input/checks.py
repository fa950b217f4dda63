"""Hidden checks for fn-multi-input: ``ScaledMatmul``, a custom Function of three inputs."""

from collections.abc import Callable
from typing import Any

import torch

from trainer.checks import Remote, assert_close, gradcheck64, plain, saved_tensor_count

K, N = 3, 4  # x is (..., K), W is (K, N)
F32 = {"rtol": 1e-5, "atol": 1e-5}
# (x shape, scale, x non-contiguous): one row, 2-D, batched 3-D and 4-D
CASES: list[tuple[tuple[int, ...], float, bool]] = [
    ((1, K), 0.5, False),
    ((5, K), -1.75, False),
    ((2, 6, K), 0.3, True),
    ((2, 1, 5, K), 2.5, False),
]


def _rand(shape: tuple[int, ...], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return (torch.randn(shape, dtype=dtype) * 1.5 + 0.2).to(device)


def _x(
    shape: tuple[int, ...], device: torch.device, strided: bool, dtype: torch.dtype
) -> torch.Tensor:
    if not strided:
        return _rand(shape, device, dtype)
    # the same shape, but non-contiguous: the first two dimensions swapped in memory
    return _rand((shape[1], shape[0], *shape[2:]), device, dtype).transpose(0, 1)


def _w(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return _rand((N, K), device, dtype).t()  # non-contiguous, as W.t() of a Linear weight


def _theirs(remote: Remote, t: torch.Tensor, requires_grad: bool = False) -> Any:
    """A leaf copy of ``t`` in the learner process, with ``t``'s layout: tensors travel
    contiguous, so a transposed one is transposed again there."""
    swapped = [(i, i + 1) for i in range(t.dim() - 1) if t.stride(i) < t.stride(i + 1)]
    if not swapped:
        return remote.tensor(t.detach().clone().requires_grad_(requires_grad))
    i, j = swapped[0]
    return remote.eval(
        "base.transpose(i, j).requires_grad_(requires_grad)",
        base=t.detach().transpose(i, j).contiguous(),
        i=i,
        j=j,
        requires_grad=requires_grad,
    )


def _describe(shape: tuple[int, ...], scale: float, strided: bool = False) -> str:
    layout = "non-contiguous " if strided else ""
    return f"{layout}x of shape {shape}, W of shape {(K, N)}, scale={scale}"


def _backward(out: torch.Tensor, upstream: torch.Tensor, described: str) -> None:
    """out.backward(upstream), with autograd's complaints about backward's return explained."""
    try:
        out.backward(upstream)
    except RuntimeError as exc:
        text = str(exc)
        if "incorrect number of gradients" in text:
            why = (
                "backward must return one value per forward input, in order: "
                "(grad_x, grad_W, grad_scale), with None for scale, a Python number"
            )
        elif "not a Variable" in text or "different than None" in text:
            why = "scale is a Python number, not a tensor: its gradient must be None"
        elif "invalid gradient" in text:
            why = (
                "each returned gradient must have its input's shape: grad_x like x and grad_W "
                "like W, in the order of forward's inputs"
            )
        else:
            raise
        raise AssertionError(f"backward failed for {described}: {text}. {why}") from None


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """ScaledMatmul.apply(x, W, scale) equals scale * (x @ W)"""
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        W = _w(device, dtype)
        their_W = _theirs(remote, W)
        for shape, scale, strided in CASES:
            x = _x(shape, device, strided, dtype)
            their_x = _theirs(remote, x)
            described = f"{_describe(shape, scale, strided)}, {dtype}"
            got = learner.ScaledMatmul.apply(their_x, their_W, scale)
            x_after, W_after = plain(their_x, "x"), plain(their_W, "W")
            assert torch.equal(x_after, x) and torch.equal(W_after, W), (
                f"ScaledMatmul.apply changed x or W in place ({described})"
            )
            tolerance = F32 if dtype == torch.float32 else {}
            assert_close(
                got,
                scale * torch.matmul(x, W),
                what="ScaledMatmul.apply(x, W, scale)",
                inputs=described,
                **tolerance,
            )


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """x.grad and W.grad are right, for 2-D and batched x"""
    torch.manual_seed(1)
    for shape, scale, strided in CASES:
        described = _describe(shape, scale, strided)
        x = _x(shape, device, strided, torch.float32)
        W = _w(device, torch.float32)
        # leaves of the learner process (non-contiguous where x and W are), to read .grad
        their_x, their_W = _theirs(remote, x, True), _theirs(remote, W, True)
        out = learner.ScaledMatmul.apply(their_x, their_W, scale)
        plain(out, "ScaledMatmul.apply(x, W, scale)")
        upstream = _rand((*shape[:-1], N), device, torch.float32)
        _backward(out, upstream, described)
        x_ref = x.detach().clone().requires_grad_()
        W_ref = W.detach().clone().requires_grad_()
        (scale * torch.matmul(x_ref, W_ref)).backward(upstream)
        for name, got, ref in (("x", their_x, x_ref), ("W", their_W, W_ref)):
            grad = got.grad
            assert grad is not None, (
                f"{name}.grad is None after backward ({described}): backward returned None "
                f"for {name}, which requires grad"
            )
            assert ref.grad is not None
            assert_close(
                grad,
                ref.grad,
                what=f"{name}.grad",
                inputs=f"{described}, a random upstream gradient",
                hint="dL/dx = scale * grad_output @ W^T, and dL/dW = scale * x^T @ "
                "grad_output summed over all of x's batch dimensions",
                **F32,
            )


def test_gradcheck(learner: Any, remote: Remote, device: torch.device) -> None:
    """float64 gradcheck passes for 2-D and batched x"""
    torch.manual_seed(2)
    # W as the transpose of a Linear weight (non-contiguous), as the other checks pass it:
    # gradcheck's inputs travel contiguous, so the layout is made in the learner process
    apply = remote.eval(
        "lambda x, W, scale: learner.ScaledMatmul.apply(x, W.t().contiguous().t(), scale)"
    )
    for shape, scale in [((2, K), -0.6), ((2, 3, K), 1.3)]:
        gradcheck64(
            apply,
            _rand(shape, device, torch.float64),
            _w(device, torch.float64).contiguous(),  # made non-contiguous by apply
            scale,
            what="ScaledMatmul.apply",
            names=["x", "W", "scale"],
        )


class _CountProducts(torch.overrides.TorchFunctionMode):
    """Counts the matrix products torch is asked for while the mode is active (defined in the
    learner process, where backward runs)."""

    PRODUCTS = frozenset(
        {"matmul", "mm", "bmm", "einsum", "linear", "tensordot", "addmm", "baddbmm", "addbmm"}
        | {"mv", "addmv", "dot", "vdot", "inner", "chain_matmul", "multi_dot", "__rmatmul__"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(
        self,
        func: "Callable[..., Any]",
        types: object,
        args: "tuple[Any, ...]" = (),
        kwargs: "dict[str, Any] | None" = None,
    ) -> object:
        if getattr(func, "__name__", "") in self.PRODUCTS:
            self.count += 1
        return func(*args, **(kwargs or {}))


def _counted_backward(function: "Any", ctx: object, upstream: torch.Tensor) -> tuple[object, int]:
    """``function.backward(ctx, upstream)`` as autograd runs it (grad mode off, on this thread),
    and how many matrix products it asked for (defined in the learner process)."""
    counter = _CountProducts()
    with torch.no_grad(), counter:
        grads = function.backward(ctx, upstream)
    return grads, counter.count


def test_skips_frozen(learner: Any, remote: Remote, device: torch.device) -> None:
    """backward skips the product for a frozen W or a data x"""
    torch.manual_seed(3)
    shape, scale = (2, 6, K), 0.8
    remote.define(_CountProducts)
    counted_backward = remote.define(_counted_backward)
    for frozen, trained in (("W", "x"), ("x", "W")):
        x = _rand(shape, device, torch.float32)
        W = _w(device, torch.float32)
        their_x, their_W = _theirs(remote, x, trained == "x"), _theirs(remote, W, trained == "W")
        out = learner.ScaledMatmul.apply(their_x, their_W, scale)
        grad_fn = out.grad_fn
        assert grad_fn is not None, "ScaledMatmul.apply(x, W, scale) has no grad_fn"
        upstream = _rand((*shape[:-1], N), device, torch.float32)
        grads, count = counted_backward(learner.ScaledMatmul, grad_fn, upstream)
        described = f"{_describe(shape, scale)}, {frozen} frozen (requires_grad=False)"
        grads = grads if isinstance(grads, tuple) else (grads,)
        assert len(grads) == 3, (
            f"backward returned {len(grads)} values ({described}), expected 3: "
            "(grad_x, grad_W, None)"
        )
        assert type(count) is int and count <= 1, (
            f"backward computed {count} matrix products ({described}), expected 1: "
            f"nothing needs dL/d{frozen}, and for a large layer that product costs as much as "
            "the one you need. Check ctx.needs_input_grad (one flag per forward input) and "
            "return None for inputs that need no gradient"
        )
        got = grads[0] if trained == "x" else grads[1]
        assert got is not None, (
            f"backward returned None for {trained}, which requires grad ({described}): "
            "ctx.needs_input_grad[0] is x's flag, [1] is W's"
        )
        leaf = (x if trained == "x" else W).detach().clone().requires_grad_()
        ref = scale * (torch.matmul(leaf, W) if trained == "x" else torch.matmul(x, leaf))
        ref.backward(upstream)
        assert leaf.grad is not None
        assert_close(got, leaf.grad, what=f"the gradient for {trained}", inputs=described, **F32)


def test_save_for_backward(learner: Any, remote: Remote, device: torch.device) -> None:
    """ScaledMatmul keeps x and W with ctx.save_for_backward"""
    x = _theirs(remote, _rand((4, K), device, torch.float32), True)
    W = _theirs(remote, _w(device, torch.float32), True)
    count = saved_tensor_count(learner.ScaledMatmul.apply, x, W, 0.5)
    assert count >= 2, (
        f"ScaledMatmul.apply(x, W, 0.5) saved {count} tensor(s) with ctx.save_for_backward, "
        "expected x and W. A tensor kept as a ctx attribute escapes autograd's version check: "
        "if an optimizer step updates W in place before backward runs, the gradient is "
        "silently computed with the new W instead of raising an error"
    )
