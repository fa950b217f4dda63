"""The self-attention layer of a sentence encoder, on padded (B, T, E) batches."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    """Self-attention over a batch of sentences: x (B, T, E) and lengths (B,) -> (B, T, E)."""

    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        # batch_first=True: inputs and outputs are (B, T, E); the default expects (T, B, E)
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # x is (batch, tokens, features); sentence b has lengths[b] real tokens, then padding.
        # key_padding_mask is True where a key is padding: MultiheadAttention ignores it
        pad = torch.arange(x.shape[1], device=x.device) >= lengths[:, None]  # (B, T)
        out, _ = self.attn(x, x, x, key_padding_mask=pad, need_weights=False)
        return out


if __name__ == "__main__":
    torch.manual_seed(0)
    layer = SelfAttention(embed_dim=8, num_heads=2)
    x = torch.randn(3, 5, 8)
    lengths = torch.tensor([5, 2, 4])
    before = layer(x, lengths)[0]
    x[1] = torch.randn(5, 8)  # replace sentence 1 only
    after = layer(x, lengths)[0]
    print("sentence 0's output moved by", (after - before).abs().max().item(), "(should be 0)")
