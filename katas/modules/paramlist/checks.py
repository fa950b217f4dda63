"""Hidden checks for paramlist: the per-stage scales are registered as scales.0, scales.1, …"""

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from trainer.checks import (
    Remote,
    assert_close,
    assert_same_names,
    plain,
    same_device,
    sgd_step,
    type_name,
)

# (widths, init or None for the default): a width of 1, a single stage, four stages
CASES: list[tuple[list[int], float | None]] = [([3, 1, 6], 0.5), ([5], None), ([4, 7, 2, 9], 0.25)]
DEFAULT_INIT = 1e-4
REGISTER = (
    "Parameters kept in a plain Python list are not registered; nn.ParameterList registers "
    "each one under its index"
)


def _call(widths: list[int], init: float | None) -> str:
    return f"StageScales({widths})" if init is None else f"StageScales({widths}, init={init})"


def _build(learner: Any, widths: list[int], init: float | None) -> Any:
    try:
        return learner.StageScales(widths) if init is None else learner.StageScales(widths, init)
    except TypeError as exc:
        if "is not a Module subclass" not in str(exc):
            raise
        raise AssertionError(
            f"{_call(widths, init)} raised TypeError: {exc}. nn.ModuleList holds Modules only; "
            "Parameters go into nn.ParameterList"
        ) from None


def _scales(module: Any, widths: list[int], init: float | None) -> list[Any]:
    """module.scales[i], each checked to be a Parameter of shape (widths[i],)."""
    call = _call(widths, init)
    found = []
    for i, width in enumerate(widths):
        try:
            scale = module.scales[i]
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            kind = getattr(exc, "short_type", type(exc).__name__)  # the learner-side class
            raise AssertionError(
                f"{call}.scales[{i}] failed with {kind}: {exc}. Stage i's scale "
                "must be reachable as module.scales[i]"
            ) from None
        assert isinstance(scale, nn.Parameter), (
            f"{call}.scales[{i}] is {type_name(scale)}, expected an nn.Parameter"
        )
        assert tuple(scale.shape) == (width,), (
            f"{call}.scales[{i}] has shape {tuple(scale.shape)}, expected ({width},)"
        )
        found.append(scale)
    return found


def _values(remote: Remote, tensors: Any, names: Sequence[str]) -> list[torch.Tensor]:
    """plain() of each learner tensor in ``tensors`` (a list, or a learner list), fetched in one
    request."""
    try:
        fetched = remote.value(remote.eval("list(tensors)", tensors=tensors))
    except TypeError:  # one is not a plain tensor: plain() names it
        fetched = list(tensors)
    return [plain(t, name) for t, name in zip(fetched, names, strict=True)]


def _feats(widths: list[int], device: torch.device, dtype: torch.dtype) -> list[torch.Tensor]:
    """Stage i's features: (batch, tokens_i, widths[i]), fewer tokens in later stages."""
    return [
        (torch.randn(2, 2 * (len(widths) - i) + 1, w, dtype=dtype) * 2 + 0.5).to(device)
        for i, w in enumerate(widths)
    ]


def _check_forward(
    remote: Remote, module: Any, call: str, feats: Sequence[torch.Tensor], scales: list[Any]
) -> None:
    out = module(list(feats))
    is_list = isinstance(out, (list, tuple))
    length = len(out) if is_list else None
    assert is_list and length == len(feats), (
        f"{call}(feats) returned {type_name(out)}"
        + (f" of length {length}" if is_list else "")
        + f", expected a list of {len(feats)} tensors, one per stage"
    )
    got = _values(remote, out, [f"{call}(feats)[{i}]" for i in range(len(feats))])
    values = _values(remote, scales, [f"scales[{i}]" for i in range(len(scales))])
    for i, (g, f) in enumerate(zip(got, feats, strict=True)):
        assert_close(
            g,
            f * values[i],
            what=f"{call}(feats)[{i}]",
            inputs=f"feats[{i}] of shape {tuple(f.shape)}, {f.dtype}",
        )


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """forward multiplies each stage's features by that stage's scale"""
    torch.manual_seed(0)
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        scales = _scales(module, widths, init)
        trained = [torch.randn(w).to(device) for w in widths]  # distinct values: a mix-up shows
        with remote.torch.no_grad():
            remote.eval(
                "[s.copy_(v) for s, v in zip(scales, trained)]", scales=scales, trained=trained
            )
        _check_forward(
            remote, module, _call(widths, init), _feats(widths, device, torch.float32), scales
        )


def test_initial_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """each scale starts as a (width,) vector filled with init"""
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        value = DEFAULT_INIT if init is None else init
        scales = _scales(module, widths, init)
        names = [f"{_call(widths, init)}.scales[{i}]" for i in range(len(widths))]
        for i, scale in enumerate(_values(remote, scales, names)):
            assert_close(
                scale,
                torch.full((widths[i],), value, device=device),
                what=f"{_call(widths, init)}.scales[{i}] before training",
            )


def test_registered(learner: Any, remote: Remote, device: torch.device) -> None:
    """named_parameters() is scales.0, scales.1, … one per stage (and so is state_dict())"""
    for widths, init in CASES:
        module = _build(learner, widths, init).to(device)
        expected = [f"scales.{i}" for i in range(len(widths))]
        assert_same_names(
            remote.value(remote.eval("[n for n, _ in module.named_parameters()]", module=module)),
            expected,
            what=f"{_call(widths, init)}.named_parameters()",
            hint=f"{REGISTER}. These names are also the checkpoint's keys",
        )
        assert_same_names(
            remote.value(remote.eval("list(module.state_dict())", module=module)),
            expected,
            what=f"the keys of {_call(widths, init)}.state_dict()",
            hint="Register each scale once, in the ParameterList: named_parameters() hides a "
            "Parameter registered a second time (in another container or attribute), but "
            "state_dict() saves it under both names, and checkpoints no longer load strictly",
        )


def test_feats_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """forward leaves the caller's feats unchanged"""
    torch.manual_seed(3)
    widths, init = CASES[2]
    call = _call(widths, init)
    module = _build(learner, widths, init).to(device)
    feats = _feats(widths, device, torch.float32)
    theirs = [remote.tensor(f.clone()) for f in feats]  # tensors the caller keeps using
    module(theirs)
    after = _values(remote, theirs, [f"feats[{i}]" for i in range(len(feats))])
    changed = [
        i for i, (a, f) in enumerate(zip(after, feats, strict=True)) if not torch.equal(a, f)
    ]
    assert not changed, (
        f"after {call}(feats), the caller's feats[{changed[0]}] changed"
        + (f" (and {len(changed) - 1} more)" if len(changed) > 1 else "")
        + ": forward scaled the input tensors in place (mul_, *=). The rest of the model "
        "(a residual branch, another head) still reads them; return new tensors, "
        "feats[i] * scales[i]"
    )


def test_optimizer_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """one SGD step on module.parameters() updates every scale"""
    torch.manual_seed(1)
    widths, init = CASES[2]
    call = _call(widths, init)
    module = _build(learner, widths, init).to(device)
    params = remote.eval("list(module.parameters())", module=module)
    assert len(params), (
        f"{call}.parameters() is empty: an optimizer has nothing to train. {REGISTER}"
    )
    scales = _scales(module, widths, init)
    names = [f"{call}.scales[{i}]" for i in range(len(widths))]
    before = _values(remote, scales, names)
    feats = _feats(widths, device, torch.float32)
    upstream = [torch.randn_like(f) for f in feats]
    out = module(feats)
    loss = remote.eval(
        "sum((o * u).sum() for o, u in zip(out, upstream, strict=True))", out=out, upstream=upstream
    )
    loss.backward()
    sgd_step(params, lr=0.1)
    after = _values(remote, scales, names)
    for i, (scale, old, f, u) in enumerate(zip(after, before, feats, upstream, strict=True)):
        grad = (f * u).reshape(-1, widths[i]).sum(0)  # d loss / d scale, summed over positions
        assert_close(
            scale,
            old - 0.1 * grad,
            what=f"{call}.scales[{i}] after one SGD step (lr=0.1) on module.parameters()",
            rtol=1e-4,
            atol=1e-5,
            hint=REGISTER if torch.equal(scale, old) else "",
        )


def test_double_and_to(learner: Any, remote: Remote, device: torch.device) -> None:
    """module.double() and .to(device) convert every scale"""
    torch.manual_seed(2)
    widths, init = CASES[0]
    call = _call(widths, init)
    module = _build(learner, widths, init).double().to(device)
    scales = _scales(module, widths, init)
    kinds = remote.value(remote.eval("[(s.dtype, s.device) for s in scales]", scales=scales))
    stale = [
        f"scales[{i}] ({dtype}, {where})"
        for i, (dtype, where) in enumerate(kinds)
        if dtype != torch.float64 or not same_device(where, device)
    ]
    assert not stale, (
        f"after {call}.double().to({device}), these were not converted: {', '.join(stale)}. "
        f"Module.double() and .to() convert registered parameters only. {REGISTER}"
    )
    _check_forward(
        remote, module, f"{call}.double()", _feats(widths, device, torch.float64), scales
    )
