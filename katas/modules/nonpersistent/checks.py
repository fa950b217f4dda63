"""Hidden checks for nonpersistent: the cached causal mask is a buffer left out of checkpoints."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, plain, same_device, type_name

# (dim, max_len, [(batch, T), ...]): the full length, T = 1, a length in between
CASES = [(5, 7, [(2, 7), (1, 1), (3, 4)]), (8, 3, [(1, 3), (4, 2)])]
WEIGHTS = ["qkv.weight", "qkv.bias"]
NOT_SAVED = "register_buffer('mask', mask, persistent=False) keeps it out of state_dict()"
MOVES = (
    "A buffer follows .to(); a plain attribute does not (on a GPU, the first forward fails "
    "with 'Expected all tensors to be on the same device'): use register_buffer"
)


def _call(dim: int, max_len: int) -> str:
    return f"CausalSelfAttention({dim}, {max_len})"


def _reference(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    q, k, v = F.linear(x, weight, bias).chunk(3, dim=-1)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def _input(batch: int, t: int, dim: int, device: torch.device) -> torch.Tensor:
    return (torch.randn(batch, t, dim) * 1.5 + 0.3).to(device)


def _weights(remote: Remote, attn: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """plain() of attn.qkv.weight and attn.qkv.bias, fetched in one request."""
    try:
        weight, bias = remote.value(remote.eval("[attn.qkv.weight, attn.qkv.bias]", attn=attn))
    except TypeError:  # one is not a plain tensor: plain() names it
        weight, bias = attn.qkv.weight, attn.qkv.bias
    return plain(weight, "qkv.weight"), plain(bias, "qkv.bias")


def _check_forward(
    attn: Any,
    call: str,
    dim: int,
    cases: list[tuple[int, int]],
    weights: tuple[torch.Tensor, torch.Tensor],
) -> None:
    for batch, t in cases:
        x = _input(batch, t, dim, device=weights[0].device)
        assert_close(
            attn(x),
            _reference(x, *weights),
            what=f"{call}(x)",
            inputs=f"x of shape {(batch, t, dim)}",
            rtol=1e-4,
            atol=1e-5,
        )


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """attn(x) is causal attention, as F.scaled_dot_product_attention(is_causal=True)"""
    torch.manual_seed(0)
    for dim, max_len, cases in CASES:
        attn = learner.CausalSelfAttention(dim, max_len).to(device)
        _check_forward(attn, _call(dim, max_len), dim, cases, _weights(remote, attn))


def test_mask_buffer(learner: Any, remote: Remote, device: torch.device) -> None:
    """attn.mask is a buffer: the (max_len, max_len) bool mask, True above the diagonal"""
    for dim, max_len, _ in CASES:
        call = _call(dim, max_len)
        attn = learner.CausalSelfAttention(dim, max_len).to(device)
        buffers = remote.eval("dict(attn.named_buffers())", attn=attn)
        names = remote.value(remote.eval("list(buffers)", buffers=buffers))
        assert "mask" in names, (
            f"{call}.named_buffers() yields {names}, expected 'mask' among them. "
            + _why_not_buffer(remote, attn)
        )
        mask = plain(buffers["mask"], f"{call}.mask")
        expected = torch.ones(max_len, max_len, dtype=torch.bool, device=device).triu(1)
        assert_close(mask, expected, what=f"{call}.mask")


def _why_not_buffer(remote: Remote, attn: Any) -> str:
    if remote.eval("'mask' in dict(attn.named_parameters())", attn=attn):
        return (
            "attn.mask is a Parameter: optimizers receive it and every checkpoint saves it. "
            "A cache is a buffer: register_buffer"
        )
    if getattr(attn, "mask", None) is None:
        return "attn.mask does not exist: build the mask once in __init__ and register it"
    return MOVES


def test_state_dict_keys(learner: Any, device: torch.device) -> None:
    """state_dict() holds qkv.weight and qkv.bias only, not the mask"""
    for dim, max_len, _ in CASES:
        attn = learner.CausalSelfAttention(dim, max_len).to(device)
        assert_same_names(
            attn.state_dict(),
            WEIGHTS,
            what=f"the keys of {_call(dim, max_len)}.state_dict()",
            hint="The mask is rebuilt from max_len in __init__, so saving it only bloats "
            "checkpoints and breaks strict loading in code from before the cache. "
            f"{NOT_SAVED}",
        )


def test_old_checkpoint(learner: Any, device: torch.device) -> None:
    """a checkpoint from before the mask cache loads with strict=True, and is used"""
    torch.manual_seed(1)
    for dim, max_len, cases in CASES:
        call = _call(dim, max_len)
        old = nn.ModuleDict({"qkv": nn.Linear(dim, 3 * dim)}).to(device)
        attn = learner.CausalSelfAttention(dim, max_len).to(device)
        try:
            attn.load_state_dict(dict(old.state_dict()))  # plain data travels
        except RuntimeError as exc:
            raise AssertionError(
                f"{call}.load_state_dict(old checkpoint with keys qkv.weight, qkv.bias) "
                f"raised RuntimeError: {' '.join(str(exc).split())} {NOT_SAVED}"
            ) from None
        weights = (old.qkv.weight.detach(), old.qkv.bias.detach())
        _check_forward(attn, f"{call} after loading the old checkpoint", dim, cases, weights)


def test_follows_to(learner: Any, remote: Remote, device: torch.device) -> None:
    """the mask follows the module: .to(device) and .to('meta') move it"""
    dim, max_len, _ = CASES[0]
    call = _call(dim, max_len)
    for target in (device, torch.device("meta")):
        attn = learner.CausalSelfAttention(dim, max_len).to(target)
        mask = getattr(attn, "mask", None)
        assert isinstance(mask, torch.Tensor), (
            f"{call}.mask is {'missing' if mask is None else type_name(mask)}, expected "
            "the cached mask tensor. " + _why_not_buffer(remote, attn)
        )
        assert same_device(mask.device, target), (
            f"after {call}.to('{target}'), attn.mask is on {mask.device}, expected {target}. "
            f"{MOVES}"
        )
