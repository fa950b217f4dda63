"""Hidden checks for freeze-bn: after ``model.train(); freeze_bn(model)`` the batch-norm layers
keep and use their running statistics, while dropout and every parameter keep training."""

from collections.abc import Callable
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, plain, sgd_step

BN = nn.modules.batchnorm._BatchNorm
STATS = ("running_mean", "running_var", "num_batches_tracked")


class _Net(nn.Module):
    """A small pretrained-style CNN: BN2d nested in blocks, a BN1d and dropout in the head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.BatchNorm2d(5), nn.ReLU())
        self.block = nn.Sequential(
            nn.Conv2d(5, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout2d(0.25)
        )
        self.head = nn.Sequential(
            nn.Linear(6, 9), nn.BatchNorm1d(9), nn.ReLU(), nn.Dropout(0.5), nn.Linear(9, 4)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.stem(x)).mean((2, 3)))


def _pretrained(device: torch.device) -> tuple[nn.Module, dict[str, nn.Module]]:
    """The model with "pretrained" statistics (averaged over 4 batches) and random
    affine values, and its BN layers by name."""
    model = _Net()
    bns = {name: m for name, m in model.named_modules() if isinstance(m, BN)}
    with torch.no_grad():
        for bn in bns.values():
            bn.momentum = None  # a cumulative average over the pretraining batches
        model.train()
        for _ in range(4):
            model(_images(16, torch.device("cpu")))
        for bn in bns.values():
            bn.momentum = 0.1
            bn.num_batches_tracked.fill_(1000)
            bn.weight.copy_(torch.rand(bn.num_features) + 0.5)
            bn.bias.copy_(torch.randn(bn.num_features) * 0.3)
    return model.to(device), bns


def _listing(names: list[str], limit: int = 4) -> str:
    """At most ``limit`` names, then how many more."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _images(n: int, device: torch.device) -> torch.Tensor:
    return (torch.randn(n, 3, 7, 6) * 1.5 + 0.4).to(device)


def _frozen(learner: ModuleType, device: torch.device) -> tuple[nn.Module, dict[str, nn.Module]]:
    model, bns = _pretrained(device)
    model.train()
    result = learner.freeze_bn(model)
    assert result is None or result is model, (
        "freeze_bn(model) returned a different object: it must change the model it is given "
        "(in place), since the caller keeps using that model"
    )
    return model, bns


def _forward(model: nn.Module, n: int, device: torch.device) -> torch.Tensor:
    try:
        return model(_images(n, device))
    except ValueError as exc:
        raise AssertionError(
            f"the forward pass after model.train(); freeze_bn(model) failed for a batch of "
            f"{n}: {exc}. A batch-norm layer in train mode needs more than one value per "
            "channel; a frozen one (in eval mode) normalises with its running statistics and "
            "takes any batch size"
        ) from None


def _step(model: nn.Module, n: int, device: torch.device) -> None:
    """One fine-tuning step: forward, backward of a random loss, SGD on model.parameters()."""
    out = _forward(model, n, device)
    (out * torch.randn_like(out)).sum().backward()
    sgd_step(model.parameters(), lr=0.05)
    model.zero_grad()


def test_statistics_unchanged(learner: ModuleType, device: torch.device) -> None:
    """the BN running statistics stay bitwise unchanged during fine-tuning"""
    torch.manual_seed(0)
    model, bns = _pretrained(device)
    before = {f"{name}.{s}": getattr(bn, s).clone() for name, bn in bns.items() for s in STATS}
    model.train()
    learner.freeze_bn(model)
    for n in (2, 3, 4):
        _step(model, n, device)
    changed = [
        f"{name} ({type(bn).__name__})"
        for name, bn in bns.items()
        if any(not torch.equal(getattr(bn, s), before[f"{name}.{s}"]) for s in STATS)
    ]
    if not changed:
        return
    frozen_affine = any(not bn.weight.requires_grad for bn in bns.values())
    why = (
        "requires_grad_(False) only stops the optimizer from changing weight and bias; the "
        "running statistics are buffers, which forward itself updates in train mode"
        if frozen_affine
        else "A batch-norm layer updates its running statistics on every forward pass in "
        "train mode, so freezing them means putting every batch-norm layer in eval mode, "
        "nested ones included (model.modules() reaches them, model.children() does not)"
    )
    assert not changed, (
        f"after model.train(); freeze_bn(model) and 3 fine-tuning steps (batches of 2, 3 and "
        f"4), the running statistics of {_listing(changed)} changed. {why}"
    )


def test_uses_running_statistics(learner: ModuleType, device: torch.device) -> None:
    """frozen BN layers normalise with their running statistics, for any batch size"""
    torch.manual_seed(1)
    model, bns = _frozen(learner, device)
    seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def capture(name: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], None]:
        def hook(module: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            seen[name] = (args[0].detach().clone(), out.detach().clone())

        return hook

    handles = [bn.register_forward_hook(capture(name)) for name, bn in bns.items()]
    try:
        for n in (3, 1):
            seen.clear()
            _forward(model, n, device)
            missing = [name for name in bns if name not in seen]
            assert not missing, (
                f"the batch-norm layers {', '.join(missing)} no longer run in the model: "
                "freeze_bn must keep the model's own batch-norm modules and switch their mode"
            )
            for name, bn in bns.items():
                inp, out = seen[name]
                expected = F.batch_norm(
                    inp,
                    bn.running_mean,
                    bn.running_var,
                    bn.weight.detach(),
                    bn.bias.detach(),
                    training=False,
                    eps=bn.eps,
                )
                assert_close(
                    out,
                    expected,
                    what=f"the output of {name} ({type(bn).__name__})",
                    inputs=f"a batch of {n} after model.train(); freeze_bn(model)",
                    rtol=1e-5,
                    hint="a frozen batch-norm layer normalises with its running statistics; "
                    "this one still used the batch's own statistics (it is in train mode, or "
                    "track_running_stats is off)",
                )
    finally:
        for handle in handles:
            handle.remove()


def test_rest_still_trains(learner: ModuleType, device: torch.device) -> None:
    """every other module stays in training mode, so dropout still drops"""
    torch.manual_seed(2)
    model, bns = _frozen(learner, device)
    bn_ids = {id(bn) for bn in bns.values()}
    idle = [
        f"{name or 'the model itself'} ({type(m).__name__})"
        for name, m in model.named_modules()
        if id(m) not in bn_ids and not m.training
    ]
    idle.sort(key=lambda text: "Dropout" not in text)  # dropout first: it matters most
    assert not idle, (
        f"after model.train(); freeze_bn(model), these modules are in eval mode: "
        f"{_listing(idle)}. Only the batch-norm layers should be: model.eval() also turns off "
        "dropout, the regularisation fine-tuning needs most"
    )
    x = _images(4, device)
    first, second = plain(model(x), "model(x)"), plain(model(x), "model(x)")
    assert not torch.equal(first, second), (
        "after model.train(); freeze_bn(model), two forward passes on the same batch gave the "
        "same output: dropout is not dropping anything"
    )


def test_parameters_train(learner: ModuleType, device: torch.device) -> None:
    """every parameter, BN weight and bias included, still gets a gradient and trains"""
    torch.manual_seed(3)
    model, _ = _frozen(learner, device)
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert not frozen, (
        f"after freeze_bn(model), these parameters have requires_grad=False: {', '.join(frozen)}. "
        "Freezing batch norm here means freezing its statistics; its weight and bias keep "
        "training with the rest of the model"
    )
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    out = model(_images(3, device))
    (out * torch.randn_like(out)).sum().backward()
    no_grad = [name for name, p in model.named_parameters() if p.grad is None]
    assert not no_grad, f"after backward, these parameters have no gradient: {', '.join(no_grad)}"
    sgd_step(model.parameters(), lr=0.05)
    stuck = [name for name, p in model.named_parameters() if torch.equal(p, before[name])]
    assert not stuck, f"an SGD step on model.parameters() left these unchanged: {', '.join(stuck)}"
