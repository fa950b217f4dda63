"""Hidden checks for per-sample-grads: ``per_sample_grads(model, x, labels)`` returns each
example's own gradient, as a per-example loop would, in one batched pass that leaves the model
alone."""

import copy
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, assert_same_names, plain

N_IN, N_HIDDEN, N_CLASSES = 5, 7, 3


class _Net(nn.Module):
    """A small classifier that counts how many times its forward pass runs."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(N_IN, N_HIDDEN)
        self.out = nn.Linear(N_HIDDEN, N_CLASSES)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.out(torch.tanh(self.hidden(x)))


def _setup(seed: int, n: int, device: torch.device) -> tuple[_Net, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = _Net().double().to(device)
    x = (torch.randn(n, N_IN, dtype=torch.float64) * 1.5 + 0.3).to(device)
    labels = torch.randint(0, N_CLASSES, (n,)).to(device)
    return model, x, labels


def _call(n: int) -> str:
    return f"per_sample_grads(model, x, labels) with x of shape ({n}, {N_IN})"


def _loop(model: _Net, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """The oracle: one backward pass per example, on a copy of the model."""
    twin = copy.deepcopy(model)
    names, params = zip(*twin.named_parameters(), strict=True)
    rows: list[tuple[torch.Tensor, ...]] = []
    for i in range(len(x)):
        loss = F.cross_entropy(twin(x[i : i + 1]), labels[i : i + 1])
        rows.append(torch.autograd.grad(loss, params))
    return {name: torch.stack([row[k] for row in rows]) for k, name in enumerate(names)}


def _batch_mean(model: _Net, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    twin = copy.deepcopy(model)
    names, params = zip(*twin.named_parameters(), strict=True)
    grads = torch.autograd.grad(F.cross_entropy(twin(x), labels), params)
    return dict(zip(names, grads, strict=True))


def _grads(
    learner: ModuleType, model: _Net, x: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The learner's result as plain tensors, after checking its keys and shapes."""
    call = _call(len(x))
    got = learner.per_sample_grads(model, x, labels)
    assert isinstance(got, dict), f"{call} returned a {type(got).__name__}, expected a dict"
    names = [name for name, _ in model.named_parameters()]
    assert_same_names(
        list(got),
        names,
        what=f"the keys of {call}",
        hint="one entry per parameter, named as model.named_parameters() names it",
    )
    grads = {}
    for name, param in model.named_parameters():
        value = got[name]
        expected = (len(x), *param.shape)
        shape = tuple(getattr(value, "shape", ()))
        assert shape == expected, (
            f"{call}: the entry {name!r} has shape {shape}, expected {expected}: one row per "
            f"example, each shaped like model.{name} {tuple(param.shape)}"
        )
        grads[name] = plain(value, f"the entry {name!r}")
    return grads


def _diagnosis(got: torch.Tensor, loop: torch.Tensor, mean: torch.Tensor, n: int, name: str) -> str:
    def close(a: torch.Tensor, b: torch.Tensor) -> bool:
        return a.shape == b.shape and torch.allclose(a, b, rtol=1e-6, atol=1e-9)

    if not bool(got.any()) and bool(loop.any()):
        return (
            "every gradient is zero: the function you differentiate ignores the parameters it "
            "is given. Calling model(x) inside it runs on the module's own parameters, which "
            "torch.func.grad does not see; run the model on the given ones with "
            "torch.func.functional_call(model, params, (x,))"
        )
    if n > 1 and close(got, mean.expand_as(got)):
        return (
            "every row is the batch's mean gradient, copied: a backward pass through the "
            "batch's mean loss sums over the examples before you can see any one of them. "
            "Take the gradient of one example's loss, and vmap it over the batch"
        )
    if n > 1 and close(got, loop / n):
        return (
            f"each row is 1/{n} of example i's gradient: its loss is its own cross-entropy, "
            "not its share of the batch's mean"
        )
    if n > 1 and close(got, loop.sum(0, keepdim=True).expand_as(got)):
        return "every row is the sum of the examples' gradients, copied"
    return (
        f"row i must be the gradient of F.cross_entropy(model(x[i:i+1]), labels[i:i+1]) "
        f"with respect to model.{name}"
    )


def test_matches_loop(learner: ModuleType, device: torch.device) -> None:
    """row i is the gradient of example i's loss alone"""
    for seed, n in enumerate([6, 1, 4]):
        model, x, labels = _setup(seed, n, device)
        expected = _loop(model, x, labels)
        mean = _batch_mean(model, x, labels)
        got = _grads(learner, model, x, labels)
        for name, value in got.items():
            assert_close(
                value,
                expected[name],
                what=f"the per-sample gradients of {name!r}",
                inputs=_call(n) + " (float64)",
                hint=_diagnosis(value, expected[name], mean[name], n, name),
            )


def test_one_batched_pass(learner: ModuleType, device: torch.device) -> None:
    """the model runs on the batch at once, not once per example"""
    model, x, labels = _setup(10, 8, device)
    _grads(learner, model, x, labels)
    assert model.calls > 0, f"{_call(8)} never called the model"
    assert model.calls < len(x), (
        f"{_call(8)} ran the model's forward {model.calls} times for a batch of 8: that is a "
        "Python loop over the examples, one small forward and backward each, far slower "
        "than one batched pass on a GPU. Write the loss of one example as a function of the "
        "parameters (torch.func.functional_call), take torch.func.grad of it, and "
        "torch.func.vmap that over the batch"
    )


def test_no_graph(learner: ModuleType, device: torch.device) -> None:
    """the per-sample gradients carry no autograd graph"""
    model, x, labels = _setup(20, 5, device)
    got = learner.per_sample_grads(model, x, labels)
    assert isinstance(got, dict), f"{_call(5)} returned a {type(got).__name__}, expected a dict"
    attached = [name for name, value in got.items() if getattr(value, "requires_grad", False)]
    assert not attached, (
        f"{_call(5)}, with the model's parameters requiring grad as usual: the entries "
        f"{', '.join(map(repr, attached))} require grad, so each one keeps an autograd graph "
        "(and every intermediate it saved) alive for as long as you keep them. torch.func "
        "differentiates with respect to the tensors you pass it, and the model's own "
        "parameters also track grad, for the optimizer. Pass detached copies: "
        "{name: p.detach() for name, p in model.named_parameters()}"
    )


def test_model_untouched(learner: ModuleType, device: torch.device) -> None:
    """the model's parameters and .grad are left as they were"""
    model, x, labels = _setup(30, 5, device)
    before = {}
    for name, param in model.named_parameters():
        param.grad = torch.randn_like(param)  # what the optimizer has accumulated so far
        before[name] = (param.detach().clone(), param.grad.clone())
    learner.per_sample_grads(model, x, labels)
    for name, param in model.named_parameters():
        weight, grad = before[name]
        assert torch.equal(param.detach(), weight), (
            f"{_call(5)} changed the values of model.{name}, expected them untouched"
        )
        assert param.grad is not None, (
            f"{_call(5)} set model.{name}.grad to None, expected the gradient it held "
            "before the call: the training loop accumulates into .grad, and "
            "per_sample_grads has no business clearing it (no zero_grad here)"
        )
        assert torch.equal(plain(param.grad, f"model.{name}.grad"), grad), (
            f"{_call(5)} changed model.{name}.grad (max change "
            f"{float((param.grad - grad).abs().max()):.3g}), expected it as it was: "
            "backward() adds into .grad, which the training loop owns. torch.func.grad "
            "returns gradients without touching any .grad"
        )
