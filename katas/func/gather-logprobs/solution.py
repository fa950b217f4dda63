"""Scoring responses for preference training (DPO): the log-probability that the policy
gives each whole response is the sum of the log-probabilities of its tokens."""

import torch
import torch.nn.functional as F


def sequence_logprob(
    logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """For logits (B, T, V), tokens (B, T) and mask (B, T): a (B,) tensor whose entry b is the
    sum over the steps t where mask[b, t] is True of log_softmax(logits[b, t])[tokens[b, t]]."""
    # normalise over the vocabulary first: raw logits are not log-probabilities
    logp = F.log_softmax(logits, dim=-1)
    # gather along the vocabulary (dim -1): out[b, t, 0] = logp[b, t, tokens[b, t, 0]]; the
    # index needs logp's number of dimensions, hence the unsqueeze, and squeeze(-1) drops only
    # that axis (a bare squeeze() would also drop B or T when they are 1)
    picked = logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return torch.where(mask, picked, 0.0).sum(dim=-1)


if __name__ == "__main__":
    import time

    torch.manual_seed(0)
    logits = torch.randn(32, 512, 100)
    tokens = torch.randint(0, 100, (32, 512))
    mask = torch.rand(32, 512) > 0.3
    start = time.perf_counter()
    scores = sequence_logprob(logits, tokens, mask)
    print(f"{tuple(scores.shape)} scores in {time.perf_counter() - start:.2f} s")
