"""Hidden checks for gather-logprobs: ``sequence_logprob(logits (B, T, V), tokens (B, T),
mask (B, T))`` sums each sequence's token log-probabilities with gather, without a loop."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import (
    LearnerRaised,
    Remote,
    assert_close,
    gradcheck64,
    plain,
    torch_call_count,
)

GATHER = (
    "Pick along the vocabulary dimension: logp.gather(-1, tokens.unsqueeze(-1)) gives "
    "out[b, t, 0] = logp[b, t, tokens[b, t]]"
)
NAMES = ("logits", "tokens", "mask")


def _batch(
    b: int, t: int, v: int, dtype: torch.dtype, device: torch.device, top: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits, tokens below ``top`` (default: the whole vocabulary, ids up to V - 1), and a mask
    with a few False steps (prompt or padding, whose token is the pad id 0)."""
    logits = (torch.randn(b, t, v, dtype=dtype) * 2.5 + 1.0).to(device)
    tokens = torch.randint(0, top or v, (b, t))
    tokens.view(-1)[torch.randperm(b * t)[:1]] = (top or v) - 1  # the largest id appears
    mask = torch.rand(b, t) > 0.3
    mask.view(-1)[0] = True
    tokens[~mask] = 0
    return logits, tokens.to(device), mask.to(device)


def _reference(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The oracle: a loop over the sequences and steps, in float64."""
    logp = F.log_softmax(logits.double().cpu(), dim=-1)
    out = torch.zeros(tokens.shape[0], dtype=torch.float64)
    for b in range(tokens.shape[0]):
        for t in range(tokens.shape[1]):
            if mask[b, t]:
                out[b] += logp[b, t, int(tokens[b, t])]
    return out.to(logits.dtype).to(logits.device)


def _describe(logits: torch.Tensor, tokens: torch.Tensor) -> str:
    b, t, v = logits.shape
    return (
        f"B={b}, T={t}, V={v}, {logits.dtype}, token ids up to {int(tokens.max())}, logits "
        "sliced from a model's (B, T + 1, V) output (not contiguous)"
    )


def _hint(got: torch.Tensor, logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> str:
    """The likely cause, judged from what came back."""
    b = logits.shape[0]
    if got.shape != (b,):
        return (
            "The result has one entry per sequence. A bare squeeze() drops every size-1 axis, "
            "B or T too when they are 1: squeeze(-1) drops only the gathered one. Indexing "
            "logp[:, :, tokens] pairs every position with every token. " + GATHER
        )
    raw = torch.where(mask, logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1), 0).sum(-1)
    if torch.allclose(got.double(), raw.double(), rtol=1e-4, atol=1e-4):
        return (
            "These are the raw logits of the tokens, summed: logits are unnormalised scores. "
            "Take F.log_softmax(logits, dim=-1) first"
        )
    expected = _reference(logits, tokens, mask)
    if torch.allclose(got.double(), -expected.double(), rtol=1e-4, atol=1e-4):
        return "The sign is flipped: F.cross_entropy is the negative log-probability"
    if 1 in logits.shape[:2]:
        return (
            f"B={b}, T={logits.shape[1]}: a bare squeeze() drops every size-1 axis, B or T too "
            "when they are 1, and the shapes then broadcast into something else; squeeze(-1) "
            "drops only the gathered axis. " + GATHER
        )
    return "Sum over the steps where mask is True, and only those. " + GATHER


def _call(
    learner: Any, remote: Remote, logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor
) -> Any:
    """sequence_logprob on logits sliced from a (B, T + 1, V) tensor in the learner process, as
    a language model's shifted logits are; the inputs must stay unchanged."""
    full = torch.cat([logits, torch.randn_like(logits[:, :1])], dim=1)
    theirs = (remote.tensor(full)[:, :-1], remote.tensor(tokens), remote.tensor(mask))
    described = _describe(logits, tokens)
    try:
        got = learner.sequence_logprob(*theirs)
    except LearnerRaised as exc:
        if "out of bounds" in str(exc) or "index" in str(exc).lower():
            raise AssertionError(
                f"sequence_logprob raised {exc.short_type}: {exc} ({described}). A token id "
                "indexes the vocabulary, the last dimension, and ids reach V - 1, beyond T and "
                f"B. {GATHER}"
            ) from None
        raise
    afters = remote.value(theirs)
    for name, before, after in zip(NAMES, (logits, tokens, mask), afters, strict=True):
        assert after.shape == before.shape and torch.equal(after, before), (
            f"sequence_logprob changed {name} in place ({described}): the caller's tensors "
            "must stay as they were (the loss and the reference model reuse them). Use the "
            "forms that return a new tensor: F.log_softmax, unsqueeze, not -= or unsqueeze_"
        )
    return got


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask is True"""
    torch.manual_seed(0)
    cases = [  # (B, T, V, dtype, largest token id + 1 or None for the whole vocabulary)
        (3, 6, 11, torch.float32, None),
        (2, 6, 8, torch.float64, 6),  # every id below T: a gather along T does not raise
        (4, 1, 7, torch.float64, None),
        (1, 5, 9, torch.float32, None),
        (1, 1, 5, torch.float32, None),
        (5, 7, 3, torch.float64, None),  # a vocabulary smaller than B and T
    ]
    for b, t, v, dtype, top in cases:
        logits, tokens, mask = _batch(b, t, v, dtype, device, top)
        got = plain(_call(learner, remote, logits, tokens, mask), "sequence_logprob(...)")
        assert_close(
            got,
            _reference(logits, tokens, mask),
            what="sequence_logprob(logits, tokens, mask)",
            inputs=_describe(logits, tokens),
            hint=_hint(got.cpu(), logits.cpu(), tokens.cpu(), mask.cpu()),
        )


def test_no_loop(learner: Any, remote: Remote, device: torch.device) -> None:
    """the number of torch calls does not grow with B or T"""
    torch.manual_seed(1)
    counts = {}
    for b, t in ((2, 3), (6, 10)):
        logits, tokens, mask = _batch(b, t, 7, torch.float32, device)
        counts[b, t] = torch_call_count(remote, learner.sequence_logprob, logits, tokens, mask)
    (small, few), (large, many) = counts.items()
    assert few == many, (
        f"sequence_logprob made {few} torch calls for B={small[0]}, T={small[1]} and {many} "
        f"for B={large[0]}, T={large[1]}: it loops over sequences or steps in Python, one "
        "small step each, and a batch of 64 sequences of 1024 tokens is 65536 steps. Select all "
        f"the tokens' log-probabilities in one call. {GATHER}"
    )


def test_gradcheck(learner: Any, device: torch.device) -> None:
    """the gradient with respect to logits passes float64 gradcheck"""
    torch.manual_seed(2)
    for b, t, v in ((2, 3, 4), (1, 1, 3)):
        logits, tokens, mask = _batch(b, t, v, torch.float64, device)
        gradcheck64(
            learner.sequence_logprob,
            logits,
            tokens,
            mask,
            what="sequence_logprob",
            names=["logits", "tokens", "mask"],
        )
