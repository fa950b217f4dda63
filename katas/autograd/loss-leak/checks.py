"""Hidden checks for loss-leak: ``train_epoch`` must log a number, not the graphs."""

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, sgd_step, type_name

IN, HIDDEN, OUT = 5, 7, 3
LR = 0.05


# _Probe and _Net are defined in the learner process too (remote.define), where the learner's
# train_epoch runs them: self-contained (torch, nn only), sizes as arguments.
class _Probe(torch.autograd.Function):
    """The identity, as a graph node the checks can hold a weak reference to."""

    @staticmethod
    def forward(ctx: object, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: object, grad: torch.Tensor) -> torch.Tensor:
        return grad


class _Net(nn.Module):
    """A small MLP that records, at each forward, how many earlier batches' graphs are alive."""

    def __init__(self, n_in: int, hidden: int, n_out: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, n_out)
        self.graphs: list = []  # weak references to each batch's _Probe node
        self.alive_at_forward: list[int] = []

    def alive(self) -> int:
        return sum(ref() is not None for ref in self.graphs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import weakref

        self.alive_at_forward.append(self.alive())
        h = _Probe.apply(torch.tanh(self.fc1(x)))
        if h.grad_fn is not None:  # the graph node lives exactly as long as this batch's graph
            self.graphs.append(weakref.ref(h.grad_fn))
        return self.fc2(h)


def _setup(
    remote: Remote, sizes: list[int], device: torch.device
) -> tuple[Any, _Net, list[tuple[torch.Tensor, torch.Tensor]]]:
    """The model handed to the learner (in its process), its twin here with the same
    weights, and the batches."""
    twin = _Net(IN, HIDDEN, OUT).to(device)
    batches = [
        ((torch.randn(n, IN) * 2).to(device), (torch.randn(n, OUT) + 0.5).to(device)) for n in sizes
    ]
    remote.define(_Probe)
    model = remote.define(_Net)(IN, HIDDEN, OUT).to(device)
    model.load_state_dict(dict(twin.state_dict()))
    return model, twin, batches


def _as_float(remote: Remote, value: object) -> float:
    """A float's number. A float subclass (numpy's float64) stays a learner object, and numpy
    scalars do not travel by value: float() of it is taken there, and comes back as a float."""
    return value if type(value) is float else remote.eval("float(v)", v=value)


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


def test_returns_mean_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """train_epoch returns the mean batch loss as a Python float"""
    torch.manual_seed(0)
    for sizes in CASES:
        model, twin, batches = _setup(remote, sizes, device)
        _, expected = _reference(twin, batches)
        got = learner.train_epoch(model, batches, LR)
        if isinstance(got, torch.Tensor):
            graph = " with a grad_fn (an autograd graph)" if got.grad_fn is not None else ""
            raise AssertionError(
                f"train_epoch returned a torch.Tensor{graph} for {_describe(sizes)}, expected "
                "a Python float: a logged value only needs the number, and a tensor keeps "
                "whatever it is attached to (its graph, its device memory) alive"
            )
        assert isinstance(got, float), (
            f"train_epoch returned {type_name(got)} {got!r} for {_describe(sizes)}, "
            "expected a Python float"
        )
        assert_close(
            torch.tensor(_as_float(remote, got), dtype=torch.float64),
            torch.tensor(expected, dtype=torch.float64),
            what="the returned mean loss",
            inputs=_describe(sizes),
            rtol=1e-5,
            atol=1e-7,
            hint="Expected the mean of the per-batch MSE losses, each taken before its step",
        )


def test_trains(learner: Any, remote: Remote, device: torch.device) -> None:
    """one SGD step per batch, as before"""
    torch.manual_seed(1)
    sizes = CASES[1]
    model, twin, batches = _setup(remote, sizes, device)
    trained, _ = _reference(twin, batches)
    learner.train_epoch(model, batches, LR)
    # every parameter, by value, in one request
    params = remote.value(remote.eval("dict(m.named_parameters())", m=model))
    for (name, got), want in zip(params.items(), trained.parameters(), strict=True):
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


def test_graphs_freed(learner: Any, remote: Remote, device: torch.device) -> None:
    """each batch's autograd graph is freed before the next batch"""
    torch.manual_seed(2)
    sizes = CASES[1]
    model, _, batches = _setup(remote, sizes, device)
    # what train_epoch returns stays alive in the learner process while `result` lives here
    result = learner.train_epoch(model, batches, LR)
    held: list[int] = remote.value(model.alive_at_forward)
    worst = max(range(len(held)), key=lambda i: held[i])
    # the previous batch's graph may still be alive while its `loss` variable is in scope
    assert held[worst] <= 1, (
        f"when batch {worst + 1} of {len(sizes)} started, the autograd graphs of "
        f"{held[worst]} earlier batches were still alive ({_describe(sizes)}). Adding the "
        "loss *tensor* to a running total (or keeping it in a list) links the total to every "
        "batch's graph, so memory grows with every step until the epoch ends. Accumulate a "
        "number (loss.item()) or a detached tensor (loss.detach())"
    )
    remote.module("gc").collect()  # where the graphs are
    after = int(model.alive())
    assert after == 0, (
        f"after train_epoch returned, the autograd graphs of {after} batches were still "
        f"alive ({_describe(sizes)}): something train_epoch returned or kept still refers "
        "to a loss tensor with its graph"
    )
    del result
