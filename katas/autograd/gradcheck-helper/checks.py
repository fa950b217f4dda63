"""Hidden checks for gradcheck-helper: ``check_backward`` must tell right from wrong backwards."""

from collections.abc import Callable
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import same_device

Fn = Callable[..., Any]


# --------------------------------------------------------------------------- functions to judge


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


class _SigmoidOnePercentOff(_Sigmoid):
    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y) * 1.01


class _SigmoidNoGradOutput(_Sigmoid):
    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return y * (1 - y)  # right only when grad_output is all ones


class _ELUPositiveSideOnly(torch.autograd.Function):
    """elu(x), whose backward uses the derivative for x > 0 (1) everywhere."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return F.elu(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output.clone()


class _Bilinear(torch.autograd.Function):
    """x * y + sin(x), y broadcast over the rows of x."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, y)
        return x * y + torch.sin(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = ctx.saved_tensors
        return grad_output * (y + torch.cos(x)), (grad_output * x).sum(0)


class _BilinearWrongY(_Bilinear):
    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = ctx.saved_tensors
        return grad_output * (y + torch.cos(x)), grad_output.sum(0)  # forgot the factor x


# (name shown to the learner, fn, shapes)
GOOD: list[tuple[str, Fn, tuple[tuple[int, ...], ...]]] = [
    ("a custom sigmoid", _Sigmoid.apply, ((3, 4),)),
    ("x * y + sin(x), a custom Function of two inputs", _Bilinear.apply, ((2, 3), (3,))),
    ("torch.logsumexp(x, dim=-1)", lambda x: torch.logsumexp(x, dim=-1), ((4, 5),)),
    ("(tanh(x), exp(x)), two outputs", lambda x: (x.tanh(), x.exp()), ((1,),)),
    ("x * sin(x) on a 0-dim x", lambda x: x * x.sin(), ((),)),
]


def _call(name: str, shapes: tuple[tuple[int, ...], ...]) -> str:
    shown = ", ".join(str(s) for s in shapes)
    return f"check_backward(<{name}>, {shown})"


def _judge(
    learner: ModuleType, name: str, fn: Fn, shapes: tuple[tuple[int, ...], ...], device: Any
) -> tuple[object, set[torch.dtype]]:
    """The helper's verdict on fn, and the dtypes fn was called with."""
    seen: set[torch.dtype] = set()

    def spy(*xs: torch.Tensor) -> Any:
        seen.update(x.dtype for x in xs if isinstance(x, torch.Tensor))
        return fn(*xs)

    try:
        verdict = learner.check_backward(spy, *shapes, device=str(device))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0].rstrip(".,") if str(exc).strip() else ""
        raise AssertionError(
            f"{_call(name, shapes)} raised {type(exc).__name__}: {first}. A helper for tests "
            "should answer True or False; gradcheck raises on a mismatch unless you pass "
            "raise_exception=False, and it needs at least one input that requires grad"
        ) from None
    return verdict, seen


def _expect(
    learner: ModuleType,
    name: str,
    fn: Fn,
    shapes: tuple[tuple[int, ...], ...],
    device: Any,
    want: bool,
    why: str,
) -> None:
    verdict, seen = _judge(learner, name, fn, shapes, device)
    if verdict is want:
        return
    if not isinstance(verdict, bool):
        raise AssertionError(
            f"{_call(name, shapes)} returned {type(verdict).__name__} {verdict!r}, "
            f"expected {want} (a bool)"
        )
    dtypes = ", ".join(sorted(str(d) for d in seen)) or "nothing"
    raise AssertionError(
        f"{_call(name, shapes)} returned {verdict}, expected {want}: {why} "
        f"(fn was called with {dtypes} inputs)"
    )


# --------------------------------------------------------------------------- checks


def test_accepts_correct(learner: ModuleType, device: torch.device) -> None:
    """True for correct backward passes"""
    torch.manual_seed(0)
    for name, fn, shapes in GOOD:
        _expect(
            learner,
            name,
            fn,
            shapes,
            device,
            True,
            "its backward is correct. In float32, finite differences with gradcheck's "
            "eps = 1e-6 are mostly rounding noise, so a correct backward fails",
        )


def test_rejects_wrong_derivative(learner: ModuleType, device: torch.device) -> None:
    """False for a slightly wrong derivative, and for one that ignores grad_output"""
    torch.manual_seed(1)
    _expect(
        learner,
        "a sigmoid whose backward is 1% too large",
        _SigmoidOnePercentOff.apply,
        ((3, 4),),
        device,
        False,
        "a backward 1% off is a bug. Loosening gradcheck's tolerances until float32 passes "
        "also lets bugs of this size through; float64 keeps the default tolerances meaningful",
    )
    _expect(
        learner,
        "a sigmoid whose backward ignores grad_output",
        _SigmoidNoGradOutput.apply,
        ((3, 4),),
        device,
        False,
        "that backward is right only when grad_output is all ones, as for out.sum(). "
        "Comparing the whole Jacobian (as gradcheck does) catches it; checking the gradient "
        "of out.sum() does not",
    )


def test_rejects_wrong_for_negative_inputs(learner: ModuleType, device: torch.device) -> None:
    """False for a backward that is wrong only for negative inputs"""
    torch.manual_seed(2)
    _expect(
        learner,
        "elu, whose backward is right for x > 0 only",
        _ELUPositiveSideOnly.apply,
        ((3, 4),),
        device,
        False,
        "its backward is wrong wherever x < 0. Inputs from torch.rand are all in [0, 1), "
        "so they never reach that side; draw them with torch.randn",
    )


def test_rejects_wrong_second_input(learner: ModuleType, device: torch.device) -> None:
    """False when only the second input's gradient is wrong"""
    torch.manual_seed(3)
    _expect(
        learner,
        "x * y + sin(x), whose gradient for y is wrong",
        _BilinearWrongY.apply,
        ((2, 3), (3,)),
        device,
        False,
        "the gradient for y is wrong. gradcheck checks only the inputs that require grad: "
        "every input needs requires_grad=True",
    )


def test_inputs(learner: ModuleType, device: torch.device) -> None:
    """fn gets float64 inputs of the given shapes, on the given device"""
    torch.manual_seed(4)
    shapes = ((2, 3), (4,), (1, 5))
    calls: list[list[torch.Tensor]] = []

    def record(*xs: torch.Tensor) -> torch.Tensor:
        calls.append(list(xs))
        return xs[0].sin().sum() * xs[1].cos() + xs[2].square().sum()

    shown = _call("fn", shapes)
    learner.check_backward(record, *shapes, device=str(device))
    assert calls, f"{shown} never called fn"
    for xs in calls:
        got = [tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__ for x in xs]
        assert got == [tuple(s) for s in shapes], (
            f"{shown} called fn with inputs of shapes {got}, expected {list(shapes)}: one "
            "tensor per shape, in order"
        )
        for i, x in enumerate(xs):
            assert x.dtype == torch.float64, (
                f"{shown} called fn with input {i} in {x.dtype}, expected torch.float64: in "
                "float32 the finite differences are too noisy to judge a backward"
            )
            assert same_device(x.device, device), (
                f"{shown} called fn with input {i} on {x.device}, expected {device} (the "
                "device argument)"
            )
    assert any(all(x.requires_grad for x in xs) for xs in calls), (
        f"{shown} never called fn with every input requiring grad, so some gradients were "
        "never checked"
    )


def test_default_dtype_untouched(learner: ModuleType, device: torch.device) -> None:
    """check_backward leaves torch's default dtype as it was"""
    torch.manual_seed(5)
    try:
        learner.check_backward(_Sigmoid.apply, (2, 3), device=str(device))
        dtype = torch.get_default_dtype()
        assert dtype == torch.float32, (
            f"after check_backward(...), torch.get_default_dtype() is {dtype}, expected "
            "torch.float32: a test helper that changes global settings makes every test "
            "after it run differently. Ask for float64 where you create the inputs "
            "(dtype=torch.float64)"
        )
    finally:
        torch.set_default_dtype(torch.float32)
