"""Hidden checks for loss-leak: ``train_epoch`` must log a number, not the graphs."""

import copy
import gc
import weakref
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, sgd_step

IN, HIDDEN, OUT = 5, 7, 3
LR = 0.05


class _Probe(torch.autograd.Function):
    """The identity, as a graph node the checks can hold a weak reference to."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return grad


class _Net(nn.Module):
    """A small MLP that records, at each forward, how many earlier batches' graphs are alive."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(IN, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, OUT)
        self.graphs: list[weakref.ref[Any]] = []
        self.alive_at_forward: list[int] = []

    def alive(self) -> int:
        return sum(ref() is not None for ref in self.graphs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.alive_at_forward.append(self.alive())
        h = _Probe.apply(torch.tanh(self.fc1(x)))
        if h.grad_fn is not None:  # the graph node lives exactly as long as this batch's graph
            self.graphs.append(weakref.ref(h.grad_fn))
        return self.fc2(h)


def _setup(
    sizes: list[int], device: torch.device
) -> tuple[_Net, list[tuple[torch.Tensor, torch.Tensor]]]:
    model = _Net().to(device)
    batches = [
        ((torch.randn(n, IN) * 2).to(device), (torch.randn(n, OUT) + 0.5).to(device)) for n in sizes
    ]
    return model, batches


def _reference(
    model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]
) -> tuple[nn.Module, float]:
    """The intended epoch on a copy of model: its trained copy and the mean batch loss."""
    copy_ = copy.deepcopy(model)
    losses = []
    for x, y in batches:
        loss = F.mse_loss(copy_(x), y)
        copy_.zero_grad()
        loss.backward()
        sgd_step(copy_.parameters(), LR)
        losses.append(loss.item())
    return copy_, sum(losses) / len(losses)


def _describe(sizes: list[int]) -> str:
    return f"{len(sizes)} batch{'es' if len(sizes) > 1 else ''} of sizes {sizes}"


CASES = [[4], [6, 3, 5, 1, 8]]


def test_returns_mean_loss(learner: ModuleType, device: torch.device) -> None:
    """train_epoch returns the mean batch loss as a Python float"""
    torch.manual_seed(0)
    for sizes in CASES:
        model, batches = _setup(sizes, device)
        _, expected = _reference(model, batches)
        got = learner.train_epoch(model, batches, LR)
        if isinstance(got, torch.Tensor):
            graph = " with a grad_fn (an autograd graph)" if got.grad_fn is not None else ""
            raise AssertionError(
                f"train_epoch returned a torch.Tensor{graph} for {_describe(sizes)}, expected "
                "a Python float: a logged value only needs the number, and a tensor keeps "
                "whatever it is attached to (its graph, its device memory) alive"
            )
        assert isinstance(got, float), (
            f"train_epoch returned {type(got).__name__} {got!r} for {_describe(sizes)}, "
            "expected a Python float"
        )
        assert_close(
            torch.tensor(got, dtype=torch.float64),
            torch.tensor(expected, dtype=torch.float64),
            what="the returned mean loss",
            inputs=_describe(sizes),
            rtol=1e-5,
            atol=1e-7,
            hint="Expected the mean of the per-batch MSE losses, each taken before its step",
        )


def test_trains(learner: ModuleType, device: torch.device) -> None:
    """one SGD step per batch, as before"""
    torch.manual_seed(1)
    sizes = CASES[1]
    model, batches = _setup(sizes, device)
    trained, _ = _reference(model, batches)
    learner.train_epoch(model, batches, LR)
    for (name, got), want in zip(model.named_parameters(), trained.parameters(), strict=True):
        assert_close(
            got,
            want,
            what=f"model.{name} after train_epoch",
            inputs=f"{_describe(sizes)}, lr={LR}",
            rtol=1e-5,
            atol=1e-6,
            hint="train_epoch must still take one SGD step per batch on "
            "F.mse_loss(model(x), y): logging the loss must not change the training",
        )


def test_graphs_freed(learner: ModuleType, device: torch.device) -> None:
    """each batch's autograd graph is freed before the next batch"""
    torch.manual_seed(2)
    sizes = CASES[1]
    model, batches = _setup(sizes, device)
    result = learner.train_epoch(model, batches, LR)
    held = model.alive_at_forward
    worst = max(range(len(held)), key=lambda i: held[i])
    # the previous batch's graph may still be alive while its `loss` variable is in scope
    assert held[worst] <= 1, (
        f"when batch {worst + 1} of {len(sizes)} started, the autograd graphs of "
        f"{held[worst]} earlier batches were still alive ({_describe(sizes)}). Adding the "
        "loss *tensor* to a running total (or keeping it in a list) links the total to every "
        "batch's graph, so memory grows with every step until the epoch ends. Accumulate a "
        "number (loss.item()) or a detached tensor (loss.detach())"
    )
    gc.collect()
    after = model.alive()
    assert after == 0, (
        f"after train_epoch returned, the autograd graphs of {after} batches were still "
        f"alive ({_describe(sizes)}): something train_epoch returned or kept still refers "
        "to a loss tensor with its graph"
    )
    del result
