"""Hidden checks for capture-acts: ``capture(model, x, names)`` records submodule outputs with
forward hooks, as detached copies, and leaves no hook behind."""

import contextlib
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, plain, type_name


class _Net(nn.Module):
    """A small MLP; with ``inplace`` its ReLUs overwrite the outputs of the layers before them."""

    def __init__(self, inplace: bool) -> None:
        super().__init__()
        self.stem = nn.Linear(5, 7)
        self.act = nn.ReLU(inplace=inplace)
        self.block = nn.Sequential(nn.Linear(7, 6), nn.ReLU(inplace=inplace), nn.Linear(6, 4))
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.act(self.stem(x))))


def _copy_of(inplace: bool, state: dict[str, torch.Tensor], device: torch.device) -> nn.Module:
    """A _Net with the weights ``state`` (defined in the learner process, after _Net)."""
    net = _Net(inplace).to(device)
    net.load_state_dict(state)
    return net


def _nets(inplace: bool, remote: Remote, device: torch.device) -> tuple[Any, _Net]:
    """The same model twice: the learner process's (for capture) and the judge's (the
    reference)."""
    ours = _Net(inplace).to(device)
    remote.define(_Net)
    theirs = remote.define(_copy_of)(inplace, dict(ours.state_dict()), device)
    return theirs, ours


def _reference(net: _Net, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every submodule's output, computed by hand with out-of-place functions."""
    with torch.no_grad():
        out = {"stem": F.linear(x, net.stem.weight, net.stem.bias)}
        out["act"] = F.relu(out["stem"])
        out["block.0"] = F.linear(out["act"], net.block[0].weight, net.block[0].bias)
        out["block.1"] = F.relu(out["block.0"])
        out["block.2"] = F.linear(out["block.1"], net.block[2].weight, net.block[2].bias)
        out["block"] = out["block.2"]
        out["head"] = F.linear(out["block"], net.head.weight, net.head.bias)
    return out


def _input(n: int, device: torch.device) -> torch.Tensor:
    return (torch.randn(n, 5) * 2 + 0.3).to(device)


def _call(names: Sequence[str], n: int) -> str:
    return f"capture(model, x, {list(names)}) with x of shape ({n}, 5)"


def _capture(
    learner: Any, net: Any, x: torch.Tensor, names: Sequence[str]
) -> dict[str, torch.Tensor]:
    return _plain_captures(learner.capture(net, x, list(names)), names, _call(names, x.shape[0]))


def _plain_captures(got: object, names: Sequence[str], call: str) -> dict[str, torch.Tensor]:
    """The learner's result as plain tensors, after checking it is a dict keyed by names."""
    assert isinstance(got, dict), f"{call} returned a {type_name(got)}, expected a dict"
    assert_same_names(got, names, what=f"the keys of {call}")
    return {name: plain(got[name], f"the capture of {name!r}") for name in names}


def _hook_counts(net: nn.Module) -> dict[str, int]:
    """How many forward (pre-)hooks each submodule has, plus the global ones (defined in the
    learner process)."""
    counts = {
        name or "the model": len(m._forward_hooks) + len(m._forward_pre_hooks)
        for name, m in net.named_modules()
    }
    module_globals = torch.nn.modules.module
    counts["global module hooks"] = len(module_globals._global_forward_hooks) + len(
        module_globals._global_forward_pre_hooks
    )
    return counts


def _hooks(remote: Remote, net: Any) -> dict[str, int]:
    counts: dict[str, int] = remote.value(remote.define(_hook_counts)(net))
    return counts


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """each capture equals the output of the submodule with that name"""
    torch.manual_seed(0)
    theirs, net = _nets(False, remote, device)
    for names, n in [(["stem", "block.0", "block", "head"], 4), (["block.2"], 1)]:
        x = _input(n, device)
        got = _capture(learner, theirs, x, names)
        expected = _reference(net, x)
        for name in names:
            assert_close(
                got[name],
                expected[name],
                what=f"the capture of {name!r}",
                inputs=_call(names, n),
                rtol=1e-5,
                hint="a forward hook is called as hook(module, args, output): record output, "
                "the value the submodule returned (args holds its inputs)",
            )


def test_survives_inplace(learner: Any, remote: Remote, device: torch.device) -> None:
    """captures survive a following ReLU(inplace=True)"""
    torch.manual_seed(1)
    theirs, net = _nets(True, remote, device)
    names = ["stem", "act", "block.0", "head"]
    for n in (3, 1):
        x = _input(n, device)
        got = _capture(learner, theirs, x, names)
        expected = _reference(net, x)
        for name in names:
            clipped = (
                got[name].shape == expected[name].shape
                and bool((got[name] >= 0).all())
                and torch.allclose(got[name].cpu(), F.relu(expected[name]).cpu(), atol=1e-5)
                and not bool((expected[name] >= 0).all())
            )
            assert_close(
                got[name],
                expected[name],
                what=f"the capture of {name!r}",
                inputs=_call(names, n) + ", where ReLU(inplace=True) follows stem and block.0",
                rtol=1e-5,
                hint=(
                    "Its negative values were zeroed by the in-place ReLU that runs after the "
                    "hook: output.detach() shares storage with the output, so it changes with "
                    "it. Store a copy: output.detach().clone()"
                )
                if clipped
                else "",
            )


def test_hooks_removed(learner: Any, remote: Remote, device: torch.device) -> None:
    """after capture returns, only the hooks that were there before remain"""
    torch.manual_seed(2)
    theirs, _ = _nets(True, remote, device)
    calls = remote.eval("[]")  # in the learner process, beside the model and its hooks
    handle = theirs.block.register_forward_hook(
        remote.eval("lambda *args: calls.append(1)", calls=calls)
    )
    try:
        before = _hooks(remote, theirs)
        x = _input(4, device)
        raw = learner.capture(theirs, x, ["stem", "block"])
        got = _plain_captures(raw, ["stem", "block"], _call(["stem", "block"], 4))
        saved = {name: value.clone() for name, value in got.items()}
        after = _hooks(remote, theirs)
        left = [
            f"{name} ({after[name] - before[name]})" for name in after if after[name] > before[name]
        ]
        gone = [name for name in after if after[name] < before[name]]
        assert not gone, (
            f"capture removed a forward hook it did not register, on {', '.join(gone)}: other "
            "code (a profiler, another probe) had put it there. Remove only your own hooks, "
            "through the handles register_forward_hook returned; never clear _forward_hooks"
        )
        assert not left, (
            f"after capture(model, x, ['stem', 'block']) returned, hooks it added are still on "
            f"the model: {', '.join(left)}. Every later forward pass runs them and keeps the "
            "old dict of captures alive. Keep each handle and call handle.remove()"
        )
        calls.clear()
        theirs(_input(2, device))
        assert len(calls) > 0, "the model's own forward hook on block stopped firing after capture"
        changed = [name for name in saved if not torch.equal(plain(raw[name]), saved[name])]
        assert not changed, (
            f"a forward pass after capture returned changed the captures it returned "
            f"({', '.join(changed)}): its hooks are still running"
        )
    finally:
        handle.remove()


def test_hooks_removed_on_error(learner: Any, remote: Remote, device: torch.device) -> None:
    """hooks are removed even when the forward pass raises"""
    torch.manual_seed(3)
    theirs, _ = _nets(False, remote, device)
    before = _hooks(remote, theirs)
    bad = torch.randn(2, 6).to(device)  # the model expects 5 features
    with contextlib.suppress(Exception):  # the forward pass's error, passed on to the caller
        learner.capture(theirs, bad, ["stem", "block.0", "head"])
    after = _hooks(remote, theirs)
    left = [
        f"{name} ({after[name] - before[name]})" for name in after if after[name] > before[name]
    ]
    assert not left, (
        f"capture(model, x, ['stem', 'block.0', 'head']) with an x of the wrong shape (2, 6) "
        f"raised, and left its hooks on the model: {', '.join(left)}. Remove them in a "
        "finally block (or with contextlib.ExitStack), so an exception cannot skip the cleanup"
    )


def test_detached(learner: Any, remote: Remote, device: torch.device) -> None:
    """captures are detached: they keep no autograd graph alive"""
    torch.manual_seed(4)
    theirs, _ = _nets(False, remote, device)
    x = remote.tensor(_input(3, device).requires_grad_())  # a leaf that requires grad there
    got = learner.capture(theirs, x, ["stem", "block"])
    assert isinstance(got, dict), f"capture returned a {type_name(got)}, expected a dict"
    attached = [name for name, value in got.items() if getattr(value, "requires_grad", False)]
    assert not attached, (
        f"with x requiring grad, the captures of {', '.join(attached)} require grad: each one "
        "keeps the forward graph (and every activation it saved) alive for as long as you keep "
        "the capture. Store output.detach().clone()"
    )


def _count_forwards(net: nn.Module) -> tuple[list[int], Any]:
    """A list that grows by one per forward pass of ``net``, and the handle of the hook that
    fills it (defined in the learner process)."""
    calls: list[int] = []
    handle = net.register_forward_hook(lambda *args: calls.append(1))
    return calls, handle


def test_one_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """capture runs the model's forward pass once"""
    torch.manual_seed(5)
    theirs, _ = _nets(False, remote, device)
    calls, handle = remote.define(_count_forwards)(theirs)
    names = ["stem", "block.0", "head"]
    try:
        learner.capture(theirs, _input(3, device), names)
        runs = len(calls)
    finally:
        handle.remove()
    assert runs == 1, (
        f"{_call(names, 3)} ran the model's forward pass {runs} times, expected once: "
        "each extra pass costs time and moves whatever a forward pass changes (BatchNorm "
        "statistics, dropout draws, other hooks). Register a hook on every named submodule, "
        "then run model(x) a single time"
    )


def test_error_propagates(learner: Any, remote: Remote, device: torch.device) -> None:
    """an error in the forward pass reaches the caller"""
    torch.manual_seed(6)
    theirs, _ = _nets(False, remote, device)
    names = ["stem", "head"]
    try:
        got = learner.capture(theirs, torch.randn(2, 6).to(device), names)
    except Exception:  # the forward pass's shape error, passed on: what the description asks
        return
    raise AssertionError(
        f"capture(model, x, {names}) with an x of the wrong shape (2, 6) returned a "
        f"{type_name(got)} instead of raising the forward pass's error: a caller fitting "
        "probes gets missing or stale captures and no sign that the model failed. Remove the "
        "hooks in finally (without except), and let the exception go on"
    )


def _meta_case() -> tuple[nn.Module, torch.Tensor]:
    """A bfloat16 _Net and input on the meta device (defined in the learner process)."""
    net = _Net(False).to(device="meta", dtype=torch.bfloat16)
    return net, torch.randn(2, 5, device="meta", dtype=torch.bfloat16)


def test_dtype_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """each capture keeps the output's dtype and device

    A bfloat16 model on the meta device stands in for one on a GPU: a capture moved to the CPU
    (.cpu()) or converted (.float()) is no longer the output as the submodule returned it.
    """
    remote.define(_Net)
    net, x = remote.define(_meta_case)()
    names = ["stem", "block.0"]
    call = f"capture(model, x, {names}) for a bfloat16 model and x on the meta device"
    try:
        got = learner.capture(net, x, names)
        kinds = {name: (got[name].dtype, got[name].device) for name in names}
    except Exception as exc:
        message = str(exc).splitlines()[0].rstrip(".!") if str(exc) else ""
        raise AssertionError(
            f"{call} raised {getattr(exc, 'short_type', type(exc).__name__)}: {message}. "
            "A capture must stay where the output is (no .cpu(), .numpy() or .item()); "
            "output.detach().clone() works on every device"
        ) from None
    wrong = {
        name: f"{dtype} on {where}"
        for name, (dtype, where) in kinds.items()
        if dtype != torch.bfloat16 or where.type != "meta"
    }
    assert not wrong, (
        f"{call}: the captures are {wrong}, expected torch.bfloat16 on meta, the dtype and "
        "device of each output as returned. Copy with output.detach().clone(), without .cpu() "
        "or .float()"
    )
