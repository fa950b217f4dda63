"""Multi-head attention helpers: split the model width into heads, and merge them back."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, T, H*D) -> (B, H, T, D): one (T, D) block per head. Works as it is."""
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, D) -> (B, T, H*D): for each token, head 0's D features, then head 1's, ..."""
    batch, n_heads, tokens, head_dim = x.shape
    # TODO: this raises "view size is not compatible with input tensor's size and stride"
    # as soon as there are several heads and several tokens.
    return x.transpose(1, 2).view(batch, tokens, n_heads * head_dim)


if __name__ == "__main__":
    y = torch.randn(2, 5, 12)
    q = split_heads(y, n_heads=3)  # (B, H, T, D): what attention works on
    print("round trip exact:", torch.equal(merge_heads(q), y))
    weights = torch.softmax(q @ q.transpose(-2, -1), dim=-1)  # (B, H, T, T)
    print("attention output:", merge_heads(weights @ q).shape)
