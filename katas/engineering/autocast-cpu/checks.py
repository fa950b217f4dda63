"""Hidden checks for autocast-cpu: ``compute_loss`` runs the model's Linear layers in bfloat16
under autocast, on the device the data is on, while the weights and the loss stay float32;
``train_step`` then makes the float32 SGD step, however small its update."""

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain, type_name
from trainer.grading.judge.link import is_proxy

N_IN, N_HIDDEN, N_CLASSES = 6, 10, 4
LR = 1e-3  # small enough that most updates are below bfloat16's resolution of the weights


class _Net(nn.Module):
    """The model handed to the learner's code (defined in the learner process as well)."""

    def __init__(self, n_in: int, n_hidden: int, n_classes: int) -> None:
        super().__init__()
        self.embed = nn.Linear(n_in, n_hidden)
        self.norm = nn.LayerNorm(n_hidden)
        self.head = nn.Linear(n_hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.gelu(self.norm(self.embed(x))))


def _record_linear_dtypes(model: nn.Module) -> dict[str, list[torch.dtype]]:
    """Forward hooks (in the learner process) recording each nn.Linear's output dtype."""
    seen: dict[str, list[torch.dtype]] = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):

            def hook(module: nn.Module, args: object, out: torch.Tensor, name: str = name) -> None:
                seen.setdefault(name, []).append(out.dtype)

            module.register_forward_hook(hook)
    return seen


def _setup(
    remote: Remote, seed: int, n: int, device: torch.device
) -> tuple[Any, _Net, torch.Tensor, torch.Tensor]:
    """The model in the learner process, its twin here (same weights), x and labels."""
    torch.manual_seed(seed)
    twin = _Net(N_IN, N_HIDDEN, N_CLASSES).to(device)
    x = (torch.randn(n, N_IN) * 1.5 + 0.2).to(device)
    labels = torch.randint(0, N_CLASSES, (n,)).to(device)
    remote.define(_Net)
    model = remote.eval("_Net(*sizes).to(device)", sizes=(N_IN, N_HIDDEN, N_CLASSES), device=device)
    model.load_state_dict(dict(twin.state_dict()))
    return model, twin, x, labels


def _fetch(remote: Remote, what: str, source: str, **names: object) -> Any:
    """The plain-data copy of ``source`` evaluated in the learner process, in one request."""
    try:
        return remote.value(remote.eval(source, **names))
    except TypeError as exc:
        raise AssertionError(f"{what} could not be read as plain tensors: {exc}") from None


def _call(name: str, n: int, device: torch.device, args: str = "model, x, labels") -> str:
    return f"{name}({args}) with x of shape ({n}, {N_IN}), float32 on {device.type}"


def _reference(
    model: _Net, x: torch.Tensor, labels: torch.Tensor
) -> tuple[float, list[torch.Tensor]]:
    """The intended loss and gradients, on a copy: bfloat16 autocast forward, float32 loss."""
    twin = copy.deepcopy(model)
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        logits = twin(x)
    loss = F.cross_entropy(logits.float(), labels)
    grads = torch.autograd.grad(loss, list(twin.parameters()))
    return loss.item(), list(grads)


BF16_WEIGHTS = (
    "model.bfloat16() converts the weights themselves: bfloat16 keeps 8 significant bits, "
    "so an update smaller than about 1/256 of a weight rounds away (in bfloat16, "
    "1 - 0.001 is 1). Autocast leaves the weights in float32 and runs each Linear on "
    "bfloat16 copies"
)


def test_linear_bf16(learner: Any, remote: Remote, device: torch.device) -> None:
    """the Linear layers compute in bfloat16"""
    model, _, x, labels = _setup(remote, 0, 5, device)
    recorded = remote.define(_record_linear_dtypes)(model)
    learner.compute_loss(model, x, labels)
    seen = remote.value(recorded)
    call = _call("compute_loss", 5, device)
    for name in ("embed", "head"):
        dtypes = seen.get(name)
        assert dtypes, f"{call} never ran model.{name}, a Linear layer of the model"
        got = dtypes[-1]
        if got == torch.bfloat16:
            continue
        if got == torch.float16:
            why = (
                "float16 is autocast's default on a GPU; this kata asks for bfloat16, which "
                "has float32's range and needs no GradScaler. Pass dtype=torch.bfloat16"
            )
        else:
            why = (
                "the forward pass must run inside torch.autocast(device_type=..., "
                "dtype=torch.bfloat16), with device_type the type of x's device "
                f"({device.type!r} here): autocast for another device type does nothing "
                "to these layers"
            )
        raise AssertionError(
            f"during {call}, model.{name} (an nn.Linear) returned {got}, expected "
            f"torch.bfloat16: {why}"
        )


def test_weights_fp32(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model's parameters stay float32"""
    model, _, x, labels = _setup(remote, 1, 5, device)
    learner.compute_loss(model, x, labels)
    call = _call("compute_loss", 5, device)
    dtypes = remote.value(remote.eval("[(n, p.dtype) for n, p in m.named_parameters()]", m=model))
    for name, dtype in dtypes:
        assert dtype == torch.float32, (
            f"after {call}, model.{name} is {dtype}, expected torch.float32: " + BF16_WEIGHTS
        )


def test_loss_fp32(learner: Any, remote: Remote, device: torch.device) -> None:
    """compute_loss returns a float32 scalar loss"""
    model, _, x, labels = _setup(remote, 2, 5, device)
    call = _call("compute_loss", 5, device)
    loss = learner.compute_loss(model, x, labels)
    assert isinstance(loss, torch.Tensor), (
        f"{call} returned {type_name(loss)}, expected the loss as a tensor (with its "
        "graph, for backward)"
    )
    value = plain(loss, "the loss")
    assert value.shape == (), (
        f"{call} returned a loss of shape {tuple(value.shape)}, expected a scalar (shape ())"
    )
    assert value.dtype == torch.float32, (
        f"{call} returned a {value.dtype} loss, expected torch.float32. A loss computed in "
        "bfloat16 keeps about 3 significant digits: log-softmax and the mean over the batch "
        "need float32. Compute the loss on logits.float() (outside autocast, or with "
        "F.cross_entropy, which autocast runs in float32)"
    )
    assert loss.requires_grad is True, (
        f"{call} returned a loss that does not require grad, expected the loss with its "
        "graph, so train_step can call backward() on it"
    )


def _in_bf16(t: torch.Tensor) -> bool:
    """Whether every value of the float32 tensor ``t`` is also a bfloat16 value."""
    return bool((t.bfloat16().float() == t).all())


def _step_diagnosis(old: torch.Tensor, new: torch.Tensor, grad: torch.Tensor) -> str:
    if _in_bf16(new) and not _in_bf16(old):
        return (
            "after the step, every weight is a bfloat16 value: the weights went through "
            "bfloat16, and rounding them moved them by up to 1/512 of their size, more than "
            "the step itself. " + BF16_WEIGHTS
        )
    if bool((new == old).any()) and bool((grad != 0).all()):
        return (
            "some weights did not move at all, though their gradients are not zero: the "
            "update was rounded away. " + BF16_WEIGHTS
        )
    return (
        "expected one plain SGD step, p -= lr * p.grad, on the float32 weights, with "
        "gradients from a bfloat16 autocast forward and a float32 loss"
    )


def test_small_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """train_step updates the float32 weights by -lr * grad, however small"""
    for seed, n in [(3, 5), (4, 1)]:
        model, twin, x, labels = _setup(remote, seed, n, device)
        _, grads = _reference(twin, x, labels)
        before = [p.detach().clone() for p in twin.parameters()]
        learner.train_step(model, x, labels, LR)
        call = _call("train_step", n, device, f"model, x, labels, lr={LR}")
        after = _fetch(
            remote,
            f"after {call}, the model's parameters",
            "[(n, p.detach()) for n, p in m.named_parameters()]",
            m=model,
        )
        names = [name for name, _ in twin.named_parameters()]
        got_names = [name for name, _ in after]
        assert got_names == names, (
            f"after {call}, the model's parameters are {got_names}, expected {names}: "
            "train_step must update the model's own parameters in place"
        )
        for (name, param), old, grad in zip(after, before, grads, strict=True):
            new = plain(param, f"model.{name}")
            assert new.dtype == torch.float32, (
                f"after {call}, model.{name} is {new.dtype}, expected torch.float32: "
                + BF16_WEIGHTS
            )
            assert_close(
                new - old,
                -LR * grad,
                what=f"the change of model.{name}",
                inputs=call,
                rtol=2e-2,
                atol=1e-7,  # float32 rounding of the weight itself
                hint=_step_diagnosis(old, new, grad),
            )


def test_second_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """a second train_step steps by the new gradient only"""
    model, twin, x, labels = _setup(remote, 6, 4, device)
    learner.train_step(model, x, labels, LR)  # the first step: its gradients must not linger
    x2 = (torch.randn(3, N_IN) * 1.5 - 0.4).to(device)
    labels2 = torch.randint(0, N_CLASSES, (3,)).to(device)
    call = _call("train_step", 3, device, f"model, x, labels, lr={LR}")
    after_first = _fetch(
        remote,
        "after a first train_step, the model's parameters",
        "[(n, p.detach()) for n, p in m.named_parameters()]",
        m=model,
    )
    twin.load_state_dict(dict(after_first))
    _, grads = _reference(twin, x2, labels2)
    learner.train_step(model, x2, labels2, LR)
    after = _fetch(
        remote,
        f"after a second {call}, the model's parameters",
        "[(n, p.detach()) for n, p in m.named_parameters()]",
        m=model,
    )
    for (name, new), (_, old), grad in zip(after, after_first, grads, strict=True):
        assert_close(
            plain(new, f"model.{name}") - old,
            -LR * grad,
            what=f"the change of model.{name} in the second of two train_step calls",
            inputs=f"{call}, after a first step on another batch",
            rtol=2e-2,
            atol=1e-7,
            hint="backward adds to .grad: the previous step's gradients were still there and "
            "were applied again. Clear them before backward (model.zero_grad()), or take the "
            "gradients with torch.autograd.grad",
        )


def test_returns_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """train_step returns the step's loss as a Python float"""
    model, twin, x, labels = _setup(remote, 5, 6, device)
    expected, _ = _reference(twin, x, labels)
    call = _call("train_step", 6, device, f"model, x, labels, lr={LR}")
    got = learner.train_step(model, x, labels, LR)
    assert isinstance(got, float), (
        f"{call} returned {type_name(got)}, expected a Python float (loss.item())"
    )
    if is_proxy(got):  # a float subclass (NumPy's float64): its value, as a float
        got = remote.eval("float(v)", v=got)
    assert abs(got - expected) <= 1e-2 * abs(expected) + 1e-4, (
        f"{call} returned {got:.6g}, expected the loss before the step, {expected:.6g} "
        "(the cross-entropy of the bfloat16 forward pass, in float32)"
    )
