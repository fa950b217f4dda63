"""Hidden checks for ablate-hook: ``with ablate(module, k):`` zeroes channel k of the module's
output through a forward hook, keeps backward working, and restores the module on exit."""

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain, same_device

F64 = torch.float64
CHANNEL_HINT = (
    "The channel is dim 1 of the module's output, whatever its shape ((N, C) or "
    "(N, C, H, W)), and a forward hook changes that output only by returning the new value"
)


class _Mlp(nn.Module):
    """A residual MLP: a Sigmoid (which saves its output for backward), and a Dropout that, in
    eval mode, returns its input tensor itself while the skip connection uses it too."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(5, 6)
        self.gate = nn.Sigmoid()
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(6, 6)
        self.out = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gate(self.inp(x))
        h = h + self.fc(self.drop(h))
        return self.out(h)


class _Cnn(nn.Module):
    """Two convolutions with a Tanh (which also saves its output) between them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.act = nn.Tanh()
        self.conv2 = nn.Conv2d(4, 3, 3, padding=1)
        self.head = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv2(self.act(self.conv1(x))).mean((2, 3)))


def _zeroed(t: torch.Tensor, channel: int) -> torch.Tensor:
    mask = torch.ones(t.shape[1], dtype=t.dtype, device=t.device)
    mask[channel] = 0
    return t * mask.view(1, -1, *[1] * (t.dim() - 2))


def _reference(
    net: nn.Module, x: torch.Tensor, at: str | None, channel: int, on_input: bool = False
) -> torch.Tensor:
    """The model's forward pass by hand (eval mode), with channel ``channel`` of the output of
    submodule ``at`` zeroed (of its input with ``on_input``, to name that mistake)."""

    def run(name: str, fn: Callable[[torch.Tensor], torch.Tensor], t: torch.Tensor) -> torch.Tensor:
        if name == at and on_input:
            return fn(_zeroed(t, channel))
        out = fn(t)
        return _zeroed(out, channel) if name == at else out

    if isinstance(net, _Mlp):
        h = run("gate", torch.sigmoid, run("inp", lambda t: F.linear(t, *_wb(net.inp)), x))
        branch = run("fc", lambda t: F.linear(t, *_wb(net.fc)), run("drop", lambda t: t, h))
        return run("out", lambda t: F.linear(t, *_wb(net.out)), h + branch)
    assert isinstance(net, _Cnn)
    h = run("conv1", lambda t: F.conv2d(t, *_wb(net.conv1), padding=1), x)
    h = run("conv2", lambda t: F.conv2d(t, *_wb(net.conv2), padding=1), run("act", torch.tanh, h))
    return run("head", lambda t: F.linear(t, *_wb(net.head)), h.mean((2, 3)))


def _wb(layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    return layer.weight, layer.bias


def _copy_of(
    kind: type[nn.Module], state: dict[str, torch.Tensor], device: torch.device, dtype: torch.dtype
) -> nn.Module:
    """``kind`` with the weights ``state``, in eval mode (defined in the learner process)."""
    net = kind().to(device=device, dtype=dtype)
    net.load_state_dict(state)
    return net.eval()


def _nets(kind: type[nn.Module], remote: Remote, device: torch.device) -> tuple[Any, nn.Module]:
    """The same model twice: the learner process's (for ablate) and the judge's (the reference)."""
    ours = kind().to(device=device, dtype=F64).eval()
    theirs = remote.define(_copy_of)(remote.define(kind), dict(ours.state_dict()), device, F64)
    return theirs, ours


def _input(net: nn.Module, n: int, device: torch.device) -> torch.Tensor:
    shape = (n, 5) if isinstance(net, _Mlp) else (n, 2, 5, 4)
    return (torch.randn(shape, dtype=F64) * 2 + 0.3).to(device)


def _hook_counts(net: nn.Module) -> dict[str, int]:
    """Forward (pre-)hooks per submodule and global ones (defined in the learner process)."""
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


def _ablated(
    learner: Any, remote: Remote, net: Any, name: str, channel: int, x: torch.Tensor
) -> torch.Tensor:
    """model(x) inside ``ablate(model.<name>, channel)``, without grad, by value."""
    with remote.torch.no_grad(), learner.ablate(net.get_submodule(name), channel):
        return plain(net(x), "the model's output")


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """inside ablate(module, k), the model runs with channel k of module's output zeroed"""
    torch.manual_seed(0)
    cases = [(_Mlp, "inp", 0), (_Mlp, "fc", 5), (_Mlp, "out", 2)]
    cases += [(_Cnn, "conv1", 3), (_Cnn, "conv2", 1)]
    for kind, name, channel in cases:
        theirs, net = _nets(kind, remote, device)
        for n in (1, 4):
            x = _input(net, n, device)
            got = _ablated(learner, remote, theirs, name, channel, x)
            with torch.no_grad():
                expected = _reference(net, x, name, channel)
                try:  # the module's input may have fewer channels
                    on_input: torch.Tensor | None = _reference(net, x, name, channel, True)
                except IndexError:
                    on_input = None
                untouched = _reference(net, x, None, channel)
            hint = CHANNEL_HINT
            if (
                on_input is not None
                and got.shape == on_input.shape
                and torch.allclose(got, on_input)
            ):
                hint = (
                    "Your output matches zeroing the channel of the module's INPUT (a forward "
                    "pre-hook); ablation silences what the module itself produces"
                )
            elif got.shape == untouched.shape and torch.allclose(got, untouched):
                hint = (
                    "Nothing was ablated: a forward hook changes the module's output only "
                    "by returning the new tensor (a hook that returns None keeps the original)"
                )
            assert_close(
                got,
                expected,
                what=f"model(x) inside ablate(model.{name}, {channel})",
                inputs=f"x of shape {tuple(x.shape)}, a {kind.__name__.lstrip('_')}",
                hint=hint,
            )


def _output_kind(
    kind: type[nn.Module], ablate: Any, name: str, channel: int, dtype: torch.dtype, device: str
) -> tuple[Any, Any, str | None]:
    """A fresh ``kind`` in ``dtype`` on ``device``: the dtype and device of ``name``'s output
    inside ``ablate(<name>, channel)``, or the error the forward pass raised (defined in the
    learner process)."""
    net = kind().to(device=device, dtype=dtype).eval()
    module = net.get_submodule(name)
    seen: dict[str, Any] = {}

    def observe(m: nn.Module, args: Any, out: torch.Tensor) -> None:
        seen["kind"] = (out.dtype, str(out.device))

    with torch.no_grad(), ablate(module, channel):
        handle = module.register_forward_hook(observe)  # runs after ablate's hook
        try:
            net(torch.randn(3, 5, dtype=dtype, device=device))
        except Exception as exc:  # reported to the learner
            return None, None, f"{type(exc).__name__}: {str(exc).splitlines()[0].rstrip('.!')}"
        finally:
            handle.remove()
    return seen["kind"][0], seen["kind"][1], None


def test_dtype_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """the ablated output keeps the module's dtype and device

    On a CPU, the meta device stands in for a GPU: a mask built with torch.ones(C) lives on
    the CPU, and mixing it with a meta output raises, as it would with a CUDA output.
    """
    kind_there = remote.define(_Mlp)
    for dtype, where in [(torch.bfloat16, str(device)), (torch.float32, "meta")]:
        remote.torch.manual_seed(5)
        got_dtype, got_device, error = remote.define(_output_kind)(
            kind_there, learner.ablate, "out", 2, dtype, where
        )
        model = f"a {str(dtype).removeprefix('torch.')} model on {where}"
        assert error is None, (
            f"inside ablate(model.out, 2), on {model}, the forward pass failed: {error}. Build "
            "whatever your hook combines with the output (a mask, an index) on output.device, "
            "with output.dtype, or derive it from output itself (output.clone(), "
            "torch.ones_like)"
        )
        assert got_dtype == dtype and same_device(torch.device(got_device), torch.device(where)), (
            f"inside ablate(model.out, 2), on {model}, model.out's output is {got_dtype} on "
            f"{got_device}, expected {dtype} on {where}: the ablated output must keep the "
            "module's dtype and device. A float32 mask (torch.ones(C)) times a bfloat16 output "
            "promotes it to float32; build the mask with dtype=output.dtype, "
            "device=output.device"
        )


def test_backward(learner: Any, remote: Remote, device: torch.device) -> None:
    """backward inside ablate works and gives the ablated model's gradients (Sigmoid, Tanh too)

    Sigmoid and Tanh save their output for backward, so an in-place edit of it breaks backward.
    """
    torch.manual_seed(1)
    for kind, name, channel, n in [(_Mlp, "gate", 1, 3), (_Cnn, "act", 2, 1), (_Mlp, "fc", 4, 2)]:
        theirs, net = _nets(kind, remote, device)
        x = _input(net, n, device)
        mine = remote.tensor(x.clone().requires_grad_())  # a leaf where the model runs
        ref = x.clone().requires_grad_()
        call = f"ablate(model.{name}, {channel})"
        try:
            with learner.ablate(theirs.get_submodule(name), channel):
                out = theirs(mine)
                upstream = torch.randn(out.shape, dtype=F64).to(device)
                assert out.requires_grad, (
                    f"inside {call}, the model's output does not require grad: the ablated "
                    "output was cut from the graph (built from output.detach()?), so backward "
                    "cannot reach x or the parameters before the module"
                )
                out.backward(upstream)
        except RuntimeError as exc:
            raise AssertionError(
                f"backward inside {call} failed: {str(exc).split(' Hint:')[0].strip()} "
                f"{type(net.get_submodule(name)).__name__} saves its output for backward, and "
                "your hook changed that very tensor in place; return a new tensor instead "
                "(clone, then zero; or multiply by a mask)"
            ) from None
        _reference(net, ref, name, channel).backward(upstream)
        grad = mine.grad
        assert grad is not None, (
            f"inside {call}, backward left x.grad as None: the ablated output is cut off from "
            "the graph (built from output.detach()?), so no gradient reaches x or the layers "
            "before the module"
        )
        assert_close(
            grad,
            ref.grad,
            what=f"x.grad inside {call}",
            inputs=f"x of shape {tuple(x.shape)} and a random upstream gradient",
            hint="the zeroed channel passes no gradient back; every other one passes it unchanged",
        )


def test_aliased_output(learner: Any, remote: Remote, device: torch.device) -> None:
    """ablating a Dropout in eval mode (it returns its input) leaves the skip connection alone"""
    torch.manual_seed(2)
    for n, channel in [(1, 4), (3, 0)]:
        theirs, net = _nets(_Mlp, remote, device)
        x = _input(net, n, device)
        got = _ablated(learner, remote, theirs, "drop", channel, x)
        with torch.no_grad():
            expected = _reference(net, x, "drop", channel)
        assert_close(
            got,
            expected,
            what=f"model(x) inside ablate(model.drop, {channel})",
            inputs=f"x of shape {tuple(x.shape)}, where h + fc(drop(h)) uses h twice",
            hint="nn.Dropout in eval mode (like nn.Identity, or ReLU(inplace=True)) returns "
            "the very tensor it was given. Zeroing its output in place also zeroed h on the "
            "skip connection; return a new tensor from the hook instead",
        )


def _keep_output(module: nn.Module, args: Any, output: torch.Tensor) -> None:
    """A hook of the experimenter's own, which ablate must leave in place."""


def test_restored(learner: Any, remote: Remote, device: torch.device) -> None:
    """after the with block, the module behaves as before and no hook is left"""
    torch.manual_seed(3)
    theirs, net = _nets(_Mlp, remote, device)
    handle = theirs.fc.register_forward_hook(remote.define(_keep_output))
    try:
        before = _hooks(remote, theirs)
        x = _input(net, 4, device)
        with remote.torch.no_grad():
            original = plain(theirs(x), "the model's output")
            _ablated(learner, remote, theirs, "fc", 2, x)
            after_exit = theirs(x)
        after = _hooks(remote, theirs)
        _assert_restored(before, after, original, after_exit, "after the with block ended")
    finally:
        handle.remove()


class _ExperimentFailed(RuntimeError):
    """Raised inside the with block, as a failing experiment would."""


def _fail_inside(context: Any) -> None:
    """``with context:`` around an experiment that raises (defined in the learner process, so
    the context manager's ``__exit__`` sees the exception)."""
    try:
        with context:
            raise _ExperimentFailed("a shape mismatch in the experiment")
    except _ExperimentFailed:
        pass


def test_restored_on_error(learner: Any, remote: Remote, device: torch.device) -> None:
    """the module is restored even if the with block raises"""
    torch.manual_seed(4)
    theirs, net = _nets(_Cnn, remote, device)
    before = _hooks(remote, theirs)
    x = _input(net, 2, device)
    remote.define(_ExperimentFailed)
    with remote.torch.no_grad():
        original = plain(theirs(x), "the model's output")
        remote.define(_fail_inside)(learner.ablate(theirs.conv1, 1))
        after_exit = theirs(x)
    after = _hooks(remote, theirs)
    _assert_restored(before, after, original, after_exit, "after an error inside the with block")


def _error_reaches_caller(context: Any) -> bool:
    """Whether an error raised inside ``with context:`` comes out of the with statement
    (defined in the learner process)."""
    try:
        with context:
            raise _ExperimentFailed("a shape mismatch in the experiment")
    except _ExperimentFailed:
        return True
    return False


def test_error_propagates(learner: Any, remote: Remote, device: torch.device) -> None:
    """an error inside the with block still reaches the caller"""
    theirs, _ = _nets(_Cnn, remote, device)
    remote.define(_ExperimentFailed)
    reached = remote.define(_error_reaches_caller)(learner.ablate(theirs.conv2, 0))
    assert reached is True, (
        "an exception raised inside `with ablate(model.conv2, 0):` did not come out of the "
        "with block: ablate swallowed it, so a crashed experiment looks like a finished one. "
        "Clean up in `finally:` (which lets the exception go on), not in an `except` that "
        "drops it"
    )


def _assert_restored(
    before: dict[str, int],
    after: dict[str, int],
    original: torch.Tensor,
    after_exit: torch.Tensor,
    when: str,
) -> None:
    gone = [name for name in after if after[name] < before[name]]
    assert not gone, (
        f"{when}, a forward hook that ablate did not register is gone from {', '.join(gone)}: "
        "remove only your own hook, through its handle"
    )
    left = [
        f"{name} ({after[name] - before[name]})" for name in after if after[name] > before[name]
    ]
    cleanup = (
        "Call handle.remove() in a finally block around the yield, so an exception cannot skip it"
        if "error" in when
        else "Remove the hook (handle.remove()) when the with block ends"
    )
    assert not left, f"{when}, ablate's hooks are still on the model: {', '.join(left)}. {cleanup}"
    assert_close(
        after_exit,
        original,
        what=f"model(x) {when}",
        inputs="the same x as before ablating",
        hint="the model must behave exactly as before the ablation",
    )
