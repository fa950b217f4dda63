"""Hidden checks for checkpoint: ``Encoder(blocks)`` checkpoints each block, so its inner
activations are freed after the forward pass and rebuilt one block at a time during backward,
with gradients equal to the plain run's."""

from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain, type_name

WIDTH = 6
HIDDEN = (9, 8, 11, 7)  # one block per entry, each with its own hidden width
BATCH = 5


class _Tracker:
    """What the blocks did, in order: forward calls, recomputations and backward passes.

    Lives in the learner process with the blocks (``remote.define``); read back by value."""

    def __init__(self) -> None:
        self.phase = "forward"
        self.inner: list[tuple[int, object]] = []  # (block index, weakref to its hidden activation)
        self.events: list[tuple[str, int]] = []

    def note(self, index: int, h: torch.Tensor) -> None:
        import weakref

        self.inner.append((index, weakref.ref(h)))

    def report(self) -> tuple[list[int], list[int], list[tuple[str, int]]]:
        """Blocks run in the forward pass, those whose hidden activation is alive, events."""
        seen = [index for index, _ in self.inner]
        alive = [index for index, ref in self.inner if ref() is not None]
        return seen, alive, list(self.events)


class _Block(nn.Module):
    """A residual MLP block with dropout. Its hidden activation ``h`` is an input of ``sin``,
    which saves it for backward, so ``h`` lives exactly as long as autograd keeps it.

    The learner's encoder gets these blocks in the learner process; their twins here (same
    weights) give the plain run."""

    def __init__(self, index: int, width: int, hidden: int, tracker: object) -> None:
        super().__init__()
        self.up = nn.Linear(width, hidden)
        self.down = nn.Linear(hidden, width)
        self.drop = nn.Dropout(0.25)
        self.index = index
        self.tracker = tracker
        self.up.weight.register_hook(self._backward_reached)

    def _backward_reached(self, grad: torch.Tensor) -> None:
        self.tracker.events.append(("backward", self.index))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)
        if self.tracker.phase == "forward":
            self.tracker.note(self.index, h)
        else:
            self.tracker.events.append(("recompute", self.index))
        return x + self.drop(self.down(torch.sin(h)))


def _make_blocks(
    width: int, hidden: list[int], states: list[dict[str, torch.Tensor]], device: torch.device
) -> tuple[list[nn.Module], object]:
    """In the learner process: the blocks, with the given weights, and their tracker."""
    tracker = _Tracker()  # _Tracker, _Block: remote.define'd first
    blocks = []
    for index, (size, state) in enumerate(zip(hidden, states, strict=True)):
        block = _Block(index, width, size, tracker).double().to(device)
        block.load_state_dict(state)
        blocks.append(block)
    return blocks, tracker


def _run_encoder(
    encoder: nn.Module, x: torch.Tensor, seed: int, weights: torch.Tensor | None
) -> tuple[object, list[tuple[str, str]]]:
    """In the learner process: the encoder's forward pass (seeded, for the dropout masks), then
    ``(out * weights).sum().backward()`` when weights are given and out requires grad; what
    it returned, and the warnings raised meanwhile (message, file)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.manual_seed(seed)  # the same dropout masks as the plain run's in the judge
        out = encoder(x)
        if weights is not None and isinstance(out, torch.Tensor) and out.requires_grad:
            (out * weights).sum().backward()
    return out, [(str(w.message), str(w.filename)) for w in caught]


def _blocks(remote: Remote, seed: int, device: torch.device) -> tuple[Any, Any, list[_Block]]:
    """The learner process's blocks and tracker, and their twins here: the same initial
    weights for the same seed."""
    torch.manual_seed(seed)
    twins = [
        _Block(i, WIDTH, hidden, _Tracker()).double().to(device) for i, hidden in enumerate(HIDDEN)
    ]
    remote.define(_Tracker)
    remote.define(_Block)
    made = remote.define(_make_blocks)(
        WIDTH, list(HIDDEN), [dict(twin.state_dict()) for twin in twins], device
    )
    blocks, tracker = made
    return blocks, tracker, twins


def _plain_run(twins: list[_Block], x: torch.Tensor, seed: int) -> torch.Tensor:
    """The plain run, here: the blocks one after the other, with the same dropout masks."""
    torch.manual_seed(seed)
    for block in twins:
        block.train()
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


def _encoder(learner: Any, blocks: Any) -> Any:
    encoder = learner.Encoder(blocks)
    assert isinstance(encoder, nn.Module), (
        f"Encoder(blocks) is a {type_name(encoder)}, expected an nn.Module"
    )
    return encoder.train()


def _blocks_named(indices: list[int]) -> str:
    if len(indices) == 1:
        return f"block {indices[0]}"
    return "blocks " + ", ".join(map(str, indices[:-1])) + f" and {indices[-1]}"


CALL = f"Encoder(blocks)(x) with {len(HIDDEN)} residual blocks and x of shape ({BATCH}, {WIDTH})"


def _output(
    remote: Remote, encoder: Any, x: Any, seed: int, weights: torch.Tensor | None = None
) -> tuple[Any, list[tuple[str, str]]]:
    """The encoder's output (a tensor, checked), then its backward with ``weights``; the
    warnings raised meanwhile."""
    out, caught = remote.define(_run_encoder)(encoder, x, seed, weights)
    assert isinstance(out, torch.Tensor), f"{CALL} returned a {type_name(out)}, expected a tensor"
    return out, caught


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """the output equals running the blocks one after the other"""
    blocks, _, twins = _blocks(remote, 1, device)
    x = _input(2, device, requires_grad=True)
    out, _ = _output(remote, _encoder(learner, blocks), remote.tensor(x), seed=3)
    with torch.no_grad():
        expected = _plain_run(twins, x, seed=3)
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


def _compare_grads(remote: Remote, blocks: Any, twins: list[_Block], inputs: str) -> None:
    grads = remote.value(
        remote.eval(
            "[[(n, p.grad) for n, p in b.named_parameters()] for b in blocks]", blocks=blocks
        )
    )
    for index, (block, twin) in enumerate(zip(grads, twins, strict=True)):
        for (name, grad), expected in zip(block, twin.parameters(), strict=True):
            assert expected.grad is not None  # the plain run reaches every parameter
            assert grad is not None, (
                f"after backward, the parameters of block {index} ({name} and the rest) have "
                f"no gradient ({inputs}), expected the plain run's: a block whose input "
                "was cut from the graph (detach, no_grad) passes no gradient back to the "
                "blocks before it"
            )
            assert_close(
                grad,
                expected.grad,
                what=f"the gradient of block {index}'s {name}",
                inputs=inputs,
                hint=RNG_HINT,
            )


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients equal those of the plain run"""
    blocks, _, twins = _blocks(remote, 4, device)
    weights = _weights(device)
    x = _input(5, device, requires_grad=True)
    their_x = remote.tensor(x.detach().clone().requires_grad_())  # a leaf there
    inputs = CALL + ", in training mode (dropout on), loss (out * w).sum()"
    out, _ = _output(remote, _encoder(learner, blocks), their_x, seed=6, weights=weights)
    assert out.requires_grad is True, (
        f"the output of {CALL} does not require grad, though x does: the blocks ran without "
        "autograd (torch.no_grad() or detach), so nothing can be trained"
    )
    (_plain_run(twins, x, seed=6) * weights).sum().backward()
    grad = their_x.grad
    assert grad is not None, f"after backward, x.grad is None ({inputs}), expected dL/dx"
    assert_close(plain(grad, "x.grad"), x.grad, what="x.grad", inputs=inputs, hint=RNG_HINT)
    _compare_grads(remote, blocks, twins, inputs)


def test_input_without_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """every block's parameters get gradients when the input does not require grad"""
    blocks, _, twins = _blocks(remote, 7, device)
    weights = _weights(device)
    x = _input(8, device, requires_grad=False)  # a batch of data, as in training
    inputs = CALL + ", x a batch of data that does not require grad"
    # the warnings are recorded and dropped: a check of its own reports them
    out, _ = _output(remote, _encoder(learner, blocks), x, seed=9, weights=weights)
    assert out.requires_grad is True, (
        f"the output of {CALL} does not require grad when x does not (x is a batch of data, "
        "as in training): no parameter can get a gradient. Either the blocks ran without "
        "autograd (torch.no_grad()), or checkpoint ran its reentrant version "
        "(use_reentrant=True, or left out), which tracks gradients only through the "
        "tensors you pass it, and the block's parameters are not among them. Use "
        "use_reentrant=False"
    )
    (_plain_run(twins, x, seed=9) * weights).sum().backward()
    _compare_grads(remote, blocks, twins, inputs)


def test_no_warnings(learner: Any, remote: Remote, device: torch.device) -> None:
    """checkpoint runs without warnings (use_reentrant given explicitly)"""
    blocks, _, _ = _blocks(remote, 10, device)
    x = _input(11, device, requires_grad=False)
    ones = torch.ones(BATCH, WIDTH, dtype=torch.float64, device=device)  # out.sum().backward()
    _, caught = _output(remote, _encoder(learner, blocks), x, seed=12, weights=ones)
    about = [
        message.strip()
        for message, filename in caught
        if "checkpoint" in message
        or "use_reentrant" in message
        or filename.replace("\\", "/").endswith("torch/utils/checkpoint.py")
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


def test_activations_freed(learner: Any, remote: Remote, device: torch.device) -> None:
    """after the forward pass, the blocks' inner activations are freed"""
    blocks, tracker, _ = _blocks(remote, 13, device)
    x = remote.tensor(_input(14, device, requires_grad=True))
    out, _ = _output(remote, _encoder(learner, blocks), x, seed=15)
    seen, alive, _ = remote.value(tracker.report())
    seen = sorted(set(seen))
    assert seen == list(range(len(HIDDEN))), (
        f"{CALL} ran blocks {seen} during the forward pass, expected each of the "
        f"{len(HIDDEN)} blocks once"
    )
    alive = sorted(set(alive))
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


def test_recompute_one_at_a_time(learner: Any, remote: Remote, device: torch.device) -> None:
    """during backward, the blocks are recomputed one at a time"""
    blocks, tracker, _ = _blocks(remote, 16, device)
    x = remote.tensor(_input(17, device, requires_grad=True))
    out, _ = _output(remote, _encoder(learner, blocks), x, seed=18)
    tracker.phase = "backward"
    if out.requires_grad is not True:
        return  # no backward to watch: "gradients equal those of the plain run" says why
    remote.eval("out.sum().backward()", out=out)
    _, _, events = remote.value(tracker.report())
    waiting: list[int] = []
    for kind, index in events:
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
