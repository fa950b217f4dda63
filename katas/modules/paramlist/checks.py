"""Hidden checks for paramlist: the per-stage scales are registered as scales.0, scales.1, …"""

from collections.abc import Sequence
from types import ModuleType

import torch
from torch import nn

from trainer.checks import assert_close, assert_same_names, plain, same_device, sgd_step

# (widths, init or None for the default): a width of 1, a single stage, four stages
CASES: list[tuple[list[int], float | None]] = [([3, 1, 6], 0.5), ([5], None), ([4, 7, 2, 9], 0.25)]
DEFAULT_INIT = 1e-4
REGISTER = (
    "Parameters kept in a plain Python list are not registered; nn.ParameterList registers "
    "each one under its index"
)


def _call(widths: list[int], init: float | None) -> str:
    return f"StageScales({widths})" if init is None else f"StageScales({widths}, init={init})"


def _build(learner: ModuleType, widths: list[int], init: float | None) -> nn.Module:
    try:
        return learner.StageScales(widths) if init is None else learner.StageScales(widths, init)
    except TypeError as exc:
        if "is not a Module subclass" not in str(exc):
            raise
        raise AssertionError(
            f"{_call(widths, init)} raised TypeError: {exc}. nn.ModuleList holds Modules only; "
            "Parameters go into nn.ParameterList"
        ) from None


def _scales(module: nn.Module, widths: list[int], init: float | None) -> list[torch.Tensor]:
    """module.scales[i], each checked to be a Parameter of shape (widths[i],)."""
    call = _call(widths, init)
    found = []
    for i, width in enumerate(widths):
        try:
            scale = module.scales[i]
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise AssertionError(
                f"{call}.scales[{i}] failed with {type(exc).__name__}: {exc}. Stage i's scale "
                "must be reachable as module.scales[i]"
            ) from None
        assert isinstance(scale, nn.Parameter), (
            f"{call}.scales[{i}] is {type(scale).__name__}, expected an nn.Parameter"
        )
        assert tuple(scale.shape) == (width,), (
            f"{call}.scales[{i}] has shape {tuple(scale.shape)}, expected ({width},)"
        )
        found.append(scale)
    return found


def _feats(widths: list[int], device: torch.device, dtype: torch.dtype) -> list[torch.Tensor]:
    """Stage i's features: (batch, tokens_i, widths[i]), fewer tokens in later stages."""
    return [
        (torch.randn(2, 2 * (len(widths) - i) + 1, w, dtype=dtype) * 2 + 0.5).to(device)
        for i, w in enumerate(widths)
    ]


def _check_forward(module: nn.Module, call: str, feats: Sequence[torch.Tensor]) -> None:
    out = module(list(feats))
    assert isinstance(out, (list, tuple)) and len(out) == len(feats), (
        f"{call}(feats) returned {type(out).__name__}"
        + (f" of length {len(out)}" if isinstance(out, (list, tuple)) else "")
        + f", expected a list of {len(feats)} tensors, one per stage"
    )
    for i, (got, f) in enumerate(zip(out, feats, strict=True)):
        assert_close(
            got,
            f * plain(module.scales[i]),
            what=f"{call}(feats)[{i}]",
            inputs=f"feats[{i}] of shape {tuple(f.shape)}, {f.dtype}",
        )


def test_forward(learner: ModuleType, device: torch.device) -> None:
    """forward multiplies each stage's features by that stage's scale"""
    torch.manual_seed(0)
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        with torch.no_grad():  # trained scales: distinct values, so a mix-up shows
            for scale in _scales(module, widths, init):
                scale.copy_(torch.randn(scale.shape))
        _check_forward(module, _call(widths, init), _feats(widths, device, torch.float32))


def test_initial_values(learner: ModuleType, device: torch.device) -> None:
    """each scale starts as a (width,) vector filled with init"""
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        value = DEFAULT_INIT if init is None else init
        for i, scale in enumerate(_scales(module, widths, init)):
            assert_close(
                scale,
                torch.full((widths[i],), value, device=device),
                what=f"{_call(widths, init)}.scales[{i}] before training",
            )


def test_registered(learner: ModuleType, device: torch.device) -> None:
    """named_parameters() is scales.0, scales.1, … one per stage"""
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        assert_same_names(
            [name for name, _ in module.named_parameters()],
            [f"scales.{i}" for i in range(len(widths))],
            what=f"{_call(widths, init)}.named_parameters()",
            hint=f"{REGISTER}. These names are also the checkpoint's keys",
        )


def test_optimizer_step(learner: ModuleType, device: torch.device) -> None:
    """one SGD step on module.parameters() updates every scale"""
    torch.manual_seed(1)
    widths, init = CASES[2]
    call = _call(widths, init)
    module = _build(learner, widths, init).to(device)
    params = list(module.parameters())
    assert params, f"{call}.parameters() is empty: an optimizer has nothing to train. {REGISTER}"
    scales = _scales(module, widths, init)
    before = [plain(s).clone() for s in scales]
    feats = _feats(widths, device, torch.float32)
    upstream = [torch.randn_like(f) for f in feats]
    out = module(feats)
    sum((o * u).sum() for o, u in zip(out, upstream, strict=True)).backward()
    sgd_step(params, lr=0.1)
    for i, (scale, old, f, u) in enumerate(zip(scales, before, feats, upstream, strict=True)):
        grad = (f * u).reshape(-1, widths[i]).sum(0)  # d loss / d scale, summed over positions
        assert_close(
            scale,
            old - 0.1 * grad,
            what=f"{call}.scales[{i}] after one SGD step (lr=0.1) on module.parameters()",
            rtol=1e-4,
            atol=1e-5,
            hint=REGISTER if torch.equal(plain(scale), old) else "",
        )


def test_double_and_to(learner: ModuleType, device: torch.device) -> None:
    """module.double() and .to(device) convert every scale"""
    torch.manual_seed(2)
    widths, init = CASES[0]
    call = _call(widths, init)
    module = _build(learner, widths, init).double().to(device)
    stale = [
        f"scales[{i}] ({s.dtype}, {s.device})"
        for i, s in enumerate(_scales(module, widths, init))
        if s.dtype != torch.float64 or not same_device(s.device, device)
    ]
    assert not stale, (
        f"after {call}.double().to({device}), these were not converted: {', '.join(stale)}. "
        f"Module.double() and .to() convert registered parameters only. {REGISTER}"
    )
    _check_forward(module, f"{call}.double()", _feats(widths, device, torch.float64))
