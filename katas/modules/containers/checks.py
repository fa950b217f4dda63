"""Hidden checks for containers: the trunk's layers and the task heads must be registered."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, assert_same_names, same_device, sgd_step

Heads = dict[str, int]
# (trunk widths, heads, batch): distinct widths, a one-layer trunk, a width-1 head, batch 1
CASES: list[tuple[list[int], Heads, int]] = [
    ([7, 5, 3], {"cls": 4, "box": 2}, 1),
    ([6, 9], {"cls": 1}, 5),
    ([8, 11, 10, 12], {"cls": 3, "box": 5, "mask": 13}, 4),
]


def _call(sizes: list[int], heads: Heads) -> str:
    return f"Net({sizes}, {heads})"


def _linears(net: nn.Module, sizes: list[int], heads: Heads) -> list[tuple[str, nn.Linear]]:
    """Every Linear as the description promises it: net.layers[i] and net.heads[task]."""
    found: list[tuple[str, nn.Linear]] = []
    keys: list[tuple[str, str, object]] = [("layers", f"[{i}]", i) for i in range(len(sizes) - 1)]
    keys += [("heads", f"[{task!r}]", task) for task in heads]
    for attr, shown, key in keys:
        try:
            module = getattr(net, attr)[key]
        except (AttributeError, KeyError, IndexError, TypeError) as exc:
            raise AssertionError(
                f"net.{attr}{shown} failed with {_type_name(exc)}: {exc}. The trunk's "
                "layers must be reachable by position, the heads by task name"
            ) from None
        assert isinstance(module, nn.Linear), (
            f"net.{attr}{shown} is a {_type_name(module)}, expected an nn.Linear "
            "(apply the ReLU in forward)"
        )
        found.append((f"{attr}.{key}", module))
    return found


def _reference(
    linears: list[tuple[str, nn.Linear]], x: torch.Tensor, heads: Heads
) -> dict[str, torch.Tensor]:
    h = x
    for name, layer in linears:
        if name.startswith("layers."):
            h = F.relu(F.linear(h, layer.weight, layer.bias))
    found = dict(linears)
    return {
        task: F.linear(h, found[f"heads.{task}"].weight, found[f"heads.{task}"].bias)
        for task in heads
    }


def _check_outputs(net: nn.Module, sizes: list[int], heads: Heads, x: torch.Tensor) -> None:
    call = _call(sizes, heads)
    out = net(x)
    assert isinstance(out, dict), f"{call}(x) returned a {_type_name(out)}, expected a dict"
    assert_same_names(out, heads, what=f"the keys of {call}(x)")
    expected = _reference(_linears(net, sizes, heads), x, heads)
    for task in heads:
        assert_close(
            out[task],
            expected[task],
            what=f"{call}(x)[{task!r}]",
            inputs=f"x of shape {tuple(x.shape)}, {x.dtype}",
            rtol=1e-5,
        )


def test_forward(learner: Any, device: torch.device) -> None:
    """forward runs the trunk with ReLU, then every head"""
    torch.manual_seed(0)
    for sizes, heads, batch in CASES:
        net = learner.Net(sizes, heads).to(device)
        _check_outputs(net, sizes, heads, (torch.randn(batch, sizes[0]) * 2).to(device))


def test_parameters(learner: Any, device: torch.device) -> None:
    """Net's parameters include every layer and head"""
    for sizes, heads, _ in CASES:
        net = learner.Net(sizes, heads).to(device)
        params = list(net.parameters())
        seen = {id(p) for p in params}
        linears = _linears(net, sizes, heads)
        missing = [name for name, m in linears if id(m.weight) not in seen]
        wanted = sum(m.weight.numel() + m.bias.numel() for _, m in linears)
        got = sum(p.numel() for p in params)
        assert not missing, (
            f"{_call(sizes, heads)}.parameters() yields {len(params)} tensors ({got} numbers), "
            f"expected {2 * len(linears)} ({wanted} numbers): {', '.join(missing)} are missing. "
            "Modules kept in a plain Python list or dict are invisible to .parameters()"
        )


def test_state_dict_keys(learner: Any, device: torch.device) -> None:
    """state_dict keys are layers.<i>.* and heads.<task>.*"""
    for sizes, heads, _ in CASES:
        net = learner.Net(sizes, heads).to(device)
        expected = [f"layers.{i}.{p}" for i in range(len(sizes) - 1) for p in ("weight", "bias")]
        expected += [f"heads.{task}.{p}" for task in heads for p in ("weight", "bias")]
        assert_same_names(
            net.state_dict(),
            expected,
            what=f"the keys of {_call(sizes, heads)}.state_dict()",
            hint="Saved checkpoints use exactly these names: register every module once, "
            "the trunk under layers (by position) and the heads under heads (by task name)",
        )


def test_train_eval(learner: Any, device: torch.device) -> None:
    """net.eval() and net.train() reach every layer and head"""
    sizes, heads, _ = CASES[2]
    net = learner.Net(sizes, heads).to(device)
    linears = _linears(net, sizes, heads)
    for mode in ("eval", "train"):
        getattr(net, mode)()
        wrong = [name for name, m in linears if m.training != (mode == "train")]
        assert not wrong, (
            f"after net.{mode}(), {', '.join(wrong)} did not switch mode: .train() and .eval() "
            "reach registered submodules only, so dropout or batch norm there would behave "
            "wrongly"
        )


def test_double_and_to(learner: Any, device: torch.device) -> None:
    """net.double() and net.to(device) convert every layer and head"""
    torch.manual_seed(4)
    sizes, heads, _ = CASES[0]
    net = learner.Net(sizes, heads).double().to(device)
    linears = _linears(net, sizes, heads)
    stale = [
        f"{name} ({m.weight.dtype}, {m.weight.device})"
        for name, m in linears
        if m.weight.dtype != torch.float64 or not same_device(m.weight.device, device)
    ]
    assert not stale, (
        f"after net.double().to({device}), these were not converted: {', '.join(stale)}. "
        "Module.double() and .to() reach registered submodules only"
    )
    _check_outputs(net, sizes, heads, torch.randn(3, sizes[0], dtype=torch.float64).to(device))


def test_optimizer_step(learner: Any, device: torch.device) -> None:
    """one optimizer step updates every layer and head"""
    torch.manual_seed(5)
    sizes, heads, _ = CASES[2]
    net = learner.Net(sizes, heads).to(device)
    params = list(net.parameters())
    assert params, (
        f"{_call(sizes, heads)}.parameters() is empty: an optimizer built from it has "
        "nothing to train"
    )
    linears = _linears(net, sizes, heads)
    before = {name: m.weight.detach().clone() for name, m in linears}
    out = net((torch.randn(6, sizes[0]) * 2).to(device))
    loss = sum((y * torch.randn_like(y)).sum() for y in out.values())
    assert isinstance(loss, torch.Tensor)
    loss.backward()
    sgd_step(params, lr=0.1)
    stuck = [name for name, m in linears if torch.equal(m.weight, before[name])]
    assert not stuck, (
        f"after an SGD step on net.parameters(), the weights of {', '.join(stuck)} did not "
        "change: an optimizer only receives the parameters of registered submodules"
    )


def _type_name(value: object) -> str:
    """The class name of a value, of the learner-side object a proxy stands for, or of the
    exception the learner's code raised (not the judge-side class that carries it here)."""
    if isinstance(value, BaseException):
        name = getattr(value, "remote_type", "")  # raised by the learner's code: its own class
    else:
        name = getattr(value, "_type", "")  # a proxy names its learner-side class
    if not isinstance(name, str) or not name:
        name = type(value).__name__
    return name.rpartition(".")[2]
