"""Hidden checks for dropout-placement: ``Block(d_model, n_heads, attn_p, resid_p)`` computes
``x + dropout(proj(attention(norm(x))))`` with dropout on the attention weights and on the
sublayer's output, both in training only."""

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, plain


class Case(NamedTuple):
    batch: int
    tokens: int
    d_model: int
    heads: int


# distinct sizes; B and heads are 1 somewhere
CASES = [Case(2, 5, 12, 3), Case(1, 7, 8, 1)]
BIG = Case(3, 11, 24, 4)  # 792 outputs, for the statistics of residual dropout
F32 = {"rtol": 1e-5, "atol": 1e-5}
NAMES = ["norm.weight", "norm.bias", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"]


def _describe(case: Case, attn_p: float, resid_p: float, mode: str) -> str:
    return (
        f"Block({case.d_model}, {case.heads}, attn_p={attn_p}, resid_p={resid_p}) in {mode} "
        f"mode, x of shape ({case.batch}, {case.tokens}, {case.d_model})"
    )


def _state(case: Case, device: torch.device) -> dict[str, torch.Tensor]:
    """Random weights for the block's layers, biases and LayerNorm affine included."""
    d = case.d_model
    state = {
        "norm.weight": torch.rand(d) + 0.5,
        "norm.bias": torch.randn(d) * 0.2,
        "qkv.weight": torch.randn(3 * d, d) / math.sqrt(d),
        "qkv.bias": torch.randn(3 * d) * 0.2,
        "proj.weight": torch.randn(d, d) / math.sqrt(d),
        "proj.bias": torch.randn(d) * 0.5,
    }
    return {name: value.to(device) for name, value in state.items()}


def _block(
    learner: Any,
    case: Case,
    attn_p: float,
    resid_p: float,
    training: bool,
    device: torch.device,
    identity_proj: bool = False,
) -> tuple[Any, dict[str, torch.Tensor]]:
    """The learner's block with random weights (proj the identity if asked), in the given
    mode, and those weights."""
    state = _state(case, device)
    if identity_proj:
        state["proj.weight"] = torch.eye(case.d_model, device=device)
        state["proj.bias"] = torch.zeros(case.d_model, device=device)
    block = learner.Block(case.d_model, case.heads, attn_p, resid_p).to(device)
    try:
        block.load_state_dict(state)
    except RuntimeError as exc:
        raise AssertionError(
            f"Block(...).load_state_dict(...) with the parameters {NAMES} failed: {exc}. Keep "
            "the starter's layers (norm, qkv, proj) as they are: dropout has no parameters"
        ) from exc
    if training:
        block.eval()  # a round trip: the block must follow the mode it is in at call time
        block.train()
    else:
        block.train()
        block.eval()
    return block, state


def _sublayer(state: dict[str, torch.Tensor], case: Case, x: torch.Tensor) -> torch.Tensor:
    """proj(attention(norm(x))) without any dropout, computed here."""
    batch, tokens, d = x.shape
    h = F.layer_norm(x, (d,), state["norm.weight"], state["norm.bias"])
    qkv = F.linear(h, state["qkv.weight"], state["qkv.bias"])
    q, k, v = qkv.view(batch, tokens, 3, case.heads, d // case.heads).permute(2, 0, 3, 1, 4)
    out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, tokens, d)
    return F.linear(out, state["proj.weight"], state["proj.bias"])


def _x(case: Case, device: torch.device) -> torch.Tensor:
    return (torch.randn(case.batch, case.tokens, case.d_model) * 1.5 + 0.3).to(device)


def _eval_check(
    learner: Any, remote: Remote, device: torch.device, attn_p: float, resid_p: float, why: str
) -> None:
    for case in CASES:
        block, state = _block(learner, case, attn_p, resid_p, False, device)
        x = _x(case, device)
        theirs = remote.tensor(x)
        described = _describe(case, attn_p, resid_p, "eval")
        first = plain(block(theirs), "Block(...)(x)")
        second = plain(block(theirs), "Block(...)(x)")
        assert torch.equal(plain(theirs, "x"), x), (
            f"Block(...)(x) changed x in place ({described}): the caller's tensor must stay "
            "as it was. Write the residual as x + ..., not x += ..."
        )
        if first.shape == second.shape:
            assert torch.equal(first, second), (
                f"two calls of the same block on the same x gave different outputs "
                f"({described}): dropout is still active in eval mode. {why}"
            )
        assert_close(
            first,
            x + _sublayer(state, case, x),
            what="Block(...)(x)",
            inputs=described,
            hint=f"In eval mode the block must be x + proj(attention(norm(x))), with no dropout "
            f"at all. {why}",
            **F32,
        )


def test_eval_attention(learner: Any, remote: Remote, device: torch.device) -> None:
    """in eval mode, attention dropout is off, and x stays unchanged"""
    torch.manual_seed(0)
    _eval_check(
        learner,
        remote,
        device,
        0.5,
        0.0,
        "F.scaled_dot_product_attention is a function: it cannot see the module's mode and "
        "drops with any dropout_p > 0. Pass dropout_p=self.attn_p if self.training else 0.0",
    )


def test_eval_residual(learner: Any, remote: Remote, device: torch.device) -> None:
    """in eval mode, residual dropout is off"""
    torch.manual_seed(1)
    _eval_check(
        learner,
        remote,
        device,
        0.0,
        0.5,
        "F.dropout(h, p) has training=True by default, whatever the module's mode: use an "
        "nn.Dropout module, or pass training=self.training",
    )


def test_residual_p_one(learner: Any, remote: Remote, device: torch.device) -> None:
    """in training with resid_p=1, the block returns x exactly"""
    torch.manual_seed(2)
    for case in CASES:
        block, _ = _block(learner, case, 0.0, 1.0, True, device)
        x = _x(case, device)
        described = _describe(case, 0.0, 1.0, "train")
        assert_close(
            block(x),
            x,
            what="Block(...)(x)",
            inputs=described,
            rtol=0,
            atol=0,
            hint="With resid_p=1 the residual dropout zeroes the whole sublayer, and x must "
            "pass through the residual path untouched: x + drop(proj(attention(norm(x)))). "
            "Dropping x + sublayer drops the residual path too, and dropping the block's input "
            "changes what reaches both the norm and the residual",
        )


def test_attention_p_one(learner: Any, remote: Remote, device: torch.device) -> None:
    """in training with attn_p=1, every attention weight is dropped"""
    torch.manual_seed(3)
    for case in CASES:
        block, state = _block(learner, case, 1.0, 0.0, True, device)
        x = _x(case, device)
        described = _describe(case, 1.0, 0.0, "train")
        assert_close(
            block(x),
            x + state["proj.bias"],  # attention gives zeros, and proj(0) is proj's bias
            what="Block(...)(x)",
            inputs=described,
            hint="With attn_p=1 every attention weight is dropped, so attention returns zeros "
            "and the block returns x + proj(0) = x + proj.bias. Attention dropout is SDPA's "
            "dropout_p=self.attn_p in training; resid_p=0 must drop nothing",
            **F32,
        )


def test_residual_dropout(learner: Any, remote: Remote, device: torch.device) -> None:
    """in training, residual dropout zeroes about resid_p of proj's outputs and rescales the rest

    A new mask at every call; the kept outputs are scaled by 1/(1 - resid_p)."""
    torch.manual_seed(4)
    resid_p = 0.3
    block, state = _block(learner, BIG, 0.0, resid_p, True, device)
    x = _x(BIG, device)
    described = _describe(BIG, 0.0, resid_p, "train")
    sublayer = _sublayer(state, BIG, x)
    remote.torch.manual_seed(0)
    patterns = []
    for call in (1, 2):
        out = plain(block(x), "Block(...)(x)")
        assert out.shape == x.shape, (
            f"Block(...)(x) has shape {tuple(out.shape)}, expected {tuple(x.shape)} ({described})"
        )
        delta = out - x  # what the block added to x
        kept = delta != 0
        share = 1 - kept.double().mean().item()
        assert 0.2 <= share <= 0.4, (
            f"call {call}: the block added exactly 0 to {share:.0%} of the {x.numel()} entries "
            f"of x, expected about {resid_p:.0%} ({described}): residual dropout zeroes each "
            "output of the sublayer with probability resid_p, in training only. Apply one "
            "dropout of rate resid_p to proj's output"
        )
        assert_close(
            delta[kept],
            sublayer[kept] / (1 - resid_p),
            what=f"call {call}: (Block(...)(x) - x) where it is not 0",
            inputs=described,
            rtol=1e-4,
            atol=2e-5,
            hint="Where the residual dropout keeps an output of proj(attention(norm(x))), it "
            "scales it by 1/(1 - resid_p); the residual path and everything before proj must "
            "stay as they are",
        )
        patterns.append(kept)
    assert not torch.equal(patterns[0], patterns[1]), (
        f"two calls dropped exactly the same entries ({described}): each call must draw a "
        "new dropout mask"
    )


def test_attention_dropout_random(learner: Any, remote: Remote, device: torch.device) -> None:
    """in training, attention dropout drops attention weights, anew at every call"""
    torch.manual_seed(5)
    attn_p = 0.3
    for case in (*CASES, BIG):
        # proj is the identity here, so Block(x) - x is the attention output itself
        block, _ = _block(learner, case, attn_p, 0.0, True, device, identity_proj=True)
        x = _x(case, device)
        described = _describe(case, attn_p, 0.0, "train") + ", proj the identity"
        remote.torch.manual_seed(1)
        first = plain(block(x), "Block(...)(x)")
        second = plain(block(x), "Block(...)(x)")
        assert not torch.equal(first, second), (
            f"two calls in training mode gave the same output ({described}): attention "
            "dropout is not applied. Pass dropout_p=self.attn_p to "
            "F.scaled_dot_product_attention when training"
        )
        zeros = (first == x).double().mean().item()
        assert zeros < 0.1, (
            f"{zeros:.0%} of the attention outputs are exactly 0 ({described}), as if dropout "
            "zeroed the attention output. Attention dropout drops attention *weights*: each "
            "output is then a rescaled mix of the values that are left, almost never 0. Use "
            "SDPA's dropout_p, not a dropout on what attention returns"
        )
