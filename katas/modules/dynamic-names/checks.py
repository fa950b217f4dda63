"""Hidden checks for dynamic-names: the blocks built in a loop are registered as block_<i>."""

from typing import Any

import torch
from torch import nn

from trainer.checks import assert_close, assert_same_names, same_device, sgd_step, type_name

# (widths, batch): two blocks; one block of width 1 with batch 1;
# eleven blocks (block_10 sorts before block_2 as a string); all widths distinct
CASES: list[tuple[list[int], int]] = [
    ([5, 7, 3], 4),
    ([6, 1], 1),
    (list(range(3, 15)), 2),
]
NAMING = (
    "Each block needs its own registered name: self.add_module(f'block_{i}', block) or "
    "setattr(self, f'block_{i}', block). Assigning self.block in a loop replaces the previous "
    "block each time, and a plain list or self.__dict__ registers nothing"
)


def _names(widths: list[int]) -> list[str]:
    return [f"block_{i}" for i in range(len(widths) - 1)]


def _blocks(tower: nn.Module, widths: list[int]) -> list[nn.Linear]:
    """tower.block_0, tower.block_1, …, as the description promises."""
    blocks = []
    for name in _names(widths):
        try:
            block = getattr(tower, name)
        except AttributeError as exc:
            raise AssertionError(
                f"Tower({widths}).{name} failed with AttributeError: {exc}. {NAMING}"
            ) from None
        assert isinstance(block, nn.Linear), (
            f"Tower({widths}).{name} is a {type_name(block)}, expected an nn.Linear"
        )
        blocks.append(block)
    return blocks


def _reference(weights: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor) -> torch.Tensor:
    for weight, bias in weights:
        x = torch.tanh(x @ weight.T + bias)
    return x


def _input(
    widths: list[int], batch: int, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    return (torch.randn(batch, widths[0], dtype=dtype) * 1.5 + 0.2).to(device)


def test_children(learner: Any, device: torch.device) -> None:
    """named_children() is block_0, block_1, … in order"""
    for widths, _ in CASES:
        tower = learner.Tower(widths).to(device)
        got = [name for name, _ in tower.named_children()]
        expected = _names(widths)
        assert_same_names(
            got, expected, what=f"the names in Tower({widths}).named_children()", hint=NAMING
        )
        assert got == expected, (
            f"Tower({widths}).named_children() lists {got}, expected {expected} in that "
            "order: children are listed in the order they were registered, and hook scripts, "
            "self.children() and the checkpoint follow it. Register the blocks by number "
            "(block_10 sorts before block_2 as a string)"
        )


def test_old_checkpoint(learner: Any, device: torch.device) -> None:
    """an old checkpoint (block_<i>.weight, block_<i>.bias) loads strictly and is used"""
    torch.manual_seed(1)
    for widths, batch in CASES:
        call = f"Tower({widths})"
        tower = learner.Tower(widths).to(device)
        checkpoint: dict[str, torch.Tensor] = {}
        weights = []
        for name, n_in, n_out in zip(_names(widths), widths, widths[1:], strict=False):
            weight, bias = torch.randn(n_out, n_in).to(device), torch.randn(n_out).to(device)
            checkpoint |= {f"{name}.weight": weight, f"{name}.bias": bias}
            weights.append((weight, bias))
        assert_same_names(
            tower.state_dict(),
            checkpoint,
            what=f"the keys of {call}.state_dict()",
            hint="Old checkpoints use exactly these names, so load_state_dict(strict=True) "
            f"fails on any other. {NAMING}",
        )
        tower.load_state_dict(checkpoint)
        x = _input(widths, batch, device)
        assert_close(
            tower(x),
            _reference(weights, x),
            what=f"{call}(x) after load_state_dict(old checkpoint)",
            inputs=f"x of shape {tuple(x.shape)}",
            rtol=1e-5,
            hint="forward must run the registered blocks, the ones the checkpoint loads into",
        )


def test_forward(learner: Any, device: torch.device) -> None:
    """forward applies block_0, block_1, … in order, each followed by tanh"""
    torch.manual_seed(2)
    for widths, batch in CASES:
        tower = learner.Tower(widths).to(device)
        weights = [(b.weight, b.bias) for b in _blocks(tower, widths)]
        x = _input(widths, batch, device)
        assert_close(
            tower(x),
            _reference(weights, x),
            what=f"Tower({widths})(x)",
            inputs=f"x of shape {tuple(x.shape)}",
            rtol=1e-5,
        )


def test_optimizer_step(learner: Any, device: torch.device) -> None:
    """one SGD step on tower.parameters() updates every block"""
    torch.manual_seed(3)
    widths, _ = CASES[2]
    tower = learner.Tower(widths).to(device)
    params = list(tower.parameters())
    assert params, (
        f"Tower({widths}).parameters() is empty: an optimizer built from it has nothing to "
        f"train. {NAMING}"
    )
    blocks = _blocks(tower, widths)
    before = [b.weight.detach().clone() for b in blocks]
    out = tower(_input(widths, 5, device))
    (out * torch.randn_like(out)).sum().backward()
    sgd_step(params, lr=0.1)
    stuck = [
        name
        for name, b, w in zip(_names(widths), blocks, before, strict=True)
        if torch.equal(b.weight.detach(), w)
    ]
    assert not stuck, (
        f"after an SGD step on Tower({widths}).parameters(), the weights of "
        f"{', '.join(stuck)} did not change: the optimizer only receives registered "
        f"parameters. {NAMING}"
    )


def test_double_and_to(learner: Any, device: torch.device) -> None:
    """tower.double() and tower.to(device) convert every block"""
    torch.manual_seed(4)
    widths, _ = CASES[0]
    tower = learner.Tower(widths).double().to(device)
    blocks = _blocks(tower, widths)
    stale = [
        f"{name} ({b.weight.dtype}, {b.weight.device})"
        for name, b in zip(_names(widths), blocks, strict=True)
        if b.weight.dtype != torch.float64 or not same_device(b.weight.device, device)
    ]
    assert not stale, (
        f"after Tower({widths}).double().to({device}), these were not converted: "
        f"{', '.join(stale)}. Module.double() and .to() reach registered submodules only"
    )
    x = _input(widths, 3, device, dtype=torch.float64)
    weights = [(b.weight, b.bias) for b in blocks]
    assert_close(tower(x), _reference(weights, x), what=f"Tower({widths}).double()(x)")
