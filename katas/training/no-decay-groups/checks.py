"""Hidden checks for no-decay-groups: ``param_groups(model, wd)`` gives AdamW groups where the
parameters with 2 or more dims decay by wd, all others by 0, and every parameter (a tied
weight too) is listed exactly once."""

from typing import Any

import torch
from torch import nn

from trainer.checks import LearnerRaised, Remote, assert_close

LR = 0.1
ADAMW_DEFAULT_WD = 0.01  # what a group without "weight_decay" gets


class _TinyLM(nn.Module):
    """A one-block language model: tied embedding and head, a learned positional table, a
    LayerNorm, an RMSNorm named ln_f and a scalar logit scale."""

    def __init__(self, vocab: int, dim: int, length: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(length, dim) * 0.1)
        self.ln_1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.ln_f = nn.RMSNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight
        self.logit_scale = nn.Parameter(torch.tensor(1.5))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) + self.pos[: tokens.shape[-1]]
        h = h + self.mlp(self.ln_1(h))
        return self.head(self.ln_f(h)) * self.logit_scale


class _ConvNet(nn.Module):
    """A small image classifier: a convolution, BatchNorm2d, a linear head and a 1-dim gain."""

    def __init__(self, channels: int, width: int, classes: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, width, 3)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, classes)
        self.gain = nn.Parameter(torch.ones(classes) * 0.8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3))
        return self.fc(h) * self.gain


def _perturbed(model: nn.Module, device: torch.device) -> nn.Module:
    """The model on the device, with every parameter moved off its initial value, so that no
    gain is exactly 1 and no bias exactly 0 (defined in the learner process)."""
    model = model.to(device)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.3 + 0.05)
    return model


def _membership(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """For each parameter name: how many times the optimizer's groups list it, the
    weight_decay of its (first) group and its ndim; and how many listed tensors are not the
    model's (defined in the learner process)."""
    own = list(model.parameters())
    listed = [p for group in optimizer.param_groups for p in group["params"]]
    rows = {}
    for name, param in model.named_parameters():
        groups = [g for g in optimizer.param_groups if any(p is param for p in g["params"])]
        rows[name] = {
            "count": sum(1 for p in listed if p is param),
            "decay": float(groups[0]["weight_decay"]) if groups else None,
            "ndim": param.ndim,
        }
    foreign = sum(1 for p in listed if not any(p is q for q in own))
    return {"rows": rows, "foreign": foreign}


MODELS = {
    "lm": (_TinyLM, (13, 6, 5)),
    "conv": (_ConvNet, (3, 4, 2)),
}


def _describe(kind: str) -> str:
    return {
        "lm": "a language model whose head is tied to its embedding (embed.weight is "
        "head.weight), with pos, ln_1, mlp, ln_f (an RMSNorm) and logit_scale",
        "conv": "a conv net with conv, bn (BatchNorm2d), fc and a 1-dim gain",
    }[kind]


def _build(learner: Any, remote: Remote, kind: str, wd: float, device: torch.device) -> Any:
    """The model and AdamW(param_groups(model, wd), lr=LR), built in the learner process."""
    cls, sizes = MODELS[kind]
    remote.torch.manual_seed(7)
    model = remote.define(_perturbed)(remote.define(cls)(*sizes), device)
    groups = learner.param_groups(model, wd)
    try:
        optimizer = remote.torch.optim.AdamW(groups, lr=LR)
    except LearnerRaised as exc:
        if isinstance(exc, ValueError) and "more than one parameter group" in str(exc):
            raise AssertionError(
                f"AdamW(param_groups(model, {wd}), lr={LR}) raised 'some parameters appear in "
                f"more than one parameter group', for {_describe(kind)}. A tied weight is one "
                "Parameter used by two modules: walking model.modules() finds it under both. "
                "Iterate model.parameters(), which yields it once"
            ) from None
        raise AssertionError(
            f"AdamW(param_groups(model, {wd}), lr={LR}) raised {exc.short_type}: {exc}. "
            "Return a list of dicts, each with a 'params' list of the model's parameters and "
            "a 'weight_decay'"
        ) from None
    return model, optimizer


def test_each_parameter_once(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter is in exactly one group, the tied weight once"""
    for kind in MODELS:
        model, optimizer = _build(learner, remote, kind, 0.05, device)
        seen = remote.define(_membership)(model, optimizer)
        seen = remote.value(seen)
        rows = seen["rows"]
        missing = [name for name, row in rows.items() if row["count"] == 0]
        assert not missing, (
            f"param_groups left out {', '.join(missing)}, for {_describe(kind)}: every "
            "parameter must be in a group, or the optimizer never updates it"
        )
        twice = [f"{name} ({row['count']} times)" for name, row in rows.items() if row["count"] > 1]
        assert not twice, (
            f"the groups list {', '.join(twice)}, for {_describe(kind)}: each parameter must be "
            "listed once. The optimizer only warns about a duplicate inside one group, then "
            "updates that parameter twice per step. A tied weight is one Parameter used by two "
            "modules: walking model.modules() finds it under both. Iterate model.parameters(), "
            "which yields it once"
        )
        assert seen["foreign"] == 0, (
            f"the groups hold {seen['foreign']} tensor(s) that are not parameters of the model "
            f"({_describe(kind)}): list the model's own Parameter objects, not copies"
        )


def _expected_decay(ndim: int, wd: float) -> float:
    return wd if ndim >= 2 else 0.0


def test_weight_decay_by_ndim(learner: Any, remote: Remote, device: torch.device) -> None:
    """parameters with 2 or more dims get weight_decay=wd, all others 0"""
    for kind, wd in (("lm", 0.05), ("conv", 0.2)):
        model, optimizer = _build(learner, remote, kind, wd, device)
        rows = remote.value(remote.define(_membership)(model, optimizer))["rows"]
        wrong = [
            (name, row)
            for name, row in rows.items()
            if row["decay"] is not None and row["decay"] != _expected_decay(row["ndim"], wd)
        ]
        if not wrong:
            continue
        listed = "; ".join(
            f"{name} ({row['ndim']} dims) gets {row['decay']:g}, expected "
            f"{_expected_decay(row['ndim'], wd):g}"
            for name, row in wrong
        )
        causes = []
        if any(row["decay"] == ADAMW_DEFAULT_WD for _, row in wrong):
            causes.append(
                f"a group without a 'weight_decay' key gets AdamW's default, {ADAMW_DEFAULT_WD}: "
                "write 'weight_decay': 0.0 (and wd) explicitly in each group"
            )
        biases_apart = all(row["decay"] != wd for name, row in wrong if "bias" in name)
        gains_at_wd = any(
            row["ndim"] < 2 and "bias" not in name and row["decay"] == wd for name, row in wrong
        )
        if biases_apart and gains_at_wd:
            causes.append(
                "norm gains and scalars are not named 'bias': decide by param.ndim, not by name"
            )
        raise AssertionError(
            f"for {_describe(kind)}, with param_groups(model, {wd}): {listed}"
            + (". " + ". ".join(causes) if causes else "")
        )


def test_adamw_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """one AdamW step with zero gradients scales exactly the 2+ dim weights by 1 - lr*wd"""
    for kind, wd in (("lm", 0.05), ("conv", 0.2)):
        model, optimizer = _build(learner, remote, kind, wd, device)
        named = remote.fetch(
            "[(n, p.detach().clone()) for n, p in model.named_parameters()]", model=model
        )
        remote.eval(
            "[setattr(p, 'grad', torch.zeros_like(p)) for p in model.parameters()]", model=model
        )
        optimizer.step()
        after = remote.fetch("[p.detach() for p in model.parameters()]", model=model)
        inputs = f"{_describe(kind)}, zero gradients, AdamW lr={LR}, wd={wd}"
        for (name, before), got in zip(named, after, strict=True):
            if before.ndim >= 2:
                assert_close(
                    got,
                    before * (1 - LR * wd),
                    what=f"{name} after one step",
                    inputs=inputs,
                    hint=f"a weight with {before.ndim} dims must decay once per step, by "
                    "1 - lr*wd, with the optimizer's lr (no 'lr' key in the groups)",
                    rtol=1e-6,
                    atol=0.0,
                )
            else:
                changed = int((got != before).sum())
                ratio = float((got / before).flatten()[0]) if before.numel() else 1.0
                assert changed == 0, (
                    f"{name} ({before.ndim} dims) changed in {changed} of {before.numel()} "
                    f"values after one AdamW step with zero gradients ({inputs}), expected it "
                    f"bitwise unchanged: it was multiplied by {ratio:.6g}, so it is decayed. "
                    "Biases, norm gains and scalars go in a group with 'weight_decay': 0.0"
                )


def test_group_keys(learner: Any, remote: Remote, device: torch.device) -> None:
    """each group sets only 'params' and 'weight_decay'"""
    cls, sizes = MODELS["lm"]
    model = remote.define(_perturbed)(remote.define(cls)(*sizes), device)
    groups = learner.param_groups(model, 0.05)
    keys = remote.fetch(
        "[sorted(map(str, g)) if isinstance(g, dict) else type(g).__name__ for g in groups]",
        groups=groups,
    )
    for i, got in enumerate(keys):
        assert isinstance(got, list), f"group {i} is a {got}, expected a dict"
        extra = [k for k in got if k not in ("params", "weight_decay")]
        assert not extra, (
            f"group {i} sets {', '.join(repr(k) for k in extra)} besides 'params' and "
            "'weight_decay': a key in a group overrides the optimizer's own setting for that "
            "group (the lr the training script passes, its schedule). Leave them to the "
            "optimizer"
        )
