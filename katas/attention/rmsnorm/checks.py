"""Hidden checks for rmsnorm: ``RMSNorm(d, eps)`` equals ``F.rms_norm`` in float32 and
float64, stays finite and accurate for large float16 inputs, and keeps the input's dtype."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, assert_same_names, plain

FORMULA = "x / sqrt(mean(x**2 over the last dim) + eps) * weight"
F32 = {"rtol": 1e-5, "atol": 1e-6}
F16 = {"rtol": 2e-3, "atol": 1e-3}  # one float16 rounding more is fine (LLaMA casts, then scales)
F64 = {"rtol": 1e-10, "atol": 1e-12}  # computed in float64; a float32 step is ~1e-8 off


def _small(shape: tuple[int, ...], dtype: torch.dtype, scale: float = 0.05) -> torch.Tensor:
    """Activations with a non-zero mean and a small spread: eps is not negligible next to
    their mean square, and subtracting the mean changes them."""
    return torch.randn(shape, dtype=dtype) * scale + 2 * scale


def _norm(
    learner: Any, d: int, eps: float | None, weight: torch.Tensor, device: torch.device
) -> Any:
    """The learner's RMSNorm(d, eps) (its default eps when eps is None) with this weight."""
    norm = learner.RMSNorm(d) if eps is None else learner.RMSNorm(d, eps)
    norm = norm.to(device=device, dtype=weight.dtype)
    with_weight = {"weight": weight.to(device)}
    try:
        norm.load_state_dict(with_weight)
    except RuntimeError as exc:
        raise AssertionError(
            f"RMSNorm({d}).load_state_dict({{'weight': ...}}) failed: {exc}. RMSNorm has one "
            "parameter, weight, of shape (d,)"
        ) from exc
    return norm


def _call(d: int, eps: float | None) -> str:
    return f"RMSNorm({d})" if eps is None else f"RMSNorm({d}, eps={eps})"


def test_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """weight is RMSNorm's only parameter: shape (d,), starting at ones"""
    for d in (1, 7):
        norm = learner.RMSNorm(d, 1e-2).to(device)
        names = [name for name, _ in norm.named_parameters()]
        assert_same_names(
            names,
            ["weight"],
            what=f"RMSNorm({d}, eps=1e-2).named_parameters()",
            hint="The gain must be an nn.Parameter named weight (a plain tensor is not "
            "registered, so the optimizer never sees it), and RMSNorm has no bias",
        )
        assert_close(
            norm.weight,
            torch.ones(d, device=device),
            what=f"RMSNorm({d}, eps=1e-2).weight",
            hint="Start the gain at ones, so that a new RMSNorm only normalises",
        )


def test_matches_rms_norm(learner: Any, remote: Remote, device: torch.device) -> None:
    """equals F.rms_norm on inputs with a non-zero mean and a small scale, and leaves x alone"""
    torch.manual_seed(0)
    # shape, eps (None: the default), dtype, spread of x, x non-contiguous
    cases: list[tuple[tuple[int, ...], float | None, torch.dtype, float, bool]] = [
        ((2, 3, 6), 1e-2, torch.float32, 0.05, False),
        ((5, 1), 1e-2, torch.float32, 0.05, False),
        ((6, 4), 1e-2, torch.float32, 0.05, True),
        ((4, 9), 1e-3, torch.float64, 0.02, False),
        ((3, 5), None, torch.float64, 4e-4, False),  # the default eps, 1e-6, matters here
    ]
    for shape, eps, dtype, scale, strided in cases:
        d = shape[-1]
        weight = torch.rand(d, dtype=dtype) * 1.5 + 0.25
        norm = _norm(learner, d, eps, weight, device)
        x = _small(shape, dtype, scale).to(device)
        if strided:  # made there as a transposed view: layout does not travel
            theirs = remote.eval("stored.t()", stored=remote.tensor(x.t().contiguous()))
        else:
            theirs = remote.tensor(x)
        layout = ", non-contiguous" if strided else ""
        used_eps = 1e-6 if eps is None else eps
        described = f"x of shape {shape}, {dtype}{layout}, random weight"
        assert_close(
            norm(theirs),
            F.rms_norm(x, (d,), weight.to(device), used_eps),
            what=f"{_call(d, eps)}(x)",
            inputs=described,
            hint=f"RMSNorm is {FORMULA}: no mean subtracted (that is LayerNorm), eps inside "
            "the square root, the mean over the last dim only"
            + (", and eps defaults to 1e-6" if eps is None else "")
            + (
                ". Compute float64 in float64: a float32 step leaves errors near 1e-7"
                if dtype == torch.float64
                else ""
            ),
            **(F32 if dtype == torch.float32 else F64),
        )
        assert torch.equal(plain(theirs, "x"), x), (
            f"{_call(d, eps)}(x) changed x in place ({described}): the caller's tensor must "
            "stay as it was"
        )


def test_float16(learner: Any, remote: Remote, device: torch.device) -> None:
    """float16 inputs up to 1e3 give the float32 result, rounded to float16"""
    torch.manual_seed(1)
    d, eps = 10, 1e-2
    x = (torch.rand(6, 4, d) * 2 - 1) * 1000
    x[0] *= 1e-3  # some rows of ordinary size too
    x = x.half().to(device)
    weight = (torch.rand(d) * 1.5 + 0.25).half()
    norm = _norm(learner, d, eps, weight, device)
    expected = F.rms_norm(x.float(), (d,), weight.float().to(device), eps).half()
    got = plain(norm(x), f"{_call(d, eps)}.half()(x)")
    broken = ~got.isfinite() | (got == 0).all(dim=-1, keepdim=True)  # a row of zeros
    if got.dtype == torch.float16 and bool(broken[1:].any()):
        raise AssertionError(
            f"{_call(d, eps)}.half()(x), for float16 x with |x| up to 1000, returned "
            f"{'NaN or inf' if not bool(got.isfinite().all()) else 'rows of zeros'}: x**2 "
            "overflows float16 above about 256 (its largest value is 65504), the mean square "
            "becomes inf, and 1/sqrt(inf) is 0. Compute the statistic in float32 (x.float()) "
            "and cast the result back to x's dtype"
        )
    assert_close(
        got,
        expected,
        what=f"{_call(d, eps)}.half()(x)",
        inputs=f"float16 x of shape {tuple(x.shape)}, |x| up to 1000, random float16 weight",
        hint="Compute in float32 and return x's dtype: the output of a float16 layer must be "
        "float16",
        **F16,
    )


def test_other_dtypes(learner: Any, remote: Remote, device: torch.device) -> None:
    """the output has the input's dtype: bfloat16 and float64 too"""
    torch.manual_seed(2)
    d, eps = 8, 1e-2
    for dtype in (torch.bfloat16, torch.float64):
        x = (torch.randn(3, d) * 2 + 0.5).to(dtype).to(device)
        weight = (torch.rand(d) * 1.5 + 0.25).to(dtype)
        norm = _norm(learner, d, eps, weight, device)
        expected = F.rms_norm(x.float(), (d,), weight.float().to(device), eps).to(dtype)
        if dtype == torch.float64:
            expected = F.rms_norm(x, (d,), weight.to(device), eps)
        assert_close(
            norm(x),
            expected,
            what=f"RMSNorm({d}, eps={eps}).to({dtype})(x)",
            inputs=f"{dtype} x of shape {tuple(x.shape)}",
            hint="Return x's dtype; for float64, compute in float64 (upcasting float16 and "
            "bfloat16 to float32 is right, narrowing float64 is not)",
            **(F64 if dtype == torch.float64 else {}),
        )


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients for x and weight equal F.rms_norm's"""
    torch.manual_seed(3)
    d, eps = 6, 1e-2
    x = _small((4, d), torch.float64, 0.1).to(device)
    weight = torch.rand(d, dtype=torch.float64) * 1.5 + 0.25
    upstream = torch.randn(4, d, dtype=torch.float64).to(device)
    norm = _norm(learner, d, eps, weight, device)
    leaf = remote.tensor(x.clone().requires_grad_())
    # a scalar loss: backward(g) with an explicit g imports sympy on first use (slow)
    (norm(leaf) * upstream).sum().backward()
    grads = remote.eval("(leaf.grad, norm.weight.grad)", leaf=leaf, norm=norm)
    expected_x = x.clone().requires_grad_()
    expected_w = weight.to(device).requires_grad_()
    # the formula by hand, in float64: F.rms_norm's autograd imports sympy on first use (slow)
    mean_square = expected_x.pow(2).mean(dim=-1, keepdim=True)
    ((expected_x * torch.rsqrt(mean_square + eps) * expected_w) * upstream).sum().backward()
    for name, got, want in (
        ("x", grads[0], expected_x.grad),
        ("weight", grads[1], expected_w.grad),
    ):
        assert got is not None, (
            f"{name}.grad is None after (RMSNorm({d}, eps={eps})(x) * g).sum().backward(): "
            f"no gradient reached {name}. Keep the computation in differentiable torch "
            "operations (no .detach(), .data or no_grad), and weight an nn.Parameter"
        )
        assert want is not None
        assert_close(
            got,
            want,
            what=f"{name}.grad after (RMSNorm({d}, eps={eps})(x) * g).sum().backward()",
            inputs="float64 x of shape (4, 6), random weight and upstream gradient g",
            hint="The gradient must flow through the mean square too: keep every step in "
            "differentiable torch operations, in float64 for float64 inputs",
            rtol=1e-9,
            atol=1e-11,
        )
