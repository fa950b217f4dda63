"""Hidden checks for maml-step: ``meta_loss(model, support, query, lr)`` is the query loss
after one functional SGD step, differentiable to second order with respect to the model's
parameters, and leaves the model unchanged."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from trainer.checks import Remote, assert_close, gradcheck64

HIDDEN = 4
LR = 0.3


class _Regressor(nn.Module):
    """A small sine-wave regressor with nested parameter names (body.0.weight, head.bias)
    (defined in the learner process too: the model meta_loss gets lives there)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class _Task(nn.Module):
    """The meta-loss of one task as a module holding the model, so that functional_call can
    hand it other parameter tensors (defined in the learner process)."""

    def __init__(self, model: nn.Module, meta_loss: Any, support: Any, query: Any, lr: float):
        super().__init__()
        self.model = model
        self.meta_loss, self.support, self.query, self.lr = meta_loss, support, query, lr

    def forward(self) -> torch.Tensor:
        return self.meta_loss(self.model, self.support, self.query, self.lr)


def _as_function_of_parameters(task: Any, names: list[str]) -> Any:
    """The meta-loss as a function of the model's parameter tensors, in the order of names
    (defined in the learner process, for gradcheck)."""

    def meta(*params: torch.Tensor) -> torch.Tensor:
        swapped = {f"model.{name}": p for name, p in zip(names, params, strict=True)}
        return torch.func.functional_call(task, swapped, ())

    return meta


def _task(seed: int, device: torch.device) -> tuple[_Regressor, Any, Any]:
    """A model here and a task: a sine wave with its own amplitude and phase, 5 support points
    and 7 query points, in float64."""
    torch.manual_seed(seed)
    model = _Regressor(HIDDEN).double().to(device)
    amplitude, phase = float(torch.rand(()) * 2 + 0.5), float(torch.rand(()) * 3)
    x = (torch.rand(12, 1, dtype=torch.float64) * 6 - 3).to(device)
    y = amplitude * torch.sin(x + phase)
    return model, (x[:5], y[:5]), (x[5:], y[5:])


def _theirs(remote: Remote, model: _Regressor, device: torch.device) -> Any:
    """A twin of model, with the same weights, in the learner process."""
    net = remote.define(_Regressor)
    twin = remote.eval("Net(hidden).double().to(device)", Net=net, hidden=HIDDEN, device=device)
    twin.load_state_dict(dict(model.state_dict()))
    return twin


def _reference(
    model: _Regressor, support: Any, query: Any, lr: float, create_graph: bool = True
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The oracle: the meta-loss and its gradients with respect to model's parameters,
    computed here; create_graph=False gives the first-order approximation."""
    names = [name for name, _ in model.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    xs, ys = support
    inner = F.mse_loss(functional_call(model, dict(zip(names, params, strict=True)), (xs,)), ys)
    grads = torch.autograd.grad(inner, params, create_graph=create_graph)
    adapted = {n: p - lr * g for n, p, g in zip(names, params, grads, strict=True)}
    xq, yq = query
    loss = F.mse_loss(functional_call(model, adapted, (xq,)), yq)
    return loss.detach(), [g.detach() for g in torch.autograd.grad(loss, params)]


def _call(learner: Any, remote: Remote, seed: int, device: torch.device) -> tuple[Any, ...]:
    model, support, query = _task(seed, device)
    theirs = _theirs(remote, model, device)
    return model, theirs, support, query, learner.meta_loss(theirs, support, query, LR)


def _state(remote: Remote, model: Any) -> list[tuple[str, torch.Tensor, bool]]:
    """The learner model's parameters, fetched in one request: (name, value, has a .grad)."""
    fetched: list[tuple[str, torch.Tensor, bool]] = remote.fetch(
        "[(n, p.detach().clone(), p.grad is not None) for n, p in model.named_parameters()]",
        model=model,
    )
    return fetched


def test_loss_value(learner: Any, remote: Remote, device: torch.device) -> None:
    """meta_loss is the query loss of the model after one SGD step on the support loss"""
    for seed in (0, 1):
        model, _, support, query, got = _call(learner, remote, seed, device)
        expected, _ = _reference(model, support, query, LR)
        xq, yq = query
        unadapted = F.mse_loss(model(xq), yq).detach()
        hint = "adapted = {name: p - lr * grad} for every (name, p) in model.named_parameters()"
        if abs(float(got) - float(unadapted)) < 1e-9 * max(1.0, float(unadapted)):
            hint = (
                "That is the query loss of the model before the step: the adapted weights were "
                "not used. functional_call(model, params, args) looks params up by the full "
                "parameter names, module prefixes included ('body.0.weight', 'head.bias'), "
                "and silently keeps the model's own tensor for every name it does not find"
            )
        assert_close(
            got,
            expected,
            what="meta_loss(model, support, query, lr)",
            inputs=f"a {HIDDEN}-unit sine regressor in float64, 5 support and 7 query points, "
            f"lr = {LR}",
            hint=hint,
        )


def test_model_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """meta_loss leaves the model's parameters bitwise unchanged and their .grad empty"""
    model, theirs, _, _, _ = _call(learner, remote, 2, device)
    for (name, value, has_grad), original in zip(
        _state(remote, theirs), model.parameters(), strict=True
    ):
        assert torch.equal(value, original.detach()), (
            f"meta_loss(model, support, query, lr) changed model's parameter {name!r}: the "
            "inner step must compute new tensors (p - lr * grad) and leave the model as it "
            "was. An in-place update under torch.no_grad() also cuts the graph that the "
            "meta-gradient flows through"
        )
        assert not has_grad, (
            f"after meta_loss(model, support, query, lr), model's parameter {name!r} has a "
            ".grad: the inner step called backward(), which accumulates into .grad, where "
            "the meta-gradient then lands on top of it. Compute the inner gradients with "
            "torch.autograd.grad(loss, params, create_graph=True), which returns them instead"
        )


def test_meta_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """loss.backward() gives every parameter its second-order meta-gradient"""
    model, theirs, support, query, got = _call(learner, remote, 3, device)
    got.backward()
    grads: list[tuple[str, Any]] = remote.fetch(
        "[(n, None if p.grad is None else p.grad.detach()) for n, p in model.named_parameters()]",
        model=theirs,
    )
    _, expected = _reference(model, support, query, LR)
    _, first_order = _reference(model, support, query, LR, create_graph=False)
    for (name, grad), want, approx in zip(grads, expected, first_order, strict=True):
        assert grad is not None, (
            f"after meta_loss(...).backward(), model's parameter {name!r} has no gradient: the "
            "loss is not connected to it. A copy of the model (deepcopy, load_state_dict) "
            "takes the adapted values but not their history. Keep the adapted weights as "
            "tensors computed from the parameters, and run the model on them with "
            "torch.func.functional_call(model, adapted, (x,))"
        )
        hint = ""
        if torch.allclose(grad, approx, rtol=1e-6, atol=1e-9):
            hint = (
                "This is the first-order approximation: the inner gradients were computed "
                "without create_graph=True (or detached), so the meta-gradient misses the "
                "term through the inner step"
            )
        assert_close(
            grad,
            want,
            what=f"the meta-gradient of {name!r}",
            inputs=f"a {HIDDEN}-unit sine regressor in float64, lr = {LR}",
            hint=hint,
        )


def test_gradcheck(learner: Any, remote: Remote, device: torch.device) -> None:
    """the meta-loss passes float64 gradcheck with respect to the model's parameters"""
    model, theirs, support, query, _ = _call(learner, remote, 4, device)
    task = remote.define(_Task)(theirs, learner.meta_loss, support, query, LR)
    names = [name for name, _ in model.named_parameters()]
    meta = remote.define(_as_function_of_parameters)(task, names)
    gradcheck64(
        meta,
        *[p.detach() for p in model.parameters()],
        what="meta_loss as a function of the model's parameters",
        names=names,
    )
