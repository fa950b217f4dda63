"""trainer.checks: every helper accepts the right thing and rejects the wrong one, saying why."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from trainer import checks
from trainer.checks import (
    TF32_RTOL,
    assert_close,
    assert_same_names,
    default_tolerances,
    forbid,
    gradcheck64,
    plain,
    same_device,
    saved_tensor_count,
    sgd_step,
    tf32_enabled,
    tolerance_floor,
    tolerances_for,
    torch_call_count,
)
from trainer.grading.judge.link import Link, learner_pid_reason
from trainer.grading.judge.remote import Remote
from trainer.grading.learner.server import serve


def failure(call: Callable[[], object]) -> str:
    """The AssertionError message ``call`` fails with (a learner-facing failure)."""
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


class MyTensor(torch.Tensor):
    """A tensor subclass: it could override comparisons, so it is never trusted."""


class AlwaysEqual:
    """Not a tensor at all, but claims to equal anything, even through torch functions."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def __torch_function__(
        cls,
        func: Callable[..., Any],
        types: tuple[type, ...],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> bool:
        return True


# -- plain -----------------------------------------------------------------------------------


def test_plain_returns_a_detached_plain_tensor_sharing_storage() -> None:
    x = torch.randn(3, requires_grad=True)
    out = plain(x)
    assert type(out) is torch.Tensor
    assert not out.requires_grad
    assert out.data_ptr() == x.data_ptr()


def test_plain_unwraps_a_parameter_to_a_plain_tensor() -> None:
    out = plain(torch.nn.Parameter(torch.randn(2, 3)))
    assert type(out) is torch.Tensor
    assert out.shape == (2, 3)


def test_plain_refuses_a_tensor_subclass() -> None:
    fake = torch.randn(3).as_subclass(MyTensor)
    assert failure(lambda: plain(fake)) == (
        "your output is a MyTensor (a torch.Tensor subclass), expected a plain torch.Tensor"
    )


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (AlwaysEqual(), "an AlwaysEqual"),
        ([1.0, 2.0], "a list"),
        (None, "None"),
        (torch.randn(3).numpy(), "a ndarray"),
    ],
)
def test_plain_refuses_non_tensors(value: object, described: str) -> None:
    message = failure(lambda: plain(value, "Scale(x)"))
    assert message == f"Scale(x) is {described}, expected a plain torch.Tensor"


def test_plain_ignores_an_instance_attribute_shadowing_detach() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.detach = lambda: torch.zeros(3)  # type: ignore[method-assign]
    assert plain(x).tolist() == [1.0, 2.0, 3.0]


# -- assert_close ------------------------------------------------------------------------------


def test_assert_close_accepts_equal_and_nearly_equal_values() -> None:
    x = torch.randn(4, 5)
    assert_close(x.clone(), x)
    assert_close(x * (1 + 1e-7), x)
    assert_close(torch.tensor(3), torch.tensor(3))
    assert_close(torch.tensor([True, False]), torch.tensor([True, False]))


def test_assert_close_refuses_a_subclass_and_a_fake_equal_object() -> None:
    x = torch.randn(3)
    assert "MyTensor (a torch.Tensor subclass)" in failure(
        lambda: assert_close(x.as_subclass(MyTensor), x)
    )
    assert "is an AlwaysEqual, expected a plain torch.Tensor" in failure(
        lambda: assert_close(AlwaysEqual(), x)
    )


def test_assert_close_reports_shape_first_with_the_input() -> None:
    message = failure(
        lambda: assert_close(
            torch.zeros(3, 1, dtype=torch.int64), torch.zeros(3), inputs="x of shape (3, 5)"
        )
    )
    assert message == "your output has shape (3, 1), expected (3,) (for x of shape (3, 5))"


def test_assert_close_reports_dtype_then_device() -> None:
    assert failure(lambda: assert_close(torch.zeros(2), torch.zeros(2, dtype=torch.float64))) == (
        "your output has dtype torch.float32, expected torch.float64"
    )
    on_meta = torch.zeros(2, device="meta")
    assert failure(lambda: assert_close(on_meta, torch.zeros(2), what="y")) == (
        "y is on meta, expected cpu"
    )


def test_assert_close_names_the_worst_element_errors_and_tolerance() -> None:
    expected = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    got = expected.clone()
    got[0, 1] = 2.001
    got[1, 2] = 6.5
    message = failure(lambda: assert_close(got, expected, what="f(x)", inputs="x (2, 3)"))
    assert message.startswith("f(x) (for x (2, 3)): 2 of 6 values are off; worst at index [1, 2]:")
    assert "got 6.5, expected 6 (abs error 0.5, rel error 0.0833)" in message
    assert "max abs error 0.5, max rel error 0.0833" in message
    assert "allowed |got - expected| <= 1e-05 + 1.3e-06 * |expected|" in message


def test_assert_close_uses_given_tolerances_and_appends_the_hint() -> None:
    expected = torch.tensor([1.0, 2.0])
    assert_close(expected + 0.01, expected, atol=0.02)
    message = failure(lambda: assert_close(expected + 0.01, expected, rtol=0.0, hint="Check it"))
    assert message.endswith(". Check it")


def test_assert_close_names_nan_and_inf_mismatches() -> None:
    expected = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    got = expected.clone()
    got[1] = float("nan")
    assert failure(lambda: assert_close(got, expected)) == (
        "your output: got NaN at index [1], expected 1 (1 of 3 values have a NaN mismatch)"
    )
    got[1] = float("inf")
    assert "got inf at index [1], expected 1 (1 of 3 values have an infinity mismatch)" in (
        failure(lambda: assert_close(got, expected))
    )
    both_inf = torch.tensor([float("inf"), -float("inf")])
    assert_close(both_inf.clone(), both_inf)


def test_assert_close_nan_matches_nan_only_with_equal_nan() -> None:
    x = torch.tensor([1.0, float("nan")])
    assert "NaN mismatch" in failure(lambda: assert_close(x.clone(), x))
    assert_close(x.clone(), x, equal_nan=True)


def test_assert_close_is_exact_for_integers() -> None:
    message = failure(lambda: assert_close(torch.tensor([1, 2, 4]), torch.tensor([1, 2, 3])))
    assert message == "your output: 1 of 3 values differ; first at index [2]: got 4, expected 3"


def test_assert_close_refuses_an_author_passing_a_non_tensor_expectation() -> None:
    with pytest.raises(TypeError):
        assert_close(torch.zeros(1), 0.0)  # type: ignore[arg-type]


def test_default_tolerances_follow_torch_testing() -> None:
    assert default_tolerances(torch.float32) == (1.3e-6, 1e-5)
    assert default_tolerances(torch.int64) == (0.0, 0.0)


# -- tolerances by device ------------------------------------------------------------------------

FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64)
EXACT = (torch.int64, torch.int32, torch.uint8, torch.bool)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cpu_tolerances_are_torch_testings_wherever_asked(dtype: torch.dtype) -> None:
    """The existing catalog was written against these: nothing about a CPU grading changed."""
    from torch.testing._comparison import default_tolerances as torch_defaults

    expected = torch_defaults(dtype)
    assert tolerances_for(dtype) == expected
    assert tolerances_for(dtype, "cpu", tf32=True, scale=1e3) == expected
    assert default_tolerances(dtype) == default_tolerances(dtype, "cpu") == expected
    assert default_tolerances(dtype, torch.device("cpu")) == expected


@pytest.mark.parametrize("device_type", ["cpu", "cuda", "mps"])
@pytest.mark.parametrize("dtype", EXACT)
def test_integers_and_bool_are_exact_on_every_device(dtype: torch.dtype, device_type: str) -> None:
    assert tolerances_for(dtype, device_type, tf32=True, nondeterministic=True) == (0.0, 0.0)
    assert tolerance_floor(dtype, device_type, tf32=True, scale=5.0) == (0.0, 0.0)


def test_cuda_float32_is_loosened_only_when_tf32_is_allowed() -> None:
    assert tolerances_for(torch.float32, "cuda", tf32=False) == (1.3e-6, 1e-5)
    assert tolerances_for(torch.float32, "cuda", tf32=True, scale=8.0) == (TF32_RTOL, TF32_RTOL * 8)
    assert tolerances_for(torch.complex64, "cuda", tf32=True) == (TF32_RTOL, TF32_RTOL)
    assert tolerances_for(torch.float64, "cuda", tf32=True) == (1e-7, 1e-7)  # IEEE on a GPU too
    assert tolerance_floor(torch.float32, "cuda", tf32=True, scale=2.0) == (TF32_RTOL, 0.01)
    assert tolerance_floor(torch.float32, "cuda", tf32=False) == (0.0, 0.0)
    assert tolerance_floor(torch.float32, "mps", tf32=True) == (0.0, 0.0)  # TF32 is NVIDIA's


def test_gpu_half_precision_scales_its_absolute_tolerance_with_the_values() -> None:
    """float16 sums on a GPU may accumulate in float16: the error grows with the magnitudes."""
    assert tolerances_for(torch.float16, "cuda", scale=100.0) == (1e-3, 1e-3 * 100)
    assert tolerances_for(torch.bfloat16, "cuda", scale=2.0) == (1.6e-2, 1.6e-2 * 2)
    assert tolerances_for(torch.float16, "mps") == (1e-3, 1e-3)
    assert tolerances_for(torch.float32, "mps") == (1e-5, 1e-5)
    assert tolerance_floor(torch.float16, "cuda", tf32=False, scale=4.0) == (1e-3, 4e-3)


def test_nondeterministic_widens_floating_tolerances_tenfold() -> None:
    assert tolerances_for(torch.float32, nondeterministic=True) == pytest.approx((1.3e-5, 1e-4))
    rtol, atol = tolerances_for(torch.float32, "cuda", tf32=True, nondeterministic=True, scale=3)
    assert rtol == pytest.approx(10 * TF32_RTOL) and atol == pytest.approx(10 * TF32_RTOL * 3)


def test_default_tolerances_on_cuda_read_the_tf32_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "tf32_enabled", lambda: True)
    assert default_tolerances(torch.float32, "cuda:1", scale=2.0) == (TF32_RTOL, TF32_RTOL * 2)
    assert default_tolerances(torch.float32, "cpu") == (1.3e-6, 1e-5)
    monkeypatch.setattr(checks, "tf32_enabled", lambda: False)
    assert default_tolerances(torch.float32, "cuda") == (1.3e-6, 1e-5)


def test_tf32_enabled_follows_torchs_matmul_and_cudnn_flags() -> None:
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        assert tf32_enabled() is False
        torch.backends.cudnn.allow_tf32 = True  # cuDNN's default: convolutions in TF32
        assert tf32_enabled() is True
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("high")
        assert tf32_enabled() is True
    finally:
        torch.set_float32_matmul_precision("highest")
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = cudnn


def test_assert_close_keeps_explicit_tolerances_on_the_cpu() -> None:
    expected = torch.tensor([1.0, 2.0])
    nearly = expected + torch.tensor([0.0, 2e-6])
    assert_close(nearly, expected)  # within the float32 default
    message = failure(lambda: assert_close(nearly, expected, rtol=1e-7, atol=0.0))
    assert "allowed |got - expected| <= 0 + 1e-07 * |expected|" in message
    assert "a tolerance for" not in message  # no device note on the CPU


def test_assert_close_nondeterministic_allows_reordering_errors_of_the_largest_sums() -> None:
    """An atomic scatter_add on a GPU rounds in a different order each run: the error follows
    the largest magnitudes involved, so it may exceed float32's default on small entries."""
    expected = torch.tensor([1000.0, 0.5, -3.0])
    reordered = expected + torch.tensor([5e-3, 2e-5, -1e-4])
    assert "3 of 3 values are off" in failure(lambda: assert_close(reordered, expected))
    assert_close(reordered, expected, nondeterministic=True)
    wrong = expected + torch.tensor([0.0, 0.1, 0.0])
    assert "1 of 3 values are off" in failure(
        lambda: assert_close(wrong, expected, nondeterministic=True)
    )


# -- gradcheck64 -------------------------------------------------------------------------------


class GoodSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = ctx.saved_tensors[0]
        return 2 * x * grad


class WrongSquare(GoodSquare):
    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = ctx.saved_tensors[0]
        return x * grad  # the 2 is missing


class DetachedSquare(GoodSquare):
    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = ctx.saved_tensors[0]
        return 2 * x.detach() * grad  # right value, but not differentiable again


class RaisingSquare(GoodSquare):
    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("TODO")


class ScaleByAttribute(torch.autograd.Function):
    """Keeps x as a ctx attribute: right gradient, nothing saved through autograd."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = ctx.x
        return 2 * x * grad


def test_gradcheck64_passes_a_correct_backward_given_float32_and_non_tensor_inputs() -> None:
    gradcheck64(GoodSquare.apply, torch.randn(3, 2), check_gradgrad=True)
    gradcheck64(lambda x, k: torch.sigmoid(x) * k, torch.randn(4), 3.0)


def test_gradcheck64_names_the_wrong_jacobian_entry() -> None:
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    message = failure(lambda: gradcheck64(WrongSquare.apply, x, what="Sq.apply", names=["x"]))
    assert message.startswith("the gradient of Sq.apply (for x of shape (2, 2)) is wrong: ")
    assert "d output[1, 1] / d x[1, 1]: your backward gives 3, finite differences give 6" in (
        message
    )
    assert "4 of 16 Jacobian entries differ" in message
    assert "numerical:" not in message  # not gradcheck's printed matrices


def test_gradcheck64_names_the_input_whose_gradient_is_wrong() -> None:
    square: Callable[[torch.Tensor], torch.Tensor] = WrongSquare.apply

    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + square(b)

    a, b = torch.randn(3, 2), torch.tensor([1.0, -2.0])
    message = failure(lambda: gradcheck64(fn, a, b, names=["a", "b"]))
    assert "/ d b[" in message
    assert "a of shape (3, 2), b of shape (2,)" in message


def test_gradcheck64_catches_wrong_second_derivatives_only_when_asked() -> None:
    gradcheck64(DetachedSquare.apply, torch.randn(3))
    message = failure(
        lambda: gradcheck64(DetachedSquare.apply, torch.randn(3), names=["x"], check_gradgrad=True)
    )
    assert message.startswith("the second derivatives of your function (for x of shape (3,))")
    assert "d (dL/dx)[" in message and "double backward gives 0" in message


def test_gradcheck64_turns_a_raising_backward_into_a_short_message() -> None:
    message = failure(lambda: gradcheck64(RaisingSquare.apply, torch.randn(2)))
    assert message.endswith("NotImplementedError: TODO")
    assert "\n" not in message


def test_gradcheck64_refuses_author_mistakes() -> None:
    with pytest.raises(TypeError, match="2 names for 1 inputs"):
        gradcheck64(GoodSquare.apply, torch.randn(2), names=["x", "y"])
    with pytest.raises(TypeError, match="no floating-point tensor"):
        gradcheck64(GoodSquare.apply, torch.arange(3))


# -- saved_tensor_count ------------------------------------------------------------------------


def test_saved_tensor_count_sees_save_for_backward_and_builtin_ops() -> None:
    x = torch.randn(3, requires_grad=True)
    assert saved_tensor_count(GoodSquare.apply, x) == 1
    assert saved_tensor_count(torch.exp, x) == 1  # exp saves its result
    assert saved_tensor_count(lambda t: t + 1, x) == 0


def test_saved_tensor_count_misses_ctx_attributes_and_no_grad_inputs() -> None:
    assert saved_tensor_count(ScaleByAttribute.apply, torch.randn(3, requires_grad=True)) == 0
    assert saved_tensor_count(GoodSquare.apply, torch.randn(3)) == 0


# -- forbid ------------------------------------------------------------------------------------


def learner_module(tmp_path: Path, source: str) -> ModuleType:
    path = tmp_path / "learner_file.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("learner_file", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOURCE = '''"""Mentions .data and x.item() in a docstring, which must not count."""
import torch


def clamp(s):
    # s.data in a comment must not count either
    s.data.clamp_(0, 1)
    with torch.no_grad():
        return s.data * s.sum().item()
'''


def test_forbid_finds_data_with_line_code_and_reason(tmp_path: Path) -> None:
    module = learner_module(tmp_path, SOURCE)
    message = failure(lambda: forbid(module, ".data", why="Use .detach() instead."))
    assert message == (
        "line 7 of your file uses .data: `s.data.clamp_(0, 1)` (and 1 more line). "
        "Use .detach() instead."
    )


@pytest.mark.parametrize(
    ("construct", "line"),
    [("item()", 9), (".item()", 9), ("torch.no_grad()", 8), ("no_grad", 8), ("clamp_()", 7)],
)
def test_forbid_matches_calls_and_names(tmp_path: Path, construct: str, line: int) -> None:
    module = learner_module(tmp_path, SOURCE)
    assert failure(lambda: forbid(module, construct, why="No.")).startswith(f"line {line} ")


def test_forbid_passes_clean_code_and_ignores_strings_and_comments(tmp_path: Path) -> None:
    module = learner_module(tmp_path, SOURCE)
    forbid(module, ".grad", why="unused")
    forbid(module, "cuda()", why="unused")
    clean = learner_module(tmp_path, 'text = "x.data"  # y.data\n')
    forbid(clean, ".data", why="unused")


def test_forbid_refuses_a_construct_it_cannot_read(tmp_path: Path) -> None:
    module = learner_module(tmp_path, SOURCE)
    with pytest.raises(ValueError, match="cannot read construct"):
        forbid(module, "x[0]", why="?")


# -- names and devices -------------------------------------------------------------------------


def test_assert_same_names_lists_missing_and_unexpected() -> None:
    assert_same_names(["b", "a"], ["a", "b"], what="names")
    assert failure(lambda: assert_same_names([], ["alpha"], what="params", hint="Register")) == (
        "params: missing 'alpha' (found: none). Register"
    )
    assert failure(lambda: assert_same_names(["a", "c"], ["a", "b"], what="keys")) == (
        "keys: missing 'b'; unexpected 'c'"
    )


def test_same_device() -> None:
    assert same_device("cpu", torch.device("cpu"))
    assert not same_device("cpu", "meta")


def test_sgd_step_matches_torch_optim_sgd() -> None:
    torch.manual_seed(0)
    mine = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(4))]
    theirs = [torch.nn.Parameter(p.detach().clone()) for p in mine]
    for group in (mine, theirs):
        group[0].grad = torch.ones(3, 2) * 0.5  # the second has no grad and must stay put
    sgd_step(mine, lr=0.1)
    torch.optim.SGD(theirs, lr=0.1).step()
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))


# -- torch_call_count --------------------------------------------------------------------------


def pairwise_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Vectorised: two indexings and an add, whatever the sizes."""
    return a[:, None] + b[None, :]


def pairwise_sum_loop(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The same values, one row at a time: the calls grow with len(a)."""
    return torch.stack([row + b for row in a])


def test_torch_call_count_is_the_same_at_every_size_only_for_vectorised_code() -> None:
    small, large = (torch.randn(3), torch.randn(5)), (torch.randn(40), torch.randn(7))
    # a function of the judge's own is counted here, without the remote fixture
    assert torch_call_count(None, pairwise_sum, *small) == 3
    assert torch_call_count(None, pairwise_sum, *large) == 3
    loop_small = torch_call_count(None, pairwise_sum_loop, *small)
    assert torch_call_count(None, pairwise_sum_loop, *large) > loop_small > 3


def test_torch_call_count_sees_methods_operators_indexing_and_keyword_arguments() -> None:
    x = torch.randn(4, 3)

    def several(t: torch.Tensor, *, dim: int) -> torch.Tensor:
        shifted = t[1:] - t.mean()  # __getitem__, mean, __sub__
        return torch.softmax(shifted, dim=dim).sum(dim)  # softmax, sum

    assert torch_call_count(None, several, x, dim=1) == 5
    # a torch function is one call: what it does inside is its own business
    assert torch_call_count(None, torch.nn.functional.normalize, x) == 1


@pytest.fixture
def learner_link(tmp_path: Path) -> Iterator[Link]:
    """A learner process serving a file with a vectorised and a looping function."""
    path = tmp_path / "answer.py"
    path.write_text(
        "import torch\n\n\n"
        "def vectorised(a, b):\n    return a[:, None] + b[None, :]\n\n\n"
        "def looping(a, b):\n    return torch.stack([row + b for row in a])\n",
        encoding="utf-8",
    )
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the learner side
        ours.close()
        serve(theirs, path, "answer")
    theirs.close()
    link = Link(ours, path.read_text(encoding="utf-8"), str(path))
    link.exit_reason = learner_pid_reason(pid)
    yield link
    link.close()
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_torch_call_count_counts_a_learner_function_in_the_learner_process(
    learner_link: Link,
) -> None:
    learner = learner_link.import_learner()
    remote = Remote(learner_link)
    small, large = (torch.randn(3), torch.randn(5)), (torch.randn(40), torch.randn(7))
    assert torch_call_count(remote, learner.vectorised, *small) == 3
    assert torch_call_count(remote, learner.vectorised, *large) == 3
    assert torch_call_count(remote, learner.looping, *large) > torch_call_count(
        remote, learner.looping, *small
    )
    with pytest.raises(TypeError, match="remote fixture"):  # an author's mistake
        torch_call_count(None, learner.vectorised, *small)
