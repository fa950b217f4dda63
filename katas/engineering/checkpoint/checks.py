"""Hidden checks for checkpoint: ``Encoder(blocks)`` checkpoints each block, so its inner
activations are freed after the forward pass and rebuilt one block at a time during backward,
with gradients equal to the plain run's."""

import warnings
import weakref
from types import ModuleType
from typing import Any

import torch
from torch import nn

from trainer.checks import assert_close

WIDTH = 6
HIDDEN = (9, 8, 11, 7)  # one block per entry, each with its own hidden width
BATCH = 5


class _Tracker:
    """What the blocks did, in order: forward calls, recomputations and backward passes."""

    def __init__(self) -> None:
        self.phase = "forward"
        self.inner: list[tuple[int, weakref.ref[torch.Tensor]]] = []
        self.events: list[tuple[str, int]] = []


class _Block(nn.Module):
    """A residual MLP block with dropout. Its hidden activation ``h`` is an input of ``sin``,
    which saves it for backward, so ``h`` lives exactly as long as autograd keeps it."""

    def __init__(self, index: int, hidden: int, tracker: _Tracker) -> None:
        super().__init__()
        self.up = nn.Linear(WIDTH, hidden)
        self.down = nn.Linear(hidden, WIDTH)
        self.drop = nn.Dropout(0.25)
        self.index = index
        self.tracker = tracker
        self.up.weight.register_hook(self._backward_reached)

    def _backward_reached(self, grad: torch.Tensor) -> None:
        self.tracker.events.append(("backward", self.index))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)
        if self.tracker.phase == "forward":
            self.tracker.inner.append((self.index, weakref.ref(h)))
        else:
            self.tracker.events.append(("recompute", self.index))
        return x + self.drop(self.down(torch.sin(h)))


def _blocks(seed: int, device: torch.device) -> tuple[list[_Block], _Tracker]:
    """The same blocks (same initial weights) for the same seed."""
    torch.manual_seed(seed)
    tracker = _Tracker()
    blocks = [_Block(i, hidden, tracker).double().to(device) for i, hidden in enumerate(HIDDEN)]
    return blocks, tracker


def _plain(blocks: list[_Block], x: torch.Tensor) -> torch.Tensor:
    for block in blocks:
        x = block(x)
    return x


def _input(seed: int, device: torch.device, requires_grad: bool) -> torch.Tensor:
    torch.manual_seed(seed)
    x = (torch.randn(BATCH, WIDTH, dtype=torch.float64) * 1.3 + 0.2).to(device)
    return x.requires_grad_(requires_grad)


def _weights(device: torch.device) -> torch.Tensor:
    """Random weights for the loss, so no two outputs get the same gradient."""
    torch.manual_seed(99)
    return (torch.rand(BATCH, WIDTH, dtype=torch.float64) + 0.5).to(device)


def _encoder(learner: ModuleType, blocks: list[_Block]) -> nn.Module:
    encoder = learner.Encoder(blocks)
    assert isinstance(encoder, nn.Module), (
        f"Encoder(blocks) is a {type(encoder).__name__}, expected an nn.Module"
    )
    return encoder.train()


def _blocks_named(indices: list[int]) -> str:
    if len(indices) == 1:
        return f"block {indices[0]}"
    return "blocks " + ", ".join(map(str, indices[:-1])) + f" and {indices[-1]}"


CALL = f"Encoder(blocks)(x) with {len(HIDDEN)} residual blocks and x of shape ({BATCH}, {WIDTH})"


def _forward(encoder: nn.Module, x: torch.Tensor, seed: int) -> Any:
    torch.manual_seed(seed)  # the same dropout masks for the learner's run and the plain run
    return encoder(x)


def _output(encoder: nn.Module, x: torch.Tensor, seed: int) -> torch.Tensor:
    out = _forward(encoder, x, seed)
    assert isinstance(out, torch.Tensor), (
        f"{CALL} returned a {type(out).__name__}, expected a tensor"
    )
    return out


def test_forward(learner: ModuleType, device: torch.device) -> None:
    """the output equals running the blocks one after the other"""
    blocks, _ = _blocks(1, device)
    twins, _ = _blocks(1, device)
    x = _input(2, device, requires_grad=True)
    out = _output(_encoder(learner, blocks), x, seed=3)
    with torch.no_grad():
        expected = _forward(nn.Sequential(*twins).train(), x, seed=3)
    assert_close(
        out,
        expected,
        what="the encoder's output",
        inputs=CALL + ", in training mode (dropout on)",
        hint="each block takes the previous block's output, and the encoder returns the last one",
    )


RNG_HINT = (
    "recomputation must rebuild exactly what the forward pass computed, dropout masks "
    "included: checkpoint(..., preserve_rng_state=True) (the default) replays the random "
    "state of the forward pass"
)


def _compare_grads(blocks: list[_Block], twins: list[_Block], inputs: str) -> None:
    for index, (block, twin) in enumerate(zip(blocks, twins, strict=True)):
        for (name, param), expected in zip(
            block.named_parameters(), twin.parameters(), strict=True
        ):
            assert expected.grad is not None  # the plain run reaches every parameter
            assert param.grad is not None, (
                f"after backward, the parameters of block {index} ({name} and the rest) have "
                f"no gradient ({inputs}), expected the plain run's: a block whose input "
                "was cut from the graph (detach, no_grad) passes no gradient back to the "
                "blocks before it"
            )
            assert_close(
                param.grad,
                expected.grad,
                what=f"the gradient of block {index}'s {name}",
                inputs=inputs,
                hint=RNG_HINT,
            )


def test_gradients(learner: ModuleType, device: torch.device) -> None:
    """gradients equal those of the plain run"""
    blocks, _ = _blocks(4, device)
    twins, _ = _blocks(4, device)
    weights = _weights(device)
    x = _input(5, device, requires_grad=True)
    twin_x = x.detach().clone().requires_grad_()
    inputs = CALL + ", in training mode (dropout on), loss (out * w).sum()"
    out = _output(_encoder(learner, blocks), x, seed=6)
    assert out.requires_grad, (
        f"the output of {CALL} does not require grad, though x does: the blocks ran without "
        "autograd (torch.no_grad() or detach), so nothing can be trained"
    )
    (out * weights).sum().backward()
    (_forward(nn.Sequential(*twins).train(), twin_x, seed=6) * weights).sum().backward()
    assert x.grad is not None, f"after backward, x.grad is None ({inputs}), expected dL/dx"
    assert_close(x.grad, twin_x.grad, what="x.grad", inputs=inputs, hint=RNG_HINT)
    _compare_grads(blocks, twins, inputs)


def test_input_without_grad(learner: ModuleType, device: torch.device) -> None:
    """every block's parameters get gradients when the input does not require grad"""
    blocks, _ = _blocks(7, device)
    twins, _ = _blocks(7, device)
    weights = _weights(device)
    x = _input(8, device, requires_grad=False)  # a batch of data, as in training
    inputs = CALL + ", x a batch of data that does not require grad"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a check of its own reports the warnings
        out = _output(_encoder(learner, blocks), x, seed=9)
    assert out.requires_grad, (
        f"the output of {CALL} does not require grad when x does not (x is a batch of data, "
        "as in training): no parameter can get a gradient. Either the blocks ran without "
        "autograd (torch.no_grad()), or checkpoint ran its reentrant version "
        "(use_reentrant=True, or left out), which tracks gradients only through the "
        "tensors you pass it, and the block's parameters are not among them. Use "
        "use_reentrant=False"
    )
    (out * weights).sum().backward()
    (_forward(nn.Sequential(*twins).train(), x, seed=9) * weights).sum().backward()
    _compare_grads(blocks, twins, inputs)


def test_no_warnings(learner: ModuleType, device: torch.device) -> None:
    """checkpoint runs without warnings (use_reentrant given explicitly)"""
    blocks, _ = _blocks(10, device)
    x = _input(11, device, requires_grad=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _output(_encoder(learner, blocks), x, seed=12)
        if out.requires_grad:
            out.sum().backward()
    about = [
        str(w.message).strip()
        for w in caught
        if "checkpoint" in str(w.message)
        or "use_reentrant" in str(w.message)
        or w.filename.replace("\\", "/").endswith("torch/utils/checkpoint.py")
    ]
    if not about:
        return
    first = about[0].splitlines()[0]
    more = f" (and {len(about) - 1} more)" if len(about) > 1 else ""
    advice = (
        "Pass use_reentrant=False explicitly: leaving it out warns, and runs the old "
        "reentrant version, which PyTorch plans to make an error"
        if any("use_reentrant" in text for text in about)
        else "The reentrant version (use_reentrant=True) warns when no tensor passed to "
        "checkpoint requires grad: then nothing inside the block can get a gradient. Use "
        "use_reentrant=False"
    )
    raise AssertionError(
        f"{CALL} (x not requiring grad) made torch.utils.checkpoint warn: {first!r}{more}. "
        + advice
    )


def test_activations_freed(learner: ModuleType, device: torch.device) -> None:
    """after the forward pass, the blocks' inner activations are freed"""
    blocks, tracker = _blocks(13, device)
    x = _input(14, device, requires_grad=True)
    out = _output(_encoder(learner, blocks), x, seed=15)
    seen = sorted({index for index, _ in tracker.inner})
    assert seen == list(range(len(HIDDEN))), (
        f"{CALL} ran blocks {seen} during the forward pass, expected each of the "
        f"{len(HIDDEN)} blocks once"
    )
    alive = sorted({index for index, ref in tracker.inner if ref() is not None})
    last = len(HIDDEN) - 1
    kept = [index for index in alive if index != last]
    assert not kept, (
        f"after {CALL} returned, and before backward, the hidden activations of "
        f"{_blocks_named(kept)} (of blocks 0 to {last}) were still in memory, kept by autograd "
        "for the backward pass: memory grows with the depth of the encoder. Run each block "
        "through torch.utils.checkpoint.checkpoint, which keeps only the block's input and "
        "recomputes the rest during backward"
    )
    del out


def test_recompute_one_at_a_time(learner: ModuleType, device: torch.device) -> None:
    """during backward, the blocks are recomputed one at a time"""
    blocks, tracker = _blocks(16, device)
    x = _input(17, device, requires_grad=True)
    out = _output(_encoder(learner, blocks), x, seed=18)
    tracker.phase = "backward"
    if not out.requires_grad:
        return  # no backward to watch: "gradients equal those of the plain run" says why
    out.sum().backward()
    waiting: list[int] = []
    for kind, index in tracker.events:
        if kind == "recompute":
            others = [i for i in waiting if i != index]
            assert not others, (
                f"during backward of {CALL}, block {index} was recomputed while "
                f"{_blocks_named(others)} {'were' if len(others) > 1 else 'was'} already "
                "recomputed and still waiting for backward to go through: the activations of "
                "these blocks were all in memory at once, as if nothing had been checkpointed. "
                "Checkpoint each "
                "block on its own, not the whole stack in one call, so backward rebuilds one "
                "block, goes back through it, frees it, and only then rebuilds the next"
            )
            waiting.append(index)
        elif index in waiting:
            waiting.remove(index)
