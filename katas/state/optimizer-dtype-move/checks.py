"""Hidden checks for optimizer-dtype-move: after ``convert(model, optimizer, device, dtype)``,
the model's parameters and the optimizer's state are float64 on the graded device, the
Parameter objects and the moments are kept, and the next Adam or SGD step is the one the kept
state gives."""

import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, same_device
from trainer.errors import LearnerRaised

DTYPE = torch.float64
ADAM = {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8}
SGD = {"lr": 0.05, "momentum": 0.9}
KINDS = ["Adam", "SGD with momentum"]
# (optimizer, target dtype): bfloat16 too, so that the dtype argument is honoured
CASES = [("Adam", DTYPE), ("SGD with momentum", DTYPE), ("Adam", torch.bfloat16)]
CONVERT_STATE = (
    "Module.to converts the model's parameters in place but never sees optimizer.state: "
    "convert each state tensor to its parameter's dtype and device too (or round-trip it "
    "with optimizer.load_state_dict(optimizer.state_dict()), which casts it)"
)


class _Net(nn.Module):
    """The model being fine-tuned (defined in the learner process). `unused` gets no
    gradient, so the optimizer has no state for it."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 6)
        self.out = nn.Linear(6, 1)
        self.unused = nn.Parameter(torch.randn(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


def _resumed_there(kind: str, seed: int, adam: dict[str, Any], sgd: dict[str, Any]) -> list[Any]:
    """A float32 model on the CPU and its optimizer, after two steps: the resumed run."""
    torch.manual_seed(seed)
    model = _Net()
    if kind == "Adam":
        optimizer = torch.optim.Adam(model.parameters(), **adam)
    else:
        optimizer = torch.optim.SGD(model.parameters(), **sgd)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(2):
        x = torch.randn(5, 4, generator=generator) * 2
        y = torch.randn(5, 1, generator=generator)
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    return [model, optimizer]


def _state_there(model: nn.Module, optimizer: Any) -> list[Any]:
    """Per model parameter: its value, and the optimizer's state for it (copies)."""
    return [
        [p.detach().clone(), {k: v.clone() for k, v in optimizer.state.get(p, {}).items()}]
        for p in model.parameters()
    ]


def _step_there(
    model: nn.Module, optimizer: Any, seed: int, device: torch.device, dtype: torch.dtype
) -> list[Any]:
    """One training step in the new dtype: the parameters and gradients it started from."""
    generator = torch.Generator().manual_seed(seed)
    x = (torch.randn(3, 4, generator=generator) * 2).to(device, dtype)
    y = torch.randn(3, 1, generator=generator).to(device, dtype)
    optimizer.zero_grad()
    F.mse_loss(model(x), y).backward()
    before = [p.detach().clone() for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    optimizer.step()
    return [before, grads]


# in named_parameters() order: a module's own parameters come before its submodules'
NAMES = ["unused", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def _resumed(remote: Remote, kind: str, seed: int) -> tuple[Any, Any, list[Any]]:
    remote.define(_Net)
    model, optimizer = remote.define(_resumed_there)(kind, seed, ADAM, SGD)
    saved = remote.value(remote.define(_state_there)(model, optimizer))
    return model, optimizer, saved


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return text[0][:300] if text else ""


def _convert(
    learner: Any, model: Any, optimizer: Any, device: torch.device, dtype: torch.dtype = DTYPE
) -> str:
    call = f"convert(model, optimizer, {device.type!r}, {dtype})"
    try:
        learner.convert(model, optimizer, device, dtype)
    except LearnerRaised as exc:
        raise AssertionError(f"{call} raised {exc.short_type}: {_first_line(exc)}") from None
    return call


def test_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """the parameters are converted in place: new dtype and device, same values, same objects"""
    for kind, dtype in CASES:
        model, optimizer, saved = _resumed(remote, kind, 1)
        call = _convert(learner, model, optimizer, device, dtype)
        after = remote.value(remote.define(_state_there)(model, optimizer))
        for name, (value, _), (old, _) in zip(NAMES, after, saved, strict=True):
            assert value.dtype == dtype and same_device(value.device, device), (
                f"after {call} ({kind}), model.{name} is {value.dtype} on {value.device}, "
                f"expected {dtype} on {device}: move the model with "
                "model.to(device=device, dtype=dtype)"
            )
            assert torch.equal(value.cpu(), old.to(dtype)), (
                f"after {call} ({kind}), model.{name} holds other values than its old ones "
                f"converted to {dtype}"
            )
        same = remote.eval(
            "[a is b for a, b in zip(list(m.parameters()), "
            "[p for g in o.param_groups for p in g['params']])]",
            m=model,
            o=optimizer,
        )
        orphans = [name for name, kept in zip(NAMES, same, strict=True) if not kept]
        assert not orphans, (
            f"after {call} ({kind}), model.{', model.'.join(orphans)} "
            f"{'are' if len(orphans) > 1 else 'is'} no longer the Parameter object the "
            "optimizer holds: the optimizer now steps the old tensors, and the model never "
            "changes again. Convert in place with model.to(...), which keeps the objects "
            "(not load_state_dict(..., assign=True), not new nn.Parameters)"
        )


def test_state(learner: Any, remote: Remote, device: torch.device) -> None:
    """the optimizer's moments are converted too, and keep their values"""
    for kind, dtype in CASES:
        model, optimizer, saved = _resumed(remote, kind, 2)
        call = _convert(learner, model, optimizer, device, dtype)
        after = remote.value(
            remote.eval(
                "[{k: v.clone() for k, v in o.state.get(p, {}).items()} "
                "for g in o.param_groups for p in g['params']]",
                o=optimizer,
            )
        )
        for name, state, (value, old) in zip(NAMES, after, saved, strict=True):
            for key, before in old.items():
                if key == "step" or before.shape != value.shape:
                    continue  # Adam's step count: left as it is
                now = state.get(key)
                assert isinstance(now, torch.Tensor), (
                    f"after {call} ({kind}), the optimizer has no {key!r} for model.{name} "
                    "any more: its state was reset, so the next update starts the moments "
                    f"from scratch, as on the first step. Keep the state. {CONVERT_STATE}"
                )
                assert now.dtype == dtype and same_device(now.device, device), (
                    f"after {call} ({kind}), optimizer.state[model.{name}][{key!r}] is "
                    f"{now.dtype} on {now.device}, while the parameter is {dtype} on "
                    f"{device}. {CONVERT_STATE}"
                )
                assert torch.equal(now.cpu(), before.to(dtype)), (
                    f"after {call} ({kind}), optimizer.state[model.{name}][{key!r}] lost its "
                    "values: convert it, do not reset it"
                )


def _adam_reference(
    p: torch.Tensor, g: torch.Tensor, state: dict[str, torch.Tensor]
) -> torch.Tensor:
    """torch.optim.Adam's update (no weight decay, no amsgrad) from the kept state, in float64."""
    beta1, beta2 = ADAM["betas"]
    step = float(state["step"]) + 1
    m = state["exp_avg"].to(DTYPE) * beta1 + g * (1 - beta1)
    v = state["exp_avg_sq"].to(DTYPE) * beta2 + g * g * (1 - beta2)
    bias1, bias2 = 1 - beta1**step, 1 - beta2**step
    denom = v.sqrt() / bias2**0.5 + ADAM["eps"]
    return p - (ADAM["lr"] / bias1) * (m / denom)


def _sgd_reference(
    p: torch.Tensor, g: torch.Tensor, state: dict[str, torch.Tensor]
) -> torch.Tensor:
    """torch.optim.SGD's update with momentum (no dampening) from the kept buffer."""
    buffer = state["momentum_buffer"].to(DTYPE) * SGD["momentum"] + g
    return p - SGD["lr"] * buffer


def test_next_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """the next step runs, and follows from the kept state, computed in float64"""
    for kind in KINDS:
        model, optimizer, saved = _resumed(remote, kind, 3)
        call = _convert(learner, model, optimizer, device)
        try:
            before, grads = remote.value(
                remote.define(_step_there)(model, optimizer, 4, device, DTYPE)
            )
        except LearnerRaised as exc:
            raise AssertionError(
                f"after {call}, the next optimizer.step() ({kind}) raised {exc.short_type}: "
                f"{_first_line(exc)}. The optimizer's state still has the old dtype or "
                f"device. {CONVERT_STATE}"
            ) from None
        after = remote.fetch("[p.detach().clone() for p in m.parameters()]", m=model)
        reference = _adam_reference if kind == "Adam" else _sgd_reference
        for name, p, g, (_, state), got in zip(NAMES, before, grads, saved, after, strict=True):
            if g is None:
                continue  # `unused` has no gradient: the step leaves it alone
            expected = reference(p.cpu(), g.cpu(), state) if state else None
            assert expected is not None  # the resumed optimizer had state for every used one
            assert_close(
                got,
                expected.to(device),
                what=f"model.{name} after the next {kind} step",
                inputs=f"the model and optimizer after {call}",
                hint="the update must continue from the moments the optimizer kept, and "
                "reach the model's own parameters. " + CONVERT_STATE,
            )
