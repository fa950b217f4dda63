"""Hidden checks for device-move: the encoder moves whole, batches are pinned, copies async.

Stand-ins, so most of this also holds on a CPU: ``.to("meta")`` exposes tensors a module did
not register or created on the CPU; a ``TorchFunctionMode`` sees every copy ``to_device``
asks for and whether it blocks. Pinned memory itself exists only where there is a GPU, so the
pinned-batch check is judged on CUDA alone.
"""

import copy
import math
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.data import Dataset

from trainer.checks import assert_close, assert_same_names, same_device

VOCAB, DIM, MAX_LEN = 11, 6, 9
MOVED = (
    "model.to(device) moves registered parameters, buffers and submodules only: keep the "
    "table with self.register_buffer('pe', table)"
)


def _table(max_len: int, dim: int) -> torch.Tensor:
    """The sinusoidal table the description specifies (an independent copy of the formula)."""
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    table = torch.zeros(max_len, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table.float()


def _encoder(learner: ModuleType, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    encoder: nn.Module = learner.Encoder(VOCAB, DIM, MAX_LEN)
    return encoder


def _tokens(batch: int, length: int) -> torch.Tensor:
    return torch.randint(0, VOCAB, (batch, length))


def _unregistered(model: nn.Module) -> list[str]:
    """Tensors a module keeps as plain attributes, which ``.to()`` never sees."""
    found = []
    for prefix, module in model.named_modules():
        registered = set(module._parameters) | set(module._buffers)
        for name, value in vars(module).items():
            if isinstance(value, torch.Tensor) and name not in registered:
                found.append(f"{prefix}.{name}" if prefix else name)
    return found


def test_everything_moves(learner: ModuleType, device: torch.device) -> None:
    """model.to(device) moves every parameter, buffer and tensor the encoder keeps"""
    model = _encoder(learner, 0)
    plain_attrs = _unregistered(model)
    assert not plain_attrs, (
        f"Encoder keeps {', '.join(plain_attrs)} as a plain tensor attribute. {MOVED}"
    )
    for target in (device, torch.device("meta")):
        moved = _encoder(learner, 0).to(target)
        stale = [
            f"{name} ({tensor.device})"
            for name, tensor in [*moved.named_parameters(), *moved.named_buffers()]
            if not same_device(tensor.device, target)
        ]
        assert not stale, f"after Encoder(...).to({str(target)!r}) these stayed: {stale}"
    pe = dict(_encoder(learner, 0).to(device).named_buffers()).get("pe")
    assert pe is not None, f"Encoder has no buffer named 'pe'. {MOVED}"


def test_table_not_trained(learner: ModuleType, device: torch.device) -> None:
    """the position table is not trained: the only parameters are embed's and proj's"""
    model = _encoder(learner, 1).to(device)
    assert_same_names(
        [name for name, _ in model.named_parameters()],
        ["embed.weight", "proj.weight", "proj.bias"],
        what="Encoder's named_parameters()",
        hint="A Parameter moves with the model, but an optimizer built from parameters() "
        "trains it, requires_grad=False or not (model.requires_grad_(True) undoes that). "
        "Fixed state is a buffer",
    )


def test_forward_on_device(learner: ModuleType, device: torch.device) -> None:
    """encoder(tokens) runs on the device (and on meta) and equals proj(embed(tokens) + pe[:T])"""
    table = _table(MAX_LEN, DIM)
    for seed, (batch, length) in enumerate(((3, 5), (1, 1), (2, MAX_LEN))):
        model = _encoder(learner, 10 + seed)
        tokens = _tokens(batch, length)
        with torch.no_grad():
            expected = F.linear(
                model.embed.weight[tokens] + table[:length],
                model.proj.weight,
                model.proj.bias,
            )
            moved = copy.deepcopy(model).to(device)
            got = _run(moved, tokens.to(device))
            assert_close(
                got,
                expected.to(device),
                what=f"Encoder(...).to({str(device)!r})(tokens)",
                inputs=f"tokens of shape {tuple(tokens.shape)}",
                hint="the output is proj(embed(tokens) + pe[:T])",
            )
            meta = _run(copy.deepcopy(model).to("meta"), tokens.to("meta"))
            assert meta.shape == expected.shape, (
                f"on meta, Encoder returned shape {tuple(meta.shape)}, expected "
                f"{tuple(expected.shape)}"
            )


def _run(model: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    try:
        out = model(tokens)
    except RuntimeError as exc:
        if "device" not in str(exc):
            raise
        raise AssertionError(
            f"Encoder(...).to({str(tokens.device)!r}) failed for tokens of shape "
            f"{tuple(tokens.shape)}: {str(exc).splitlines()[0]} Some tensor stayed behind: "
            f"{MOVED}, and create tensors in forward on the input's device "
            "(torch.arange(T, device=tokens.device))"
        ) from None
    assert isinstance(out, torch.Tensor), f"Encoder returned {type(out).__name__}"
    return out


class Samples(Dataset[dict[str, Any]]):
    """Samples shaped like a real pipeline's: tokens, a label, and nested metadata."""

    def __init__(self, count: int, length: int) -> None:
        generator = torch.Generator().manual_seed(7)
        self.tokens = torch.randint(0, VOCAB, (count, length), generator=generator)
        self.labels = torch.rand(count, generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            "tokens": self.tokens[index],
            "label": self.labels[index],
            "meta": {"index": torch.tensor(index), "name": f"sample-{index}"},
        }


def _tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def test_pinned_batches(learner: ModuleType, device: torch.device) -> None:
    """make_loader yields every sample in order, in pinned memory when the device is a GPU"""
    data = Samples(9, 4)
    loader = learner.make_loader(data, 4, device)
    seen: list[int] = []
    for number, batch in enumerate(loader, start=1):
        seen += [int(i) for i in batch["meta"]["index"]]
        if device.type == "cuda":
            unpinned = [tuple(t.shape) for t in _tensors(batch) if not t.is_pinned()]
            assert not unpinned, (
                f"batch {number} of make_loader(dataset, 4, {str(device)!r}) holds tensors in "
                f"ordinary host memory (shapes {unpinned}): their copy to the GPU cannot be "
                "asynchronous. DataLoader(..., pin_memory=True) collates batches into pinned "
                "memory"
            )
    assert seen == list(range(9)), (
        f"make_loader(dataset of 9, batch_size=4) yielded samples {seen}, expected each of "
        "0..8 once, in order"
    )


class _Copies(TorchFunctionMode):
    """Records each tensor copy requested and whether it was asked not to block."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: list[bool] = []

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("to", "cuda", "copy_", "_to_copy"):
            self.copies.append(bool(kwargs.get("non_blocking", False)))
        return func(*args, **kwargs)


def _batch() -> dict[str, Any]:
    torch.manual_seed(3)
    return {
        "tokens": torch.randint(0, VOCAB, (2, 5)),
        "label": torch.rand(2),
        "meta": {"index": torch.tensor([4, 1]), "names": ["a", "b"], "pair": (torch.ones(1), 3)},
    }


def test_to_device_moves_all(learner: ModuleType, device: torch.device) -> None:
    """to_device moves every tensor of a nested batch to the device, and nothing else"""
    for target in (device, torch.device("meta")):
        batch = _batch()
        moved = learner.to_device(batch, target)
        call = f"to_device(batch, {str(target)!r})"
        assert isinstance(moved, dict) and set(moved) == set(batch), (
            f"{call} returned {type(moved).__name__} with keys "
            f"{sorted(moved) if isinstance(moved, dict) else '-'}, expected the same dict keys"
        )
        pairs = [
            (moved["tokens"], batch["tokens"], "batch['tokens']"),
            (moved["label"], batch["label"], "batch['label']"),
            (moved["meta"]["index"], batch["meta"]["index"], "batch['meta']['index']"),
            (moved["meta"]["pair"][0], batch["meta"]["pair"][0], "batch['meta']['pair'][0]"),
        ]
        for got, original, where in pairs:
            assert isinstance(got, torch.Tensor) and same_device(got.device, target), (
                f"{call}: {where} is "
                f"{got.device if isinstance(got, torch.Tensor) else type(got).__name__}, "
                f"expected a tensor on {target}: move tensors at every depth of dicts, lists "
                "and tuples"
            )
            if target.type != "meta":
                assert_close(got, original.to(target), what=f"{call}: {where}")
        assert moved["meta"]["names"] == ["a", "b"] and moved["meta"]["pair"][1] == 3, (
            f"{call} changed values that are not tensors: leave them as they are"
        )


def test_copies_do_not_block(learner: ModuleType, device: torch.device) -> None:
    """to_device's copies do not block (non_blocking=True)"""
    recorder = _Copies()
    with recorder:
        learner.to_device(_batch(), device)
    assert recorder.copies, f"to_device(batch, {str(device)!r}) copied no tensor"
    blocking = recorder.copies.count(False)
    assert not blocking, (
        f"to_device(batch, {str(device)!r}) made {blocking} of {len(recorder.copies)} copies "
        "that block the Python thread until they finish: use tensor.to(device, "
        "non_blocking=True), so a copy from pinned memory is queued and overlaps with compute"
    )
