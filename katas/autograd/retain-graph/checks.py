"""Hidden checks for retain-graph: two losses backpropagated through one shared trunk."""

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, default_tolerances, plain, type_name

N_IN, N_HIDDEN, N_A, N_B = 5, 7, 3, 4
SECOND_TIME = "backward through the graph a second time"


class _Trunk(nn.Module):
    """Linear + tanh that counts how often it runs."""

    def __init__(self, n_in: int, n_hidden: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_hidden)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.tanh(self.linear(x))


class _TwoHeadNet(nn.Module):
    """Defined in the learner process too (remote.define): self-contained, sizes as arguments."""

    def __init__(self, n_in: int, n_hidden: int, n_a: int, n_b: int) -> None:
        super().__init__()
        self.trunk = _Trunk(n_in, n_hidden)
        self.head_a = nn.Linear(n_hidden, n_a)
        self.head_b = nn.Linear(n_hidden, n_b)


SIZES = (N_IN, N_HIDDEN, N_A, N_B)


def _setup(
    remote: Remote, seed: int, n: int, device: torch.device
) -> tuple[Any, _TwoHeadNet, tuple[torch.Tensor, ...]]:
    """The model handed to the learner (in its process), its twin here with the same
    weights, and a batch."""
    torch.manual_seed(seed)
    twin = _TwoHeadNet(*SIZES).to(device)
    x = (torch.randn(n, N_IN) * 2 + 0.3).to(device)
    y_a = (torch.randn(n, N_A) * 1.5).to(device)
    y_b = torch.randint(0, N_B, (n,)).to(device)
    remote.define(_Trunk)
    model = remote.define(_TwoHeadNet)(*SIZES).to(device)
    model.load_state_dict(dict(twin.state_dict()))
    return model, twin, (x, y_a, y_b)


def _grads(remote: Remote, model: Any) -> dict[str, torch.Tensor | None]:
    """Every parameter's .grad in the learner process, by value, in one request."""
    return remote.value(remote.eval("{n: p.grad for n, p in m.named_parameters()}", m=model))


def _losses(model: _TwoHeadNet, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    x, y_a, y_b = batch
    h = model.trunk(x)
    return F.mse_loss(model.head_a(h), y_a), F.cross_entropy(model.head_b(h), y_b)


def _reference_grads(model: _TwoHeadNet, batch: tuple[torch.Tensor, ...], which: str):
    """Gradients of loss_a, loss_b or their sum, from a fresh copy of the model."""
    twin = copy.deepcopy(model)
    loss_a, loss_b = _losses(twin, batch)
    loss = {"a": loss_a, "b": loss_b, "a+b": loss_a + loss_b}[which]
    params = [p for _, p in twin.named_parameters()]
    grads = torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True)
    return {name: g for (name, _), g in zip(twin.named_parameters(), grads, strict=True)}


def _call(learner: Any, model: Any, batch: tuple[torch.Tensor, ...]) -> object:
    try:
        return learner.backward_both(model, *batch)
    except RuntimeError as exc:
        if SECOND_TIME not in str(exc):
            raise
        raise AssertionError(
            "backward_both raised 'Trying to backward through the graph a second time': the "
            "first backward() freed the graph that the second one needs. Keep it with "
            "retain_graph=True on the first call (or backpropagate loss_a + loss_b once)"
        ) from None


def _close(got: torch.Tensor, expected: torch.Tensor) -> bool:
    rtol, atol = default_tolerances(expected.dtype, expected.device)
    return torch.allclose(got, expected, rtol=rtol * 10, atol=atol)


def _diagnosis(name: str, got: torch.Tensor, refs: dict[str, dict[str, torch.Tensor]]) -> str:
    a, b = refs["a"][name], refs["b"][name]
    if _close(got, b) and not _close(b, a + b):
        return (
            f"{name}.grad holds loss_b's gradient only: clearing .grad between the two "
            "backward calls (zero_grad) throws loss_a's gradient away"
        )
    if _close(got, a) and not _close(a, a + b):
        return (
            f"{name}.grad holds loss_a's gradient only: loss_b never reached it (was the "
            "trunk's output detached for head_b?)"
        )
    if _close(got, 2 * a + b):
        return f"{name}.grad counts loss_a's gradient twice"
    if _close(got, a + 2 * b):
        return f"{name}.grad counts loss_b's gradient twice"
    return "each parameter's gradient must be d(loss_a + loss_b)/d(parameter)"


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter gets the gradient of loss_a + loss_b"""
    for seed, n in [(0, 1), (1, 6)]:
        model, twin, batch = _setup(remote, seed, n, device)
        refs = {which: _reference_grads(twin, batch, which) for which in ("a", "b", "a+b")}
        _call(learner, model, batch)
        for name, got in _grads(remote, model).items():
            assert got is not None, (
                f"after backward_both (batch of {n}), {name}.grad is None, expected the "
                "gradient of loss_a + loss_b: did backward() run for both losses?"
            )
            got = plain(got, f"{name}.grad")
            assert_close(
                got,
                refs["a+b"][name],
                what=f"{name}.grad",
                inputs=f"a batch of {n}",
                rtol=1e-5,
                hint=_diagnosis(name, got, refs),
            )


def test_trunk_runs_once(learner: Any, remote: Remote, device: torch.device) -> None:
    """the trunk runs once per call"""
    model, _, batch = _setup(remote, 2, 4, device)
    _call(learner, model, batch)
    calls = model.trunk.calls
    assert calls == 1, (
        f"model.trunk ran {calls} times in one call of backward_both, expected once. "
        "Recomputing the features to get a fresh graph doubles the cost of the most expensive "
        "part (and with dropout the second pass draws different masks); keep the first graph "
        "with retain_graph=True instead"
    )


def _as_float(remote: Remote, value: object) -> float:
    """A float's number. A float subclass (numpy's float64) stays a learner object, and numpy
    scalars do not travel by value: float() of it is taken there, and comes back as a float."""
    return value if type(value) is float else remote.eval("float(v)", v=value)


def test_returns_losses(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns loss_a and loss_b as Python floats"""
    model, twin, batch = _setup(remote, 3, 5, device)
    with torch.no_grad():
        want = [float(v) for v in _losses(twin, batch)]
    got = _call(learner, model, batch)
    assert isinstance(got, tuple) and len(got) == 2, (
        f"backward_both returned {type_name(got)} {got!r}, expected a tuple "
        "(loss_a, loss_b) of two floats"
    )
    for name, value, expected in zip(("loss_a", "loss_b"), got, want, strict=True):
        assert isinstance(value, float), (
            f"backward_both returned {name} as {type_name(value)}, expected a Python "
            "float (loss.item()): a tensor kept for logging keeps its whole graph alive"
        )
        value = _as_float(remote, value)
        assert abs(value - expected) <= 1e-5 * max(1.0, abs(expected)), (
            f"backward_both returned {name} = {value:.6g}, expected {expected:.6g} "
            "(for a batch of 5)"
        )


def _set_grads(model: nn.Module, grads: dict[str, torch.Tensor]) -> None:
    """Put ``grads`` in the parameters' .grad (defined in the learner process)."""
    for name, param in model.named_parameters():
        param.grad = grads[name].clone()


def test_adds_to_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """like loss.backward(), backward_both adds to what .grad already holds"""
    model, twin, batch = _setup(remote, 4, 3, device)
    refs = _reference_grads(twin, batch, "a+b")
    # gradients already accumulated by the caller (an earlier micro-batch, say)
    torch.manual_seed(5)
    held = {name: torch.randn_like(p) for name, p in twin.named_parameters()}
    remote.define(_set_grads)(model, held)
    _call(learner, model, batch)
    for name, got in _grads(remote, model).items():
        assert got is not None, (
            f"after backward_both, {name}.grad is None: it held a gradient before the call, "
            "and backward() adds to .grad; setting it to None throws the caller's away"
        )
        got = plain(got, f"{name}.grad")
        assert_close(
            got,
            held[name] + refs[name],
            what=f"{name}.grad",
            inputs="a batch of 3, with .grad already holding a gradient before the call",
            rtol=1e-5,
            hint=(
                "That is the new gradient alone: backward_both cleared .grad first. Zeroing is "
                "the caller's job (it may be accumulating over several batches); like "
                "loss.backward(), add to .grad"
                if _close(got, refs[name])
                else "expected what .grad held before plus the gradient of loss_a + loss_b"
            ),
        )
