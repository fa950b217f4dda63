"""Hidden checks for retain-graph: two losses backpropagated through one shared trunk."""

import copy
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, default_tolerances, plain

N_IN, N_HIDDEN, N_A, N_B = 5, 7, 3, 4
SECOND_TIME = "backward through the graph a second time"


class _Trunk(nn.Module):
    """Linear + tanh that counts how often it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(N_IN, N_HIDDEN)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.tanh(self.linear(x))


class _TwoHeadNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = _Trunk()
        self.head_a = nn.Linear(N_HIDDEN, N_A)
        self.head_b = nn.Linear(N_HIDDEN, N_B)


def _setup(seed: int, n: int, device: torch.device) -> tuple[_TwoHeadNet, tuple[torch.Tensor, ...]]:
    torch.manual_seed(seed)
    model = _TwoHeadNet().to(device)
    x = (torch.randn(n, N_IN) * 2 + 0.3).to(device)
    y_a = (torch.randn(n, N_A) * 1.5).to(device)
    y_b = torch.randint(0, N_B, (n,)).to(device)
    return model, (x, y_a, y_b)


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


def _call(learner: ModuleType, model: _TwoHeadNet, batch: tuple[torch.Tensor, ...]) -> object:
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


def test_gradients(learner: ModuleType, device: torch.device) -> None:
    """every parameter gets the gradient of loss_a + loss_b"""
    for seed, n in [(0, 1), (1, 6)]:
        model, batch = _setup(seed, n, device)
        refs = {which: _reference_grads(model, batch, which) for which in ("a", "b", "a+b")}
        _call(learner, model, batch)
        for name, param in model.named_parameters():
            got = param.grad
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


def test_trunk_runs_once(learner: ModuleType, device: torch.device) -> None:
    """the trunk runs once per call"""
    model, batch = _setup(2, 4, device)
    _call(learner, model, batch)
    calls = model.trunk.calls
    assert calls == 1, (
        f"model.trunk ran {calls} times in one call of backward_both, expected once. "
        "Recomputing the features to get a fresh graph doubles the cost of the most expensive "
        "part (and with dropout the second pass draws different masks); keep the first graph "
        "with retain_graph=True instead"
    )


def test_returns_losses(learner: ModuleType, device: torch.device) -> None:
    """returns loss_a and loss_b as Python floats"""
    model, batch = _setup(3, 5, device)
    with torch.no_grad():
        want = [float(v) for v in _losses(copy.deepcopy(model), batch)]
    got = _call(learner, model, batch)
    assert isinstance(got, tuple) and len(got) == 2, (
        f"backward_both returned {type(got).__name__} {got!r}, expected a tuple "
        "(loss_a, loss_b) of two floats"
    )
    for name, value, expected in zip(("loss_a", "loss_b"), got, want, strict=True):
        assert isinstance(value, float), (
            f"backward_both returned {name} as {type(value).__name__}, expected a Python "
            "float (loss.item()): a tensor kept for logging keeps its whole graph alive"
        )
        assert abs(value - expected) <= 1e-5 * max(1.0, abs(expected)), (
            f"backward_both returned {name} = {value:.6g}, expected {expected:.6g} "
            "(for a batch of 5)"
        )
