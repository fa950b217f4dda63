"""Hidden checks for dtype-promotion: ``Standardize(mean, std)``, built from NumPy arrays,
returns ``(x - mean) / std`` in the dtype of ``x``, whatever dtype the module has."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, assert_same_names, plain

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
# (batch shape, features): one row, a batch, and extra leading dimensions
SHAPES = [((1,), 7), ((5,), 7), ((2, 3), 7), ((4,), 1)]
CONVERT = "Convert the statistics to the input's dtype in forward: self.mean.to(x.dtype)"


def _name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _statistics(features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A per-feature mean and a positive std, in float64 as NumPy computes them."""
    mean = torch.randn(features, dtype=torch.float64) * 1.5 + 0.5
    std = torch.rand(features, dtype=torch.float64) * 2 + 1
    return mean, std


def _build(
    learner: Any,
    remote: Remote,
    mean: torch.Tensor,
    std: torch.Tensor,
    device: torch.device,
    array_dtype: str = "float64",
) -> Any:
    """Standardize built from NumPy arrays made in the learner process, moved to device."""
    numpy = remote.module("numpy")
    arrays = [numpy.array(v.tolist(), dtype=array_dtype) for v in (mean, std)]
    return learner.Standardize(*arrays).to(device)


def _input(
    batch: tuple[int, ...], mean: torch.Tensor, std: torch.Tensor, dtype: torch.dtype
) -> torch.Tensor:
    """Features spread around the statistics, as real data would be."""
    x = torch.randn(*batch, mean.numel(), dtype=torch.float64) * std * 1.5 + mean
    return x.to(dtype)


def _tolerance(dtype: torch.dtype, mean: torch.Tensor, std: torch.Tensor) -> dict[str, float]:
    """float32 constants are as right as float64 ones, so float64 results get float32
    tolerances. In half precision, rounding the mean costs about eps * |mean| / std."""
    if dtype in (torch.float16, torch.bfloat16):
        eps = torch.finfo(dtype).eps
        return {"rtol": 2 * eps, "atol": 2 * eps * (1 + float((mean / std).abs().max()))}
    return {"rtol": 1e-5, "atol": 1e-5}


def _values(got: Any, x: torch.Tensor) -> torch.Tensor:
    """The output as float64, compared apart from its dtype (a check of its own)."""
    tensor = plain(got, "Standardize(mean, std)(x)")
    assert tensor.shape == x.shape, (
        f"Standardize(mean, std)(x) returned shape {tuple(tensor.shape)} for x of shape "
        f"{tuple(x.shape)}: the output must have the input's shape"
    )
    assert tensor.is_floating_point(), (
        f"Standardize(mean, std)(x) returned {tensor.dtype}, expected floating-point values"
    )
    return tensor.double()


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """Standardize(mean, std)(x) is (x - mean) / std, feature by feature"""
    torch.manual_seed(0)
    for batch, features in SHAPES:
        mean, std = _statistics(features)
        model = _build(learner, remote, mean, std, device)
        for dtype in FLOATS:
            x = _input(batch, mean, std, dtype).to(device)
            expected = (x.double() - mean.to(device)) / std.to(device)
            assert_close(
                _values(model(x), x),
                expected,
                what="Standardize(mean, std)(x), as float64",
                inputs=f"{_name(dtype)} x of shape {tuple(x.shape)}",
                **_tolerance(dtype, mean, std),
            )


def _dtype_advice(got: torch.dtype, given: torch.dtype) -> str:
    """Why the output came back in ``got`` for an input of dtype ``given``."""
    if got == torch.float64:
        return (
            f"a per-feature float64 tensor promotes {_name(given)} x to float64 (torch.from_numpy "
            "keeps NumPy's float64), and the next Linear raises 'mat1 and mat2 must have the "
            "same dtype'"
        )
    if got == torch.float32 and given in (torch.float16, torch.bfloat16):
        return (
            f"float32 statistics promote {_name(given)} x to float32, so a mixed-precision "
            "model gets float32 activations; converting the statistics to float32 once is not "
            "enough"
        )
    if got == torch.float32:
        return (
            "the output was converted to float32 (.float()?): float64 inputs, as gradcheck "
            "uses, lose their precision"
        )
    return f"the output must come back in the input's dtype, {_name(given)}"


def test_output_dtype(learner: Any, remote: Remote, device: torch.device) -> None:
    """the output has the input's dtype: float32, float64, float16 or bfloat16"""
    torch.manual_seed(1)
    mean, std = _statistics(6)
    for array_dtype in ("float64", "float32"):
        model = _build(learner, remote, mean, std, device, array_dtype)
        for dtype in FLOATS:
            x = _input((3,), mean, std, dtype).to(device)
            got = plain(model(x), "Standardize(mean, std)(x)")
            assert got.dtype == dtype, (
                f"Standardize(mean, std)(x), built from {array_dtype} NumPy arrays, returned "
                f"{_name(got.dtype)} for {_name(dtype)} x, expected {_name(dtype)}: "
                f"{_dtype_advice(got.dtype, dtype)}. {CONVERT}"
            )
            assert got.device == x.device, (
                f"Standardize(mean, std)(x) returned a tensor on {got.device} for x on "
                f"{x.device}: compute from x and the module's buffers only"
            )


def test_module_converted(learner: Any, remote: Remote, device: torch.device) -> None:
    """the output keeps the input's dtype after .double(), .float() or .to(bfloat16)"""
    torch.manual_seed(2)
    mean, std = _statistics(5)
    for module_dtype in (torch.float64, torch.bfloat16, torch.float32):
        model = _build(learner, remote, mean, std, device).to(module_dtype)
        call = f"Standardize(mean, std).to(torch.{_name(module_dtype)})"
        for dtype in (torch.float32, torch.float64, torch.bfloat16):
            x = _input((2, 3), mean, std, dtype).to(device)
            got = model(x)
            tensor = plain(got, f"{call}(x)")
            if tensor.dtype != dtype:
                why = (
                    f"the module's buffers are now {_name(module_dtype)}, and they promote "
                    "whatever they meet. Models are converted as a whole (.double() for "
                    "gradcheck, .to(torch.bfloat16) to save memory), while inputs may come in "
                    "another dtype"
                    if tensor.dtype == module_dtype
                    else _dtype_advice(tensor.dtype, dtype)
                )
                raise AssertionError(
                    f"{call}(x) returned {_name(tensor.dtype)} for {_name(dtype)} x, expected "
                    f"{_name(dtype)}: {why}. {CONVERT}"
                )
            coarse = torch.bfloat16 if torch.bfloat16 in (dtype, module_dtype) else dtype
            assert_close(
                _values(got, x),
                (x.double() - mean.to(device)) / std.to(device),
                what=f"{call}(x), as float64",
                inputs=f"{_name(dtype)} x of shape {tuple(x.shape)}",
                **_tolerance(coarse, mean, std),
            )


def test_buffers(learner: Any, remote: Remote, device: torch.device) -> None:
    """mean and std are the module's buffers, saved in its state_dict"""
    torch.manual_seed(3)
    mean, std = _statistics(4)
    model = _build(learner, remote, mean, std, device)
    buffers, saved = remote.fetch(
        "([name for name, _ in model.named_buffers()], list(model.state_dict()))", model=model
    )
    hint = (
        "Keep the statistics as buffers (self.register_buffer('mean', ...)): a plain tensor "
        "attribute is not saved with the model, and .to(device) and .double() leave it behind"
    )
    assert_same_names(
        buffers, ["mean", "std"], what="Standardize(mean, std).named_buffers()", hint=hint
    )
    assert_same_names(saved, ["mean", "std"], what="Standardize(mean, std).state_dict()", hint=hint)


def test_input_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """forward leaves x unchanged"""
    torch.manual_seed(4)
    mean, std = _statistics(7)
    model = _build(learner, remote, mean, std, device)
    for dtype in (torch.float32, torch.bfloat16):
        x = _input((4,), mean, std, dtype).to(device)
        theirs = remote.tensor(x)
        model(theirs)
        assert torch.equal(plain(theirs, "x"), x), (
            f"Standardize(mean, std)(x) changed x in place ({_name(dtype)} x of shape "
            f"{tuple(x.shape)}): in-place operations keep x's dtype, but they overwrite the "
            "caller's batch (and fail on inputs that require grad). Compute a new tensor, "
            "and " + CONVERT[0].lower() + CONVERT[1:]
        )
