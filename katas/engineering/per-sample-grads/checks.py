"""Hidden checks for per-sample-grads: ``per_sample_grads(model, x, labels)`` returns each
example's own gradient, as a per-example loop would, in one batched pass that leaves the model
alone."""

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, plain, type_name

N_IN, N_HIDDEN, N_CLASSES = 5, 7, 3


class _Net(nn.Module):
    """A small classifier that counts how many times its forward pass runs (defined in the
    learner process too: the one handed to per_sample_grads lives there)."""

    def __init__(self, n_in: int, n_hidden: int, n_classes: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_classes)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.out(torch.tanh(self.hidden(x)))


def _setup(
    remote: Remote, seed: int, n: int, device: torch.device
) -> tuple[_Net, Any, torch.Tensor, torch.Tensor]:
    """The oracle's model here, its twin with the same weights in the learner process (the one
    per_sample_grads gets), and a batch."""
    torch.manual_seed(seed)
    model = _Net(N_IN, N_HIDDEN, N_CLASSES).double().to(device)
    x = (torch.randn(n, N_IN, dtype=torch.float64) * 1.5 + 0.3).to(device)
    labels = torch.randint(0, N_CLASSES, (n,)).to(device)
    theirs = remote.eval(
        "Net(*sizes).double().to(device)",
        Net=remote.define(_Net),
        sizes=[N_IN, N_HIDDEN, N_CLASSES],
        device=device,
    )
    theirs.load_state_dict(dict(model.state_dict()))
    return model, theirs, x, labels


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


def _result(remote: Remote, got: object, call: str) -> dict[str, Any]:
    """per_sample_grads' dict: fetched whole when it is plain data (one request), else its
    entries as learner objects, for the checks to name the one that is not a plain tensor."""
    assert isinstance(got, dict), f"{call} returned a {type_name(got)}, expected a dict"
    try:
        fetched = remote.value(got)
    except TypeError:  # a dict subclass, or an entry that is not plain data
        return {key: got[key] for key in got}
    assert isinstance(fetched, dict)
    return fetched


def _grads(
    learner: Any,
    remote: Remote,
    model: _Net,
    theirs: Any,
    x: torch.Tensor,
    labels: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """The learner's result as plain tensors, after checking its keys and shapes."""
    call = _call(len(x))
    got = _result(remote, learner.per_sample_grads(theirs, x, labels), call)
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


def test_matches_loop(learner: Any, remote: Remote, device: torch.device) -> None:
    """row i is the gradient of example i's loss alone"""
    for seed, n in enumerate([6, 1, 4]):
        model, theirs, x, labels = _setup(remote, seed, n, device)
        expected = _loop(model, x, labels)
        mean = _batch_mean(model, x, labels)
        got = _grads(learner, remote, model, theirs, x, labels)
        for name, value in got.items():
            assert_close(
                value,
                expected[name],
                what=f"the per-sample gradients of {name!r}",
                inputs=_call(n) + " (float64)",
                hint=_diagnosis(value, expected[name], mean[name], n, name),
            )


def test_one_batched_pass(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model runs on the batch at once, not once per example"""
    model, theirs, x, labels = _setup(remote, 10, 8, device)
    _grads(learner, remote, model, theirs, x, labels)
    calls = int(theirs.calls)
    assert calls > 0, f"{_call(8)} never called the model"
    assert calls < len(x), (
        f"{_call(8)} ran the model's forward {calls} times for a batch of 8: that is a "
        "Python loop over the examples, one small forward and backward each, far slower "
        "than one batched pass on a GPU. Write the loss of one example as a function of the "
        "parameters (torch.func.functional_call), take torch.func.grad of it, and "
        "torch.func.vmap that over the batch"
    )


def test_no_graph(learner: Any, remote: Remote, device: torch.device) -> None:
    """the per-sample gradients carry no autograd graph"""
    _, theirs, x, labels = _setup(remote, 20, 5, device)
    # a fetched tensor keeps its requires_grad flag
    got = _result(remote, learner.per_sample_grads(theirs, x, labels), _call(5))
    attached = [name for name, value in got.items() if getattr(value, "requires_grad", False)]
    assert not attached, (
        f"{_call(5)}, with the model's parameters requiring grad as usual: the entries "
        f"{', '.join(map(repr, attached))} require grad, so each one keeps an autograd graph "
        "(and every intermediate it saved) alive for as long as you keep them. torch.func "
        "differentiates with respect to the tensors you pass it, and the model's own "
        "parameters also track grad, for the optimizer. Pass detached copies: "
        "{name: p.detach() for name, p in model.named_parameters()}"
    )


def _with_grads(model: nn.Module, grads: list[torch.Tensor]) -> nn.Module:
    """Gives each parameter of ``model`` a .grad (runs in the learner process)."""
    for param, grad in zip(model.parameters(), grads, strict=True):
        param.grad = grad
    return model


def _parameters(remote: Remote, model: Any) -> dict[str, tuple[Any, Any]]:
    """{name: (value, .grad)} of the learner-side model's parameters, fetched in one request
    when they are plain tensors, else as learner objects for plain() to name."""
    listing = remote.eval(
        "[(name, p.detach(), p.grad) for name, p in model.named_parameters()]", model=model
    )
    try:
        fetched = remote.value(listing)
    except TypeError:
        fetched = [tuple(item) for item in listing]
    return {name: (value, grad) for name, value, grad in fetched}


def _state_flags(model: nn.Module) -> dict[str, Any]:
    """The model's mode and its parameters' requires_grad (runs in the learner process)."""
    return {
        "training": {name or "model": m.training for name, m in model.named_modules()},
        "requires_grad": {name: p.requires_grad for name, p in model.named_parameters()},
    }


def test_model_untouched(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model's parameters and .grad are left as they were (and so is its mode)"""
    model, theirs, x, labels = _setup(remote, 30, 5, device)
    before = {}
    for name, param in model.named_parameters():
        # what the optimizer has accumulated so far
        before[name] = (param.detach().clone(), torch.randn_like(param))
    remote.define(_with_grads)(theirs, [grad for _, grad in before.values()])
    flags = remote.define(_state_flags)
    for mode in ("train", "eval"):  # the training loop's mode, then an evaluation's
        getattr(theirs, mode)()
        learner.per_sample_grads(theirs, x, labels)
        now = remote.value(flags(theirs))
        switched = [name for name, on in now["training"].items() if on != (mode == "train")]
        assert not switched, (
            f"{_call(5)} on a model in {mode} mode left {', '.join(switched)} in "
            f"{'eval' if mode == 'train' else 'train'} mode: the caller's training loop goes "
            "on with dropout switched the wrong way. Leave the model's mode as you found it "
            "(torch.func needs no mode change)"
        )
        frozen = [name for name, on in now["requires_grad"].items() if not on]
        assert not frozen, (
            f"after {_call(5)}, model.{frozen[0]}"
            + (f" (and {len(frozen) - 1} more)" if len(frozen) > 1 else "")
            + " no longer requires grad: the training loop's backward() will not reach it. "
            "Keep the per-sample gradients off the graph by handing torch.func detached "
            "copies ({name: p.detach() ...}), not by freezing the model's own parameters"
        )
    after = _parameters(remote, theirs)
    for name, (weight, grad) in before.items():
        value, now = after[name]
        assert torch.equal(plain(value, f"model.{name}"), weight), (
            f"{_call(5)} changed the values of model.{name}, expected them untouched"
        )
        assert now is not None, (
            f"{_call(5)} set model.{name}.grad to None, expected the gradient it held "
            "before the call: the training loop accumulates into .grad, and "
            "per_sample_grads has no business clearing it (no zero_grad here)"
        )
        now = plain(now, f"model.{name}.grad")
        assert torch.equal(now, grad), (
            f"{_call(5)} changed model.{name}.grad (max change "
            f"{float((now - grad).abs().max()):.3g}), expected it as it was: "
            "backward() adds into .grad, which the training loop owns. torch.func.grad "
            "returns gradients without touching any .grad"
        )
