"""Load a language model's checkpoint without holding every weight twice."""

import math

import torch
from torch import nn


def causal_mask(max_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """True above the diagonal: the future positions each query must not see."""
    return torch.ones(max_len, max_len, dtype=torch.bool, device=device).triu(1)


class TinyLM(nn.Module):
    """Embedding, one causal self-attention layer, output projection."""

    def __init__(self, vocab_size: int, dim: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, vocab_size)
        self.register_buffer("mask", causal_mask(max_len), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)  # (batch, T, dim)
        T = tokens.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return self.out(x + scores.softmax(dim=-1) @ v)


def load_model(
    state_dict: dict[str, torch.Tensor], vocab_size: int, dim: int, max_len: int
) -> TinyLM:
    """A TinyLM holding the checkpoint's weights."""
    # Built on the meta device: shapes only, no memory and no random initialisation.
    with torch.device("meta"):
        model = TinyLM(vocab_size, dim, max_len)
    # assign=True: the checkpoint's tensors become the parameters (wrapped as Parameters
    # that require grad). Without it, load_state_dict copies into the meta tensors: a no-op.
    model.load_state_dict(state_dict, assign=True)
    # The mask is not in the checkpoint (persistent=False), so it is still on meta: rebuild
    # it where the weights are. A registered buffer stays registered (and non-persistent).
    model.mask = causal_mask(max_len, device=model.embed.weight.device)
    return model


if __name__ == "__main__":
    checkpoint = TinyLM(50, 8, 16).state_dict()
    model = load_model(checkpoint, 50, 8, 16)
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        print(f"{name}: {tensor.device}")
    print("output on", model(torch.randint(0, 50, (2, 5))).device)
