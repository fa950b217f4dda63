"""Hidden checks for meta-init-load: ``load_model(state_dict, vocab_size, dim, max_len)``
builds TinyLM without initialising it, takes the checkpoint's tensors as its parameters and
rebuilds the non-persistent causal mask on their device."""

import math
import re
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, same_device
from trainer.errors import LearnerRaised

CONFIGS = [(13, 6, 9), (7, 4, 1)]  # (vocab_size, dim, max_len); max_len 1: a 1 x 1 mask
PARAMS = ["embed.weight", "qkv.weight", "qkv.bias", "out.weight", "out.bias"]
ASSIGN = (
    "load_state_dict copies into the existing tensors, and copying into a meta tensor does "
    "nothing. load_state_dict(state_dict, assign=True) makes the checkpoint's tensors the "
    "parameters instead"
)
MASK = (
    "The mask is a non-persistent buffer, so no checkpoint holds it: after loading, rebuild "
    "it on the weights' device, model.mask = causal_mask(max_len, device=...)"
)


class _Reference(nn.Module):
    """TinyLM as it must compute, here in the judge, loaded the ordinary way."""

    def __init__(self, vocab_size: int, dim: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, vocab_size)
        self.max_len = max_len

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        T = tokens.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        return self.out(x + scores.softmax(dim=-1) @ v)


def _checkpoint(
    config: tuple[int, int, int], seed: int, device: torch.device
) -> dict[str, torch.Tensor]:
    """A trained model's state dict: random weights, far from any initialisation."""
    vocab, dim, _ = config
    shapes = [(vocab, dim), (3 * dim, dim), (3 * dim,), (vocab, dim), (vocab,)]
    generator = torch.Generator().manual_seed(seed)
    return {
        name: (torch.randn(shape, generator=generator) * 0.8 + 0.1).to(device)
        for name, shape in zip(PARAMS, shapes, strict=True)
    }


def _load_there(state_dict: Any, config: list[int], device_type: str) -> list[Any]:
    """load_model in deterministic mode (memory nobody initialised then reads as NaN, or
    True for bool), the mode restored afterwards; the model, and whether the random
    generators moved."""
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state() if device_type == "cuda" else None
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    # the switch behind torch.use_deterministic_algorithms, without the compiler's config
    # that the public function imports (a second's work in a fresh process)
    torch._C._set_deterministic_algorithms(True)
    try:
        model = learner.load_model(state_dict, *config)  # noqa: F821 (the learner's module)
    finally:
        torch._C._set_deterministic_algorithms(enabled, warn_only=warn_only)
    drew = not torch.equal(cpu, torch.get_rng_state())
    if cuda is not None:
        drew = drew or not torch.equal(cuda, torch.cuda.get_rng_state())
    return [model, drew]


def _rows(mask: object) -> str:
    if not isinstance(mask, torch.Tensor) or mask.dim() != 2:
        return repr(mask)
    return " / ".join("".join(str(int(v)) for v in row) for row in mask.cpu().tolist())


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return text[0][:300] if text else ""


def _call(config: tuple[int, int, int]) -> str:
    vocab, dim, max_len = config
    return f"load_model(state_dict, vocab_size={vocab}, dim={dim}, max_len={max_len})"


def _load(
    remote: Remote, config: tuple[int, int, int], seed: int, device: torch.device
) -> tuple[Any, bool, Any, dict[str, torch.Tensor]]:
    """The checkpoint, made in the learner process, and load_model on it there."""
    ckpt = _checkpoint(config, seed, device)
    theirs = remote.tensor(ckpt)
    try:
        model, drew = remote.define(_load_there)(theirs, list(config), device.type)
    except LearnerRaised as exc:
        raise AssertionError(
            f"{_call(config)} raised {exc.short_type}: {_first_line(exc)}"
        ) from None
    return model, bool(drew), theirs, ckpt


def _devices(remote: Remote, model: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = remote.fetch(
        "[(n, str(t.device)) for n, t in [*m.named_parameters(), *m.named_buffers()]]", m=model
    )
    return found


def test_no_copy(learner: Any, remote: Remote, device: torch.device) -> None:
    """the parameters are the checkpoint's tensors themselves, not copies"""
    for index, config in enumerate(CONFIGS):
        model, _, theirs, _ = _load(remote, config, 10 + index, device)
        shared = remote.fetch(
            "[(k, str(s[k].device) if k in s else 'missing', "
            "k in s and s[k].device == v.device and s[k].data_ptr() == v.data_ptr()) "
            "for s in [m.state_dict()] for k, v in ckpt.items()]",
            m=model,
            ckpt=theirs,
        )
        for key, where, same in shared:
            assert same, f"after {_call(config)}, model's {key} " + (
                "is on the meta device: it holds no values. " + ASSIGN
                if where == "meta"
                else "is a copy of the checkpoint's tensor: the model had memory of its own "
                "for every weight (built on a real device, or given memory by to_empty()), "
                "so every weight was held twice while loading. Build it on meta and load "
                "with load_state_dict(state_dict, assign=True), which makes the "
                "checkpoint's tensors the parameters"
            )


def test_no_initialisation(learner: Any, remote: Remote, device: torch.device) -> None:
    """building the model initialises no weight: nothing draws random numbers"""
    for index, config in enumerate(CONFIGS):
        _, drew, _, _ = _load(remote, config, 20 + index, device)
        assert not drew, (
            f"{_call(config)} drew from torch's random generator: the model was built on a "
            "real device, where nn.Embedding and nn.Linear allocate their weights and fill "
            "them with random values, only for the checkpoint to replace them. Build it "
            "under `with torch.device('meta'):`, where tensors get no memory and "
            "initialisation does nothing"
        )


def test_devices(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter and buffer, the mask included, is on the checkpoint's device"""
    for index, config in enumerate(CONFIGS):
        model, _, _, _ = _load(remote, config, 30 + index, device)
        for name, where in _devices(remote, model):
            assert where != "meta", (
                f"after {_call(config)}, model.{name} is still on the meta device: it has "
                "no values, and the model's outputs are meta tensors (or garbage). "
                + (MASK if name not in PARAMS else ASSIGN)
            )
            assert same_device(torch.device(where), device), (
                f"after {_call(config)}, model.{name} is on {where}, while the checkpoint's "
                f"tensors are on {device}: build it where the weights are (for instance "
                "model.embed.weight.device)"
            )


def test_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """the parameters are nn.Parameters that require grad"""
    for index, config in enumerate(CONFIGS):
        model, _, _, _ = _load(remote, config, 40 + index, device)
        found = remote.fetch(
            "[(n, isinstance(p, torch.nn.Parameter), p.requires_grad) "
            "for n, p in m.named_parameters()]",
            m=model,
        )
        assert_same_names(
            [name for name, _, _ in found],
            PARAMS,
            what=f"the parameters of the model from {_call(config)}",
        )
        for name, is_parameter, requires_grad in found:
            assert is_parameter and requires_grad, (
                f"after {_call(config)}, model.{name} is "
                + ("a plain tensor, not an nn.Parameter" if not is_parameter else "frozen")
                + " (requires_grad=False): the model can no longer be fine-tuned. "
                "load_state_dict(..., assign=True) wraps each loaded tensor in an "
                "nn.Parameter with the requires_grad the module had"
            )


def test_mask_and_outputs(learner: Any, remote: Remote, device: torch.device) -> None:
    """the causal mask is right, and the outputs equal TinyLM's with the same weights"""
    for index, config in enumerate(CONFIGS):
        vocab, _, max_len = config
        model, _, _, ckpt = _load(remote, config, 50 + index, device)
        where = remote.eval("str(m.mask.device)", m=model)
        assert where != "meta", f"after {_call(config)}, model.mask is on the meta device. {MASK}"
        mask = remote.fetch("m.mask.detach().clone()", m=model)
        expected_mask = torch.ones(max_len, max_len, dtype=torch.bool).triu(1)
        assert isinstance(mask, torch.Tensor) and torch.equal(mask.cpu(), expected_mask), (
            f"after {_call(config)}, model.mask is not causal_mask({max_len}) (True above the "
            f"diagonal): got the rows {_rows(mask)}. Memory that nobody initialised "
            "(from to_empty(), or torch.empty) holds whatever was there before. " + MASK
        )
        reference = _Reference(*config).to(device)
        reference.load_state_dict(ckpt)
        torch.manual_seed(60 + index)
        for batch, length in [(1, 1), (2, max_len), (3, (max_len + 1) // 2)]:
            tokens = torch.randint(0, vocab, (batch, length)).to(device)
            out = model(tokens)
            out_device = remote.eval("str(o.device)", o=out)
            assert out_device != "meta", (
                f"the model from {_call(config)} returned a meta tensor, which holds no "
                f"numbers: its weights are still on meta. {ASSIGN}"
            )
            with torch.no_grad():
                expected = reference(tokens)
            assert_close(
                out,
                expected,
                what=f"model(tokens) for the model from {_call(config)}",
                inputs=f"tokens of shape ({batch}, {length})",
                rtol=1e-5,
                atol=1e-5,
            )
