"""Hidden checks for fp16-grad-norm: ``clip_fp16_(params, max_norm)`` computes the global norm of
float16 gradients in float32, scales them in place, and returns the norm."""

from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain

FLOAT32_NORM = (
    "Accumulate in float32: torch.linalg.vector_norm(g, dtype=torch.float32) for each "
    "gradient, then the norm of those float32 norms"
)


def _parameters(values: "list[torch.Tensor]", grads: "list[torch.Tensor | None]") -> "Any":
    """float16 parameters with the given gradients (defined in the learner process, where
    the learner's function sees them)."""
    params = []
    for value, grad in zip(values, grads, strict=True):
        param = nn.Parameter(value)
        param.grad = grad
        params.append(param)
    return params


def _grads(scales: list[float], device: torch.device) -> list[torch.Tensor | None]:
    """float16 gradients of distinct shapes with the given spreads; the last has none."""
    shapes = [(3, 5), (7,), (1,), (2, 3, 4)][: len(scales)]
    grads: list[torch.Tensor | None] = []
    for shape, scale in zip(shapes, scales, strict=True):
        g = (torch.randn(shape, dtype=torch.float64) * scale).clamp(-60000, 60000)
        grads.append(g.half().to(device))
    grads.append(None)  # a frozen parameter: no gradient
    return grads


def _reference(grads: list[torch.Tensor | None], max_norm: float) -> tuple[torch.Tensor, list[Any]]:
    """The exact total norm (float64) and the clipped gradients, rounded once to float16."""
    present = [g.double() for g in grads if g is not None]
    total = torch.sqrt(sum(((g * g).sum() for g in present), torch.zeros((), dtype=torch.float64)))
    factor = min(max_norm / (float(total) + 1e-6), 1.0)
    clipped = [None if g is None else (g.double() * factor).half() for g in grads]
    return total, clipped


def _setup(
    remote: Remote, grads: list[torch.Tensor | None], device: torch.device
) -> tuple[Any, Any]:
    """The parameters, in the learner process, and a list holding their gradient tensors
    (as an optimizer or a hook would)."""
    values = [
        torch.zeros(g.shape if g is not None else (2, 2), dtype=torch.float16, device=device)
        for g in grads
    ]
    params = remote.define(_parameters)(values, grads)
    held = remote.eval("[p.grad for p in params]", params=params)
    return params, held


def _describe(grads: list[torch.Tensor | None], max_norm: float) -> str:
    shapes = ", ".join("None" if g is None else str(tuple(g.shape)) for g in grads)
    return f"float16 gradients of shapes {shapes}, max_norm={max_norm:g}"


CASES = [
    # (spreads of the gradients, max_norm): one tensor's norm above 65504; every tensor's
    # norm below it but the total above; a total below 65504 whose squares still overflow
    ([20000.0, 10000.0, 300.0], 1.0),
    ([9000.0, 15000.0, 30000.0, 5000.0], 5.0),
    ([600.0, 300.0, 100.0], 2.0),
]


def test_total(learner: Any, remote: Remote, device: torch.device) -> None:
    """clip_fp16_ returns the global norm as a float32 0-dim tensor, exact above 65504"""
    torch.manual_seed(0)
    for scales, max_norm in CASES:
        grads = _grads(scales, device)
        params, _ = _setup(remote, grads, device)
        total = plain(learner.clip_fp16_(params, max_norm), "clip_fp16_(params, max_norm)")
        expected, _ = _reference(grads, max_norm)
        described = _describe(grads, max_norm)
        assert total.shape == (), (
            f"clip_fp16_(params, max_norm) returned a tensor of shape {tuple(total.shape)} "
            f"({described}), expected a 0-dim tensor: the one norm of all gradients together"
        )
        hint = ""
        if not bool(total.isfinite().all()):
            hint = (
                "Squares and sums of float16 values overflow past 65504, and the clipping "
                "factor max_norm / inf is 0: every gradient is zeroed. " + FLOAT32_NORM
            )
        assert_close(
            total.double(),
            expected.to(device),
            what="clip_fp16_(params, max_norm), as float64",
            inputs=described,
            rtol=1e-5,
            atol=0.0,
            hint=hint,
        )
        assert total.dtype == torch.float32, (
            f"clip_fp16_(params, max_norm) returned a {total.dtype} norm ({described}), "
            "expected torch.float32: a float16 norm cannot hold values above 65504, and a "
            "float64 one is more than a log or a comparison needs"
        )


def _halfway(grads: list[torch.Tensor | None]) -> float:
    """A max_norm whose factor, about 6e-6, lies halfway between two float16 subnormals
    (multiples of 2**-24): rounded to float16, it is 0.5% off."""
    total, _ = _reference(grads, 1.0)
    return float(total) * 100.5 * 2.0**-24


def test_clipped(learner: Any, remote: Remote, device: torch.device) -> None:
    """the gradients are scaled by max_norm / total, each rounded once to float16"""
    torch.manual_seed(1)
    cases: list[tuple[list[float], float | None]] = [*CASES, ([40000.0, 20000.0, 900.0], None)]
    for index, (scales, chosen) in enumerate(cases):
        grads = _grads(scales, device)
        max_norm = _halfway(grads) if chosen is None else chosen
        params, _ = _setup(remote, grads, device)
        given = params if index % 2 else remote.eval("(p for p in params)", params=params)
        learner.clip_fp16_(given, max_norm)
        got = remote.fetch("[p.grad for p in params]", params=params)
        _, expected = _reference(grads, max_norm)
        kind = "a list" if index % 2 else "a generator, as model.parameters() is"
        described = f"{_describe(grads, max_norm)}, params given as {kind}"
        for position, (grad, want) in enumerate(zip(got, expected, strict=True)):
            name = f"params[{position}].grad"
            if want is None:
                assert grad is None, (
                    f"{name} was None before clip_fp16_ and is now set ({described}): "
                    "parameters without a gradient must be skipped"
                )
                continue
            assert grad is not None, f"{name} is None after clip_fp16_ ({described})"
            grad = plain(grad, name)
            before = grads[position]
            hint = ""
            if before is not None and torch.equal(grad, before):
                hint = (
                    "The gradients were not scaled at all. A generator such as "
                    "model.parameters() can be read only once: turn it into a list first"
                    if index % 2 == 0
                    else "The gradients were not scaled at all"
                )
            elif not bool(grad.isfinite().all()) or not bool(grad.any()):
                hint = "With a norm of inf the factor max_norm / inf is 0 (or NaN). " + FLOAT32_NORM
            else:
                hint = (
                    "Keep the factor in float32 and multiply in float32 "
                    "(g.copy_(g.float() * factor)): a factor such as 1e-5 is subnormal in "
                    "float16 and keeps only a digit or two"
                )
            assert_close(
                grad,
                want.to(device),
                what=f"{name} after clip_fp16_",
                inputs=described,
                hint=hint,
            )


def test_small_norm(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients whose total norm is at most max_norm stay exactly as they were"""
    torch.manual_seed(2)
    for scales, max_norm in (([0.02, 0.05, 0.01], 1.0), ([3.0, 1.0], 50.0)):
        grads = _grads(scales, device)
        params, _ = _setup(remote, grads, device)
        learner.clip_fp16_(params, max_norm)
        expected, _ = _reference(grads, max_norm)
        described = _describe(grads, max_norm)
        got = remote.fetch("[p.grad for p in params]", params=params)
        for position, (grad, before) in enumerate(zip(got, grads, strict=True)):
            if before is None:
                continue
            grad = plain(grad, f"params[{position}].grad")
            assert torch.equal(grad, before), (
                f"params[{position}].grad changed although the total norm, "
                f"{float(expected):.4g}, is below max_norm={max_norm:g} ({described}): "
                "clipping only ever scales down. Clamp the factor: "
                "(max_norm / (total + 1e-6)).clamp(max=1.0)"
            )


def test_in_place(learner: Any, remote: Remote, device: torch.device) -> None:
    """the gradients are scaled in place: the same float16 tensors as before"""
    torch.manual_seed(3)
    scales, max_norm = CASES[0]
    grads = _grads(scales, device)
    params, held = _setup(remote, grads, device)
    learner.clip_fp16_(params, max_norm)
    current, old = remote.fetch("([p.grad for p in params], held)", params=params, held=held)
    _, expected = _reference(grads, max_norm)
    described = _describe(grads, max_norm)
    for position, (now, before, want) in enumerate(zip(current, old, expected, strict=True)):
        if want is None:
            continue
        now = plain(now, f"params[{position}].grad")
        assert now.dtype == torch.float16, (
            f"params[{position}].grad is {now.dtype} after clip_fp16_ ({described}), "
            "expected torch.float16: the gradients must keep the parameters' dtype (the "
            "optimizer and the parameter update expect it). Scale in float32, then write "
            "back into the float16 tensor: g.copy_(g.float() * factor)"
        )
        before = plain(before, f"params[{position}].grad")
        assert torch.equal(before, now), (
            f"params[{position}].grad was replaced by a new tensor ({described}): the tensor "
            "that was the gradient before the call, which an optimizer or a hook may hold, "
            "still has the unclipped values. Scale in place: g.mul_(...) or g.copy_(...)"
        )
