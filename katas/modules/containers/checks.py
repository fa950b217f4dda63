"""Hidden checks for containers: the trunk's layers and the task heads must be registered.

What the checks read of a learner's ``Net`` (its Linears, their weights, modes and places, its
parameters' identities) comes back in one request per net (``_inspect``, run in the learner
process); the references and every comparison are computed here.
"""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, same_device, sgd_step, type_name

Heads = dict[str, int]
# (trunk widths, heads, batch): distinct widths, a one-layer trunk, a width-1 head, batch 1
CASES: list[tuple[list[int], Heads, int]] = [
    ([7, 5, 3], {"cls": 4, "box": 2}, 1),
    ([6, 9], {"cls": 1}, 5),
    ([8, 11, 10, 12], {"cls": 3, "box": 5, "mask": 13}, 4),
]


def _call(sizes: list[int], heads: Heads) -> str:
    return f"Net({sizes}, {heads})"


def _keys(sizes: list[int], heads: Heads) -> list[tuple[str, object]]:
    """Every Linear as the description promises it: net.layers[i] and net.heads[task]."""
    return [("layers", i) for i in range(len(sizes) - 1)] + [("heads", task) for task in heads]


def _inspect(net: object, keys: list[tuple[str, object]]) -> dict[str, object]:
    """Runs in the learner process: the identities and sizes of net.parameters(), and each
    expected Linear (or why it cannot be reached), as plain data."""
    found: dict[str, object] = {"params": [[id(p), p.numel()] for p in net.parameters()]}  # type: ignore[attr-defined]
    linears = []
    for attr, key in keys:
        try:
            module = getattr(net, attr)[key]
        except (AttributeError, KeyError, IndexError, TypeError) as exc:
            found["error"] = [attr, key, type(exc).__name__, str(exc)]
            return found
        if not isinstance(module, nn.Linear):
            found["not_linear"] = [attr, key, type(module).__name__]
            return found
        bias = module.bias
        linears.append(
            {
                "name": f"{attr}.{key}",
                "weight": module.weight.detach().clone(),
                "bias": bias.detach().clone() if bias is not None else None,
                "weight_id": id(module.weight),
                "numel": module.weight.numel() + (bias.numel() if bias is not None else 0),
                "training": bool(module.training),
            }
        )
    found["linears"] = linears
    return found


def _snapshot(remote: Remote, net: Any, sizes: list[int], heads: Heads) -> dict[str, Any]:
    """What the checks read of ``net``, in one request."""
    remote.define(_inspect)
    found: dict[str, Any] = remote.fetch("_inspect(net, keys)", net=net, keys=_keys(sizes, heads))
    return found


def _linears(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The Linears of a snapshot, failing as a learner reads it where one is not reachable by
    position or task name, or is not an nn.Linear."""
    if "error" in found:
        attr, key, kind, text = found["error"]
        raise AssertionError(
            f"net.{attr}[{key!r}] failed with {kind}: {text}. The trunk's "
            "layers must be reachable by position, the heads by task name"
        )
    if "not_linear" in found:
        attr, key, kind = found["not_linear"]
        raise AssertionError(
            f"net.{attr}[{key!r}] is a {kind}, expected an nn.Linear (apply the ReLU in forward)"
        )
    linears: list[dict[str, Any]] = found["linears"]
    return linears


def _reference(linears: list[dict[str, Any]], x: torch.Tensor, heads: Heads) -> dict[str, Any]:
    h = x
    for layer in linears:
        if layer["name"].startswith("layers."):
            h = F.relu(F.linear(h, layer["weight"], layer["bias"]))
    found = {layer["name"]: layer for layer in linears}
    return {
        task: F.linear(h, found[f"heads.{task}"]["weight"], found[f"heads.{task}"]["bias"])
        for task in heads
    }


def _check_outputs(
    remote: Remote, net: Any, sizes: list[int], heads: Heads, x: torch.Tensor
) -> None:
    call = _call(sizes, heads)
    out = net(x)
    assert isinstance(out, dict), f"{call}(x) returned a {type_name(out)}, expected a dict"
    try:
        values = remote.value(out)  # every head's output in one request
    except TypeError:
        values = out  # not plain data throughout: assert_close names the entry that is not
    assert_same_names(values, heads, what=f"the keys of {call}(x)")
    expected = _reference(_linears(_snapshot(remote, net, sizes, heads)), x, heads)
    for task in heads:
        assert_close(
            values[task],
            expected[task],
            what=f"{call}(x)[{task!r}]",
            inputs=f"x of shape {tuple(x.shape)}, {x.dtype}",
            rtol=1e-5,
        )


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """forward runs the trunk with ReLU, then every head"""
    torch.manual_seed(0)
    for sizes, heads, batch in CASES:
        net = learner.Net(sizes, heads).to(device)
        _check_outputs(remote, net, sizes, heads, (torch.randn(batch, sizes[0]) * 2).to(device))


def test_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """Net's parameters include every layer and head"""
    for sizes, heads, _ in CASES:
        net = learner.Net(sizes, heads).to(device)
        found = _snapshot(remote, net, sizes, heads)
        linears, params = _linears(found), found["params"]
        seen = {identity for identity, _ in params}
        missing = [m["name"] for m in linears if m["weight_id"] not in seen]
        wanted = sum(m["numel"] for m in linears)
        got = sum(numel for _, numel in params)
        assert not missing, (
            f"{_call(sizes, heads)}.parameters() yields {len(params)} tensors ({got} numbers), "
            f"expected {2 * len(linears)} ({wanted} numbers): {', '.join(missing)} are missing. "
            "Modules kept in a plain Python list or dict are invisible to .parameters()"
        )


def test_state_dict_keys(learner: Any, remote: Remote, device: torch.device) -> None:
    """state_dict keys are layers.<i>.* and heads.<task>.*"""
    for sizes, heads, _ in CASES:
        net = learner.Net(sizes, heads).to(device)
        expected = [f"layers.{i}.{p}" for i in range(len(sizes) - 1) for p in ("weight", "bias")]
        expected += [f"heads.{task}.{p}" for task in heads for p in ("weight", "bias")]
        assert_same_names(
            remote.fetch("list(net.state_dict())", net=net),
            expected,
            what=f"the keys of {_call(sizes, heads)}.state_dict()",
            hint="Saved checkpoints use exactly these names: register every module once, "
            "the trunk under layers (by position) and the heads under heads (by task name)",
        )


def test_train_eval(learner: Any, remote: Remote, device: torch.device) -> None:
    """net.eval() and net.train() reach every layer and head"""
    sizes, heads, _ = CASES[2]
    net = learner.Net(sizes, heads).to(device)
    _linears(_snapshot(remote, net, sizes, heads))
    for mode in ("eval", "train"):
        getattr(net, mode)()
        linears = _linears(_snapshot(remote, net, sizes, heads))
        wrong = [m["name"] for m in linears if m["training"] != (mode == "train")]
        assert not wrong, (
            f"after net.{mode}(), {', '.join(wrong)} did not switch mode: .train() and .eval() "
            "reach registered submodules only, so dropout or batch norm there would behave "
            "wrongly"
        )


def test_double_and_to(learner: Any, remote: Remote, device: torch.device) -> None:
    """net.double() and net.to(device) convert every layer and head"""
    torch.manual_seed(4)
    sizes, heads, _ = CASES[0]
    net = learner.Net(sizes, heads).double().to(device)
    linears = _linears(_snapshot(remote, net, sizes, heads))
    stale = [
        f"{m['name']} ({m['weight'].dtype}, {m['weight'].device})"
        for m in linears
        if m["weight"].dtype != torch.float64 or not same_device(m["weight"].device, device)
    ]
    assert not stale, (
        f"after net.double().to({device}), these were not converted: {', '.join(stale)}. "
        "Module.double() and .to() reach registered submodules only"
    )
    x = torch.randn(3, sizes[0], dtype=torch.float64).to(device)
    _check_outputs(remote, net, sizes, heads, x)


def test_optimizer_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """one optimizer step updates every layer and head"""
    torch.manual_seed(5)
    sizes, heads, _ = CASES[2]
    net = learner.Net(sizes, heads).to(device)
    found = _snapshot(remote, net, sizes, heads)
    assert found["params"], (
        f"{_call(sizes, heads)}.parameters() is empty: an optimizer built from it has "
        "nothing to train"
    )
    before = _linears(found)
    out = net((torch.randn(6, sizes[0]) * 2).to(device))
    loss = sum((y * torch.randn_like(y)).sum() for y in out.values())
    assert isinstance(loss, torch.Tensor)
    loss.backward()
    sgd_step(net.parameters(), lr=0.1)
    after = {m["name"]: m["weight"] for m in _linears(_snapshot(remote, net, sizes, heads))}
    stuck = [m["name"] for m in before if torch.equal(after[m["name"]], m["weight"])]
    assert not stuck, (
        f"after an SGD step on net.parameters(), the weights of {', '.join(stuck)} did not "
        "change: an optimizer only receives the parameters of registered submodules"
    )
