"""Hidden checks for gradcheck-helper: ``check_backward`` must tell right from wrong backwards."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, same_device, type_name
from trainer.errors import LearnerRaised

# --------------------------------------------------------------------------- functions to judge
# All defined in the learner process (remote.define), where check_backward runs them: keep
# them self-contained, their annotations included (torch, nn, F and math are in scope there).


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx: object, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


class _SigmoidOnePercentOff(_Sigmoid):
    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y) * 1.01


class _SigmoidNoGradOutput(_Sigmoid):
    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return y * (1 - y)  # right only when grad_output is all ones


class _ELUPositiveSideOnly(torch.autograd.Function):
    """elu(x), whose backward uses the derivative for x > 0 (1) everywhere."""

    @staticmethod
    def forward(ctx: object, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return F.elu(x)

    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output.clone()


class _Bilinear(torch.autograd.Function):
    """x * y + sin(x), y broadcast over the rows of x."""

    @staticmethod
    def forward(ctx: object, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, y)
        return x * y + torch.sin(x)

    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = ctx.saved_tensors
        return grad_output * (y + torch.cos(x)), (grad_output * x).sum(0)


class _BilinearWrongY(_Bilinear):
    @staticmethod
    def backward(ctx: object, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = ctx.saved_tensors
        return grad_output * (y + torch.cos(x)), grad_output.sum(0)  # forgot the factor x


def _logsumexp(x: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(x, dim=-1)


def _tanh_exp(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x.tanh(), x.exp()


def _x_sin_x(x: torch.Tensor) -> torch.Tensor:
    return x * x.sin()


def _mixed(*xs: torch.Tensor) -> torch.Tensor:
    return xs[0].sin().sum() * xs[1].cos() + xs[2].square().sum()


class _Spy:
    """Calls fn, and records what each call was given: (shape, dtype, device, requires_grad)
    per tensor, the type's name for anything else."""

    def __init__(self, fn: object) -> None:
        self.fn = fn
        self.calls: list[list[object]] = []

    def __call__(self, *xs: object) -> object:
        self.calls.append(
            [
                (tuple(x.shape), x.dtype, x.device, x.requires_grad)
                if isinstance(x, torch.Tensor)
                else type(x).__name__
                for x in xs
            ]
        )
        return self.fn(*xs)


Shapes = tuple[tuple[int, ...], ...]
# (name shown to the learner, a Function (its apply is judged) or a function, shapes)
GOOD: list[tuple[str, object, Shapes]] = [
    ("a custom sigmoid", _Sigmoid, ((3, 4),)),
    ("x * y + sin(x), a custom Function of two inputs", _Bilinear, ((2, 3), (3,))),
    ("torch.logsumexp(x, dim=-1)", _logsumexp, ((4, 5),)),
    ("(tanh(x), exp(x)), two outputs", _tanh_exp, ((1,),)),
    ("x * sin(x) on a 0-dim x", _x_sin_x, ((),)),
]


def _spy_on(remote: Remote, fn: Any) -> Any:
    """A _Spy in the learner process around fn, defined there too (a Function's bases first,
    and its apply is what is called)."""
    if isinstance(fn, type):
        chain = [c for c in reversed(fn.__mro__) if c.__module__ == __name__]
        theirs = [remote.define(c) for c in chain][-1].apply
    else:
        theirs = remote.define(fn)
    return remote.define(_Spy)(theirs)


def _call(name: str, shapes: Shapes) -> str:
    shown = ", ".join(str(s) for s in shapes)
    return f"check_backward(<{name}>, {shown})"


def _judge(
    learner: Any, remote: Remote, name: str, fn: object, shapes: Shapes, device: Any
) -> tuple[object, Any]:
    """The helper's verdict on fn, and the spy (in the learner process) fn was called through."""
    spy = _spy_on(remote, fn)
    try:
        verdict = learner.check_backward(spy, *shapes, device=str(device))
    except LearnerRaised as exc:
        first = str(exc).strip().splitlines()[0].rstrip(".,") if str(exc).strip() else ""
        raise AssertionError(
            f"{_call(name, shapes)} raised {exc.short_type}: {first}. A helper for tests "
            "should answer True or False; gradcheck raises on a mismatch unless you pass "
            "raise_exception=False, and it needs at least one input that requires grad"
        ) from None
    return verdict, spy


def _dtypes(remote: Remote, spy: Any) -> set[torch.dtype]:
    """The dtypes of the tensors fn was called with, through spy."""
    calls: list[list[object]] = remote.value(spy.calls)
    return {x[1] for xs in calls for x in xs if isinstance(x, tuple)}


def _expect(
    learner: Any,
    remote: Remote,
    name: str,
    fn: object,
    shapes: Shapes,
    device: Any,
    want: bool,
    why: str,
) -> None:
    verdict, spy = _judge(learner, remote, name, fn, shapes, device)
    if verdict is want:
        return
    if not isinstance(verdict, bool):
        raise AssertionError(
            f"{_call(name, shapes)} returned {type_name(verdict)} {verdict!r}, "
            f"expected {want} (a bool)"
        )
    dtypes = ", ".join(sorted(str(d) for d in _dtypes(remote, spy))) or "nothing"
    raise AssertionError(
        f"{_call(name, shapes)} returned {verdict}, expected {want}: {why} "
        f"(fn was called with {dtypes} inputs)"
    )


# --------------------------------------------------------------------------- checks


def test_accepts_correct(learner: Any, remote: Remote, device: torch.device) -> None:
    """True for correct backward passes"""
    remote.torch.manual_seed(0)  # check_backward draws its inputs there
    for name, fn, shapes in GOOD:
        _expect(
            learner,
            remote,
            name,
            fn,
            shapes,
            device,
            True,
            "its backward is correct. In float32, finite differences with gradcheck's "
            "eps = 1e-6 are mostly rounding noise, so a correct backward fails",
        )


def test_rejects_wrong_derivative(learner: Any, remote: Remote, device: torch.device) -> None:
    """False for a slightly wrong derivative, and for one that ignores grad_output"""
    remote.torch.manual_seed(1)  # check_backward draws its inputs there
    _expect(
        learner,
        remote,
        "a sigmoid whose backward is 1% too large",
        _SigmoidOnePercentOff,
        ((3, 4),),
        device,
        False,
        "a backward 1% off is a bug. Loosening gradcheck's tolerances until float32 passes "
        "also lets bugs of this size through; float64 keeps the default tolerances meaningful",
    )
    _expect(
        learner,
        remote,
        "a sigmoid whose backward ignores grad_output",
        _SigmoidNoGradOutput,
        ((3, 4),),
        device,
        False,
        "that backward is right only when grad_output is all ones, as for out.sum(). "
        "Comparing the whole Jacobian (as gradcheck does) catches it; checking the gradient "
        "of out.sum() does not",
    )


def test_rejects_wrong_for_negative_inputs(
    learner: Any, remote: Remote, device: torch.device
) -> None:
    """False for a backward that is wrong only for negative inputs"""
    remote.torch.manual_seed(2)  # check_backward draws its inputs there
    _expect(
        learner,
        remote,
        "elu, whose backward is right for x > 0 only",
        _ELUPositiveSideOnly,
        ((3, 4),),
        device,
        False,
        "its backward is wrong wherever x < 0. Inputs from torch.rand are all in [0, 1), "
        "so they never reach that side; draw them with torch.randn",
    )


def test_rejects_wrong_second_input(learner: Any, remote: Remote, device: torch.device) -> None:
    """False when only the second input's gradient is wrong"""
    remote.torch.manual_seed(3)  # check_backward draws its inputs there
    _expect(
        learner,
        remote,
        "x * y + sin(x), whose gradient for y is wrong",
        _BilinearWrongY,
        ((2, 3), (3,)),
        device,
        False,
        "the gradient for y is wrong. gradcheck checks only the inputs that require grad: "
        "every input needs requires_grad=True",
    )


def test_inputs(learner: Any, remote: Remote, device: torch.device) -> None:
    """fn gets float64 inputs of the given shapes, on the given device"""
    remote.torch.manual_seed(4)  # check_backward draws its inputs there
    shapes = ((2, 3), (4,), (1, 5))
    spy = _spy_on(remote, _mixed)
    shown = _call("fn", shapes)
    learner.check_backward(spy, *shapes, device=str(device))
    calls: list[list[Any]] = remote.value(spy.calls)  # what each call was given, at once
    assert calls, f"{shown} never called fn"
    for xs in calls:
        got = [x[0] if isinstance(x, tuple) else x for x in xs]
        assert got == [tuple(s) for s in shapes], (
            f"{shown} called fn with inputs of shapes {got}, expected {list(shapes)}: one "
            "tensor per shape, in order"
        )
        for i, (_, dtype, on, _) in enumerate(xs):
            assert dtype == torch.float64, (
                f"{shown} called fn with input {i} in {dtype}, expected torch.float64: in "
                "float32 the finite differences are too noisy to judge a backward"
            )
            assert same_device(on, device), (
                f"{shown} called fn with input {i} on {on}, expected {device} (the device argument)"
            )
    assert any(all(x[3] for x in xs) for xs in calls), (
        f"{shown} never called fn with every input requiring grad, so some gradients were "
        "never checked"
    )


def test_default_dtype_untouched(learner: Any, remote: Remote, device: torch.device) -> None:
    """check_backward leaves torch's default dtype as it was"""
    remote.torch.manual_seed(5)  # check_backward draws its inputs there
    try:
        learner.check_backward(_spy_on(remote, _Sigmoid), (2, 3), device=str(device))
        dtype = remote.torch.get_default_dtype()  # the learner process's global setting
        assert dtype == torch.float32, (
            f"after check_backward(...), torch.get_default_dtype() is {dtype}, expected "
            "torch.float32: a test helper that changes global settings makes every test "
            "after it run differently. Ask for float64 where you create the inputs "
            "(dtype=torch.float64)"
        )
    finally:
        remote.torch.set_default_dtype(torch.float32)
