"""Hidden checks for device-move: the encoder moves whole, batches are pinned, copies async.

Stand-ins, so most of this also holds on a CPU: ``.to("meta")`` exposes tensors a module did
not register or created on the CPU; a ``TorchFunctionMode`` sees every copy ``to_device``
asks for and whether it blocks. Pinned memory itself exists only where there is a GPU, so the
pinned-batch check is judged on CUDA alone.

The encoder, the dataset, the loader and the mode live in the learner process (what only that
process can see, a tensor attribute or a pinned page, is read there by helpers defined with
``remote.define``); weights, outputs and batches are fetched, and compared here.
"""

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, same_device, type_name

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


def _encoder(learner: Any, remote: Remote, seed: int) -> Any:
    """Encoder(VOCAB, DIM, MAX_LEN), built in the learner process from ``seed``; the judge's
    generator is seeded too, for the tokens drawn next."""
    torch.manual_seed(seed)
    remote.eval("torch.manual_seed(seed)", seed=seed)
    return learner.Encoder(VOCAB, DIM, MAX_LEN)


def _tokens(batch: int, length: int) -> torch.Tensor:
    return torch.randint(0, VOCAB, (batch, length))


def _unregistered(model: nn.Module) -> list[str]:
    """Tensors a module keeps as plain attributes, which ``.to()`` never sees (read in the
    learner process)."""
    found = []
    for prefix, module in model.named_modules():
        registered = set(module._parameters) | set(module._buffers)
        for name, value in vars(module).items():
            if isinstance(value, torch.Tensor) and name not in registered:
                found.append(f"{prefix}.{name}" if prefix else name)
    return found


def _placed(remote: Remote, model: Any) -> list[tuple[str, torch.device]]:
    """(name, device) of every parameter and buffer of the learner-side ``model``."""
    placed: list[tuple[str, torch.device]] = remote.value(
        remote.eval(
            "[(n, t.device) for n, t in [*m.named_parameters(), *m.named_buffers()]]", m=model
        )
    )
    return placed


def test_everything_moves(learner: Any, remote: Remote, device: torch.device) -> None:
    """model.to(device) moves every parameter, buffer and tensor the encoder keeps"""
    model = _encoder(learner, remote, 0)
    plain_attrs: list[str] = remote.value(remote.define(_unregistered)(model))
    assert not plain_attrs, (
        f"Encoder keeps {', '.join(plain_attrs)} as a plain tensor attribute. {MOVED}"
    )
    for target in (device, torch.device("meta")):
        moved = _encoder(learner, remote, 0).to(target)
        stale = [
            f"{name} ({where})"
            for name, where in _placed(remote, moved)
            if not same_device(where, target)
        ]
        assert not stale, f"after Encoder(...).to({str(target)!r}) these stayed: {stale}"
    moved = _encoder(learner, remote, 0).to(device)
    has_pe = remote.eval("'pe' in dict(m.named_buffers())", m=moved)
    assert has_pe is True, f"Encoder has no buffer named 'pe'. {MOVED}"


def test_table_not_trained(learner: Any, remote: Remote, device: torch.device) -> None:
    """the position table is not trained: the only parameters are embed's and proj's"""
    model = _encoder(learner, remote, 1).to(device)
    names: list[str] = remote.value(
        remote.eval("[name for name, _ in m.named_parameters()]", m=model)
    )
    assert_same_names(
        names,
        ["embed.weight", "proj.weight", "proj.bias"],
        what="Encoder's named_parameters()",
        hint="A Parameter moves with the model, but an optimizer built from parameters() "
        "trains it, requires_grad=False or not (model.requires_grad_(True) undoes that). "
        "Fixed state is a buffer",
    )


def _copy_to(model: nn.Module, target: torch.device) -> nn.Module:
    """A deep copy of ``model`` moved to ``target`` (in the learner process)."""
    import copy

    return copy.deepcopy(model).to(target)


def test_forward_on_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """encoder(tokens) runs on the device (and on meta) and equals proj(embed(tokens) + pe[:T])"""
    table = _table(MAX_LEN, DIM)
    copy_to = remote.define(_copy_to)
    for seed, (batch, length) in enumerate(((3, 5), (1, 1), (2, MAX_LEN))):
        model = _encoder(learner, remote, 10 + seed)
        tokens = _tokens(batch, length)
        embed, weight, bias = remote.value(
            remote.eval(
                "[m.embed.weight.detach(), m.proj.weight.detach(), m.proj.bias.detach()]",
                m=model,
            )
        )
        expected = F.linear(embed[tokens] + table[:length], weight, bias)
        got = _run(remote, copy_to(model, device), tokens.to(device))
        assert_close(
            got,
            expected.to(device),
            what=f"Encoder(...).to({str(device)!r})(tokens)",
            inputs=f"tokens of shape {tuple(tokens.shape)}",
            hint="the output is proj(embed(tokens) + pe[:T])",
        )
        meta = _run(remote, copy_to(model, torch.device("meta")), tokens.to("meta"))
        assert meta.shape == expected.shape, (
            f"on meta, Encoder returned shape {tuple(meta.shape)}, expected {tuple(expected.shape)}"
        )


def _run(remote: Remote, model: Any, tokens: torch.Tensor) -> Any:
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
    assert isinstance(out, torch.Tensor), f"Encoder returned {type_name(out)}"
    return out


class Samples(torch.utils.data.Dataset):
    """Samples shaped like a real pipeline's: tokens, a label, and nested metadata (defined in
    the learner process, where the loader reads it)."""

    def __init__(self, count: int, length: int, vocab: int) -> None:
        generator = torch.Generator().manual_seed(7)
        self.tokens = torch.randint(0, vocab, (count, length), generator=generator)
        self.labels = torch.rand(count, generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, object]:
        return {
            "tokens": self.tokens[index],
            "label": self.labels[index],
            "meta": {"index": torch.tensor(index), "name": f"sample-{index}"},
        }


def _tensors(value: object) -> list[torch.Tensor]:
    """Every tensor in ``value``, at any depth of dicts, lists and tuples."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [tensor for item in value for tensor in _tensors(item)]
    return []


def _unpinned(batches: list[object]) -> list[list[tuple[int, ...]]]:
    """The shapes of each batch's tensors that are not in pinned memory (read in the learner
    process, where the memory is)."""
    return [[tuple(t.shape) for t in _tensors(batch) if not t.is_pinned()] for batch in batches]


def test_pinned_batches(learner: Any, remote: Remote, device: torch.device) -> None:
    """make_loader yields every sample in order, in pinned memory when the device is a GPU"""
    data = remote.define(Samples)(9, 4, VOCAB)
    loader = learner.make_loader(data, 4, device)
    batches = remote.eval("list(loader)", loader=loader)  # one epoch, in the learner process
    indices = remote.value(remote.eval("[b['meta']['index'] for b in batches]", batches=batches))
    pinning: list[list[tuple[int, ...]]] = []
    if device.type == "cuda":
        remote.define(_tensors)
        pinning = remote.value(remote.define(_unpinned)(batches))
    seen: list[int] = []
    for number, index in enumerate(indices, start=1):
        seen += [int(i) for i in index]
        if device.type == "cuda":
            unpinned = pinning[number - 1]
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


class _Copies(torch.overrides.TorchFunctionMode):
    """Records each tensor copy requested and whether it was asked not to block (in the
    learner process, around to_device)."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: list[bool] = []

    def __torch_function__(
        self,
        func: object,
        types: object,
        args: tuple[object, ...] = (),
        kwargs: dict[str, object] | None = None,
    ) -> object:
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


def test_to_device_moves_all(learner: Any, remote: Remote, device: torch.device) -> None:
    """to_device moves every tensor of a nested batch to the device, and nothing else"""
    for target in (device, torch.device("meta")):
        batch = _batch()
        result = learner.to_device(batch, target)
        try:
            moved = remote.value(result)  # plain data: the whole batch in one request
        except TypeError:  # it holds learner objects: examined one by one, named below
            moved = result
        call = f"to_device(batch, {str(target)!r})"
        assert isinstance(moved, dict) and set(moved) == set(batch), (
            f"{call} returned {type_name(moved)} with keys "
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
                f"{got.device if isinstance(got, torch.Tensor) else type_name(got)}, "
                f"expected a tensor on {target}: move tensors at every depth of dicts, lists "
                "and tuples"
            )
            if target.type != "meta":
                assert_close(got, original.to(target), what=f"{call}: {where}")
        assert moved["meta"]["names"] == ["a", "b"] and moved["meta"]["pair"][1] == 3, (
            f"{call} changed values that are not tensors: leave them as they are"
        )


def test_copies_do_not_block(learner: Any, remote: Remote, device: torch.device) -> None:
    """to_device's copies do not block (non_blocking=True)"""
    recorder = remote.define(_Copies)()
    with recorder:  # entered in the learner process, around to_device
        learner.to_device(_batch(), device)
    copies: list[bool] = remote.value(recorder.copies)
    assert copies, f"to_device(batch, {str(device)!r}) copied no tensor"
    blocking = copies.count(False)
    assert not blocking, (
        f"to_device(batch, {str(device)!r}) made {blocking} of {len(copies)} copies "
        "that block the Python thread until they finish: use tensor.to(device, "
        "non_blocking=True), so a copy from pinned memory is queued and overlaps with compute"
    )
