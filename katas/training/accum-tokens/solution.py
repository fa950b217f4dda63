"""Gradient accumulation for a padded language-model batch: the loss is a mean over tokens."""

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = -100  # the target of padded positions


def accumulate_grads(
    model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, micro_batch: int
) -> float:
    """Leave in .grad the gradient of the whole batch's loss, the mean cross-entropy over every
    target that is not IGNORE, running at most ``micro_batch`` sequences at a time; return that
    loss as a float."""
    model.zero_grad()
    # the whole batch's loss divides by the number of real tokens in the whole batch
    n_tokens = int((targets != IGNORE).sum())
    total = 0.0
    for tb, yb in zip(tokens.split(micro_batch), targets.split(micro_batch), strict=True):
        logits = model(tb)
        # a sum over this micro-batch's real tokens (0 when it has none, where a mean would
        # be 0 / 0 = NaN), divided by the whole batch's count: the pieces add up to the mean
        loss = (
            F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), reduction="sum")
            / n_tokens
        )
        loss.backward()
        total += loss.item()
    return total


class TinyLM(nn.Module):
    def __init__(self, vocab: int = 12, dim: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.out = nn.Linear(dim, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.embed(tokens)))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = TinyLM()
    tokens = torch.randint(0, 12, (6, 5))
    targets = torch.randint(0, 12, (6, 5))
    for row, length in enumerate([5, 1, 0, 0, 4, 2]):  # sequences of different lengths
        targets[row, length:] = IGNORE
    loss = accumulate_grads(model, tokens, targets, micro_batch=2)
    grad = model.out.weight.grad.clone()
    model.zero_grad()
    logits = model(tokens)
    full = F.cross_entropy(logits.reshape(-1, 12), targets.reshape(-1))
    full.backward()
    print(f"accumulated loss {loss:.4f}, full-batch loss {full.item():.4f}")
    print(f"largest gradient difference {(grad - model.out.weight.grad).abs().max().item():.4f}")
