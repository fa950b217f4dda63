"""Hidden checks for stable-logsumexp: ``logsumexp(x, dim, keepdim=False)`` from elementary
operations, equal to ``torch.logsumexp`` for huge values and infinite slices."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

INF = float("inf")
SHIFT = (
    "Shift by each slice's maximum: m = x.amax(dim, keepdim=True), then m + log(sum(exp(x - m)))"
)
GUARD = (
    "Where m is infinite, x - m is NaN (-inf - (-inf), inf - inf): shift by 0 there, "
    "torch.where(m.isfinite(), m, torch.zeros_like(m))"
)


def _scores(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """Random scores whose rows (along the first dimension) sit near -1000, 0 or +1000, so
    every reduction sees values that exp cannot take raw, and slices far apart."""
    x = torch.randn(shape, dtype=torch.float64) * 4
    offsets = torch.tensor([1000.0, -1000.0, 0.0, 1000.0, -1000.0, 500.0], dtype=torch.float64)
    x += offsets[torch.arange(shape[0]) % 6].reshape(-1, *([1] * (len(shape) - 1)))
    return x.to(dtype)


def _hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    """The likely cause, from what came back where."""
    if got.shape != expected.shape:
        return ""
    if bool((got.isnan() & ~expected.isnan()).any()):
        return GUARD
    if bool((got.isinf() & expected.isfinite()).any()):
        return (
            "exp overflows to inf beyond about 88 in float32 (709 in float64) and underflows "
            "to 0 below about -104, whose log is -inf. " + SHIFT + ", per slice along dim: a "
            "global maximum leaves slices far below it to underflow"
        )
    return ""


def test_values(learner: Any, device: torch.device) -> None:
    """logsumexp(x, dim, keepdim) equals torch.logsumexp for values from -1000 to 1000"""
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        x = _scores((6, 5, 3), dtype).to(device)
        for dim in (0, 1, 2, -1, -3):
            for keepdim in (False, True):
                got = learner.logsumexp(x, dim, keepdim)
                tensor = plain(got, f"logsumexp(x, {dim}, keepdim={keepdim})")
                expected = torch.logsumexp(x, dim, keepdim)
                assert_close(
                    tensor,
                    expected,
                    what=f"logsumexp(x, {dim}, keepdim={keepdim})",
                    inputs=f"{dtype} x of shape {tuple(x.shape)}, rows near -1000, 0 and 1000",
                    hint=_hint(tensor, expected),
                )
    for shape, dim in (((1, 7), 0), ((1, 7), 1), ((4, 1), 1), ((2, 1), 0)):  # size-1 slices
        x = _scores(shape, torch.float32).to(device)
        got = plain(learner.logsumexp(x, dim), f"logsumexp(x, {dim})")
        expected = torch.logsumexp(x, dim)
        assert_close(
            got,
            expected,
            what=f"logsumexp(x, {dim})",
            inputs=f"x of shape {shape}",
            hint=_hint(got, expected),
        )


def test_infinite_slices(learner: Any, device: torch.device) -> None:
    """a slice of all -inf gives -inf, and one holding inf gives inf"""
    torch.manual_seed(1)
    for dtype in (torch.float32, torch.float64):
        x = (torch.randn(6, 4, dtype=dtype) * 3 + 900).to(device)
        x[0] = -INF  # a path with probability 0 all the way
        x[1, 2] = INF
        x[2, 0], x[2, 3] = INF, -INF
        x[3, 1] = -INF  # finite, with one impossible entry
        x[4] = x[4] - 1800
        expected = torch.logsumexp(x, 1)
        for keepdim in (False, True):
            got = plain(learner.logsumexp(x, 1, keepdim), f"logsumexp(x, 1, keepdim={keepdim})")
            reference = torch.logsumexp(x, 1, keepdim)
            assert_close(
                got,
                reference,
                what=f"logsumexp(x, 1, keepdim={keepdim})",
                inputs=f"{dtype} rows [all -inf], [.., inf, ..], [inf, .., -inf], "
                "[.., -inf, ..], finite rows near 900 and -900",
                hint=_hint(got, reference),
            )
        transposed = plain(learner.logsumexp(x.t().contiguous(), 0), "logsumexp(x.t(), 0)")
        assert_close(
            transposed,
            expected,
            what="logsumexp(x.t(), 0)",
            inputs=f"{dtype}, the same rows as columns",
            hint=_hint(transposed, expected),
        )


def test_non_contiguous(learner: Any, remote: Remote, device: torch.device) -> None:
    """logsumexp works on non-contiguous inputs (transposed, strided)"""
    torch.manual_seed(2)
    x = _scores((6, 8), torch.float32).to(device)
    for make, expected_x, name in (
        ("x.t()", x.t(), "x.t()"),
        ("x[:, ::2]", x[:, ::2], "x[:, ::2]"),
    ):
        for dim in (0, 1):
            view = remote.eval(make, x=x)  # made there: layout does not travel
            try:
                got = learner.logsumexp(view, dim)
            except RuntimeError as exc:
                raise AssertionError(
                    f"logsumexp({name}, {dim}) raised for a non-contiguous input: "
                    f"{str(exc).splitlines()[0]}. Use reshape instead of view, or no "
                    "reshaping at all: amax, sum and broadcasting work on any layout"
                ) from None
            got = plain(got, f"logsumexp({name}, {dim})")
            expected = torch.logsumexp(expected_x, dim)
            assert_close(
                got,
                expected,
                what=f"logsumexp({name}, {dim})",
                inputs=f"x of shape {tuple(x.shape)}, rows near -1000, 0 and 1000",
                hint=_hint(got, expected),
            )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """on finite inputs, the gradient is softmax(x) along dim, times the upstream gradient"""
    torch.manual_seed(3)
    for dtype, shape, dim in (
        (torch.float64, (6, 5), 1),
        (torch.float32, (4, 3, 7), -2),
        (torch.float64, (1, 4), 0),
    ):
        x = _scores(shape, dtype).to(device)
        leaf = remote.tensor(x.clone().requires_grad_())
        out = learner.logsumexp(leaf, dim)
        upstream = torch.randn(torch.logsumexp(x, dim).shape, dtype=dtype).to(device)
        described = f"{dtype} x of shape {shape}, rows near -1000, 0 and 1000"
        value = plain(out, f"logsumexp(x, {dim})")
        assert value.shape == upstream.shape, (
            f"logsumexp(x, {dim}) has shape {tuple(value.shape)} for {described}, expected "
            f"{tuple(upstream.shape)}, as torch.logsumexp(x, {dim})"
        )
        try:
            # (out * g).sum() rather than out.backward(g): the same gradient, without the
            # slow first import that an explicit gradient costs in torch 2.13
            (out * upstream).sum().backward()
        except RuntimeError as exc:
            message = str(exc).splitlines()[0].rstrip(".")
            why = (
                " The output must stay connected to x: detach (if anything) only the shift m"
                if "does not require grad" in message
                else ""
            )
            raise AssertionError(
                f"logsumexp(x, {dim}).backward(g) raised for {described} and g of shape "
                f"{tuple(upstream.shape)}: {message}.{why}"
            ) from None
        grad = leaf.grad
        assert grad is not None, (
            f"x.grad is None after logsumexp(x, {dim}).backward(g) ({described}): the output "
            "does not depend on x through autograd"
        )
        grad = plain(grad, "x.grad")
        expected = torch.softmax(x, dim) * upstream.unsqueeze(dim)
        # float32: x - logsumexp(x) near 1000 is known to about 6e-5, and so is exp of it
        tolerance = {"rtol": 2e-4, "atol": 1e-5} if dtype == torch.float32 else {}
        assert_close(
            grad,
            expected,
            what=f"x.grad after logsumexp(x, {dim}).backward(g)",
            inputs=described + ", random upstream gradient g",
            hint=(
                "exp overflowed in the forward pass, and inf or NaN flowed back. " + SHIFT
                if not bool(grad.isfinite().all())
                else "The gradient of logsumexp is softmax: it must reach every entry of x "
                "through exp(x - m). Detach only the shift m, never the shifted values"
            ),
            **tolerance,
        )


class _Calls(torch.overrides.TorchFunctionMode):
    """Records the names of the torch functions called while active (defined in the learner
    process, where the learner's function runs)."""

    def __init__(self) -> "None":
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(
        self,
        func: "Any",
        types: "object",
        args: "tuple[Any, ...]" = (),
        kwargs: "dict[str, Any] | None" = None,
    ) -> "object":
        name = torch.overrides.resolve_name(func) or getattr(func, "__name__", "")
        self.names.append(name)
        return func(*args, **(kwargs or {}))


def _calls(fn: "Any", x: "torch.Tensor", dim: "int") -> "tuple[str, ...]":
    """The torch functions fn(x, dim) calls, in order (defined in the learner process)."""
    mode = _Calls()
    with mode:
        fn(x, dim)
    return tuple(mode.names)


def test_elementary(learner: Any, remote: Remote, device: torch.device) -> None:
    """logsumexp calls no torch logsumexp, softmax or log_softmax"""
    torch.manual_seed(4)
    remote.define(_Calls)
    x = _scores((3, 4), torch.float32).to(device)
    names = remote.define(_calls)(learner.logsumexp, x, 1)
    banned = [n for n in names if n.rpartition(".")[2] in ("logsumexp", "softmax", "log_softmax")]
    assert not banned, (
        f"logsumexp(x, 1) called {', '.join(sorted(set(banned)))}: the target compiler has "
        "no such operation. Build it from amax, exp, sum, log and where. " + SHIFT
    )


def test_input_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """logsumexp leaves x unchanged"""
    torch.manual_seed(5)
    x = _scores((4, 6), torch.float32).to(device)
    for dim in (1, 0):
        theirs = remote.tensor(x)
        learner.logsumexp(theirs, dim)
        assert torch.equal(plain(theirs, "x"), x), (
            f"logsumexp(x, {dim}) changed x in place (x of shape {tuple(x.shape)}): "
            "x -= m or x.sub_(m) overwrites the caller's scores, and fails on an x that "
            "requires grad. Compute x - m into a new tensor"
        )
