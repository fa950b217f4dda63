"""Hidden checks for custom-fn: ``SiLUFn``, a custom autograd Function for SiLU."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, gradcheck64, plain, saved_tensor_count

SHAPES = [(1,), (4, 7), (2, 3, 5)]
# float32 results from different but correct formulas differ by a few ulps
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _rand(
    shape: tuple[int, ...], device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    return (torch.randn(shape, dtype=dtype) * 3 + 0.3).to(device)


def _reference_grad(x: torch.Tensor, upstream: torch.Tensor) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_()
    F.silu(leaf).backward(upstream)
    assert leaf.grad is not None
    return leaf.grad


def _learner_grad(
    learner: Any, remote: Remote, x: torch.Tensor, upstream: torch.Tensor
) -> torch.Tensor:
    """x.grad after SiLUFn.apply(x).backward(upstream), all in the learner process."""
    leaf = remote.tensor(x.detach().clone().requires_grad_())
    out = learner.SiLUFn.apply(leaf)
    plain(out, "SiLUFn.apply(x)")  # a plain tensor, not an object faking backward
    out.backward(upstream)
    grad = leaf.grad
    assert grad is not None, "x.grad is None after backward: backward returned no gradient"
    return plain(grad, "x.grad")


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """SiLUFn.apply(x) equals F.silu(x) and leaves x unchanged"""
    torch.manual_seed(0)
    inputs = [_rand(s, device, dtype) for s in SHAPES for dtype in (torch.float32, torch.float64)]
    inputs.append(_rand((6, 5), device))  # made non-contiguous there: layout does not travel
    apply = learner.SiLUFn.apply
    for index, x in enumerate(inputs):
        last = index == len(inputs) - 1
        # the learner's code gets a tensor of its own process, transposed there for the last
        theirs = remote.eval("x.t()", x=x) if last else remote.tensor(x)
        x = x.t() if last else x
        before, expected = x.clone(), F.silu(x)
        described = f"x of shape {tuple(x.shape)}, {x.dtype}"
        got = apply(theirs)
        try:  # both back in one request
            after, got = remote.value((theirs, got))
        except TypeError:
            after = plain(theirs, "x")  # got is not plain data: assert_close names it
        assert torch.equal(after, before), (
            f"SiLUFn.apply(x) changed x in place ({described}): the caller's tensor must "
            "stay as it was; compute a new tensor instead"
        )
        tolerance = F32 if x.dtype == torch.float32 else {}
        assert_close(got, expected, what="SiLUFn.apply(x)", inputs=described, **tolerance)


def test_upstream_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """x.grad matches F.silu's for a random upstream gradient"""
    torch.manual_seed(1)
    for shape in SHAPES:
        x, upstream = _rand(shape, device), _rand(shape, device)
        assert_close(
            _learner_grad(learner, remote, x, upstream),
            _reference_grad(x, upstream),
            what="x.grad after SiLUFn.apply(x).backward(g)",
            inputs=f"x and a random upstream gradient g of shape {shape}",
            hint="backward gets dL/d(output) as grad_output and must return "
            "grad_output * silu'(x) (the chain rule)",
            **F32,
        )


def _gradcheck_input(device: torch.device) -> torch.Tensor:
    x = torch.randn(3, 4, dtype=torch.float64) * 2
    x[0] = torch.tensor([-14.5, -11.0, 10.5, 13.0], dtype=torch.float64)  # |x| > 10
    return x.to(device)


def test_gradcheck(learner: Any, device: torch.device) -> None:
    """backward passes float64 gradcheck, |x| up to 14.5"""
    torch.manual_seed(2)
    for x in (_rand((1,), device, torch.float64), _gradcheck_input(device)):
        gradcheck64(learner.SiLUFn.apply, x, what="SiLUFn.apply", names=["x"])


def test_gradgradcheck(learner: Any, device: torch.device) -> None:
    """second derivatives pass float64 gradgradcheck"""
    torch.manual_seed(3)
    for x in (_rand((1,), device, torch.float64), _gradcheck_input(device)):
        gradcheck64(learner.SiLUFn.apply, x, what="SiLUFn.apply", names=["x"], check_gradgrad=True)


def test_large_inputs(learner: Any, remote: Remote, device: torch.device) -> None:
    """large |x| gives finite outputs and gradients that match F.silu"""
    torch.manual_seed(4)
    magnitudes = torch.tensor([20.0, 37.5, 90.0, 250.0, 709.0, 712.0, 800.0], dtype=torch.float64)
    x = torch.cat([magnitudes, -magnitudes])[torch.randperm(14)].to(device)
    described = "float64 x = " + ", ".join(f"{v:g}" for v in x.tolist())
    got = learner.SiLUFn.apply(x)
    assert_close(got, F.silu(x), what="SiLUFn.apply(x)", inputs=described, hint=_overflow(got))
    upstream = _rand((14,), device, torch.float64)
    grad = _learner_grad(learner, remote, x, upstream)
    assert_close(
        grad, _reference_grad(x, upstream), what="x.grad", inputs=described, hint=_overflow(grad)
    )


def _overflow(got: torch.Tensor) -> str:
    if bool(plain(got).isfinite().all()):
        return ""
    return (
        "exp overflows to inf beyond |x| = 709 in float64 (88 in float32), and inf / inf is "
        "NaN; torch.sigmoid is computed stably, so build on it"
    )


def test_save_for_backward(learner: Any, remote: Remote, device: torch.device) -> None:
    """SiLUFn keeps x with ctx.save_for_backward"""
    x = remote.tensor(_rand((3, 4), device).requires_grad_())
    count = saved_tensor_count(learner.SiLUFn.apply, x)
    assert count > 0, (
        "SiLUFn.apply(x) saved no tensor with ctx.save_for_backward. A tensor kept as a ctx "
        "attribute (ctx.x = x) escapes autograd: an in-place change to x after forward then "
        "silently corrupts the gradient, and saved-tensor hooks (activation offloading, "
        "checkpointing) never see it"
    )


def test_inplace_after_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """changing x in place after forward cannot corrupt the gradient"""
    torch.manual_seed(5)
    start = _rand((4, 3), device, torch.float64)
    leaf = remote.tensor(start.clone().requires_grad_())
    x = leaf * 1.0  # not a leaf, so it may be changed in place
    out = learner.SiLUFn.apply(x)
    x.add_(1.5)
    upstream = _rand((4, 3), device, torch.float64)
    try:
        out.backward(upstream)
    except RuntimeError as exc:
        if "modified by an inplace operation" in str(exc):
            return  # autograd caught it: what save_for_backward is for
        raise
    grad = leaf.grad
    assert grad is not None, "x.grad is None after backward: backward returned no gradient"
    assert_close(
        grad,
        _reference_grad(start, upstream),
        what="x.grad",
        inputs="x changed by x.add_(1.5) between forward and backward",
        hint="backward used the changed x. Save x with ctx.save_for_backward: autograd then "
        "raises an error instead of returning a wrong gradient",
    )
