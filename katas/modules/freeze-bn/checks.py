"""Hidden checks for freeze-bn: after ``model.train(); freeze_bn(model)`` the batch-norm layers
keep and use their running statistics, while dropout and every parameter keep training."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain, sgd_step

BN = nn.modules.batchnorm._BatchNorm
STATS = ("running_mean", "running_var", "num_batches_tracked")


class _Net(nn.Module):
    """A small pretrained-style CNN: BN2d nested in blocks, a BN3d over the stem's maps seen as
    volumes of depth 1, a BN1d and dropout in the head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.BatchNorm2d(5), nn.ReLU())
        self.volume = nn.Sequential(nn.BatchNorm3d(5))
        self.block = nn.Sequential(
            nn.Conv2d(5, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout2d(0.25)
        )
        self.head = nn.Sequential(
            nn.Linear(6, 9), nn.BatchNorm1d(9), nn.ReLU(), nn.Dropout(0.5), nn.Linear(9, 4)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.volume(self.stem(x).unsqueeze(2)).squeeze(2)
        return self.head(self.block(h).mean((2, 3)))


class _Recorder:
    """Forward hooks that keep each layer's input and output, by the layer's name."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook(self, name: str) -> Any:
        def record(module: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            self.seen[name] = (args[0].detach().clone(), out.detach().clone())

        return record


def _pretrained(remote: Remote, device: torch.device) -> tuple[Any, dict[str, Any]]:
    """The model, in the learner process, with "pretrained" statistics (averaged over 4
    batches, here) and random affine values, and its BN layers by name."""
    model = _Net()
    bns = {name: m for name, m in model.named_modules() if isinstance(m, BN)}
    with torch.no_grad():
        for bn in bns.values():
            bn.momentum = None  # a cumulative average over the pretraining batches
        model.train()
        for _ in range(4):
            model(_images(16, torch.device("cpu")))
        for bn in bns.values():
            bn.num_batches_tracked.fill_(1000)
            bn.weight.copy_(torch.rand(bn.num_features) + 0.5)
            bn.bias.copy_(torch.randn(bn.num_features) * 0.3)
    theirs = remote.define(_Net)()  # momentum 0.1, as the pretrained model is handed on
    theirs.load_state_dict(dict(model.state_dict()))
    theirs = theirs.to(device)
    layers = remote.eval("[model.get_submodule(n) for n in names]", model=theirs, names=list(bns))
    return theirs, dict(zip(bns, layers, strict=True))


def _bn_state(remote: Remote, bns: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every BN layer's statistics, weight and bias and flags, fetched in one request."""
    return remote.value(
        remote.eval(
            "{n: {**{s: getattr(b, s) for s in stats}, 'weight': b.weight.detach(), "
            "'bias': b.bias.detach(), 'eps': b.eps, 'affine_grad': b.weight.requires_grad} "
            "for n, b in bns.items()}",
            bns=bns,
            stats=list(STATS),
        )
    )


def _listing(names: list[str], limit: int = 4) -> str:
    """At most ``limit`` names, then how many more."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _images(n: int, device: torch.device) -> torch.Tensor:
    return (torch.randn(n, 3, 7, 6) * 1.5 + 0.4).to(device)


def _frozen(learner: Any, remote: Remote, device: torch.device) -> tuple[Any, dict[str, Any]]:
    model, bns = _pretrained(remote, device)
    model.train()
    result = learner.freeze_bn(model)
    assert result is None or result is model, (
        "freeze_bn(model) returned a different object: it must change the model it is given "
        "(in place), since the caller keeps using that model"
    )
    return model, bns


def _forward(model: Any, n: int, device: torch.device) -> Any:
    try:
        return model(_images(n, device))
    except ValueError as exc:
        raise AssertionError(
            f"the forward pass after model.train(); freeze_bn(model) failed for a batch of "
            f"{n}: {exc}. A batch-norm layer in train mode needs more than one value per "
            "channel; a frozen one (in eval mode) normalises with its running statistics and "
            "takes any batch size"
        ) from None


def _step(model: Any, n: int, device: torch.device) -> None:
    """One fine-tuning step: forward, backward of a random loss, SGD on model.parameters()."""
    out = _forward(model, n, device)
    (out * torch.randn_like(plain(out, "model(x)"))).sum().backward()
    sgd_step(model.parameters(), lr=0.05)
    model.zero_grad()


def test_statistics_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """the BN running statistics stay bitwise unchanged during fine-tuning"""
    torch.manual_seed(0)
    remote.torch.manual_seed(0)
    model, bns = _pretrained(remote, device)
    before = _bn_state(remote, bns)
    model.train()
    learner.freeze_bn(model)
    for n in (2, 3, 4):
        _step(model, n, device)
    after = _bn_state(remote, bns)
    changed = [
        f"{name} ({bn._type.rpartition('.')[2]})"
        for name, bn in bns.items()
        if any(not torch.equal(after[name][s], before[name][s]) for s in STATS)
    ]
    if not changed:
        return
    frozen_affine = any(not state["affine_grad"] for state in after.values())
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


def test_uses_running_statistics(learner: Any, remote: Remote, device: torch.device) -> None:
    """frozen BN layers normalise with their running statistics, for any batch size"""
    torch.manual_seed(1)
    remote.torch.manual_seed(1)
    model, bns = _frozen(learner, remote, device)
    recorder = remote.define(_Recorder)()
    handles = remote.eval(
        "[b.register_forward_hook(recorder.hook(n)) for n, b in bns.items()]",
        bns=bns,
        recorder=recorder,
    )
    try:
        for n in (3, 1):
            recorder.seen = {}
            _forward(model, n, device)
            seen = remote.value(recorder.seen)
            missing = [name for name in bns if name not in seen]
            assert not missing, (
                f"the batch-norm layers {', '.join(missing)} no longer run in the model: "
                "freeze_bn must keep the model's own batch-norm modules and switch their mode"
            )
            state = _bn_state(remote, bns)
            for name, bn in bns.items():
                inp, out = seen[name]
                expected = F.batch_norm(
                    inp,
                    state[name]["running_mean"],
                    state[name]["running_var"],
                    state[name]["weight"],
                    state[name]["bias"],
                    training=False,
                    eps=state[name]["eps"],
                )
                assert_close(
                    out,
                    expected,
                    what=f"the output of {name} ({bn._type.rpartition('.')[2]})",
                    inputs=f"a batch of {n} after model.train(); freeze_bn(model)",
                    rtol=1e-5,
                    hint="a frozen batch-norm layer normalises with its running statistics; "
                    "this one still used the batch's own statistics (it is in train mode, or "
                    "track_running_stats is off)",
                )
    finally:
        remote.eval("[handle.remove() for handle in handles]", handles=handles)


def test_rest_still_trains(learner: Any, remote: Remote, device: torch.device) -> None:
    """every other module stays in training mode, so dropout still drops"""
    torch.manual_seed(2)
    remote.torch.manual_seed(2)
    model, bns = _frozen(learner, remote, device)
    modules = remote.value(
        remote.eval(
            "[(n, type(m).__name__, m.training) for n, m in model.named_modules() "
            "if not any(m is bn for bn in bns)]",
            model=model,
            bns=list(bns.values()),
        )
    )
    idle = [
        f"{name or 'the model itself'} ({kind})" for name, kind, training in modules if not training
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


def _parameters(remote: Remote, model: Any) -> list[tuple[str, torch.Tensor, bool, bool]]:
    """(name, value, requires_grad, has a gradient) of every parameter, in one request."""
    return remote.value(
        remote.eval(
            "[(n, p.detach().clone(), p.requires_grad, p.grad is not None) "
            "for n, p in model.named_parameters()]",
            model=model,
        )
    )


def test_parameters_train(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter, BN weight and bias included, still gets a gradient and trains"""
    torch.manual_seed(3)
    remote.torch.manual_seed(3)
    model, _ = _frozen(learner, remote, device)
    params = _parameters(remote, model)
    frozen = [name for name, _, requires_grad, _ in params if not requires_grad]
    assert not frozen, (
        f"after freeze_bn(model), these parameters have requires_grad=False: {', '.join(frozen)}. "
        "Freezing batch norm here means freezing its statistics; its weight and bias keep "
        "training with the rest of the model"
    )
    before = {name: value for name, value, _, _ in params}
    out = model(_images(3, device))
    (out * torch.randn_like(plain(out, "model(x)"))).sum().backward()
    no_grad = [name for name, _, _, has_grad in _parameters(remote, model) if not has_grad]
    assert not no_grad, f"after backward, these parameters have no gradient: {', '.join(no_grad)}"
    sgd_step(model.parameters(), lr=0.05)
    stuck = [
        name
        for name, value, _, _ in _parameters(remote, model)
        if name in before and torch.equal(value, before[name])
    ]
    assert not stuck, f"an SGD step on model.parameters() left these unchanged: {', '.join(stuck)}"
