"""The authoring API for hidden checks: short checks, messages a learner can act on.

Checks run in the judge only, so this module imports ``torch`` at the top (the rest of
``trainer`` never does). Every helper takes learner objects (proxies on the learner process,
:mod:`trainer.grading.judge.link`) as well as plain values, and decides here, on plain copies.
Every helper fails with an ``AssertionError`` whose message is written for the learner: what was
expected, what came back, and for which input. The grader runs pytest with assertion rewriting
off, so the message is all the learner gets. A mistake by the
*author* (a wrong argument type, an unknown ``forbid`` construct) raises ``TypeError`` or
``ValueError`` instead, so ``katas validate`` reports it as a broken check, not as a learner's
failure.

Helpers:

- :func:`plain` trusts only an exact ``torch.Tensor`` (a subclass or an object faking ``__eq__``
  could make any comparison pass).
- :func:`assert_close` compares shape, dtype, device, then values, in that order, with
  tolerances by dtype and device (:func:`tolerances_for`: TF32 and half precision on a GPU,
  order-dependent parallel sums).
- :func:`gradcheck64` runs float64 ``gradcheck`` (and ``gradgradcheck``) and summarises a failure
  as one Jacobian entry instead of two printed matrices.
- :func:`saved_tensor_count` counts what autograd saved for backward.
- :func:`torch_call_count` counts the torch calls a function makes, for "no loop over the data".
- :func:`forbid` finds a construct in the learner's source, for katas about avoiding one.
- :func:`assert_same_names` compares parameter, buffer or state-dict names.
- :func:`sgd_step` is one plain SGD step, without ``torch.optim``'s slow first import.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import torch

from trainer.errors import LearnerRaised
from trainer.grading.judge.link import Proxy, is_proxy
from trainer.grading.judge.remote import Remote

__all__ = [
    "TF32_RTOL",
    "LearnerRaised",
    "Remote",
    "assert_close",
    "assert_same_names",
    "default_tolerances",
    "forbid",
    "gradcheck64",
    "plain",
    "same_device",
    "saved_tensor_count",
    "sgd_step",
    "tf32_enabled",
    "tolerance_floor",
    "tolerances_for",
    "torch_call_count",
    "type_name",
]

_TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    # (rtol, atol), the defaults of torch.testing.assert_close
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex32: (1e-3, 1e-5),
    torch.complex64: (1.3e-6, 1e-5),
    torch.complex128: (1e-7, 1e-7),
}
_HALF = (torch.float16, torch.bfloat16, torch.complex32)
_SINGLE = (torch.float32, torch.complex64)
TF32_RTOL = 5e-3
"""Relative precision of float32 math done in TF32 (10-bit mantissa, the figure PyTorch's own
tests use). Its error grows with the size of the numbers summed, so the absolute part of the
tolerance is this times the largest expected magnitude."""
NONDETERMINISTIC_FACTOR = 10.0
"""How much wider ``nondeterministic=True`` makes the default tolerances of floating dtypes."""


def tolerances_for(
    dtype: torch.dtype,
    device_type: str = "cpu",
    *,
    tf32: bool = False,
    nondeterministic: bool = False,
    scale: float = 1.0,
) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for values of ``dtype`` computed on ``device_type``.

    Pure (no device is touched), so the GPU rules are testable anywhere. Integers and bool are
    exact everywhere. On the CPU the defaults are ``torch.testing``'s. On a GPU, float16 and
    bfloat16 reductions may accumulate in reduced precision, so their absolute tolerance is
    their rtol times ``scale`` (the largest expected magnitude); float32 and complex64 with
    ``tf32`` get :data:`TF32_RTOL` the same way; MPS float32 (fast math) gets 1e-5.
    ``nondeterministic`` (results that depend on the order of a parallel sum, such as
    ``index_add_`` or ``scatter_add_`` on a GPU) widens floating tolerances by
    :data:`NONDETERMINISTIC_FACTOR` and scales atol likewise.
    """
    base = _TOLERANCES.get(dtype)
    if base is None:
        return 0.0, 0.0
    rtol, atol = base
    floor_rtol, floor_atol = tolerance_floor(dtype, device_type, tf32=tf32, scale=scale)
    rtol, atol = max(rtol, floor_rtol), max(atol, floor_atol)
    if device_type == "mps" and dtype in _SINGLE:
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-5)
    if nondeterministic:
        rtol *= NONDETERMINISTIC_FACTOR
        atol = max(atol * NONDETERMINISTIC_FACTOR, rtol * scale)
    return rtol, atol


def tolerance_floor(
    dtype: torch.dtype, device_type: str, *, tf32: bool, scale: float = 1.0
) -> tuple[float, float]:
    """The precision a device's arithmetic delivers, below which no tolerance is honest.

    ``assert_close`` raises even an author's explicit tolerances to this floor, so a check
    written and validated on a CPU does not fail a correct answer on a GPU: ``(0, 0)`` on the
    CPU; on a GPU, half types at their own rtol and float32 under TF32 at :data:`TF32_RTOL`,
    each with an absolute part of that rtol times ``scale``.
    """
    if device_type not in ("cuda", "mps"):
        return 0.0, 0.0
    if dtype in _HALF:
        rtol = _TOLERANCES[dtype][0]
        return rtol, rtol * scale
    if dtype in _SINGLE and tf32 and device_type == "cuda":
        return TF32_RTOL, TF32_RTOL * scale
    return 0.0, 0.0


def tf32_enabled() -> bool:
    """Whether float32 matmuls or convolutions on CUDA may run in TF32 in this process.

    Reads torch's flags only (no GPU is touched). cuDNN allows TF32 for convolutions by
    default; matmuls do after ``torch.backends.cuda.matmul.allow_tf32 = True`` or
    ``torch.set_float32_matmul_precision("high")``.
    """
    return bool(
        torch.backends.cuda.matmul.allow_tf32
        or torch.get_float32_matmul_precision() != "highest"
        or (torch.backends.cudnn.enabled and torch.backends.cudnn.allow_tf32)
    )


def default_tolerances(
    dtype: torch.dtype,
    device: torch.device | str | None = None,
    *,
    nondeterministic: bool = False,
    scale: float = 1.0,
) -> tuple[float, float]:
    """``(rtol, atol)`` that ``assert_close`` uses for ``dtype`` on ``device`` (default cpu).

    On CUDA it reads :func:`tf32_enabled`; see :func:`tolerances_for` for the rules.
    """
    kind = "cpu" if device is None else torch.device(device).type
    tf32 = kind == "cuda" and tf32_enabled()
    return tolerances_for(dtype, kind, tf32=tf32, nondeterministic=nondeterministic, scale=scale)


# --------------------------------------------------------------------------- plain tensors


def _describe_type(value: object) -> str:
    if value is None:
        return "None"
    kind = type(value)
    article = "an" if kind.__name__[:1].lower() in "aeiou" else "a"
    if isinstance(value, torch.Tensor):
        return f"{article} {kind.__name__} (a torch.Tensor subclass)"
    return f"{article} {kind.__name__}"


def plain(value: object, what: str = "your output") -> torch.Tensor:
    """Return ``value`` as a plain, detached ``torch.Tensor``; refuse anything else.

    Why: a tensor subclass, or any object that defines ``__eq__`` or ``__torch_function__``, can
    make a comparison report success whatever it holds. Only an object whose type is exactly
    ``torch.Tensor`` is trusted. ``nn.Parameter`` is accepted too: it is torch's own type, torch
    disables its ``__torch_function__``, and a learner returning a module's weight should be
    graded on its values. The result is a detached plain tensor sharing the storage (no copy).
    A learner object (a proxy on the learner process) is fetched by value first: its copy is
    built here from plain data, so nothing of the learner's code comes with it.
    """
    if is_proxy(value):
        value = _fetch(cast(Proxy, value), what)
    if type(value) is not torch.Tensor and type(value) is not torch.nn.Parameter:
        raise AssertionError(f"{what} is {_describe_type(value)}, expected a plain torch.Tensor")
    assert isinstance(value, torch.Tensor)  # for mypy; the type test above is the real check
    # torch.Tensor.detach, not value.detach: an instance attribute could shadow the method.
    return torch.Tensor.detach(value)


def _fetch(proxy: Proxy, what: str) -> object:
    """The plain-data copy of a learner object; an object that is not plain data is named."""
    try:
        return proxy._link.value(proxy)
    except LearnerRaised as exc:
        if exc.details.get("plain"):
            name = proxy._type.rpartition(".")[2] or "object"
            article = "an" if name[:1].lower() in "aeiou" else "a"
            raise AssertionError(
                f"{what} is {article} {name}, expected a plain torch.Tensor"
            ) from None
        raise


def type_name(value: object) -> str:
    """The name of ``value``'s class, for messages: a learner object's own class (as the learner
    process reports it), not the proxy standing for it."""
    if is_proxy(value):
        return cast(Proxy, value)._type.rpartition(".")[2] or "object"
    return type(value).__name__


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """Whether ``a`` and ``b`` name the same device, ``cuda`` counting as the current GPU.

    Why: the ``device`` fixture may be ``cuda`` while tensors report ``cuda:0``, and
    ``torch.device("cuda") != torch.device("cuda:0")``.
    """

    def resolved(device: torch.device | str) -> torch.device:
        device = torch.device(device)
        index: int | None = device.index  # None for a bare "cuda" (torch's stub says int)
        if index is None and device.type not in ("cpu", "meta"):
            return torch.empty(0, device=device).device
        return device

    return resolved(a) == resolved(b)


# --------------------------------------------------------------------------- assert_close


def _shape(shape: Sequence[int]) -> str:
    """A shape as Python prints a tuple: ``()``, ``(4,)``, ``(3, 5)``."""
    return str(tuple(int(n) for n in shape))


def _number(value: complex | float | bool) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.8g}"


def _index(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    index: list[int] = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return tuple(reversed(index))


def _element(flat: int, shape: Sequence[int]) -> str:
    """Subscript of the ``flat``-th element, as the learner would index it: ``[2, 0]``."""
    return "" if len(shape) == 0 else "[" + ", ".join(map(str, _index(flat, shape))) + "]"


def _at(flat: int, shape: Sequence[int]) -> str:
    return "" if len(shape) == 0 else f" at index {_element(flat, shape)}"


def assert_close(
    got: object,
    expected: torch.Tensor,
    *,
    what: str = "your output",
    inputs: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    nondeterministic: bool = False,
    hint: str = "",
) -> None:
    """Fail unless ``got`` matches ``expected`` in shape, dtype, device and values.

    Checked in that order, because each earlier mismatch explains the later ones. ``inputs``
    names the input that showed the problem ("x of shape (3, 5)"). ``|got - expected| <= atol
    + rtol * |expected|`` elementwise, with tolerances chosen from ``expected``'s dtype and
    device (:func:`tolerances_for`): ``torch.testing``'s defaults on the CPU, exact for
    integers and bool, wider for TF32 and half precision on a GPU. Explicit ``rtol``/``atol``
    are kept, except that a GPU raises them to what its arithmetic delivers
    (:func:`tolerance_floor`): a check written on a CPU must not fail a correct answer on a GPU.
    ``nondeterministic=True`` is for results of order-dependent parallel sums. NaN matches NaN
    only with ``equal_nan``; infinities must match exactly, sign included. ``hint`` (the likely
    cause, in a sentence) ends any failure.
    """
    if not isinstance(expected, torch.Tensor):
        raise TypeError(f"assert_close: expected must be a torch.Tensor, not {type(expected)}")
    tensor = plain(got, what)
    reference = torch.Tensor.detach(expected)
    where = f" (for {inputs})" if inputs else ""
    tail = f". {hint}" if hint else ""
    if tensor.shape != reference.shape:
        raise AssertionError(
            f"{what} has shape {_shape(tensor.shape)}, expected "
            f"{_shape(reference.shape)}{where}{tail}"
        )
    if tensor.dtype != reference.dtype:
        raise AssertionError(
            f"{what} has dtype {tensor.dtype}, expected {reference.dtype}{where}{tail}"
        )
    if tensor.device != reference.device:
        raise AssertionError(
            f"{what} is on {tensor.device}, expected {reference.device}{where}{tail}"
        )
    kind = reference.device.type
    tf32 = kind == "cuda" and reference.dtype in _SINGLE and tf32_enabled()
    got_cpu, expected_cpu = tensor.cpu(), reference.cpu()
    scale = _magnitude(expected_cpu)
    default_rtol, default_atol = tolerances_for(
        reference.dtype, kind, tf32=tf32, nondeterministic=nondeterministic, scale=scale
    )
    floor_rtol, floor_atol = tolerance_floor(reference.dtype, kind, tf32=tf32, scale=scale)
    rtol = default_rtol if rtol is None else max(rtol, floor_rtol)
    atol = default_atol if atol is None else max(atol, floor_atol)
    message = _value_mismatch(got_cpu, expected_cpu, rtol, atol, equal_nan)
    if message:
        why = _widened(reference.dtype, kind, tf32)
        raise AssertionError(f"{what}{where}: {message}{why}{tail}")


def _magnitude(values: torch.Tensor) -> float:
    """The largest finite ``|value|``, the scale of reduced-precision rounding errors."""
    if not (values.is_floating_point() or values.is_complex()) or values.numel() == 0:
        return 0.0
    size = values.abs().double()
    size = size[size.isfinite()]
    return float(size.max()) if size.numel() else 0.0


def _widened(dtype: torch.dtype, device_type: str, tf32: bool) -> str:
    """What the tolerance allows for on this device, for the end of a failure message."""
    if tolerance_floor(dtype, device_type, tf32=tf32) == (0.0, 0.0):
        return ""
    if dtype in _SINGLE:
        return f" (a tolerance for TF32 float32 math on {device_type})"
    return f" (a tolerance for {str(dtype).removeprefix('torch.')} sums on {device_type})"


def _value_mismatch(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, equal_nan: bool
) -> str | None:
    """Describe the worst disagreement in words, or None when the values agree."""
    shape, total = tuple(got.shape), got.numel()
    if total == 0:
        return None
    if not (got.is_floating_point() or got.is_complex()) and rtol == 0 and atol == 0:
        differs = (got != expected).reshape(-1)
        if not differs.any():
            return None
        first = int(differs.nonzero()[0])
        return (
            f"{int(differs.sum())} of {total} values differ; first{_at(first, shape)}: "
            f"got {_number(got.reshape(-1)[first].item())}, "
            f"expected {_number(expected.reshape(-1)[first].item())}"
        )
    wide = torch.complex128 if got.is_complex() or expected.is_complex() else torch.float64
    g = got.reshape(-1).to(wide)
    e = expected.reshape(-1).to(wide)

    g_nan, e_nan = g.isnan(), e.isnan()
    nan_bad = (g_nan != e_nan) if equal_nan else (g_nan | e_nan)
    if nan_bad.any():
        first = int(nan_bad.nonzero()[0])
        count = int(nan_bad.sum())
        return (
            f"got {_number(g[first].item())}{_at(first, shape)}, expected "
            f"{_number(e[first].item())} ({count} of {total} values have a NaN mismatch)"
        )
    finite = g.isfinite() & e.isfinite()
    inf_bad = ~finite & ~(g_nan & e_nan) & (g != e)
    if inf_bad.any():
        first = int(inf_bad.nonzero()[0])
        return (
            f"got {_number(g[first].item())}{_at(first, shape)}, expected "
            f"{_number(e[first].item())} ({int(inf_bad.sum())} of {total} values have an "
            "infinity mismatch)"
        )
    zero = torch.zeros((), dtype=torch.float64)
    error = torch.where(finite, (g - e).abs(), zero)
    allowed = atol + rtol * torch.where(finite, e.abs(), zero)
    bad = finite & (error > allowed)
    if not bad.any():
        return None
    worst = int(torch.where(bad, error - allowed, zero - 1).argmax())
    magnitude = e.abs()
    relative = torch.where(finite & (magnitude > 0), error / magnitude, zero)
    relative = torch.where(finite & (magnitude == 0) & (error > 0), math.inf, relative)
    worst_abs, worst_rel = float(error[worst]), float(relative[worst])
    at = (
        f"{int(bad.sum())} of {total} values are off; worst{_at(worst, shape)}: "
        if total > 1
        else ""
    )
    overall = (
        f"; max abs error {float(error.max()):.3g}, max rel error {float(relative.max()):.3g}"
        if total > 1
        else ""
    )
    return (
        f"{at}got {_number(g[worst].item())}, expected {_number(e[worst].item())} "
        f"(abs error {worst_abs:.3g}, rel error {worst_rel:.3g}){overall}; "
        f"allowed |got - expected| <= {atol:.3g} + {rtol:.3g} * |expected|"
    )


# --------------------------------------------------------------------------- gradcheck


def _differentiable(result: object) -> list[torch.Tensor]:
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [t for t in items if isinstance(t, torch.Tensor) and t.requires_grad]


def _to_leaf64(value: object) -> object:
    if not isinstance(value, torch.Tensor):
        return value
    if value.is_complex():
        return value.detach().to(torch.complex128).requires_grad_()
    if value.is_floating_point():
        return value.detach().to(torch.float64).requires_grad_()
    return value


def _jacobian_summary(
    fn: Callable[..., object],
    args: Sequence[object],
    names: Sequence[str],
    *,
    eps: float,
    atol: float,
    rtol: float,
    analytical: str,
    out_names: Sequence[str] = (),
) -> str | None:
    """Find the Jacobian entry where autograd and central differences disagree most.

    Recomputed here rather than parsed from gradcheck's message, which prints both Jacobians in
    full. Returns None when the inputs are too large or complex, or the entries agree (then the
    caller falls back to gradcheck's own first line).
    """
    slots = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if any(t.is_complex() for t in tensors) or sum(t.numel() for t in tensors) > 400:
        return None

    def fresh(perturb: tuple[int, int, float] | None = None) -> list[object]:
        out: list[object] = []
        for i, a in enumerate(args):
            if isinstance(a, torch.Tensor):
                copy = a.detach().clone()
                if perturb is not None and perturb[0] == i:
                    copy.view(-1)[perturb[1]] += perturb[2]
                out.append(copy.requires_grad_(a.requires_grad))
            else:
                out.append(a)
        return out

    with torch.enable_grad():
        leaves = fresh()
        outputs = _differentiable(fn(*leaves))
    best: tuple[float, str] | None = None
    for o, out in enumerate(outputs):
        flat_out = out.reshape(-1)
        for slot in slots:
            x = leaves[slot]
            assert isinstance(x, torch.Tensor)
            ana = torch.zeros(x.numel(), flat_out.numel(), dtype=torch.float64)
            for k in range(flat_out.numel()):
                (grad,) = torch.autograd.grad(flat_out[k], x, retain_graph=True, allow_unused=True)
                if grad is not None:
                    ana[:, k] = grad.detach().reshape(-1).cpu()
            num = torch.zeros_like(ana)
            for j in range(x.numel()):
                with torch.enable_grad():
                    plus = _differentiable(fn(*fresh((slot, j, eps))))[o]
                    minus = _differentiable(fn(*fresh((slot, j, -eps))))[o]
                num[j] = ((plus - minus).detach().reshape(-1).cpu() / (2 * eps)).double()
            error = (ana - num).abs()
            excess = torch.nan_to_num(error - (atol + rtol * num.abs()), nan=math.inf)
            if not (excess > 0).any():
                continue
            flat = int(excess.argmax())
            j, k = divmod(flat, flat_out.numel())
            score = float(excess.reshape(-1)[flat])
            if best is not None and score <= best[0]:
                continue
            if o < len(out_names):
                out_name = out_names[o]
            else:
                out_name = "output" if len(outputs) == 1 else f"output {o}"
            out_at, in_at = _element(k, out.shape), _element(j, x.shape)
            bad = int((excess > 0).sum())
            best = (
                score,
                f"d {out_name}{out_at} / d {names[slot]}{in_at}: {analytical} gives "
                f"{_number(float(ana[j, k]))}, finite differences give "
                f"{_number(float(num[j, k]))} ({bad} of {error.numel()} Jacobian entries "
                f"differ, max error {float(torch.nan_to_num(error, nan=math.inf).max()):.3g})",
            )
    return None if best is None else best[1]


def _own_copy(tensor: torch.Tensor) -> torch.Tensor:
    """A detached contiguous copy, whatever the original's strides (so ``view(-1)`` works)."""
    return tensor.detach().clone(memory_format=torch.contiguous_format)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    head = text[0].rstrip(",") if text else ""
    kind = exc.short_type if isinstance(exc, LearnerRaised) else type(exc).__name__
    return head if kind == "GradcheckError" else f"{kind}: {head}"


def gradcheck64(
    fn: Callable[..., object],
    *inputs: object,
    what: str = "your function",
    names: Sequence[str] | None = None,
    check_gradgrad: bool = False,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Fail unless ``fn``'s backward (and, if asked, double backward) matches finite differences.

    Why float64: in float32 the finite differences themselves are too noisy, and a correct
    backward fails. Floating tensor inputs become float64 leaves that require grad (on their
    own device); other inputs pass through unchanged. ``names`` labels the inputs in messages
    ("x", "weight"); by default "input 0", "input 1", ... A failure names one Jacobian entry,
    autograd's value and the finite-difference value, instead of printing both matrices.
    """
    if is_proxy(fn):
        _remote_gradcheck(
            cast(Proxy, fn), inputs, what, names, check_gradgrad, eps=eps, atol=atol, rtol=rtol
        )
        return
    args = [_to_leaf64(a) for a in inputs]
    if not any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
        raise TypeError("gradcheck64: no floating-point tensor among the inputs")
    labels = list(names) if names is not None else [f"input {i}" for i in range(len(args))]
    if len(labels) != len(args):
        raise TypeError(f"gradcheck64: {len(labels)} names for {len(args)} inputs")
    shapes = ", ".join(
        f"{label} of shape {_shape(a.shape)}"
        for label, a in zip(labels, args, strict=True)
        if isinstance(a, torch.Tensor)
    )
    what = f"{what} (for {shapes})" if shapes else what
    try:
        torch.autograd.gradcheck(
            cast(Any, fn), cast(Any, tuple(args)), eps=eps, atol=atol, rtol=rtol
        )
    except Exception as exc:  # GradcheckError, or whatever the learner's code raised
        summary = _summary_or_none(fn, args, labels, eps, atol, rtol, "your backward")
        raise AssertionError(
            f"the gradient of {what} is wrong: {summary or _first_line(exc)}"
        ) from None
    if not check_gradgrad:
        return
    generator = torch.Generator().manual_seed(0)
    outputs = _differentiable(fn(*args))
    grad_outputs = [
        torch.randn(o.shape, generator=generator, dtype=torch.float64).to(o.device, o.dtype)
        for o in outputs
    ]
    try:
        torch.autograd.gradgradcheck(
            cast(Any, fn),
            cast(Any, tuple(args)),
            tuple(grad_outputs),
            eps=eps,
            atol=atol,
            rtol=rtol,
        )
    except Exception as exc:
        n = len(args)
        slots = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]

        def backward_of_fn(*flat: object) -> tuple[torch.Tensor, ...]:
            outs = _differentiable(fn(*flat[:n]))
            wrt = [cast(torch.Tensor, flat[i]) for i in slots]
            upstream = [cast(torch.Tensor, g) for g in flat[n:]]
            grads = torch.autograd.grad(outs, wrt, upstream, create_graph=True, allow_unused=True)
            return tuple(g for g in grads if g is not None)

        both = args + [g.requires_grad_() for g in grad_outputs]
        upstream_names = (
            ["grad_output"]
            if len(grad_outputs) == 1
            else [f"grad_output {i}" for i in range(len(grad_outputs))]
        )
        summary = _summary_or_none(
            backward_of_fn,
            both,
            labels + upstream_names,
            eps,
            atol,
            rtol,
            "double backward",
            [f"(dL/d{labels[i]})" for i in slots],
        )
        raise AssertionError(
            f"the second derivatives of {what} are wrong (gradgradcheck: your backward is "
            f"differentiated in turn): {summary or _first_line(exc)}"
        ) from None


def _summary_or_none(
    fn: Callable[..., object],
    args: Sequence[object],
    names: Sequence[str],
    eps: float,
    atol: float,
    rtol: float,
    analytical: str,
    out_names: Sequence[str] = (),
) -> str | None:
    try:
        return _jacobian_summary(
            fn,
            args,
            names,
            eps=eps,
            atol=atol,
            rtol=rtol,
            analytical=analytical,
            out_names=out_names,
        )
    except Exception:  # the learner's code raised again; gradcheck's own words will do
        return None


def _remote_gradcheck(
    fn: Proxy,
    inputs: Sequence[object],
    what: str,
    names: Sequence[str] | None,
    check_gradgrad: bool,
    *,
    eps: float,
    atol: float,
    rtol: float,
) -> None:
    """gradcheck (and gradgradcheck) of a learner function, decided here.

    The learner process only evaluates: ``fn`` on inputs nudged by ``eps`` (for the numerical
    Jacobian) and vector-Jacobian products against unit vectors (for the analytic one). The
    finite differences, the comparison and the tolerances are computed in the judge, on plain
    copies, the same criterion as ``torch.autograd.gradcheck``: ``|analytic - numerical| <=
    atol + rtol * |numerical|`` for every entry.
    """
    link = fn._link
    args = [_to_leaf64(a) for a in inputs]
    slots = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]
    if not slots:
        raise TypeError("gradcheck64: no floating-point tensor among the inputs")
    if any(cast(torch.Tensor, args[i]).is_complex() for i in slots):
        raise TypeError("gradcheck64: complex inputs to a learner function are not supported")
    labels = list(names) if names is not None else [f"input {i}" for i in range(len(args))]
    if len(labels) != len(args):
        raise TypeError(f"gradcheck64: {len(labels)} names for {len(args)} inputs")
    shapes = ", ".join(
        f"{label} of shape {_shape(a.shape)}"
        for label, a in zip(labels, args, strict=True)
        if isinstance(a, torch.Tensor)
    )
    what = f"{what} (for {shapes})" if shapes else what

    def outputs(arg_lists: list[list[object]]) -> list[list[torch.Tensor]]:
        results = link.request("callvalue", fn, arg_lists)
        return [_differentiable(r) for r in results]

    def forward(values: list[object]) -> list[torch.Tensor]:
        return outputs([values])[0]

    def nudged(values: list[object], wrt: list[int]) -> list[list[torch.Tensor]]:
        lists = []
        for slot in wrt:
            base = cast(torch.Tensor, values[slot])
            for j in range(base.numel()):
                for sign in (1.0, -1.0):
                    copy = [_own_copy(v).requires_grad_(v.requires_grad)
                            if isinstance(v, torch.Tensor) else v for v in values]  # fmt: skip
                    cast(torch.Tensor, copy[slot]).detach().view(-1)[j] += sign * eps
                    lists.append(copy)
        return outputs(lists)

    def vjps(
        values: list[object], cotangent_sets: list[list[torch.Tensor]]
    ) -> list[list[torch.Tensor]]:
        return cast(
            list[list[torch.Tensor]],
            link.request("vjpmany", fn, values, slots, cotangent_sets, None),
        )

    try:
        problem = _compare_jacobians(
            args, slots, labels, forward, nudged, vjps, eps, atol, rtol, "your backward"
        )
    except LearnerRaised as exc:  # the learner's code raised; the judge's own errors propagate
        problem = _first_line(exc)
    if problem:
        raise AssertionError(f"the gradient of {what} is wrong: {problem}")
    if not check_gradgrad:
        return
    firsts = forward(args)
    generator = torch.Generator().manual_seed(0)
    upstream = [
        torch.randn(o.shape, generator=generator, dtype=torch.float64).to(o.device, o.dtype)
        for o in firsts
    ]
    n = len(args)
    both: list[object] = [*args, *(u.requires_grad_() for u in upstream)]
    both_slots = [*slots, *range(n, n + len(upstream))]

    def g_forward(values: list[object]) -> list[torch.Tensor]:
        grads = link.request("vjpmany", fn, values[:n], slots, [list(values[n:])], None)
        return cast(list[torch.Tensor], grads[0])

    def g_nudged(values: list[object], wrt: list[int]) -> list[list[torch.Tensor]]:
        pairs = []
        for slot in wrt:
            base = cast(torch.Tensor, values[slot])
            for j in range(base.numel()):
                for sign in (1.0, -1.0):
                    copy = [_own_copy(v) if isinstance(v, torch.Tensor) else v for v in values]
                    cast(torch.Tensor, copy[slot]).view(-1)[j] += sign * eps
                    pairs.append([copy[:n], list(copy[n:])])
        return cast(list[list[torch.Tensor]], link.request("vjpeach", fn, slots, pairs))

    def g_vjps(values: list[object], sets: list[list[torch.Tensor]]) -> list[list[torch.Tensor]]:
        return cast(
            list[list[torch.Tensor]],
            link.request("vjpmany", fn, values[:n], slots, [list(values[n:])] * len(sets), sets),
        )

    upstream_names = (
        ["grad_output"]
        if len(upstream) == 1
        else [f"grad_output {i}" for i in range(len(upstream))]
    )
    try:
        problem = _compare_jacobians(
            both,
            both_slots,
            [*labels, *upstream_names],
            g_forward,
            g_nudged,
            g_vjps,
            eps,
            atol,
            rtol,
            "double backward",
            [f"(dL/d{labels[i]})" for i in slots],
        )
    except LearnerRaised as exc:  # the learner's code raised; the judge's own errors propagate
        problem = _first_line(exc)
    if problem:
        raise AssertionError(
            f"the second derivatives of {what} are wrong (gradgradcheck: your backward is "
            f"differentiated in turn): {problem}"
        )


def _compare_jacobians(
    args: list[object],
    slots: list[int],
    names: Sequence[str],
    forward: Callable[[list[object]], list[torch.Tensor]],
    nudged: Callable[[list[object], list[int]], list[list[torch.Tensor]]],
    vjps: Callable[[list[object], list[list[torch.Tensor]]], list[list[torch.Tensor]]],
    eps: float,
    atol: float,
    rtol: float,
    analytical: str,
    out_names: Sequence[str] = (),
) -> str | None:
    """Analytic against numerical Jacobians, every entry; the worst disagreement in words."""
    outs = forward(args)
    if not outs:
        return "no output requires grad: the result is not connected to the inputs"
    sizes = [o.numel() for o in outs]
    total = sum(sizes)
    cotangent_sets = []
    for o_index, out in enumerate(outs):
        for k in range(out.numel()):
            basis = [torch.zeros_like(o).detach() for o in outs]
            basis[o_index].view(-1)[k] = 1.0
            cotangent_sets.append(basis)
    analytic_rows = vjps(args, cotangent_sets)  # one row per output entry: grads per slot
    numeric = nudged(args, slots)
    best: tuple[float, str] | None = None
    position = 0
    for slot_index, slot in enumerate(slots):
        x = cast(torch.Tensor, args[slot])
        for j in range(x.numel()):
            plus, minus = numeric[position], numeric[position + 1]
            position += 2
            if len(plus) != len(outs) or len(minus) != len(outs):
                return "a nudged input changed how many outputs require grad"
            flat_num = torch.cat(
                [
                    ((p - m).detach().double().reshape(-1) / (2 * eps)).cpu()
                    for p, m in zip(plus, minus, strict=True)
                ]
            )
            flat_ana = torch.stack(
                [row[slot_index].detach().double().reshape(-1)[j].cpu() for row in analytic_rows]
            )
            error = (flat_ana - flat_num).abs()
            excess = torch.nan_to_num(error - (atol + rtol * flat_num.abs()), nan=math.inf)
            if not (excess > 0).any():
                continue
            flat = int(excess.argmax())
            score = float(excess[flat])
            if best is not None and score <= best[0]:
                continue
            o_index, k = _locate(flat, sizes)
            out = outs[o_index]
            if o_index < len(out_names):
                out_name = out_names[o_index]
            else:
                out_name = "output" if len(outs) == 1 else f"output {o_index}"
            bad = int((excess > 0).sum())
            best = (
                score,
                f"d {out_name}{_element(k, out.shape)} / d {names[slot]}{_element(j, x.shape)}: "
                f"{analytical} gives {_number(float(flat_ana[flat]))}, finite differences give "
                f"{_number(float(flat_num[flat]))} ({bad} of {total} entries of this column "
                f"differ, max error {float(torch.nan_to_num(error, nan=math.inf).max()):.3g})",
            )
    return None if best is None else best[1]


def _locate(flat: int, sizes: list[int]) -> tuple[int, int]:
    for index, size in enumerate(sizes):
        if flat < size:
            return index, flat
        flat -= size
    return len(sizes) - 1, flat


# --------------------------------------------------------------------------- saved tensors


def saved_tensor_count(fn: Callable[..., object], *args: object) -> int:
    """How many tensors autograd packs for backward while ``fn(*args)`` runs.

    Why: ``ctx.save_for_backward`` goes through autograd's saved-tensor machinery (version
    checks against in-place changes, ``saved_tensors_hooks`` for offloading and checkpointing);
    a tensor stashed as ``ctx.x`` bypasses all of it and is never counted. Inputs must require
    grad, or nothing is saved. Built-in ops recorded by ``fn`` count as well.
    """
    if is_proxy(fn):
        counted = cast(Proxy, fn)._link.request("saved", fn, list(args))
        if type(counted) is not int:
            raise AssertionError("the count of saved tensors did not come back as a number")
        return counted
    count = 0

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        nonlocal count
        count += 1
        return tensor

    def unpack(tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        fn(*args)
    return count


# --------------------------------------------------------------------------- torch calls


def _trainer_torch_call_count(
    fn: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]
) -> int:
    """How many torch calls ``fn(*args, **kwargs)`` makes (run where ``fn`` lives: defined in
    the learner process by :func:`torch_call_count`, so it needs nothing but ``torch``)."""

    class Counter(torch.overrides.TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def __torch_function__(
            self,
            func: Callable[..., object],
            types: object,
            args: Sequence[object] = (),
            kwargs: dict[str, object] | None = None,
        ) -> object:
            self.count += 1
            return func(*args, **(kwargs or {}))

    counter = Counter()
    with counter:
        fn(*args, **kwargs)
    return counter.count


def torch_call_count(
    remote: Remote | None, fn: Callable[..., object], *args: object, **kwargs: object
) -> int:
    """How many torch calls ``fn(*args, **kwargs)`` makes: functions, methods, operators,
    indexing and tensor properties, each call the code of ``fn`` makes counted once (what a
    torch function does inside is not counted again).

    Why: "no Python loop over the data" is a property of how the work grows, not of the
    source text. A vectorised function makes the same number of calls whatever the sizes of
    its inputs; a loop over rows makes more as the rows grow. Count at two input sizes and
    require the same count. The count comes from a ``torch.overrides.TorchFunctionMode``
    entered around the call where ``fn`` runs: for a learner function, in the learner process
    (``remote``, the fixture, defines the counter there), for a function of the judge's own,
    here (``remote`` may then be None). A learner's count is the learner process's word (its
    code could leave the mode): pair it with a value check, as for :func:`saved_tensor_count`.
    Arguments travel as for any call of ``fn``.
    """
    if is_proxy(fn):
        if remote is None:
            raise TypeError("torch_call_count: pass the remote fixture to count a learner call")
        count = remote.define(_trainer_torch_call_count)
        counted = count(fn, args, kwargs)
        if type(counted) is not int:
            raise AssertionError("the count of torch calls did not come back as a number")
        return counted
    return _trainer_torch_call_count(fn, args, kwargs)


def sgd_step(params: Iterable[torch.Tensor] | Proxy, lr: float) -> None:
    """Apply ``p -= lr * p.grad`` to every parameter that has a gradient.

    The same update as ``torch.optim.SGD(params, lr=lr).step()`` (no momentum or weight decay,
    parameters without ``.grad`` skipped), for checks that only need "the optimizer sees it":
    the first ``torch.optim`` optimizer built in a process imports ``torch._dynamo``, about 1 s.
    """
    if isinstance(params, Proxy):  # the learner's iterable of parameters: stepped there
        params._link.request("sgd", params, lr)
        return
    params = list(params)
    remote = [cast(Proxy, p) for p in params if is_proxy(p)]
    if remote:
        remote[0]._link.request("sgd", params, lr)
        return
    with torch.no_grad():
        for param in params:
            if param.grad is not None:
                param -= lr * param.grad


# --------------------------------------------------------------------------- forbid


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else f"?.{node.attr}"
    return None


def _suffix_match(path: str | None, wanted: str) -> bool:
    return path is not None and (path == wanted or path.endswith("." + wanted))


def _matcher(construct: str) -> Callable[[ast.AST], bool]:
    """Turn a construct spelling into a predicate over AST nodes (see :func:`forbid`)."""
    ident = r"[A-Za-z_]\w*"
    if re.fullmatch(rf"\.{ident}", construct):
        attr = construct[1:]
        return lambda node: isinstance(node, ast.Attribute) and node.attr == attr
    if re.fullmatch(rf"\.?{ident}(\.{ident})*\(\)", construct):
        callee = construct.lstrip(".")[:-2]
        return lambda node: isinstance(node, ast.Call) and _suffix_match(_dotted(node.func), callee)
    if re.fullmatch(rf"{ident}(\.{ident})*", construct):
        return lambda node: (
            isinstance(node, (ast.Name, ast.Attribute)) and _suffix_match(_dotted(node), construct)
        )
    raise ValueError(
        f"forbid: cannot read construct {construct!r}; use '.attr', 'name()', 'a.b()' or 'a.b'"
    )


def forbid(module: ModuleType | Proxy, construct: str, *, why: str) -> None:
    """Fail if the learner's source uses ``construct``; name the line and say ``why``.

    Only for katas whose lesson is to avoid a construct (``.data``, ``.cuda()``); everywhere else
    check behaviour. Spellings: ``".data"`` any attribute access ``<expr>.data``; ``"item()"`` or
    ``".item()"`` any call of a function or method named ``item``; ``"torch.no_grad()"`` a call
    whose dotted name ends in ``torch.no_grad``; ``"torch.no_grad"`` any such reference. It reads
    the syntax tree, so strings and comments never match, while ``getattr(x, "data")`` or an
    alias import slips through: pair it with a behavioural check.
    """
    match = _matcher(construct)
    if is_proxy(module):  # the learner's file as the judge read it: parsed here, never run
        link = cast(Proxy, module)._link
        source, filename = link.source, link.filename
    else:
        filename = getattr(module, "__file__", None)
        if not filename:
            raise TypeError(f"forbid: module {module.__name__!r} has no source file")
        source = Path(filename).read_text(encoding="utf-8")
    hits = sorted(
        {
            node.lineno
            for node in ast.walk(ast.parse(source, filename))
            if isinstance(node, ast.expr) and match(node)
        }
    )
    if not hits:
        return
    line = hits[0]
    code = source.splitlines()[line - 1].strip()
    more = len(hits) - 1
    also = f" (and {more} more line{'s' if more > 1 else ''})" if more else ""
    raise AssertionError(f"line {line} of your file uses {construct}: `{code}`{also}. {why}")


# --------------------------------------------------------------------------- names


def assert_same_names(
    got: Iterable[str], expected: Iterable[str], *, what: str, hint: str = ""
) -> None:
    """Fail unless ``got`` and ``expected`` hold the same names, listing missing and extra ones.

    For parameter, buffer, child or state-dict names, where the learner needs to see *which*
    names are off, not two long lists. Order is ignored; ``hint`` is appended to a failure.
    """
    have, want = list(got), list(expected)
    missing = [n for n in want if n not in have]
    extra = [n for n in have if n not in want]
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append("missing " + ", ".join(repr(n) for n in missing))
    if extra:
        parts.append("unexpected " + ", ".join(repr(n) for n in extra))
    if not extra:  # what is there explains what is missing; extras already say it
        parts[-1] += " (found: " + (", ".join(repr(n) for n in have) or "none") + ")"
    tail = f". {hint}" if hint else ""
    raise AssertionError(f"{what}: {'; '.join(parts)}{tail}")
