"""Sequence log-probabilities without building the full log_softmax tensor: a token's
log-probability is its logit minus the log-sum-exp of its position's logits."""

import torch


def sequence_logprob(
    logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    chosen = torch.take_along_dim(logits, tokens[..., None], dim=-1)[..., 0]  # (B, T)
    logp = chosen - logits.logsumexp(dim=-1)
    return (logp * mask.to(logp.dtype)).sum(dim=-1)
